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
