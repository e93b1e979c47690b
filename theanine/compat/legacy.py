"""Theano functions whose signature or defaults differ from theanine's.

Under their Theano names these keep Theano's behaviour, so a legacy script
gets the result it got from Theano:

* ``theano.tensor.signal.pool.pool_2d`` and the older
  ``theano.tensor.signal.downsample.max_pool_2d``: ``ignore_border`` left out
  meant False in Theano (with a warning), while theanine's default is True.
* ``theano.tensor.nnet.conv.conv2d`` (the old convolution): keywords that only
  tuned Theano's C code (``unroll_batch``...) are accepted and ignored.
* ``theano.Param(variable, default=...)``: the old name of ``theano.In``.
* ``theano.scalar.upcast(*dtypes)``: the dtype NumPy promotes those dtypes to.

Example:
    >>> import warnings, theanine.tensor as T
    >>> from theanine.compat.legacy import max_pool_2d
    >>> x = T.tensor('float64', (None, 1, 5, 5))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     max_pool_2d(x, (2, 2)).type.shape
    (None, 1, 3, 3)
    >>> max_pool_2d(x, (2, 2), ignore_border=True).type.shape
    (None, 1, 2, 2)
"""
from __future__ import annotations

import warnings

from theanine.compat.unsupported import message
from theanine.errors import UnsupportedError

#: Keywords of Theano's old ``conv.conv2d`` that tuned its C code and change no result.
CONV_TUNING_KEYWORDS = ("unroll_batch", "unroll_kern", "unroll_patch", "openmp", "verbose",
                        "version", "direction_hint")


def Param(variable, default=None, name=None, mutable=False, strict=False,  # noqa: N802
          allow_downcast=None, implicit=None, borrow=None):
    """Theano's old ``Param``: ``theano.In`` with ``default=`` for ``value=``.

    >>> import theanine, theanine.tensor as T
    >>> lr = T.dscalar('lr')
    >>> float(theanine.function([Param(lr, default=0.5)], lr * 2)())
    1.0
    """
    from theanine.compile.function import In
    return In(variable, name=name, value=default, allow_downcast=allow_downcast)


def upcast(dtype, *dtypes):
    """Theano's ``theano.scalar.upcast``: the dtype an operation on these dtypes gives.

    >>> upcast('int32', 'float32'), upcast('float32', 'float32'), upcast('int8', 'int16')
    ('float64', 'float32', 'int16')
    """
    from theanine.graph.dtypes import result_dtype
    return result_dtype([dtype, *dtypes])


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max",
            ds=None, st=None, padding=None):
    """Theano's ``pool_2d``: ``ignore_border`` left out means False, with a warning.

    >>> import theanine.tensor as T
    >>> pool_2d(T.tensor4('x'), ws=(2, 2), ignore_border=True).ndim
    4
    """
    from theanine.tensor.signal import pool
    return pool.pool_2d(input, ws, _theano_ignore_border(ignore_border, "pool_2d"), stride,
                        pad, mode, ds, st, padding)


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """Theano's old ``downsample.max_pool_2d``: ``ignore_border`` left out means False."""
    from theanine.tensor.signal import pool
    return pool.pool_2d(input, ws=ds, ignore_border=_theano_ignore_border(
        ignore_border, "max_pool_2d"), stride=st, pad=padding, mode=mode)


def _theano_ignore_border(ignore_border, name):
    if ignore_border is not None:
        return ignore_border
    warnings.warn(f"{name}: ignore_border was not given, so it is False as in Theano (partial "
                  f"windows at the border are kept); pass ignore_border=True or False to "
                  f"choose", stacklevel=3)
    return False


def conv2d(input, filters, image_shape=None, filter_shape=None, border_mode="valid",
           subsample=(1, 1), **kwargs):
    """Theano's old ``theano.tensor.nnet.conv.conv2d`` (filters flipped: a convolution).

    >>> import theanine.tensor as T
    >>> conv2d(T.tensor4('x'), T.tensor4('w'), image_shape=(8, 1, 28, 28),
    ...        filter_shape=(20, 1, 5, 5), unroll_batch=4).type.shape
    (8, 20, 24, 24)
    """
    from theanine.tensor import nnet
    for name in kwargs:
        if name not in CONV_TUNING_KEYWORDS:
            raise UnsupportedError(message(f"theano.tensor.nnet.conv.conv2d({name}=...)"))
    return nnet.conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                       border_mode=border_mode, subsample=subsample)
