"""The helper that splits memory-bound NumPy work over the cores.

The slices must cover the range exactly once, results must not depend on the
number of workers, and a forked child must not wait on its parent's threads.
"""
from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

from theanine.backends import numpy_parallel


@pytest.fixture
def many_workers(monkeypatch):
    monkeypatch.setattr(numpy_parallel, "MIN_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 3)


@pytest.mark.parametrize("length", [1, 2, 3, 7, 100])
def test_slices_cover_the_range_once(many_workers, length):
    hits = np.zeros(length, dtype=int)

    def job(s):
        hits[s] += 1
    numpy_parallel.for_slices(job, length, work=length)
    assert hits.tolist() == [1] * length


def test_small_work_stays_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 4)
    seen = []
    numpy_parallel.for_slices(seen.append, 50, work=numpy_parallel.MIN_WORK - 1)
    assert seen == [slice(0, 50)]


def test_copy_and_fill(many_workers):
    source = np.arange(60.0).reshape(3, 4, 5)
    target = np.empty((5, 4, 3))
    numpy_parallel.copy_into(target, source.transpose(2, 1, 0))
    np.testing.assert_array_equal(target, source.transpose(2, 1, 0))
    numpy_parallel.fill(target, 7.0)
    assert (target == 7.0).all()


def _child(queue):
    out = np.zeros(10)

    def job(s):
        out[s] = 2.0
    numpy_parallel.for_slices(job, 10, work=10)
    queue.put(float(out.sum()))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="needs the fork start method")
def test_a_forked_child_starts_its_own_threads(many_workers):
    numpy_parallel.for_slices(lambda s: None, 10, work=10)  # the parent's threads exist
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=30) == 20.0
    finally:
        child.join(timeout=30)


@pytest.mark.parametrize("shape", [(20, 784, 500), (500, 784, 20), (3, 4, 11)])   # (m, k, n)
def test_matmul_picks_the_layout_blas_runs_best(shape):
    # Wide products come back Fortran-ordered ((b.T @ a.T).T), the rest C-ordered;
    # the values are the product's either way.
    m, k, n = shape
    rng = np.random.default_rng(2)
    a = rng.standard_normal((m, k)).astype("float32")
    b = rng.standard_normal((k, n)).astype("float32")
    got = numpy_parallel.matmul(a, b)
    wide = m < n
    assert (got.flags.f_contiguous, got.flags.c_contiguous) == (wide, not wide)
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def test_a_wide_layer_computes_like_numpy():
    # The Fortran-ordered product flows through bias, tanh, a second product and a sum.
    import theanine
    import theanine.tensor as T
    rng = np.random.default_rng(3)
    x_value = rng.standard_normal((20, 784)).astype("float32")
    w = theanine.shared(rng.standard_normal((784, 500)).astype("float32") * 0.05)
    v = theanine.shared(rng.standard_normal((500, 10)).astype("float32"))
    x = T.fmatrix("x")
    h = T.tanh(T.dot(x, w) + 1)
    f = theanine.function([x], [h, T.dot(h, v).sum(axis=0)])
    expected_h = np.tanh(x_value.astype(np.float64) @ w.get_value() + 1)
    got_h, got_sum = f(x_value)
    np.testing.assert_allclose(got_h, expected_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_sum, (expected_h @ v.get_value()).sum(axis=0),
                               rtol=1e-4, atol=1e-3)
