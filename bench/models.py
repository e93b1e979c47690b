"""The three tutorial models: hyperparameters and initial weights, shared by every peer.

Weights follow the Deep Learning Tutorials exactly (``logistic_sgd.py``, ``mlp.py``,
``convolutional_mlp.py``), in Theano's conventions: dense ``W`` is (n_in, n_out),
conv filters are (out_ch, in_ch, 5, 5) for a *true* convolution (Theano flips the
filters; peers computing cross-correlation must flip them once at the start).

Example:
    >>> spec = SPECS['mlp']
    >>> spec.batch_size, spec.lr, spec.l2
    (20, 0.01, 0.0001)
    >>> params = init_params('mlp')
    >>> [(k, v.shape) for k, v in params.items()]
    [('W1', (784, 500)), ('b1', (500,)), ('W2', (500, 10)), ('b2', (10,))]
    >>> round(float(abs(params['W1']).max()), 4) <= round((6 / 1284) ** 0.5, 4)
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ModelSpec:
    """What a peer needs to build one model.

    ``l2`` multiplies ``sum(W**2)`` over the weight matrices inside the cost (the
    tutorial's ``L2_sqr``), so the gradient gains ``2 * l2 * W``. ``eval_batch``
    divides the 10,000 validation samples (the tutorial's 600 does not, and drops 400).
    """

    name: str
    title: str
    lr: float
    batch_size: int
    eval_batch: int
    l2: float
    weights: tuple[str, ...]  # the parameters the L2 term covers


SPECS = {
    "logreg": ModelSpec("logreg", "logistic regression 784-10", 0.13, 600, 500, 0.0, ("W",)),
    "mlp": ModelSpec("mlp", "MLP 784-500-10 tanh", 0.01, 20, 20, 1e-4, ("W1", "W2")),
    "lenet": ModelSpec(
        "lenet", "LeNet conv20-pool-conv50-pool-500-10", 0.1, 500, 500, 0.0, ()
    ),
}

# LeNet's layer shapes, as convolutional_mlp.py builds them for 28x28 inputs.
LENET_FILTERS = ((20, 1, 5, 5), (50, 20, 5, 5))
LENET_POOL = (2, 2)
LENET_FLAT = 50 * 4 * 4


def _uniform_glorot(rng: np.random.RandomState, fan_in: int, fan_out: int, shape) -> np.ndarray:
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return np.asarray(rng.uniform(low=-bound, high=bound, size=shape), dtype=np.float32)


def _zeros(*shape) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


def init_params(model: str) -> dict[str, np.ndarray]:
    """Initial float32 parameters of ``model``, drawn in the tutorial's order and seed.

    Example:
        >>> p = init_params('lenet')
        >>> p['W0'].shape, p['W1'].shape, p['W2'].shape, float(p['W3'].sum())
        ((20, 1, 5, 5), (50, 20, 5, 5), (800, 500), 0.0)
    """
    if model == "logreg":
        return {"W": _zeros(784, 10), "b": _zeros(10)}
    if model == "mlp":
        rng = np.random.RandomState(1234)
        return {
            "W1": _uniform_glorot(rng, 784, 500, (784, 500)),
            "b1": _zeros(500),
            "W2": _zeros(500, 10),
            "b2": _zeros(10),
        }
    if model == "lenet":
        rng = np.random.RandomState(23455)
        params = {}
        for i, shape in enumerate(LENET_FILTERS):
            fan_in = int(np.prod(shape[1:]))
            fan_out = shape[0] * int(np.prod(shape[2:])) // int(np.prod(LENET_POOL))
            params[f"W{i}"] = _uniform_glorot(rng, fan_in, fan_out, shape)
            params[f"b{i}"] = _zeros(shape[0])
        params["W2"] = _uniform_glorot(rng, LENET_FLAT, 500, (LENET_FLAT, 500))
        params["b2"] = _zeros(500)
        params["W3"] = _zeros(500, 10)
        params["b3"] = _zeros(10)
        return params
    raise KeyError(f"unknown model {model!r}; known: {sorted(SPECS)}")
