"""Products (dot in every 1-d/2-d combination, >2-d x 2-d, outer, tensordot) and T.nnet.

Forward results are compared with NumPy float64 references in float32 and
float64, on shapes from hypothesis (empty inner and outer dimensions included);
gradients are checked with ``verify_grad``.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import theanine
import theanine.tensor as T
from theanine.gradcheck import verify_grad

from conftest import host, run_op

TOLERANCE = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12)}

# ---------------------------------------------------------------- dot

# (x dims, y dims) in terms of the sizes b, n, k, m.
DOT_LAYOUTS = {
    "vector.vector": (("k",), ("k",)),
    "vector.matrix": (("k",), ("k", "m")),
    "matrix.vector": (("n", "k"), ("k",)),
    "matrix.matrix": (("n", "k"), ("k", "m")),
    "tensor3.matrix": (("b", "n", "k"), ("k", "m")),
    "tensor3.vector": (("b", "n", "k"), ("k",)),
    "tensor4.matrix": (("a", "b", "n", "k"), ("k", "m")),
    "scalar.matrix": ((), ("k", "m")),
    "matrix.scalar": (("n", "k"), ()),
}


@st.composite
def dot_shapes(draw, layout, min_side):
    sizes = {name: draw(st.integers(min_side, 4), label=name) for name in "abnkm"}
    xs, ys = DOT_LAYOUTS[layout]
    return tuple(sizes[d] for d in xs), tuple(sizes[d] for d in ys)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", list(DOT_LAYOUTS))
@given(data=st.data())
def test_dot_forward(backend, layout, dtype, data):
    x_shape, y_shape = data.draw(dot_shapes(layout, 0))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.uniform(-1, 1, x_shape).astype(dtype)
    y = rng.uniform(-1, 1, y_shape).astype(dtype)
    expected = np.dot(x.astype(np.float64), y.astype(np.float64))
    got, out = run_op(T.dot, [x, y])
    assert out.dtype == dtype and out.ndim == np.ndim(expected)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])
    got_matmul, _ = run_op(lambda a, b: a @ b, [x, y]) if x.ndim and y.ndim else (got, None)
    np.testing.assert_allclose(got_matmul, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("layout", list(DOT_LAYOUTS))
@given(data=st.data())
def test_dot_grad(backend, layout, data):
    x_shape, y_shape = data.draw(dot_shapes(layout, 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    verify_grad(T.dot, [rng.uniform(-1, 1, x_shape), rng.uniform(-1, 1, y_shape)], rng=rng)


def test_dot_mixed_dtypes_promote(backend):
    x = T.fmatrix("x")
    W = T.dmatrix("W")
    assert T.dot(x, W).dtype == "float64"
    assert T.dot(x, T.fmatrix()).dtype == "float32"


def test_dot_of_two_3d_tensors_points_to_tensordot():
    with pytest.raises(TypeError, match="tensordot"):
        T.dot(T.tensor3(), T.tensor3())


@given(n=st.integers(0, 4), m=st.integers(0, 4), seed=st.integers(0, 2 ** 32 - 1))
def test_outer(backend, n, m, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, m)
    got, out = run_op(T.outer, [x, y])
    assert out.ndim == 2
    np.testing.assert_allclose(got, np.outer(x, y), rtol=1e-12)
    if n and m:
        verify_grad(T.outer, [x, y], rng=rng)


@pytest.mark.parametrize("a_shape, b_shape, axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3, 4), (4, 2), 1)])
def test_tensordot(backend, a_shape, b_shape, axes):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, a_shape), rng.uniform(-1, 1, b_shape)
    got, _ = run_op(lambda x, y: T.tensordot(x, y, axes), [a, b])
    np.testing.assert_allclose(got, np.tensordot(a, b, axes), rtol=1e-12)
    verify_grad(lambda x, y: T.tensordot(x, y, axes), [a, b], rng=rng)


def test_batched_dot(backend):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, (3, 2, 4)), rng.uniform(-1, 1, (3, 4, 5))
    got, _ = run_op(T.batched_dot, [a, b])
    np.testing.assert_allclose(got, np.matmul(a, b), rtol=1e-12)
    verify_grad(T.batched_dot, [a, b], rng=rng)


# ---------------------------------------------------------------- nnet


def np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@st.composite
def logits(draw, min_rows=0, max_dims=3):
    ndim = draw(st.integers(1, max_dims))
    axis = draw(st.sampled_from([-1] + list(range(ndim))))
    # Any dimension may be empty except the one softmax normalizes over.
    shape = [draw(st.integers(min_rows, 4)) for _ in range(ndim)]
    shape[axis] = draw(st.integers(1, 5))
    return tuple(shape), axis


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_forward(backend, name, dtype, data):
    shape, axis = data.draw(logits())
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    z = (rng.uniform(-5, 5, shape)).astype(dtype)
    if shape and min(shape) > 0:
        z[..., 0] += 500  # must not overflow
    reference = {"softmax": np_softmax, "log_softmax": np_log_softmax}[name]
    fn = getattr(T.nnet, name)
    got, out = run_op(lambda v: fn(v, axis=axis), [z])
    assert out.dtype == dtype
    with np.errstate(over="raise"):
        expected = reference(z.astype(np.float64), axis)
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_grad(backend, name, data):
    shape, axis = data.draw(logits(min_rows=1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    fn = getattr(T.nnet, name)
    verify_grad(lambda v: fn(v, axis=axis), [rng.uniform(-3, 3, shape)], rng=rng)


def test_softmax_rows_sum_to_one_and_logsoftmax_is_its_log(backend):
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    sm, _ = run_op(T.nnet.softmax, [z])
    lsm, _ = run_op(T.nnet.log_softmax, [z])
    np.testing.assert_allclose(sm.sum(axis=1), 1.0)
    assert np.all(np.isfinite(lsm))
    np.testing.assert_allclose(lsm[0], [0.0, -1000.0, -2000.0])
    np.testing.assert_allclose(np.exp(lsm), sm, rtol=1e-12)


@given(classes=st.integers(2, 6), extra_rows=st.integers(0, 40), seed=st.integers(0, 2 ** 32 - 1))
def test_softmax_family_on_many_short_rows(backend, classes, extra_rows, seed):
    # Many more rows than classes (a minibatch of class scores): the NumPy kernels take
    # the row maxima column by column there; every row's largest score must still win.
    rows = 16 * classes + extra_rows
    rng = np.random.default_rng(seed)
    z = rng.uniform(-3, 3, (rows, classes))
    z[np.arange(rows), rng.integers(0, classes, rows)] += 800    # exp would overflow unshifted
    labels = rng.integers(0, classes, rows).astype("int32")
    with np.errstate(over="raise"):
        sm, _ = run_op(T.nnet.softmax, [z])
        lsm, _ = run_op(T.nnet.log_softmax, [z])
        f = theanine.function([zv := T.dmatrix("z"), yv := T.ivector("y")],
                              list(T.nnet.crossentropy_softmax_1hot(zv, yv)))
        nll, sm_1hot = (host(v) for v in f(z, labels))
    np.testing.assert_allclose(sm, np_softmax(z), rtol=1e-12)
    np.testing.assert_allclose(lsm, np_log_softmax(z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sm_1hot, np_softmax(z), rtol=1e-12)
    np.testing.assert_allclose(nll, -np_log_softmax(z)[np.arange(rows), labels], rtol=1e-12)


def test_row_max_matches_numpy_with_nan_and_infinities():
    from theanine.backends.numpy_backend import row_max
    rng = np.random.default_rng(5)
    z = rng.standard_normal((200, 7)).astype("float32")
    z[3, 2], z[10, 0], z[11, 6], z[12] = np.nan, np.inf, -np.inf, -np.inf
    np.testing.assert_array_equal(row_max(z), z.max(axis=1))
    np.testing.assert_array_equal(row_max(z[:5]), z[:5].max(axis=1))       # few rows: NumPy's


def _probabilities(rng, rows, classes):
    p = rng.uniform(0.1, 1.0, (rows, classes))
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(rows=st.integers(0, 5), classes=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_categorical_crossentropy_with_labels(backend, dtype, rows, classes, seed):
    rng = np.random.default_rng(seed)
    p = _probabilities(rng, rows, classes).astype(dtype)
    y = rng.integers(0, classes, rows).astype("int32")
    got, out = run_op(T.nnet.categorical_crossentropy, [p, y])
    assert out.dtype == dtype and out.ndim == 1
    np.testing.assert_allclose(got, -np.log(p.astype(np.float64)[np.arange(rows), y]),
                               **TOLERANCE[dtype])
    if rows:
        verify_grad(lambda v: T.nnet.categorical_crossentropy(v, T.constant(y)),
                    [p.astype(np.float64)], rng=rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(rows=st.integers(0, 5), classes=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_categorical_crossentropy_with_one_hot(backend, dtype, rows, classes, seed):
    rng = np.random.default_rng(seed)
    p = _probabilities(rng, rows, classes).astype(dtype)
    t = np.eye(classes, dtype=dtype)[rng.integers(0, classes, rows)]
    got, out = run_op(T.nnet.categorical_crossentropy, [p, t])
    assert out.dtype == dtype and out.ndim == 1
    expected = -np.sum(t * np.log(p.astype(np.float64)), axis=1)
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])
    if rows:
        # Soft targets too: the gradient flows to both arguments.
        soft = _probabilities(rng, rows, classes)
        verify_grad(T.nnet.categorical_crossentropy, [p.astype(np.float64), soft], rng=rng)


@given(rows=st.integers(1, 5), classes=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_crossentropy_of_softmax_gradient(backend, rows, classes, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-3, 3, (rows, classes))
    y = T.constant(rng.integers(0, classes, rows).astype("int64"))
    verify_grad(lambda v: T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(v), y)), [z],
                rng=rng)
    verify_grad(lambda v: -T.mean(T.nnet.log_softmax(v)[T.arange(y.shape[0]), y]), [z],
                rng=rng)


@given(rows=st.integers(0, 5), classes=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_crossentropy_softmax_1hot(backend, rows, classes, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-3, 3, (rows, classes))
    labels = rng.integers(0, classes, rows).astype("int32")
    f = theanine.function([zv := T.dmatrix("z"), yv := T.ivector("y")],
                          list(T.nnet.crossentropy_softmax_1hot(zv, yv)))
    nll, sm = (host(v) for v in f(z, labels))
    np.testing.assert_allclose(sm, np_softmax(z), rtol=1e-12)
    np.testing.assert_allclose(nll, -np_log_softmax(z)[np.arange(rows), labels], rtol=1e-12)
    if rows:
        y = T.constant(labels)
        verify_grad(lambda v: T.nnet.crossentropy_softmax_1hot(v, y)[0], [z], rng=rng)
        verify_grad(lambda v: T.nnet.crossentropy_softmax_1hot(v, y)[1], [z], rng=rng)
        verify_grad(lambda v: T.sum(T.nnet.crossentropy_softmax_1hot(v, y)[0]) +
                    T.sum(T.nnet.crossentropy_softmax_1hot(v, y)[1] ** 2), [z], rng=rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(shape=st.tuples(st.integers(0, 4), st.integers(0, 4)), seed=st.integers(0, 2 ** 32 - 1))
def test_binary_crossentropy(backend, dtype, shape, seed):
    rng = np.random.default_rng(seed)
    o = rng.uniform(0.05, 0.95, shape).astype(dtype)
    t = rng.integers(0, 2, shape).astype(dtype)
    got, out = run_op(T.nnet.binary_crossentropy, [o, t])
    assert out.dtype == dtype
    o64, t64 = o.astype(np.float64), t.astype(np.float64)
    np.testing.assert_allclose(got, -(t64 * np.log(o64) + (1 - t64) * np.log(1 - o64)),
                               **TOLERANCE[dtype])
    if 0 not in shape:
        verify_grad(T.nnet.binary_crossentropy, [o64, rng.uniform(0, 1, shape)], rng=rng)


@pytest.mark.parametrize("name, reference", [
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("softplus", lambda z: np.log1p(np.exp(z))),
    ("relu", lambda z: np.maximum(z, 0)), ("ultra_fast_sigmoid", lambda z: 1 / (1 + np.exp(-z))),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nnet_activations(backend, name, reference, dtype):
    rng = np.random.default_rng(3)
    z = rng.choice([-1, 1], (4, 5)) * rng.uniform(0.1, 4, (4, 5))
    fn = getattr(T.nnet, name)
    got, out = run_op(fn, [z.astype(dtype)])
    assert out.dtype == dtype
    np.testing.assert_allclose(got, reference(z.astype(dtype).astype(np.float64)),
                               **TOLERANCE[dtype])
    verify_grad(fn, [z], rng=rng)


def test_softmax_takes_floats_only():
    with pytest.raises(TypeError, match="floating-point"):
        T.nnet.softmax(T.imatrix("z"))
