"""Neural-network functions, as ``T.nnet.<name>`` in the tutorials.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> z = T.dmatrix('z')
    >>> T.nnet.softmax(z).eval({z: np.zeros((1, 4))}).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
"""
from __future__ import annotations

from theanine.errors import ShapeError, UnsupportedError
from theanine.ops.conv import Conv2D
from theanine.ops.nnet import CrossEntropySoftmax, LogSoftmax, Softmax
from theanine.tensor import basic as _T
from theanine.tensor.basic import sigmoid, softplus  # noqa: F401  (T.nnet.sigmoid)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (default: the last), computed stably."""
    x = _T.as_tensor_variable(x)
    return _along_last(Softmax(), x, axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed stably."""
    x = _T.as_tensor_variable(x)
    return _along_last(LogSoftmax(), x, axis)


logsoftmax = log_softmax


def _along_last(op, x, axis):
    axis = axis % x.ndim
    if axis == x.ndim - 1:
        return op(x)
    order = [a for a in range(x.ndim) if a != axis] + [axis]
    back = [order.index(a) for a in range(x.ndim)]
    return _T.dimshuffle(op(_T.dimshuffle(x, order)), back)


def relu(x, alpha=0):
    """``max(0, x)`` (leaky with slope ``alpha`` for negative inputs)."""
    if alpha == 0:
        return _T.maximum(0, x)
    return _T.switch(_T.gt(x, 0), x, alpha * x)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return _T.switch(_T.gt(x, 0), x, alpha * _T.expm1(x))


def hard_sigmoid(x):
    """Piecewise-linear approximation of the sigmoid: ``clip(0.2 x + 0.5, 0, 1)``."""
    return _T.clip(x * 0.2 + 0.5, 0, 1)


ultra_fast_sigmoid = sigmoid


def categorical_crossentropy(coding_dist, true_dist):
    """Per-row cross-entropy; ``true_dist`` is integer labels or a one-hot/probability matrix."""
    coding_dist = _T.as_tensor_variable(coding_dist)
    true_dist = _T.as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim - 1:
        rows = _T.arange(_T.shape(true_dist)[0] if true_dist.type.shape[0] is None
                         else true_dist.type.shape[0])
        return -_T.log(coding_dist[rows, true_dist])
    return -_T.sum(true_dist * _T.log(coding_dist), axis=coding_dist.ndim - 1)


def binary_crossentropy(output, target):
    """Elementwise ``-(t log o + (1 - t) log(1 - o))``."""
    return -(target * _T.log(output) + (1 - target) * _T.log(1 - output))


def sigmoid_binary_crossentropy(logits, target):
    """Binary cross-entropy computed from logits, stably."""
    return _T.softplus(logits) - target * logits


def crossentropy_softmax_1hot(x, y_idx):
    """``(nll, softmax(x))`` for integer labels, fused and stable (as Theano's)."""
    nll, sm = CrossEntropySoftmax()(x, y_idx)
    return nll, sm


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid",
           subsample=(1, 1), filter_flip=True, image_shape=None, filter_dilation=(1, 1)):
    """2-D convolution of ``input`` (batch, channels, rows, cols) with ``filters``.

    ``filters`` is (out_channels, in_channels, rows, cols). ``border_mode``:
    'valid' (no padding), 'full' (``k - 1``), 'half' (``k // 2``), an int or a
    pair of paddings; ``subsample`` is the stride. ``filter_flip=True`` (Theano's
    default) flips the filters, a true convolution; False is a cross-correlation.
    ``input_shape`` (or its old name ``image_shape``) and ``filter_shape`` state
    static shapes (None entries allowed); a channel mismatch is reported when the
    expression is built.

    >>> import theanine.tensor as T
    >>> x = T.tensor4('x'); w = T.tensor4('w')
    >>> conv2d(x, w, input_shape=(500, 1, 28, 28), filter_shape=(20, 1, 5, 5)).type.shape
    (500, 20, 24, 24)
    """
    if image_shape is not None:
        if input_shape is not None:
            raise TypeError("conv2d: pass input_shape= or its old name image_shape=, not both")
        input_shape = image_shape
    if tuple(filter_dilation) != (1, 1):
        raise UnsupportedError(f"conv2d: filter_dilation {tuple(filter_dilation)} is not "
                               f"supported (only (1, 1))")
    input = _with_shape(_T.as_tensor_variable(input), input_shape)
    filters = _with_shape(_T.as_tensor_variable(filters), filter_shape)
    return Conv2D(border_mode, subsample, filter_flip)(input, filters)


def _with_shape(x, shape):
    """``x`` with the static ``shape`` it is declared to have (checked now where known)."""
    if shape is None:
        return x
    shape = tuple(None if s is None else int(s) for s in shape)
    if len(shape) != x.ndim:
        raise ShapeError(f"conv2d: shape {shape} has {len(shape)} entries for {x.type}")
    for declared, known in zip(shape, x.type.shape):
        if declared is not None and known is not None and declared != known:
            raise ShapeError(f"conv2d: {x.name or 'a tensor'} of type {x.type} cannot have the "
                             f"declared shape {shape}")
    merged = tuple(k if k is not None else d for d, k in zip(shape, x.type.shape))
    return x if merged == x.type.shape else _T.specify_shape(x, merged)
