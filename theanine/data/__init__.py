"""Datasets for theanine: MNIST and Fashion-MNIST, verified, cached and batched.

    >>> from theanine.data import load_mnist, shared_dataset, n_batches
    >>> train, valid, test = load_mnist()                    # doctest: +SKIP
    >>> train_set_x, train_set_y = shared_dataset(*train)    # doctest: +SKIP
    >>> n_batches(50000, 600)
    83

Where files are looked for, their sha256 pins, the download and the cache are
described in docs/DATA.md.
"""
from .batching import batches, n_batches, shared_dataset
from .errors import DataError, DatasetNotFoundError, FormatError, UnsafePickleError
from .idx import read_idx_images, read_idx_labels
from .locate import cache_dir, search_path
from .mnist import load_fashion_mnist, load_mnist
from .pickle_reader import read_mnist_pickle
from .splits import Split, Splits

__all__ = [
    "load_mnist", "load_fashion_mnist", "Split", "Splits",
    "batches", "n_batches", "shared_dataset",
    "read_idx_images", "read_idx_labels", "read_mnist_pickle",
    "cache_dir", "search_path",
    "DataError", "DatasetNotFoundError", "FormatError", "UnsafePickleError",
]
