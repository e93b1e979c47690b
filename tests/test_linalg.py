"""``nlinalg`` and ``slinalg``: inverse, determinant, trace, solve and Cholesky against
NumPy float64, and their gradients (second derivatives too) with ``verify_grad``."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import theanine.tensor as T
from theanine.gradcheck import verify_grad
from theanine.tensor.nlinalg import det, matrix_dot, matrix_inverse, trace
from theanine.tensor.slinalg import cholesky, solve

from conftest import run_op


def _well_conditioned(rng, n):
    return rng.standard_normal((n, n)) + n * np.eye(n)


def _positive_definite(rng, n):
    b = rng.standard_normal((n, n))
    return b @ b.T + n * np.eye(n)


sizes = st.integers(1, 4)
seeds = st.integers(0, 2 ** 16)


@given(n=sizes, seed=seeds)
def test_inverse_determinant_and_trace(backend, n, seed):
    rng = np.random.default_rng(seed)
    a = _well_conditioned(rng, n)
    for build, ref in ((matrix_inverse, np.linalg.inv), (det, np.linalg.det),
                       (trace, np.trace)):
        got, out = run_op(build, [a])
        assert out.dtype == 'float64'
        np.testing.assert_allclose(got, ref(a), rtol=1e-10, atol=1e-12)
        verify_grad(build, [a], rng=rng)
    got32, out32 = run_op(matrix_inverse, [a.astype('float32')])
    assert out32.dtype == 'float32' and got32.dtype == np.float32


@given(n=sizes, columns=st.integers(0, 2), seed=seeds)
def test_solve_with_a_vector_or_a_matrix(backend, n, columns, seed):
    rng = np.random.default_rng(seed)
    a = _well_conditioned(rng, n)
    b = rng.standard_normal((n, columns) if columns else (n,))
    got, _ = run_op(solve, [a, b])
    np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    verify_grad(solve, [a, b], rng=rng)


@given(n=sizes, seed=seeds)
def test_cholesky_reads_the_lower_triangle(backend, n, seed):
    rng = np.random.default_rng(seed)
    a = _positive_definite(rng, n)
    got, _ = run_op(cholesky, [a])
    np.testing.assert_allclose(got, np.linalg.cholesky(a), rtol=1e-10, atol=1e-12)
    # The strictly upper triangle is never read, so its gradient is 0; a symmetric
    # parametrization gets the usual symmetric gradient.
    verify_grad(cholesky, [a], rng=rng)
    verify_grad(lambda m: cholesky((m + m.T) / 2), [a], rng=rng)


def test_second_derivatives_and_matrix_dot():
    rng = np.random.default_rng(1)
    a = _well_conditioned(rng, 3)
    verify_grad(lambda m: T.grad(T.log(abs(det(m))), m), [a])
    verify_grad(lambda m: T.grad(T.sum(matrix_inverse(m) ** 2), m), [a])
    got, _ = run_op(lambda x, y, z: matrix_dot(x, y, z), [a, a.T, a])
    np.testing.assert_allclose(got, a @ a.T @ a, rtol=1e-12)


def test_bad_shapes_are_named():
    with pytest.raises(TypeError, match="MatrixInverse: needs a square matrix"):
        matrix_inverse(T.tensor('float64', (2, 3)))
    with pytest.raises(TypeError, match="needs a float matrix"):
        det(T.lmatrix('m'))
    with pytest.raises(ValueError, match="different numbers of rows"):
        solve(T.tensor('float64', (3, 3)), T.tensor('float64', (2,)))
