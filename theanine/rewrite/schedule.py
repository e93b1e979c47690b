"""Ordering the nodes of a compiled function.

Nodes run in topological order. A node that overwrites one of its inputs
(its op has a ``destroy_map``) must also run after every other reader of
that input and of every view of it (a transpose of a weight matrix read by
the backward pass, say); :func:`schedule` adds those edges and orders the
nodes.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> x = T.vector('x')
    >>> len(schedule(FunctionGraph([x], [T.exp(x) * 2]), []))
    2
"""
from __future__ import annotations

from theanine.graph.basic import toposort


class ScheduleCycleError(RuntimeError):
    """The destroy edges cannot be satisfied: some reader needs the destroyer's result."""


def aliases(var, order):
    """``var`` and every variable that is (a view of a view of...) a view of it."""
    from theanine.compile.linker import view_sources
    views = {}
    for node in order:
        for out in node.op.view_map:
            for inp in view_sources(node.op, out):
                views.setdefault(id(node.inputs[inp]), []).append(node.outputs[out])
    result, stack, seen = [], [var], set()
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            result.append(v)
            stack.extend(views.get(id(v), ()))
    return result


def dependencies(order):
    """``{id(node): set of ids of nodes that must run before it}``."""
    deps = {id(n): {id(v.owner) for v in n.inputs if v.owner is not None} for n in order}
    readers = {}
    for n in order:
        for v in n.inputs:
            readers.setdefault(id(v), []).append(n)
    for n in order:
        for in_index in getattr(n.op, "destroy_map", {}).values():
            for var in aliases(n.inputs[in_index], order):
                for reader in readers.get(id(var), ()):
                    if reader is not n:
                        deps[id(n)].add(id(reader))
    return deps


def schedule(fgraph, updates=()):
    """The Apply nodes of ``fgraph`` in an order that respects data and destroy edges."""
    order = toposort(fgraph.outputs)
    if not any(getattr(n.op, "destroy_map", None) for n in order):
        return order
    deps = dependencies(order)
    done, result = set(), []
    pending = list(order)
    while pending:
        for k, node in enumerate(pending):
            if deps[id(node)] <= done:
                break
        else:
            raise ScheduleCycleError("schedule: in-place operations form a cycle (a rewrite bug)")
        result.append(pending.pop(k))
        done.add(id(node))
    return result
