"""The tutorials' models: ``LogisticRegression``, ``MLP`` and ``LeNet5``.

Each returns class *scores* (logits) from ``model(x, train=...)``; the losses
in :mod:`theanine.nn.losses` apply the softmax. Weights are drawn in the
tutorials' order from the tutorials' seeds, so a model built with the default
``rng`` starts from the published runs' weights.

Example:
    >>> from theanine.nn import build_model
    >>> model = build_model('logreg', n_in=784, n_out=10)
    >>> type(model).__name__, model.config()
    ('LogisticRegression', {'n_in': 784, 'n_out': 10})
"""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.nn import init as initializers
from theanine.nn.conv import conv2d_op, pool_2d_op
from theanine.nn.layers import Affine
from theanine.nn.module import Module


def _rng(rng, default_seed):
    if rng is None:
        return np.random.RandomState(default_seed)
    if isinstance(rng, (int, np.integer)):
        return np.random.RandomState(int(rng))
    return rng


class LogisticRegression(Affine):
    """Multi-class logistic regression, ``softmax(x @ W + b)``, weights and bias at zero.

    ``model(x)`` gives the scores; ``p_y_given_x(x)`` and ``y_pred(x)`` the
    tutorial's probabilities and predictions.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import LogisticRegression
        >>> model = LogisticRegression(784, 10)
        >>> float(np.abs(model.W.get_value()).sum())
        0.0
    """

    def __init__(self, n_in=784, n_out=10, dtype=None):
        super().__init__(n_in, n_out, init="zeros", dtype=dtype)
        self._config = {"n_in": n_in, "n_out": n_out}

    def p_y_given_x(self, x):
        """Class probabilities, ``softmax(x @ W + b)``."""
        return T.nnet.softmax(self(x))

    def y_pred(self, x):
        """The most probable class of each row."""
        return T.argmax(self(x), axis=1)


class MLP(Module):
    """The tutorial's multilayer perceptron: a tanh hidden layer, then logistic regression.

    ``rng`` (default ``RandomState(1234)``, the tutorial's) draws the hidden
    weights uniformly in ±sqrt(6/(n_in+n_hidden)), ×4 for 'sigmoid'. ``L1`` and
    ``L2_sqr`` are the tutorial's regularization terms.

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn import MLP
        >>> mlp = MLP(n_in=784, n_hidden=500, n_out=10)
        >>> mlp(T.matrix('x')).ndim, mlp.L2_sqr.ndim
        (2, 0)
    """

    def __init__(self, n_in=784, n_hidden=500, n_out=10, rng=None, activation="tanh",
                 dtype=None):
        super().__init__()
        self._config = {"n_in": n_in, "n_hidden": n_hidden, "n_out": n_out,
                        "activation": activation}
        self.hiddenLayer = Affine(n_in, n_hidden, rng=_rng(rng, 1234), init="tutorial",
                                  activation=activation, dtype=dtype)
        self.logRegressionLayer = LogisticRegression(n_hidden, n_out, dtype=dtype)

    def forward(self, x, train=False):
        return self.logRegressionLayer(self.hiddenLayer(x, train), train)


class LeNetConvPoolLayer(Module):
    """The tutorial's conv-pool layer: ``tanh(max_pool(conv2d(x, W)) + b)``.

    W is uniform in ±sqrt(6/(fan_in+fan_out)) with ``fan_out`` divided by the
    pooling area, as the tutorial computes it.

    Example:
        >>> import numpy as np
        >>> from theanine.nn import LeNetConvPoolLayer
        >>> layer = LeNetConvPoolLayer(np.random.RandomState(23455), (20, 1, 5, 5))
        >>> layer.W.get_value().shape, layer.b.get_value().shape
        ((20, 1, 5, 5), (20,))
    """

    def __init__(self, rng, filter_shape, poolsize=(2, 2), dtype=None):
        super().__init__()
        self.filter_shape, self.poolsize = tuple(filter_shape), tuple(poolsize)
        fan_in = int(np.prod(filter_shape[1:]))
        fan_out = int(filter_shape[0] * np.prod(filter_shape[2:]) // np.prod(poolsize))
        W = initializers.tutorial_uniform(rng, self.filter_shape, fan_in, fan_out, dtype=dtype)
        self.W = theanine.shared(W, name="W", borrow=True)
        self.b = theanine.shared(initializers.zeros((filter_shape[0],), dtype=W.dtype),
                                 name="b", borrow=True)

    def forward(self, x, train=False):
        conv_out = conv2d_op()(x, self.W, filter_shape=self.filter_shape)
        pooled = pool_2d_op()(conv_out, ws=self.poolsize, ignore_border=True)
        return T.tanh(pooled + self.b.dimshuffle("x", 0, "x", "x"))


class LeNet5(Module):
    """The convolutional network of the tutorial's ``convolutional_mlp.py``.

    Two conv-pool-tanh layers (``nkerns`` filters of 5x5, 2x2 max pooling), a
    tanh hidden layer of ``n_hidden`` units and logistic regression. Rows of
    ``x`` (784 pixels) are reshaped to ``image_shape``. Weights come from
    ``rng`` (default ``RandomState(23455)``) in the tutorial's order.

    Example:
        >>> from theanine.nn import LeNet5
        >>> net = LeNet5(nkerns=(20, 50))
        >>> [p.get_value().shape for p in net.params()][::2]
        [(20, 1, 5, 5), (50, 20, 5, 5), (800, 500), (500, 10)]
    """

    def __init__(self, nkerns=(20, 50), n_hidden=500, n_out=10, image_shape=(1, 28, 28),
                 rng=None, dtype=None):
        super().__init__()
        nkerns, image_shape = tuple(nkerns), tuple(image_shape)
        self._config = {"nkerns": list(nkerns), "n_hidden": n_hidden, "n_out": n_out,
                        "image_shape": list(image_shape)}
        rng = _rng(rng, 23455)
        self.image_shape = image_shape
        channels, height, width = image_shape
        self.layer0 = LeNetConvPoolLayer(rng, (nkerns[0], channels, 5, 5), dtype=dtype)
        height, width = (height - 4) // 2, (width - 4) // 2
        self.layer1 = LeNetConvPoolLayer(rng, (nkerns[1], nkerns[0], 5, 5), dtype=dtype)
        height, width = (height - 4) // 2, (width - 4) // 2
        self.layer2 = Affine(nkerns[1] * height * width, n_hidden, rng=rng, activation="tanh",
                             dtype=dtype)
        self.layer3 = LogisticRegression(n_hidden, n_out, dtype=dtype)

    def forward(self, x, train=False):
        images = T.reshape(x, (x.shape[0],) + self.image_shape, ndim=4)
        hidden = self.layer1(self.layer0(images, train), train)
        return self.layer3(self.layer2(T.flatten(hidden, 2), train), train)


def _two_layer_net(**kwargs):
    from theanine.nn.two_layer_net import TwoLayerNet
    return TwoLayerNet(**kwargs)


MODELS = {"logreg": LogisticRegression, "mlp": MLP, "lenet": LeNet5,
          "twolayer": _two_layer_net}


def build_model(name, **config):
    """The model called ``name`` ('logreg', 'mlp', 'lenet', 'twolayer') built from ``config``.

    Example:
        >>> from theanine.nn import build_model
        >>> build_model('mlp', n_hidden=20).config()['n_hidden']
        20
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name](**config)
