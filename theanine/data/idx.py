"""Readers for gzipped IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a big-endian header (magic number, then one int32 per dimension)
followed by raw ``uint8`` data in C order. Every header field is checked against
the file's real length, so a damaged file fails with a :class:`FormatError`
instead of yielding a wrong-shaped array.

    >>> import gzip, struct, tempfile, os
    >>> from theanine.data.idx import read_idx_labels
    >>> path = os.path.join(tempfile.mkdtemp(), 'labels.gz')
    >>> with gzip.open(path, 'wb') as f:
    ...     _ = f.write(struct.pack('>ii', 2049, 3) + bytes([7, 2, 1]))
    >>> read_idx_labels(path)
    array([7, 2, 1], dtype=uint8)
"""
from __future__ import annotations

import gzip
import struct
import zlib

import numpy as np

from .errors import FormatError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_idx_images(path):
    """Read a gzipped IDX image file as a ``uint8`` array of shape (count, rows, cols).

    Example:
        >>> import gzip, struct, tempfile, os
        >>> from theanine.data import read_idx_images
        >>> path = os.path.join(tempfile.mkdtemp(), 'images.gz')
        >>> with gzip.open(path, 'wb') as f:
        ...     _ = f.write(struct.pack('>iiii', 2051, 2, 2, 3) + bytes(range(12)))
        >>> read_idx_images(path).shape
        (2, 2, 3)
    """
    return _read(path, IMAGES_MAGIC, "images", ("count", "rows", "cols"))


def read_idx_labels(path, n_classes=10):
    """Read a gzipped IDX label file as a ``uint8`` vector; every label must be < n_classes.

    Example:
        >>> import gzip, struct, tempfile, os
        >>> from theanine.data import read_idx_labels
        >>> path = os.path.join(tempfile.mkdtemp(), 'labels.gz')
        >>> with gzip.open(path, 'wb') as f:
        ...     _ = f.write(struct.pack('>ii', 2049, 2) + bytes([5, 0]))
        >>> read_idx_labels(path).tolist()
        [5, 0]
    """
    labels = _read(path, LABELS_MAGIC, "labels", ("count",))
    bad = np.flatnonzero(labels >= n_classes)
    if bad.size:
        raise FormatError(
            f"{path}: labels out of range: label {labels[bad[0]]} at index {bad[0]} "
            f"({bad.size} bad in all); expected 0..{n_classes - 1}")
    return labels


def _read(path, magic, what, dim_names):
    try:
        with gzip.open(path, "rb") as f:
            # Read everything rather than trusting the header's sizes: a damaged header
            # must not make us allocate gigabytes before we compare it with the file.
            raw = f.read()
    except (EOFError, OSError, zlib.error) as err:
        # gzip raises EOFError on a cut stream and BadGzipFile (an OSError) on junk.
        raise FormatError(f"{path}: truncated or corrupt gzip data ({err})") from err
    header_size = 4 * (1 + len(dim_names))
    if len(raw) < header_size:
        raise FormatError(
            f"{path}: file ends inside the IDX header ({len(raw)} of {header_size} bytes)")
    found, *dims = struct.unpack_from(f">{1 + len(dim_names)}i", raw)
    if found != magic:
        raise FormatError(
            f"{path}: wrong magic number 0x{found & 0xFFFFFFFF:08x}; IDX {what} files "
            f"start with 0x{magic:08x}")
    expected = int(np.prod(dims))
    held = len(raw) - header_size
    if min(dims) < 0 or held != expected:
        sizes = " x ".join(f"{n} {name}" for n, name in zip(dims, dim_names))
        raise FormatError(
            f"{path}: the header promises {sizes} = {expected} bytes of {what}, "
            f"but the file holds {held}")
    # A copy, so callers get an ordinary writable array rather than a view of bytes.
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(dims).copy()
