"""``T.grad``: its options, broadcasting, dtypes, and gradients of gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.errors import DisconnectedInputError, GradientError
from theanine.gradcheck import verify_grad
from theanine.gradient import disconnected_grad, zero_grad

from conftest import host


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- gradients of gradients

SECOND_ORDER = {
    "tanh": T.tanh,
    "sigmoid": T.sigmoid,
    "softplus": T.softplus,
    "exp_sin": lambda x: T.exp(x) * T.sin(x),
    "log": lambda x: T.log(x + 3.0),
    "pow": lambda x: (x + 3.0) ** 2.5,
    "softmax": T.nnet.softmax,
    "log_softmax": T.nnet.log_softmax,
    "mean_sqr": lambda x: T.mean(T.sqr(x), axis=0),
    "prod": lambda x: T.prod(x + 3.0, axis=1),
    "var": lambda x: T.var(x, axis=1),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_gradient_of_gradient(backend, name):
    fn = SECOND_ORDER[name]
    x = _rng().uniform(-1, 1, (3, 4))
    # The derivative of grad(sum(fn(x) * r), x) with respect to x: a Hessian.
    out_shape = host(fn(T.constant(x)).eval()).shape
    weights = T.constant(_rng(1).uniform(0.5, 1.5, out_shape))
    verify_grad(lambda v: T.grad(T.sum(fn(v) * weights), v), [x])


def test_gradient_of_gradient_of_dot_and_indexing(backend):
    x, W = _rng().uniform(-1, 1, (4, 3)), _rng(1).uniform(-1, 1, (3, 5))
    y = T.constant(np.array([0, 4, 2, 2]))

    def grad_w(v, w):
        p = T.nnet.softmax(T.tanh(T.dot(v, w)))
        cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
        return T.grad(cost, w)
    verify_grad(grad_w, [x, W])


def test_third_derivative(backend):
    x = T.dscalar("x")
    d1 = T.grad(x ** 4, x)
    d2 = T.grad(d1, x)
    d3 = T.grad(d2, x)
    f = theanine.function([x], [d1, d2, d3])
    assert [float(host(v)) for v in f(2.0)] == [32.0, 48.0, 48.0]


def test_hessian_vector_product(backend):
    x, v = T.dvector("x"), T.dvector("v")
    cost = T.sum(x ** 3) + T.sum(x) ** 2
    hv = T.grad(T.sum(T.grad(cost, x) * v), x)
    xv, vv = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    hessian = np.diag(6 * xv) + 2
    np.testing.assert_allclose(host(theanine.function([x, v], hv)(xv, vv)), hessian @ vv)


# ---------------------------------------------------------------- options


def test_list_and_single_wrt():
    x, y = T.dscalar("x"), T.dscalar("y")
    cost = x * y
    gx = T.grad(cost, x)
    gs = T.grad(cost, [x, y])
    assert not isinstance(gx, list)
    assert isinstance(gs, list) and len(gs) == 2
    assert float(host(gs[0].eval({x: 2.0, y: 3.0}))) == 3.0
    assert isinstance(T.grad(cost, (x, y)), list)
    # The tutorials pass tparams.values(); on Python 3 that is a view, not a list.
    params = {"x": x, "y": y}
    assert [float(host(g.eval({x: 2.0, y: 3.0}))) for g in T.grad(cost, params.values())] \
        == [3.0, 2.0]


def test_consider_constant(backend):
    x = T.dscalar("x")
    y = x * x
    g = T.grad(y * x, x, consider_constant=[y])
    assert float(host(g.eval({x: 3.0}))) == 9.0            # y held fixed: d(y x)/dx = y


def test_zero_grad_and_disconnected_grad(backend):
    x = T.dscalar("x")
    assert float(host(T.grad(zero_grad(x) * x, x).eval({x: 3.0}))) == 3.0
    assert float(host(T.grad(disconnected_grad(x ** 2) + x, x).eval({x: 3.0}))) == 1.0


def test_known_grads(backend):
    x = T.dvector("x")
    h = T.tanh(x)
    upstream = T.dvector("upstream")
    g = T.grad(None, x, known_grads={h: upstream})
    xv, uv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    got = host(theanine.function([x, upstream], g)(xv, uv))
    np.testing.assert_allclose(got, uv * (1 - np.tanh(xv) ** 2))


def test_gradients_add_up_over_every_path(backend):
    x = T.dscalar("x")
    y = T.exp(x)
    cost = y * y + T.sin(x) * y + x
    g = T.grad(cost, x)
    xv = 0.3
    expected = 2 * np.exp(2 * xv) + np.cos(xv) * np.exp(xv) + np.sin(xv) * np.exp(xv) + 1
    np.testing.assert_allclose(float(host(g.eval({x: xv}))), expected)


@pytest.mark.parametrize("policy", ["raise", "warn", "ignore"])
def test_disconnected_inputs_policy(backend, policy):
    x, unused = T.dvector("x"), T.dmatrix("unused")
    cost = T.sum(x ** 2)
    if policy == "raise":
        with pytest.raises(DisconnectedInputError, match="unused"):
            T.grad(cost, [x, unused])
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gx, gu = T.grad(cost, [x, unused], disconnected_inputs=policy)
    assert bool(caught) == (policy == "warn")
    f = theanine.function([x, unused], [gx, gu])
    gxv, guv = (host(v) for v in f(np.array([1.0, 2.0]), np.ones((2, 3))))
    np.testing.assert_array_equal(gxv, [2.0, 4.0])
    np.testing.assert_array_equal(guv, np.zeros((2, 3)))


def test_cost_must_be_a_float_scalar():
    x = T.dvector("x")
    with pytest.raises(GradientError, match="scalar") as info:
        T.grad(x ** 2, x)
    assert "T.sum" in str(info.value) and "test_grad.py" in str(info.value)
    with pytest.raises(GradientError, match="float"):
        T.grad(T.sum(T.cast(x, "int64")), x)


def test_wrt_must_be_symbolic():
    with pytest.raises(TypeError, match="symbolic"):
        T.grad(T.sum(T.dvector()), np.ones(2))
    with pytest.raises(TypeError, match="a symbolic variable or a list of them, got float"):
        T.grad(T.sum(T.dvector()), 1.5)


# ---------------------------------------------------------------- broadcasting and types


@pytest.mark.parametrize("b_shape", [(None,), (1, None), (None, 1), (1, 1), ()])
def test_gradient_of_broadcast_operand_is_summed(backend, b_shape):
    x = T.dmatrix("x")
    b = T.tensor("float64", b_shape, name="b")
    g = T.grad(T.sum((x + b) * x), b)
    assert g.type.shape == b.type.shape or g.ndim == b.ndim
    xv = _rng().uniform(-1, 1, (3, 4))
    bv_shape = tuple(1 if s == 1 else {0: 3, 1: 4}[k + 2 - len(b_shape)]
                     for k, s in enumerate(b_shape))
    bv = _rng(1).uniform(-1, 1, bv_shape)
    got = host(theanine.function([x, b], g)(xv, bv))
    expected = np.broadcast_to(xv, (3, 4)).copy()
    axes = tuple(range(2 - len(b_shape)))
    expected = expected.sum(axis=axes)
    expected = expected.sum(axis=tuple(k for k, s in enumerate(b_shape) if s == 1),
                            keepdims=True)
    np.testing.assert_allclose(got, expected.reshape(bv.shape))
    verify_grad(lambda xx, bb: (xx + bb) * xx, [xv, bv])


def test_gradient_keeps_dtype_and_static_shape():
    W = theanine.shared(np.zeros((784, 10), dtype="float32"), name="W")
    b = theanine.shared(np.zeros(10, dtype="float32"), name="b")
    x = T.fmatrix("x")
    y = T.ivector("y")
    p = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gW, gb = T.grad(cost, [W, b])
    assert gW.dtype == "float32" and gW.type.shape == (784, 10)
    assert gb.dtype == "float32" and gb.type.shape == (10,)
    with theanine.config.change_flags(floatX="float32"):
        step = W - 0.13 * gW
    assert step.dtype == "float32"


def test_gradient_with_respect_to_shared_variables_in_updates(backend):
    w = theanine.shared(np.array([1.0, -2.0]), name="w")
    x = T.dvector("x")
    cost = T.sum((x * w) ** 2)
    train = theanine.function([x], cost, updates=[(w, w - 0.1 * T.grad(cost, w))])
    train(np.array([1.0, 1.0]))
    np.testing.assert_allclose(w.get_value(), [1.0 - 0.2, -2.0 + 0.4])


def test_gradient_through_subtensor_of_shared_data(backend):
    data = theanine.shared(np.arange(12.0).reshape(4, 3), name="data")
    i = T.lscalar("i")
    g = T.grad(T.sum(data[i:i + 2] ** 2), data)
    got = host(theanine.function([i], g)(1))
    expected = np.zeros((4, 3))
    expected[1:3] = 2 * np.arange(12.0).reshape(4, 3)[1:3]
    np.testing.assert_array_equal(got, expected)
