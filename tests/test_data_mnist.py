"""The real MNIST files from $THEANINE_DATA, checked against /work/shared/data/README.md.

Skipped when THEANINE_DATA is unset or lacks the files. Nothing is downloaded: the
cache lives in a temporary folder and the mirrors point at a closed local port.
"""
import os
import socket
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from theanine.data import load_fashion_mnist, load_mnist, locate, registry

DATA = Path(os.environ.get("THEANINE_DATA", "/nonexistent"))
IDX_DIR = DATA / "mnist"
HAVE_IDX = all((IDX_DIR / name).is_file() for name in registry.IDX_FILES)
HAVE_PICKLE = (DATA / registry.TUTORIAL_PICKLE).is_file()
pytestmark = pytest.mark.skipif(
    not (os.environ.get("THEANINE_DATA") and HAVE_IDX and HAVE_PICKLE),
    reason="set THEANINE_DATA to a folder holding mnist.pkl.gz and mnist/*-ubyte.gz")

# From /work/shared/data/README.md.
FIRST_LABELS = {"train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "valid": [3, 8, 6, 9, 6, 4, 5, 3, 8, 4],
                "test": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]}
CLASS_COUNTS = {
    "train": [4932, 5678, 4968, 5101, 4859, 4506, 4951, 5175, 4842, 4988],
    "valid": [991, 1064, 990, 1030, 983, 915, 967, 1090, 1009, 961],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
SIZES = {"train": 50_000, "valid": 10_000, "test": 10_000}


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """A fresh cache, no Debian folder, no reachable mirror; THEANINE_DATA as given."""
    home = tmp_path_factory.mktemp("mnist-home")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(home / "cache"))
        mp.setattr(locate, "DEBIAN_DATASETS", home / "debian")
        mp.setitem(registry.MIRRORS, "mnist", [closed])
        yield home


@pytest.fixture(scope="module")
def tutorial(offline):
    return load_mnist(dtype="float32", download=False)


def test_tutorial_splits_match_the_readme(tutorial):
    for name, (x, y) in zip(tutorial._fields, tutorial):
        assert x.shape == (SIZES[name], 784) and x.dtype == np.float32
        assert y.shape == (SIZES[name],) and y.dtype == np.int64
        assert y[:10].tolist() == FIRST_LABELS[name]
        assert np.bincount(y, minlength=10).tolist() == CLASS_COUNTS[name]
        assert x.min() == 0.0 and x.max() == np.float32(0.99609375)


def test_pickle_and_idx_agree_element_for_element(offline, tutorial, tmp_path, monkeypatch):
    (tmp_path / registry.TUTORIAL_PICKLE).symlink_to(DATA / registry.TUTORIAL_PICKLE)
    monkeypatch.delenv("THEANINE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # keep the IDX-built cache
    # Reading the pickle, the loader checks that every pixel * 256 is an exact integer
    # in 0..255 before storing it as uint8, so its float32 output is the pickle's own.
    from_pickle = load_mnist(root=tmp_path, download=False)
    for idx_split, pickle_split in zip(tutorial, from_pickle):
        np.testing.assert_array_equal(idx_split.x, pickle_split.x)
        np.testing.assert_array_equal(idx_split.y, pickle_split.y)


def test_standard_scheme(offline, tutorial):
    train, valid, test = load_mnist("standard", normalize=False, download=False)
    assert valid is None
    assert train.x.shape == (60_000, 784) and train.x.dtype == np.uint8
    assert test.x.shape == (10_000, 784) and train.x.max() == 255
    np.testing.assert_array_equal(train.x[:50_000] / np.float32(256), tutorial.train.x)
    np.testing.assert_array_equal(train.y[50_000:], tutorial.valid.y)


def test_deep_learning_from_scratch_options(offline):
    train, _, test = load_mnist("standard", flatten=False, one_hot=True, download=False)
    assert train.x.shape == (60_000, 1, 28, 28) and test.y.shape == (10_000, 10)
    assert test.y[0].tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]


def test_tutorial_split_loads_from_the_cache_in_under_a_second(offline, tutorial):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        load_mnist(download=False)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 1.0, times


@pytest.mark.skipif(not (locate.DEBIAN_DATASETS / "fashion-mnist").is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debian(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("THEANINE_DATA")
    train, valid, test = load_fashion_mnist("standard", download=False)
    assert train.x.shape == (60_000, 784) and valid is None and test.x.shape == (10_000, 784)
    assert np.bincount(train.y).tolist() == [6000] * 10
