"""Constant folding: compute at compile time what depends on constants only.

A node whose inputs are all :class:`~theanine.graph.basic.Constant` runs
once, with its NumPy kernel, and its outputs become constants. Random ops
never qualify: they read a shared generator, which is not a constant. The
shape of a variable whose static shape is known folds too (``Shape``,
``ShapeI``). A result much larger than the constants it comes from (an
``Alloc`` of zeros, a broadcast) is not folded, so that folding never makes
a compiled function hold large arrays it could compute cheaply.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> x = T.vector('x')
    >>> fg = FunctionGraph([x], [x * (T.constant(2.0) + 1.0)])
    >>> constant_fold(fg) > 0
    True
    >>> fg.outputs[0].owner.inputs[1]
    Constant{[3.]}
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Constant
from theanine.graph.type import TensorType
from theanine.ops.shape import Shape, ShapeI
from theanine.rewrite import register_pass
from theanine.rewrite.local import rewrite_locally

#: Results up to this many elements always fold, whatever the inputs' size.
SMALL = 1024


def fold_constants(node):
    """Outputs of a node with only constant inputs, as constants."""
    if not node.inputs or not all(isinstance(v, Constant) for v in node.inputs):
        return None
    if not all(isinstance(o.type, TensorType) for o in node.outputs):
        return None
    if getattr(node.op, "destroy_map", None):
        return None
    budget = max(SMALL, sum(np.size(v.data) for v in node.inputs))
    if any(None not in o.type.shape and int(np.prod(o.type.shape)) > budget
           for o in node.outputs):
        return None
    from theanine.backends.numpy_backend import NumpyBackend
    try:
        values = NumpyBackend().kernel(node)(*[v.data for v in node.inputs])
    except Exception:
        # Leave the node to fail when the function runs, where the error names
        # the user's line and the values involved.
        return None
    values = values if len(node.outputs) > 1 else (values,)
    result = []
    for out, value in zip(node.outputs, values):
        array = np.array(value, dtype=out.type.dtype)
        if array.size > budget or not out.type.accepts_shape(array.shape):
            return None
        result.append(Constant(out.type, array))
    return result


def fold_static_shape(node):
    """``Shape``/``ShapeI`` of a variable whose static shape is known."""
    if isinstance(node.op, ShapeI):
        size = node.inputs[0].type.shape[node.op.i]
        return None if size is None else [_int64(size)]
    if isinstance(node.op, Shape):
        shape = node.inputs[0].type.shape
        return None if None in shape else [_int64(shape, node.outputs[0].type)]
    return None


def _int64(value, type_=None):
    array = np.array(value, dtype="int64")
    return Constant(type_ or TensorType("int64", array.shape), array)


REWRITERS = [fold_static_shape, fold_constants]


@register_pass("constant_fold")
def constant_fold(fgraph):
    """Replace constant subexpressions and known shapes by constants."""
    return rewrite_locally(fgraph, REWRITERS)
