"""The book's gradient check: backprop against numerical gradients, per parameter.

On a few samples, in float64, each parameter's mean absolute difference
between :func:`theanine.gradcheck.numerical_gradient` and ``T.grad`` is
reported, as ``gradient_check.py`` prints in Deep Learning from Scratch. Large
parameters are checked on a random sample of ``max_elements`` entries. The
step is 1e-6, not the book's 1e-4: float64 allows it, and a step that small
rarely carries a ReLU input across its kink, which would spoil the difference.
Parameters that start at zero (biases, the tutorials' logistic-regression
weights) are set to small random values first: at zero output weights every
gradient below them is exactly zero, and the check would prove nothing.

Example:
    >>> from theanine.utils.gradcheck_table import gradient_table
    >>> rows = gradient_table('twolayer', n_samples=3, max_elements=50, hidden=5)
    >>> [name for name, _, _ in rows], all(diff < 1e-6 for _, diff, _ in rows)
    (['W1', 'b1', 'W2', 'b2'], True)
"""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.config import config


def sample_data(n_samples, n_in=784, seed=0):
    """The first ``n_samples`` MNIST training images if found locally, else random ones."""
    try:
        from theanine.data import load_mnist
        train = load_mnist(download=False).train
        return train.x[:n_samples].astype(np.float64), train.y[:n_samples], "MNIST"
    except Exception:  # no data here: the check is as good on random inputs
        rng = np.random.RandomState(seed)
        return rng.rand(n_samples, n_in), rng.randint(0, 10, n_samples), "random inputs"


def gradient_table(name, n_samples=3, max_elements=300, seed=0, hidden=None, x=None, y=None):
    """``[(param_name, mean_abs_diff, n_checked), ...]`` for model ``name``, in float64."""
    from theanine.nn import nll
    from theanine.train.recipes import DEFAULTS, build, model_kwargs
    with config.change_flags(floatX="float64"):
        if x is None:
            x, y, _ = sample_data(n_samples, seed=seed)
        settings = dict(DEFAULTS[name])
        if hidden is not None:
            settings["hidden"] = hidden
        model = build(name, model_kwargs(name, settings, x.shape[1], 10), seed=seed)
        rng = np.random.RandomState(seed)
        for _, param in model.named_params():
            value = param.get_value()
            if not value.any():
                param.set_value(0.1 * rng.standard_normal(value.shape))
        xv, yv = T.dmatrix("x"), T.ivector("y")
        cost = nll(model(xv), yv)
        named = list(model.named_params())
        loss = theanine.function([xv, yv], cost)
        grads = theanine.function([xv, yv], T.grad(cost, [p for _, p in named]))
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int32)
        analytic = grads(x, y)
        rows = []
        for (pname, param), grad in zip(named, analytic):
            value = param.get_value(borrow=True)
            flat = value.reshape(-1)
            picks = np.arange(flat.size) if flat.size <= max_elements else \
                rng.choice(flat.size, max_elements, replace=False)
            diffs = [abs(_central_difference(loss, x, y, flat, k) - grad.reshape(-1)[k])
                     for k in picks]
            rows.append((pname, float(np.mean(diffs)), len(picks)))
        return rows


def _central_difference(loss, x, y, flat, k, eps=1e-6):
    saved = flat[k]
    flat[k] = saved + eps
    plus = float(loss(x, y))
    flat[k] = saved - eps
    minus = float(loss(x, y))
    flat[k] = saved
    return (plus - minus) / (2 * eps)
