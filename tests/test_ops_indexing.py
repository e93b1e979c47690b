"""Indexing: basic slices (constant and symbolic bounds, negative steps, ints, None,
Ellipsis), advanced integer and boolean indices, and set_subtensor/inc_subtensor.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import theanine
import theanine.tensor as T
from theanine.gradcheck import verify_grad

from conftest import host, run_op, symbolic_like

DTYPES = ["float32", "float64"]


def _values(seed, shape, dtype="float64"):
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)


@st.composite
def basic_index(draw, min_side=0, allow_newaxis=True):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=5))
    index = draw(hnp.basic_indices(shape, allow_newaxis=allow_newaxis, allow_ellipsis=True))
    return shape, index


def _symbolic_bounds(index):
    """``index`` with every int inside a slice (and every lone int) as an lscalar input."""
    index = index if isinstance(index, tuple) else (index,)
    inputs, values, result = [], [], []

    def sym(value):
        if value is None:
            return None
        var = T.lscalar(f"b{len(inputs)}")
        inputs.append(var)
        values.append(value)
        return var
    for item in index:
        if isinstance(item, slice):
            result.append(slice(sym(item.start), sym(item.stop), sym(item.step)))
        elif isinstance(item, (int, np.integer)):
            result.append(sym(int(item)))
        else:
            result.append(item)
    return tuple(result), inputs, values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bounds", ["constant", "symbolic"])
@given(case=basic_index(), seed=st.integers(0, 2 ** 32 - 1))
def test_basic_indexing(backend, dtype, bounds, case, seed):
    shape, index = case
    x = _values(seed, shape, dtype)
    xv = symbolic_like(x, name="x")
    if bounds == "constant":
        inputs, values, sym_index = [xv], [x], index
    else:
        sym_index, extra, extra_values = _symbolic_bounds(index)
        inputs, values = [xv] + extra, [x] + extra_values
    out = xv[sym_index]
    got = host(theanine.function(inputs, out)(*values))
    expected = x[index]
    assert out.ndim == expected.ndim and out.dtype == dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@given(case=basic_index(min_side=1), seed=st.integers(0, 2 ** 32 - 1))
def test_basic_indexing_grad(backend, case, seed):
    shape, index = case
    verify_grad(lambda v: v[index], [_values(seed, shape)])


def test_tutorial_minibatch_slice(backend):
    data = theanine.shared(np.arange(20.0).reshape(10, 2), name="data")
    index = T.lscalar("index")
    batch_size = 3
    f = theanine.function([index], data[index * batch_size:(index + 1) * batch_size])
    np.testing.assert_array_equal(host(f(1)), np.arange(20.0).reshape(10, 2)[3:6])
    np.testing.assert_array_equal(host(f(3)), np.arange(20.0).reshape(10, 2)[9:12])


def test_negative_steps_and_reversal(backend):
    x = np.arange(10.0)
    for index in [slice(None, None, -1), slice(8, 2, -2), slice(-1, -11, -3), slice(2, 8, -1)]:
        got, _ = run_op(lambda v: v[index], [x])
        np.testing.assert_array_equal(got, x[index])
    verify_grad(lambda v: v[::-2], [x])


def test_integer_index_out_of_static_bounds_fails_when_building():
    x = T.tensor("float32", (3, 4))
    with pytest.raises(IndexError, match="out of bounds"):
        x[5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]


# ---------------------------------------------------------------- advanced indexing


@pytest.mark.parametrize("dtype", DTYPES)
@given(rows=st.integers(0, 6), classes=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_rows_and_labels(backend, dtype, rows, classes, seed):
    """``M[T.arange(n), y]``: the tutorial's log-likelihood of the correct labels."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(-1, 1, (rows, classes)).astype(dtype)
    y = rng.integers(0, classes, rows).astype("int32")
    mv, yv = T.tensor(dtype, (None, None), "M"), T.ivector("y")
    out = mv[T.arange(yv.shape[0]), yv]
    got = host(theanine.function([mv, yv], out)(m, y))
    np.testing.assert_array_equal(got, m[np.arange(rows), y])
    if rows:
        labels = T.constant(y)
        verify_grad(lambda v: v[T.arange(labels.shape[0]), labels], [m.astype(np.float64)])


@st.composite
def integer_index(draw, min_side=1):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=4))
    n = shape[0]
    index_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4))
    index = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-n, n - 1)))
    return shape, index


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=integer_index(), seed=st.integers(0, 2 ** 32 - 1))
def test_integer_array_index(backend, dtype, case, seed):
    """``x[y]`` with repeated and negative indices, vector or matrix ``y``."""
    shape, index = case
    x = _values(seed, shape, dtype)
    xv, iv = symbolic_like(x, name="x"), symbolic_like(index, name="i")
    got = host(theanine.function([xv, iv], xv[iv])(x, index))
    np.testing.assert_array_equal(got, x[index])
    got_const, _ = run_op(lambda v: v[index], [x])
    np.testing.assert_array_equal(got_const, x[index])
    verify_grad(lambda v: v[T.constant(index)], [x.astype(np.float64)])


@pytest.mark.parametrize("build", [
    lambda v, i: v[:, i],
    lambda v, i: v[1:, i],
    lambda v, i: v[i, ::-1],
    lambda v, i: v[i, i],
    lambda v, i: v[i, :, i],
    lambda v, i: v[..., i],
    lambda v, i: v[0, i],
], ids=["slice-adv", "slice1-adv", "adv-revslice", "adv-adv", "adv-slice-adv", "ellipsis-adv",
        "int-adv"])
def test_mixed_advanced_indices(backend, build):
    x = _values(3, (3, 4, 3))
    index = np.array([2, 0, 2, -1])
    got, out = run_op(lambda v: build(v, T.constant(index)), [x])
    expected = build(x, index)
    assert got.shape == expected.shape and out.ndim == expected.ndim
    np.testing.assert_array_equal(got, expected)
    verify_grad(lambda v: build(v, T.constant(index)), [x])


def test_boolean_mask(backend):
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    got, out = run_op(lambda v: v[v > 0], [x])
    np.testing.assert_array_equal(got, [1.0, 4.0])
    verify_grad(lambda v: v[T.constant(x > 0)], [x])


def test_index_must_be_integer():
    with pytest.raises(IndexError, match="integers"):
        T.vector()[T.vector()]


# ---------------------------------------------------------------- set / inc subtensor


@pytest.mark.parametrize("op", ["set", "inc"])
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=basic_index(min_side=1, allow_newaxis=False).filter(
    lambda c: c[1] not in ((), Ellipsis, (Ellipsis,))),   # x[()] is x itself, not a part
       seed=st.integers(0, 2 ** 32 - 1), data=st.data())
def test_set_inc_basic(backend, op, dtype, case, seed, data):
    shape, index = case
    x = _values(seed, shape, dtype)
    part_shape = x[index].shape
    # The value may broadcast: drop leading dims, or make some dims 1.
    drop = data.draw(st.integers(0, len(part_shape)), label="drop")
    y_shape = tuple(1 if data.draw(st.booleans()) else d for d in part_shape[drop:])
    y = _values(seed + 1, y_shape, dtype)
    fn = T.set_subtensor if op == "set" else T.inc_subtensor
    got, out = run_op(lambda a, b: fn(a[index], b), [x, y])
    expected = x.copy()
    if op == "set":
        expected[index] = y
    else:
        expected[index] += y
    assert out.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    verify_grad(lambda a, b: fn(a[index], b), [x.astype(np.float64), y.astype(np.float64)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_inc_subtensor_adds_once_per_repeated_index(backend, dtype):
    x = np.zeros(4, dtype)
    idx = np.array([0, 2, 0, 0, 3])
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype)
    got, _ = run_op(lambda a, b: T.inc_subtensor(a[T.constant(idx)], b), [x, y])
    expected = x.copy()
    np.add.at(expected, idx, y)
    np.testing.assert_array_equal(got, expected)          # [8, 0, 2, 5]
    verify_grad(lambda a, b: T.inc_subtensor(a[T.constant(idx)], b),
                [x.astype(np.float64), y.astype(np.float64)])


@given(case=integer_index(), seed=st.integers(0, 2 ** 32 - 1))
def test_advanced_inc_and_set(backend, case, seed):
    shape, index = case
    x = _values(seed, shape)
    part_shape = x[index].shape
    y = _values(seed + 1, part_shape)
    inc, _ = run_op(lambda a, b: T.inc_subtensor(a[T.constant(index)], b), [x, y])
    expected = x.copy()
    np.add.at(expected, index, y)
    np.testing.assert_allclose(inc, expected, rtol=1e-12)
    verify_grad(lambda a, b: T.inc_subtensor(a[T.constant(index)], b), [x, y])

    unique = np.unique(index % shape[0])
    y_unique = _values(seed + 2, x[unique].shape)
    got, _ = run_op(lambda a, b: T.set_subtensor(a[T.constant(unique)], b), [x, y_unique])
    expected = x.copy()
    expected[unique] = y_unique
    np.testing.assert_array_equal(got, expected)
    verify_grad(lambda a, b: T.set_subtensor(a[T.constant(unique)], b), [x, y_unique])


def test_set_subtensor_rows_and_labels(backend):
    """One-hot matrices the tutorial way: set_subtensor(z[arange(n), y], 1)."""
    y = T.ivector("y")
    z = T.zeros((y.shape[0], 4))
    onehot = T.set_subtensor(z[T.arange(y.shape[0]), y], 1.0)
    np.testing.assert_array_equal(host(onehot.eval({y: np.array([1, 3, 1], "int32")})),
                                  np.eye(4)[[1, 3, 1]])


def test_set_subtensor_leaves_the_original_untouched(backend):
    x = T.dvector("x")
    value = np.arange(4.0)
    f = theanine.function([x], [T.set_subtensor(x[1:3], 0.0), x * 1])
    changed, same = (host(v) for v in f(value))
    np.testing.assert_array_equal(changed, [0, 0, 0, 3])
    np.testing.assert_array_equal(same, value)
    np.testing.assert_array_equal(value, np.arange(4.0))


def test_set_subtensor_needs_an_indexed_tensor():
    with pytest.raises(TypeError, match="indexed tensor"):
        T.set_subtensor(T.vector(), 0.0)


def test_set_subtensor_value_must_fit():
    x = T.tensor("float64", (5, 3))
    with pytest.raises(ValueError, match="does not fit"):
        T.set_subtensor(x[1:3], T.tensor("float64", (2, 4)))
