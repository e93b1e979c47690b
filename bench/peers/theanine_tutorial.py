"""theanine peer: the Deep Learning Tutorials' code, with ``theano`` spelled ``theanine``.

Nothing here is tuned for the benchmark: datasets, weights and biases are shared
variables (``shared_dataset`` stores labels as floatX and casts them to int32, as the
tutorials do), each model is one ``theanine.function([index], cost, updates=...,
givens=...)`` and one ``validate_model``, gradients come from ``T.grad``, and LeNet
uses ``T.nnet.conv2d`` and ``pool.pool_2d`` exactly as ``convolutional_mlp.py`` does.

Example:
    >>> from bench.data import synthetic
    >>> from bench.models import SPECS, init_params
    >>> t = make_trainer(SPECS['logreg'], init_params('logreg'), synthetic(1200, 500))
    >>> [round(c, 4) for c in t.first_losses(1)]
    [2.3026]
"""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from bench.data import Data
from bench.models import LENET_POOL, ModelSpec
from bench.peers.base import Trainer


def shared_dataset(data_x, data_y):
    """The tutorials' ``shared_dataset``: x as floatX, y stored as floatX, used as int32."""
    shared_x = theanine.shared(np.asarray(data_x, dtype=theanine.config.floatX), borrow=True)
    shared_y = theanine.shared(np.asarray(data_y, dtype=theanine.config.floatX), borrow=True)
    return shared_x, T.cast(shared_y, "int32")


class LogisticRegression:
    """``logistic_sgd.py``: softmax over ``dot(input, W) + b``."""

    def __init__(self, input, W, b):
        self.W = theanine.shared(value=W, name="W", borrow=True)
        self.b = theanine.shared(value=b, name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


class HiddenLayer:
    """``mlp.py``: ``tanh(dot(input, W) + b)``."""

    def __init__(self, input, W, b, name):
        self.W = theanine.shared(value=W, name=f"W{name}", borrow=True)
        self.b = theanine.shared(value=b, name=f"b{name}", borrow=True)
        self.output = T.tanh(T.dot(input, self.W) + self.b)
        self.params = [self.W, self.b]


class LeNetConvPoolLayer:
    """``convolutional_mlp.py``: conv2d, max pool, then tanh of pooled + bias."""

    def __init__(self, input, W, b, filter_shape, image_shape, poolsize=LENET_POOL):
        # Imported here, not at the top as the tutorial does, so that a theanine without
        # pooling still runs the other models and reports LeNet's failure on its own.
        from theanine.tensor.signal import pool

        self.W = theanine.shared(value=W, borrow=True)
        self.b = theanine.shared(value=b, borrow=True)
        conv_out = T.nnet.conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                                 input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


def _build(spec: ModelSpec, params: dict, x, batch_size: int):
    """Return (output layer, every parameter, the tutorial's ``L2_sqr`` or None)."""
    p = {k: np.array(v) for k, v in params.items()}
    if spec.name == "logreg":
        out = LogisticRegression(x, p["W"], p["b"])
        return out, out.params, None
    if spec.name == "mlp":
        hidden = HiddenLayer(x, p["W1"], p["b1"], "1")
        out = LogisticRegression(hidden.output, p["W2"], p["b2"])
        return out, hidden.params + out.params, (hidden.W ** 2).sum() + (out.W ** 2).sum()
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    f0, f1 = p["W0"].shape, p["W1"].shape
    layer0 = LeNetConvPoolLayer(layer0_input, p["W0"], p["b0"], f0, (batch_size, 1, 28, 28))
    side = (28 - f0[2] + 1) // LENET_POOL[0]
    layer1 = LeNetConvPoolLayer(layer0.output, p["W1"], p["b1"], f1,
                                (batch_size, f0[0], side, side))
    layer2 = HiddenLayer(layer1.output.flatten(2), p["W2"], p["b2"], "2")
    layer3 = LogisticRegression(layer2.output, p["W3"], p["b3"])
    return layer3, layer0.params + layer1.params + layer2.params + layer3.params, None


class TheanineTrainer(Trainer):
    """``train_model(index)`` and ``validate_model(index)``, as in the tutorials."""

    def __init__(self, spec: ModelSpec, params: dict, data: Data):
        super().__init__(spec, data)
        train_set_x, train_set_y = shared_dataset(data.train_x, data.train_y)
        valid_set_x, valid_set_y = shared_dataset(data.valid_x, data.valid_y)
        index = T.lscalar()
        x = T.matrix("x")
        y = T.ivector("y")
        bs, eb = spec.batch_size, spec.eval_batch

        model, model_params, l2_sqr = _build(spec, params, x, bs)
        cost = model.negative_log_likelihood(y)
        if l2_sqr is not None:
            cost = cost + spec.l2 * l2_sqr
        gparams = [T.grad(cost, param) for param in model_params]
        updates = [(param, param - spec.lr * gparam)
                   for param, gparam in zip(model_params, gparams)]
        self.train_model = theanine.function(
            inputs=[index], outputs=cost, updates=updates,
            givens={x: train_set_x[index * bs:(index + 1) * bs],
                    y: train_set_y[index * bs:(index + 1) * bs]})

        # The same graph evaluates batches of another size: only LeNet's reshape fixes
        # the batch, and LeNet's eval batch is its train batch (models.SPECS).
        self.validate_model = theanine.function(
            inputs=[index], outputs=model.errors(y),
            givens={x: valid_set_x[index * eb:(index + 1) * eb],
                    y: valid_set_y[index * eb:(index + 1) * eb]})

    def train_step(self, i):
        return self.train_model(i)

    def valid_errors(self, i):
        return self.validate_model(i)


def make_trainer(spec: ModelSpec, params: dict, data: Data) -> TheanineTrainer:
    """Build and compile the tutorial's functions with theanine."""
    return TheanineTrainer(spec, params, data)
