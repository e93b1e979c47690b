"""PyTensor peer (the maintained Theano fork), written the tutorials' way.

Datasets, weights and biases are shared variables; one ``pytensor.function([index],
cost, updates=..., givens=...)`` per model, with the C backend (``CVM``, Theano's
old default) or the Numba backend (PyTensor 3's default).

PyTensor 3 removed Theano's ``nnet.conv2d`` and ``signal.pool_2d``, so LeNet builds
them from PyTensor ops: the convolution as im2col (25 shifted slices stacked, one
``dot``), the 2x2 max pool as reshape + ``max`` (whose gradient, like Theano's, goes
to every tied maximum).

Example:
    >>> from bench.data import synthetic
    >>> from bench.models import SPECS, init_params
    >>> t = make_trainer(SPECS['logreg'], init_params('logreg'), synthetic(1200, 500))
    >>> [round(c, 4) for c in t.first_losses(1)]
    [2.3026]
"""
from __future__ import annotations

import ctypes.util
import os

# pip-installed PyTensor only looks for BLAS next to cblas/gfortran and misses a plain
# system libopenblas; without BLAS its C backend falls back to slow loops.
_FLAGS = os.environ.get("PYTENSOR_FLAGS", "")
if "blas__ldflags" not in _FLAGS and ctypes.util.find_library("openblas"):
    os.environ["PYTENSOR_FLAGS"] = f"{_FLAGS},blas__ldflags=-lopenblas"

import numpy as np
import pytensor
import pytensor.tensor as pt

from bench.data import Data
from bench.models import LENET_POOL, ModelSpec
from bench.peers.base import Trainer

# Python floats in the graphs (lr, L2) must not upcast the float32 model.
pytensor.config.floatX = "float32"
NOTE = f"blas__ldflags={pytensor.config.blas__ldflags or '(none: slow fallback)'}"


def conv2d(x, w, input_shape, filter_shape):
    """Theano's valid ``conv2d`` (a true convolution) as im2col + one ``dot``."""
    n, c, h, wd = input_shape
    f, _, kh, kw = filter_shape
    oh, ow = h - kh + 1, wd - kw + 1
    taps = [x[:, :, i:i + oh, j:j + ow] for i in range(kh) for j in range(kw)]
    cols = pt.stack(taps, axis=2).dimshuffle(0, 3, 4, 1, 2).reshape((n * oh * ow, c * kh * kw))
    flipped = w[:, :, ::-1, ::-1].reshape((f, c * kh * kw))
    return pt.dot(cols, flipped.T).reshape((n, oh, ow, f)).dimshuffle(0, 3, 1, 2)


def max_pool_2x2(x, shape):
    """2x2 max pooling of an (n, c, h, w) tensor with even h and w."""
    n, c, h, w = shape
    return x.reshape((n, c, h // 2, 2, w // 2, 2)).max(axis=(3, 5))


def _scores(spec: ModelSpec, p: dict, x, batch: int):
    if spec.name == "logreg":
        return pt.dot(x, p["W"]) + p["b"]
    if spec.name == "mlp":
        return pt.dot(pt.tanh(pt.dot(x, p["W1"]) + p["b1"]), p["W2"]) + p["b2"]
    h, shape = x.reshape((batch, 1, 28, 28)), (batch, 1, 28, 28)
    for i in (0, 1):
        f_shape = p[f"W{i}"].get_value(borrow=True).shape
        conv = conv2d(h, p[f"W{i}"], shape, f_shape)
        shape = (batch, f_shape[0], shape[2] - f_shape[2] + 1, shape[3] - f_shape[3] + 1)
        pooled = max_pool_2x2(conv, shape)
        shape = (batch, f_shape[0], shape[2] // LENET_POOL[0], shape[3] // LENET_POOL[1])
        h = pt.tanh(pooled + p[f"b{i}"].dimshuffle("x", 0, "x", "x"))
    h = pt.tanh(pt.dot(h.flatten(2), p["W2"]) + p["b2"])
    return pt.dot(h, p["W3"]) + p["b3"]


class PytensorTrainer(Trainer):
    """Two compiled functions, ``train_model(index)`` and ``validate_model(index)``."""

    def __init__(self, spec: ModelSpec, params: dict, data: Data, mode: str):
        super().__init__(spec, data)
        index = pt.lscalar("index")
        x, y = pt.matrix("x", dtype="float32"), pt.ivector("y")
        p = {k: pytensor.shared(np.array(v), name=k) for k, v in params.items()}
        sets = {}
        for split in ("train", "valid"):
            sets[split] = (pytensor.shared(getattr(data, f"{split}_x"), borrow=True),
                           pytensor.shared(getattr(data, f"{split}_y").astype(np.int32)))

        def givens(split, bs):
            sx, sy = sets[split]
            return {x: sx[index * bs:(index + 1) * bs], y: sy[index * bs:(index + 1) * bs]}

        def nll(batch):
            log_p = pt.special.log_softmax(_scores(spec, p, x, batch), axis=1)
            return -pt.mean(log_p[pt.arange(y.shape[0]), y])

        cost = nll(spec.batch_size)
        for name in spec.weights:
            cost = cost + spec.l2 * (p[name] ** 2).sum()
        grads = pytensor.grad(cost, list(p.values()))
        updates = [(v, v - spec.lr * g) for v, g in zip(p.values(), grads)]
        self.train_model = pytensor.function([index], cost, updates=updates, mode=mode,
                                             givens=givens("train", spec.batch_size))
        scores = _scores(spec, p, x, spec.eval_batch)
        errors = pt.mean(pt.neq(pt.argmax(scores, axis=1), y))
        self.validate_model = pytensor.function([index], errors, mode=mode,
                                                givens=givens("valid", spec.eval_batch))

    def train_step(self, i):
        return self.train_model(i)

    def valid_errors(self, i):
        return self.validate_model(i)


def make_trainer(spec: ModelSpec, params: dict, data: Data) -> PytensorTrainer:
    """Compile with the C backend (``mode='CVM'``)."""
    return PytensorTrainer(spec, params, data, mode="CVM")


def make_numba_trainer(spec: ModelSpec, params: dict, data: Data) -> PytensorTrainer:
    """Compile with the Numba backend (``mode='NUMBA'``)."""
    return PytensorTrainer(spec, params, data, mode="NUMBA")
