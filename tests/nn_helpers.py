"""Helpers for the nn/optim/train tests: tiny synthetic data and layer gradient checks."""
from __future__ import annotations

import numpy as np


def blobs(n, n_in=16, n_classes=3, seed=0, noise=1.0):
    """``n`` float32 points in ``n_classes`` Gaussian clusters, with int labels."""
    rng = np.random.RandomState(seed)
    centers = rng.randn(n_classes, n_in) * 2
    y = rng.randint(0, n_classes, n)
    x = centers[y] + noise * rng.randn(n, n_in)
    return x.astype("float32"), y.astype("int64")


def splits(n_train=200, n_valid=60, n_test=60, **kwargs):
    """``(train, valid, test)`` pairs drawn from the same clusters."""
    x, y = blobs(n_train + n_valid + n_test, **kwargs)
    a, b = n_train, n_train + n_valid
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:], y[b:])


def with_symbolic_params(layer, names):
    """``fun(x, *params)`` that applies ``layer`` with its shared ``names`` made symbolic.

    Lets ``verify_grad`` check the layer's own forward code with respect to its
    input and its parameters.
    """
    def fun(x, *params):
        for name, value in zip(names, params):
            object.__setattr__(layer, name, value)
        return layer(x)
    return fun
