"""Pooling over the last two axes, and its gradients, as ops.

``Pool`` takes the max, sum or average of each window of ``ws`` (rows, cols)
moved by ``stride`` over the last two axes of a tensor of any rank >= 2, after
``pad`` zeros on each side (padding needs ``ignore_border=True`` and is never
counted in a max or a sum). With ``ignore_border=False`` partial windows at the
far border are kept. The modes, as Theano's: 'max', 'sum', 'average_inc_pad'
(padding counts in the divisor) and 'average_exc_pad' (only real elements do).

The max gradient goes to one element per window, the *first* maximum in
row-major window order (Theano's own gradient gives it to every tied maximum).
Each gradient is an op whose gradient is another of them, so second derivatives
of pooled graphs work.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.tensor.signal.pool import pool_2d
    >>> pool_2d(T.tensor('float32', (None, 20, 24, 24)), ws=(2, 2), ignore_border=True).type.shape
    (None, 20, 12, 12)
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def pool_output_size(size, ws, stride, pad, ignore_border):
    """Number of windows along one axis of length ``size`` (None when ``size`` is).

    >>> pool_output_size(24, 2, 2, 0, True), pool_output_size(5, 2, 2, 0, False)
    (12, 3)
    >>> pool_output_size(5, 3, 1, 1, True)
    5
    """
    if size is None:
        return None
    if size == 0:
        return 0
    size += 2 * pad
    if ignore_border:
        return max((size - ws) // stride + 1, 0)
    if stride >= ws:
        return (size - 1) // stride + 1
    return max(0, (size - 1 - ws) // stride + 1) + 1


def _pair(value, what):
    value = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(value) != 2 or not all(isinstance(v, (int, np.integer)) for v in value):
        raise ValueError(f"{what} must be a pair of integers, got {value!r}")
    return (int(value[0]), int(value[1]))


class _PoolOp(Op):
    """Parameters and shape rules shared by pooling and its gradients."""

    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(self, ws, ignore_border=True, stride=None, pad=(0, 0), mode="max"):
        self.ws = _pair(ws, "ws")
        self.stride = self.ws if stride is None else _pair(stride, "stride")
        self.pad = _pair(pad, "pad")
        self.ignore_border = bool(ignore_border)
        self.mode = mode
        if min(self.ws) < 1 or min(self.stride) < 1:
            raise ValueError(f"pooling windows and strides must be >= 1, got ws={self.ws}, "
                             f"stride={self.stride}")
        if mode not in MODES:
            raise ValueError(f"pooling mode must be one of {MODES}, got {mode!r}")
        if min(self.pad) < 0 or self.pad[0] >= self.ws[0] or self.pad[1] >= self.ws[1]:
            raise ValueError(f"padding {self.pad} must be >= 0 and smaller than the window "
                             f"{self.ws} (a window of padding alone has no value)")
        if self.pad != (0, 0) and not self.ignore_border:
            raise ValueError("padding works only with ignore_border=True")

    def short_name(self):
        return f"pool_{self.mode}"

    def output_shape(self, shape):
        """Static output shape for an input of static ``shape``."""
        rows, cols = (pool_output_size(shape[-2 + k], self.ws[k], self.stride[k], self.pad[k],
                                       self.ignore_border) for k in range(2))
        return tuple(shape[:-2]) + (rows, cols)

    def _input(self, x):
        from theanine.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise self.error(f"pools over the last two axes; the input needs at least 2, got "
                             f"{x.type}", TypeError)
        if x.dtype == "bool" or np.dtype(x.dtype).kind not in "iuf":
            raise self.error(f"takes a numeric tensor, got {x.type}", TypeError)
        return x

    def _like(self, x, other, what):
        """``other`` as a tensor of ``x``'s dtype, checked against static shape ``what``."""
        from theanine.tensor.basic import as_tensor_variable, cast
        other = as_tensor_variable(other)
        if other.dtype != x.dtype:
            other = cast(other, x.dtype)
        expected = self.output_shape(x.type.shape) if what == "pooled" else x.type.shape
        if other.ndim != len(expected) or any(
                a is not None and b is not None and a != b
                for a, b in zip(other.type.shape, expected)):
            raise self.error(f"expected a {what} tensor of shape {expected}, got {other.type}")
        return other


class Pool(_PoolOp):
    """Max, sum or average over windows of the last two axes."""

    def make_node(self, x):
        x = self._input(x)
        return Apply(self, [x], [TensorType(x.dtype, self.output_shape(x.type.shape))])

    def grad(self, inputs, outputs, output_grads):
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if np.dtype(x.dtype).kind != "f":
            return [None]
        if self.mode == "max":
            return [MaxPoolGrad(*self._props())(x, out, g)]
        return [AveragePoolGrad(*self._props())(x, g)]


class MaxPoolGrad(_PoolOp):
    """Gradient of max pooling: ``gz`` of each window goes to its first maximum of ``x``.

    Inputs: ``x``, ``out`` (the pooled maxima) and ``gz`` (the gradient of ``out``).
    """

    def short_name(self):
        return "max_pool_grad"

    def make_node(self, x, out, gz):
        x = self._input(x)
        out, gz = self._like(x, out, "pooled"), self._like(x, gz, "pooled")
        return Apply(self, [x, out, gz], [x.type])

    def grad(self, inputs, outputs, output_grads):
        (x, out, _), (g,) = inputs, output_grads
        # The winners do not move under small changes of x, so only gz has a gradient.
        return [None, None, MaxPoolGradGrad(*self._props())(x, out, g)]


class MaxPoolGradGrad(_PoolOp):
    """Gradient of :class:`MaxPoolGrad` w.r.t. ``gz``: ``ggx`` read at each window's winner."""

    def short_name(self):
        return "max_pool_grad_grad"

    def make_node(self, x, out, ggx):
        x = self._input(x)
        out, ggx = self._like(x, out, "pooled"), self._like(x, ggx, "input-shaped")
        return Apply(self, [x, out, ggx], [out.type])

    def grad(self, inputs, outputs, output_grads):
        (x, out, _), (g,) = inputs, output_grads
        return [None, None, MaxPoolGrad(*self._props())(x, out, g)]


class AveragePoolGrad(_PoolOp):
    """Gradient of sum and average pooling: ``gz`` spread over each window's elements.

    Inputs: ``x`` (only its shape is used) and ``gz``.
    """

    def short_name(self):
        return f"{self.mode}_pool_grad"

    def make_node(self, x, gz):
        x = self._input(x)
        gz = self._like(x, gz, "pooled")
        return Apply(self, [x, gz], [x.type])

    def grad(self, inputs, outputs, output_grads):
        # Linear in gz; its adjoint is the pooling itself.
        (g,) = output_grads
        return [None, Pool(*self._props())(g)]
