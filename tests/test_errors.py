"""Error messages: raised when the expression is built, naming the user's own line,
the op, and the shapes and dtypes involved; runtime failures say the same."""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.errors import (DisconnectedInputError, ExecutionError, ShapeError,
                             TheanineError)

from conftest import host

THIS_FILE = os.path.basename(__file__)


def _next_line():
    """The line number after the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


def _assert_names_line(text, line):
    assert THIS_FILE in text, text
    assert f"line {line}" in text, text


# ---------------------------------------------------------------- build time


def test_dot_shape_mismatch_names_the_users_line_the_op_and_the_shapes():
    x = T.tensor("float32", (None, 784), name="x")
    W = theanine.shared(np.zeros((500, 10), dtype="float32"), name="W")
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        T.dot(x, W)
    text = str(info.value)
    assert "dot" in text and "784" in text and "500" in text and "float32" in text
    _assert_names_line(text, line)
    assert "T.dot(x, W)" in text                       # the source text of that line


def test_matmul_operator_mismatch_is_reported_the_same_way():
    x = T.tensor("float64", (None, 3), name="x")
    W = T.tensor("float64", (4, 2), name="W")
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        x @ W
    assert "dot" in str(info.value) and "3" in str(info.value) and "4" in str(info.value)
    _assert_names_line(str(info.value), line)


def test_broadcast_mismatch_names_the_op_shapes_and_line():
    a = T.tensor("float32", (None, 3), name="a")
    b = T.tensor("float32", (4,), name="b")
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        a + b
    text = str(info.value)
    assert "add" in text and "3" in text and "4" in text
    _assert_names_line(text, line)


def _hidden_layer(x, n_in, n_out):
    W = theanine.shared(np.zeros((n_in, n_out)), name="W_hidden")
    return T.tanh(T.dot(x, W))     # the line that fails for a wrong n_in


def test_error_inside_a_user_helper_names_the_helpers_line():
    x = T.tensor("float64", (None, 20), name="x")
    helper_line = inspect.getsource(_hidden_layer).splitlines().index(
        "    return T.tanh(T.dot(x, W))     # the line that fails for a wrong n_in")
    with pytest.raises(ShapeError) as info:
        _hidden_layer(x, 30, 5)
    _assert_names_line(str(info.value), _hidden_layer.__code__.co_firstlineno + helper_line)
    assert "_hidden_layer" in str(info.value)


def test_reshape_to_a_wrong_static_size_names_the_line():
    x = T.tensor("float32", (2, 6), name="x")
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        x.reshape((5, 3))
    text = str(info.value)
    assert "Reshape" in text and "12 elements" in text and "15 elements" in text
    _assert_names_line(text, line)


def test_concatenate_mismatch():
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        T.concatenate([T.tensor("float32", (2, 3)), T.tensor("float32", (2, 4))])
    assert "Join" in str(info.value) and "float32[2, 3]" in str(info.value)
    _assert_names_line(str(info.value), line)


def test_errors_are_theanine_errors_and_standard_ones():
    assert issubclass(ShapeError, TheanineError) and issubclass(ShapeError, ValueError)
    assert issubclass(ExecutionError, RuntimeError)


# ---------------------------------------------------------------- run time


def test_runtime_reshape_failure_names_the_op_and_the_line_that_built_it(backend):
    x = T.dvector("x")
    rows = T.lscalar("rows")
    line = _next_line()
    y = x.reshape((rows, 3))
    f = theanine.function([x, rows], y * 2)
    np.testing.assert_array_equal(host(f(np.arange(6.0), 2)), np.arange(6.0).reshape(2, 3) * 2)
    with pytest.raises(ExecutionError) as info:
        f(np.arange(10.0), 2)
    text = str(info.value)
    assert "Reshape" in text and "(10,)" in text and "float64" in text
    assert "cannot reshape" in text
    _assert_names_line(text, line)
    assert "x.reshape((rows, 3))" in text
    assert isinstance(info.value.__cause__, ValueError)


def test_runtime_dot_mismatch_names_the_shapes(backend):
    x = T.fmatrix("x")
    W = theanine.shared(np.zeros((500, 10), dtype="float32"), name="W")
    line = _next_line()
    out = T.dot(x, W)
    f = theanine.function([x], out)
    with pytest.raises(ExecutionError) as info:
        f(np.zeros((2, 784), dtype="float32"))
    text = str(info.value)
    assert "dot" in text.lower() and "(2, 784)" in text and "(500, 10)" in text
    _assert_names_line(text, line)


def test_runtime_index_error_names_the_line(backend):
    x = T.dvector("x")
    i = T.lscalar("i")
    line = _next_line()
    picked = x[i]
    f = theanine.function([x, i], picked)
    assert float(host(f(np.arange(3.0), 2))) == 2.0
    with pytest.raises(ExecutionError) as info:
        f(np.arange(3.0), 7)
    assert "out of bounds" in str(info.value)
    _assert_names_line(str(info.value), line)


def test_runtime_error_is_not_the_theano_counter_example(backend):
    x = T.dvector("x")
    f = theanine.function([x], x.reshape((2, 2)))
    with pytest.raises(ExecutionError) as info:
        f(np.arange(3.0))
    assert "optimizer=None" not in str(info.value)
    assert "Apply node" not in str(info.value)


# ---------------------------------------------------------------- gradients


def test_grad_of_an_unrelated_variable_raises():
    x, unrelated = T.dvector("x"), T.dmatrix("unrelated")
    cost = T.sum(x ** 2)
    with pytest.raises(DisconnectedInputError) as info:
        T.grad(cost, unrelated)
    text = str(info.value)
    assert "unrelated" in text and "disconnected_inputs='ignore'" in text


def test_grad_of_an_unrelated_shared_variable_names_where_it_was_made():
    x = T.dvector("x")
    line = _next_line()
    b = theanine.shared(np.zeros(3), name="b_unused")
    with pytest.raises(DisconnectedInputError) as info:
        T.grad(T.sum(x), b)
    assert "b_unused" in str(info.value)
    _assert_names_line(str(info.value), line)


def test_disconnected_inputs_ignore_gives_zeros(backend):
    x, unrelated = T.dvector("x"), T.dmatrix("unrelated")
    g = T.grad(T.sum(x ** 2), unrelated, disconnected_inputs="ignore")
    f = theanine.function([unrelated], g)
    np.testing.assert_array_equal(host(f(np.ones((2, 3)))), np.zeros((2, 3)))


def test_bad_disconnected_inputs_policy():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(ValueError, match="disconnected_inputs"):
        T.grad(T.sum(x), y, disconnected_inputs="sometimes")
