"""Indexing: basic slicing (views), advanced integer indexing, and their updates.

An index is described by a *spec*, a tuple with one entry per indexed axis:
``('int', v)``, ``('slice', start, stop, step)`` or ``('adv',)``. Each ``v``,
``start``, ``stop``, ``step`` is None, a Python int (part of the op's identity)
or ``SYM``, meaning "the next symbolic input". Advanced entries always take
the next input (an integer or boolean tensor).

Example:
    >>> import theanine.tensor as T
    >>> x = T.matrix('x'); i = T.lscalar('i'); y = T.ivector('y')
    >>> x[i * 2:(i + 1) * 2].ndim, x[T.arange(y.shape[0]), y].ndim
    (2, 1)
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op

SYM = "$"


def spec_inputs(spec):
    """Number of symbolic inputs the spec takes after the indexed tensor."""
    count = 0
    for entry in spec:
        if entry[0] == "adv":
            count += 1
        else:
            count += sum(1 for part in entry[1:] if part == SYM)
    return count


def index_source(spec, names):
    """Python source of the index expression, e.g. ``'i0:i1, :'``."""
    names = iter(names)
    parts = []
    for entry in spec:
        if entry[0] == "adv":
            parts.append(next(names))
        elif entry[0] == "int":
            parts.append(next(names) if entry[1] == SYM else repr(entry[1]))
        else:
            bounds = [("" if p is None else next(names) if p == SYM else repr(p))
                      for p in entry[1:]]
            parts.append(":".join(bounds) if bounds[2] else f"{bounds[0]}:{bounds[1]}")
    text = ", ".join(parts)
    return text + "," if len(parts) == 1 else text


def _basic_dim(entry, dim):
    """Static length of one sliced dimension (None when unknown)."""
    _, start, stop, step = entry
    if (start, stop, step) == (None, None, None):
        return dim
    if dim is None or SYM in (start, stop, step):
        return None
    return len(range(dim)[slice(start, stop, step)])


def _check_inputs(op, x, indices, spec):
    if len(spec) > x.ndim:
        raise op.error(f"too many indices ({len(spec)}) for {x.type}", IndexError)
    for entry, dim, axis in zip(spec, x.type.shape, range(x.ndim)):
        if entry[0] == "int" and isinstance(entry[1], int) and dim is not None and \
                not -dim <= entry[1] < dim:
            raise op.error(f"index {entry[1]} is out of bounds for axis {axis} with size {dim}",
                           IndexError)
    for idx in indices:
        if idx.dtype[:3] not in ("int", "uin", "boo"):
            raise op.error(f"indices must be integers, got {idx.type}", IndexError)


def basic_shape(x_shape, spec):
    shape = []
    for axis, dim in enumerate(x_shape):
        if axis >= len(spec):
            shape.append(dim)
        elif spec[axis][0] == "slice":
            shape.append(_basic_dim(spec[axis], dim))
    return tuple(shape)


class Subtensor(Op):
    """``x[spec]`` with slices and integer scalars (the result is a view)."""

    __props__ = ("spec",)
    view_map = {0: 0}

    def __init__(self, spec):
        self.spec = tuple(spec)

    def short_name(self):
        return f"x[{index_source(self.spec, [f'i{k}' for k in range(spec_inputs(self.spec))])}]"

    def make_node(self, x, *indices):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        indices = [as_tensor_variable(i) for i in indices]
        _check_inputs(self, x, indices, self.spec)
        for i in indices:
            if i.ndim != 0:
                raise self.error(f"slice bounds and scalar indices must be scalars, got {i.type}",
                                 IndexError)
        return Apply(self, [x] + indices, [TensorType(x.dtype, basic_shape(x.type.shape,
                                                                            self.spec))])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import zeros_like
        x, indices = inputs[0], inputs[1:]
        if np.dtype(x.dtype).kind not in "fc":
            return [None] * len(inputs)
        inc = IncSubtensor(self.spec, set_instead_of_inc=False)
        return [inc(zeros_like(x), output_grads[0], *indices)] + [None] * len(indices)


class IncSubtensor(Op):
    """A copy of ``x`` with ``x[spec]`` incremented by (or set to) ``y``."""

    __props__ = ("spec", "set_instead_of_inc")

    def __init__(self, spec, set_instead_of_inc=False):
        self.spec = tuple(spec)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def short_name(self):
        return "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"

    def make_node(self, x, y, *indices):
        from theanine.tensor.basic import as_tensor_variable, cast
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        indices = [as_tensor_variable(i) for i in indices]
        _check_inputs(self, x, indices, self.spec)
        if y.dtype != x.dtype:
            y = cast(y, x.dtype)
        target = basic_shape(x.type.shape, self.spec)
        _check_broadcast(self, y, target)
        return Apply(self, [x, y] + indices, [x.type])

    def grad(self, inputs, outputs, output_grads):
        from theanine.gradient import sum_to_type
        x, y, indices = inputs[0], inputs[1], inputs[2:]
        g = output_grads[0]
        if np.dtype(x.dtype).kind not in "fc":
            return [None] * len(inputs)
        gx = IncSubtensor(self.spec, True)(g, 0, *indices) if self.set_instead_of_inc else g
        gy = sum_to_type(Subtensor(self.spec)(g, *indices), y.type)
        return [gx, gy] + [None] * len(indices)


def _check_broadcast(op, y, target):
    if y.ndim > len(target):
        raise op.error(f"value {y.type} has more dimensions than the indexed part "
                       f"{TensorType(y.dtype, target)}")
    for a, b in zip(reversed(y.type.shape), reversed(target)):
        if a is not None and b is not None and a != b and a != 1:
            raise op.error(f"value {y.type} does not fit the indexed part of shape "
                           f"{tuple(target)}")


def advanced_shape(x_shape, spec, index_types):
    """Static result shape of NumPy advanced indexing."""
    index_types = iter(index_types)
    adv_shapes, adv_positions, basic = [], [], []
    axis = 0
    for position, entry in enumerate(spec):
        if entry[0] == "adv":
            t = next(index_types)
            if t.dtype == "bool":
                adv_shapes.append((None,))
                axis += t.ndim
            else:
                adv_shapes.append(t.shape)
                axis += 1
            adv_positions.append(position)
        elif entry[0] == "int":
            adv_shapes.append(())
            adv_positions.append(position)
            axis += 1
        else:
            basic.append((position, _basic_dim(entry, x_shape[axis])))
            axis += 1
    rest = list(x_shape[axis:])
    ndim = max(len(s) for s in adv_shapes)
    padded = [(None,) * 0 + (1,) * (ndim - len(s)) + tuple(s) for s in adv_shapes]
    adv = []
    for dims in zip(*padded):
        known = {d for d in dims if d is not None and d != 1}
        adv.append(known.pop() if len(known) == 1 else
                   1 if all(d == 1 for d in dims) else None)
    contiguous = adv_positions == list(range(adv_positions[0], adv_positions[-1] + 1))
    before = [dim for position, dim in basic if position < adv_positions[0]]
    after = [dim for position, dim in basic if position > adv_positions[0]]
    if contiguous:
        return tuple(before + adv + after + rest)
    return tuple(adv + before + after + rest)


class AdvancedSubtensor(Op):
    """``x[spec]`` where some entries are integer or boolean index tensors (a copy)."""

    __props__ = ("spec",)

    def __init__(self, spec):
        self.spec = tuple(spec)

    def short_name(self):
        return "advanced_subtensor"

    def make_node(self, x, *indices):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        indices = [as_tensor_variable(i) for i in indices]
        _check_inputs(self, x, indices, self.spec)
        adv_types = _adv_types(self.spec, indices)
        shape = advanced_shape(x.type.shape, self.spec, adv_types)
        return Apply(self, [x] + indices, [TensorType(x.dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor.basic import zeros_like
        x, indices = inputs[0], inputs[1:]
        if np.dtype(x.dtype).kind not in "fc":
            return [None] * len(inputs)
        inc = AdvancedIncSubtensor(self.spec, set_instead_of_inc=False)
        return [inc(zeros_like(x), output_grads[0], *indices)] + [None] * len(indices)


def _adv_types(spec, indices):
    indices = iter(indices)
    types = []
    for entry in spec:
        if entry[0] == "adv":
            types.append(next(indices).type)
        else:
            for part in entry[1:]:
                if part == SYM:
                    next(indices)
    return types


class AdvancedIncSubtensor(Op):
    """A copy of ``x`` with ``x[spec]`` incremented by ``y`` (repeated indices add up)."""

    __props__ = ("spec", "set_instead_of_inc")

    def __init__(self, spec, set_instead_of_inc=False):
        self.spec = tuple(spec)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def short_name(self):
        return "advanced_set_subtensor" if self.set_instead_of_inc else "advanced_inc_subtensor"

    def make_node(self, x, y, *indices):
        from theanine.tensor.basic import as_tensor_variable, cast
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        indices = [as_tensor_variable(i) for i in indices]
        _check_inputs(self, x, indices, self.spec)
        if y.dtype != x.dtype:
            y = cast(y, x.dtype)
        target = advanced_shape(x.type.shape, self.spec, _adv_types(self.spec, indices))
        _check_broadcast(self, y, target)
        return Apply(self, [x, y] + indices, [x.type])

    def grad(self, inputs, outputs, output_grads):
        from theanine.gradient import sum_to_type
        x, y, indices = inputs[0], inputs[1], inputs[2:]
        g = output_grads[0]
        if np.dtype(x.dtype).kind not in "fc":
            return [None] * len(inputs)
        gx = (AdvancedIncSubtensor(self.spec, True)(g, 0, *indices)
              if self.set_instead_of_inc else g)
        gy = sum_to_type(AdvancedSubtensor(self.spec)(g, *indices), y.type)
        return [gx, gy] + [None] * len(indices)
