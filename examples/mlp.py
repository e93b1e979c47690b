"""The Deep Learning Tutorials' multilayer perceptron (``mlp.py``) with theanine.nn and Trainer.

784-500-10 with a tanh hidden layer (weights from ``RandomState(1234)``),
cost ``nll + 0.0001 * L2_sqr``, SGD with learning rate 0.01 on minibatches of
20, and the tutorial's early stopping (patience 10,000 minibatches). The
tutorial reports a best validation error of 1.68 % and a test error of 1.65 %
after 820 epochs; ``--epochs 5`` gives the first epochs' validation errors.

    python examples/mlp.py --epochs 5
    python examples/mlp.py --epochs 5 --optimizer momentum --lr 0.01

Example:
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> x = rng.rand(120, 784).astype('float32'); y = rng.randint(0, 10, 120)
    >>> history = train(((x, y), (x[:40], y[:40]), (x[:40], y[:40])), n_epochs=1,
    ...                 n_hidden=16, verbose=False)
    >>> history['epoch']
    [1]
"""
from __future__ import annotations

import argparse

from theanine import nn, optim
from theanine.train import Trainer


def train(data, learning_rate=0.01, L1_reg=0.00, L2_reg=0.0001, n_epochs=1000,
          batch_size=20, n_hidden=500, optimizer="sgd", run_dir=None, verbose=True):
    """Train the tutorial's MLP on ``data`` = (train, valid, test) and return the History."""
    n_in = data[0][0].shape[1]
    classifier = nn.MLP(n_in=n_in, n_hidden=n_hidden, n_out=10)
    trainer = Trainer(optim.make_optimizer(optimizer, learning_rate), batch_size=batch_size,
                      n_epochs=n_epochs, patience=10000, patience_increase=2,
                      improvement_threshold=0.995, l1=L1_reg, l2=L2_reg, run_dir=run_dir,
                      verbose=verbose, progress=verbose)
    return trainer.fit(classifier, data)


def main(argv=None):
    from theanine.data import load_mnist
    from theanine.train.commands import summary_line
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--out", help="run folder for checkpoints and metrics")
    args = parser.parse_args(argv)
    history = train(load_mnist(), learning_rate=args.lr, n_epochs=args.epochs,
                    optimizer=args.optimizer, run_dir=args.out)
    print(summary_line(history.summary))


if __name__ == "__main__":
    main()
