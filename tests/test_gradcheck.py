"""``numerical_gradient`` and ``verify_grad``: they pass correct gradients, and a wrong
gradient fails with a message that names the argument, the element and the values."""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.errors import TheanineError
from theanine.gradcheck import GradientCheckError, numerical_gradient, verify_grad
from theanine.gradient import zero_grad

# ---------------------------------------------------------------- numerical_gradient


def function_2(x):
    """"Deep Learning from Scratch" 4.4: f(x0, x1) = x0**2 + x1**2."""
    return np.sum(x ** 2)


@pytest.mark.parametrize("point, expected", [([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]),
                                             ([3.0, 0.0], [6.0, 0.0])])
def test_numerical_gradient_of_the_books_function(point, expected):
    np.testing.assert_allclose(numerical_gradient(function_2, np.array(point)), expected,
                               atol=1e-7)


def test_numerical_gradient_restores_the_array_and_returns_float64():
    x = np.array([[1.0, -2.0, 3.0]], dtype=np.float32)
    before = x.copy()
    g = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x, eps=1e-3)
    np.testing.assert_array_equal(x, before)
    assert g.dtype == np.float64 and g.shape == x.shape
    np.testing.assert_allclose(g, np.cos(before), rtol=1e-3)


def test_numerical_gradient_perturbs_in_place_for_closures():
    W = np.array([[0.5, -1.0], [2.0, 0.0]])
    x = np.array([1.0, 2.0])

    def loss(_):                     # reads W from the closure, as the book's nets do
        return float(np.sum(np.tanh(x @ W)))
    expected = np.outer(x, 1 - np.tanh(x @ W) ** 2)
    np.testing.assert_allclose(numerical_gradient(loss, W), expected, rtol=1e-7)


def test_numerical_gradient_of_a_scalar_array():
    x = np.array(3.0)
    assert abs(float(numerical_gradient(lambda v: float(v) ** 3, x)) - 27.0) < 1e-6


def test_numerical_gradient_needs_an_array():
    with pytest.raises(TypeError, match="NumPy array"):
        numerical_gradient(function_2, [1.0, 2.0])


def test_numerical_gradient_through_a_shared_variable():
    """The DLFS pattern with theanine: perturb a shared variable's borrowed storage."""
    W = theanine.shared(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
    x = T.dvector("x")
    loss = theanine.function([x], T.sum(T.dot(x, W) ** 2))
    xv = np.array([1.0, -1.0])
    numeric = numerical_gradient(lambda _: loss(xv), W.get_value(borrow=True))
    analytic = theanine.function([x], T.grad(T.sum(T.dot(x, W) ** 2), W))(xv)
    np.testing.assert_allclose(numeric, analytic, rtol=1e-7)


# ---------------------------------------------------------------- verify_grad passes


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (20, 30)])
def test_verify_grad_passes_correct_gradients(shape):
    rng = np.random.default_rng(0)
    verify_grad(lambda x: T.tanh(x) * T.exp(x / 2), [rng.uniform(-1, 1, shape)])


def test_verify_grad_several_inputs_and_float32_points():
    rng = np.random.default_rng(1)
    verify_grad(lambda x, W, b: T.nnet.softmax(T.dot(x, W) + b),
                [rng.uniform(-1, 1, (4, 3)).astype("float32"), rng.uniform(-1, 1, (3, 5)),
                 rng.uniform(-1, 1, (5,))])


@pytest.mark.parametrize("rng", [None, 3, np.random.RandomState(3), np.random.default_rng(3)])
def test_verify_grad_rng_forms(rng):
    verify_grad(lambda x: x ** 3, [np.array([1.0, 2.0])], rng=rng, n_tests=3)


def test_verify_grad_inputs_are_float64_with_broadcastable_size_one_dims():
    seen = []

    def fun(x, b):
        seen.extend([x.type, b.type])
        return x + b
    verify_grad(fun, [np.ones((3, 4), dtype="float32"), np.ones((1, 4))])
    assert [t.dtype for t in seen] == ["float64", "float64"]
    assert seen[1].shape == (1, None)


# ---------------------------------------------------------------- verify_grad fails


def _wrong_at(mask):
    """``x + zero_grad(x * mask)``: its symbolic gradient misses ``mask``."""
    m = T.constant(mask)
    return lambda x: x + zero_grad(x * m)


@pytest.mark.parametrize("shape, position", [((3,), (1,)), ((4, 5), (2, 3)),
                                             ((30, 40), (17, 5))])
def test_verify_grad_names_the_wrong_element(shape, position):
    mask = np.zeros(shape)
    mask[position] = 1.0
    x = np.random.default_rng(2).uniform(-1, 1, shape)
    with pytest.raises(GradientCheckError) as info:
        verify_grad(_wrong_at(mask), [x])
    exc = info.value
    assert exc.arg == 0 and exc.position == position
    assert exc.numeric == pytest.approx(2 * exc.analytic, rel=1e-6)
    text = str(exc)
    assert "argument 0" in text and f"position {position}" in text
    assert "analytic" in text and "numeric" in text
    assert "abs error" in text and "rel error" in text
    assert "1 of" in text


def test_verify_grad_names_the_argument():
    def fun(a, b):
        return a * 2 + zero_grad(b) * b
    with pytest.raises(GradientCheckError) as info:
        verify_grad(fun, [np.ones(3), np.array([1.0, 2.0, 3.0])])
    assert info.value.arg == 1 and "argument 1 (input 1" in str(info.value)


def test_gradient_check_error_is_an_assertion_error():
    assert issubclass(GradientCheckError, AssertionError)
    assert issubclass(GradientCheckError, TheanineError)


def test_verify_grad_tolerances_are_explicit():
    mask = np.zeros(3)
    mask[0] = 1e-3
    fun = _wrong_at(mask)
    with pytest.raises(GradientCheckError):
        verify_grad(fun, [np.ones(3)])
    verify_grad(fun, [np.ones(3)], abs_tol=1e-2)
    verify_grad(fun, [np.ones(3)], rel_tol=1e-2)


def test_verify_grad_checks_a_wrong_op_gradient():
    """An op with a hand-written (wrong) gradient is caught."""
    from theanine.graph.basic import Apply
    from theanine.ops.base import Op

    class BadSquare(Op):
        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type])

        def grad(self, inputs, outputs, output_grads):
            return [output_grads[0] * inputs[0]]        # should be 2 * x

    from theanine.backends.numpy_backend import KERNELS
    KERNELS[BadSquare] = lambda node: np.square
    try:
        with pytest.raises(GradientCheckError, match="argument 0"):
            verify_grad(BadSquare(), [np.array([1.0, 2.0, 3.0])])
    finally:
        del KERNELS[BadSquare]


def test_verify_grad_rejects_what_has_no_gradient():
    with pytest.raises(TypeError, match="floating-point"):
        verify_grad(lambda x: T.argmax(x), [np.ones(3)])
    with pytest.raises(TypeError, match="one tensor"):
        verify_grad(lambda x: [x, x], [np.ones(3)])
    with pytest.raises(TypeError, match="list"):
        verify_grad(lambda x: x, np.ones(3))
