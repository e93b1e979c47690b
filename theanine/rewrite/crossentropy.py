"""Stabilizing the softmax cross-entropy of integer labels, forward and backward.

The tutorials' cost ``-mean(log(softmax(z))[arange(n), y])`` underflows
(``log(0)``) for confident wrong predictions, and the gradient that ``T.grad``
builds from it divides by the softmax, giving ``0/0``. These rewriters turn

* ``LogSoftmax(z)[arange(n), y]`` and ``log(softmax(z)[arange(n), y])`` into
  ``-CrossEntropySoftmax(z, y)[0]`` (the per-row negative log-likelihood);
* the gradient graph ``T.grad`` made of them, ``sm * (G - sum(G * sm, -1,
  keepdims))`` (Softmax's rule) or ``G - exp(logsm) * sum(G, -1, keepdims)``
  (LogSoftmax's), where ``G`` scatters the incoming row gradients ``g`` into
  zeros at ``[arange(n), y]`` (divided by the softmax on the way), into
  ``CrossEntropySoftmaxGrad(-g, sm, y) = (sm - onehot(y)) * g``;

and :func:`share_softmax` lets the remaining ``Softmax(z)`` use the softmax
that ``CrossEntropySoftmax(z, y)`` computes anyway. ``arange(n)`` must count
the rows of ``z`` or the labels ``y``: ``arange(y.shape[0])``,
``arange(z.shape[0])``, or a constant equal to a static row count.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> from theanine.rewrite.local import rewrite_locally
    >>> z, y = T.matrix('z'), T.ivector('y')
    >>> picked = T.nnet.log_softmax(z)[T.arange(y.shape[0]), y]
    >>> fg = FunctionGraph([z, y], [picked])
    >>> rewrite_locally(fg, REWRITERS)
    1
    >>> from theanine.printing import pprint
    >>> pprint(fg.outputs[0])
    'neg(CrossEntropySoftmax(z, y))'
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Constant, ancestors
from theanine.ops.blas import Dot
from theanine.ops.elemwise import DimShuffle, Elemwise
from theanine.ops.nnet import CrossEntropySoftmax, CrossEntropySoftmaxGrad, LogSoftmax, Softmax
from theanine.ops.reduce import Reduce
from theanine.ops.shape import Alloc, ARange, ShapeI
from theanine.ops.subtensor import AdvancedIncSubtensor, AdvancedSubtensor
from theanine.rewrite.local import elemwise_owner, is_constant, is_elemwise, owner_if

_ROWS_AND_LABELS = (("adv",), ("adv",))


def _tensor():
    from theanine.tensor import basic
    return basic


# ---------------------------------------------------------------- forward

def xent_from_logsoftmax(node):
    """``LogSoftmax(z)[arange(n), y]`` -> ``-CrossEntropySoftmax(z, y)[0]``."""
    z, y = _picked_rows(node, LogSoftmax)
    if z is None:
        return None
    return [_tensor().neg(CrossEntropySoftmax()(z, y)[0])]


def xent_from_log_of_softmax(node):
    """``log(softmax(z)[arange(n), y])`` -> ``-CrossEntropySoftmax(z, y)[0]``."""
    if not is_elemwise(node, "log") or node.inputs[0].owner is None:
        return None
    z, y = _picked_rows(node.inputs[0].owner, Softmax)
    if z is None:
        return None
    return [_tensor().neg(CrossEntropySoftmax()(z, y)[0])]


def _picked_rows(node, op_class):
    """``(z, y)`` if ``node`` is ``op_class(z)[arange(n), y]``, else ``(None, None)``."""
    if not isinstance(node.op, AdvancedSubtensor) or node.op.spec != _ROWS_AND_LABELS:
        return None, None
    source, rows, y = node.inputs
    inner = owner_if(source, op_class)
    if inner is None or not _is_labels(y) or not _counts_rows(rows, inner.inputs[0], y):
        return None, None
    if inner.inputs[0].ndim != 2:
        return None, None
    return inner.inputs[0], y


def _is_labels(y):
    return y.ndim == 1 and np.dtype(y.dtype).kind in "iu"


def _counts_rows(rows, z, y):
    """True if ``rows`` is ``arange(n)`` with ``n`` the number of rows of ``z`` or of ``y``."""
    static = {z.type.shape[0], y.type.shape[0]} - {None}
    if isinstance(rows, Constant):
        data = np.asarray(rows.data)
        return data.ndim == 1 and len(data) in static and \
            np.array_equal(data, np.arange(len(data)))
    node = owner_if(rows, ARange)
    if node is None:
        return False
    start, stop, step = node.inputs
    if not (is_constant(start, 0) and is_constant(step, 1)):
        return False
    if isinstance(stop, Constant):
        return int(stop.data) in static
    shape_node = owner_if(stop, ShapeI)
    return shape_node is not None and shape_node.op.i == 0 and \
        _row_source(shape_node.inputs[0]) in (_row_source(z), _row_source(y))


def _row_source(var):
    """The variable that ``var``'s first dimension comes from (same length, by construction)."""
    while var.owner is not None and var.ndim >= 1:
        op = var.owner.op
        if isinstance(op, Dot) and var.owner.inputs[0].ndim == 2:
            var = var.owner.inputs[0]
            continue
        if not isinstance(op, (Elemwise, Softmax, LogSoftmax)):
            break
        same = [v for v in var.owner.inputs
                if v.ndim == var.ndim and v.type.shape[0] == var.type.shape[0]]
        if not same:
            break
        var = same[0]
    return var


# ---------------------------------------------------------------- backward

def xent_grad_from_softmax_grad(node):
    """Softmax's gradient rule applied to a scattered cross-entropy gradient -> the fused grad."""
    parts = _softmax_grad_parts(node)
    found = _row_grads_over_softmax(*parts) if parts is not None else None
    if found is None:
        return None
    g, y = found
    return [CrossEntropySoftmaxGrad()(_tensor().neg(g), parts[1], y)]


def xent_grad_from_logsoftmax_grad(node):
    """LogSoftmax's gradient rule applied to a scattered gradient -> the fused grad."""
    if not is_elemwise(node, "sub"):
        return None
    scattered, scaled = node.inputs
    product = elemwise_owner(scaled, "mul")
    if product is None:
        return None
    for exp_var, row_sum in (product.inputs, product.inputs[::-1]):
        exp_node = elemwise_owner(exp_var, "exp")
        logsm = owner_if(exp_node.inputs[0], LogSoftmax) if exp_node else None
        if logsm is None or _row_sum_of(row_sum) is not scattered:
            continue
        z = logsm.inputs[0]
        scatter = _scatter(scattered, exp_var, z)
        if scatter is not None:
            g, y = scatter.inputs[1], scatter.inputs[3]
            return [CrossEntropySoftmaxGrad()(_tensor().neg(g), Softmax()(z), y)]
    return None


def _softmax_grad_parts(node):
    """``(G, sm)`` if ``node`` is ``sm * (G - sum(G * sm, axis=-1, keepdims=True))``."""
    if not is_elemwise(node, "mul"):
        return None
    for sm, rest in (node.inputs, node.inputs[::-1]):
        difference = elemwise_owner(rest, "sub")
        if owner_if(sm, Softmax) is None or difference is None or sm.ndim != 2:
            continue
        G, row_sum = difference.inputs
        summed = _row_sum_of(row_sum)
        product = elemwise_owner(summed, "mul") if summed is not None else None
        if product is not None and {id(v) for v in product.inputs} == {id(G), id(sm)}:
            return G, sm
    return None


def _row_sum_of(var):
    """``x`` if ``var`` is ``sum(x, axis=1, keepdims=True)`` of a matrix ``x``, else None."""
    keep = owner_if(var, DimShuffle)
    if keep is None or keep.op.new_order != (0, "x"):
        return None
    total = owner_if(keep.inputs[0], Reduce)
    if total is None or total.op.kind != "sum" or total.op.axis != (1,):
        return None
    return total.inputs[0]


def _row_grads_over_softmax(G, sm):
    """``(g, y)`` if ``G`` is ``scatter(g) / sm`` or ``scatter(g / sm[arange(n), y])``.

    ``scatter(v)`` is zeros of the softmax's shape incremented by ``v`` at
    ``[arange(n), y]``; either way Softmax's rule turns ``G`` into
    ``(onehot(y) - sm) * g``.
    """
    z = sm.owner.inputs[0]
    divided = elemwise_owner(G, "true_div")
    if divided is not None and divided.inputs[1] is sm:
        scatter = _scatter(divided.inputs[0], sm, z)
        return None if scatter is None else (scatter.inputs[1], scatter.inputs[3])
    scatter = _scatter(G, sm, z)
    if scatter is None:
        return None
    _, ratio, rows, y = scatter.inputs
    divided = elemwise_owner(ratio, "true_div")
    picked = divided.inputs[1].owner if divided is not None else None
    if picked is None or not isinstance(picked.op, AdvancedSubtensor) or \
            picked.op.spec != _ROWS_AND_LABELS or picked.inputs[0] is not sm or \
            picked.inputs[1] is not rows or picked.inputs[2] is not y:
        return None
    g = divided.inputs[0]
    return (g, y) if g.ndim <= 1 else None


def _scatter(G, like, z):
    """The node if ``G`` is ``zeros_like(like)`` incremented by a row vector at
    ``[arange(n), y]``, with ``n`` counting the rows of ``z``; else None."""
    node = owner_if(G, AdvancedIncSubtensor)
    if node is None or node.op.spec != _ROWS_AND_LABELS or node.op.set_instead_of_inc:
        return None
    zeros, g, rows, y = node.inputs
    if zeros.type.shape != like.type.shape or not _is_zeros(zeros) or not _is_labels(y) or \
            g.ndim > 1 or not _counts_rows(rows, z, y):
        return None
    return node


def _is_zeros(var):
    if is_constant(var, 0):
        return True
    fill = elemwise_owner(var, "second")
    if fill is not None:
        return is_constant(fill.inputs[1], 0)
    alloc = owner_if(var, Alloc)
    return alloc is not None and is_constant(alloc.inputs[0], 0)


# ---------------------------------------------------------------- sharing the softmax

def share_softmax(fgraph):
    """``Softmax(z)`` -> the softmax output of a ``CrossEntropySoftmax(z, y)`` in the graph."""
    fused = {}
    for node in fgraph.toposort():
        if isinstance(node.op, CrossEntropySoftmax):
            fused.setdefault(id(node.inputs[0]), node)
    mapping = {}
    for node in fgraph.toposort():
        xent = fused.get(id(node.inputs[0])) if isinstance(node.op, Softmax) else None
        if xent is None or any(v is node.outputs[0] for v in ancestors([xent.inputs[1]])):
            continue
        mapping[id(node.outputs[0])] = xent.outputs[1]
    fgraph.replace_all(mapping)
    return len(mapping)


REWRITERS = [xent_from_logsoftmax, xent_from_log_of_softmax, xent_grad_from_softmax_grad,
             xent_grad_from_logsoftmax_grad]
