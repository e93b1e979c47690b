"""A denoising autoencoder with tied weights (Theano API, MRG random streams).

    theanine run dae.py DATA.pkl.gz [--hidden 500] [--epochs 15] [--corruption 0.3]

Inputs are corrupted by zeroing a random fraction of them; the cost is the
cross-entropy of the reconstruction. The corruption level and the learning
rate are ``theano.In`` inputs with defaults, passed by keyword. The learned
filters are saved as a tiled image (``filters.npy``) in --out.
"""
from __future__ import print_function

import argparse
import os
import sys

import numpy

import theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams

from logreg import load_data
from tiles import tile_rows


class DenoisingAutoencoder(object):
    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=784, n_hidden=500,
                 W=None, bhid=None, bvis=None):
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        if not W:
            bound = 4 * numpy.sqrt(6. / (n_hidden + n_visible))
            W = theano.shared(numpy.asarray(numpy_rng.uniform(-bound, bound,
                                                              size=(n_visible, n_hidden)),
                                            dtype=theano.config.floatX), name='W', borrow=True)
        if not bvis:
            bvis = theano.shared(numpy.zeros(n_visible, dtype=theano.config.floatX),
                                 borrow=True)
        if not bhid:
            bhid = theano.shared(numpy.zeros(n_hidden, dtype=theano.config.floatX), name='b',
                                 borrow=True)
        self.W, self.b, self.b_prime = W, bhid, bvis
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        self.x = T.dmatrix(name='input') if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def corrupted(self, input, level):
        keep = self.theano_rng.binomial(size=input.shape, n=1, p=1 - level,
                                        dtype=theano.config.floatX)
        return keep * input

    def hidden(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def reconstructed(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def cost_updates(self, corruption_level, learning_rate):
        z = self.reconstructed(self.hidden(self.corrupted(self.x, corruption_level)))
        L = -T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        grads = T.grad(cost, self.params)
        return cost, [(p, p - learning_rate * g) for p, g in zip(self.params, grads)]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('dataset')
    parser.add_argument('--hidden', type=int, default=500)
    parser.add_argument('--epochs', type=int, default=15)
    parser.add_argument('--batch', type=int, default=20)
    parser.add_argument('--corruption', type=float, default=0.3)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--out', default='dae_plots')
    args = parser.parse_args(argv)

    train_x = load_data(args.dataset)[0][0]
    n_rows, n_visible = train_x.get_value(borrow=True).shape
    n_batches = n_rows // args.batch
    side = int(numpy.sqrt(n_visible))

    index = T.lscalar('index')
    corruption = T.scalar('corruption')
    lr = T.scalar('lr')
    x = T.matrix('x')
    rng = numpy.random.RandomState(123)
    da = DenoisingAutoencoder(numpy_rng=rng, theano_rng=RandomStreams(rng.randint(2 ** 30)),
                              input=x, n_visible=n_visible, n_hidden=args.hidden)
    cost, updates = da.cost_updates(corruption, lr)
    train = theano.function(
        [index, theano.In(corruption, value=0.2), theano.In(lr, value=0.1)], cost,
        updates=updates, givens={x: train_x[index * args.batch:(index + 1) * args.batch]})

    for epoch in range(args.epochs):
        costs = [train(index=i, corruption=args.corruption, lr=args.lr)
                 for i in range(n_batches)]
        print('Training epoch %d, cost %f' % (epoch, numpy.mean(costs, dtype='float64')))

    if not os.path.isdir(args.out):
        os.makedirs(args.out)
    filters = tile_rows(da.W.get_value(borrow=True).T, (side, side), (10, 10), spacing=1)
    numpy.save(os.path.join(args.out, 'filters.npy'), filters)


if __name__ == '__main__':
    main(sys.argv[1:])
