"""Matrix products (run by BLAS / cuBLAS).

Example:
    >>> import theanine.tensor as T
    >>> x = T.matrix('x')
    >>> T.dot(x, T.matrix('W')).ndim
    2
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.graph.dtypes import result_dtype
from theanine.graph.type import TensorType
from theanine.ops.base import Op


def _fmt(t):
    return "(" + ", ".join("?" if d is None else str(d) for d in t.type.shape) + \
        ("," if t.ndim == 1 else "") + ")"


class Dot(Op):
    """``dot(x, y)`` for vectors and matrices."""

    def short_name(self):
        return "dot"

    def make_node(self, x, y):
        from theanine.tensor.basic import as_tensor_variable, cast
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise self.error(f"takes vectors and matrices, got {x.ndim}-d {_fmt(x)} and "
                             f"{y.ndim}-d {_fmt(y)}; for more dimensions use "
                             f"T.tensordot or T.batched_dot", TypeError)
        k1 = x.type.shape[-1]
        k2 = y.type.shape[0]
        if k1 is not None and k2 is not None and k1 != k2:
            raise self.error(f"shapes {_fmt(x)} [{x.dtype}] and {_fmt(y)} [{y.dtype}] are not "
                             f"aligned: {k1} (dim {x.ndim - 1}) != {k2} (dim 0)")
        dtype = result_dtype([x.dtype, y.dtype])
        x = x if x.dtype == dtype else cast(x, dtype)
        y = y if y.dtype == dtype else cast(y, dtype)
        shape = x.type.shape[:-1] + y.type.shape[1:]
        return Apply(self, [x, y], [TensorType(dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import dot, outer
        (x, y), (g,) = inputs, output_grads
        if x.ndim == 2 and y.ndim == 2:
            gx, gy = dot(g, y.T), dot(x.T, g)
        elif x.ndim == 2:            # matrix @ vector -> vector
            gx, gy = outer(g, y), dot(x.T, g)
        elif y.ndim == 2:            # vector @ matrix -> vector
            gx, gy = dot(y, g), outer(x, g)
        else:                        # vector @ vector -> scalar
            gx, gy = g * y, g * x
        is_float = np.dtype(x.dtype).kind in "fc"
        return [gx if is_float else None, gy if is_float else None]


class Gemm(Op):
    """``beta * C + alpha * dot(A, B)`` for matrices ``C``, ``A``, ``B`` and scalars.

    Users write the sum; the ``gemm`` rewrite (:mod:`theanine.rewrite.gemm`)
    builds this op from it, so that BLAS scales ``C`` while it adds the
    product, and the ``inplace`` pass lets it overwrite ``C`` (an SGD update
    of a weight matrix then is one BLAS call). Inputs: ``(C, alpha, A, B, beta)``.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> C, A, B = T.dmatrix('C'), T.dmatrix('A'), T.dmatrix('B')
    >>> f = theanine.function([C, A, B], Gemm()(C, 2.0, A, B, 0.5))
    >>> f(np.ones((1, 1)), [[3.0]], [[4.0]]).tolist()
    [[24.5]]
    """

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        if self.inplace:
            self.destroy_map = {0: 0}

    def short_name(self):
        return "gemm"

    def __str__(self):
        return "Gemm{inplace}" if self.inplace else "Gemm"

    def with_inplace(self, k):
        """The in-place version (only ``C``, input 0, can be overwritten)."""
        assert k == 0, "Gemm can only overwrite C"
        return Gemm(inplace=True)

    def make_node(self, C, alpha, A, B, beta):
        from theanine.tensor.basic import as_tensor_variable, cast
        C, A, B = (as_tensor_variable(v) for v in (C, A, B))
        if C.ndim != 2 or A.ndim != 2 or B.ndim != 2:
            raise self.error(f"takes matrices C, A, B, got {C.ndim}-d, {A.ndim}-d and "
                             f"{B.ndim}-d", TypeError)
        dtype = C.dtype
        if A.dtype != dtype or B.dtype != dtype or np.dtype(dtype).kind != "f":
            raise self.error(f"C, A and B must share one float dtype, got {C.dtype}, "
                             f"{A.dtype} and {B.dtype}", TypeError)
        alpha, beta = (as_tensor_variable(s) for s in (alpha, beta))
        if alpha.ndim != 0 or beta.ndim != 0:
            raise self.error("alpha and beta must be scalars", TypeError)
        alpha = alpha if alpha.dtype == dtype else cast(alpha, dtype)
        beta = beta if beta.dtype == dtype else cast(beta, dtype)
        # C is the output's buffer: it has the product's shape, it does not broadcast.
        shape = []
        for k, (c, ab) in enumerate(zip(C.type.shape, (A.type.shape[0], B.type.shape[1]))):
            if c is not None and ab is not None and c != ab:
                raise self.error(f"C {_fmt(C)} has {c} in dim {k} but dot(A, B) has {ab}")
            shape.append(ab if c is None else c)
        if A.type.shape[1] is not None and B.type.shape[0] is not None and \
                A.type.shape[1] != B.type.shape[0]:
            raise self.error(f"A {_fmt(A)} and B {_fmt(B)} are not aligned")
        return Apply(self, [C, alpha, A, B, beta], [TensorType(dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import dot
        (C, alpha, A, B, beta), (g,) = inputs, output_grads
        return [beta * g, (g * dot(A, B)).sum(), alpha * dot(g, B.T),
                alpha * dot(A.T, g), (g * C).sum()]
