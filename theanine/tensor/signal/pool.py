"""``pool_2d``: max, sum or average pooling over the last two axes.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.tensor.signal.pool import pool_2d
    >>> x = T.dmatrix('x')
    >>> pool_2d(x, ws=(2, 2), ignore_border=True).eval({x: np.arange(16.).reshape(4, 4)}).tolist()
    [[5.0, 7.0], [13.0, 15.0]]
"""
from __future__ import annotations

from theanine.ops.pool import Pool


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max",
            ds=None, st=None, padding=None):
    """Pool windows of ``ws`` (rows, cols) over the last two axes of ``input`` (ndim >= 2).

    ``stride`` defaults to ``ws`` (no overlap); ``pad`` adds that many zeros on each
    side (needs ``ignore_border=True``); ``ignore_border=False`` keeps the partial
    windows at the far border. ``mode``: 'max', 'sum', 'average_inc_pad' or
    'average_exc_pad'. Theano's older names ``ds``, ``st`` and ``padding`` are
    accepted for ``ws``, ``stride`` and ``pad``. ``ignore_border`` defaults to True
    (Theano's default changed from False to True; pass it explicitly to be clear).

    >>> import theanine.tensor as T
    >>> pool_2d(T.tensor4('x'), ds=(2, 2), ignore_border=True).ndim
    4
    """
    ws = _renamed("ws", ws, "ds", ds)
    stride = _renamed("stride", stride, "st", st)
    pad = _renamed("pad", None if padding is not None and pad == (0, 0) else pad,
                   "padding", padding)
    if ws is None:
        raise TypeError("pool_2d: the window size ws=(rows, cols) is required")
    return Pool(ws, True if ignore_border is None else ignore_border, stride,
                (0, 0) if pad is None else pad, mode)(input)


def _renamed(name, value, old_name, old_value):
    if old_value is None:
        return value
    if value is not None:
        raise TypeError(f"pool_2d: pass {name}= or its old name {old_name}=, not both")
    return old_value
