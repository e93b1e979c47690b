"""Solvers and factorizations named as in Theano's ``tensor.slinalg``.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.tensor.slinalg import cholesky, solve
    >>> A, b = T.dmatrix('A'), T.dvector('b')
    >>> value = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> cholesky(A).eval({A: value}).round(6).tolist()
    [[2.0, 0.0], [1.0, 1.414214]]
    >>> solve(A, b).eval({A: value, b: np.array([2.0, 1.0])}).round(6).tolist()
    [0.5, 0.0]
"""
from __future__ import annotations

from theanine.ops.linalg import Cholesky, Solve


def cholesky(a):
    """The lower-triangular ``L`` with ``L @ L.T == a`` (``a`` symmetric positive
    definite; only its lower triangle is read)."""
    return Cholesky()(a)


def solve(a, b):
    """``x`` with ``a @ x == b``, for a square ``a`` and a vector or matrix ``b``."""
    return Solve()(a, b)
