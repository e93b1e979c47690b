"""device=cuda / device=auto, and whole training steps through the CuPy backend's table.

Without CuPy or a GPU, ``device=cuda`` must fail with one clear line and ``auto`` must
fall back to the CPU. The CuPy backend's kernel table, run with NumPy as its array
module, must train the tutorials' models to the same numbers as the NumPy backend
(the op tests check each kernel; this checks the plumbing: shared values, inputs and
outputs moved per call, host-side random draws, updates in place).
"""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine import backends
from theanine.backends import cupy_backend
from theanine.backends.cupy_backend import CupyBackend
from theanine.tensor.signal import pool


@pytest.mark.skipif(cupy_backend.is_available(), reason="a GPU is usable here")
def test_device_cuda_without_a_gpu_fails_with_one_clear_line(monkeypatch):
    monkeypatch.setattr(backends, "_BACKENDS", {})
    with pytest.raises(ImportError) as info:
        backends.get_backend("cuda")
    message = str(info.value)
    assert "device 'cuda' is not usable" in message and "device=cpu" in message
    assert "\n" not in message


@pytest.mark.skipif(cupy_backend.is_available(), reason="a GPU is usable here")
def test_device_auto_falls_back_to_the_cpu(monkeypatch):
    monkeypatch.setattr(backends, "_BACKENDS", {})
    assert backends.get_backend("auto").name == "numpy"


def _lenet_like_step(seed):
    """Conv, max pool, dropout-free tanh layers and softmax NLL with an L2 term."""
    rng = np.random.default_rng(seed)
    x, y = T.tensor("float32", (8, 1, 10, 10), "x"), T.ivector("y")
    W0 = theanine.shared(rng.uniform(-0.3, 0.3, (4, 1, 3, 3)).astype("float32"), name="W0")
    W1 = theanine.shared(rng.uniform(-0.1, 0.1, (64, 5)).astype("float32"), name="W1")
    b1 = theanine.shared(np.zeros(5, dtype="float32"), name="b1")
    h = T.tanh(pool.pool_2d(T.nnet.conv2d(x, W0), ws=(2, 2), ignore_border=True))
    p = T.nnet.softmax(T.dot(h.flatten(2), W1) + b1)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + 1e-3 * (W1 ** 2).sum()
    params = [W0, W1, b1]
    updates = [(v, v - 0.1 * g) for v, g in zip(params, T.grad(cost, params))]
    step = theanine.function([x, y], [cost, T.argmax(p, axis=1)], updates=updates)
    return step, params


def _train(seed, n_steps=4):
    rng = np.random.default_rng(100)
    step, params = _lenet_like_step(seed)
    costs = []
    for _ in range(n_steps):
        cost, predictions = step(rng.uniform(0, 1, (8, 1, 10, 10)).astype("float32"),
                                 rng.integers(0, 5, 8).astype("int32"))
        assert np.ndim(cost) == 0 and isinstance(predictions, np.ndarray)   # on the host
        costs.append(float(cost))
    return costs, [p.get_value() for p in params]


def test_cupy_table_trains_like_the_numpy_backend(monkeypatch):
    expected_costs, expected_params = _train(0)
    monkeypatch.setattr(backends, "_BACKENDS", {"cpu": CupyBackend(xp=np)})
    assert backends.get_backend().name == "cupy"
    costs, params = _train(0)
    np.testing.assert_allclose(costs, expected_costs, rtol=1e-5)
    for got, want in zip(params, expected_params):
        assert isinstance(got, np.ndarray)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_random_draws_run_on_the_host_and_advance(monkeypatch):
    from theanine.tensor.shared_randomstreams import RandomStreams
    monkeypatch.setattr(backends, "_BACKENDS", {"cpu": CupyBackend(xp=np)})
    srng = RandomStreams(seed=3)
    mask = srng.binomial(size=(1000,), p=0.5, dtype="float32")
    draw = theanine.function([], mask.mean() * T.ones(()))
    first, second = float(draw()), float(draw())
    assert 0.4 < first < 0.6 and first != second


def test_generated_kernel_sources_have_typed_parameters_and_cast_operands():
    from theanine.ops.fused import Fused
    op = Fused(2, (("mul", (0, 1), "float32"), ("tanh", (2,), "float32")))
    node = op(T.fvector("x"), T.lvector("n")).owner
    ins, outs, body = cupy_backend.elementwise_source(node)
    assert (ins, outs) == ("float32 i0, int64 i1", "float32 out0")
    assert body.splitlines() == ["float t0 = i0 * ((float)(i1));", "out0 = tanh(t0);"]
