"""Softmax family: stable softmax, log-softmax and fused softmax cross-entropy.

These are ops rather than composites because their hand-written forms are
both numerically stable and one pass cheaper than the composed graph.

Example:
    >>> import theanine.tensor as T
    >>> T.nnet.softmax(T.matrix('z')).owner.op
    Softmax
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op


def _float_input(op, x):
    from theanine.tensor.basic import as_tensor_variable
    x = as_tensor_variable(x)
    if np.dtype(x.dtype).kind != "f":
        raise op.error(f"takes floating-point input, got {x.type}", TypeError)
    if x.ndim < 1:
        raise op.error(f"needs at least one dimension, got a scalar {x.type}")
    return x


class Softmax(Op):
    """``exp(x) / sum(exp(x))`` along the last axis, computed stably."""

    def make_node(self, x):
        x = _float_input(self, x)
        return Apply(self, [x], [x.type])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor import basic as T
        (sm,), (g,) = outputs, output_grads
        return [sm * (g - T.sum(g * sm, axis=-1, keepdims=True))]


class LogSoftmax(Op):
    """``log(softmax(x))`` along the last axis, computed stably."""

    def make_node(self, x):
        x = _float_input(self, x)
        return Apply(self, [x], [x.type])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor import basic as T
        (out,), (g,) = outputs, output_grads
        return [g - T.exp(out) * T.sum(g, axis=-1, keepdims=True)]


class CrossEntropySoftmax(Op):
    """Per-row ``-log(softmax(z))[i, y[i]]`` for integer labels ``y``, fused and stable.

    Its gradient with respect to ``z`` is ``(softmax(z) - onehot(y)) * g``,
    computed by :class:`CrossEntropySoftmaxGrad` from the same softmax.
    """

    def make_node(self, z, y):
        from theanine.tensor.basic import as_tensor_variable
        z, y = _float_input(self, z), as_tensor_variable(y)
        if z.ndim != 2 or y.ndim != 1 or y.dtype[:3] not in ("int", "uin"):
            raise self.error(f"takes a matrix of logits and a vector of integer labels, got "
                             f"{z.type} and {y.type}", TypeError)
        return Apply(self, [z, y], [TensorType(z.dtype, z.type.shape[:1]), z.type])

    def grad(self, inputs, outputs, output_grads):
        from theanine.tensor import basic as T
        z, y = inputs
        g_nll, g_sm = output_grads
        sm = outputs[1]
        gz = CrossEntropySoftmaxGrad()(g_nll, sm, y)
        if not _is_zeros(g_sm):
            # The softmax output is used too: add the softmax's own gradient.
            gz = gz + sm * (g_sm - T.sum(g_sm * sm, axis=-1, keepdims=True))
        return [gz, None]


def _is_zeros(g):
    """True for the ``zeros_like`` that ``grad`` passes for an unused output."""
    from theanine.ops.elemwise import Elemwise
    from theanine.ops.shape import constant_value
    if g is None:
        return True
    if g.owner is None or g.owner.op != Elemwise("second"):
        return False
    value = constant_value(g.owner.inputs[1])
    return value is not None and not np.any(value)


class CrossEntropySoftmaxGrad(Op):
    """``(softmax - onehot(y)) * g[:, None]``: the gradient of the fused cross-entropy."""

    def make_node(self, g, sm, y):
        from theanine.tensor.basic import as_tensor_variable, cast
        g = as_tensor_variable(g)
        if g.dtype != sm.dtype:
            g = cast(g, sm.dtype)
        return Apply(self, [g, sm, y], [sm.type])
