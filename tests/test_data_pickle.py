"""Restricted unpickler: the tutorial format loads; a pickle that tries to run code does not."""
import gzip
import os
import pickle
import warnings

import numpy as np
import pytest

from theanine.data import FormatError, UnsafePickleError, read_mnist_pickle


def _tutorial_sets(n=(4, 2, 3)):
    rng = np.random.default_rng(0)
    return tuple((rng.integers(0, 256, (k, 784)).astype(np.float32) / 256,
                  rng.integers(0, 10, k).astype(np.int64)) for k in n)


def _write(path, obj, protocol=4, edit=None):
    data = pickle.dumps(obj, protocol=protocol)
    if edit:
        data = edit(data)
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


def test_tutorial_layout_reads_back(tmp_path):
    sets = _tutorial_sets()
    got = read_mnist_pickle(_write(tmp_path / "mnist.pkl.gz", sets))
    for (x, y), (gx, gy) in zip(sets, got):
        assert gx.dtype == np.float32 and gy.dtype == np.int64
        np.testing.assert_array_equal(gx, x)
        np.testing.assert_array_equal(gy, y)


def test_python2_module_name_numpy_core_is_accepted(tmp_path):
    # Python 2 and NumPy 1 pickles name numpy.core.multiarray; protocol 3 writes global
    # names as text, so the NumPy 2 name can be swapped for the old one in place.
    def old_name(data):
        assert b"cnumpy._core.multiarray\n" in data
        return data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")

    sets = _tutorial_sets()
    path = _write(tmp_path / "mnist.pkl.gz", sets, protocol=3, edit=old_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning from importing numpy.core
        got = read_mnist_pickle(path)
    np.testing.assert_array_equal(got[2][0], sets[2][0])


class _RunsShell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _RunsEval:
    def __reduce__(self):
        return eval, ("1 + 1",)


def test_pickle_calling_os_system_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    sets = _tutorial_sets()
    evil = (sets[0], sets[1], (sets[2][0], _RunsShell(f"touch {marker}")))
    path = _write(tmp_path / "mnist.pkl.gz", evil)
    with pytest.raises(UnsafePickleError) as err:
        read_mnist_pickle(path)
    assert not marker.exists()
    message = str(err.value)
    assert f"{os.system.__module__}.system" in message
    assert "not allowed; nothing was run" in message
    assert str(path) in message


def test_pickle_calling_eval_is_refused(tmp_path):
    path = _write(tmp_path / "mnist.pkl.gz", (_RunsEval(),))
    with pytest.raises(UnsafePickleError, match="builtins.eval"):
        read_mnist_pickle(path)


def test_wrong_layout(tmp_path):
    path = _write(tmp_path / "mnist.pkl.gz", {"train": 1})
    with pytest.raises(FormatError, match=r"expected a tuple \(train, valid, test\)"):
        read_mnist_pickle(path)


def test_mismatched_lengths_inside_the_pickle(tmp_path):
    sets = list(_tutorial_sets())
    sets[1] = (sets[1][0], sets[1][1][:1])
    path = _write(tmp_path / "mnist.pkl.gz", tuple(sets))
    with pytest.raises(FormatError, match="valid set has 2 images but 1 labels"):
        read_mnist_pickle(path)


def test_object_arrays_are_refused(tmp_path):
    sets = list(_tutorial_sets())
    sets[0] = (sets[0][0], np.array([1, "a", 2, 3], dtype=object))
    path = _write(tmp_path / "mnist.pkl.gz", tuple(sets))
    with pytest.raises(FormatError, match="Python objects"):
        read_mnist_pickle(path)


def test_truncated_gzip(tmp_path):
    path = _write(tmp_path / "mnist.pkl.gz", _tutorial_sets())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(FormatError, match="truncated or corrupt gzip"):
        read_mnist_pickle(path)


def test_garbage_pickle(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x80\x02this is not a pickle")
    with pytest.raises(FormatError, match="not a readable data pickle"):
        read_mnist_pickle(path)
