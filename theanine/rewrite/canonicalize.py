"""Canonicalization: simpler, equivalent forms of common expressions.

Rewriters that remove work without changing the value:

* ``x * 1``, ``1 * x``, ``x + 0``, ``0 + x``, ``x - 0``, ``x / 1``, ``--x``,
  ``x ** 1`` -> ``x``; ``x ** 2`` -> ``sqr(x)``; a cast to ``x``'s own dtype;
* ``second(x, v)`` (a fill) -> ``v`` when ``v`` already has the result's shape;
  fills move outwards (``second(a, b) * c -> second(a, b * c)``) so that
  constants meet and fold; a value used only for its shape (by ``second`` or
  ``ShapeI``) is replaced by the cheaper input that has that shape;
* a dimshuffle of a dimshuffle becomes one, one that changes nothing goes; a
  unary op after a broadcast (``f(s.dimshuffle('x'))``) runs before it, where
  it fuses with the ops computing ``s``; ``sum(-x)`` -> ``-sum(x)``;
* a ``SpecifyShape`` that its input's type already guarantees goes;
* a slice of a unary elementwise result is taken first (``cast(y)[a:b]`` ->
  ``cast(y[a:b])``): the tutorials' ``T.cast(shared_y, 'int32')[index * n:...]``
  then casts one minibatch per step instead of the whole dataset;
* the fused cross-entropy gradient takes the mean's one-element row gradient
  as it is, without a fill to the number of rows;
* ``argmax(softmax(z), axis=-1)`` -> ``argmax(z, axis=-1)``: the same index
  without computing probabilities;
* an ``ifelse`` whose condition is a constant is the branch it picks.

Constants these rewrites expose are folded in the same sweeps. The driver
accepts a replacement only when its type equals the original's or knows more
of its static shape (never a length of 1 for an unknown one), so ``x + 0``
where the 0 broadcasts ``x`` to a bigger shape is kept.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> x = T.vector('x')
    >>> fg = FunctionGraph([x], [(-(-(x * 1.0))) ** 2])
    >>> canonicalize(fg) > 0
    True
    >>> fg.outputs[0].owner.op
    Elemwise{sqr}
"""
from __future__ import annotations

from theanine.graph.basic import Constant
from theanine.ops.elemwise import DimShuffle, Elemwise
from theanine.ops.nnet import CrossEntropySoftmaxGrad, LogSoftmax, Softmax
from theanine.ops.reduce import Argmax, Reduce
from theanine.ops.shape import ShapeI, SpecifyShape
from theanine.ops.subtensor import Subtensor
from theanine.rewrite import register_pass
from theanine.rewrite.constant_fold import fold_constants, fold_static_shape
from theanine.rewrite.local import (elemwise_owner, is_constant, is_elemwise, owner_if,
                                    rewrite_locally)

# Ops whose output has the static shape of some input with that same shape.
_SHAPE_PRESERVING = (Elemwise, Softmax, LogSoftmax)


def _tensor():
    from theanine.tensor import basic
    return basic


def useless_arithmetic(node):
    """``x*1``, ``1*x``, ``x+0``, ``0+x``, ``x-0``, ``x/1``, ``x**1`` -> ``x``; ``x**2`` -> sqr."""
    if not is_elemwise(node, "mul", "add", "sub", "true_div", "pow"):
        return None
    name, (a, b) = node.op.scalar_name, node.inputs
    neutral = 1 if name in ("mul", "true_div", "pow") else 0
    if is_constant(b, neutral):
        return [a]
    if name in ("mul", "add") and is_constant(a, neutral):
        return [b]
    if name == "pow" and is_constant(b, 2):
        return [_tensor().sqr(a)]
    return None


def double_negation(node):
    """``--x`` -> ``x``."""
    inner = elemwise_owner(node.inputs[0]) if is_elemwise(node, "neg") else None
    if is_elemwise(inner, "neg"):
        return [inner.inputs[0]]
    return None


def useless_cast(node):
    """A cast to the dtype its input already has."""
    if is_elemwise(node) and node.op.scalar_name.startswith("cast_") and \
            node.inputs[0].dtype == node.outputs[0].dtype:
        return [node.inputs[0]]
    return None


def useless_fill(node):
    """``second(x, v)`` -> ``v`` when ``v`` already has the result's type."""
    if is_elemwise(node, "second"):
        return [node.inputs[1]]
    return None


def fill_sink(node):
    """``f(second(a, b), c)`` -> ``second(a, f(b, c))``: fills move towards the outputs.

    Then constants inside ``b`` and ``c`` can fold, and the fill disappears
    where ``f(b, c)`` already has the full shape.
    """
    if not is_elemwise(node) or is_elemwise(node, "second"):
        return None
    for k, var in enumerate(node.inputs):
        fill = elemwise_owner(var, "second")
        if fill is None:
            continue
        inputs = list(node.inputs)
        inputs[k] = fill.inputs[1]
        inner = node.op(*inputs)
        if inner.type == node.outputs[0].type:
            return [inner]
        return [_tensor().second(fill.inputs[0], inner)]
    return None


def shape_only_use(node):
    """``second(f(x), v)`` -> ``second(x, v)`` when ``f`` keeps the shape of ``x``.

    The first input of ``second`` only gives a shape: asking it of a cheaper
    variable lets ``f(x)`` be dropped when nothing else needs it.
    ``ShapeI`` of such an ``f(x)`` asks ``x`` the same way.
    """
    if is_elemwise(node, "second"):
        dim = None
    elif isinstance(node.op, ShapeI):
        dim = node.op.i
    else:
        return None
    var = node.inputs[0]
    owner = var.owner
    if owner is None or not isinstance(owner.op, _SHAPE_PRESERVING):
        return None
    for source in owner.inputs:
        same = source.type.shape == var.type.shape if dim is None else \
            source.ndim == var.ndim and source.type.shape[dim] == var.type.shape[dim]
        if same:
            return [node.op(source, *node.inputs[1:])]
    return None


def merge_dimshuffles(node):
    """A dimshuffle of a dimshuffle is one dimshuffle; one that changes nothing goes."""
    if not isinstance(node.op, DimShuffle):
        return None
    x, order = node.inputs[0], node.op.new_order
    inner = x.owner
    if inner is not None and isinstance(inner.op, DimShuffle):
        order = tuple("x" if a == "x" else inner.op.new_order[a] for a in order)
        x = inner.inputs[0]
    if order == tuple(range(x.ndim)):
        return [x]
    if x is node.inputs[0]:
        return None
    return [DimShuffle(x.ndim, order)(x)]


def elemwise_below_broadcast(node):
    """``f(x.dimshuffle('x', 0))`` -> ``f(x).dimshuffle('x', 0)`` for unary ``f``.

    Only for dimshuffles that add or drop broadcast axes without reordering
    the others: then ``f`` meets the ops that compute ``x`` (a scalar chain
    fuses into one node) and no consumer loses a fusion it had.
    """
    if not is_elemwise(node) or len(node.inputs) != 1:
        return None
    shuffle = node.inputs[0].owner
    if shuffle is None or not isinstance(shuffle.op, DimShuffle):
        return None
    kept = [a for a in shuffle.op.new_order if a != "x"]
    if kept != sorted(kept):
        return None
    return [shuffle.op(node.op(shuffle.inputs[0]))]


def sum_of_negation(node):
    """``sum(-x)`` -> ``-sum(x)``: the negation then runs on the (smaller) sum."""
    if isinstance(node.op, Reduce) and node.op.kind == "sum":
        inner = elemwise_owner(node.inputs[0], "neg")
        if inner is not None:
            return [_tensor().neg(node.op(inner.inputs[0]))]
    return None


def sum_of_squares(node):
    """``sum(sqr(x))`` over every axis -> ``dot(x.ravel(), x.ravel())``.

    One BLAS pass over ``x`` instead of a squaring pass, a temporary and a
    reduction: the L2 terms of the tutorials' costs read each weight once.
    """
    if not isinstance(node.op, Reduce) or node.op.kind != "sum" or \
            len(node.op.axis) != node.inputs[0].ndim or node.inputs[0].ndim == 0:
        return None
    inner = elemwise_owner(node.inputs[0], "sqr")
    if inner is None or inner.inputs[0].dtype not in ("float32", "float64"):
        return None
    flat = _tensor().flatten(inner.inputs[0], 1)
    return [_tensor().dot(flat, flat)]


def row_gradient_fill(node):
    """``CrossEntropySoftmaxGrad(fill(a, g), sm, y)`` -> ``CrossEntropySoftmaxGrad(g, sm, y)``.

    The op broadcasts a one-element row gradient itself (the mean's ``1/n``
    for every row), so the fill and its broadcast copy are not needed.
    """
    if not isinstance(node.op, CrossEntropySoftmaxGrad):
        return None
    g, rest = node.inputs[0], node.inputs[1:]
    fill = elemwise_owner(g, "second")
    value = fill.inputs[1] if fill is not None else g
    shuffle = owner_if(value, DimShuffle)
    if shuffle is not None and shuffle.inputs[0].ndim == 0:
        value = shuffle.inputs[0]
    if value is g or value.type.shape not in ((), (1,)):
        return None
    return [node.op(value, *rest)]


def argmax_of_softmax(node):
    """``argmax(softmax(z), axis=-1)`` -> ``argmax(z, axis=-1)`` (``LogSoftmax`` too, argmin too).

    Both keep each row's order, so the row's index is the same: the tutorials'
    ``y_pred`` no longer computes the softmax it only ranks. Where ``z``'s best two
    values are so close that their probabilities round to one number, ``z``'s index
    is the exact one; as Theano did.
    """
    if not isinstance(node.op, Argmax) or node.op.axis is None:
        return None
    inner = owner_if(node.inputs[0], (Softmax, LogSoftmax))
    if inner is None or node.op.axis != node.inputs[0].ndim - 1:
        return None
    return [node.op(inner.inputs[0])]


def useless_specify_shape(node):
    """``SpecifyShape`` of a variable whose type already states that shape."""
    if isinstance(node.op, SpecifyShape):
        return [node.inputs[0]]
    return None


def slice_before_unary(node):
    """``f(x)[index]`` -> ``f(x[index])`` for a unary elementwise ``f`` and basic indexing."""
    if type(node.op) is not Subtensor:
        return None
    inner = elemwise_owner(node.inputs[0])
    if inner is None or len(inner.inputs) != 1:
        return None
    return [inner.op(node.op(inner.inputs[0], *node.inputs[1:]))]


def constant_condition(node):
    """``ifelse(c, then, else)`` with a constant ``c`` -> the branch ``c`` picks."""
    from theanine.ops.ifelse import IfElse
    if not isinstance(node.op, IfElse) or not isinstance(node.inputs[0], Constant):
        return None
    n = node.op.n_outs
    return list(node.inputs[1:1 + n] if node.inputs[0].data else node.inputs[1 + n:])


REWRITERS = [
    fold_static_shape, fold_constants, useless_arithmetic, double_negation, useless_cast,
    useless_fill, fill_sink, shape_only_use, merge_dimshuffles, elemwise_below_broadcast,
    sum_of_negation, sum_of_squares, row_gradient_fill, argmax_of_softmax,
    useless_specify_shape, slice_before_unary, constant_condition,
]


@register_pass("canonicalize")
def canonicalize(fgraph):
    """Rewrite the graph into its simpler canonical form."""
    return rewrite_locally(fgraph, REWRITERS)
