"""Local rewrites: functions that look at one node and may offer a replacement.

A local rewriter is ``rewriter(node) -> None | list`` where the list holds one
replacement (or None: keep) per output of ``node``. :func:`rewrite_locally`
applies a list of them over the graph until nothing changes. A replacement
is accepted only when its type equals the old variable's type exactly (dtype
and static shape), so a rewrite can never change what broadcasting or the
dtype of a consumer sees; rewriters may therefore propose freely and let
this check reject the cases that do not fit.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> from theanine.ops.elemwise import Elemwise
    >>> def exp_log(node):
    ...     inner = node.inputs[0].owner
    ...     if is_elemwise(node, 'exp') and is_elemwise(inner, 'log'):
    ...         return [inner.inputs[0]]
    >>> x = T.vector('x')
    >>> fg = FunctionGraph([x], [T.exp(T.log(x)) * 2])
    >>> rewrite_locally(fg, [exp_log])
    1
    >>> len(fg.toposort())
    1
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Constant
from theanine.ops.elemwise import Elemwise

#: Safety net against rewriters that undo each other.
MAX_ROUNDS = 50


def rewrite_locally(fgraph, rewriters):
    """Apply ``rewriters`` to every node, sweep after sweep, until none applies."""
    total = 0
    for _ in range(MAX_ROUNDS):
        changes = _sweep(fgraph, rewriters)
        total += changes
        if not changes:
            break
    return total


def _sweep(fgraph, rewriters):
    order = fgraph.toposort()
    known = {id(n) for n in order}
    mapping, changes = {}, 0
    for node in order:
        for i, var in enumerate(node.inputs):
            if id(var) in mapping:
                node.inputs[i] = mapping[id(var)]
        for rewriter in rewriters:
            new = rewriter(node)
            if not new or not _fits(node.outputs, new):
                continue
            for old, repl in zip(node.outputs, new):
                if repl is not None and repl is not old:
                    mapping[id(old)] = mapping.get(id(repl), repl)
                    inherit_source(repl, known, node.source)
            changes += 1
            break
    fgraph.outputs = [mapping.get(id(v), v) for v in fgraph.outputs]
    return changes


def _fits(outputs, replacements):
    return len(outputs) == len(replacements) and all(
        new is None or _refines(old.type, new.type) for old, new in zip(outputs, replacements))


def _refines(old, new):
    """True if a value of type ``new`` can stand wherever one of type ``old`` is read.

    The same type, or a tensor type of the same dtype and rank that knows more of
    its static shape (``float32[20, 10]`` for ``float32[?, 10]``): a replacement
    may know its row count where the expression it replaces did not. A known
    length of 1 is not taken for an unknown one: it is how a rewrite that lost a
    broadcast would show (``x[1] * y[?]`` has ``y``'s length, not ``x``'s).

    >>> from theanine.graph.type import TensorType
    >>> _refines(TensorType('float32', (None,)), TensorType('float32', (20,)))
    True
    >>> _refines(TensorType('float32', (20,)), TensorType('float32', (None,)))
    False
    >>> _refines(TensorType('float32', (None,)), TensorType('float32', (1,)))
    False
    """
    if new == old:
        return True
    from theanine.graph.type import TensorType
    return isinstance(old, TensorType) and isinstance(new, TensorType) and \
        new.dtype == old.dtype and old.accepts_shape(new.shape) and \
        all(a == b or b != 1 for a, b in zip(old.shape, new.shape))


def inherit_source(var, known, source):
    """Give ``source`` to every node computing ``var`` whose id is not in ``known``.

    New nodes point at the user's line of the node they replace, so that a
    runtime error in them still names the line that built the expression.

    >>> import theanine.tensor as T
    >>> x = T.vector('x')
    >>> y = T.exp(x) * 2
    >>> inherit_source(y, set(), 'line 7')
    >>> y.owner.source, y.owner.inputs[0].owner.source
    ('line 7', 'line 7')
    """
    stack, seen = [var], set()
    while stack:
        node = stack.pop().owner
        if node is None or id(node) in known or id(node) in seen:
            continue
        seen.add(id(node))
        node.source = source
        stack.extend(node.inputs)


# ---------------------------------------------------------------- pattern helpers

def is_elemwise(node, *names):
    """True if ``node`` is an Elemwise node of one of the scalar ops ``names``."""
    return node is not None and isinstance(node.op, Elemwise) and \
        (not names or node.op.scalar_name in names)


def owner_if(var, op_class):
    """``var.owner`` if it applies an ``op_class`` op, else None."""
    node = var.owner
    return node if node is not None and isinstance(node.op, op_class) else None


def elemwise_owner(var, *names):
    """``var.owner`` if it is an Elemwise node of one of ``names``, else None."""
    node = var.owner
    return node if is_elemwise(node, *names) else None


def constant_fill(var):
    """The value every element of a constant ``var`` has, or None."""
    if not isinstance(var, Constant):
        return None
    data = np.asarray(var.data)
    if data.size == 0:
        return None
    first = data.flat[0]
    return first.item() if np.all(data == first) else None


def is_constant(var, value):
    """True if ``var`` is a constant whose every element equals ``value``."""
    fill = constant_fill(var)
    return fill is not None and fill == value
