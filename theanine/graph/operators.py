"""Python operators and methods of symbolic tensors (``x + y``, ``x.T``, ``x.sum()``...).

Kept apart from the graph classes so that the graph layer does not import the
op library; each method forwards to the function of the same meaning in
:mod:`theanine.tensor`.

Example:
    >>> import theanine.tensor as T
    >>> x = T.matrix('x')
    >>> (x.T.ndim, x.sum(axis=0).ndim, x[0].ndim)
    (2, 1, 1)
"""
from __future__ import annotations


def _T():
    import theanine.tensor.basic as basic
    return basic


class TensorOperators:
    """Mixin giving a symbolic variable NumPy-like operators."""

    __slots__ = ()

    # arithmetic
    def __add__(self, other): return _T().add(self, other)
    def __radd__(self, other): return _T().add(other, self)
    def __sub__(self, other): return _T().sub(self, other)
    def __rsub__(self, other): return _T().sub(other, self)
    def __mul__(self, other): return _T().mul(self, other)
    def __rmul__(self, other): return _T().mul(other, self)
    def __truediv__(self, other): return _T().true_div(self, other)
    def __rtruediv__(self, other): return _T().true_div(other, self)
    def __floordiv__(self, other): return _T().int_div(self, other)
    def __rfloordiv__(self, other): return _T().int_div(other, self)
    def __mod__(self, other): return _T().mod(self, other)
    def __rmod__(self, other): return _T().mod(other, self)
    def __pow__(self, other): return _T().pow(self, other)
    def __rpow__(self, other): return _T().pow(other, self)
    def __neg__(self): return _T().neg(self)
    def __pos__(self): return self
    def __abs__(self): return _T().abs(self)
    def __matmul__(self, other): return _T().dot(self, other)
    def __rmatmul__(self, other): return _T().dot(other, self)

    # comparisons (symbolic; == and != stay identity-based so variables hash as keys)
    def __lt__(self, other): return _T().lt(self, other)
    def __le__(self, other): return _T().le(self, other)
    def __gt__(self, other): return _T().gt(self, other)
    def __ge__(self, other): return _T().ge(self, other)
    def __and__(self, other): return _T().and_(self, other)
    def __rand__(self, other): return _T().and_(other, self)
    def __or__(self, other): return _T().or_(self, other)
    def __ror__(self, other): return _T().or_(other, self)
    def __xor__(self, other): return _T().xor(self, other)
    def __invert__(self): return _T().invert(self)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __bool__(self):
        return True

    def __iter__(self):
        raise TypeError("a symbolic tensor cannot be iterated over: its length is not known "
                        "until the function runs; index it (x[i]) or use theanine.scan")

    def __len__(self):
        raise TypeError("len() of a symbolic tensor is not known when the graph is built; "
                        "use x.shape[0]")

    # shape and layout
    @property
    def shape(self): return _T().shape(self)
    @property
    def size(self): return _T().prod(_T().shape(self))
    @property
    def T(self): return _T().transpose(self)
    def transpose(self, *axes): return _T().transpose(self, axes or None)
    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return _T().dimshuffle(self, pattern)
    def reshape(self, shape, ndim=None): return _T().reshape(self, shape, ndim=ndim)
    def flatten(self, ndim=1): return _T().flatten(self, ndim)
    def ravel(self): return _T().flatten(self, 1)
    def astype(self, dtype): return _T().cast(self, dtype)
    def __getitem__(self, index): return _T().getitem(self, index)

    # reductions and friends; sum, mean and prod take dtype second, as Theano's and
    # NumPy's methods do
    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().sum(self, axis=axis, keepdims=keepdims, dtype=dtype)
    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().mean(self, axis=axis, keepdims=keepdims, dtype=dtype)
    def max(self, axis=None, keepdims=False): return _T().max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _T().min(self, axis, keepdims)
    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().prod(self, axis=axis, keepdims=keepdims, dtype=dtype)
    def var(self, axis=None, keepdims=False): return _T().var(self, axis, keepdims)
    def std(self, axis=None, keepdims=False): return _T().std(self, axis, keepdims)
    def argmax(self, axis=None, keepdims=False): return _T().argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return _T().argmin(self, axis, keepdims)
    def norm(self, L, axis=None): return _T().norm(self, L, axis)
    def dot(self, other): return _T().dot(self, other)
    def clip(self, lo, hi): return _T().clip(self, lo, hi)
    def exp(self): return _T().exp(self)
    def log(self): return _T().log(self)
    def sqrt(self): return _T().sqrt(self)
    def round(self, mode=None): return _T().round(self, mode)
    def nonzero_values(self): return _T().nonzero_values(self)
