"""Running independent slices of memory-bound NumPy work on several cores at once.

NumPy computes each copy or ufunc on one core but releases the GIL while its
inner loops run, so Python threads working on disjoint slices of large arrays
do run at the same time. BLAS already spreads matrix products over the cores;
this spreads the copies and elementwise passes around them (im2col, col2im,
pooling), which would otherwise leave all cores but one idle. Each slice's
result is the same as the serial computation's, bit for bit.

Example:
    >>> import numpy as np
    >>> from theanine.backends.numpy_parallel import copy_into
    >>> source = np.arange(12.0).reshape(3, 4)
    >>> target = np.empty((4, 3))
    >>> copy_into(target, source.T)
    >>> bool((target == source.T).all())
    True
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Work (array elements) below which one thread is faster than handing slices out.
MIN_WORK = 1 << 18

_executor = None


def n_workers():
    """The number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def for_slices(job, length, work):
    """Call ``job(s)`` for contiguous slices ``s`` covering ``range(length)``.

    The slices run on several threads when ``work`` (elements touched) is large
    enough to pay for it; ``job`` must only write where its slice says.

    >>> seen = []
    >>> for_slices(seen.append, 10, work=1)
    >>> seen
    [slice(0, 10, None)]
    """
    parts = min(n_workers(), length, max(1, work // MIN_WORK))
    if parts <= 1:
        job(slice(0, length))
        return
    bounds = [length * k // parts for k in range(parts + 1)]
    slices = [slice(bounds[k], bounds[k + 1]) for k in range(parts)]
    futures = [_pool().submit(job, s) for s in slices[1:]]
    job(slices[0])
    for future in futures:
        future.result()


def copy_into(target, source):
    """``target[...] = source`` (a transposition, say) for arrays of one shape (ndim >= 1)."""
    def job(s):
        np.copyto(target[s], source[s])
    for_slices(job, target.shape[0], target.size)


def fill(target, value):
    """``target.fill(value)`` for an array of at least one dimension."""
    def job(s):
        target[s].fill(value)
    for_slices(job, target.shape[0], target.size)


def _pool():
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=n_workers(),
                                       thread_name_prefix="theanine-numpy")
    return _executor


def _forget_pool():
    # A forked child inherits the executor but not its threads: it must start its own.
    global _executor
    _executor = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


#: Products of at least this many multiply-adds (m*n*k) are split over the cores by
#: :func:`matmul` while BLAS is single-threaded (see :func:`matmul`).
SPLIT_PRODUCT_WORK = 1 << 25


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` for matrices, in the layout and split BLAS runs best.

    A wide product (fewer rows than columns, such as a minibatch of 20 times a
    784x500 weight matrix) is computed as ``(b.T @ a.T).T``: the same numbers,
    returned as a Fortran-ordered array. OpenBLAS runs that orientation, whose
    small dimension is its "M", 10-35 % faster (20x784 @ 784x500: 136 against
    185 us on 2 cores); the fused elementwise kernels downstream keep the layout.
    Small wide products take the same orientation, whatever it costs them (under a
    microsecond), so that two of them meet in one layout: the MLP's tanh derivative
    multiplies the activations (a large wide product) by the gradient arriving from
    the output layer (a small one), 5.6 us in one layout and 8.7 us in two.

    Inside :func:`theanine.backends.cblas.single_threaded_blas` (which the NumPy
    backend holds while a compiled step with convolutions or pooling runs), large
    products are split here, rows or columns (whichever there are more of), one
    single-threaded BLAS call per part. Otherwise BLAS's own threads do it. Each
    output element comes from one call over the whole inner dimension, so the bits
    do not depend on the split.

    >>> a, b = np.ones((3, 4)), np.ones((4, 2))
    >>> matmul(a, b).tolist()
    [[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]
    >>> matmul(np.ones((2, 300)), np.ones((300, 500))).flags.f_contiguous
    True
    """
    from theanine.backends import cblas
    m, k = a.shape
    n = b.shape[1]
    work = m * n * k
    if work < SPLIT_PRODUCT_WORK or not cblas.blas_is_single_threaded() or n_workers() < 2:
        if out is None:
            if m < n:
                return np.matmul(b.T, a.T).T
            return np.matmul(a, b)
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty((m, n), dtype=np.result_type(a, b))
    if m >= n:
        def job(s):
            np.matmul(a[s], b, out=out[s])
        length = m
    else:
        def job(s):
            np.matmul(a, b[:, s], out=out[:, s])
        length = n
    for_slices(job, length, length * MIN_WORK)
    return out
