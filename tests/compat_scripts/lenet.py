"""A small LeNet: two convolution + max-pooling layers, a tanh layer, softmax (Theano API).

    theanine run lenet.py DATA.pkl.gz --side 12 [--kernels 4 6] [--filters 3 2]

The first layer uses Theano's old modules (``nnet.conv.conv2d`` with
``image_shape=``, ``signal.downsample.max_pool_2d``), the second the newer
ones (``nnet.conv2d`` with ``input_shape=``, ``signal.pool.pool_2d``).
"""
from __future__ import print_function

import argparse
import sys

import numpy

import theano
import theano.tensor as T
from theano.tensor.nnet import conv, conv2d
from theano.tensor.signal import downsample, pool

from logreg import SoftmaxClassifier, count_batches, load_data
from mlp import HiddenLayer


class ConvPoolLayer(object):
    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2), old_api=False):
        assert image_shape[1] == filter_shape[1]
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
        bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(numpy.asarray(rng.uniform(low=-bound, high=bound,
                                                         size=filter_shape),
                                             dtype=theano.config.floatX), borrow=True)
        self.b = theano.shared(numpy.zeros((filter_shape[0],), dtype=theano.config.floatX),
                               borrow=True)
        if old_api:
            convolved = conv.conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                                    image_shape=image_shape)
            pooled = downsample.max_pool_2d(input=convolved, ds=poolsize, ignore_border=True)
        else:
            convolved = conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                               input_shape=image_shape)
            pooled = pool.pool_2d(input=convolved, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled + self.b.dimshuffle('x', 0, 'x', 'x'))
        self.params = [self.W, self.b]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('dataset')
    parser.add_argument('--side', type=int, default=28)
    parser.add_argument('--kernels', type=int, nargs=2, default=[20, 50])
    parser.add_argument('--filters', type=int, nargs=2, default=[5, 5])
    parser.add_argument('--hidden', type=int, default=500)
    parser.add_argument('--batch', type=int, default=500)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--epochs', type=int, default=200)
    args = parser.parse_args(argv)

    datasets = load_data(args.dataset)
    (train_x, train_y), (valid_x, valid_y), _ = datasets
    n_train, n_valid, _ = count_batches(datasets, args.batch)
    n_out = int(train_y.eval().max()) + 1
    (k0, k1), (f0, f1), side, batch = args.kernels, args.filters, args.side, args.batch

    rng = numpy.random.RandomState(23455)
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    layer0 = ConvPoolLayer(rng, x.reshape((batch, 1, side, side)), (k0, 1, f0, f0),
                           (batch, 1, side, side), old_api=True)
    side0 = (side - f0 + 1) // 2
    layer1 = ConvPoolLayer(rng, layer0.output, (k1, k0, f1, f1), (batch, k0, side0, side0))
    side1 = (side0 - f1 + 1) // 2
    layer2 = HiddenLayer(rng, layer1.output.flatten(2), k1 * side1 * side1, args.hidden,
                         activation=T.tanh)
    layer3 = SoftmaxClassifier(layer2.output, args.hidden, n_out)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    part = slice(index * batch, (index + 1) * batch)
    train = theano.function([index], cost, updates=[(p, p - args.lr * g)
                                                    for p, g in zip(params, grads)],
                            givens={x: train_x[part], y: train_y[part]})
    validate = theano.function([index], layer3.errors(y),
                               givens={x: valid_x[part], y: valid_y[part]})
    for epoch in range(1, args.epochs + 1):
        costs = [train(i) for i in range(n_train)]
        error = numpy.mean([validate(i) for i in range(n_valid)])
        print('epoch %i, cost %f, validation error %f %%' % (epoch, numpy.mean(costs),
                                                             error * 100.))


if __name__ == '__main__':
    main(sys.argv[1:])
