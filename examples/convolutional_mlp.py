"""LeNet on MNIST, as the Deep Learning Tutorials' ``convolutional_mlp.py`` writes it.

Two convolution + max-pooling layers (20 and 50 filters of 5x5), a 500-unit
tanh layer and a softmax layer, trained by minibatch SGD (batch 500, learning
rate 0.1) with the tutorial's initial weights (``RandomState(23455)``) and its
minibatch order. Only the imports differ from the tutorial's script:
``theano`` is ``theanine``.

    python examples/convolutional_mlp.py --epochs 3

prints the validation error after each epoch (the tutorial's run gives
9.23 %, 6.17 % and 4.64 % after epochs 1, 2 and 3) and each epoch's time.

Example:
    >>> import numpy as np
    >>> from convolutional_mlp import build_lenet
    >>> rng = np.random.RandomState(0)
    >>> x = np.zeros((20, 784), 'float32'); y = np.zeros(20, 'int32')
    >>> model = build_lenet((x, y), (x, y), batch_size=10)
    >>> model.n_train_batches, float(model.train_model(0))
    (2, 2.3025851249694824)
"""
from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np

import theanine
import theanine.tensor as T
from theanine.tensor.nnet import conv2d
from theanine.tensor.signal import pool


class LogisticRegression:
    """Softmax regression, with weights initialised to zero."""

    def __init__(self, input, n_in, n_out):
        self.W = theanine.shared(np.zeros((n_in, n_out), dtype=theanine.config.floatX),
                                 name="W", borrow=True)
        self.b = theanine.shared(np.zeros((n_out,), dtype=theanine.config.floatX),
                                 name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


class HiddenLayer:
    """A fully connected layer, weights uniform in +-sqrt(6 / (n_in + n_out))."""

    def __init__(self, rng, input, n_in, n_out, activation=T.tanh):
        bound = np.sqrt(6.0 / (n_in + n_out))
        W_values = np.asarray(rng.uniform(low=-bound, high=bound, size=(n_in, n_out)),
                              dtype=theanine.config.floatX)
        if activation == T.nnet.sigmoid:
            W_values *= 4
        self.W = theanine.shared(W_values, name="W", borrow=True)
        self.b = theanine.shared(np.zeros((n_out,), dtype=theanine.config.floatX),
                                 name="b", borrow=True)
        self.output = activation(T.dot(input, self.W) + self.b)
        self.params = [self.W, self.b]


class LeNetConvPoolLayer:
    """Convolution, max-pooling, then tanh of the pooled maps plus a bias per map."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        assert image_shape[1] == filter_shape[1]
        fan_in = np.prod(filter_shape[1:])
        fan_out = filter_shape[0] * np.prod(filter_shape[2:]) // np.prod(poolsize)
        W_bound = np.sqrt(6.0 / (fan_in + fan_out))
        self.W = theanine.shared(
            np.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                       dtype=theanine.config.floatX), borrow=True)
        self.b = theanine.shared(np.zeros((filter_shape[0],), dtype=theanine.config.floatX),
                                 borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                          input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


def build_lenet(train, valid, learning_rate=0.1, nkerns=(20, 50), batch_size=500, seed=23455):
    """Compile the tutorial's ``train_model(i)`` and ``validate_model(i)`` for two splits.

    ``train`` and ``valid`` are ``(x, y)`` arrays (x: (n, 784)); they are kept in
    shared variables and minibatch ``i`` is picked with ``givens``.
    """
    from theanine.data import shared_dataset
    rng = np.random.RandomState(seed)
    train_set_x, train_set_y = shared_dataset(*train)
    valid_set_x, valid_set_y = shared_dataset(*valid)

    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, 28, 28),
                                filter_shape=(nkerns[0], 1, 5, 5), poolsize=(2, 2))
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output,
                                image_shape=(batch_size, nkerns[0], 12, 12),
                                filter_shape=(nkerns[1], nkerns[0], 5, 5), poolsize=(2, 2))
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=nkerns[1] * 4 * 4,
                         n_out=500, activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)

    def batch(data, i):
        return data[i * batch_size:(i + 1) * batch_size]

    validate_model = theanine.function(
        [index], layer3.errors(y),
        givens={x: batch(valid_set_x, index), y: batch(valid_set_y, index)})
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(p, p - learning_rate * g) for p, g in zip(params, grads)]
    train_model = theanine.function(
        [index], cost, updates=updates,
        givens={x: batch(train_set_x, index), y: batch(train_set_y, index)})
    return SimpleNamespace(train_model=train_model, validate_model=validate_model,
                           n_train_batches=len(train[0]) // batch_size,
                           n_valid_batches=len(valid[0]) // batch_size, params=params)


def train_epochs(model, n_epochs, log=print):
    """Train ``n_epochs`` passes in order; return ``[(validation error, seconds)]`` per epoch."""
    history = []
    for epoch in range(1, n_epochs + 1):
        start = time.perf_counter()
        for minibatch_index in range(model.n_train_batches):
            model.train_model(minibatch_index)
        seconds = time.perf_counter() - start
        error = float(np.mean([model.validate_model(i) for i in range(model.n_valid_batches)]))
        log(f"epoch {epoch}, minibatch {model.n_train_batches}/{model.n_train_batches}, "
            f"validation error {error * 100:f} % ({seconds:.1f} s training)")
        history.append((error, seconds))
    return history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200, help="training epochs (200)")
    parser.add_argument("--data", default=None,
                        help="folder holding mnist.pkl.gz (default: theanine's search path)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (0.1)")
    parser.add_argument("--batch-size", type=int, default=500, help="minibatch size (500)")
    args = parser.parse_args(argv)
    from theanine.data import load_mnist
    splits = load_mnist(root=args.data)
    model = build_lenet(splits.train, splits.valid, args.lr, batch_size=args.batch_size)
    train_epochs(model, args.epochs)


if __name__ == "__main__":
    main()
