"""Denoising autoencoder on MNIST, as the Deep Learning Tutorials' ``dA.py`` writes it.

784 visible and 500 sigmoid hidden units with tied weights (``W' = W.T``).
Each minibatch of 20 images is corrupted by zeroing 30 % of its pixels at
random (``binomial(size=x.shape, n=1, p=0.7) * x``, drawn from a
``RandomStreams`` inside the compiled step), encoded, decoded and scored by
the cross-entropy between the clean images and the reconstruction; SGD with
learning rate 0.1. Weights are drawn from ``RandomState(123)`` after the random
stream's seed, as in the tutorial. Only the imports differ from the tutorial:
``theano`` is ``theanine``.

    python examples/dA.py --epochs 15

prints the mean cost of each training epoch.

Example:
    >>> import numpy as np
    >>> from dA import build_dA
    >>> x = np.random.RandomState(0).uniform(size=(40, 784)).astype('float32')
    >>> model = build_dA(x, batch_size=20)
    >>> model.n_train_batches, float(model.train_da(0)) > 0
    (2, True)
"""
from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np

import theanine
import theanine.tensor as T
from theanine.tensor.shared_randomstreams import RandomStreams


class dA:
    """Denoising autoencoder with tied weights."""

    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=784, n_hidden=500):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        initial_W = np.asarray(numpy_rng.uniform(low=-bound, high=bound,
                                                 size=(n_visible, n_hidden)),
                               dtype=theanine.config.floatX)
        self.W = theanine.shared(value=initial_W, name="W", borrow=True)
        self.b = theanine.shared(np.zeros(n_hidden, dtype=theanine.config.floatX), name="b",
                                 borrow=True)
        self.b_prime = theanine.shared(np.zeros(n_visible, dtype=theanine.config.floatX),
                                       borrow=True)
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        self.x = T.dmatrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                        dtype=theanine.config.floatX) * input

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = -T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam)
                   for param, gparam in zip(self.params, gparams)]
        return cost, updates


def build_dA(train_x, corruption_level=0.3, learning_rate=0.1, batch_size=20, seed=123):
    """Compile the tutorial's ``train_da(i)`` on images ``train_x`` (n, 784)."""
    from theanine.data import shared_dataset
    train_set_x, _ = shared_dataset(train_x, np.zeros(len(train_x)))
    index = T.lscalar()
    x = T.matrix("x")
    rng = np.random.RandomState(seed)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=28 * 28, n_hidden=500)
    cost, updates = da.get_cost_updates(corruption_level=corruption_level,
                                        learning_rate=learning_rate)
    train_da = theanine.function(
        [index], cost, updates=updates,
        givens={x: train_set_x[index * batch_size:(index + 1) * batch_size]})
    return SimpleNamespace(train_da=train_da, da=da,
                           n_train_batches=len(train_x) // batch_size)


def train_epochs(model, n_epochs, log=print):
    """Train ``n_epochs`` passes in order; return each epoch's mean cost."""
    costs = []
    for epoch in range(n_epochs):
        start = time.perf_counter()
        c = [model.train_da(i) for i in range(model.n_train_batches)]
        costs.append(float(np.mean(c, dtype="float64")))
        log(f"Training epoch {epoch}, cost {costs[-1]} ({time.perf_counter() - start:.1f} s)")
    return costs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=15, help="training epochs (15)")
    parser.add_argument("--data", default=None,
                        help="folder holding mnist.pkl.gz (default: theanine's search path)")
    parser.add_argument("--corruption", type=float, default=0.3,
                        help="fraction of pixels zeroed (0.3)")
    args = parser.parse_args(argv)
    from theanine.data import load_mnist
    model = build_dA(load_mnist(root=args.data).train.x, corruption_level=args.corruption)
    train_epochs(model, args.epochs)


if __name__ == "__main__":
    main()
