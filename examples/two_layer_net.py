"""Deep Learning from Scratch, chapter 5: ``TwoLayerNet`` trained with the book's own loop.

The network is theanine's (its ``gradient`` is ``T.grad`` compiled once), but
the loop is the book's ``train_neuralnet.py``: NumPy minibatches drawn at
random, ``network.params[key] -= learning_rate * grad[key]`` in place, and the
accuracies printed once per epoch. ``--check`` first runs the book's
``gradient_check.py`` (float64, 3 samples).

    python examples/two_layer_net.py
    python examples/two_layer_net.py --check --iters 1000

Example:
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> x = rng.rand(200, 784).astype('float32'); t = rng.randint(0, 10, 200)
    >>> net, curve = train(x, t, x, t, iters_num=20, batch_size=10, print_fn=None)
    >>> len(curve['train_loss'])
    20
"""
from __future__ import annotations

import argparse

import numpy as np

from theanine.config import config
from theanine.nn import TwoLayerNet


def gradient_check(x, t):
    """The book's table: mean |backprop - numerical| per parameter, on float64 copies."""
    with config.change_flags(floatX="float64"):
        network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, rng=0)
        numerical = network.numerical_gradient(x[:3], t[:3])
        backprop = network.gradient(x[:3], t[:3])
    return {key: float(np.mean(np.abs(backprop[key] - numerical[key]))) for key in numerical}


def train(x_train, t_train, x_test, t_test, iters_num=10000, batch_size=100,
          learning_rate=0.1, seed=0, print_fn=print):
    """The book's loop; returns the network and its loss/accuracy curves."""
    rng = np.random.RandomState(seed)
    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, rng=rng)
    train_size = x_train.shape[0]
    iter_per_epoch = max(train_size // batch_size, 1)
    curve = {"train_loss": [], "train_acc": [], "test_acc": []}
    for i in range(iters_num):
        batch_mask = rng.choice(train_size, batch_size)
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= learning_rate * grad[key]
        curve["train_loss"].append(network.loss(x_batch, t_batch))
        if i % iter_per_epoch == 0:
            train_acc = network.accuracy(x_train, t_train)
            test_acc = network.accuracy(x_test, t_test)
            curve["train_acc"].append(train_acc)
            curve["test_acc"].append(test_acc)
            if print_fn:
                print_fn(f"train acc, test acc | {train_acc:.4f}, {test_acc:.4f}")
    return network, curve


def main(argv=None):
    from theanine.data import load_mnist
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--check", action="store_true", help="run the gradient check first")
    args = parser.parse_args(argv)
    train_split, _, test_split = load_mnist("standard")      # the book's 60,000 / 10,000
    if args.check:
        for key, diff in gradient_check(train_split.x, train_split.y).items():
            print(f"{key}:{diff}")
    network, curve = train(train_split.x, train_split.y, test_split.x, test_split.y,
                           iters_num=args.iters)
    print(f"final test accuracy {network.accuracy(test_split.x, test_split.y):.4f}")


if __name__ == "__main__":
    main()
