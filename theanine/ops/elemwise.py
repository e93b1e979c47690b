"""Elementwise operations with NumPy broadcasting, and dimension shuffling.

Broadcasting follows Theano: inputs with fewer dimensions are padded on the
left, and a dimension stretches only when its static size is 1. Python
scalars are weak (``x * 0.5`` keeps ``x``'s dtype).

Example:
    >>> import theanine.tensor as T
    >>> x = T.fmatrix('x'); b = T.fvector('b')
    >>> (x + b).type
    TensorType(float32, shape=(None, None))
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply, Constant
from theanine.graph.dtypes import result_dtype
from theanine.graph.type import TensorType
from theanine.ops.base import Op
from theanine.ops.scalar import SCALAR_OPS, ScalarOp, cast_op

_FLOAT_FOR = {"bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32",
              "uint16": "float32"}


def float_dtype_for(dtype):
    """The float dtype that a math function of an integer ``dtype`` returns (as Theano)."""
    if np.dtype(dtype).kind in "fc":
        return dtype
    from theanine.config import config
    return _FLOAT_FOR.get(dtype, "float64") if config.floatX == "float32" else "float64"


def _is_weak(value):
    return isinstance(value, (bool, int, float)) and not isinstance(value, np.generic)


def broadcast_static_shapes(shapes, op):
    """Static result shape of broadcasting ``shapes`` (all of one length)."""
    out = []
    for dims in zip(*shapes):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise op.error(f"cannot broadcast shapes {' and '.join(map(_fmt, shapes))}: "
                           f"sizes {sorted(known)} differ")
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _fmt(shape):
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _pad_left(var, ndim, dimshuffle):
    """``var`` with broadcastable dimensions added on the left up to ``ndim``."""
    if var.ndim == ndim:
        return var
    if isinstance(var, Constant):
        data = var.data.reshape((1,) * (ndim - var.ndim) + var.data.shape)
        return Constant(TensorType(var.dtype, data.shape), data, name=var.name)
    return dimshuffle(var, ("x",) * (ndim - var.ndim) + tuple(range(var.ndim)))


class Elemwise(Op):
    """Apply one :class:`ScalarOp` elementwise, broadcasting its inputs."""

    __props__ = ("scalar_name",)

    def __init__(self, scalar_op):
        if isinstance(scalar_op, ScalarOp):
            scalar_op = scalar_op.name
        self.scalar_name = scalar_op
        self.scalar_op = SCALAR_OPS[scalar_op]
        if self.scalar_name == "second":
            self.view_map = {0: 1}
        elif self.scalar_name == "identity":
            self.view_map = {0: 0}

    def short_name(self):
        return self.scalar_name

    def __str__(self):
        return f"Elemwise{{{self.scalar_name}}}"

    def __reduce__(self):
        # Pickled by name: the scalar op holds functions that pickle cannot store.
        return elemwise, (self.scalar_name,)

    def make_node(self, *inputs):
        from theanine.tensor.basic import as_tensor_variable, cast, dimshuffle
        sop, name = self.scalar_op, self.scalar_name
        if len(inputs) != sop.nin:
            raise self.error(f"takes {sop.nin} inputs, got {len(inputs)}", TypeError)
        # The operands whose dtypes meet: all of them, except the shape-giving
        # first input of ``second`` and the condition of ``switch``.
        first_value = {"second": 1, "switch": 1}.get(name, 0)
        values = inputs[first_value:]
        weak = [x for x in values if _is_weak(x)]
        strong = [as_tensor_variable(x).dtype for x in values if not _is_weak(x)]
        rule = sop.dtype_rule
        is_cast = rule not in ("promote", "float", "bool", "last")
        value_dtype = result_dtype(strong, weak)
        if rule == "float":
            value_dtype = float_dtype_for(value_dtype)
        out_dtype = "bool" if rule == "bool" else rule if is_cast else value_dtype
        variables = []
        for position, x in enumerate(inputs):
            if position < first_value:
                want = "bool" if name == "switch" else None
            else:
                want = None if is_cast else value_dtype
            if _is_weak(x):
                x = as_tensor_variable(np.asarray(x, dtype=want or None))
            x = as_tensor_variable(x)
            if want is not None and x.dtype != want:
                x = cast(x, want)
            variables.append(x)
        ndim = max(v.ndim for v in variables)
        variables = [_pad_left(v, ndim, dimshuffle) for v in variables]
        shape = broadcast_static_shapes([v.type.shape for v in variables], self)
        return Apply(self, variables, [TensorType(out_dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        from theanine.gradient import sum_to_type
        rule = self.scalar_op.grad
        if rule is None:
            return [None] * len(inputs)
        grads = rule(inputs, outputs[0], output_grads[0])
        result = []
        for x, g in zip(inputs, grads):
            if g is None or np.dtype(x.dtype).kind not in "fc":
                result.append(None)
            else:
                result.append(sum_to_type(g, x.type))
        return result


def elemwise(name):
    """The Elemwise op for scalar op ``name`` (``'add'``, ``'tanh'``, ``'cast_int32'``...).

    >>> elemwise('cast_int16').scalar_op.dtype_rule
    'int16'
    """
    if name.startswith("cast_"):
        cast_op(name[len("cast_"):])  # cast ops enter the table when first asked for
    return Elemwise(name)


def cast_elemwise(dtype):
    return Elemwise(cast_op(np.dtype(dtype).name))


class DimShuffle(Op):
    """Reorder dimensions, insert broadcastable ones (``'x'``) and drop size-1 ones.

    ``new_order`` lists input axes and ``'x'``; input axes left out must have
    static size 1.
    """

    __props__ = ("input_ndim", "new_order")
    view_map = {0: 0}

    def __init__(self, input_ndim, new_order):
        self.input_ndim = int(input_ndim)
        self.new_order = tuple(new_order)
        axes = [a for a in self.new_order if a != "x"]
        if len(set(axes)) != len(axes) or any(not 0 <= a < input_ndim for a in axes):
            raise ValueError(f"dimshuffle{self.new_order} is not a valid pattern for "
                             f"{input_ndim} dimensions")
        self.dropped = tuple(a for a in range(input_ndim) if a not in axes)
        kept = [a for a in self.new_order if a != "x"]
        self.perm = tuple(kept) + self.dropped
        index, position = [], 0
        for a in self.new_order:
            if a == "x":
                index.append(None)
            else:
                index.append(slice(None))
                position += 1
        index.extend([0] * len(self.dropped))
        self.index = tuple(index)

    def short_name(self):
        return "dimshuffle"

    def __str__(self):
        return f"DimShuffle{{{','.join(map(str, self.new_order))}}}"

    def make_node(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        if x.ndim != self.input_ndim:
            raise self.error(f"pattern {self.new_order} is for {self.input_ndim} dimensions, "
                             f"input has {x.ndim} ({x.type})")
        for a in self.dropped:
            if x.type.shape[a] != 1:
                raise self.error(f"cannot drop dimension {a} of {x.type}: only dimensions of "
                                 f"static size 1 can be dropped")
        shape = tuple(1 if a == "x" else x.type.shape[a] for a in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if np.dtype(x.dtype).kind not in "fc":
            return [None]
        # Undo the shuffle: drop the inserted axes (size 1), put dropped ones back.
        from theanine.tensor.basic import dimshuffle
        order = []
        for a in range(self.input_ndim):
            order.append(self.new_order.index(a) if a in self.new_order else "x")
        return [dimshuffle(g, order)]
