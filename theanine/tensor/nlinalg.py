"""Matrix functions named as in Theano's ``tensor.nlinalg``.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.tensor.nlinalg import det, matrix_inverse, trace
    >>> A = T.dmatrix('A')
    >>> value = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> round(float(det(A).eval({A: value})), 12), float(trace(A).eval({A: value}))
    (5.0, 5.0)
    >>> (matrix_inverse(A).eval({A: value}) * 5).round(12).tolist()
    [[3.0, -1.0], [-1.0, 2.0]]
"""
from __future__ import annotations

from theanine.ops.linalg import Det, MatrixInverse
from theanine.tensor import basic as T
from theanine.tensor.extra_ops import diag, diagonal

#: Theano's names for building and reading diagonals
alloc_diag, extract_diag = diag, diagonal


def matrix_inverse(a):
    """The inverse of the square matrix ``a``."""
    return MatrixInverse()(a)


def det(a):
    """The determinant of the square matrix ``a``."""
    return Det()(a)


def trace(a):
    """The sum of the matrix ``a``'s diagonal."""
    return T.sum(diagonal(a))


def matrix_dot(*matrices):
    """The product of all ``matrices``, left to right."""
    result = matrices[0]
    for m in matrices[1:]:
        result = T.dot(result, m)
    return result
