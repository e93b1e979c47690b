"""``theano.tensor.nnet.bn``'s functions: values against NumPy float64, gradients, running averages."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from hypothesis import given, settings
from hypothesis import strategies as st

import theanine
import theanine.tensor as T
from theanine.gradcheck import verify_grad
from theanine.tensor.bn import (batch_normalization, batch_normalization_test,
                                batch_normalization_train)

AXES = {"per-activation": (0,), "spatial": (0, 2, 3), (0, 2): (0, 2)}


def _stat_shape(shape, axes):
    return tuple(1 if a in axes else n for a, n in enumerate(shape))


@pytest.mark.parametrize("axes", list(AXES), ids=str)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=st.integers(2, 5))
@settings(max_examples=10)
def test_train_normalizes_with_the_batch_statistics(backend, axes, seed, batch):
    rng = np.random.default_rng(seed)
    shape = (batch, 3, 2, 4)
    reduced = AXES[axes]
    x = rng.standard_normal(shape)
    gamma = rng.uniform(0.5, 2, _stat_shape(shape, reduced))
    beta = rng.standard_normal(_stat_shape(shape, reduced))
    running_mean = rng.standard_normal(_stat_shape(shape, reduced))
    running_var = rng.uniform(0.5, 2, _stat_shape(shape, reduced))
    xs = T.dtensor4("x")
    outs = batch_normalization_train(xs, gamma, beta, axes=axes, epsilon=1e-3,
                                     running_average_factor=0.3, running_mean=running_mean,
                                     running_var=running_var)
    got = [host(v) for v in theanine.function([xs], list(outs))(x)]

    mean = x.mean(axis=reduced, keepdims=True)
    var = x.var(axis=reduced, keepdims=True)
    count = np.prod([shape[a] for a in reduced])
    expected = [(x - mean) * gamma / np.sqrt(var + 1e-3) + beta, mean,
                1 / np.sqrt(var + 1e-3), 0.7 * running_mean + 0.3 * mean,
                0.7 * running_var + 0.3 * var * count / (count - 1)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_test_mode_and_the_plain_formula(backend):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    gamma, beta = rng.uniform(0.5, 2, (1, 3)), rng.standard_normal((1, 3))
    mean, var = rng.standard_normal((1, 3)), rng.uniform(0.5, 2, (1, 3))
    xs = T.dmatrix("x")
    test = theanine.function([xs], batch_normalization_test(xs, gamma, beta, mean, var,
                                                            epsilon=1e-4))(x)
    np.testing.assert_allclose(host(test), (x - mean) * gamma / np.sqrt(var + 1e-4) + beta)
    plain = theanine.function([xs], batch_normalization(xs, gamma, beta, mean, np.sqrt(var)))(x)
    np.testing.assert_allclose(host(plain), (x - mean) * gamma / np.sqrt(var) + beta)


@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_train_gradients(axes):
    rng = np.random.default_rng(2)
    shape = (3, 2, 2, 2)
    stat = _stat_shape(shape, AXES[axes])
    weights = rng.standard_normal(shape)

    def cost(x, gamma, beta):
        out, _, _ = batch_normalization_train(x, gamma, beta, axes=axes)
        return (out * weights).sum()
    verify_grad(cost, [rng.standard_normal(shape), rng.uniform(0.5, 2, stat),
                       rng.standard_normal(stat)], rng=rng)


def test_bad_arguments_are_named():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="axes must be"):
        batch_normalization_train(x, 1.0, 0.0, axes="channels")
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        batch_normalization_train(x, 1.0, 0.0, running_mean=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="mode"):
        batch_normalization(x, 1.0, 0.0, 0.0, 1.0, mode="fast")


def test_theano_module_resolves_through_the_compat_alias():
    import theanine.compat.aliases as aliases
    with aliases.installed():
        from theano.tensor.nnet import bn
        assert bn.batch_normalization_train is batch_normalization_train


def test_an_undeclared_broadcast_gets_a_hint():
    x, g = T.dmatrix("x"), T.dmatrix("g")
    f = theanine.function([x, g], T.tanh(g * x + 1))
    with pytest.raises(theanine.errors.ExecutionError, match="hint: .*T.row"):
        f(np.ones((2, 2)), np.ones((1, 2)))
