"""A private, rewritable copy of the graph that a function computes.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> x = T.vector('x')
    >>> fg = FunctionGraph([x], [x * 2 + 1])
    >>> len(fg.toposort())
    2
"""
from __future__ import annotations

from theanine.graph.basic import clone_replace, toposort


class FunctionGraph:
    """Inputs, outputs and the Apply nodes between them, owned by one compilation.

    The nodes are cloned from the user's graph (with ``givens`` substituted),
    so rewrites may change them in place without touching user variables.
    """

    def __init__(self, inputs, outputs, givens=None, clone=True):
        self.inputs = list(inputs)
        self.outputs = clone_replace(outputs, givens) if clone else list(outputs)

    def toposort(self):
        return toposort(self.outputs)

    def clients(self):
        """``{id(var): [(node, input index), ...]}``; outputs appear as ``('output', k)``."""
        result = {}
        for node in self.toposort():
            for i, var in enumerate(node.inputs):
                result.setdefault(id(var), []).append((node, i))
        for k, var in enumerate(self.outputs):
            result.setdefault(id(var), []).append(("output", k))
        return result

    def replace(self, old, new):
        """Make every user of ``old`` use ``new`` instead."""
        self.replace_all({id(old): new})

    def replace_all(self, mapping):
        """Apply several replacements ``{id(old): new}`` in one walk."""
        if not mapping:
            return
        for node in self.toposort():
            for i, var in enumerate(node.inputs):
                if id(var) in mapping:
                    node.inputs[i] = mapping[id(var)]
        self.outputs = [mapping.get(id(v), v) for v in self.outputs]
