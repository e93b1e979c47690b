"""Plain NumPy peer, layer by layer as "Deep Learning from Scratch" writes it.

Each layer has ``forward(x)`` and ``backward(dout)``; gradients land in a shared
``grads`` dict under the parameter's name, and SGD updates the parameters in place.
Care taken where it pays on a CPU:

* convolution is im2col + one GEMM, with the gather indices computed once per layer;
* activations are kept channels-last (N, H, W, C), so im2col rows, pooling windows
  and the col2im scatter are all plain strided views (no transposes per step);
* the first layer does not compute the gradient of the input it never needs.

Example:
    >>> from bench.data import synthetic
    >>> from bench.models import SPECS, init_params
    >>> t = make_trainer(SPECS['logreg'], init_params('logreg'), synthetic(1200, 500))
    >>> [round(c, 4) for c in t.first_losses(1)]  # zero weights: log(10)
    [2.3026]
"""
from __future__ import annotations

import numpy as np

from bench.data import Data
from bench.models import LENET_POOL, ModelSpec
from bench.peers.base import Trainer


class Affine:
    """``x @ W + b``."""

    def __init__(self, params, grads, w, b, need_dx=True):
        self.params, self.grads, self.w, self.b, self.need_dx = params, grads, w, b, need_dx

    def forward(self, x):
        self.x = x
        out = x @ self.params[self.w]
        out += self.params[self.b]
        return out

    def backward(self, dout):
        self.grads[self.w] = self.x.T @ dout
        self.grads[self.b] = dout.sum(axis=0)
        return dout @ self.params[self.w].T if self.need_dx else None


class Tanh:
    """Elementwise tanh, overwriting its input (no other layer reads it again)."""

    def forward(self, x):
        self.out = np.tanh(x, out=x)
        return self.out

    def backward(self, dout):
        dx = np.multiply(self.out, self.out)
        np.subtract(1.0, dx, out=dx)
        dx *= dout
        return dx


class ChannelBias:
    """Adds a per-channel bias to channels-last activations (after pooling, as the tutorial)."""

    def __init__(self, params, grads, b):
        self.params, self.grads, self.b = params, grads, b

    def forward(self, x):
        x += self.params[self.b]
        return x

    def backward(self, dout):
        self.grads[self.b] = dout.reshape(-1, dout.shape[-1]).sum(axis=0)
        return dout


class Convolution:
    """Valid convolution of (N, H, W, C) inputs by im2col with cached gather indices.

    ``params[w]`` holds the filters as a (KH * KW * C, F) matrix for cross-correlation;
    :func:`im2col_filters` converts Theano's flipped (F, C, KH, KW) filters to it.
    """

    def __init__(self, params, grads, w, in_hwc, kernel, need_dx=True):
        self.params, self.grads, self.w, self.need_dx = params, grads, w, need_dx
        h, w_, c = in_hwc
        kh, kw = kernel
        self.out_hw = (h - kh + 1, w_ - kw + 1)
        self.kernel = kernel
        oh, ow = self.out_hw
        # Flat offset of input (oh+i, ow+j, ch) for each output position and filter tap:
        # rows are output positions, columns follow the filter matrix's (i, j, ch) order.
        rows = (np.arange(oh)[:, None] * w_ + np.arange(ow)[None, :]).reshape(-1, 1)
        taps = ((np.arange(kh)[:, None, None] * w_ + np.arange(kw)[None, :, None]) * c
                + np.arange(c)[None, None, :]).reshape(1, -1)
        self.index = rows * c + taps

    def forward(self, x):
        n = x.shape[0]
        self.in_shape = x.shape
        self.cols = np.take(x.reshape(n, -1), self.index, axis=1).reshape(-1, self.index.shape[1])
        out = self.cols @ self.params[self.w]
        return out.reshape(n, *self.out_hw, -1)

    def backward(self, dout):
        d2 = dout.reshape(-1, dout.shape[-1])
        self.grads[self.w] = self.cols.T @ d2
        if not self.need_dx:
            return None
        n, c = self.in_shape[0], self.in_shape[3]
        (oh, ow), (kh, kw) = self.out_hw, self.kernel
        dcols = (d2 @ self.params[self.w].T).reshape(n, oh, ow, kh, kw, c)
        dx = np.zeros(self.in_shape, dtype=dout.dtype)
        # col2im as KH*KW strided adds: each tap's slab goes to one shifted window.
        for i in range(kh):
            for j in range(kw):
                dx[:, i:i + oh, j:j + ow, :] += dcols[:, :, :, i, j, :]
        return dx


class MaxPooling:
    """2x2 max pooling over channels-last activations, ignoring odd borders.

    The gradient goes to *every* input equal to its window's maximum, as Theano's
    ``MaxPoolGrad`` does; ties are common on MNIST's blank borders.
    """

    def forward(self, x):
        ph, pw = x.shape[1] // 2, x.shape[2] // 2
        self.x = x[:, :2 * ph, :2 * pw]
        self.in_shape = x.shape
        corners = [self.x[:, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        self.out = np.maximum(np.maximum(corners[0], corners[1]),
                              np.maximum(corners[2], corners[3]))
        return self.out.copy()

    def backward(self, dout):
        dx = np.zeros(self.in_shape, dtype=dout.dtype)
        for i in (0, 1):
            for j in (0, 1):
                hit = self.x[:, i::2, j::2] == self.out
                dx[:, i:2 * self.out.shape[1]:2, j:2 * self.out.shape[2]:2] = hit * dout
        return dx


class Flatten:
    """(N, ...) to (N, features)."""

    def forward(self, x):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class SoftmaxWithLoss:
    """Mean negative log-likelihood of the softmax of the scores."""

    def forward(self, scores, y):
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.y, self.p = y, np.exp(log_p)
        return -log_p[np.arange(len(y)), y].mean()

    def backward(self):
        d = self.p
        d[np.arange(len(self.y)), self.y] -= 1.0
        d /= len(self.y)
        return d


def im2col_filters(w: np.ndarray) -> np.ndarray:
    """Theano's (F, C, KH, KW) true-convolution filters as a (KH*KW*C, F) correlation matrix.

    Example:
        >>> w = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
        >>> im2col_filters(w).ravel().tolist()  # taps flipped, channel fastest
        [3.0, 7.0, 2.0, 6.0, 1.0, 5.0, 0.0, 4.0]
    """
    flipped = w[:, :, ::-1, ::-1]
    return np.ascontiguousarray(flipped.transpose(2, 3, 1, 0).reshape(-1, w.shape[0]))


def _layers(model: str, params: dict, grads: dict) -> list:
    if model == "logreg":
        return [Affine(params, grads, "W", "b", need_dx=False)]
    if model == "mlp":
        return [Affine(params, grads, "W1", "b1", need_dx=False), Tanh(),
                Affine(params, grads, "W2", "b2")]
    if model == "lenet":
        k0, (f1, c1, k1, _) = params["W0"].shape[2], params["W1"].shape
        conv_hw = 28 - k0 + 1
        pooled_hw = conv_hw // LENET_POOL[0]
        flat_hw = (pooled_hw - k1 + 1) // LENET_POOL[0]
        # The tutorial flattens (C, H, W); channels-last flattens (H, W, C): permute W2's rows.
        w2 = params["W2"].reshape(f1, flat_hw, flat_hw, -1).transpose(1, 2, 0, 3)
        params["W2"] = np.ascontiguousarray(w2.reshape(f1 * flat_hw * flat_hw, -1))
        params["W0"], params["W1"] = im2col_filters(params["W0"]), im2col_filters(params["W1"])
        return [
            Convolution(params, grads, "W0", (28, 28, 1), (k0, k0), need_dx=False),
            MaxPooling(), ChannelBias(params, grads, "b0"), Tanh(),
            Convolution(params, grads, "W1", (pooled_hw, pooled_hw, c1), (k1, k1)),
            MaxPooling(), ChannelBias(params, grads, "b1"), Tanh(),
            Flatten(), Affine(params, grads, "W2", "b2"), Tanh(),
            Affine(params, grads, "W3", "b3"),
        ]
    raise KeyError(model)


class NumpyTrainer(Trainer):
    """Forward through the layers, backward in reverse, SGD in place."""

    def __init__(self, spec: ModelSpec, params: dict, data: Data):
        super().__init__(spec, data)
        self.params = {k: np.array(v, dtype=np.float32) for k, v in params.items()}
        self.grads: dict[str, np.ndarray] = {}
        self.layers = _layers(spec.name, self.params, self.grads)
        self.loss = SoftmaxWithLoss()
        self.data = data
        self.image = spec.name == "lenet"

    def _input(self, x):
        return x.reshape(len(x), 28, 28, 1) if self.image else x

    def _scores(self, x):
        out = self._input(x)
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def train_step(self, i):
        bs, lr, l2 = self.spec.batch_size, self.spec.lr, self.spec.l2
        x = self.data.train_x[i * bs:(i + 1) * bs]
        y = self.data.train_y[i * bs:(i + 1) * bs]
        cost = float(self.loss.forward(self._scores(x), y))
        dout = self.loss.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        for name in self.spec.weights:
            # The tutorial's cost + l2 * sum(W**2): its gradient adds 2 * l2 * W.
            w = self.params[name]
            cost += l2 * float(np.vdot(w, w))
            self.grads[name] += (2.0 * l2) * w
        for name, p in self.params.items():
            g = self.grads[name]
            g *= lr
            p -= g
        return cost

    def valid_errors(self, i):
        bs = self.spec.eval_batch
        x = self.data.valid_x[i * bs:(i + 1) * bs]
        y = self.data.valid_y[i * bs:(i + 1) * bs]
        return float(np.mean(self._scores(x).argmax(axis=1) != y))


def make_trainer(spec: ModelSpec, params: dict, data: Data) -> NumpyTrainer:
    """Build the NumPy trainer (nothing to compile)."""
    return NumpyTrainer(spec, params, data)
