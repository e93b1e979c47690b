"""The benchmark's data: MNIST from the tutorials' ``mnist.pkl.gz``, or a synthetic stand-in.

Every peer trains on the same arrays in the same order, so the data is loaded once by
the parent process and handed to the peer processes as ``.npy`` files
(:func:`save_split` / :func:`load_split`).

Example:
    >>> data = synthetic(n_train=100, n_valid=20)
    >>> data.train_x.shape, data.train_x.dtype.name, data.valid_y.shape
    ((100, 784), 'float32', (20,))
    >>> int(data.train_y.min()) >= 0 and int(data.train_y.max()) <= 9
    True
"""
from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np

# Where the project's shared data lives when $THEANINE_DATA is not set.
DEFAULT_DATA_DIR = Path("/work/shared/data")
PICKLE_NAME = "mnist.pkl.gz"
N_FEATURES = 784


class Data(NamedTuple):
    """Train and validation arrays: x float32 (N, 784), y int64 (N,)."""

    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    source: str


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles the tutorials' file while refusing every class except numpy arrays.

    A Python 2 pickle can name any callable; allowing only the three names the file
    needs keeps a tampered file from running code.
    """

    _ALLOWED = frozenset({
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    })

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from MNIST pickle")
        return super().find_class(module, name)


def find_mnist() -> Path | None:
    """Return the path of ``mnist.pkl.gz`` under ``$THEANINE_DATA`` or the shared dir, if any.

    Example:
        >>> path = find_mnist()
        >>> path is None or path.name == 'mnist.pkl.gz'
        True
    """
    dirs = [os.environ.get("THEANINE_DATA"), DEFAULT_DATA_DIR]
    for folder in dirs:
        if folder and (Path(folder) / PICKLE_NAME).is_file():
            return Path(folder) / PICKLE_NAME
    return None


def load_mnist(path: Path, n_train: int, n_valid: int) -> Data:
    """Read the tutorials' pickle with a numpy-only unpickler; keep the first n of each split.

    Example:
        >>> path = find_mnist()
        >>> if path is not None:
        ...     d = load_mnist(path, n_train=10, n_valid=10)
        ...     print(d.train_y.tolist())
        ... else:
        ...     print([5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    """
    with gzip.open(path, "rb") as f:
        splits = _NumpyOnlyUnpickler(f, encoding="latin1").load()
    (train_x, train_y), (valid_x, valid_y), _ = splits
    return Data(
        np.ascontiguousarray(train_x[:n_train], dtype=np.float32),
        np.ascontiguousarray(train_y[:n_train], dtype=np.int64),
        np.ascontiguousarray(valid_x[:n_valid], dtype=np.float32),
        np.ascontiguousarray(valid_y[:n_valid], dtype=np.int64),
        f"MNIST ({path})",
    )


def synthetic(n_train: int, n_valid: int, seed: int = 0) -> Data:
    """MNIST-shaped random data: pixels uniform in [0, 1), labels 0..9.

    Timings do not depend on the values, and the loss check only needs every peer
    to see the same numbers.
    """
    rng = np.random.RandomState(seed)
    return Data(
        rng.uniform(size=(n_train, N_FEATURES)).astype(np.float32),
        rng.randint(0, 10, size=n_train).astype(np.int64),
        rng.uniform(size=(n_valid, N_FEATURES)).astype(np.float32),
        rng.randint(0, 10, size=n_valid).astype(np.int64),
        "synthetic (uniform pixels, random labels)",
    )


def load(n_train: int, n_valid: int, prefer_synthetic: bool = False) -> Data:
    """Real MNIST when it is found (see :func:`find_mnist`), otherwise synthetic data."""
    path = None if prefer_synthetic else find_mnist()
    if path is None:
        return synthetic(n_train, n_valid)
    return load_mnist(path, n_train, n_valid)


def save_split(data: Data, folder: Path) -> None:
    """Write the arrays as ``.npy`` files for the peer processes to read."""
    for name in ("train_x", "train_y", "valid_x", "valid_y"):
        np.save(folder / f"{name}.npy", getattr(data, name))
    (folder / "source.txt").write_text(data.source)


def load_split(folder: Path) -> Data:
    """Read what :func:`save_split` wrote.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     save_split(synthetic(8, 4), Path(tmp))
        ...     load_split(Path(tmp)).valid_x.shape
        (4, 784)
    """
    names = ("train_x", "train_y", "valid_x", "valid_y")
    arrays = [np.load(folder / f"{name}.npy") for name in names]
    return Data(*arrays, (folder / "source.txt").read_text())
