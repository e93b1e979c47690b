"""Shape ops: dimshuffle, transpose, reshape, flatten, concatenate, stack, arange, alloc.

Forward against NumPy on hypothesis shapes (empty dimensions included), float32
and float64; gradients with ``verify_grad`` in float64.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import theanine
import theanine.tensor as T
from theanine.errors import ShapeError
from theanine.gradcheck import verify_grad

from conftest import host, run_op, symbolic_like

DTYPES = ["float32", "float64"]


def _values(seed, shape, dtype="float64"):
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)


# ---------------------------------------------------------------- dimshuffle / transpose


@st.composite
def dimshuffle_patterns(draw, min_side):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=min_side, max_side=3))
    ndim = len(shape)
    droppable = [a for a in range(ndim) if shape[a] == 1]
    dropped = draw(st.lists(st.sampled_from(droppable), unique=True)) if droppable else []
    kept = draw(st.permutations([a for a in range(ndim) if a not in dropped]))
    pattern = list(kept)
    for _ in range(draw(st.integers(0, 2))):
        pattern.insert(draw(st.integers(0, len(pattern))), "x")
    return shape, tuple(pattern)


def np_dimshuffle(x, pattern):
    kept = [a for a in pattern if a != "x"]
    dropped = [a for a in range(x.ndim) if a not in kept]
    y = np.transpose(x, kept + dropped).reshape([x.shape[a] for a in kept])
    for position, entry in enumerate(pattern):
        if entry == "x":
            y = np.expand_dims(y, position)
    return y


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=dimshuffle_patterns(min_side=0), seed=st.integers(0, 2 ** 32 - 1))
def test_dimshuffle_forward(backend, dtype, case, seed):
    shape, pattern = case
    x = _values(seed, shape, dtype)
    got, out = run_op(lambda v: v.dimshuffle(*pattern), [x])
    expected = np_dimshuffle(x, pattern)
    assert out.type.shape == tuple(1 if p == "x" else None if shape[p] != 1 else 1
                                   for p in pattern)
    np.testing.assert_array_equal(got, expected)


@given(case=dimshuffle_patterns(min_side=1), seed=st.integers(0, 2 ** 32 - 1))
def test_dimshuffle_grad(backend, case, seed):
    shape, pattern = case
    verify_grad(lambda v: T.dimshuffle(v, pattern), [_values(seed, shape)])


def test_dimshuffle_cannot_drop_a_dimension_of_unknown_size():
    with pytest.raises(ShapeError, match="static size 1"):
        T.matrix("x").dimshuffle(0)


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3),
       data=st.data())
def test_transpose(backend, dtype, shape, data):
    x = _values(0, shape, dtype)
    axes = data.draw(st.one_of(st.none(), st.permutations(range(len(shape)))))
    got, _ = run_op(lambda v: T.transpose(v, axes), [x])
    np.testing.assert_array_equal(got, np.transpose(x, axes))
    got_method, _ = run_op(lambda v: v.T, [x])
    np.testing.assert_array_equal(got_method, x.T)
    if 0 not in shape:
        verify_grad(lambda v: T.transpose(v, axes), [x.astype(np.float64)])


# ---------------------------------------------------------------- reshape / flatten


@st.composite
def regroupings(draw, min_atom):
    """Two shapes with the same number of elements: groupings of one list of factors."""
    atoms = draw(st.lists(st.integers(min_atom, 3), min_size=1, max_size=5))

    def group():
        cuts = sorted(draw(st.sets(st.integers(1, len(atoms) - 1))) if len(atoms) > 1
                      else [])
        bounds = [0] + cuts + [len(atoms)]
        return tuple(math.prod(atoms[a:b]) for a, b in zip(bounds, bounds[1:]))
    return group(), group()


@pytest.mark.parametrize("spelling", ["ints", "minus_one", "symbolic_scalars",
                                      "symbolic_vector", "method"])
@pytest.mark.parametrize("dtype", DTYPES)
@given(shapes=regroupings(min_atom=0), data=st.data())
def test_reshape_forward(backend, spelling, dtype, shapes, data):
    source, target = shapes
    x = _values(1, source, dtype)
    xv = symbolic_like(x, name="x")
    inputs, values = [xv], [x]
    if spelling in ("ints", "method"):
        newshape = list(target)
    elif spelling == "minus_one":
        # -1 is only inferable when the other entries have a nonzero product.
        choices = [k for k in range(len(target))
                   if math.prod(target[:k] + target[k + 1:]) != 0]
        if not choices:
            return
        k = data.draw(st.sampled_from(choices))
        newshape = [-1 if j == k else d for j, d in enumerate(target)]
    elif spelling == "symbolic_scalars":
        newshape = [T.lscalar(f"d{k}") for k in range(len(target))]
        inputs += newshape
        values += list(target)
    else:
        newshape = T.lvector("shape")
        inputs.append(newshape)
        values.append(np.array(target, dtype="int64"))
    if spelling == "method":
        out = xv.reshape(newshape)
    else:
        out = T.reshape(xv, newshape, ndim=len(target))
    got = host(theanine.function(inputs, out)(*values))
    assert out.ndim == len(target) and out.dtype == dtype
    np.testing.assert_array_equal(got, x.reshape(target))


@given(shapes=regroupings(min_atom=1), seed=st.integers(0, 2 ** 32 - 1))
def test_reshape_grad(backend, shapes, seed):
    source, target = shapes
    verify_grad(lambda v: T.reshape(v, target), [_values(seed, source)])
    verify_grad(lambda v: T.reshape(v, (v.shape[0], -1)), [_values(seed, source)])


def test_reshape_with_shape_of_another_tensor(backend):
    x, y = T.dvector("x"), T.dmatrix("y")
    out = T.reshape(x, y.shape, ndim=2)
    f = theanine.function([x, y], out)
    np.testing.assert_array_equal(host(f(np.arange(6.0), np.zeros((2, 3)))),
                                  np.arange(6.0).reshape(2, 3))


def test_reshape_to_a_wrong_static_size_fails_when_building():
    x = T.tensor("float32", (4, 6))
    with pytest.raises(ShapeError, match="24 elements"):
        T.reshape(x, (5, 5))


def test_symbolic_shape_of_unknown_length_needs_ndim():
    with pytest.raises(ValueError, match="ndim"):
        T.reshape(T.vector(), T.lvector())


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3),
       data=st.data())
def test_flatten(backend, dtype, shape, data):
    ndim = data.draw(st.integers(1, len(shape)), label="ndim")
    x = _values(2, shape, dtype)
    got, out = run_op(lambda v: T.flatten(v, ndim), [x])
    expected = x.reshape(shape[:ndim - 1] + (math.prod(shape[ndim - 1:]),))
    assert out.ndim == ndim
    np.testing.assert_array_equal(got, expected)
    got_method, _ = run_op(lambda v: v.flatten(ndim), [x])
    np.testing.assert_array_equal(got_method, expected)
    if 0 not in shape:
        verify_grad(lambda v: T.flatten(v, ndim), [x.astype(np.float64)])


def test_flatten_of_static_shape_is_static():
    assert T.flatten(T.tensor("float32", (None, 1, 28, 28)), 2).type.shape == (None, 784)


# ---------------------------------------------------------------- concatenate / stack


@st.composite
def joinable(draw, min_side):
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side,
                                       max_side=3)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        shape[axis] = draw(st.integers(min_side, 3))
        shapes.append(tuple(shape))
    return shapes, axis


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=joinable(min_side=0), seed=st.integers(0, 2 ** 32 - 1))
def test_concatenate(backend, dtype, case, seed):
    shapes, axis = case
    arrays = [_values(seed + k, s, dtype) for k, s in enumerate(shapes)]
    got, out = run_op(lambda *vs: T.concatenate(vs, axis=axis), arrays)
    np.testing.assert_array_equal(got, np.concatenate(arrays, axis=axis))
    got_join, _ = run_op(lambda *vs: T.join(axis, *vs), arrays)
    np.testing.assert_array_equal(got_join, np.concatenate(arrays, axis=axis))


@given(case=joinable(min_side=1), seed=st.integers(0, 2 ** 32 - 1))
def test_concatenate_grad(backend, case, seed):
    shapes, axis = case
    arrays = [_values(seed + k, s) for k, s in enumerate(shapes)]
    verify_grad(lambda *vs: T.concatenate(vs, axis=axis), arrays)


def test_concatenate_checks_the_other_dimensions_when_building():
    a, b = T.tensor("float32", (2, 3)), T.tensor("float32", (2, 4))
    with pytest.raises(ShapeError, match="dimension 1 differs"):
        T.concatenate([a, b], axis=0)
    assert T.concatenate([a, b], axis=1).type.shape == (2, 7)


def test_concatenate_promotes_dtypes(backend):
    got, out = run_op(lambda a, b: T.concatenate([a, b]),
                      [np.ones(2, "float32"), np.arange(3, dtype="int32")])
    assert out.dtype == "float64"
    np.testing.assert_array_equal(got, [1, 1, 0, 1, 2])


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
       n=st.integers(1, 3), data=st.data())
def test_stack(backend, dtype, shape, n, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    arrays = [_values(k, shape, dtype) for k in range(n)]
    got, out = run_op(lambda *vs: T.stack(vs, axis=axis), arrays)
    np.testing.assert_array_equal(got, np.stack(arrays, axis=axis))
    if 0 not in shape:
        verify_grad(lambda *vs: T.stack(vs, axis=axis), [a.astype(np.float64) for a in arrays])


def test_stack_of_symbolic_scalars_and_lists(backend):
    a, b = T.dscalar("a"), T.dscalar("b")
    f = theanine.function([a, b], [T.stack([a, b, 3.0]), T.as_tensor_variable([a, b])])
    stacked, listed = (host(v) for v in f(1.0, 2.0))
    np.testing.assert_array_equal(stacked, [1, 2, 3])
    np.testing.assert_array_equal(listed, [1, 2])
    verify_grad(lambda x, y: T.stack([x * y, x]), [np.array(2.0), np.array(3.0)])


# ---------------------------------------------------------------- arange / alloc


@given(start=st.integers(-5, 5), stop=st.integers(-5, 8),
       step=st.integers(-3, 3).filter(bool))
def test_arange_integers(backend, start, stop, step):
    values = [T.lscalar("start"), T.lscalar("stop"), T.lscalar("step")]
    symbolic = T.arange(*values)
    constant = T.arange(start, stop, step)
    f = theanine.function(values, [symbolic, constant])
    got, got_constant = (host(v) for v in f(start, stop, step))
    assert symbolic.dtype == "int64" and symbolic.type.shape == (None,)
    assert constant.type.shape == (len(range(start, stop, step)),)
    np.testing.assert_array_equal(got, np.arange(start, stop, step))
    np.testing.assert_array_equal(got_constant, np.arange(start, stop, step))


def test_arange_one_argument_and_floats(backend):
    n = T.iscalar("n")
    np.testing.assert_array_equal(host(T.arange(n).eval({n: 4})), [0, 1, 2, 3])
    with theanine.config.change_flags(floatX="float32"):
        r = T.arange(0.0, 1.0, 0.25)
    assert r.dtype == "float32"
    np.testing.assert_allclose(host(r.eval()), [0, 0.25, 0.5, 0.75])
    assert T.arange(0, 5, dtype="float64").dtype == "float64"


@pytest.mark.parametrize("fn, fill", [(T.zeros, 0), (T.ones, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", None])
def test_zeros_ones(backend, fn, fill, dtype):
    x = T.dmatrix("x")
    with theanine.config.change_flags(floatX="float32"):
        static = fn((2, 3), dtype=dtype)
        symbolic = fn(x.shape, dtype=dtype)
        scalar_shape = fn(4, dtype=dtype)
    expected_dtype = dtype or "float32"
    f = theanine.function([x], [static, symbolic, scalar_shape])
    results = [host(v) for v in f(np.zeros((4, 0)))]
    for out, got, shape in zip([static, symbolic, scalar_shape], results,
                               [(2, 3), (4, 0), (4,)]):
        assert out.dtype == expected_dtype and got.dtype == np.dtype(expected_dtype)
        np.testing.assert_array_equal(got, np.full(shape, fill))
    assert static.type.shape == (2, 3)


@given(value_shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
       lead=st.lists(st.integers(0, 3), max_size=2), seed=st.integers(0, 2 ** 32 - 1))
def test_alloc(backend, value_shape, lead, seed):
    value = _values(seed, value_shape)
    # Broadcast size-1 dimensions of the value too.
    target = tuple(lead) + tuple(3 if d == 1 else d for d in value_shape)
    n = T.lscalar("n")
    v = symbolic_like(value, name="v")
    out = T.alloc(v, *target[:-1], n) if target else T.alloc(v)
    f = theanine.function([v, n], out, on_unused_input="ignore")
    got = host(f(value, target[-1] if target else 0))
    np.testing.assert_array_equal(got, np.broadcast_to(value, target))
    if 0 not in target:
        verify_grad(lambda w: T.alloc(w, *target), [value])


def test_fill_zeros_like_ones_like(backend):
    x = T.fmatrix("x")
    value = np.arange(6, dtype="float32").reshape(2, 3)
    f = theanine.function([x], [T.zeros_like(x), T.ones_like(x, dtype="int32"),
                                T.fill(x, 7.0)])
    zeros, ones, sevens = (host(v) for v in f(value))
    assert zeros.dtype == np.float32 and ones.dtype == np.int32
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))
    np.testing.assert_array_equal(ones, np.ones((2, 3)))
    np.testing.assert_array_equal(sevens, np.full((2, 3), 7))


@pytest.mark.parametrize("fn, args, static, runtime", [
    (T.shape_padleft, (2,), (1, 1, None, None), (1, 1, 2, 3)),
    (T.shape_padright, (1,), (None, None, 1), (2, 3, 1)),
    (T.shape_padaxis, (1,), (None, 1, None), (2, 1, 3)),
    (T.shape_padaxis, (-1,), (None, None, 1), (2, 3, 1)),
])
def test_shape_padding(backend, fn, args, static, runtime):
    x = T.dmatrix("x")
    out = fn(x, *args)
    assert out.type.shape == static
    np.testing.assert_array_equal(host(out.eval({x: np.ones((2, 3))})), np.ones(runtime))


def test_shape_and_static_shape(backend):
    x = T.tensor("float64", (None, 3))
    assert T.shape_i(x, 1).owner is None  # a constant: known when building
    f = theanine.function([x], [x.shape, x.shape[0], x.size])
    shape, rows, size = (host(v) for v in f(np.zeros((5, 3))))
    np.testing.assert_array_equal(shape, [5, 3])
    assert rows == 5 and size == 15
