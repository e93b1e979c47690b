"""Ops that only shape how gradients flow.

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
