"""``x * log(x)`` and ``x * log(y)`` that are 0 where ``x`` is 0 (Theano's ``tensor.xlogx``).

Entropies and cross-entropies of probabilities that can be exactly 0 need
``0 * log(0) = 0``. Both are composites: ``log`` reads 1 wherever ``x`` is 0,
so neither the value nor the gradient meets ``log(0)`` there: the gradient
with respect to ``x`` at 0 is ``log(1) = 0`` (Theano's ``xlogx`` gave
``1 + log(0) = -inf``), and with respect to ``y`` it is 0.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.tensor.xlogx import xlogx, xlogy0
    >>> p = T.dvector('p')
    >>> xlogx(p).eval({p: np.array([0.0, 0.5, 1.0])}).round(4).tolist()
    [0.0, -0.3466, 0.0]
    >>> xlogy0(p, 1 - p).eval({p: np.array([0.0, 0.5, 0.25])}).round(4).tolist()
    [0.0, -0.3466, -0.0719]
"""
from __future__ import annotations

from theanine.tensor import basic as T


def xlogx(x):
    """``x * log(x)``, with 0 where ``x`` is 0."""
    return xlogy0(x, x)


def xlogy0(x, y):
    """``x * log(y)``, with 0 where ``x`` is 0 (whatever ``y`` is there)."""
    x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
    return x * T.log(T.switch(T.eq(x, 0), T.ones_like(y), y))
