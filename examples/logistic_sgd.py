"""Logistic regression on MNIST with minibatch SGD and early stopping.

The Deep Learning Tutorials' ``logistic_sgd.py`` on theanine: the same model,
the same ``givens`` minibatches of shared datasets, the same patience-based early
stopping. With the defaults (learning rate 0.13, batch 600, zero init) it stops
after 74 epochs with a best validation error of 7.500000 % and a test error of
7.489583 %, as the tutorial reports.

    python examples/logistic_sgd.py                       # finds or downloads MNIST
    python examples/logistic_sgd.py --data ~/data/mnist.pkl.gz --epochs 5

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> split = (rng.random((1200, 784), dtype=np.float32), rng.integers(0, 10, 1200))
    >>> result = sgd_optimization_mnist((split, split, split), n_epochs=2, print_fn=None)
    >>> result.epochs, len(result.validation_history)
    (2, 2)
"""
from __future__ import annotations

import argparse
import time
from collections import namedtuple

import numpy as np

import theanine
import theanine.tensor as T

Result = namedtuple("Result", "best_validation_loss test_score epochs best_iter "
                              "validation_history seconds")
Result.__doc__ = """What one training run found; losses are fractions (0.075 is 7.5 %).

``validation_history`` lists ``(epoch, minibatch, validation loss)`` at each check.
"""


class LogisticRegression:
    """Multi-class logistic regression: ``p(y | x) = softmax(x W + b)``.

    Example:
        >>> import theanine.tensor as T
        >>> model = LogisticRegression(T.matrix('x'), n_in=784, n_out=10)
        >>> model.W.get_value().shape, model.y_pred.ndim
        ((784, 10), 1)
    """

    def __init__(self, input, n_in, n_out):
        floatX = theanine.config.floatX
        self.W = theanine.shared(np.zeros((n_in, n_out), dtype=floatX), name="W", borrow=True)
        self.b = theanine.shared(np.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        """Mean negative log-probability of the correct labels ``y``."""
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        """Fraction of the minibatch that is misclassified."""
        return T.mean(T.neq(self.y_pred, y))


def shared_dataset(data_xy, borrow=True):
    """Put a split in shared variables (x as floatX, y as int32 to index with)."""
    data_x, data_y = data_xy
    shared_x = theanine.shared(np.asarray(data_x, dtype=theanine.config.floatX), borrow=borrow)
    shared_y = theanine.shared(np.asarray(data_y, dtype="int32"), borrow=borrow)
    return shared_x, shared_y


def load_data(path=None):
    """The tutorial's ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``.

    ``path`` is a ``mnist.pkl.gz`` file or a folder to search first; None uses
    ``theanine.data.load_mnist``'s search path (and downloads when needed).
    """
    import os

    from theanine import data
    if path is not None and os.path.isfile(path):
        return data.read_mnist_pickle(path)
    splits = data.load_mnist(root=path, dtype=theanine.config.floatX)
    return tuple((split.x, split.y) for split in splits)


def sgd_optimization_mnist(datasets, learning_rate=0.13, n_epochs=1000, batch_size=600,
                           patience=5000, patience_increase=2, improvement_threshold=0.995,
                           print_fn=print):
    """Train logistic regression with the tutorial's early stopping; return a :class:`Result`.

    ``datasets`` is ``(train, valid, test)``, each ``(x, y)`` NumPy arrays.
    ``print_fn`` receives the tutorial's progress lines (None: silent).
    """
    say = print_fn or (lambda *args: None)
    (train_set_x, train_set_y), (valid_set_x, valid_set_y), (test_set_x, test_set_y) = [
        shared_dataset(split) for split in datasets]
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size
    n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar("index")
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = LogisticRegression(input=x, n_in=28 * 28, n_out=10)
    cost = classifier.negative_log_likelihood(y)

    def batch(data):
        return data[index * batch_size:(index + 1) * batch_size]

    test_model = theanine.function([index], classifier.errors(y),
                                   givens={x: batch(test_set_x), y: batch(test_set_y)})
    validate_model = theanine.function([index], classifier.errors(y),
                                       givens={x: batch(valid_set_x), y: batch(valid_set_y)})
    g_W, g_b = T.grad(cost=cost, wrt=[classifier.W, classifier.b])
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
    train_model = theanine.function([index], cost, updates=updates,
                                    givens={x: batch(train_set_x), y: batch(train_set_y)})

    validation_frequency = min(n_train_batches, patience // 2)
    best_validation_loss = np.inf
    best_iter = 0
    test_score = 0.0
    history = []
    start_time = time.perf_counter()
    done_looping = False
    epoch = 0
    while epoch < n_epochs and not done_looping:
        epoch += 1
        for minibatch_index in range(n_train_batches):
            train_model(minibatch_index)
            iteration = (epoch - 1) * n_train_batches + minibatch_index
            if (iteration + 1) % validation_frequency == 0:
                this_validation_loss = float(np.mean(
                    [validate_model(i) for i in range(n_valid_batches)]))
                history.append((epoch, minibatch_index + 1, this_validation_loss))
                say(f"epoch {epoch}, minibatch {minibatch_index + 1}/{n_train_batches}, "
                    f"validation error {this_validation_loss * 100.0:f} %")
                if this_validation_loss < best_validation_loss:
                    if this_validation_loss < best_validation_loss * improvement_threshold:
                        patience = max(patience, iteration * patience_increase)
                    best_validation_loss = this_validation_loss
                    best_iter = iteration
                    test_score = float(np.mean([test_model(i) for i in range(n_test_batches)]))
                    say(f"     epoch {epoch}, minibatch {minibatch_index + 1}/"
                        f"{n_train_batches}, test error of best model {test_score * 100.0:f} %")
            if patience <= iteration:
                done_looping = True
                break
    seconds = time.perf_counter() - start_time
    return Result(best_validation_loss, test_score, epoch, best_iter, history, seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None,
                        help="mnist.pkl.gz, or a folder searched first (default: "
                             "theanine.data's search path, downloading if needed)")
    parser.add_argument("--epochs", type=int, default=1000, help="at most this many epochs")
    parser.add_argument("--learning-rate", type=float, default=0.13)
    parser.add_argument("--batch-size", type=int, default=600)
    args = parser.parse_args(argv)

    datasets = load_data(args.data)
    result = sgd_optimization_mnist(datasets, learning_rate=args.learning_rate,
                                    n_epochs=args.epochs, batch_size=args.batch_size)
    print(f"Optimization complete with best validation score of "
          f"{result.best_validation_loss * 100.0:f} %, with test performance "
          f"{result.test_score * 100.0:f} %")
    print(f"The code ran for {result.epochs} epochs, with "
          f"{result.epochs / result.seconds:f} epochs/sec (wall time {result.seconds:.1f} s)")
    return result


if __name__ == "__main__":
    main()
