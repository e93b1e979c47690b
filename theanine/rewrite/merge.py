"""The merge pass: identical nodes and equal constants become one.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> from theanine.rewrite.merge import merge
    >>> x = T.vector('x')
    >>> fg = FunctionGraph([x], [T.exp(x) + T.exp(x)])
    >>> merge(fg) > 0
    True
"""
from __future__ import annotations

from theanine.graph.basic import Constant
from theanine.rewrite import register_pass


@register_pass("merge")
def merge(fgraph):
    """Replace each node by an earlier one with the same op and inputs."""
    changes = 0
    constants, seen, mapping = {}, {}, {}
    for node in fgraph.toposort():
        for i, var in enumerate(node.inputs):
            if id(var) in mapping:
                node.inputs[i] = mapping[id(var)]
                var = node.inputs[i]
            if isinstance(var, Constant):
                key = var.signature()
                first = constants.setdefault(key, var)
                if first is not var:
                    node.inputs[i] = first
                    changes += 1
        key = (node.op, tuple(id(v) for v in node.inputs))
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = node
            continue
        for old, new in zip(node.outputs, earlier.outputs):
            mapping[id(old)] = new
        changes += 1
    fgraph.outputs = [mapping.get(id(v), v) for v in fgraph.outputs]
    return changes
