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
