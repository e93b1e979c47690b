"""NumPy kernels of the convolution ops: im2col, matrix products, col2im.

A convolution is a matrix product: the filters as an ``(F, C*kh*kw)`` matrix
times the *columns*, whose column ``j`` holds output position ``j``'s receptive
field. The columns are gathered with ``kh*kw`` strided copies, one per filter
tap, and the gradient with respect to the images scatters them back with
``kh*kw`` strided adds (col2im); both beat fancy indexing with index arrays
(``np.take``, ``np.add.at``) several times over.

NumPy pays a fixed cost per innermost run of a strided copy, so the columns
take one of two layouts, chosen per shape:

* batch innermost (CHWN), ``(C*kh*kw, oh*ow*N)``: the copies move runs of at
  least ``N`` values (``ow*N`` at stride 1), at the price of transposing the
  images in, and the product is one large GEMM. Used for batches of
  ``LONG_BATCH`` images or more (LeNet's two layers, batch 500), and for short
  output rows with a larger batch. The results, the output and the gradient
  with respect to the images, are returned as they lie in memory: CHWN arrays
  seen through NCHW-shaped transposed views. The pooling and elementwise
  kernels around them keep the layout of their operands (``empty_like``) and
  read runs of ``N`` values instead of rows of ``ow``, and the next convolution
  takes its CHWN input as it is, without a copy. (LeNet's step: 7 % faster with
  its two layers batch-innermost than with the first one per image, whose max-
  pool gradient met the second one's image gradient in the other layout.)
* per image (NCHW order), ``(N, C*kh*kw, oh*ow)``: the copies move whole output
  rows, and a batched ``matmul`` gives the output directly in NCHW. Used for
  small batches with long rows.

Everything that depends only on the shapes (padding, output size, layout, the
slices of each tap) is computed once per shape and cached (:func:`plan`), and
each compiled node keeps its large scratch arrays between calls
(:class:`Workspace`): a fresh array of tens of megabytes costs a page fault per
4 KiB on first touch, as long as the copy that fills it. BLAS spreads the
products over the cores; the copies are split over them by
:mod:`theanine.backends.numpy_parallel`.

Example:
    >>> import numpy as np
    >>> from theanine.backends.numpy_conv import conv2d
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 3, 3), dtype=np.float32)
    >>> conv2d(x, w, (0, 0), (1, 1), True)[0, 0].tolist()
    [[45.0, 54.0], [81.0, 90.0]]
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from theanine.backends import cblas, numpy_parallel
from theanine.backends.numpy_backend import register
from theanine.ops import conv as conv_ops

NCHW = (0, 1, 2, 3)
CHWN = (1, 2, 3, 0)
#: Output rows shorter than this (and than the batch) put the batch innermost.
SHORT_ROW = 16
#: Batches of at least this many images put the batch innermost whatever the rows.
LONG_BATCH = 16
#: Filter gradients whose two sides are both shorter than this are summed from
#: products over chunks of about ``CHUNK_COLUMNS`` columns (see
#: :func:`_small_product_of_long_rows`).
SMALL_SIDE = 64
CHUNK_COLUMNS = 2048


class Plan(NamedTuple):
    """What one convolution geometry needs, computed once per shape."""

    pad: tuple          # zero padding (rows, cols)
    out_hw: tuple       # output (rows, cols)
    layout: tuple       # NCHW or CHWN: the axes order of the columns and padded images
    inverse: tuple      # the permutation from ``layout`` back to NCHW
    padded: tuple       # shape of the padded images in ``layout``
    interior: tuple     # index of the unpadded images inside ``padded``
    cols: tuple         # shape of the columns: C, kh, kw inserted before the output rows
    taps: tuple         # ((a, b), index of tap (a, b)'s inputs in the padded images)

    @property
    def per_image(self):
        return self.layout == NCHW


@functools.lru_cache(maxsize=256)
def plan(image_shape, filter_shape, border_mode, stride):
    """The :class:`Plan` of a convolution of these shapes (cached).

    >>> p = plan((500, 20, 12, 12), (50, 20, 5, 5), (0, 0), (1, 1))
    >>> p.out_hw, p.layout == CHWN, p.cols
    ((8, 8), True, (20, 5, 5, 8, 8, 500))
    >>> plan((500, 1, 28, 28), (20, 1, 5, 5), (0, 0), (1, 1)).cols
    (1, 5, 5, 24, 24, 500)
    >>> plan((8, 1, 28, 28), (20, 1, 5, 5), (0, 0), (1, 1)).cols
    (8, 1, 5, 5, 24, 24)
    """
    n, c, h, w = image_shape
    _, filter_channels, kh, kw = filter_shape
    if filter_channels != c:
        raise ValueError(f"images {tuple(image_shape)} have {c} channels but filters "
                         f"{tuple(filter_shape)} expect {filter_channels}")
    pad = conv_ops.padding(border_mode, (kh, kw))
    oh = conv_ops.conv_output_size(h, kh, pad[0], stride[0])
    ow = conv_ops.conv_output_size(w, kw, pad[1], stride[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"filters {filter_shape} do not fit in images {image_shape} padded by "
                         f"{pad}")
    layout = CHWN if n >= LONG_BATCH or (ow < SHORT_ROW and n > ow) else NCHW
    row_axis, col_axis = layout.index(2), layout.index(3)
    padded = [(n, c, h + 2 * pad[0], w + 2 * pad[1])[a] for a in layout]
    interior = [slice(None)] * 4
    interior[row_axis] = slice(pad[0], pad[0] + h)
    interior[col_axis] = slice(pad[1], pad[1] + w)
    out = [(n, c, oh, ow)[a] for a in layout]
    taps = []
    for a in range(kh):
        for b in range(kw):
            index = [slice(None)] * 4
            index[row_axis] = slice(a, a + stride[0] * (oh - 1) + 1, stride[0])
            index[col_axis] = slice(b, b + stride[1] * (ow - 1) + 1, stride[1])
            taps.append(((a, b), tuple(index)))
    cols = tuple(out[:row_axis]) + (kh, kw) + tuple(out[row_axis:])
    inverse = tuple(int(i) for i in np.argsort(layout))
    return Plan(pad, (oh, ow), layout, inverse, tuple(padded), tuple(interior), cols,
                tuple(taps))


class Workspace:
    """Scratch arrays one kernel reuses from call to call (never returned to callers).

    A compiled function's nodes run one at a time, so each node's kernel can
    own its scratch memory; this makes kernels unsafe to call from two threads
    at once, as the compiled function itself is.

    >>> ws = Workspace()
    >>> ws.array('cols', (2, 3), np.float32) is ws.array('cols', (2, 3), np.float32)
    True
    """

    def __init__(self):
        self._arrays = {}

    def array(self, name, shape, dtype):
        """An uninitialised array called ``name``, reused when shape and dtype match."""
        found = self._arrays.get(name)
        if found is None or found.shape != tuple(shape) or found.dtype != dtype:
            found = self._arrays[name] = np.empty(shape, dtype=dtype)
        return found

    def zeros(self, name, shape, dtype):
        """:meth:`array`, filled with zeros."""
        found = self.array(name, shape, dtype)
        numpy_parallel.fill(found, 0)
        return found


def _padded_images(x, p, ws):
    """The images in the plan's layout and zero-padded (a view when nothing changes)."""
    if p.pad == (0, 0) and p.per_image:
        return x
    view = x.transpose(p.layout)
    if p.pad == (0, 0):
        if view.flags.c_contiguous:     # already in the plan's layout in memory
            return view
        work = ws.array("images", p.padded, x.dtype)
        numpy_parallel.copy_into(work, view)
        return work
    work = ws.zeros("images", p.padded, x.dtype)
    numpy_parallel.copy_into(work[p.interior], view)
    return work


def _tap(p, a, b):
    """Index of tap (a, b) in the columns."""
    return (slice(None), slice(None), a, b) if p.per_image else (slice(None), a, b)


def im2col(x, p, ws):
    """The columns of images ``x``: ``(N, K, oh*ow)`` per image, or ``(K, oh*ow*N)``."""
    images = _padded_images(x, p, ws)
    cols = ws.array("cols", p.cols, x.dtype)

    def copy_taps(s):
        for (a, b), index in p.taps[s]:
            cols[_tap(p, a, b)] = images[index]
    numpy_parallel.for_slices(copy_taps, len(p.taps), cols.size)
    return cols.reshape(_matrix_shape(p))


def _matrix_shape(p):
    """The columns as matrices: ``(N, K, oh*ow)`` per image, or ``(K, oh*ow*N)``."""
    if p.per_image:
        return p.cols[0], p.cols[1] * p.cols[2] * p.cols[3], -1
    return p.cols[0] * p.cols[1] * p.cols[2], -1


def _filter_matrix(w, flip):
    if flip:
        w = w[:, :, ::-1, ::-1]
    return np.ascontiguousarray(w).reshape(w.shape[0], -1)


def _topgrad(dout, p, ws):
    """The output's gradient as ``(N, F, oh*ow)`` per image, or ``(F, oh*ow*N)``."""
    if tuple(dout.shape[2:]) != p.out_hw:
        raise ValueError(f"topgrad of shape {dout.shape} does not match the convolution's "
                         f"output size {p.out_hw}")
    n, f = dout.shape[:2]
    if p.per_image:
        return np.ascontiguousarray(dout).reshape(n, f, -1)
    view = dout.transpose(p.layout)
    if view.flags.c_contiguous:
        return view.reshape(f, -1)
    work = ws.array("topgrad", (f,) + p.cols[3:], dout.dtype)
    numpy_parallel.copy_into(work, view)
    return work.reshape(f, -1)


def conv2d(x, w, border_mode, stride, flip, ws=None):
    """Forward convolution: ``(N, C, H, W) x (F, C, kh, kw) -> (N, F, oh, ow)``."""
    return conv2d_with_columns(x, w, border_mode, stride, flip, ws)[0]


def conv2d_with_columns(x, w, border_mode, stride, flip, ws=None):
    """:func:`conv2d` and the flat columns it gathered (a view of ``ws``'s buffer)."""
    ws = ws or Workspace()
    p = plan(x.shape, w.shape, border_mode, stride)
    cols, filters = im2col(x, p, ws), _filter_matrix(w, flip)
    if p.per_image:
        out = batched_matmul(filters, cols).reshape(x.shape[0], w.shape[0], *p.out_hw)
    else:
        work = np.empty((w.shape[0], cols.shape[1]), x.dtype)
        numpy_parallel.matmul(filters, cols, out=work)
        # Returned as it lies in memory (CHWN), an NCHW-shaped view: pooling and
        # elementwise kernels follow the layout of their operands.
        out = work.reshape((w.shape[0],) + p.cols[3:]).transpose(p.inverse)
    return out, cols.reshape(-1)


def batched_matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` for a batch of small products (``b`` or both 3-d).

    NumPy makes one BLAS call per product; a threaded BLAS then wakes and waits
    for its helper threads every time, which costs more than LeNet's first-layer
    products themselves. Here the batch is split over the cores instead, each
    call single-threaded (the same products, so the same bits).
    """
    batch = b.shape[0]
    if out is None:
        out = np.empty((batch, a.shape[-2], b.shape[-1]), dtype=np.result_type(a, b))
    if batch < 2 * numpy_parallel.n_workers():
        return np.matmul(a, b, out=out)

    def job(s):
        np.matmul(a[s] if a.ndim == 3 else a, b[s], out=out[s])
    with cblas.single_threaded_blas():
        numpy_parallel.for_slices(job, batch, out.size * max(1, a.shape[-1]))
    return out


def _to_nchw(work, p):
    """A new contiguous NCHW array with the contents of ``work`` (in the plan's layout)."""
    view = work.transpose(p.inverse)
    result = np.empty(view.shape, dtype=work.dtype)
    numpy_parallel.copy_into(result, view)
    return result


def conv2d_grad_weights(x, dout, filter_hw, border_mode, stride, flip, ws=None, columns=None):
    """Gradient with respect to the filters: ``(F, C, kh, kw)``.

    ``columns``: the flat columns :func:`conv2d_with_columns` gathered from ``x``
    for filters of this size (else they are gathered here).
    """
    ws = ws or Workspace()
    filter_shape = (dout.shape[1], x.shape[1], int(filter_hw[0]), int(filter_hw[1]))
    p = plan(x.shape, filter_shape, border_mode, stride)
    if columns is None:
        cols = im2col(x, p, ws)
    elif columns.size == int(np.prod(p.cols)):
        cols = columns.reshape(_matrix_shape(p))
    else:
        raise ValueError(f"the columns given ({columns.size} values) are not those of images "
                         f"{x.shape} and filters {filter_shape} ({int(np.prod(p.cols))})")
    topgrad = _topgrad(dout, p, ws)
    if p.per_image:
        # One product per image, then one sum: the same bits however the batch is split.
        per_image = ws.array("per_image", (x.shape[0],) + filter_shape[:1] + cols.shape[1:2],
                             dout.dtype)
        dw = np.add.reduce(batched_matmul(topgrad, cols.transpose(0, 2, 1), per_image), axis=0)
    elif max(topgrad.shape[0], cols.shape[0]) < SMALL_SIDE:
        dw = _small_product_of_long_rows(topgrad, cols, p.cols[-1], ws)
    else:
        dw = numpy_parallel.matmul(topgrad, cols.T)
    dw = dw.reshape(filter_shape)
    return np.ascontiguousarray(dw[:, :, ::-1, ::-1]) if flip else dw


def _small_product_of_long_rows(a, b, run, ws):
    """``a @ b.T`` for two short, wide matrices (a few dozen rows, ~10^5 columns).

    BLAS handles a product whose output is tiny and whose inner dimension is huge
    poorly (LeNet's first filter gradient, 20x288000 times 288000x25: 7-10 ms);
    as a batch of products over chunks of the columns, summed, it takes 2.6-2.9 ms.
    The chunks are whole groups of ``run`` columns (the batch, innermost), about
    ``CHUNK_COLUMNS`` wide; they depend only on the shapes, so the bits do not
    depend on how the batch is split over the cores.
    """
    columns = a.shape[1]
    groups = columns // run
    per_chunk = max((g for g in range(1, min(groups, CHUNK_COLUMNS // run) + 1)
                     if groups % g == 0), default=1)
    chunks = groups // per_chunk
    a3 = a.reshape(a.shape[0], chunks, -1).transpose(1, 0, 2)
    b3 = b.reshape(b.shape[0], chunks, -1).transpose(1, 2, 0)
    partial = ws.array("partial", (chunks, a.shape[0], b.shape[0]), np.result_type(a, b))
    return np.add.reduce(batched_matmul(a3, b3, partial), axis=0)


def conv2d_grad_inputs(w, dout, image_hw, border_mode, stride, flip, ws=None):
    """Gradient with respect to the images: ``(N, C, H, W)``."""
    ws = ws or Workspace()
    image_shape = (dout.shape[0], w.shape[1], int(image_hw[0]), int(image_hw[1]))
    p = plan(image_shape, w.shape, border_mode, stride)
    filters_t, topgrad = _filter_matrix(w, flip).T, _topgrad(dout, p, ws)
    dcols = ws.array("cols", (topgrad.shape[0], filters_t.shape[0], topgrad.shape[2])
                     if p.per_image else (filters_t.shape[0], topgrad.shape[1]), dout.dtype)
    if p.per_image:
        batched_matmul(filters_t, topgrad, dcols)
    else:
        numpy_parallel.matmul(filters_t, topgrad, out=dcols)
    dcols = dcols.reshape(p.cols)
    returned_as_is = p.pad == (0, 0)
    images = np.empty(p.padded, dout.dtype) if returned_as_is else \
        ws.array("images", p.padded, dout.dtype)

    # col2im: the taps overlap in the images, so the cores split the first axis of
    # both instead (the batch per image, the channels with the batch innermost).
    # (Computing and scattering a few channels' columns at a time, to keep them in
    # the cache, measured 40 % slower for LeNet's second layer: the smaller
    # products lose more than the cache saves.)
    def add_taps(s):
        part, part_cols = images[s], dcols[s]
        part.fill(0)
        for (a, b), index in p.taps:
            part[index] += part_cols[_tap(p, a, b)]
    numpy_parallel.for_slices(add_taps, p.padded[0], dcols.size)
    if returned_as_is:
        return images if p.per_image else images.transpose(p.inverse)
    return _to_nchw(images[p.interior], p)


def _kernel(function):
    """A kernel factory: each node gets its own workspace."""
    def factory(node):
        op, ws = node.op, Workspace()
        return lambda *arrays: function(*arrays, op.border_mode, op.subsample, op.filter_flip,
                                        ws)
    return factory


@register(conv_ops.Conv2DGradWeightsFromColumns)
def _grad_weights_from_columns(node):
    op, ws = node.op, Workspace()
    return lambda x, dout, filter_hw, columns: conv2d_grad_weights(
        x, dout, filter_hw, op.border_mode, op.subsample, op.filter_flip, ws, columns)


register(conv_ops.Conv2D)(_kernel(conv2d))
register(conv_ops.Conv2DWithColumns)(_kernel(conv2d_with_columns))
register(conv_ops.Conv2DGradWeights)(_kernel(conv2d_grad_weights))
register(conv_ops.Conv2DGradInputs)(_kernel(conv2d_grad_inputs))
