"""``ifelse(condition, then, else)``: Theano's lazy conditional.

``T.switch`` picks element by element and computes both of its arguments;
``ifelse`` picks whole values by one scalar condition and, in a compiled
function, computes only the branch it takes: the nodes that only the other
branch needs are not run (the linker puts each branch's own nodes in an
``if``/``else`` block, ``theanine/compile/linker.py``). Both branches must give
values of the same dtypes and ranks.

The gradient flows into the branch that was taken, zeros into the other, as in
Theano; computing it needs both branches' values, so a differentiated
``ifelse`` evaluates both.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> from theanine.ifelse import ifelse
    >>> a, b = T.dscalar('a'), T.dscalar('b')
    >>> f = theanine.function([a, b], ifelse(T.lt(a, b), a * 10, b * 100))
    >>> float(f(1.0, 2.0)), float(f(3.0, 2.0))
    (10.0, 200.0)
"""
from __future__ import annotations

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op


class IfElse(Op):
    """Inputs ``(condition, *then, *otherwise)``; ``n_outs`` outputs, one per branch value."""

    __props__ = ("n_outs",)

    def __init__(self, n_outs):
        self.n_outs = int(n_outs)
        # Each output is one of its two branch values, not a copy.
        self.view_map = {k: (1 + k, 1 + self.n_outs + k) for k in range(self.n_outs)}

    def make_node(self, condition, *branches):
        from theanine.tensor.basic import as_tensor_variable
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise self.error(f"the condition must be a scalar, got {condition.type}", TypeError)
        if len(branches) != 2 * self.n_outs:
            raise self.error(f"expected {self.n_outs} values in each branch, got "
                             f"{len(branches)} in all", TypeError)
        branches = [as_tensor_variable(v) for v in branches]
        then, otherwise = branches[:self.n_outs], branches[self.n_outs:]
        types = []
        for k, (a, b) in enumerate(zip(then, otherwise)):
            if a.dtype != b.dtype or a.ndim != b.ndim:
                raise self.error(f"value {k} of the branches differs: {a.type} if true, "
                                 f"{b.type} if false (cast or reshape one of them)", TypeError)
            shape = tuple(x if x == y else None for x, y in zip(a.type.shape, b.type.shape))
            types.append(TensorType(a.dtype, shape))
        return Apply(self, [condition, *then, *otherwise], types)

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import zeros_like
        condition, n = inputs[0], self.n_outs
        then, otherwise = inputs[1:1 + n], inputs[1 + n:]
        to_then = IfElse(n)(condition, *output_grads, *[zeros_like(v) for v in then])
        to_otherwise = IfElse(n)(condition, *[zeros_like(v) for v in otherwise], *output_grads)
        if n == 1:
            to_then, to_otherwise = [to_then], [to_otherwise]
        return [None, *to_then, *to_otherwise]


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is true, else ``else_branch``, lazily.

    Each branch is a variable or a list of them (the result has the same form).

    >>> import theanine, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> big, small = ifelse(T.gt(x.sum(), 0), [x * 2, x.max()], [x, x.min()])
    >>> [float(v) for v in theanine.function([x], [big.sum(), small])([1.0, 2.0])]
    [6.0, 2.0]
    """
    single = not isinstance(then_branch, (list, tuple))
    then = [then_branch] if single else list(then_branch)
    otherwise = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(then) != len(otherwise):
        raise ValueError(f"ifelse: the branches have {len(then)} and {len(otherwise)} values; "
                         f"they must have as many")
    outputs = IfElse(len(then))(condition, *then, *otherwise)
    outputs = [outputs] if len(then) == 1 else list(outputs)
    if name is not None:
        for k, out in enumerate(outputs):
            out.name = name if single else f"{name}[{k}]"
    return outputs[0] if single else outputs
