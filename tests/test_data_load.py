"""load_mnist / load_fashion_mnist on small fake datasets: options, search order, cache.

No network: every test runs with THEANINE_DATA unset, the cache and Debian's folder
in tmp_path, and the mirrors pointing at a closed local port.
"""
import gzip
import hashlib
import pickle
import socket
import struct
import time

import numpy as np
import pytest

from theanine.config import config
from theanine.data import (DatasetNotFoundError, FormatError, UnsafePickleError,
                           load_fashion_mnist, load_mnist, locate, mnist, registry)
from theanine.data.registry import (IDX_FILES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES,
                                    TRAIN_LABELS, TUTORIAL_PICKLE)

N_TRAIN, N_TEST, SIDE = 10_003, 5, 4


def _idx(magic, array):
    dims = struct.pack(f">{array.ndim}i", *array.shape)
    return gzip.compress(struct.pack(">i", magic) + dims + array.tobytes(), mtime=0)


def _fake(seed, n_test_labels=N_TEST):
    """Raw arrays and gzipped IDX bytes of a small MNIST-format dataset."""
    rng = np.random.default_rng(seed)
    raw = {
        TRAIN_IMAGES: rng.integers(0, 256, (N_TRAIN, SIDE, SIDE), dtype=np.uint8),
        TRAIN_LABELS: rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, (N_TEST, SIDE, SIDE), dtype=np.uint8),
        TEST_LABELS: rng.integers(0, 10, n_test_labels, dtype=np.uint8),
    }
    files = {name: _idx(2051 if "images" in name else 2049, array)
             for name, array in raw.items()}
    return raw, files


def _tutorial_pickle(raw):
    x = raw[TRAIN_IMAGES].reshape(N_TRAIN, -1).astype(np.float32) / 256
    y = raw[TRAIN_LABELS].astype(np.int64)
    test = (raw[TEST_IMAGES].reshape(N_TEST, -1).astype(np.float32) / 256,
            raw[TEST_LABELS].astype(np.int64))
    sets = ((x[:-10000], y[:-10000]), (x[-10000:], y[-10000:]), test)
    return gzip.compress(pickle.dumps(sets, protocol=4), mtime=0)


def _put(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _pin(monkeypatch, dataset, *file_sets):
    """Accept the bytes of every given file set as genuine for ``dataset``."""
    pins = {}
    for files in file_sets:
        for name, data in files.items():
            pins.setdefault(name, []).append(hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(registry.SHA256, dataset, {k: tuple(v) for k, v in pins.items()})


def _closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Isolate the search path; return tmp_path with cache/ and debian/ inside."""
    monkeypatch.delenv("THEANINE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(locate, "DEBIAN_DATASETS", tmp_path / "debian")
    for dataset in ("mnist", "fashion-mnist"):
        monkeypatch.setitem(registry.MIRRORS, dataset, [_closed_port_url()])
    return tmp_path


@pytest.fixture
def fake(home, monkeypatch):
    """One fake MNIST in ROOT/mnist/; returns (root, raw arrays)."""
    raw, files = _fake(0)
    _put(home / "root" / "mnist", files)
    _pin(monkeypatch, "mnist", files)
    return home / "root", raw


def test_tutorial_split(fake):
    root, raw = fake
    splits = load_mnist(root=root)
    train_set_x, train_set_y = splits.train
    assert splits[0] is splits.train
    assert train_set_x.shape == (N_TRAIN - 10000, SIDE * SIDE)
    assert train_set_x.dtype == np.dtype(config.floatX)
    assert train_set_y.dtype == np.int64
    assert splits.valid.x.shape == (10000, SIDE * SIDE)
    assert splits.test.x.shape == (N_TEST, SIDE * SIDE)
    images = raw[TRAIN_IMAGES].reshape(N_TRAIN, -1)
    np.testing.assert_array_equal(train_set_x, images[:-10000] / np.float32(256))
    np.testing.assert_array_equal(splits.valid.x, images[-10000:] / np.float32(256))
    np.testing.assert_array_equal(splits.valid.y, raw[TRAIN_LABELS][-10000:])
    np.testing.assert_array_equal(splits.test.y, raw[TEST_LABELS])


def test_standard_split_has_no_valid(fake):
    root, raw = fake
    train, valid, test = load_mnist("standard", root=root)
    assert valid is None
    assert train.x.shape == (N_TRAIN, SIDE * SIDE) and test.x.shape == (N_TEST, SIDE * SIDE)


def test_raw_pixels_unflattened_one_hot(fake):
    # Deep Learning from Scratch: load_mnist(normalize=False, flatten=False, one_hot_label=True)
    root, raw = fake
    train, _, test = load_mnist("standard", normalize=False, flatten=False, one_hot=True,
                                root=root)
    assert train.x.dtype == np.uint8 and train.x.shape == (N_TRAIN, 1, SIDE, SIDE)
    np.testing.assert_array_equal(train.x[:, 0], raw[TRAIN_IMAGES])
    assert test.y.shape == (N_TEST, 10) and test.y.dtype == np.dtype(config.floatX)
    np.testing.assert_array_equal(test.y.argmax(axis=1), raw[TEST_LABELS])
    assert test.y.sum() == N_TEST


def test_dtype_option(fake):
    root, raw = fake
    raw_float = load_mnist(normalize=False, dtype="float64", root=root).test.x
    assert raw_float.dtype == np.float64 and raw_float.max() == raw[TEST_IMAGES].max()
    scaled = load_mnist(dtype="float16", root=root).test.x
    assert scaled.dtype == np.float16
    np.testing.assert_array_equal(scaled, raw[TEST_IMAGES].reshape(N_TEST, -1) / 256)
    with config.change_flags(floatX="float64"):
        assert load_mnist(root=root).train.x.dtype == np.float64


def test_bad_options_fail_before_any_file_is_read(home):
    with pytest.raises(ValueError, match="split_scheme='lecun'"):
        load_mnist("lecun")
    with pytest.raises(ValueError, match="needs a float dtype"):
        load_mnist(dtype="int32")


def test_pickle_and_idx_agree_element_for_element(home, monkeypatch):
    raw, files = _fake(1)
    pickle_only = {TUTORIAL_PICKLE: _tutorial_pickle(raw)}
    _put(home / "idx" / "mnist", files)
    _put(home / "pkl", pickle_only)
    _pin(monkeypatch, "mnist", files, pickle_only)
    from_idx = load_mnist(root=home / "idx", download=False)
    from_pickle = load_mnist(root=home / "pkl", download=False)
    for a, b in zip(from_idx, from_pickle):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert a.x.dtype == b.x.dtype and a.y.dtype == b.y.dtype
    standard = load_mnist("standard", normalize=False, root=home / "pkl", download=False)
    np.testing.assert_array_equal(standard.train.x, raw[TRAIN_IMAGES].reshape(N_TRAIN, -1))


def test_search_order_root_env_cache_debian(home, monkeypatch):
    sets = {place: _fake(seed) for seed, place in enumerate(["root", "env", "cache", "deb"])}
    _pin(monkeypatch, "mnist", *(files for _, files in sets.values()))
    folders = {"root": home / "r", "env": home / "e", "cache": home / "cache" / "theanine",
               "deb": home / "debian"}
    for place, (_, files) in sets.items():
        _put(folders[place] / "mnist", files)
    monkeypatch.setenv("THEANINE_DATA", str(folders["env"]))

    def loaded(**kw):
        y = load_mnist("standard", download=False, **kw).test.y
        return next(p for p, (raw, _) in sets.items() if np.array_equal(y, raw[TEST_LABELS]))

    assert loaded(root=folders["root"]) == "root"
    assert loaded() == "env"
    monkeypatch.delenv("THEANINE_DATA")
    assert loaded() == "cache"
    for name in IDX_FILES:
        (folders["cache"] / "mnist" / name).unlink()
    assert loaded() == "deb"


def test_files_directly_in_root(home, monkeypatch):
    raw, files = _fake(2)
    _put(home / "flat", files)
    _pin(monkeypatch, "mnist", files)
    np.testing.assert_array_equal(load_mnist(root=home / "flat").test.y, raw[TEST_LABELS])


def test_wrong_file_in_root_is_skipped_with_a_warning_and_kept(home, monkeypatch):
    good_raw, good = _fake(3)
    _, other = _fake(4)
    _put(home / "r" / "mnist", other)
    _put(home / "e" / "mnist", good)
    _pin(monkeypatch, "mnist", good)
    monkeypatch.setenv("THEANINE_DATA", str(home / "e"))
    with pytest.warns(UserWarning) as caught:
        test = load_mnist(root=home / "r").test
    assert sorted(str(w.message).split(":")[0] for w in caught) == sorted(
        str(home / "r" / "mnist" / name) for name in IDX_FILES)
    assert all("is not a pinned MNIST value" in str(w.message) for w in caught)
    np.testing.assert_array_equal(test.y, good_raw[TEST_LABELS])
    assert (home / "r" / "mnist" / TEST_LABELS).read_bytes() == other[TEST_LABELS]


def test_offline_with_nothing_anywhere(home):
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(root=home / "nowhere", download=False)
    message = str(err.value)
    assert "MNIST was not found, and downloading was turned off (download=False)" in message
    assert f"1. root argument: {home / 'nowhere'}/mnist/" in message
    assert f"2. user cache: {home / 'cache' / 'theanine'}/mnist/" in message
    assert f"3. Debian datasets: {home / 'debian'}/mnist/" in message
    assert "THEANINE_DATA=DIR" in message
    for name in IDX_FILES + (TUTORIAL_PICKLE,):
        assert f"  {name:<28}{registry.SHA256['mnist'][name][0]}" in message


def test_offline_failure_is_fast_and_actionable(home):
    # Acceptance: no THEANINE_DATA, an empty cache, mirrors on a closed port.
    start = time.perf_counter()
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist()
    assert time.perf_counter() - start < 5
    message = str(err.value)
    assert "MNIST was not found, and downloading it failed." in message
    assert "Download attempts: train-images-idx3-ubyte.gz: every mirror failed" in message
    assert "Connection refused" in message
    assert f"Put these files (sha256 of the .gz file as stored) in " \
           f"{home / 'cache' / 'theanine' / 'mnist'}/" in message
    assert registry.SHA256["mnist"][TRAIN_IMAGES][0] in message
    assert not list((home / "cache").rglob("*.part"))


def test_images_and_labels_of_different_lengths(home, monkeypatch):
    _, files = _fake(5, n_test_labels=N_TEST - 1)
    _put(home / "r" / "mnist", files)
    _pin(monkeypatch, "mnist", files)
    with pytest.raises(FormatError, match="different lengths.*holds 5 images.*holds 4 labels"):
        load_mnist(root=home / "r")


def test_pinned_but_malicious_pickle_runs_nothing(home, monkeypatch):
    marker = home / "pwned"

    class RunsShell:
        def __reduce__(self):
            import os
            return os.system, (f"touch {marker}",)

    evil = {TUTORIAL_PICKLE: gzip.compress(pickle.dumps((RunsShell(),), protocol=2))}
    _put(home / "r", evil)
    _pin(monkeypatch, "mnist", evil)
    with pytest.raises(UnsafePickleError, match="system, which is not allowed"):
        load_mnist(root=home / "r", download=False)
    assert not marker.exists()


def test_fashion_mnist_from_debian_folder(home, monkeypatch):
    raw, files = _fake(6)
    _put(home / "debian" / "fashion-mnist", files)
    _pin(monkeypatch, "fashion-mnist", files)
    train, valid, test = load_fashion_mnist("standard", normalize=False)
    np.testing.assert_array_equal(train.x, raw[TRAIN_IMAGES].reshape(N_TRAIN, -1))
    assert valid is None
    assert load_fashion_mnist().valid.x.shape == (10000, SIDE * SIDE)


def test_fashion_mnist_is_not_fooled_by_mnist_files(home, monkeypatch):
    _, mnist_files = _fake(7)
    _put(home / "r", mnist_files)
    _pin(monkeypatch, "fashion-mnist", _fake(8)[1])
    with pytest.raises(DatasetNotFoundError, match="Fashion-MNIST was not found") as err:
        load_fashion_mnist(root=home / "r", download=False)
    assert "not a pinned Fashion-MNIST value" in str(err.value)


def test_second_load_uses_the_fast_cache(fake, monkeypatch):
    root, raw = fake
    first = load_mnist(root=root)
    stamp = locate.cache_dir() / "prepared" / "mnist" / "stamp.json"
    assert stamp.is_file()

    def no_decoding(sources):
        raise AssertionError("decoded the source files again")

    monkeypatch.setattr(mnist, "_decode", no_decoding)
    second = load_mnist(root=root)
    np.testing.assert_array_equal(first.train.x, second.train.x)


def test_damaged_fast_cache_is_rebuilt(fake, monkeypatch):
    root, raw = fake
    load_mnist(root=root)
    npy = locate.cache_dir() / "prepared" / "mnist" / "train_images.npy"
    data = bytearray(npy.read_bytes())
    data[-1] ^= 0xFF
    npy.write_bytes(bytes(data))
    decoded = []
    real_decode = mnist._decode
    monkeypatch.setattr(mnist, "_decode", lambda s: decoded.append(1) or real_decode(s))
    again = load_mnist("standard", normalize=False, root=root)
    assert decoded == [1]
    np.testing.assert_array_equal(again.train.x, raw[TRAIN_IMAGES].reshape(N_TRAIN, -1))


def test_fast_cache_follows_the_source(home, monkeypatch):
    raw_a, files_a = _fake(9)
    raw_b, files_b = _fake(10)
    _put(home / "a" / "mnist", files_a)
    _put(home / "b" / "mnist", files_b)
    _pin(monkeypatch, "mnist", files_a, files_b)
    assert np.array_equal(load_mnist(root=home / "a").test.y, raw_a[TEST_LABELS])
    assert np.array_equal(load_mnist(root=home / "b").test.y, raw_b[TEST_LABELS])
