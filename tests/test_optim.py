"""Optimizers: each decreases a convex loss; lr is shared; state round-trips."""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine import optim, regularizers, schedules

SETTINGS = {"SGD": {"lr": 0.05}, "Momentum": {"lr": 0.02}, "Nesterov": {"lr": 0.02},
            "AdaGrad": {"lr": 0.5}, "RMSProp": {"lr": 0.02}, "Adam": {"lr": 0.05}}


def _quadratic(seed=0):
    rng = np.random.RandomState(seed)
    A = 0.3 * rng.randn(8, 4)
    b = rng.randn(8)
    w = theanine.shared(np.zeros(4), name="w")
    W = theanine.shared(np.zeros((4, 1)), name="W")
    cost = T.sum(T.sqr(T.dot(A, w) - b)) + T.sum(T.sqr(W - 1.0))
    return cost, [w, W]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_optimizer_decreases_a_convex_loss(name):
    cost, params = _quadratic()
    opt = getattr(optim, name)(**SETTINGS[name])
    step = theanine.function([], cost, updates=opt.updates(cost, params))
    losses = [float(step()) for _ in range(200)]
    assert losses[-1] < 0.6 * losses[0], (name, losses[0], losses[-1])
    assert all(np.isfinite(losses))


def test_gradients_may_be_given_instead_of_a_cost():
    cost, params = _quadratic()
    grads = T.grad(cost, params)
    step = theanine.function([], cost, updates=optim.SGD(lr=0.05).updates(grads, params))
    assert float(step()) > float(step())


def test_learning_rate_change_takes_effect_without_recompiling():
    w = theanine.shared(np.array([1.0]), name="w")
    cost = T.sum(w ** 2)
    opt = optim.SGD(lr=0.1)
    step = theanine.function([], [], updates=opt.updates(cost, [w]))
    step()
    assert np.allclose(w.get_value(), 0.8)
    opt.lr.set_value(0.0)
    step()
    assert np.allclose(w.get_value(), 0.8)
    opt.lr.set_value(0.5)
    step()
    assert np.allclose(w.get_value(), 0.0)


def test_state_is_shared_and_round_trips():
    cost, params = _quadratic()
    opt = optim.Adam(lr=0.01)
    step = theanine.function([], cost, updates=opt.updates(cost, params))
    for _ in range(3):
        step()
    state = opt.state_dict()
    assert sorted(state) == ["lr", "m.0", "m.1", "t", "v.0", "v.1"]
    assert float(state["t"]) == 3.0
    fresh = optim.Adam(lr=0.5)
    fresh.updates(cost, params)
    fresh.load_state_dict(state)
    for name, value in fresh.state_dict().items():
        assert np.array_equal(value, state[name]), name


def test_updates_keep_float32_parameters_float32():
    w = theanine.shared(np.ones(3, dtype="float32"), name="w")
    for cls in (optim.SGD, optim.Momentum, optim.Adam, optim.RMSProp):
        updates = cls(lr=0.1).updates(T.sum(w ** 2), [w])
        assert all(var.dtype == value.dtype for var, value in updates)


def test_weight_decay_acts_on_weights_only():
    W = theanine.shared(np.ones((2, 2)), name="W")
    b = theanine.shared(np.ones(2), name="b")
    opt = optim.SGD(lr=0.1, weight_decay=0.5)
    theanine.function([], [], updates=opt.updates([T.zeros_like(W), T.zeros_like(b)],
                                                  [W, b]))()
    assert np.allclose(W.get_value(), 0.95) and np.allclose(b.get_value(), 1.0)


def test_regularizers_are_the_tutorial_terms():
    W = theanine.shared(np.array([[1.0, -2.0], [0.5, 0.0]]))
    assert float(regularizers.l1([W]).eval()) == 3.5
    assert float(regularizers.l2([W]).eval()) == 5.25


def test_schedules():
    assert schedules.StepLR(1.0, 2, 0.5)(5) == 0.25
    assert schedules.ExponentialLR(1.0, 0.9)(1) == 1.0
    cosine = schedules.CosineLR(1.0, 10, min_lr=0.1)
    assert cosine(1) == 1.0 and np.isclose(cosine(11), 0.1)
    with pytest.raises(ValueError, match="bad schedule"):
        schedules.make_schedule("step", 0.1, 10)


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.make_optimizer("lbfgs", 0.1)
