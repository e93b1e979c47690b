"""``load_mnist`` and ``load_fashion_mnist``: find, verify, read and split the datasets.

A load goes: search path -> sha256 check of every file used -> fast cache of raw
arrays (or decoding the IDX files / the tutorial pickle) -> splits. Missing files
are downloaded into the user cache. See docs/DATA.md for the whole story.

    >>> from theanine.data import load_mnist
    >>> train, valid, test = load_mnist()                     # doctest: +SKIP
    >>> train.x.shape, train.x.dtype, valid.y[:3]             # doctest: +SKIP
    ((50000, 784), dtype('float32'), array([3, 8, 6]))
"""
from __future__ import annotations

import warnings

import numpy as np

from theanine.config import config

from . import prepared, registry
from .download import fetch
from .errors import DatasetNotFoundError, DownloadError, FormatError
from .idx import read_idx_images, read_idx_labels
from .locate import cache_dir, find_file, search_path, sha256_file
from .pickle_reader import read_mnist_pickle
from .registry import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from .splits import make_splits, resolve_dtypes


def load_mnist(split_scheme="tutorial", dtype=None, normalize=True, one_hot=False,
               flatten=True, root=None, download=True, mirrors=None):
    """Load MNIST as ``Splits(train, valid, test)``, each a ``Split(x, y)``.

    split_scheme: 'tutorial' is the Deep Learning Tutorials' ``mnist.pkl.gz``:
        train 50,000 / valid 10,000 / test 10,000 (valid = the last 10,000 training
        images). 'standard' is the IDX files' 60,000 train / 10,000 test, valid None.
    dtype: of ``x``; None means ``theanine.config.floatX``, or raw uint8 when
        ``normalize`` is False.
    normalize: pixels / 256 in [0, 0.99609375] (the tutorials' scaling); False keeps
        0..255.
    one_hot: ``y`` as (N, 10) rows in ``dtype`` (floatX if None) instead of int64.
    flatten: ``x`` as (N, 784); False gives (N, 1, 28, 28).
    root: a folder searched before ``$THEANINE_DATA``, the cache and Debian's folder.
    download: fetch missing files into the cache; ``mirrors`` overrides the list.

    The "Deep Learning from Scratch" ``load_mnist(normalize, flatten,
    one_hot_label)`` is ``load_mnist('standard', normalize=..., flatten=...,
    one_hot=...)`` (which scales by 1/256 where the book divides by 255).

    Example:
        >>> from theanine.data import load_mnist
        >>> splits = load_mnist()                                  # doctest: +SKIP
        >>> train_set_x, train_set_y = splits.train                # doctest: +SKIP
        >>> splits[2].x.shape                                      # doctest: +SKIP
        (10000, 784)
        >>> load_mnist('standard', normalize=False).train.x.dtype  # doctest: +SKIP
        dtype('uint8')
    """
    return _load(registry.MNIST, split_scheme, dtype, normalize, one_hot, flatten,
                 root, download, mirrors)


def load_fashion_mnist(split_scheme="tutorial", dtype=None, normalize=True, one_hot=False,
                       flatten=True, root=None, download=True, mirrors=None):
    """Load Fashion-MNIST; the options and splits mean what they mean for ``load_mnist``.

    Fashion-MNIST has no tutorial pickle: both schemes come from its four IDX files
    (Debian's ``dataset-fashion-mnist`` installs them in
    ``/usr/share/datasets/fashion-mnist``, which is on the search path).

    Example:
        >>> from theanine.data import load_fashion_mnist
        >>> train, valid, test = load_fashion_mnist('standard')  # doctest: +SKIP
        >>> train.x.shape, valid                                 # doctest: +SKIP
        ((60000, 784), None)
    """
    return _load(registry.FASHION_MNIST, split_scheme, dtype, normalize, one_hot,
                 flatten, root, download, mirrors)


def _load(info, split_scheme, dtype, normalize, one_hot, flatten, root, download, mirrors):
    image_dtype, one_hot_dtype = resolve_dtypes(split_scheme, dtype, normalize,
                                                config.floatX)
    raw = _load_raw(info, root, download, mirrors)
    return make_splits(raw, split_scheme, image_dtype, normalize, one_hot, one_hot_dtype,
                       flatten)


def _load_raw(info, root, download, mirrors):
    sources = _resolve_sources(info, root, download, mirrors)
    digests = {name: digest for name, (_, digest) in sources.items()}
    folder = cache_dir() / "prepared" / info.subdir
    raw = prepared.load(folder, digests)
    if raw is None:
        raw = _decode(sources)
        try:
            prepared.save(folder, digests, raw)
        except OSError as err:
            warnings.warn(f"could not write the fast-loading cache in {folder} ({err}); "
                          "the next load will decode the files again", stacklevel=4)
    return raw


def _resolve_sources(info, root, download, mirrors):
    """Return ``{file name: (path, sha256)}``: the four IDX files, or else the pickle."""
    places = search_path(root)
    skipped = []

    def find(name):
        path, digest, passed_over = find_file(info, name, places, registry.pins(info, name))
        skipped.extend(passed_over)
        return path, digest

    found = {name: find(name) for name in info.idx_files}
    missing = [name for name, (path, _) in found.items() if path is None]
    if missing and info.pickle_file:
        path, digest = find(info.pickle_file)
        if path is not None:
            found, missing = {info.pickle_file: (path, digest)}, []
    if missing and not download:
        raise DatasetNotFoundError(_not_found(info, places, skipped, None))
    for name in missing:
        urls = registry.MIRRORS[info.name] if mirrors is None else mirrors
        try:
            path = fetch(name, cache_dir() / info.subdir, urls, registry.pins(info, name))
        except DownloadError as err:
            raise DatasetNotFoundError(_not_found(info, places, skipped, err)) from None
        found[name] = (path, sha256_file(path))
    for line in skipped:
        warnings.warn(line, stacklevel=5)
    return found


def _decode(sources):
    """Read the raw arrays from the files ``_resolve_sources`` chose."""
    if registry.TUTORIAL_PICKLE in sources:
        return _raw_from_pickle(sources[registry.TUTORIAL_PICKLE][0])
    raw = {}
    for part, images, labels in (("train", TRAIN_IMAGES, TRAIN_LABELS),
                                 ("test", TEST_IMAGES, TEST_LABELS)):
        image_path, label_path = sources[images][0], sources[labels][0]
        raw[f"{part}_images"] = read_idx_images(image_path)
        raw[f"{part}_labels"] = read_idx_labels(label_path)
        if len(raw[f"{part}_images"]) != len(raw[f"{part}_labels"]):
            raise FormatError(
                f"images and labels of different lengths: {image_path} holds "
                f"{len(raw[f'{part}_images'])} images, {label_path} holds "
                f"{len(raw[f'{part}_labels'])} labels")
    return raw


def _raw_from_pickle(path):
    """Recover uint8 pixels and labels from the pickle's pixel/256 floats."""
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = read_mnist_pickle(path)
    return {
        "train_images": np.concatenate([_pixels(path, train_x), _pixels(path, valid_x)]),
        "train_labels": _classes(path, np.concatenate([train_y, valid_y])),
        "test_images": _pixels(path, test_x),
        "test_labels": _classes(path, test_y),
    }


def _pixels(path, x):
    side = int(round(np.sqrt(x.shape[1])))
    if side * side != x.shape[1]:
        raise FormatError(f"{path}: rows of {x.shape[1]} pixels are not square images")
    # In place: x is a fresh array from the pickle, and a copy would cost 190 MB.
    scaled = np.multiply(x, 256, out=x if x.dtype == np.float32 else None, dtype=np.float32)
    pixels = scaled.astype(np.uint8)
    if not np.array_equal(pixels, scaled):
        raise FormatError(f"{path}: pixel values are not multiples of 1/256 in [0, 1)")
    return pixels.reshape(len(x), side, side)


def _classes(path, y):
    if y.size and (y.min() < 0 or y.max() > 9):
        raise FormatError(f"{path}: labels out of range {y.min()}..{y.max()}; "
                          "expected 0..9")
    return y.astype(np.uint8)


def _not_found(info, places, skipped, download_error):
    """The actionable message: where we looked, what to put where, what went wrong."""
    own = cache_dir() / info.subdir
    why = ("downloading was turned off (download=False)" if download_error is None
           else "downloading it failed")
    lines = [f"{info.title} was not found, and {why}.", "", "Looked in, in order:"]
    lines += [f"  {i}. {label}: {folder}/{info.subdir}/ and {folder}/"
              for i, (label, folder) in enumerate(places, 1)]
    lines += ["", f"Put these files (sha256 of the .gz file as stored) in {own}/,",
              f"or in DIR/{info.subdir}/ and set THEANINE_DATA=DIR or pass root=DIR:"]
    lines += [f"  {name:<28}{' or '.join(registry.pins(info, name))}"
              for name in info.idx_files]
    if info.pickle_file:
        lines += ["or, instead of those four, the tutorials' pickle:",
                  f"  {info.pickle_file:<28}{' or '.join(registry.pins(info, info.pickle_file))}"]
    if skipped:
        lines += ["", "Files passed over:"] + [f"  {line}" for line in skipped]
    if download_error is not None:
        lines += ["", f"Download attempts: {download_error}"]
    return "\n".join(lines)
