"""NumPy kernels of the pooling ops: one strided slice per window tap.

A pooling window of ``wh x ww`` taps is computed as ``wh * ww`` whole-array
operations, one per tap: the slice ``x[..., a::stride_h, b::stride_w]`` holds
tap ``(a, b)`` of every window at once. This beats reshaping into windows and
reducing over small axes (NumPy reduces short axes slowly) by ~20x for LeNet's
2x2 pooling. Padding and the partial windows of ``ignore_border=False`` are
handled by placing the input on a larger *canvas* filled with a value that
cannot win: -inf for max, 0 for sums. Large inputs are split along the leading
axis that is outermost in memory and the slices pooled on several cores at once.

Arrays are created with ``np.*_like`` from the inputs and everything else is
ufuncs, so the same kernels run on CuPy arrays (the CuPy backend uses them).

The max gradient goes to the first maximum of each window in row-major tap
order: tap ``k`` wins where it equals the maximum and no earlier tap did.

Example:
    >>> import numpy as np
    >>> from theanine.backends.numpy_pool import pool
    >>> x = np.array([[1., 5., 2.], [3., 4., 0.]])
    >>> pool(x, (2, 2), True, (2, 2), (0, 0), 'max').tolist()
    [[5.0]]
    >>> pool(x, (2, 2), False, (2, 2), (0, 0), 'sum').tolist()
    [[13.0, 2.0]]
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from theanine.backends import numpy_parallel
from theanine.backends.numpy_backend import register
from theanine.ops import pool as pool_ops


class Plan(NamedTuple):
    """What pooling one image size needs, computed once per shape and parameters."""

    out_hw: tuple       # pooled (rows, cols)
    direct: bool        # the windows lie inside the input: no canvas needed
    canvas_hw: tuple    # (rows, cols) of the canvas the input is placed on
    interior: tuple     # index of the input on the canvas
    taps: tuple         # index of each window tap on the canvas, row-major
    overlap: bool       # windows share elements (gradients must accumulate)
    tiles: bool         # the windows cover the input exactly, each element once
    divisor: object     # None, or the (rows, cols) element count of each window


@functools.lru_cache(maxsize=256)
def plan(image_hw, ws, ignore_border, stride, pad, mode):
    """The :class:`Plan` for images of ``image_hw`` (cached)."""
    out_hw = tuple(pool_ops.pool_output_size(image_hw[k], ws[k], stride[k], pad[k],
                                             ignore_border) for k in range(2))
    reach = [stride[k] * (out_hw[k] - 1) + ws[k] if out_hw[k] else 0 for k in range(2)]
    direct = pad == (0, 0) and reach[0] <= image_hw[0] and reach[1] <= image_hw[1]
    canvas_hw = tuple(max(reach[k], pad[k] + image_hw[k]) for k in range(2))
    interior = (Ellipsis, slice(pad[0], pad[0] + image_hw[0]),
                slice(pad[1], pad[1] + image_hw[1]))
    taps = tuple((Ellipsis, slice(a, a + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
                  slice(b, b + stride[1] * (out_hw[1] - 1) + 1, stride[1]))
                 for a in range(ws[0]) for b in range(ws[1]))
    overlap = stride[0] < ws[0] or stride[1] < ws[1]
    tiles = direct and stride == ws and tuple(reach) == tuple(image_hw)
    divisor = None
    if mode.startswith("average"):
        counts = []
        for k in range(2):
            start = np.arange(out_hw[k]) * stride[k]
            stop = start + ws[k]
            if mode == "average_exc_pad":
                start = np.maximum(start, pad[k])
                stop = np.minimum(stop, pad[k] + image_hw[k])
            else:
                stop = np.minimum(stop, image_hw[k] + 2 * pad[k])
            counts.append(stop - start)
        divisor = np.outer(*counts).astype(np.float64)
    return Plan(out_hw, direct, canvas_hw, interior, taps, overlap, tiles, divisor)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _canvas(x, p, fill):
    """``x`` itself when the windows lie inside it, else ``x`` placed on a filled canvas."""
    if p.direct:
        return x
    canvas = np.full_like(x, fill, shape=x.shape[:-2] + p.canvas_hw)
    canvas[p.interior] = x
    return canvas


def _plan_of(x, ws, ignore_border, stride, pad, mode):
    return plan(tuple(x.shape[-2:]), ws, ignore_border, stride, pad, mode)


def _split(kernel, result, *arrays):
    """``kernel(result, *arrays)``, run on slices of one leading axis on several cores.

    The axis is the leading (not pooled) one that is outermost in ``result``'s
    memory: the images of an NCHW array, the channels of a CHWN one seen as NCHW
    (a convolution's batch-innermost output), so that each core works on one
    contiguous block and every inner run stays whole (LeNet's first max-pool
    gradient: 7.2 ms split over the images of a CHWN array, 5.1 over its channels).
    """
    if result.size == 0:
        return result
    if result.ndim < 3 or not isinstance(result, np.ndarray):   # a GPU array: no threads
        kernel(result, *arrays)
        return result
    axis = max(range(result.ndim - 2),
               key=lambda a: abs(result.strides[a]) if result.shape[a] > 1 else -1)
    before = (slice(None),) * axis

    def job(s):
        index = before + (s,)
        kernel(result[index], *(a[index] for a in arrays))
    numpy_parallel.for_slices(job, result.shape[axis], arrays[0].size)
    return result


def pool(x, ws, ignore_border, stride, pad, mode):
    """Pool the last two axes of ``x`` (see :class:`theanine.ops.pool.Pool`)."""
    p = _plan_of(x, ws, ignore_border, stride, pad, mode)
    out = np.empty_like(x, shape=x.shape[:-2] + p.out_hw)
    return _split(functools.partial(_pool_into, p=p, is_max=mode == "max"), out, x)


def _pool_into(out, x, p, is_max):
    canvas = _canvas(x, p, _lowest(x.dtype) if is_max else 0)
    combine = np.maximum if is_max else np.add
    np.copyto(out, canvas[p.taps[0]])
    for tap in p.taps[1:]:
        combine(out, canvas[tap], out=out)
    if p.divisor is not None:
        np.copyto(out, out / np.asarray(p.divisor, like=out), casting="unsafe")


def _winners(canvas, out, taps):
    """For each tap, a boolean array: where that tap is its window's first maximum."""
    taken = None
    for k, tap in enumerate(taps):
        hit = np.equal(canvas[tap], out)
        if taken is None:
            taken = hit.copy(order="K")  # in the images' layout, as every operand here
            yield tap, hit
            continue
        first = np.greater(hit, taken)  # a maximum no earlier tap has claimed
        if k + 1 < len(taps):
            np.logical_or(taken, hit, out=taken)
        yield tap, first


def _gradient_canvas(grad, p):
    """Where a gradient accumulates: ``grad`` itself when the windows lie inside the input."""
    if not p.direct:
        return np.zeros_like(grad, shape=grad.shape[:-2] + p.canvas_hw)
    if not p.tiles:
        grad.fill(0)  # elements outside every window get no gradient
    return grad


def max_pool_grad(x, out, gz, ws, ignore_border, stride, pad):
    """Gradient of max pooling: each window's ``gz`` goes to its first maximum."""
    p = _plan_of(x, ws, ignore_border, stride, pad, "max")
    grad = np.zeros_like(x, dtype=gz.dtype) if gz.size == 0 else \
        np.empty_like(x, dtype=gz.dtype)
    return _split(functools.partial(_max_pool_grad_into, p=p), grad, x, out, gz)


def _max_pool_grad_into(grad, x, out, gz, p):
    target = _gradient_canvas(grad, p)
    canvas = _canvas(x, p, _lowest(x.dtype))
    for tap, first in _winners(canvas, out, p.taps):
        if p.overlap:
            target[tap] += first * gz
        else:
            np.multiply(first, gz, out=target[tap])
    if target is not grad:
        np.copyto(grad, target[p.interior])


def max_pool_grad_grad(x, out, ggx, ws, ignore_border, stride, pad):
    """Gradient of :func:`max_pool_grad` w.r.t. ``gz``: ``ggx`` read at each winner."""
    p = _plan_of(x, ws, ignore_border, stride, pad, "max")
    result = np.zeros_like(out, dtype=ggx.dtype)
    return _split(functools.partial(_max_pool_grad_grad_into, p=p), result, x, out, ggx)


def _max_pool_grad_grad_into(result, x, out, ggx, p):
    canvas = _canvas(x, p, _lowest(x.dtype))
    ggx = _canvas(ggx, p, 0)
    for tap, first in _winners(canvas, out, p.taps):
        result += first * ggx[tap]


def average_pool_grad(x, gz, ws, ignore_border, stride, pad, mode):
    """Gradient of sum/average pooling: ``gz`` (divided by the window count) spread back."""
    p = _plan_of(x, ws, ignore_border, stride, pad, mode)
    grad = np.zeros_like(x, dtype=gz.dtype) if gz.size == 0 else \
        np.empty_like(x, dtype=gz.dtype)
    return _split(functools.partial(_average_pool_grad_into, p=p), grad, x, gz)


def _average_pool_grad_into(grad, x, gz, p):
    target = _gradient_canvas(grad, p)
    share = gz if p.divisor is None else \
        (gz / np.asarray(p.divisor, like=gz)).astype(gz.dtype, copy=False)
    for tap in p.taps:
        if p.overlap:
            target[tap] += share
        else:
            np.copyto(target[tap], share)
    if target is not grad:
        np.copyto(grad, target[p.interior])


@register(pool_ops.Pool)
def _pool(node):
    op = node.op
    return lambda x: pool(x, op.ws, op.ignore_border, op.stride, op.pad, op.mode)


@register(pool_ops.MaxPoolGrad)
def _max_pool_grad(node):
    op = node.op
    return lambda x, out, gz: max_pool_grad(x, out, gz, op.ws, op.ignore_border, op.stride,
                                            op.pad)


@register(pool_ops.MaxPoolGradGrad)
def _max_pool_grad_grad(node):
    op = node.op
    return lambda x, out, ggx: max_pool_grad_grad(x, out, ggx, op.ws, op.ignore_border,
                                                  op.stride, op.pad)


@register(pool_ops.AveragePoolGrad)
def _average_pool_grad(node):
    op = node.op
    return lambda x, gz: average_pool_grad(x, gz, op.ws, op.ignore_border, op.stride, op.pad,
                                           op.mode)
