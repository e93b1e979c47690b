"""Batch normalization as functions: Theano's ``theano.tensor.nnet.bn``.

``batch_normalization_train`` normalizes with the batch's statistics and
returns them (and, given the running averages, their new values);
``batch_normalization_test`` normalizes with given statistics;
``batch_normalization`` is the plain formula with a given standard deviation.
They are composites of theanine's ops, so their gradients are those of the
formulas. The layer that keeps its statistics itself is
:class:`theanine.nn.BatchNorm`.

``axes`` are the axes statistics are taken over: ``'per-activation'`` (the
batch axis, one statistic per activation), ``'spatial'`` (the batch and every
axis after the channels, one per channel) or a tuple. ``gamma``, ``beta`` and
the statistics have the inputs' rank, with length 1 on those axes, as in Theano.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> from theanine.tensor.bn import batch_normalization_train
    >>> x = T.dmatrix('x')
    >>> gamma, beta = T.drow('gamma'), T.drow('beta')        # length 1 on the batch axis
    >>> out, mean, invstd = batch_normalization_train(x, gamma, beta, epsilon=0.0)
    >>> f = theanine.function([x, gamma, beta], [out, mean])
    >>> y, m = f(np.array([[1.0, 2.0], [3.0, 6.0]]), np.ones((1, 2)), np.zeros((1, 2)))
    >>> y.tolist(), m.tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [[2.0, 4.0]])
"""
from __future__ import annotations

from theanine.tensor import basic as T


def _axes(axes, ndim):
    if axes == "per-activation":
        return (0,)
    if axes == "spatial":
        return (0,) + tuple(range(2, ndim))
    if isinstance(axes, (tuple, list)) and all(isinstance(a, int) for a in axes):
        return tuple(sorted(a % ndim for a in axes))
    raise ValueError(f"axes must be 'per-activation', 'spatial' or a tuple of ints, got {axes!r}")


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """``(inputs - mean) * (gamma / std) + beta``, all broadcast together.

    ``mode`` ('low_mem' or 'high_mem') chose Theano's implementation; the
    values do not depend on it.

    >>> import theanine, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> theanine.function([x], batch_normalization(x, 2.0, 1.0, 3.0, 0.5))([4.0]).tolist()
    [5.0]
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"mode must be 'low_mem' or 'high_mem', got {mode!r}")
    return (inputs - mean) * (gamma / std) + beta


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None,
                              running_var=None):
    """``(out, mean, invstd)`` with the batch's statistics over ``axes``.

    Given ``running_mean`` and ``running_var``, also their new values:
    ``running * (1 - factor) + batch * factor``, the variance's batch value
    unbiased (``m / (m - 1)`` times the batch variance over ``m`` values).
    ``mean`` and ``invstd = 1 / sqrt(var + epsilon)`` keep the inputs' rank.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dmatrix('x'); one = np.ones((1, 1)); zero = np.zeros((1, 1))
    >>> rm, rv = T.drow('rm'), T.drow('rv')
    >>> *_, new_mean, new_var = batch_normalization_train(
    ...     x, one, zero, running_average_factor=0.5, running_mean=rm, running_var=rv)
    >>> f = theanine.function([x, rm, rv], [new_mean, new_var])
    >>> [v.tolist() for v in f(np.array([[1.0], [3.0]]), zero, one)]
    [[[1.0]], [[1.5]]]
    """
    inputs = T.as_tensor_variable(inputs)
    axes = _axes(axes, inputs.ndim)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_normalization_train: give both running_mean and running_var, "
                         "or neither")
    mean = T.mean(inputs, axis=axes, keepdims=True)
    var = T.mean(T.sqr(inputs - mean), axis=axes, keepdims=True)
    invstd = 1.0 / T.sqrt(var + epsilon)
    out = (inputs - mean) * (gamma * invstd) + beta
    if running_mean is None:
        return out, mean, invstd
    count = T.prod(T.stack([T.cast(inputs.shape[a], "float64") for a in axes]))
    unbiased = var * T.cast(count / T.maximum(count - 1, 1), var.dtype)
    factor = running_average_factor
    new_mean = T.cast(running_mean * (1 - factor) + mean * factor, running_mean.dtype)
    new_var = T.cast(running_var * (1 - factor) + unbiased * factor, running_var.dtype)
    return out, mean, invstd, new_mean, new_var


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation",
                             epsilon=1e-4):
    """``(inputs - mean) * gamma / sqrt(var + epsilon) + beta`` with given statistics.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dmatrix('x')
    >>> f = theanine.function([x], batch_normalization_test(
    ...     x, np.ones((1, 1)), np.zeros((1, 1)), np.full((1, 1), 2.0), np.ones((1, 1)),
    ...     epsilon=0.0))
    >>> f(np.array([[4.0]])).tolist()
    [[2.0]]
    """
    inputs = T.as_tensor_variable(inputs)
    _axes(axes, inputs.ndim)   # checked as Theano did, though the statistics are given
    return (inputs - mean) * (gamma / T.sqrt(var + epsilon)) + beta
