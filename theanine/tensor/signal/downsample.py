"""Theano's older pooling module, ``theano.tensor.signal.downsample``.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.tensor.signal import downsample
    >>> downsample.max_pool_2d(T.tensor4('x'), (2, 2), ignore_border=True).ndim
    4
"""
from __future__ import annotations

from theanine.tensor.signal.pool import pool_2d


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """``pool_2d(input, ws=ds, ...)`` under its old name and argument names.

    >>> import theanine.tensor as T
    >>> max_pool_2d(T.tensor3('x'), (3, 3), st=(1, 1)).ndim
    3
    """
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding,
                   mode=mode)
