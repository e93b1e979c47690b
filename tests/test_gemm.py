"""Gemm: the BLAS call (``backends.cblas``), the op, the rewrite that builds it, in place.

The BLAS path and the NumPy fallback are both compared with a float64 reference on
every memory layout BLAS distinguishes (C/Fortran output, transposed and strided
operands, empty dimensions); the op's gradient is checked with ``verify_grad``; the
rewrite is checked on the update patterns of SGD, L2, momentum and a shared learning
rate, against the same function compiled without rewrites.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import theanine
import theanine.tensor as T
from theanine.backends import cblas
from theanine.gradcheck import verify_grad
from theanine.ops.blas import Gemm

from conftest import host

TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-12, atol=1e-12)}


def layout(array, order):
    """``array`` stored as 'C', 'F' or 'strided' (every other column of a wider one)."""
    if order == "C":
        return np.ascontiguousarray(array)
    if order == "F":
        return np.asfortranarray(array)
    wide = np.zeros((array.shape[0], 2 * array.shape[1]), dtype=array.dtype)
    wide[:, ::2] = array
    return wide[:, ::2]


@pytest.fixture(params=["blas", "numpy"])
def gemm_path(request, monkeypatch):
    """Run the test through BLAS (when NumPy's BLAS was found) and through the fallback."""
    if request.param == "blas":
        if not cblas.available():
            pytest.skip("NumPy's BLAS library was not found: only the fallback runs here")
        monkeypatch.setattr(cblas, "_MIN_BLAS_SIZE", 0)
    else:
        monkeypatch.setattr(cblas, "_GEMM", {})
    return request.param


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("c_order", ["C", "F"])
@pytest.mark.parametrize("a_order", ["C", "F", "strided"])
@pytest.mark.parametrize("b_order", ["C", "F", "strided"])
@given(data=st.data())
def test_cblas_gemm_matches_float64(gemm_path, dtype, c_order, a_order, b_order, data):
    m, k, n = (data.draw(st.integers(0, 7), label=name) for name in "mkn")
    alpha = data.draw(st.sampled_from([1.0, -0.13, 2.5]), label="alpha")
    beta = data.draw(st.sampled_from([0.0, 1.0, 0.9999]), label="beta")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    A = layout(rng.uniform(-1, 1, (m, k)).astype(dtype), a_order)
    B = layout(rng.uniform(-1, 1, (k, n)).astype(dtype), b_order)
    C0 = rng.uniform(-1, 1, (m, n)).astype(dtype)
    C = layout(C0, c_order)
    expected = alpha * (A.astype(np.float64) @ B.astype(np.float64)) + beta * C0
    out = cblas.gemm(C, alpha, A, B, beta)
    assert out is C
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])


def test_cblas_gemm_with_beta_zero_ignores_nans_in_c(gemm_path):
    C = np.full((3, 2), np.nan)
    out = cblas.gemm(C, 1.0, np.ones((3, 4)), np.ones((4, 2)), 0.0)
    assert np.array_equal(out, np.full((3, 2), 4.0))


def test_cblas_gemm_falls_back_when_c_overlaps_an_operand(gemm_path):
    A = np.arange(9.0).reshape(3, 3)
    expected = 2 * A @ A + A
    np.testing.assert_allclose(cblas.gemm(A, 2.0, A, A.copy(), 1.0), expected)


def test_numpy_blas_is_found_on_numpys_own_wheels():
    # NumPy's wheels bundle OpenBLAS; where NumPy says so, the direct call must be there.
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    if "openblas" not in config.get("name", "").lower():
        pytest.skip(f"NumPy here uses {config.get('name')}")
    assert cblas.available()


# ---------------------------------------------------------------- the op


def _gemm_inputs(rng, m, k, n, dtype="float64"):
    return [rng.uniform(-1, 1, s).astype(dtype) for s in ((m, n), (), (m, k), (k, n), ())]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(data=st.data())
def test_gemm_op_forward(backend, dtype, data):
    m, k, n = (data.draw(st.integers(0, 5), label=name) for name in "mkn")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    C, alpha, A, B, beta = _gemm_inputs(rng, m, k, n, dtype)
    ins = [T.tensor(dtype, (None,) * v.ndim) for v in (C, alpha, A, B, beta)]
    f = theanine.function(ins, Gemm()(*ins))
    got = host(f(C.copy(), alpha, A, B, beta))
    expected = float(alpha) * (A.astype(np.float64) @ B) + float(beta) * C
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@given(data=st.data())
def test_gemm_op_grad(backend, data):
    m, k, n = (data.draw(st.integers(1, 4), label=name) for name in "mkn")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    verify_grad(lambda C, a, A, B, b: Gemm()(C, a, A, B, b), _gemm_inputs(rng, m, k, n),
                rng=rng)


def test_gemm_op_rejects_mismatched_shapes_and_dtypes():
    with pytest.raises(Exception, match="gemm: C"):
        Gemm()(T.tensor("float64", (2, 3)), 1.0,
               T.tensor("float64", (4, 5)), T.tensor("float64", (5, 3)), 1.0)
    with pytest.raises(TypeError, match="share one float dtype"):
        Gemm()(T.fmatrix(), 1.0, T.dmatrix(), T.fmatrix(), 1.0)
    with pytest.raises(TypeError, match="matrices"):
        Gemm()(T.dvector(), 1.0, T.dmatrix(), T.dmatrix(), 1.0)


def test_gemm_kernel_names_the_shapes_when_c_does_not_fit():
    C, A, B = T.dmatrix("C"), T.dmatrix("A"), T.dmatrix("B")
    f = theanine.function([C, A, B], Gemm()(C, 1.0, A, B, 1.0))
    with pytest.raises(Exception, match=r"C \(2, 2\) \+= dot\(A \(3, 4\), B \(4, 2\)\)"):
        f(np.ones((2, 2)), np.ones((3, 4)), np.ones((4, 2)))


# ---------------------------------------------------------------- the rewrite

def _ops(f):
    return [str(n.op) for n in f.nodes]


def _sgd_step(update_of, mode=None, dtype="float64"):
    """A compiled step updating shared W (3x4) from inputs x (5x3), g (5x4)."""
    rng = np.random.default_rng(0)
    W = theanine.shared(rng.uniform(-1, 1, (3, 4)).astype(dtype), name="W")
    x, g = T.tensor(dtype, (None, None), "x"), T.tensor(dtype, (None, None), "g")
    step = theanine.function([x, g], [], updates=[(W, update_of(W, x, g))], mode=mode)
    return step, W


UPDATES = {
    "sgd": lambda W, x, g: W - 0.1 * T.dot(x.T, g),
    "sgd+l2": lambda W, x, g: W - 0.1 * (T.dot(x.T, g) + 2 * 1e-4 * W),
    "decay first": lambda W, x, g: 0.999 * W - T.dot(x.T, g) / 4,
    "negated": lambda W, x, g: -(T.dot(x.T, g) * 0.5) + W,
    "shared lr": None,          # built in the test: a symbolic coefficient
}


@pytest.mark.parametrize("name", list(UPDATES))
def test_update_patterns_become_one_inplace_gemm(name):
    rng = np.random.default_rng(1)
    x, g = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, (5, 4))
    update = UPDATES[name]
    if update is None:
        lr = theanine.shared(np.float64(0.05), name="lr")
        update = lambda W, x_, g_: W * (1 - lr * 0.01) - lr * T.dot(x_.T, g_)  # noqa: E731
    fast, W_fast = _sgd_step(update)
    slow, W_slow = _sgd_step(update, mode="FAST_COMPILE")
    assert "Gemm{inplace}" in _ops(fast), _ops(fast)
    buffer = W_fast.get_value(borrow=True)
    for _ in range(3):
        fast(x, g)
        slow(x, g)
    assert W_fast.get_value(borrow=True) is buffer         # updated in its own memory
    np.testing.assert_allclose(W_fast.get_value(), W_slow.get_value(), rtol=1e-13)


def test_other_terms_are_added_to_the_gemm():
    rng = np.random.default_rng(1)
    x, g = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, (5, 4))
    update = lambda W, x_, g_: W - 0.1 * T.dot(x_.T, g_) + 0.5 * T.ones_like(W)  # noqa: E731
    fast, W_fast = _sgd_step(update)
    slow, W_slow = _sgd_step(update, mode="FAST_COMPILE")
    assert any("Gemm" in op for op in _ops(fast))
    fast(x, g)
    slow(x, g)
    np.testing.assert_allclose(W_fast.get_value(), W_slow.get_value(), rtol=1e-13)


def test_product_read_elsewhere_is_not_recomputed():
    W = theanine.shared(np.ones((3, 4)), name="W")
    x, g = T.dmatrix("x"), T.dmatrix("g")
    product = T.dot(x.T, g)
    f = theanine.function([x, g], product.sum(), updates=[(W, W - 0.1 * product)])
    assert not any("Gemm" in op for op in _ops(f))


def test_sum_of_only_products_and_vectors_is_left_alone():
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    f = theanine.function([x, W, b], T.dot(x, W) + b)       # a bias row is not a C
    assert not any("Gemm" in op for op in _ops(f))


def test_gemm_on_a_function_input_is_not_in_place():
    C, x, g = T.dmatrix("C"), T.dmatrix("x"), T.dmatrix("g")
    f = theanine.function([C, x, g], C - 0.5 * T.dot(x, g))
    assert "Gemm" in _ops(f) and "Gemm{inplace}" not in _ops(f)
    c = np.ones((2, 2))
    out = f(c, np.eye(2), np.eye(2))
    assert np.array_equal(c, np.ones((2, 2))) and np.array_equal(out, [[0.5, 1], [1, 0.5]])


def test_mlp_step_uses_gemm_for_both_weight_matrices():
    x, y = T.fmatrix("x"), T.ivector("y")
    rng = np.random.default_rng(0)
    W1 = theanine.shared(rng.uniform(-0.1, 0.1, (6, 5)).astype("float32"), name="W1")
    W2 = theanine.shared(np.zeros((5, 3), dtype="float32"), name="W2")
    h = T.tanh(T.dot(x, W1))
    p = T.nnet.softmax(T.dot(h, W2))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + 1e-4 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    updates = [(w, w - 0.01 * T.grad(cost, w)) for w in (W1, W2)]
    step = theanine.function([x, y], cost, updates=updates)
    assert _ops(step).count("Gemm{inplace}") == 2, _ops(step)


# ---------------------------------------------------------------- threads

def test_single_threaded_blas_restores_the_thread_count():
    if cblas._THREADS is None:
        pytest.skip("NumPy's BLAS thread control was not found")
    before = cblas._THREADS[0]()
    with cblas.single_threaded_blas():
        assert cblas._THREADS[0]() == 1
    assert cblas._THREADS[0]() == before


@pytest.mark.parametrize("shared_left", [True, False])
def test_batched_matmul_split_over_cores_gives_numpys_bits(monkeypatch, shared_left):
    from theanine.backends import numpy_parallel
    from theanine.backends.numpy_conv import batched_matmul
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5) if shared_left else (40, 7, 5)).astype("float32")
    b = rng.standard_normal((40, 5, 9)).astype("float32")
    monkeypatch.setattr(numpy_parallel, "MIN_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 3)
    np.testing.assert_array_equal(batched_matmul(a, b), np.matmul(a, b))


@pytest.mark.parametrize("shape", [(9, 4, 5), (3, 4, 11)])           # (m, k, n)
def test_large_products_split_over_cores_give_the_same_bits(monkeypatch, gemm_path, shape):
    from theanine.backends import numpy_parallel
    if cblas._THREADS is None:
        pytest.skip("NumPy's BLAS thread control was not found: products are not split")
    m, k, n = shape
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k)).astype("float32")
    b = rng.standard_normal((k, n)).astype("float32")
    c = rng.standard_normal((m, n)).astype("float32")
    whole_product = np.matmul(a, b)
    whole_gemm = cblas.gemm(c.copy(), -0.5, np.asfortranarray(a), b, 0.9)
    monkeypatch.setattr(numpy_parallel, "SPLIT_PRODUCT_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "MIN_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 3)
    with cblas.single_threaded_blas():
        np.testing.assert_array_equal(numpy_parallel.matmul(a, b), whole_product)
        np.testing.assert_array_equal(cblas.gemm(c.copy(), -0.5, np.asfortranarray(a), b, 0.9),
                                      whole_gemm)


def test_steps_with_convolutions_hold_blas_to_one_thread():
    from theanine.backends import get_backend
    x = T.tensor("float64", (2, 1, 6, 6), "x")
    w = theanine.shared(np.ones((3, 1, 3, 3)), name="w")
    conv_step = theanine.function([x], T.nnet.conv2d(x, w).sum())
    dense_step = theanine.function([x], (x * 2).sum())
    if get_backend().name != "numpy":
        pytest.skip("a NumPy-backend policy")
    assert "with _step_context():" in conv_step.source
    assert "_step_context" not in dense_step.source
    if cblas._THREADS is not None:
        before = cblas._THREADS[0]()
        conv_step(np.ones((2, 1, 6, 6)))
        assert cblas._THREADS[0]() == before          # restored after the step
