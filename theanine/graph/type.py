"""Types of symbolic variables: a dtype plus a static shape.

A static shape entry is an ``int`` when the size is known when the graph is
built, or ``None`` when it is only known at run time. An entry of 1 is
*broadcastable*: it stretches to match other operands, as in Theano's
``broadcastable`` pattern. Dimensions of unknown size never broadcast.

Example:
    >>> from theanine.graph.type import TensorType
    >>> t = TensorType('float32', (None, 784))
    >>> t.ndim, t.broadcastable
    (2, (False, False))
    >>> t.accepts_shape((600, 784))
    True
"""
from __future__ import annotations

import numpy as np

from theanine.errors import InputError


def as_dtype_name(dtype) -> str:
    """Canonical dtype name (``'float32'``...) for anything NumPy understands."""
    if dtype == "floatX":
        from theanine.config import config
        dtype = config.floatX
    return np.dtype(dtype).name


class TensorType:
    """The type of a tensor variable: ``dtype`` and static ``shape``."""

    __slots__ = ("dtype", "shape", "_hash")

    def __init__(self, dtype, shape=()):
        self.dtype = as_dtype_name(dtype)
        self.shape = tuple(None if s is None else int(s) for s in shape)
        if any(s is not None and s < 0 for s in self.shape):
            raise ValueError(f"static shape entries must be >= 0 or None, got {self.shape}")
        self._hash = hash((TensorType, self.dtype, self.shape))

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def broadcastable(self):
        return tuple(s == 1 for s in self.shape)

    @property
    def np_dtype(self):
        return np.dtype(self.dtype)

    def __eq__(self, other):
        return type(other) is TensorType and self.dtype == other.dtype and self.shape == other.shape

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"TensorType({self.dtype}, shape={self.shape})"

    def __reduce__(self):
        # Rebuilt from its fields: the cached hash of strings differs between processes.
        return TensorType, (self.dtype, self.shape)

    def __str__(self):
        dims = ", ".join("?" if s is None else str(s) for s in self.shape)
        return f"{self.dtype}[{dims}]"

    def __call__(self, name=None):
        """Make a new symbolic input variable of this type."""
        from theanine.graph.basic import Variable
        return Variable(self, name=name)

    def with_shape(self, shape):
        return TensorType(self.dtype, shape)

    def accepts_shape(self, shape):
        """True if a value of this shape fits the static shape."""
        return len(shape) == self.ndim and all(
            s is None or s == v for s, v in zip(self.shape, shape))

    def is_compatible(self, other):
        """True if ``other`` can stand in for this type (givens, updates)."""
        return (isinstance(other, TensorType) and self.dtype == other.dtype
                and self.ndim == other.ndim
                and all(a is None or b is None or a == b
                        for a, b in zip(self.shape, other.shape)))

    def filter(self, value, allow_downcast=None, what="value"):
        """Convert ``value`` to an array of this type or raise :class:`InputError`.

        Safe conversions always pass; a Python float becomes floatX; other
        lossy casts need ``allow_downcast=True``.
        """
        dtype = self.np_dtype
        if isinstance(value, np.ndarray) and value.dtype == dtype:
            array = value
        elif allow_downcast:
            array = np.asarray(value, dtype=dtype)
        else:
            array = _safe_convert(value, dtype, what)
        if array.ndim != self.ndim:
            raise InputError(
                f"{what}: expected {self.ndim} dimensions ({self}), "
                f"got {array.ndim} (shape {array.shape})")
        if not self.accepts_shape(array.shape):
            raise InputError(f"{what}: expected shape {self.shape}, got {array.shape}")
        return array


def _safe_convert(value, dtype, what):
    array = np.asarray(value)
    if array.dtype == dtype or np.can_cast(array.dtype, dtype, "safe"):
        return array.astype(dtype, copy=False)
    if array.ndim == 0 and dtype.kind in "fc" and array.dtype.kind in "biuf":
        # A lone number (0.13, np.float64(0.1)) for a float32 input is what
        # tutorial code passes for learning rates: accept it, as Theano did.
        return array.astype(dtype)
    if array.ndim == 0 and dtype.kind in "iu" and array.dtype.kind in "iu":
        converted = array.astype(dtype)
        if converted == array:
            return converted
    if not isinstance(value, (np.ndarray, np.generic)) and array.dtype.kind in "biuf":
        # A Python list ([1, 2] for a float32 vector) converts when no value changes,
        # as in Theano; NumPy arrays must have a safe dtype.
        converted = array.astype(dtype)
        if np.array_equal(converted, array, equal_nan=array.dtype.kind == "f"):
            return converted
    raise InputError(
        f"{what}: expected dtype {dtype.name}, got {array.dtype.name}; casting would lose "
        f"precision (pass allow_input_downcast=True to theanine.function, or cast the data "
        f"with .astype('{dtype.name}'))")


class RandomStateType:
    """The type of a shared random generator (a ``numpy.random.Generator``-like state)."""

    __slots__ = ()
    ndim = None
    dtype = "rng"
    shape = None

    def __eq__(self, other):
        return type(other) is RandomStateType

    def __hash__(self):
        return hash(RandomStateType)

    def __str__(self):
        return "RandomState"

    __repr__ = __str__

    def is_compatible(self, other):
        return self == other

    def filter(self, value, allow_downcast=None, what="value"):
        return value
