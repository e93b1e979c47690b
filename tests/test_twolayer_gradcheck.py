"""Acceptance: "Deep Learning from Scratch" 5.7.3, the two-layer net's gradient check.

A 784-50-10 net (sigmoid, and a ReLU variant) with softmax-with-loss (cross-entropy
against one-hot labels, averaged over the batch), weights drawn with
``weight_init_std=0.01``, on 3 MNIST images in float64. Backpropagation is
``T.grad`` compiled; the reference is the book's ``numerical_gradient``, which
perturbs each weight in place (here: the shared variables' own storage). The book
prints mean absolute differences around 1e-10 to 1e-13; they must stay below 1e-9.
"""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.gradcheck import numerical_gradient

INPUT_SIZE, HIDDEN_SIZE, OUTPUT_SIZE = 784, 50, 10
WEIGHT_INIT_STD = 0.01


class TwoLayerNet:
    """The book's ``TwoLayerNet`` written with theanine: parameters are shared variables."""

    def __init__(self, activation, rng):
        def param(name, value):
            return theanine.shared(np.asarray(value, dtype="float64"), name=name)
        self.params = {
            "W1": param("W1", WEIGHT_INIT_STD * rng.standard_normal((INPUT_SIZE, HIDDEN_SIZE))),
            "b1": param("b1", np.zeros(HIDDEN_SIZE)),
            "W2": param("W2", WEIGHT_INIT_STD * rng.standard_normal((HIDDEN_SIZE, OUTPUT_SIZE))),
            "b2": param("b2", np.zeros(OUTPUT_SIZE)),
        }
        p = self.params
        self.x, self.t = T.dmatrix("x"), T.dmatrix("t")
        self.a1 = T.dot(self.x, p["W1"]) + p["b1"]
        z1 = activation(self.a1)
        y = T.nnet.softmax(T.dot(z1, p["W2"]) + p["b2"])
        # cross_entropy_error of the book: -sum(t * log(y + 1e-7)) / batch_size
        self.loss = -T.sum(self.t * T.log(y + 1e-7)) / T.cast(self.x.shape[0], "float64")
        self.loss_fn = theanine.function([self.x, self.t], self.loss)
        self.gradient_fn = theanine.function([self.x, self.t],
                                             T.grad(self.loss, list(self.params.values())))

    def gradient(self, x, t):
        """Backpropagation: ``{name: gradient}`` from the compiled ``T.grad``."""
        return dict(zip(self.params, self.gradient_fn(x, t)))

    def numerical_gradient(self, x, t):
        """The book's numerical gradient, perturbing each parameter's storage in place."""
        def loss(_):
            return self.loss_fn(x, t)
        return {name: numerical_gradient(loss, var.get_value(borrow=True))
                for name, var in self.params.items()}


@pytest.fixture(scope="module")
def batch(mnist):
    (train_x, train_y), _, _ = mnist
    x = np.asarray(train_x[:3], dtype="float64")
    t = np.eye(OUTPUT_SIZE)[np.asarray(train_y[:3])]
    return x, t


def _net_away_from_kinks(activation, x, seed=0):
    # numerical_gradient moves a pre-activation by at most 1e-4 * max(x) <= 1e-4; keep
    # ReLU's inputs well away from 0 so that the finite differences see one side only.
    while True:
        net = TwoLayerNet(activation, np.random.default_rng(seed))
        a1 = theanine.function([net.x], net.a1)(x)
        if np.min(np.abs(a1)) > 1e-3:
            return net
        seed += 1


@pytest.mark.parametrize("activation", [T.nnet.sigmoid, T.nnet.relu], ids=["sigmoid", "relu"])
def test_backprop_matches_numerical_gradient(batch, activation):
    x, t = batch
    net = _net_away_from_kinks(activation, x)
    before = {name: var.get_value() for name, var in net.params.items()}
    grad_backprop = net.gradient(x, t)
    grad_numerical = net.numerical_gradient(x, t)
    for name, var in net.params.items():
        np.testing.assert_array_equal(var.get_value(), before[name])   # restored
        assert grad_backprop[name].shape == before[name].shape
        diff = float(np.mean(np.abs(grad_backprop[name] - grad_numerical[name])))
        assert diff < 1e-9, f"{name}: mean |backprop - numerical| = {diff:.3g}"
        # The gradient is not trivially zero.
        assert np.max(np.abs(grad_backprop[name])) > 1e-6, name
