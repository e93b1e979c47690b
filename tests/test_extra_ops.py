"""``theanine.tensor.extra_ops`` (eye, tril, diag, repeat, tile, cumsum, sort...):
forward against NumPy float64 on random shapes, gradients with ``verify_grad``."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import theanine
import theanine.tensor as T
from theanine.gradcheck import verify_grad

from conftest import host, run_op

shapes_1_to_3d = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
matrix_shapes = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4)


def _distinct(rng, shape):
    """Values far enough apart that sorting orders do not change under a small step."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.5 + rng.uniform(-0.1, 0.1, size)).reshape(shape)


# (name, build, numpy reference, shape strategy)
CASES = [
    ("tril", lambda x: T.tril(x), np.tril, matrix_shapes),
    ("tril_k", lambda x: T.tril(x, -1), lambda x: np.tril(x, -1), matrix_shapes),
    ("triu", lambda x: T.triu(x), np.triu, matrix_shapes),
    ("triu_k", lambda x: T.triu(x, 1), lambda x: np.triu(x, 1), matrix_shapes),
    ("diagonal", lambda x: T.diagonal(x[0] if x.ndim == 3 else x),
     lambda x: np.diagonal(x[0] if x.ndim == 3 else x).copy(), matrix_shapes),
    ("diagonal_offset", lambda x: T.diagonal(x[0] if x.ndim == 3 else x, 1),
     lambda x: np.diagonal(x[0] if x.ndim == 3 else x, 1).copy(), matrix_shapes),
    ("diagonal_below", lambda x: T.diagonal(x[0] if x.ndim == 3 else x, -1),
     lambda x: np.diagonal(x[0] if x.ndim == 3 else x, -1).copy(), matrix_shapes),
    ("diag_of_vector", lambda x: T.diag(T.flatten(x)), lambda x: np.diag(x.ravel()),
     shapes_1_to_3d),
    ("swapaxes", lambda x: T.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1),
     shapes_1_to_3d),
    ("repeat_flat", lambda x: T.repeat(x, 3), lambda x: np.repeat(x, 3), shapes_1_to_3d),
    ("repeat_axis", lambda x: T.repeat(x, 2, axis=-1), lambda x: np.repeat(x, 2, axis=-1),
     shapes_1_to_3d),
    ("tile", lambda x: T.tile(x, (2,) * x.ndim), lambda x: np.tile(x, (2,) * x.ndim),
     shapes_1_to_3d),
    ("tile_more_axes", lambda x: T.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)),
     hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3)),
    ("cumsum", lambda x: T.cumsum(x, axis=-1), lambda x: np.cumsum(x, axis=-1),
     shapes_1_to_3d),
    ("cumsum_flat", lambda x: T.cumsum(x), lambda x: np.cumsum(x), shapes_1_to_3d),
    ("cumprod", lambda x: T.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0),
     shapes_1_to_3d),
    ("diff", lambda x: T.diff(x, axis=0), lambda x: np.diff(x, axis=0), shapes_1_to_3d),
    ("diff_twice", lambda x: T.diff(x, n=2), lambda x: np.diff(x, n=2), shapes_1_to_3d),
    ("roll", lambda x: T.roll(x, 2, axis=-1), lambda x: np.roll(x, 2, axis=-1),
     shapes_1_to_3d),
    ("roll_back_flat", lambda x: T.roll(x, -1), lambda x: np.roll(x, -1), shapes_1_to_3d),
    ("ptp", lambda x: T.ptp(x, axis=0), lambda x: np.ptp(x, axis=0), shapes_1_to_3d),
    ("largest", lambda x: T.largest(x, x[::-1], 0.5 * x),
     lambda x: np.maximum(np.maximum(x, x[::-1]), 0.5 * x), shapes_1_to_3d),
    ("smallest", lambda x: T.smallest(x, x[::-1]), lambda x: np.minimum(x, x[::-1]),
     shapes_1_to_3d),
    ("sort", lambda x: T.sort(x), lambda x: np.sort(x), shapes_1_to_3d),
    ("sort_axis0", lambda x: T.sort(x, axis=0), lambda x: np.sort(x, axis=0),
     shapes_1_to_3d),
    ("sort_flat", lambda x: T.sort(x, axis=None), lambda x: np.sort(x, axis=None),
     shapes_1_to_3d),
]


@pytest.mark.parametrize("name,build,ref,shapes", CASES, ids=[c[0] for c in CASES])
@given(data=st.data())
def test_forward_and_gradient(backend, name, build, ref, shapes, data):
    shape = data.draw(shapes, label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    x = _distinct(rng, shape)
    if name == "cumprod":
        x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    for dtype in ("float32", "float64"):
        got, out = run_op(build, [x.astype(dtype)])
        assert out.dtype == dtype
        np.testing.assert_allclose(got, ref(x.astype(dtype).astype(np.float64)),
                                   rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-6)
    verify_grad(build, [x], rng=rng)


def test_argsort_is_stable_and_gives_int64(backend):
    got, out = run_op(lambda x: T.argsort(x), [np.array([[2.0, 1.0, 2.0, 1.0]])])
    assert out.dtype == "int64"
    np.testing.assert_array_equal(got, [[1, 3, 0, 2]])


def test_eye_and_identity_like():
    n, m = T.lscalar('n'), T.lscalar('m')
    f = theanine.function([n, m], [T.eye(n, m, k=-1), T.eye(n, dtype='int8')])
    lower, square = f(3, 4)
    np.testing.assert_array_equal(lower, np.eye(3, 4, k=-1))
    assert lower.dtype == theanine.config.floatX and square.dtype == np.int8
    np.testing.assert_array_equal(square, np.eye(3))
    x = T.fmatrix('x')
    ident = host(T.identity_like(x).eval({x: np.zeros((2, 3), 'float32')}))
    np.testing.assert_array_equal(ident, np.eye(2, 3))


def test_squeeze_drops_the_axes_known_to_have_length_one():
    x = T.tensor('float64', (1, None, 1, 3), name='x')
    assert T.squeeze(x).type.shape == (None, 3)


def test_bad_arguments_are_named():
    x = T.dvector('x')
    with pytest.raises(ValueError, match="tril: needs a matrix"):
        T.tril(x)
    with pytest.raises(ValueError, match="cumsum: axis 2 is out of range"):
        T.cumsum(x, axis=2)
    with pytest.raises(ValueError, match="diag: takes a vector"):
        T.diag(x, k=1)


def test_theano_names_for_existing_functions():
    x = T.dvector('x')
    f = theanine.function([x], [T.square(x), T.inv(x), T.floor_div(x, 2.0), T.iround(x)])
    square, inverse, halves, rounded = f(np.array([2.5, -1.5]))
    np.testing.assert_array_equal(square, [6.25, 2.25])
    np.testing.assert_array_equal(inverse, [0.4, -1 / 1.5])
    np.testing.assert_array_equal(halves, [1.0, -1.0])
    assert rounded.dtype == np.int64 and rounded.tolist() == [3, -2]
    n = T.lscalar('n')
    np.testing.assert_allclose(theanine.function([n], T.linspace(-1.0, 1.0, n))(5),
                               np.linspace(-1, 1, 5))
