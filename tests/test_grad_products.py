"""Jacobians, Hessians and Jacobian products (``jacobian``, ``hessian``, ``Lop``,
``Rop``), against NumPy float64 references and central differences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import theanine
import theanine.tensor as T
from theanine.errors import GradientError

from conftest import host


def _central(f, x, direction, eps=1e-6):
    return (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)


@given(n=st.integers(1, 4), m=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_jacobian_of_a_layer_matches_the_analytic_one(n, m, seed):
    rng = np.random.default_rng(seed)
    W_value, x_value = rng.standard_normal((n, m)), rng.standard_normal(m)
    x, W = T.dvector('x'), T.dmatrix('W')
    y = T.tanh(T.dot(W, x))
    J_x, J_W = T.jacobian(y, [x, W])
    got_x, got_W = theanine.function([x, W], [J_x, J_W])(x_value, W_value)
    slope = 1 - np.tanh(W_value @ x_value) ** 2
    np.testing.assert_allclose(host(got_x), slope[:, None] * W_value, rtol=1e-12, atol=1e-14)
    expected_W = np.zeros((n, n, m))
    expected_W[np.arange(n), np.arange(n)] = slope[:, None] * x_value
    np.testing.assert_allclose(host(got_W), expected_W, rtol=1e-12, atol=1e-14)


def test_jacobian_of_a_scalar_is_its_gradient_and_of_a_matrix_is_refused():
    x = T.dvector('x')
    g = T.jacobian(T.sum(x ** 2), x)
    np.testing.assert_allclose(theanine.function([x], g)(np.array([1.0, -2.0])), [2.0, -4.0])
    with pytest.raises(GradientError, match="must be a vector .*flatten it first"):
        T.jacobian(T.outer(x, x), x)


@given(n=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_hessian_of_a_quadratic_form(n, seed):
    rng = np.random.default_rng(seed)
    A_value = rng.standard_normal((n, n))
    x, y = T.dvector('x'), T.dvector('y')
    A = T.constant(A_value)
    cost = T.dot(x, T.dot(A, x)) + T.sum(T.exp(y))
    H_x, H_y = T.hessian(cost, [x, y])
    y_value = rng.standard_normal(n)
    got_x, got_y = theanine.function([x, y], [H_x, H_y])(rng.standard_normal(n), y_value)
    np.testing.assert_allclose(host(got_x), A_value + A_value.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(got_y), np.diag(np.exp(y_value)), rtol=1e-12)
    with pytest.raises(GradientError, match="each variable must be a vector"):
        T.hessian(T.sum(T.dmatrix('M') ** 2), T.dmatrix('N'))


def _network():
    x, W, b = T.dvector('x'), T.dmatrix('W'), T.dvector('b')
    return x, W, b, T.tanh(T.dot(W, x) + b) ** 2


def test_lop_and_rop_are_the_two_products_with_the_jacobian():
    rng = np.random.default_rng(1)
    x, W, b, f = _network()
    u, v = T.dvector('u'), T.dvector('v')
    vjp = T.Lop(f, x, u)
    jvp = T.Rop(f, x, v)
    J = T.jacobian(f, x)
    run = theanine.function([x, W, b, u, v], [vjp, jvp, J])
    values = [rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2),
              rng.standard_normal(2), rng.standard_normal(3)]
    got_vjp, got_jvp, jac = run(*values)
    np.testing.assert_allclose(got_vjp, values[3] @ jac, rtol=1e-12)
    np.testing.assert_allclose(got_jvp, jac @ values[4], rtol=1e-12)


def test_rop_along_several_variables_is_the_directional_derivative():
    rng = np.random.default_rng(2)
    x, W, b, f = _network()
    dx, dW = T.dvector('dx'), T.dmatrix('dW')
    jvp = theanine.function([x, W, b, dx, dW], T.Rop(f, [x, W], [dx, dW]))
    f_value = theanine.function([x, W, b], f)
    x0, W0, b0 = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2)
    dx0, dW0 = rng.standard_normal(3), rng.standard_normal((2, 3))
    numeric = (f_value(x0 + 1e-6 * dx0, W0 + 1e-6 * dW0, b0)
               - f_value(x0 - 1e-6 * dx0, W0 - 1e-6 * dW0, b0)) / 2e-6
    np.testing.assert_allclose(jvp(x0, W0, b0, dx0, dW0), numeric, rtol=1e-7, atol=1e-9)


def test_rop_through_time():
    # A Jacobian-vector product through a scan needs the second derivative of the loop.
    rng = np.random.default_rng(3)
    xs, h0, W, V = T.dmatrix('xs'), T.dvector('h0'), T.dmatrix('W'), T.dmatrix('V')
    hs, _ = theanine.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W)), sequences=xs,
                          outputs_info=h0)
    jvp = theanine.function([xs, h0, W, V], T.Rop(hs, W, V))
    f = theanine.function([xs, h0, W], hs)
    values = [rng.standard_normal((4, 2)), rng.standard_normal(2),
              rng.standard_normal((2, 2)) * 0.5]
    direction = rng.standard_normal((2, 2))
    numeric = _central(lambda w: f(values[0], values[1], w), values[2], direction)
    np.testing.assert_allclose(jvp(*values, direction), numeric, rtol=1e-7, atol=1e-9)
