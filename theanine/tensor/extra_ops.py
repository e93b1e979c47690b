"""Array functions beyond the tutorials' needs, named as in Theano (``T.eye``,
``T.tril``, ``extra_ops.cumsum``...). All are composites of the primitive ops
(running sums and sorting orders have their own, :mod:`theanine.ops.cumulative`),
so their gradients come from the primitives'.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> x = T.dmatrix('x')
    >>> T.tril(x).eval({x: np.ones((2, 3))}).tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
"""
from __future__ import annotations

from theanine.ops.cumulative import Argsort, Cumulative
from theanine.tensor import basic as T


def _axis(x, axis, what):
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{what}: axis {axis} is out of range for {x.type}")
    return axis % x.ndim


def _along(n, axis, ndim):
    """``arange(n)`` shaped to broadcast along ``axis`` of an ``ndim``-d array."""
    return T.dimshuffle(T.arange(n), ["x"] * axis + [0] + ["x"] * (ndim - axis - 1))


# ---------------------------------------------------------------- matrices


def eye(n, m=None, k=0, dtype=None):
    """An ``n`` x ``m`` matrix with ones on diagonal ``k`` (above the main one for k > 0).

    >>> eye(2, 3, k=1).eval().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    m = n if m is None else m
    ones = T.eq(_along(n, 0, 2) + k, _along(m, 1, 2))
    return T.cast(ones, dtype or "floatX")


def identity_like(x):
    """The identity matrix of ``x``'s shape and dtype.

    >>> import numpy as np
    >>> x = T.dmatrix('x')
    >>> identity_like(x).eval({x: np.zeros((2, 2))}).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    x = T.as_tensor_variable(x)
    return eye(x.shape[0], x.shape[1], dtype=x.dtype)


def _triangle(x, k, keep_lower):
    x = T.as_tensor_variable(x)
    if x.ndim < 2:
        raise ValueError(f"{'tril' if keep_lower else 'triu'}: needs a matrix (the last two "
                         f"axes), got {x.type}")
    rows = _along(x.shape[-2], x.ndim - 2, x.ndim)
    cols = _along(x.shape[-1], x.ndim - 1, x.ndim)
    keep = T.ge(rows + k, cols) if keep_lower else T.le(rows + k, cols)
    return T.switch(keep, x, T.zeros_like(x))


def tril(x, k=0):
    """``x`` with the entries above diagonal ``k`` of its last two axes set to 0."""
    return _triangle(x, k, keep_lower=True)


def triu(x, k=0):
    """``x`` with the entries below diagonal ``k`` of its last two axes set to 0."""
    return _triangle(x, k, keep_lower=False)


def diagonal(x, offset=0):
    """Diagonal ``offset`` of the matrix ``x`` (above the main one for offset > 0).

    >>> import numpy as np
    >>> x = T.dmatrix('x')
    >>> diagonal(x, 1).eval({x: np.arange(6.0).reshape(2, 3)}).tolist()
    [1.0, 5.0]
    """
    x = T.as_tensor_variable(x)
    if x.ndim != 2:
        raise ValueError(f"diagonal: needs a matrix, got {x.type}")
    rows, cols = x.shape[0], x.shape[1]
    length = T.maximum(T.minimum(rows + min(offset, 0), cols - max(offset, 0)), 0)
    steps = T.arange(length)
    return x[steps - min(offset, 0), steps + max(offset, 0)]


def diag(v, k=0):
    """A vector's square diagonal matrix, or a matrix's diagonal ``k`` (as Theano's ``diag``).

    >>> import numpy as np
    >>> v = T.dvector('v')
    >>> diag(v).eval({v: np.array([1.0, 2.0])}).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    v = T.as_tensor_variable(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1 or k != 0:
        raise ValueError(f"diag: takes a vector (k=0) or a matrix, got {v.type} and k={k}")
    return T.switch(eye(v.shape[0], dtype="bool"), T.dimshuffle(v, ["x", 0]), T.zeros_like(v))


# ---------------------------------------------------------------- axes


def squeeze(x):
    """``x`` without its axes of static length 1."""
    x = T.as_tensor_variable(x)
    return T.dimshuffle(x, [k for k, s in enumerate(x.type.shape) if s != 1])


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged."""
    x = T.as_tensor_variable(x)
    order = list(range(x.ndim))
    a, b = _axis(x, axis1, "swapaxes"), _axis(x, axis2, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return T.dimshuffle(x, order)


def repeat(x, repeats, axis=None):
    """Each entry of ``x`` ``repeats`` times along ``axis`` (None: of the flattened ``x``).

    >>> import numpy as np
    >>> x = T.dvector('x')
    >>> repeat(x, 2).eval({x: np.array([1.0, 2.0])}).tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    x = T.as_tensor_variable(x)
    if axis is None:
        x, axis = T.flatten(x, 1), 0
    axis = _axis(x, axis, "repeat")
    shape = [x.shape[k] for k in range(x.ndim)]
    spread = T.dimshuffle(x, list(range(axis + 1)) + ["x"] + list(range(axis + 1, x.ndim)))
    copies = T.alloc(spread, *shape[:axis + 1], repeats, *shape[axis + 1:])
    return T.reshape(copies, shape[:axis] + [shape[axis] * repeats] + shape[axis + 1:],
                     ndim=x.ndim)


def tile(x, reps):
    """``x`` repeated ``reps[k]`` times along each axis ``k`` (as ``numpy.tile``).

    >>> import numpy as np
    >>> x = T.dvector('x')
    >>> tile(x, (2, 2)).eval({x: np.array([1.0, 2.0])}).tolist()
    [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    x = T.as_tensor_variable(x)
    reps = [reps] if not isinstance(reps, (list, tuple)) else list(reps)
    if len(reps) > x.ndim:                     # numpy prepends axes of length 1
        x = T.dimshuffle(x, ["x"] * (len(reps) - x.ndim) + list(range(x.ndim)))
    reps = [1] * (x.ndim - len(reps)) + reps
    shape = [x.shape[k] for k in range(x.ndim)]
    pattern = [p for k in range(x.ndim) for p in ("x", k)]
    spread = T.dimshuffle(x, pattern)           # (1, s0, 1, s1, ...)
    copies = T.alloc(spread, *[d for r, s in zip(reps, shape) for d in (r, s)])
    return T.reshape(copies, [r * s for r, s in zip(reps, shape)], ndim=x.ndim)


def roll(x, shift, axis=None):
    """``x`` shifted by ``shift`` places along ``axis`` (None: flattened), the entries
    pushed off one end coming back at the other (as ``numpy.roll``).

    >>> import numpy as np
    >>> x = T.dvector('x')
    >>> roll(x, 1).eval({x: np.array([1.0, 2.0, 3.0])}).tolist()
    [3.0, 1.0, 2.0]
    """
    x = T.as_tensor_variable(x)
    if axis is None:
        return T.reshape(roll(T.flatten(x, 1), shift, 0), T.shape(x), ndim=x.ndim)
    axis = _axis(x, axis, "roll")
    length = x.shape[axis]
    cut = T.mod(length - T.mod(shift, T.maximum(length, 1)), T.maximum(length, 1))
    head, tail = [slice(None)] * x.ndim, [slice(None)] * x.ndim
    head[axis], tail[axis] = slice(cut, None), slice(None, cut)
    return T.concatenate([x[tuple(head)], x[tuple(tail)]], axis=axis)


def ptp(x, axis=None, keepdims=False):
    """Range (maximum minus minimum) along ``axis``."""
    return T.max(x, axis, keepdims) - T.min(x, axis, keepdims)


def largest(*args):
    """Elementwise maximum of any number of tensors."""
    result = args[0]
    for arg in args[1:]:
        result = T.maximum(result, arg)
    return result


def smallest(*args):
    """Elementwise minimum of any number of tensors."""
    result = args[0]
    for arg in args[1:]:
        result = T.minimum(result, arg)
    return result


def linspace(start, end, n, dtype=None):
    """``n`` evenly spaced values from ``start`` to ``end`` (both included).

    >>> linspace(0.0, 1.0, 3).eval().tolist()
    [0.0, 0.5, 1.0]
    """
    dtype = dtype or "floatX"
    steps = T.cast(T.arange(n), dtype)
    width = T.cast(T.maximum(n - 1, 1), dtype)
    return T.cast(start, dtype) + steps * ((T.cast(end, dtype) - T.cast(start, dtype)) / width)


# ---------------------------------------------------------------- along one axis


def _flat_or(x, axis, what):
    x = T.as_tensor_variable(x)
    if axis is None:
        return T.flatten(x, 1), 0
    return x, _axis(x, axis, what)


def cumsum(x, axis=None):
    """Running sum along ``axis`` (None: of the flattened ``x``).

    >>> import numpy as np
    >>> x = T.dmatrix('x')
    >>> cumsum(x, axis=1).eval({x: np.ones((2, 3))}).tolist()
    [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    """
    x, axis = _flat_or(x, axis, "cumsum")
    return Cumulative("sum", axis)(x)


def cumprod(x, axis=None):
    """Running product along ``axis`` (None: of the flattened ``x``); its gradient
    divides by ``x``, so it is undefined where ``x`` is 0 (as Theano's)."""
    x, axis = _flat_or(x, axis, "cumprod")
    return Cumulative("prod", axis)(x)


def diff(x, n=1, axis=-1):
    """``n``-th differences along ``axis``: ``x[1:] - x[:-1]``, ``n`` times.

    >>> import numpy as np
    >>> x = T.dvector('x')
    >>> diff(x).eval({x: np.array([1.0, 4.0, 9.0])}).tolist()
    [3.0, 5.0]
    """
    x = T.as_tensor_variable(x)
    axis = _axis(x, axis, "diff")
    for _ in range(n):
        later = [slice(None)] * x.ndim
        earlier = [slice(None)] * x.ndim
        later[axis], earlier[axis] = slice(1, None), slice(None, -1)
        x = x[tuple(later)] - x[tuple(earlier)]
    return x


def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (None: the flattened ``x``); stable."""
    x, axis = _flat_or(x, axis, "argsort")
    return Argsort(axis)(x)


def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (None: flattened); the gradient goes back to
    where each value came from.

    >>> import numpy as np
    >>> x = T.dvector('x')
    >>> sort(x).eval({x: np.array([3.0, 1.0, 2.0])}).tolist()
    [1.0, 2.0, 3.0]
    """
    x, axis = _flat_or(x, axis, "sort")
    order = Argsort(axis)(x)
    index = tuple(order if k == axis else _along(x.shape[k], k, x.ndim)
                  for k in range(x.ndim))
    return x[index]
