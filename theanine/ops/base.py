"""The op contract.

An op declares in one place: its parameters (``__props__``, which define
equality and hashing so identical nodes can be merged), ``make_node`` (checks
the inputs and infers the output types, raising at build time) and ``grad``
(its derivative, written with theanine's own symbolic ops). Each backend maps
the op's class to a kernel in its table.

Example:
    >>> from theanine.ops.elemwise import Elemwise
    >>> Elemwise('add') == Elemwise('add')
    True
"""
from __future__ import annotations

from theanine.errors import ShapeError
from theanine.graph.source import describe, user_frame


class Op:
    """Base class of every primitive operation."""

    __props__: tuple = ()
    #: ``{output index: input index}`` when the output may be a view of that input.
    view_map: dict = {}

    def _props(self):
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        props = self._props()
        if not props:
            return type(self).__name__
        return f"{type(self).__name__}{{{', '.join(map(_short, props))}}}"

    __repr__ = __str__

    def make_node(self, *inputs):
        raise NotImplementedError

    def __call__(self, *inputs):
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def grad(self, inputs, outputs, output_grads):
        """Symbolic gradients with respect to each input (None where none flows)."""
        from theanine.errors import GradientError
        raise GradientError(f"{self} has no gradient")

    def error(self, message, exc=ShapeError):
        """An exception naming this op and the user's line that is building it."""
        return exc(f"{self.short_name()}: {message}{describe(user_frame())}")

    def short_name(self):
        return type(self).__name__


def _short(value):
    if isinstance(value, tuple):
        return "(" + ",".join(map(_short, value)) + ")"
    return str(value)
