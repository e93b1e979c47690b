"""Each layer's forward pass against NumPy, and its gradient with verify_grad."""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine import nn
from theanine.config import config

from nn_helpers import with_symbolic_params

gradcheck = pytest.importorskip("theanine.gradcheck", reason="theanine.gradcheck not built yet")


@pytest.fixture(autouse=True)
def float64():
    with config.change_flags(floatX="float64"):
        yield


def _run(layer, x, train=False):
    var = T.tensor("float64", (None,) * x.ndim, name="x")
    return theanine.function([var], layer(var, train=train))(x)


def test_affine_forward_and_grad():
    rng = np.random.RandomState(0)
    layer = nn.Affine(4, 3, rng=rng)
    x = rng.randn(5, 4)
    W, b = layer.W.get_value(), layer.b.get_value() + 0.5
    layer.b.set_value(b)
    np.testing.assert_allclose(_run(layer, x), x @ W + b)
    gradcheck.verify_grad(with_symbolic_params(layer, ["W", "b"]), [x, W, b])


@pytest.mark.parametrize("activation,reference", [
    ("tanh", np.tanh), ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("relu", lambda z: np.maximum(z, 0))])
def test_dense_activation(activation, reference):
    rng = np.random.RandomState(1)
    layer = nn.Dense(3, 2, rng=rng, activation=activation)
    x = rng.randn(4, 3)
    expected = reference(x @ layer.W.get_value() + layer.b.get_value())
    np.testing.assert_allclose(_run(layer, x), expected, rtol=1e-12)


def test_tutorial_init_bounds_and_sigmoid_factor():
    bound = np.sqrt(6 / (30 + 20))
    W = nn.Affine(30, 20, rng=np.random.RandomState(2)).W.get_value()
    W4 = nn.Affine(30, 20, rng=np.random.RandomState(2), activation="sigmoid").W.get_value()
    assert np.abs(W).max() <= bound
    np.testing.assert_array_equal(W4, 4 * W)


@pytest.mark.parametrize("layer,reference", [
    (nn.ReLU(), lambda z: np.maximum(z, 0)),
    (nn.Sigmoid(), lambda z: 1 / (1 + np.exp(-z))),
    (nn.Tanh(), np.tanh)])
def test_activation_layers(layer, reference):
    x = np.array([[-2.0, -0.5, 0.3, 1.7]])
    np.testing.assert_allclose(_run(layer, x), reference(x), rtol=1e-12)
    gradcheck.verify_grad(lambda v: layer(v), [x])


def test_flatten_and_sequential():
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 2, 2)
    np.testing.assert_array_equal(_run(nn.Flatten(), x), x.reshape(2, 12))
    net = nn.Sequential(nn.Flatten(), nn.Affine(12, 4, rng=rng), nn.Tanh())
    W, b = net[1].W.get_value(), net[1].b.get_value()
    np.testing.assert_allclose(_run(net, x), np.tanh(x.reshape(2, 12) @ W + b))
    assert [name for name, _ in net.named_params()] == ["1.W", "1.b"]


def test_batchnorm_train_eval_and_running_stats():
    rng = np.random.RandomState(4)
    bn = nn.BatchNorm(3, momentum=0.9, eps=1e-5)
    bn.gamma.set_value(np.array([1.0, 2.0, 0.5]))
    bn.beta.set_value(np.array([0.0, 1.0, -1.0]))
    x = rng.randn(8, 3) * 3 + 1
    var = T.dmatrix("x")
    step = theanine.function([var], bn(var, train=True), updates=bn.state_updates())
    out = step(x)
    normalized = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(out, normalized * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0])
    np.testing.assert_allclose(bn.running_mean.get_value(), 0.1 * x.mean(0))
    np.testing.assert_allclose(bn.running_var.get_value(), 0.9 + 0.1 * x.var(0))
    mean, var_ = bn.running_mean.get_value(), bn.running_var.get_value()
    expected = (x - mean) / np.sqrt(var_ + 1e-5) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    np.testing.assert_allclose(_run(bn, x, train=False), expected)
    assert [name for name, _ in bn.named_params()] == ["gamma", "beta"]
    assert sorted(bn.state_dict()) == ["beta", "gamma", "running_mean", "running_var"]


def test_batchnorm_gradient_in_train_mode():
    bn = nn.BatchNorm(3)
    x = np.random.RandomState(5).randn(6, 3)

    def fun(v, gamma, beta):
        object.__setattr__(bn, "gamma", gamma)
        object.__setattr__(bn, "beta", beta)
        return bn(v, train=True)
    gradcheck.verify_grad(fun, [x, np.array([1.0, 1.5, 0.5]), np.array([0.1, 0.0, -0.2])])


def test_batchnorm_4d_per_channel():
    x = np.random.RandomState(6).randn(4, 2, 3, 3)
    var = T.dtensor4("x")
    bn = nn.BatchNorm(2)
    out = theanine.function([var], bn(var, train=True))(x)
    mean, v = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(v + 1e-5), atol=1e-12)


def test_softmax_with_loss_matches_numpy():
    rng = np.random.RandomState(7)
    z, labels = rng.randn(5, 4), np.array([0, 3, 1, 1, 2], dtype="int32")
    e = np.exp(z - z.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(5), labels]))
    zv, tv, hv = T.dmatrix("z"), T.ivector("t"), T.dmatrix("h")
    loss = nn.SoftmaxWithLoss()
    assert np.isclose(loss(zv, tv).eval({zv: z, tv: labels}), expected)
    onehot = np.eye(4)[labels]
    assert np.isclose(loss(zv, hv).eval({zv: z, hv: onehot}), expected)
    grad = T.grad(loss(zv, tv), zv).eval({zv: z, tv: labels})
    np.testing.assert_allclose(grad, (p - onehot) / 5, atol=1e-12)
    gradcheck.verify_grad(lambda s: loss(s, T.constant(labels)), [z])


def _random_streams_reason():
    try:
        from theanine.tensor.shared_randomstreams import RandomStreams  # noqa: F401
    except ImportError as exc:
        return f"RandomStreams not built yet ({exc})"
    return None


@pytest.mark.skipif(_random_streams_reason() is not None,
                    reason=str(_random_streams_reason()))
def test_dropout_train_mask_and_eval_identity():
    drop = nn.Dropout(0.25, seed=3)
    x = np.ones((200, 50))
    assert np.array_equal(_run(drop, x, train=False), x)
    out = _run(drop, x, train=True)
    kept = out != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    assert len(drop.random_streams()) == 1


def _conv_reason():
    if getattr(T.nnet, "conv2d", None) is None:
        return "T.nnet.conv2d not built yet"
    try:
        from theanine.tensor.signal.pool import pool_2d  # noqa: F401
    except ImportError as exc:
        return f"pool_2d not built yet ({exc})"
    return None


def _correlate_valid(x, W):
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    flipped = W[:, :, ::-1, ::-1]  # conv2d flips filters (a true convolution), as Theano
    out = np.zeros((n, f, h - kh + 1, w - kw + 1))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", x[:, :, i:i + kh, j:j + kw], flipped)
    return out


@pytest.mark.skipif(_conv_reason() is not None, reason=str(_conv_reason()))
def test_conv2d_and_maxpool_layers():
    rng = np.random.RandomState(8)
    conv = nn.Conv2D(2, 3, (3, 3), rng=rng)
    conv.b.set_value(np.array([0.1, -0.2, 0.3]))
    x = rng.randn(2, 2, 6, 6)
    expected = _correlate_valid(x, conv.W.get_value()) + conv.b.get_value()[None, :, None, None]
    np.testing.assert_allclose(_run(conv, x), expected, atol=1e-10)
    pooled = _run(nn.MaxPool2D((2, 2)), x)
    np.testing.assert_array_equal(pooled, x.reshape(2, 2, 3, 2, 3, 2).max(axis=(3, 5)))
    gradcheck.verify_grad(with_symbolic_params(conv, ["W", "b"]),
                          [x, conv.W.get_value(), conv.b.get_value()])
