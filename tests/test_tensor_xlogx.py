"""``xlogx`` and ``xlogy0``: 0 where ``x`` is 0, the usual values and gradients elsewhere."""
from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import theanine
import theanine.tensor as T
from theanine.gradcheck import verify_grad
from theanine.tensor.xlogx import xlogx, xlogy0

from conftest import host

positive = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
                      elements=st.floats(0.05, 3.0))


@given(positive)
def test_values_and_gradients_away_from_zero(x):
    y = x[::-1].copy()
    v = T.tensor('float64', (None,) * x.ndim, name='v')
    w = T.tensor('float64', (None,) * x.ndim, name='w')
    f = theanine.function([v, w], [xlogx(v), xlogy0(v, w)])
    got_xlogx, got_xlogy = f(x, y)
    np.testing.assert_allclose(host(got_xlogx), x * np.log(x), rtol=1e-12)
    np.testing.assert_allclose(host(got_xlogy), x * np.log(y), rtol=1e-12)
    verify_grad(xlogx, [x])
    verify_grad(xlogy0, [x, y])


def test_zero_x_gives_zero_value_and_finite_gradients():
    x, y = T.dvector('x'), T.dvector('y')
    cost = T.sum(xlogx(x) + xlogy0(x, y))
    f = theanine.function([x, y], [cost] + T.grad(cost, [x, y]))
    value, gx, gy = f(np.array([0.0, 0.5]), np.array([0.0, 0.25]))
    assert float(value) == 0.5 * np.log(0.5) + 0.5 * np.log(0.25)
    np.testing.assert_allclose(gx, [0.0, np.log(0.5) + 1 + np.log(0.25)])
    np.testing.assert_allclose(gy, [0.0, 0.5 / 0.25])
