"""``images2neibs`` / ``neibs2images`` against a loop in NumPy, gradients, the valid-mode check,
and ``Assert``, which that check is made of."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from hypothesis import given, settings
from hypothesis import strategies as st

import theanine
import theanine.tensor as T
from theanine.errors import ExecutionError
from theanine.gradcheck import verify_grad
from theanine.ops.special import assert_op
from theanine.tensor.neighbours import images2neibs, neibs2images


def reference(x, shape, step, mode):
    """The rows one neighbourhood at a time, in Theano's order."""
    kh, kw = shape
    sh, sw = step
    pad = {"half": (kh // 2, kw // 2), "full": (kh - 1, kw - 1)}.get(mode, (0, 0))
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    n, c, h, w = x.shape
    rows = []
    for image in range(n):
        for channel in range(c):
            for i in range(0, h - kh + 1, sh):
                for j in range(0, w - kw + 1, sw):
                    rows.append(x[image, channel, i:i + kh, j:j + kw].ravel())
    return np.array(rows).reshape(-1, kh * kw)


@st.composite
def cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    mode = draw(st.sampled_from(["ignore_borders", "half", "full", "valid"]))
    if mode == "valid":     # sizes the neighbourhoods tile exactly
        h, w = kh + sh * draw(st.integers(0, 3)), kw + sw * draw(st.integers(0, 3))
    else:
        h, w = draw(st.integers(kh, 8)), draw(st.integers(kw, 8))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return (n, c, h, w), (kh, kw), (sh, sw), mode, draw(st.integers(0, 2 ** 32 - 1))


@given(case=cases())
@settings(max_examples=30)
def test_rows_match_the_loop(backend, case):
    shape, neib, step, mode, seed = case
    x = np.random.default_rng(seed).standard_normal(shape)
    xs = T.dtensor4("x")
    got = host(theanine.function([xs], images2neibs(xs, neib, step, mode))(x))
    np.testing.assert_array_equal(got, reference(x, neib, step, mode))


@pytest.mark.parametrize("mode, step", [("valid", (1, 2)), ("ignore_borders", (2, 1)),
                                        ("half", (1, 1)), ("full", (2, 2))])
def test_gradient(mode, step):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 5))
    weights = rng.standard_normal(reference(x, (3, 3), step, mode).shape)
    verify_grad(lambda v: (images2neibs(v, (3, 3), step, mode) * weights).sum(), [x], rng=rng)


def test_valid_mode_checks_the_tiling_when_the_function_runs():
    xs = T.dtensor4("x")
    f = theanine.function([xs], images2neibs(xs, (2, 2)))
    assert f(np.zeros((1, 1, 4, 4))).shape == (4, 4)
    with pytest.raises(ExecutionError, match="tile the images exactly.*ignore_borders"):
        f(np.zeros((1, 1, 5, 4)))


def test_neibs2images_inverts_non_overlapping_neighbourhoods():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 4))
    xs = T.dtensor4("x")
    back = neibs2images(images2neibs(xs, (3, 2)), (3, 2), xs.shape)
    np.testing.assert_array_equal(theanine.function([xs], back)(x), x)
    odd = np.random.default_rng(5).standard_normal((1, 1, 5, 5))
    cut = neibs2images(images2neibs(xs, (2, 2), mode="ignore_borders"), (2, 2), xs.shape,
                       mode="ignore_borders")
    expected = odd.copy()
    expected[:, :, 4, :] = 0
    expected[:, :, :, 4] = 0
    np.testing.assert_array_equal(theanine.function([xs], cut)(odd), expected)


def test_bad_arguments():
    xs = T.dtensor4("x")
    with pytest.raises(ValueError, match="mode"):
        images2neibs(xs, (2, 2), mode="wrap_centered")
    with pytest.raises(ValueError, match="positive"):
        images2neibs(xs, (0, 2))
    with pytest.raises(TypeError, match="4-d"):
        images2neibs(T.dmatrix(), (2, 2))


def test_assert_passes_values_and_stops_with_its_message():
    v = T.dvector("v")
    checked = assert_op(v, T.gt(v.sum(), 0), message="sum must be positive")
    f = theanine.function([v], [checked * 2, T.grad((checked ** 2).sum(), v)])
    values, gradient = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(values, [2.0, 4.0])
    np.testing.assert_array_equal(gradient, [2.0, 4.0])
    with pytest.raises(ExecutionError, match="AssertionError: sum must be positive"):
        f(np.array([-1.0, 0.5]))
    with pytest.raises(TypeError, match="scalar"):
        assert_op(v, T.gt(v, 0))


def test_theano_module_resolves_through_the_compat_alias():
    import theanine.compat.aliases as aliases
    with aliases.installed():
        from theano.tensor.nnet.neighbours import images2neibs as legacy
        from theano.tensor.opt import Assert
    assert legacy is images2neibs
    from theanine.ops.special import Assert as native
    assert Assert is native
