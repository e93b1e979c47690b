"""Minibatch helpers: n_batches, batches, and shared_dataset (once theanine.shared exists)."""
import numpy as np
import pytest

from theanine.config import config
from theanine.data import batches, n_batches, shared_dataset


def test_n_batches_floor_like_the_tutorials():
    assert n_batches(50_000, 600) == 83
    assert n_batches(50_000, 600, drop_last=False) == 84
    assert n_batches(600, 600) == n_batches(600, 600, drop_last=False) == 1
    assert n_batches(5, 600) == 0


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "600"])
def test_n_batches_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        n_batches(10, bad)


def test_batches_in_order_are_views_and_drop_the_tail():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    got = list(batches(x, y, 3, shuffle=False))
    assert [yb.tolist() for _, yb in got] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert np.shares_memory(got[0][0], x)
    assert [len(yb) for _, yb in batches(x, y, 3, shuffle=False, drop_last=False)] == [3, 3, 3, 1]


def test_shuffled_batches_are_reproducible_and_cover_everything():
    x, y = np.arange(10) * 10, np.arange(10)
    first = list(batches(x, y, 4, seed=1, drop_last=False))
    again = list(batches(x, y, 4, seed=1, drop_last=False))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    seen = np.concatenate([yb for _, yb in first])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    assert all(np.array_equal(xb, yb * 10) for xb, yb in first)  # pairs stay together


def test_batches_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="x has 3 examples but y has 2"):
        list(batches(np.zeros(3), np.zeros(2), 1))


def _shared_or_skip():
    try:
        from theanine import shared
    except ImportError:
        pytest.skip("theanine.shared is not written yet")
    return shared


def test_shared_dataset_dtypes_and_names():
    _shared_or_skip()
    x = np.random.default_rng(0).random((6, 4))
    sx, sy = shared_dataset(x, np.arange(6), name="train")
    assert sx.get_value().dtype == np.dtype(config.floatX)
    assert sy.get_value().dtype == np.int32
    assert (sx.name, sy.name) == ("train_x", "train_y")
    np.testing.assert_allclose(sx.get_value(), x.astype(config.floatX))
    assert sy.get_value().tolist() == list(range(6))


def test_shared_dataset_borrows_arrays_of_the_right_dtype():
    _shared_or_skip()
    x = np.zeros((3, 2), dtype=config.floatX)
    sx, _ = shared_dataset(x, np.arange(3, dtype=np.int32), borrow=True)
    assert np.shares_memory(sx.get_value(borrow=True), x)
