"""Ops that walk along one axis: running sums and products, and sorting orders.

Neither can be written with the elementwise and reduction primitives at a
reasonable cost (a running sum as a product with a triangular matrix is
quadratic), so each is a primitive of its own. ``theanine.tensor.extra_ops``
builds ``cumsum``, ``cumprod``, ``argsort`` and ``sort`` on them.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> Cumulative('sum', 0)(x).eval({x: np.array([1.0, 2.0, 3.0])}).tolist()
    [1.0, 3.0, 6.0]
    >>> Argsort(0)(x).eval({x: np.array([3.0, 1.0, 2.0])}).tolist()
    [1, 2, 0]
"""
from __future__ import annotations

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op


def _check_axis(op, x):
    if not -x.ndim <= op.axis < x.ndim or x.ndim == 0:
        raise op.error(f"axis {op.axis} is out of range for {x.type}", ValueError)


def _reversed_along(x, axis):
    index = [slice(None)] * x.ndim
    index[axis] = slice(None, None, -1)
    return x[tuple(index)]


class Cumulative(Op):
    """Running sum (``mode='sum'``) or product (``'prod'``) along ``axis``."""

    __props__ = ("mode", "axis")

    def __init__(self, mode, axis):
        if mode not in ("sum", "prod"):
            raise ValueError(f"Cumulative: mode must be 'sum' or 'prod', got {mode!r}")
        self.mode = mode
        self.axis = int(axis)

    def short_name(self):
        return f"cum{self.mode}"

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        _check_axis(self, x)
        return Apply(self, [x], [x.type])

    def grad(self, inputs, outputs, output_grads):
        # Each input entry feeds every later running value: the gradient is the
        # running sum of the output gradients taken from the far end.
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if self.mode == "sum":
            return [_reversed_along(Cumulative("sum", self.axis)(_reversed_along(g, self.axis)),
                                    self.axis)]
        # d out_j / d x_i = out_j / x_i for j >= i (undefined where x_i is 0, as in Theano)
        weighted = _reversed_along(Cumulative("sum", self.axis)(
            _reversed_along(g * out, self.axis)), self.axis)
        return [weighted / x]


class Argsort(Op):
    """The indices that sort ``x`` along ``axis`` (stable: ties keep their order)."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        _check_axis(self, x)
        return Apply(self, [x], [TensorType("int64", x.type.shape)])

    def grad(self, inputs, outputs, output_grads):
        return [None]
