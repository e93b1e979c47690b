"""Turning a dataset's raw arrays into the train/valid/test splits a loader returns.

Raw arrays are what the files hold: ``uint8`` images (N, rows, cols) and ``uint8``
labels, for the training and the test file. A split scheme picks the splits, and
the options pick the representation (dtype, scaling, shape, one-hot labels).

    >>> import numpy as np
    >>> from theanine.data.splits import Split, Splits
    >>> splits = Splits(Split(np.zeros((2, 4)), np.array([1, 2])), None, None)
    >>> train_set_x, train_set_y = splits.train
    >>> splits[0].y.tolist()
    [1, 2]
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .errors import FormatError

Split = namedtuple("Split", "x y")
Split.__doc__ = """One split: images ``x`` and labels ``y``, unpackable as ``x, y = split``.

Example:
    >>> import numpy as np
    >>> from theanine.data import Split
    >>> x, y = Split(np.zeros((3, 784)), np.arange(3))
    >>> x.shape
    (3, 784)
"""
Splits = namedtuple("Splits", "train valid test")
Splits.__doc__ = """The three splits of a dataset; ``valid`` is None in the 'standard' scheme.

Example:
    >>> from theanine.data import Split, Splits
    >>> splits = Splits(Split('x0', 'y0'), None, Split('x2', 'y2'))
    >>> train, valid, test = splits
    >>> splits[2] is splits.test, valid
    (True, None)
"""

SPLIT_SCHEMES = ("tutorial", "standard")
# The tutorials' validation set is the last 10,000 images of the training file.
N_VALID = 10_000
N_CLASSES = 10


def resolve_dtypes(split_scheme, dtype, normalize, float_x):
    """Check the loader options; return ``(image dtype or None, one-hot dtype)``.

    ``None`` for the images means "keep the raw uint8 pixels". Raises ValueError
    before any file is read, so a typo costs no I/O.

    Example:
        >>> from theanine.data.splits import resolve_dtypes
        >>> resolve_dtypes('tutorial', None, True, 'float32')
        (dtype('float32'), dtype('float32'))
        >>> resolve_dtypes('standard', None, False, 'float32')
        (None, dtype('float32'))
    """
    if split_scheme not in SPLIT_SCHEMES:
        raise ValueError(f"split_scheme={split_scheme!r}; choose one of {SPLIT_SCHEMES}")
    chosen = np.dtype(dtype) if dtype is not None else None
    if normalize:
        chosen = chosen if chosen is not None else np.dtype(float_x)
        if chosen.kind != "f":
            raise ValueError(f"normalize=True scales pixels to [0, 1) and needs a float "
                             f"dtype, got {chosen}; pass normalize=False for integers")
    return chosen, chosen if chosen is not None else np.dtype(float_x)


def make_splits(raw, split_scheme, image_dtype, normalize, one_hot, one_hot_dtype,
                flatten):
    """Build :class:`Splits` from raw arrays (see the module docstring).

    'tutorial': train = the first N-10,000 training images, valid = the last 10,000,
    test = the test file. 'standard': train = the whole training file, valid = None.
    Normalized pixels are ``pixel / 256``, the tutorials' scaling (values 0 to
    255/256, exact in every float dtype).

    Example:
        >>> import numpy as np
        >>> from theanine.data.splits import make_splits
        >>> raw = {'train_images': np.full((3, 2, 2), 128, np.uint8),
        ...        'train_labels': np.array([1, 2, 3], np.uint8),
        ...        'test_images': np.zeros((1, 2, 2), np.uint8),
        ...        'test_labels': np.array([9], np.uint8)}
        >>> s = make_splits(raw, 'standard', np.dtype('float32'), True, False, None, True)
        >>> s.train.x[0].tolist(), s.train.y.tolist(), s.valid
        ([0.5, 0.5, 0.5, 0.5], [1, 2, 3], None)
    """
    def split(images, labels):
        return Split(_images(images, image_dtype, normalize, flatten),
                     _labels(labels, one_hot, one_hot_dtype))

    test = split(raw["test_images"], raw["test_labels"])
    images, labels = raw["train_images"], raw["train_labels"]
    if split_scheme == "standard":
        return Splits(split(images, labels), None, test)
    if len(images) <= N_VALID:
        raise FormatError(f"the tutorial split keeps the last {N_VALID} training images "
                          f"for validation, but there are only {len(images)}")
    whole = split(images, labels)
    return Splits(Split(whole.x[:-N_VALID], whole.y[:-N_VALID]),
                  Split(whole.x[-N_VALID:], whole.y[-N_VALID:]), test)


def _images(images, dtype, normalize, flatten):
    n = len(images)
    x = images.reshape((n, -1) if flatten else (n, 1) + images.shape[1:])
    if normalize:
        # A power-of-two scale: pixel/256 is exact, so any float dtype matches the pickle.
        return np.multiply(x, dtype.type(1 / 256), dtype=dtype)
    return x if dtype is None else x.astype(dtype)


def _labels(labels, one_hot, dtype):
    if one_hot:
        return np.eye(N_CLASSES, dtype=dtype)[labels]
    # int64, as the tutorials' pickle stores them.
    return labels.astype(np.int64)
