"""Ops that pass their input through: gradient control and run-time checks.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.gradient import zero_grad
    >>> x = T.dscalar('x')
    >>> float(T.grad(x * zero_grad(x), x).eval({x: 3.0}))
    3.0
"""
from __future__ import annotations

from theanine.graph.basic import Apply
from theanine.ops.base import Op


class ZeroGrad(Op):
    """Identity forward; no gradient backward."""

    view_map = {0: 0}

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def grad(self, inputs, outputs, output_grads):
        return [None]


class Assert(Op):
    """Passes ``x`` through after checking that every condition is true.

    ``Assert(message)(x, *conditions)``: each condition is a scalar computed
    with the graph; a false one stops the call with ``AssertionError(message)``,
    reported like any failure, with the user's line that built the check.
    Theano's ``Assert``; :func:`assert_op` is the function form.
    """

    __props__ = ("message",)
    view_map = {0: 0}

    def __init__(self, message="theanine assert failed"):
        self.message = message

    def __str__(self):
        return f"Assert{{{self.message!r}}}"

    def make_node(self, x, *conditions):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        conditions = [as_tensor_variable(c) for c in conditions]
        for k, c in enumerate(conditions):
            if c.ndim != 0:
                raise self.error(f"condition {k} must be a scalar, got {c.type}", TypeError)
        return Apply(self, [x, *conditions], [x.type])

    def grad(self, inputs, outputs, output_grads):
        return [output_grads[0]] + [None] * (len(inputs) - 1)


def assert_op(x, *conditions, message="theanine assert failed"):
    """``x``, once every scalar condition holds at run time; else ``AssertionError``.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> v = T.dvector('v')
    >>> f = theanine.function([v], assert_op(v * 2, T.gt(v.shape[0], 1), message='too short'))
    >>> f(np.array([1.0, 2.0])).tolist()
    [2.0, 4.0]
    """
    return Assert(message)(x, *conditions)
