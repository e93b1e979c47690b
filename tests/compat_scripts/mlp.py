"""A one-hidden-layer perceptron on MNIST-style data (Theano API).

    theanine run mlp.py DATA.pkl.gz [--hidden 500] [--batch 20] [--epochs 1000]

Reuses the softmax layer and the data loader of ``logreg.py`` from this
folder. The learning rate is a ``theano.In`` input with a default value,
passed by keyword.
"""
from __future__ import print_function

import argparse
import sys

import numpy

import theano
import theano.tensor as T

from logreg import SoftmaxClassifier, count_batches, load_data


class HiddenLayer(object):
    """activation(x W + b), W uniform in +-sqrt(6 / (n_in + n_out)) (x4 for the sigmoid)."""

    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
        if W is None:
            bound = numpy.sqrt(6. / (n_in + n_out))
            values = numpy.asarray(rng.uniform(low=-bound, high=bound, size=(n_in, n_out)),
                                   dtype=theano.config.floatX)
            if activation == theano.tensor.nnet.sigmoid:
                values *= 4
            W = theano.shared(value=values, name='W', borrow=True)
        if b is None:
            b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                              name='b', borrow=True)
        self.W, self.b = W, b
        linear = T.dot(input, self.W) + self.b
        self.output = linear if activation is None else activation(linear)
        self.params = [self.W, self.b]
        self.input = input


class Perceptron(object):
    def __init__(self, rng, input, n_in, n_hidden, n_out):
        self.hidden = HiddenLayer(rng, input, n_in, n_hidden, activation=T.tanh)
        self.top = SoftmaxClassifier(self.hidden.output, n_hidden, n_out)
        self.L1 = abs(self.hidden.W).sum() + abs(self.top.W).sum()
        self.L2_sqr = (self.hidden.W ** 2).sum() + (self.top.W ** 2).sum()
        self.negative_log_likelihood = self.top.negative_log_likelihood
        self.errors = self.top.errors
        self.params = self.hidden.params + self.top.params
        self.input = input


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('dataset')
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--hidden', type=int, default=500)
    parser.add_argument('--batch', type=int, default=20)
    parser.add_argument('--epochs', type=int, default=1000)
    args = parser.parse_args(argv)

    datasets = load_data(args.dataset)
    (train_x, train_y), (valid_x, valid_y), _ = datasets
    n_train, n_valid, _ = count_batches(datasets, args.batch)
    n_in = train_x.get_value(borrow=True).shape[1]
    n_out = int(train_y.eval().max()) + 1

    print('... building the model')
    index = T.lscalar('index')
    lr = T.scalar('lr')
    x = T.matrix('x')
    y = T.ivector('y')
    net = Perceptron(numpy.random.RandomState(1234), x, n_in, args.hidden, n_out)
    cost = net.negative_log_likelihood(y) + 0.0 * net.L1 + 0.0001 * net.L2_sqr
    updates = [(p, p - lr * T.grad(cost, p)) for p in net.params]
    first, last = index * args.batch, (index + 1) * args.batch
    train = theano.function(
        inputs=[index, theano.In(lr, value=args.lr)], outputs=cost, updates=updates,
        givens={x: train_x[first:last], y: train_y[first:last]}, name='train')
    validate = theano.function([index], net.errors(y), name='validate',
                               givens={x: valid_x[first:last], y: valid_y[first:last]})

    print('... training')
    for epoch in range(1, args.epochs + 1):
        costs = [train(index=i) if i % 2 else train(i, lr=args.lr) for i in range(n_train)]
        error = numpy.mean([validate(i) for i in range(n_valid)])
        print('epoch %i, cost %f, validation error %f %%' % (epoch, numpy.mean(costs),
                                                             error * 100.))


if __name__ == '__main__':
    main(sys.argv[1:])
