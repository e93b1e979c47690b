"""Shape ops: shape, reshape, allocation, vectors of scalars, ranges, joins.

Example:
    >>> import theanine.tensor as T
    >>> x = T.matrix('x')
    >>> x.reshape((x.shape[0], 2, -1)).ndim
    3
"""
from __future__ import annotations

import math

import numpy as np

from theanine.graph.basic import Apply, Constant
from theanine.graph.type import TensorType
from theanine.ops.base import Op


def constant_value(var):
    """The value of ``var`` if it is known when building the graph, else None."""
    if isinstance(var, Constant):
        return var.data
    owner = var.owner
    if owner is None:
        return None
    if isinstance(owner.op, ShapeI):
        return owner.inputs[0].type.shape[owner.op.i]
    if isinstance(owner.op, MakeVector):
        values = [constant_value(v) for v in owner.inputs]
        if all(v is not None for v in values):
            return np.array(values, dtype=owner.outputs[0].dtype)
    if isinstance(owner.op, Shape):
        shape = owner.inputs[0].type.shape
        if all(s is not None for s in shape):
            return np.array(shape, dtype="int64")
    return None


def vector_entries(vec):
    """Per-entry static values (int or None) of an int vector of static length."""
    length = vec.type.shape[0]
    value = constant_value(vec)
    if value is not None:
        return [int(v) for v in value]
    if vec.owner is not None and isinstance(vec.owner.op, MakeVector):
        out = []
        for v in vec.owner.inputs:
            c = constant_value(v)
            out.append(None if c is None else int(c))
        return out
    if vec.owner is not None and isinstance(vec.owner.op, Shape):
        return list(vec.owner.inputs[0].type.shape)
    return [None] * (length or 0)


class Shape(Op):
    """The shape of a tensor, as an int64 vector."""

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))])

    def grad(self, inputs, outputs, output_grads):
        return [None]


class ShapeI(Op):
    """One entry of a tensor's shape, as an int64 scalar."""

    __props__ = ("i",)

    def __init__(self, i):
        self.i = int(i)

    def short_name(self):
        return f"shape[{self.i}]"

    def make_node(self, x):
        return Apply(self, [x], [TensorType("int64", ())])

    def grad(self, inputs, outputs, output_grads):
        return [None]


class SpecifyShape(Op):
    """Identity that states a static shape (checked when the function runs)."""

    __props__ = ("shape",)
    view_map = {0: 0}

    def __init__(self, shape):
        self.shape = tuple(shape)

    def make_node(self, x):
        if x.ndim != len(self.shape):
            raise self.error(f"{x.type} has {x.ndim} dimensions, shape {self.shape} has "
                             f"{len(self.shape)}")
        shape = tuple(a if a is not None else b for a, b in zip(self.shape, x.type.shape))
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        return [output_grads[0]]


class Reshape(Op):
    """Reshape to a (possibly symbolic) shape vector of static length ``ndim``."""

    __props__ = ("ndim",)
    view_map = {0: 0}

    def __init__(self, ndim):
        self.ndim = int(ndim)

    def make_node(self, x, shape):
        from theanine.tensor.basic import as_tensor_variable
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        if shape.ndim != 1 or shape.dtype[:3] not in ("int", "uin"):
            raise self.error(f"the shape must be a vector of integers, got {shape.type}",
                             TypeError)
        entries = vector_entries(shape)
        known = [e for e in entries if e is not None and e != -1]
        size = math.prod(x.type.shape) if None not in x.type.shape else None
        if entries.count(-1) > 1:
            raise self.error(f"only one dimension can be -1, got {entries}")
        if -1 in entries and size is not None and None not in entries:
            rest = math.prod(known)
            if rest == 0 or size % rest:
                raise self.error(f"cannot reshape {x.type} ({size} elements) to {entries}")
            entries = [size // rest if e == -1 else e for e in entries]
        entries = [None if e == -1 else e for e in entries]
        if size is not None and None not in entries and math.prod(entries) != size:
            raise self.error(f"cannot reshape {x.type} ({size} elements) to shape "
                             f"{tuple(entries)} ({math.prod(entries)} elements)")
        return Apply(self, [x, shape], [TensorType(x.dtype, entries)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import reshape, shape
        x = inputs[0]
        return [reshape(output_grads[0], shape(x), ndim=x.ndim), None]


class MakeVector(Op):
    """A vector made of scalars."""

    __props__ = ("dtype",)

    def __init__(self, dtype="int64"):
        self.dtype = dtype

    def make_node(self, *scalars):
        from theanine.tensor.basic import as_tensor_variable, cast
        scalars = [as_tensor_variable(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise self.error(f"entries must be scalars, got {s.type}", TypeError)
        scalars = [s if s.dtype == self.dtype else cast(s, self.dtype) for s in scalars]
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars),))])

    def grad(self, inputs, outputs, output_grads):
        if np.dtype(self.dtype).kind != "f":
            return [None] * len(inputs)
        g = output_grads[0]
        return [g[i] for i in range(len(inputs))]


class Alloc(Op):
    """A new array of the given shape filled with (a broadcast of) ``value``."""

    def make_node(self, value, *shape):
        from theanine.tensor.basic import as_tensor_variable, cast
        value = as_tensor_variable(value)
        shape = [as_tensor_variable(s) for s in shape]
        shape = [s if s.dtype == "int64" else cast(s, "int64") for s in shape]
        if len(shape) < value.ndim:
            raise self.error(f"value {value.type} has more dimensions than the shape")
        static = []
        for s in shape:
            c = constant_value(s)
            static.append(None if c is None else int(c))
        return Apply(self, [value] + shape, [TensorType(value.dtype, static)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.gradient import sum_to_type
        value = inputs[0]
        g = output_grads[0]
        if np.dtype(value.dtype).kind not in "fc":
            return [None] * len(inputs)
        return [sum_to_type(g, value.type)] + [None] * (len(inputs) - 1)


class ARange(Op):
    """``arange(start, stop, step)`` with symbolic scalar bounds."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, start, stop, step):
        from theanine.tensor.basic import as_tensor_variable
        start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
        values = [constant_value(v) for v in (start, stop, step)]
        length = None
        if all(v is not None for v in values):
            first, last, step_ = (np.asarray(v).item() for v in values)
            if step_ == 0:
                raise self.error("step must not be zero", ValueError)
            if all(isinstance(v, int) for v in (first, last, step_)):
                length = len(range(first, last, step_))
            else:  # NumPy's length for float ranges
                length = max(0, math.ceil((last - first) / step_))
        return Apply(self, [start, stop, step], [TensorType(self.dtype, (length,))])

    def grad(self, inputs, outputs, output_grads):
        return [None, None, None]


class Join(Op):
    """Concatenate tensors along ``axis``."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, *tensors):
        from theanine.tensor.basic import as_tensor_variable, cast
        from theanine.graph.dtypes import result_dtype
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors):
            raise self.error("all inputs must have the same number of dimensions, got "
                             + ", ".join(str(t.type) for t in tensors))
        if not 0 <= self.axis < ndim:
            raise self.error(f"axis {self.axis} out of range for {ndim} dimensions")
        dtype = result_dtype([t.dtype for t in tensors])
        tensors = [t if t.dtype == dtype else cast(t, dtype) for t in tensors]
        shape = []
        for d in range(ndim):
            dims = [t.type.shape[d] for t in tensors]
            if d == self.axis:
                shape.append(None if None in dims else sum(dims))
            else:
                known = {x for x in dims if x is not None}
                if len(known) > 1:
                    raise self.error(f"dimension {d} differs between inputs: "
                                     + ", ".join(str(t.type) for t in tensors))
                shape.append(known.pop() if known else None)
        return Apply(self, tensors, [TensorType(dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import getitem, shape as shape_of
        g = output_grads[0]
        grads, start = [], 0
        for t in inputs:
            size = t.type.shape[self.axis]
            size = size if size is not None else shape_of(t)[self.axis]
            stop = start + size
            index = (slice(None),) * self.axis + (slice(start, stop),)
            grads.append(getitem(g, index) if np.dtype(t.dtype).kind in "fc" else None)
            start = stop
        return grads
