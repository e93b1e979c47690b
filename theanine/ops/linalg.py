"""Linear algebra on matrices: inverse, determinant, solve, Cholesky factor.

Each op's gradient is written with theanine's own ops (the inverse's and the
solve's with themselves), so second derivatives come for free.
``theanine.tensor.nlinalg`` and ``theanine.tensor.slinalg`` are the user-facing
functions, named as in Theano.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> A = T.dmatrix('A')
    >>> MatrixInverse()(A).eval({A: np.array([[2.0, 0.0], [0.0, 4.0]])}).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
"""
from __future__ import annotations

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op


def _square_matrix(op, a, what="a square matrix"):
    from theanine.tensor.basic import as_tensor_variable
    a = as_tensor_variable(a)
    rows, cols = a.type.shape if a.ndim == 2 else (None, None)
    if a.ndim != 2 or (rows is not None and cols is not None and rows != cols):
        raise op.error(f"needs {what}, got {a.type}", TypeError)
    if a.dtype[0] != "f":
        raise op.error(f"needs a float matrix, got {a.type} (cast it first)", TypeError)
    return a


def _transpose(x):
    from theanine.tensor import basic as T
    return T.dimshuffle(x, [1, 0])


class MatrixInverse(Op):
    """``inv(A)`` of a square matrix."""

    __props__ = ()

    def make_node(self, a):
        a = _square_matrix(self, a)
        return Apply(self, [a], [a.type])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor import basic as T
        (inverse,), (g,) = outputs, output_grads
        inverse_t = _transpose(inverse)
        return [-T.dot(T.dot(inverse_t, g), inverse_t)]


class Det(Op):
    """``det(A)`` of a square matrix."""

    __props__ = ()

    def make_node(self, a):
        a = _square_matrix(self, a)
        return Apply(self, [a], [TensorType(a.dtype, ())])

    def grad(self, inputs, outputs, output_grads):
        (a,), (det,), (g,) = inputs, outputs, output_grads
        return [g * det * _transpose(MatrixInverse()(a))]


class Solve(Op):
    """``x`` with ``A x = b`` for a square ``A`` and a vector or matrix ``b``."""

    __props__ = ()

    def make_node(self, a, b):
        from theanine.graph.dtypes import result_dtype
        from theanine.tensor.basic import as_tensor_variable
        a = _square_matrix(self, a)
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise self.error(f"b must be a vector or a matrix, got {b.type}", TypeError)
        rows = a.type.shape[0]
        if rows is not None and b.type.shape[0] is not None and b.type.shape[0] != rows:
            raise self.error(f"A {a.type} and b {b.type} have different numbers of rows")
        dtype = result_dtype([a.dtype, b.dtype])
        return Apply(self, [a, b], [TensorType(dtype, (a.type.shape[1],) + b.type.shape[1:])])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor import basic as T
        (a, _), (x,), (g,) = inputs, outputs, output_grads
        grad_b = Solve()(_transpose(a), g)
        grad_a = -(T.outer(grad_b, x) if x.ndim == 1 else T.dot(grad_b, _transpose(x)))
        return [grad_a, grad_b]


class Cholesky(Op):
    """The lower-triangular ``L`` with ``L L^T = A``, read from ``A``'s lower triangle."""

    __props__ = ()

    def make_node(self, a):
        a = _square_matrix(self, a, "a square (symmetric positive definite) matrix")
        return Apply(self, [a], [a.type])

    def grad(self, inputs, outputs, output_grads):
        # With phi(M) the lower triangle of M with its diagonal halved, the gradient
        # with respect to the symmetric matrix is sym(S), S = L^-T phi(L^T G) L^-1;
        # only A's lower triangle is read, so the strictly upper part gets none.
        from theanine.tensor import basic as T
        from theanine.tensor.extra_ops import eye, tril
        (lower,), (g,) = outputs, output_grads
        product = T.dot(_transpose(lower), g)
        phi = tril(product) - 0.5 * product * eye(lower.shape[0], dtype=lower.dtype)
        lower_inverse = MatrixInverse()(lower)
        s = T.dot(T.dot(_transpose(lower_inverse), phi), lower_inverse)
        symmetric = s + _transpose(s)
        return [tril(symmetric) - 0.5 * symmetric * eye(lower.shape[0], dtype=lower.dtype)]
