"""``Conv2D`` and ``MaxPool2D`` layers over ``(batch, channels, height, width)`` tensors.

They call ``T.nnet.conv2d`` and ``theanine.tensor.signal.pool.pool_2d`` (Theano's
API), which are looked up when a layer is applied, so that building a model
only fails, with a clear message, where those ops are missing.

Example:
    >>> import numpy as np
    >>> from theanine.nn import Conv2D
    >>> conv = Conv2D(1, 20, (5, 5), rng=np.random.RandomState(23455))
    >>> conv.W.get_value().shape
    (20, 1, 5, 5)
"""
from __future__ import annotations

import theanine
import theanine.tensor as T
from theanine.errors import UnsupportedError
from theanine.nn import init as initializers
from theanine.nn.module import Module


def conv2d_op():
    """``T.nnet.conv2d``, or a clear error when this build lacks it.

    Example:
        >>> from theanine.nn.conv import conv2d_op
        >>> callable(conv2d_op())
        True
    """
    conv2d = getattr(T.nnet, "conv2d", None)
    if conv2d is None:
        raise UnsupportedError("T.nnet.conv2d is not available in this theanine build; "
                               "Conv2D and LeNet5 need it")
    return conv2d


def pool_2d_op():
    """``theanine.tensor.signal.pool.pool_2d``, or a clear error when it is missing.

    Example:
        >>> from theanine.nn.conv import pool_2d_op
        >>> pool_2d_op().__name__
        'pool_2d'
    """
    try:
        from theanine.tensor.signal.pool import pool_2d
    except ImportError as exc:
        raise UnsupportedError("theanine.tensor.signal.pool.pool_2d is not available in "
                               "this theanine build; MaxPool2D and LeNet5 need it") from exc
    return pool_2d


class Conv2D(Module):
    """A 'valid' 2-d convolution with ``out_channels`` filters of ``kernel_size``, plus bias.

    ``init`` is as for :class:`~theanine.nn.Affine` (fans of a conv filter are
    ``in*h*w`` and ``out*h*w``); ``bias=False`` leaves the bias out (the
    tutorials' conv-pool layer adds it after pooling).

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import Conv2D
        >>> conv = Conv2D(3, 8, (3, 3), rng=np.random.RandomState(0), init='he')
        >>> [name for name, _ in conv.named_params()]
        ['W', 'b']
    """

    def __init__(self, in_channels, out_channels, kernel_size, rng=None, init="tutorial",
                 bias=True, border_mode="valid", subsample=(1, 1), dtype=None):
        super().__init__()
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        self.filter_shape = (out_channels, in_channels, kh, kw)
        W = initializers.make(init, rng, self.filter_shape, dtype=dtype)
        self.W = theanine.shared(W, name="W", borrow=True)
        if bias:
            self.b = theanine.shared(initializers.zeros((out_channels,), dtype=W.dtype),
                                     name="b", borrow=True)
        self.border_mode, self.subsample = border_mode, tuple(subsample)

    def forward(self, x, train=False):
        out = conv2d_op()(x, self.W, filter_shape=self.filter_shape,
                          border_mode=self.border_mode, subsample=self.subsample)
        if "b" in self._shared:
            out = out + self.b.dimshuffle("x", 0, "x", "x")
        return out


class MaxPool2D(Module):
    """Max pooling over ``pool_size`` windows (non-overlapping by default), borders ignored.

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn import MaxPool2D
        >>> MaxPool2D((2, 2)).pool_size
        (2, 2)
    """

    def __init__(self, pool_size=(2, 2), stride=None, ignore_border=True):
        super().__init__()
        self.pool_size = tuple(pool_size)
        self.stride = None if stride is None else tuple(stride)
        self.ignore_border = ignore_border

    def forward(self, x, train=False):
        kwargs = {"ws": self.pool_size, "ignore_border": self.ignore_border, "mode": "max"}
        if self.stride is not None:
            kwargs["stride"] = self.stride
        return pool_2d_op()(x, **kwargs)
