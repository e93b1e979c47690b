"""The tutorials' and the book's models: initial weights, regularizers, book methods."""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine import nn
from theanine.config import config


def test_logistic_regression_starts_at_zero():
    model = nn.LogisticRegression(784, 10)
    assert not model.W.get_value().any() and not model.b.get_value().any()
    x = T.matrix("x")
    probs = theanine.function([x], model.p_y_given_x(x))(np.ones((2, 784), config.floatX))
    np.testing.assert_allclose(probs, 0.1, rtol=1e-6)


def test_mlp_weights_are_the_tutorials():
    model = nn.MLP(n_in=784, n_hidden=500, n_out=10)
    rng = np.random.RandomState(1234)
    bound = np.sqrt(6.0 / (784 + 500))
    expected = np.asarray(rng.uniform(low=-bound, high=bound, size=(784, 500)),
                          dtype=config.floatX)
    np.testing.assert_array_equal(model.hiddenLayer.W.get_value(), expected)
    assert not model.logRegressionLayer.W.get_value().any()
    W1, W2 = model.hiddenLayer.W.get_value(), model.logRegressionLayer.W.get_value()
    assert np.isclose(float(model.L1.eval()), np.abs(W1).sum() + np.abs(W2).sum(), rtol=1e-4)
    assert np.isclose(float(model.L2_sqr.eval()), (W1 ** 2).sum() + (W2 ** 2).sum(), rtol=1e-4)


def test_lenet5_weights_follow_the_tutorial_order():
    net = nn.LeNet5(nkerns=(20, 50))
    rng = np.random.RandomState(23455)
    for layer, shape, fans in ((net.layer0, (20, 1, 5, 5), (25, 20 * 25 // 4)),
                               (net.layer1, (50, 20, 5, 5), (500, 50 * 25 // 4))):
        bound = np.sqrt(6.0 / sum(fans))
        expected = np.asarray(rng.uniform(-bound, bound, shape), dtype=config.floatX)
        np.testing.assert_array_equal(layer.W.get_value(), expected)
    bound = np.sqrt(6.0 / (800 + 500))
    expected = np.asarray(rng.uniform(-bound, bound, (800, 500)), dtype=config.floatX)
    np.testing.assert_array_equal(net.layer2.W.get_value(), expected)


@pytest.mark.skipif(getattr(T.nnet, "conv2d", None) is None, reason="T.nnet.conv2d not built")
def test_lenet5_forward_shape():
    net = nn.LeNet5(nkerns=(2, 3), n_hidden=8, image_shape=(1, 16, 16))
    x = T.matrix("x")
    out = theanine.function([x], net(x))(np.random.rand(4, 256).astype(config.floatX))
    assert out.shape == (4, 10)


def test_two_layer_net_book_interface():
    with config.change_flags(floatX="float64"):
        net = nn.TwoLayerNet(input_size=6, hidden_size=4, output_size=3, rng=0)
        rng = np.random.RandomState(1)
        x, t = rng.rand(3, 6), np.array([0, 2, 1])
        net.b1.set_value(np.full(4, 0.01))  # keep ReLU inputs away from the kink
        numeric, backprop = net.numerical_gradient(x, t), net.gradient(x, t)
        for key in ("W1", "b1", "W2", "b2"):
            assert np.mean(np.abs(numeric[key] - backprop[key])) < 1e-8, key
        onehot = np.eye(3)[t]
        assert np.isclose(net.loss(x, t), net.loss(x, onehot))
        assert net.predict(x).shape == (3, 3)
        assert 0.0 <= net.accuracy(x, onehot) <= 1.0


def test_two_layer_net_in_place_updates_train_it():
    net = nn.TwoLayerNet(input_size=5, hidden_size=8, output_size=2, weight_init_std=0.5, rng=3)
    rng = np.random.RandomState(2)
    x = rng.randn(40, 5)
    t = (x[:, 0] > 0).astype(int)
    before = net.loss(x, t)
    for _ in range(50):
        grad = net.gradient(x, t)
        for key in ("W1", "b1", "W2", "b2"):
            net.params[key] -= 0.5 * grad[key]     # the book's update, in place
    assert net.loss(x, t) < before / 2
    assert net.accuracy(x, t) > 0.9


def test_module_registration_and_strict_loading():
    model = nn.MLP(n_in=4, n_hidden=3, n_out=2)
    names = [name for name, _ in model.named_params()]
    assert names == ["hiddenLayer.W", "hiddenLayer.b", "logRegressionLayer.W",
                     "logRegressionLayer.b"]
    assert [p.name for p in model.weights()] == ["W", "W"]
    state = model.state_dict()
    with pytest.raises(KeyError, match="missing"):
        model.load_state_dict({k: v for k, v in state.items() if k != "hiddenLayer.b"})
    with pytest.raises(ValueError, match="shape"):
        wrong = np.zeros(5, state["hiddenLayer.b"].dtype)
        model.load_state_dict({**state, "hiddenLayer.b": wrong})


def test_state_dict_round_trip_is_bit_exact(tmp_path):
    from theanine.train import load_weights, save_weights
    model = nn.Sequential(nn.Affine(5, 4, rng=np.random.RandomState(0)), nn.BatchNorm(4),
                          nn.ReLU(), nn.Affine(4, 2, init="he", rng=np.random.RandomState(1)))
    model[1].running_mean.set_value(np.random.RandomState(2).randn(4).astype(config.floatX))
    path = str(tmp_path / "w.safetensors")
    save_weights(path, model.state_dict())
    other = nn.Sequential(nn.Affine(5, 4, init="zeros"), nn.BatchNorm(4), nn.ReLU(),
                          nn.Affine(4, 2, init="zeros"))
    other.load_state_dict(load_weights(path))
    for (name, a), (_, b) in zip(model.named_shared(), other.named_shared()):
        assert a.get_value().dtype == b.get_value().dtype
        assert np.array_equal(a.get_value(), b.get_value()), name
        assert a.get_value().tobytes() == b.get_value().tobytes()


def test_initializers_take_explicit_generators():
    from theanine.nn import init
    a = init.he_normal(np.random.default_rng(5), (50, 40))
    b = init.he_normal(np.random.default_rng(5), (50, 40))
    assert np.array_equal(a, b) and a.dtype == config.floatX
    c = init.normal(np.random.RandomState(0), (3, 2), std=0.01)
    np.testing.assert_allclose(c, 0.01 * np.random.RandomState(0).randn(3, 2), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown initializer"):
        init.make("bogus", None, (2, 2))
