"""0-d programs run as NumPy scalar arithmetic: the same values and dtypes as the ufuncs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import theanine
import theanine.tensor as T
from theanine.backends.numpy_scalar import scalar_program_kernel, scalar_program_source
from theanine.ops.fused import scalar_op

DTYPES = ["bool", "int8", "int32", "int64", "uint8", "float32", "float64"]
OPS = ["add", "sub", "mul", "true_div", "neg", "exp", "maximum", "cast_float32", "cast_int32"]


def _reference(program, inputs):
    """The program run the old way: each ufunc on 0-d arrays."""
    values = [np.asarray(x) for x in inputs]
    for name, slots, _ in program:
        values.append(scalar_op(name).numpy(*[values[s] for s in slots]))
    return values[-1]


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                return fn(), None
            except (TypeError, ValueError) as exc:
                return None, type(exc)


@st.composite
def programs(draw):
    n = draw(st.integers(1, 3))
    dtypes = [draw(st.sampled_from(DTYPES)) for _ in range(n)]
    inputs = [np.asarray(draw(st.integers(-5, 5)) if d != "bool" else draw(st.booleans())).astype(d)
              for d in dtypes]
    program = []
    for j in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(OPS))
        slots = tuple(draw(st.integers(0, n + j - 1)) for _ in range(scalar_op(name).nin))
        program.append((name, slots, "unused"))
    return program, inputs


@settings(max_examples=300, deadline=None)
@given(programs())
def test_scalar_kernel_matches_the_ufuncs_value_dtype_and_errors(case):
    program, inputs = case
    expected, expected_error = _outcome(lambda: _reference(program, inputs))
    got, error = _outcome(lambda: scalar_program_kernel(program, len(inputs))(*inputs))
    assert error == expected_error
    if error is None:
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(got, expected)


def test_arithmetic_is_written_with_operators_and_returns_a_numpy_scalar():
    program = [("mul", (0, 1), "int64"), ("neg", (2,), "int64"), ("true_div", (3, 1), "float64")]
    source = scalar_program_source(program, 2, {})
    assert "t0 = i0 * i1" in source and "t1 = -t0" in source and "return t1 / i1" in source
    result = scalar_program_kernel(program, 2)(np.array(3), np.int64(4))
    assert isinstance(result, np.float64) and result == -3.0


def test_python_numbers_are_taken_as_numpy_would_take_them():
    kernel = scalar_program_kernel([("add", (0, 1), "float64")], 2)
    got, expected = kernel(0.5, np.float32(1.0)), np.add(np.asarray(0.5), np.float32(1.0))
    assert got == expected and got.dtype == expected.dtype == np.float64


@pytest.mark.parametrize("fuse", [True, False])
def test_compiled_scalar_expressions_keep_their_dtypes(fuse):
    i = T.lscalar('i')
    x = T.fscalar('x')
    mode = "FAST_RUN" if fuse else "FAST_COMPILE"
    f = theanine.function([i, x], [i * 20, (i + 1) * 20, -x / T.cast(i, 'float32') + 1],
                          mode=mode)
    start, stop, value = f(3, 1.5)
    assert (start, stop) == (60, 80) and start.dtype == np.int64
    assert value.dtype == np.float32 and value == np.float32(0.5)
