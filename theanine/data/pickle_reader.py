"""Safe reading of the Deep Learning Tutorials' ``mnist.pkl.gz``.

A pickle can name any importable callable and have it run while loading, so the
unpickler here resolves only the three globals a numpy array needs. Anything else
(``os.system``, ``builtins.eval``...) stops the load with :class:`UnsafePickleError`
before it is called.

    >>> import io, pickle
    >>> from theanine.data.pickle_reader import RestrictedUnpickler
    >>> RestrictedUnpickler(io.BytesIO(pickle.dumps(print))).load()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    theanine.data.errors.UnsafePickleError: pickle refers to builtins.print, ...
"""
from __future__ import annotations

import gzip
import pickle
import zlib

import numpy as np

from .errors import FormatError, UnsafePickleError

try:
    from numpy._core.multiarray import _reconstruct
except ImportError:  # NumPy < 1.26 has only the old module name.
    from numpy.core.multiarray import _reconstruct

# Python 2 pickles name numpy.core; NumPy 2 pickles name numpy._core. Both map to the
# function imported above, so loading never imports the deprecated numpy.core shim.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and refuses every other global.

    Example:
        >>> import io, pickle, numpy as np
        >>> from theanine.data.pickle_reader import RestrictedUnpickler
        >>> data = pickle.dumps(np.arange(3, dtype=np.int64), protocol=4)
        >>> RestrictedUnpickler(io.BytesIO(data)).load()
        array([0, 1, 2])
    """

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            allowed = ", ".join(sorted(f"{m}.{n}" for m, n in _ALLOWED))
            raise UnsafePickleError(
                f"pickle refers to {module}.{name}, which is not allowed; nothing was run. "
                f"Only {allowed} may appear in a data pickle") from None


def read_mnist_pickle(path):
    """Read a tutorial-format ``mnist.pkl.gz``: ``((x, y), (x, y), (x, y))``.

    Returns train, valid and test as ``(x, y)`` tuples, ``x`` float32 (N, 784) and
    ``y`` int64 (N,), exactly as stored. The layout is checked; use ``load_mnist``
    for checksums, search paths and the faster cached form.

    Example:
        >>> import gzip, pickle, tempfile, os, numpy as np
        >>> from theanine.data import read_mnist_pickle
        >>> part = (np.zeros((2, 784), np.float32), np.array([3, 1]))
        >>> path = os.path.join(tempfile.mkdtemp(), 'mnist.pkl.gz')
        >>> with gzip.open(path, 'wb') as f:
        ...     pickle.dump((part, part, part), f, protocol=4)
        >>> train, valid, test = read_mnist_pickle(path)
        >>> train[0].shape, train[1].tolist()
        ((2, 784), [3, 1])
    """
    try:
        with gzip.open(path, "rb") as f:
            # latin1 turns Python 2 byte strings into str that numpy accepts as array data.
            sets = RestrictedUnpickler(f, encoding="latin1").load()
    except UnsafePickleError as err:
        raise UnsafePickleError(f"{path}: {err}") from None
    except (EOFError, OSError, zlib.error) as err:
        raise FormatError(f"{path}: truncated or corrupt gzip data ({err})") from err
    except (pickle.UnpicklingError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as err:
        raise FormatError(f"{path}: not a readable data pickle ({err!r})") from err
    _check_layout(path, sets)
    return tuple((x, y) for x, y in sets)


def _check_layout(path, sets):
    if not (isinstance(sets, tuple) and len(sets) == 3
            and all(isinstance(s, tuple) and len(s) == 2 for s in sets)):
        raise FormatError(
            f"{path}: expected a tuple (train, valid, test) of (x, y) pairs, "
            f"got {type(sets).__name__}")
    for split, (x, y) in zip(("train", "valid", "test"), sets):
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            raise FormatError(f"{path}: {split} set does not hold two numpy arrays")
        if x.dtype.hasobject or y.dtype.hasobject:
            raise FormatError(f"{path}: {split} set holds Python objects, not numbers")
        if x.ndim != 2 or y.ndim != 1:
            raise FormatError(
                f"{path}: {split} set should be x (N, pixels) and y (N,); got shapes "
                f"{x.shape} and {y.shape}")
        if len(x) != len(y):
            raise FormatError(
                f"{path}: {split} set has {len(x)} images but {len(y)} labels")
