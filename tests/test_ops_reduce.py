"""Reductions, table-driven: sum, mean, prod, max, min, var, std, all, any, argmax, argmin.

Each row gives the T function, a NumPy float64 reference taking the same
``axis``/``keepdims``, the input generator, whether empty inputs are meaningful,
whether it is differentiable and whether it takes one axis only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import theanine
import theanine.tensor as T
from theanine.errors import DisconnectedInputError
from theanine.gradcheck import verify_grad

from conftest import host, run_op


def real(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)


def zero_one(rng, shape):
    return rng.integers(0, 2, shape).astype(np.float64)


def distinct(rng, shape):
    """A random permutation of well separated values: no ties for max/argmax."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.25 - size * 0.125).reshape(shape) + 0.01


@dataclass
class Case:
    name: str
    build: Callable          # (x, axis, keepdims) -> symbolic
    ref: Callable            # (x, axis, keepdims) -> array
    gen: Callable = real
    empty_ok: bool = True    # the reduction of an empty axis is defined
    grad: bool = True
    one_axis: bool = False   # argmax/argmin take an int or None
    kind: str = "float"      # 'float' (input dtype), 'int64', 'bool'

    def __str__(self):
        return self.name


def _np(fn):
    return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)


def _t(fn):
    return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)


def _np_arg(fn):
    def ref(x, axis, keepdims):
        if axis is None:
            return np.asarray(fn(x.reshape(-1)))
        return fn(x, axis=axis, keepdims=keepdims)
    return ref


CASES = [
    Case("sum", _t(T.sum), _np(np.sum)),
    Case("mean", _t(T.mean), _np(np.mean), empty_ok=False),
    Case("prod", _t(T.prod), _np(np.prod), nonzero),
    Case("max", _t(T.max), _np(np.max), distinct, empty_ok=False),
    Case("min", _t(T.min), _np(np.min), distinct, empty_ok=False),
    Case("var", _t(T.var), _np(np.var), empty_ok=False),
    Case("std", _t(T.std), _np(np.std), distinct, empty_ok=False),
    Case("var_ddof1", lambda x, axis, keepdims: T.var(x, axis, keepdims, ddof=1),
         lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1), distinct,
         empty_ok=False),
    Case("all", _t(T.all), _np(np.all), zero_one, grad=False, kind="bool"),
    Case("any", _t(T.any), _np(np.any), zero_one, grad=False, kind="bool"),
    Case("argmax", _t(T.argmax), _np_arg(np.argmax), distinct, empty_ok=False, grad=False,
         one_axis=True, kind="int64"),
    Case("argmin", _t(T.argmin), _np_arg(np.argmin), distinct, empty_ok=False, grad=False,
         one_axis=True, kind="int64"),
]
TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-5), "float64": dict(rtol=1e-11, atol=1e-12)}


@st.composite
def shape_and_axis(draw, case, min_side):
    empty = min_side == 0 and case.empty_ok
    shape = draw(hnp.array_shapes(min_dims=0 if not case.one_axis else 1, max_dims=3,
                                  min_side=0 if empty else 1, max_side=4))
    ndim = len(shape)
    if case.one_axis:
        axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
    else:
        axis = draw(st.one_of(
            st.none(), st.integers(-ndim, ndim - 1) if ndim else st.none(),
            st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple)
            if ndim else st.none()))
    if ndim == 0 and case.one_axis is False:
        axis = None
    keepdims = draw(st.booleans())
    if case.one_axis and axis is None:
        keepdims = False
    return shape, axis, keepdims


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # var with ddof=1 of one element
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
@given(data=st.data())
def test_forward(backend, case, dtype, data):
    shape, axis, keepdims = data.draw(shape_and_axis(case, min_side=0), label="shape/axis")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    x = case.gen(rng, shape).astype(dtype)
    expected = case.ref(x.astype(np.float64), axis, keepdims)
    got, out = run_op(lambda v: case.build(v, axis, keepdims), [x])
    assert out.dtype == {"float": dtype, "int64": "int64", "bool": "bool"}[case.kind]
    assert out.ndim == np.ndim(expected)
    assert got.shape == np.shape(expected)
    if case.kind == "float":
        np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])
    else:
        np.testing.assert_array_equal(got, expected)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=str)
@given(data=st.data())
def test_grad(backend, case, data):
    shape, axis, keepdims = data.draw(shape_and_axis(case, min_side=1), label="shape/axis")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    if case.name.startswith("var") or case.name == "std":
        # Reducing over one element gives a constant (0) or, with ddof=1, a 0/0.
        x = case.gen(rng, shape)
        axes = range(x.ndim) if axis is None else np.atleast_1d(axis)
        if int(np.prod([shape[a] for a in axes])) < 2:
            return
    verify_grad(lambda v: case.build(v, axis, keepdims), [case.gen(rng, shape)], rng=rng)


# ---------------------------------------------------------------- fixed examples


@pytest.mark.parametrize("dtype, expected", [("int8", "int64"), ("int32", "int64"),
                                             ("bool", "int64"), ("uint8", "uint64"),
                                             ("float32", "float32")])
def test_sum_of_integers_accumulates_in_64_bits(backend, dtype, expected):
    x = np.full((300,), 100).astype(dtype)
    got, out = run_op(T.sum, [x])
    assert out.dtype == expected
    assert got == np.sum(x)


def test_mean_of_integers_is_a_float(backend):
    got, out = run_op(T.mean, [np.array([1, 2], dtype="int32")])
    assert out.dtype[0] == "f"
    assert float(got) == 1.5


def test_mean_of_a_static_shape_divides_by_a_constant():
    x = T.tensor("float32", (4, 5))
    out = T.mean(x, axis=1)
    assert out.dtype == "float32" and out.type.shape == (4,)


def test_max_gradient_goes_to_every_maximal_element(backend):
    x = T.dvector("x")
    g = T.grad(T.max(x), x)
    np.testing.assert_array_equal(host(g.eval({x: np.array([1.0, 3.0, 3.0, 0.0])})),
                                  [0, 1, 1, 0])


def test_argmax_has_no_gradient():
    x = T.dmatrix("x")
    with pytest.raises(DisconnectedInputError):
        T.grad(T.sum(T.cast(T.argmax(x, axis=1), "float64")), x)


def test_max_and_argmax(backend):
    x = T.dmatrix("x")
    m, a = T.max_and_argmax(x, axis=1)
    value = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    f = theanine.function([x], [m, a])
    mv, av = f(value)
    np.testing.assert_array_equal(host(mv), [5, 7])
    np.testing.assert_array_equal(host(av), [1, 0])


@pytest.mark.parametrize("axis", [2, -3, (0, 0)])
def test_bad_axis_is_reported_when_building(axis):
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="axis"):
        T.sum(x, axis=axis)


def test_norms(backend):
    x = T.dvector("x")
    value = np.array([3.0, -4.0])
    assert float(host(T.norm(x, 2).eval({x: value}))) == 5.0
    assert float(host(T.norm(x, 1).eval({x: value}))) == 7.0
    verify_grad(lambda v: T.norm(v, 2), [value])


def test_method_spellings(backend):
    x = T.dmatrix("x")
    value = np.arange(6.0).reshape(2, 3)
    f = theanine.function([x], [x.sum(axis=0), x.mean(), x.max(axis=1), x.argmax(axis=1),
                                x.std(), x.prod(axis=1, keepdims=True)])
    results = [host(r) for r in f(value)]
    expected = [value.sum(0), value.mean(), value.max(1), value.argmax(1), value.std(),
                value.prod(1, keepdims=True)]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(rows=st.integers(0, 1100), cols=st.integers(0, 12), transposed=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1))
def test_matrix_sums_through_blas_match_float64(dtype, rows, cols, transposed, seed):
    # The NumPy backend sums float matrices as products with a vector of ones (up to
    # BLAS_SUM_MAX_TERMS terms): same values as NumPy's pairwise sum within rounding,
    # on C- and Fortran-ordered inputs, empty ones and past the limit.
    from theanine.backends.numpy_backend import matrix_sum
    x = np.random.default_rng(seed).standard_normal((rows, cols)).astype(dtype)
    x = x.T if transposed else x
    for axis in (0, 1):
        got = matrix_sum(x, axis)
        expected = x.astype(np.float64).sum(axis=axis)
        assert got.dtype == x.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-4 if dtype == "float32" else 1e-11)


def test_matrix_sums_through_blas_propagate_nan_and_infinity():
    from theanine.backends.numpy_backend import matrix_sum
    x = np.ones((80, 3), dtype="float32")
    x[5, 0], x[7, 1], x[8, 1], x[9, 2] = np.nan, np.inf, -np.inf, np.inf
    with np.errstate(invalid="ignore"):          # inf - inf, as NumPy's own sum warns
        got = matrix_sum(x, 0)
    assert np.isnan(got[0]) and np.isnan(got[1]) and got[2] == np.inf
