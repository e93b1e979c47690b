"""Reductions over axes: sum, prod, max, min, all, any, argmax, argmin.

Example:
    >>> import theanine.tensor as T
    >>> x = T.matrix('x')
    >>> T.sum(x, axis=1).ndim, T.argmax(x, axis=1).dtype
    (1, 'int64')
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op

_NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min,
          "all": np.all, "any": np.any}


def normalize_axis(axis, ndim, op):
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise op.error(f"axis {a} is out of range for {ndim} dimensions")
        result.append(a % ndim if ndim else 0)
    if len(set(result)) != len(result):
        raise op.error(f"repeated axis in {axis}")
    return tuple(sorted(result))


def _reduced_dtype(kind, dtype):
    if kind in ("all", "any"):
        return "bool"
    if kind in ("sum", "prod"):
        return np.sum(np.zeros(1, dtype=dtype)).dtype.name
    return dtype


class Reduce(Op):
    """``kind`` ('sum', 'prod', 'max', 'min', 'all', 'any') over ``axis`` (a tuple)."""

    __props__ = ("kind", "axis")

    def __init__(self, kind, axis):
        self.kind = kind
        self.axis = tuple(axis)

    def short_name(self):
        return self.kind

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        if any(a >= x.ndim for a in self.axis):
            raise self.error(f"axis {self.axis} out of range for {x.type}")
        shape = tuple(s for i, s in enumerate(x.type.shape) if i not in self.axis)
        return Apply(self, [x], [TensorType(_reduced_dtype(self.kind, x.dtype), shape)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor import basic as T
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if np.dtype(x.dtype).kind not in "fc" or self.kind in ("all", "any"):
            return [None]
        pattern = []
        kept = iter(range(out.ndim))
        for i in range(x.ndim):
            pattern.append("x" if i in self.axis else next(kept))
        g_full = T.dimshuffle(g, pattern)
        if self.kind == "sum":
            return [T.second(x, g_full)]
        if self.kind == "prod":
            return [g_full * T.dimshuffle(out, pattern) / x]
        # max/min: the gradient goes to every element equal to the extreme.
        mask = T.eq(x, T.dimshuffle(out, pattern))
        return [T.cast(mask, x.dtype) * g_full]


class Argmax(Op):
    """Index of the largest (``kind='max'``) or smallest element along one axis or all."""

    __props__ = ("kind", "axis")

    def __init__(self, kind, axis):
        self.kind = kind
        self.axis = axis

    def short_name(self):
        return f"arg{self.kind}"

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        if self.axis is None:
            shape = ()
        else:
            shape = tuple(s for i, s in enumerate(x.type.shape) if i != self.axis)
        return Apply(self, [x], [TensorType("int64", shape)])

    def grad(self, inputs, outputs, output_grads):
        return [None]
