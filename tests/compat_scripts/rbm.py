"""A restricted Boltzmann machine trained with persistent contrastive divergence.

    theanine run rbm.py DATA.pkl.gz [--hidden 500] [--epochs 15] [--k 15] [--samples 10]

The Gibbs chain is a ``theano.scan`` whose step draws from RandomStreams;
scan's updates (the random states) are extended with the parameter updates
and the persistent chain, and the gradient stops at the chain's end
(``consider_constant``). Training prints the pseudo-likelihood cost; then a
second scan samples from the model, saved as tiles in --out.
"""
from __future__ import print_function

import argparse
import os
import sys

import numpy

import theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams

from logreg import load_data
from tiles import tile_rows


class RBM(object):
    def __init__(self, input=None, n_visible=784, n_hidden=500, numpy_rng=None,
                 theano_rng=None):
        numpy_rng = numpy_rng or numpy.random.RandomState(1234)
        self.theano_rng = theano_rng or RandomStreams(numpy_rng.randint(2 ** 30))
        bound = 4 * numpy.sqrt(6. / (n_hidden + n_visible))
        self.W = theano.shared(numpy.asarray(numpy_rng.uniform(-bound, bound,
                                                               size=(n_visible, n_hidden)),
                                             dtype=theano.config.floatX), name='W', borrow=True)
        self.hbias = theano.shared(numpy.zeros(n_hidden, dtype=theano.config.floatX),
                                   name='hbias', borrow=True)
        self.vbias = theano.shared(numpy.zeros(n_visible, dtype=theano.config.floatX),
                                   name='vbias', borrow=True)
        self.input = input if input else T.matrix('input')
        self.n_visible = n_visible
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v):
        wx_b = T.dot(v, self.W) + self.hbias
        return -T.sum(T.log(1 + T.exp(wx_b)), axis=1) - T.dot(v, self.vbias)

    def sample_h_given_v(self, v):
        pre = T.dot(v, self.W) + self.hbias
        mean = T.nnet.sigmoid(pre)
        sample = self.theano_rng.binomial(size=mean.shape, n=1, p=mean,
                                          dtype=theano.config.floatX)
        return [pre, mean, sample]

    def sample_v_given_h(self, h):
        pre = T.dot(h, self.W.T) + self.vbias
        mean = T.nnet.sigmoid(pre)
        sample = self.theano_rng.binomial(size=mean.shape, n=1, p=mean,
                                          dtype=theano.config.floatX)
        return [pre, mean, sample]

    def gibbs_hvh(self, h):
        v = self.sample_v_given_h(h)
        return v + self.sample_h_given_v(v[2])

    def gibbs_vhv(self, v):
        h = self.sample_h_given_v(v)
        return h + self.sample_v_given_h(h[2])

    def cost_updates(self, lr, persistent, k):
        chain_start = persistent
        (_, _, nv_samples, _, _, nh_samples), updates = theano.scan(
            self.gibbs_hvh, outputs_info=[None, None, None, None, None, chain_start],
            n_steps=k, name='gibbs_hvh')
        chain_end = nv_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        grads = T.grad(cost, self.params, consider_constant=[chain_end])
        for g, p in zip(grads, self.params):
            updates[p] = p - g * T.cast(lr, dtype=theano.config.floatX)
        updates[persistent] = nh_samples[-1]
        return self.pseudo_likelihood(updates), updates

    def pseudo_likelihood(self, updates):
        """Stochastic pseudo-likelihood: flip one visible bit per call, in turn."""
        bit = theano.shared(value=0, name='bit_i_idx')
        xi = T.round(self.input)
        flipped = T.set_subtensor(xi[:, bit], 1 - xi[:, bit])
        cost = T.mean(self.n_visible * T.log(T.nnet.sigmoid(self.free_energy(flipped) -
                                                            self.free_energy(xi))))
        updates[bit] = (bit + 1) % self.n_visible
        return cost


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('dataset')
    parser.add_argument('--hidden', type=int, default=500)
    parser.add_argument('--epochs', type=int, default=15)
    parser.add_argument('--batch', type=int, default=20)
    parser.add_argument('--k', type=int, default=15)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--chains', type=int, default=20)
    parser.add_argument('--samples', type=int, default=10)
    parser.add_argument('--plot-every', type=int, default=1000)
    parser.add_argument('--out', default='rbm_plots')
    args = parser.parse_args(argv)

    datasets = load_data(args.dataset)
    train_x, test_x = datasets[0][0], datasets[2][0]
    n_rows, n_visible = train_x.get_value(borrow=True).shape
    side = int(numpy.sqrt(n_visible))

    index = T.lscalar()
    x = T.matrix('x')
    rng = numpy.random.RandomState(123)
    persistent = theano.shared(numpy.zeros((args.batch, args.hidden),
                                           dtype=theano.config.floatX), borrow=True)
    rbm = RBM(input=x, n_visible=n_visible, n_hidden=args.hidden, numpy_rng=rng,
              theano_rng=RandomStreams(rng.randint(2 ** 30)))
    cost, updates = rbm.cost_updates(args.lr, persistent, args.k)
    train = theano.function([index], cost, updates=updates, name='train_rbm',
                            givens={x: train_x[index * args.batch:(index + 1) * args.batch]})
    for epoch in range(args.epochs):
        costs = [train(i) for i in range(n_rows // args.batch)]
        print('Training epoch %d, cost is %f' % (epoch, numpy.mean(costs)))

    start = rng.randint(test_x.get_value(borrow=True).shape[0] - args.chains)
    vis_chain = theano.shared(numpy.asarray(
        test_x.get_value(borrow=True)[start:start + args.chains], dtype=theano.config.floatX))
    (_, _, _, _, vis_means, vis_samples), updates = theano.scan(
        rbm.gibbs_vhv, outputs_info=[None, None, None, None, None, vis_chain],
        n_steps=args.plot_every, name='gibbs_vhv')
    updates.update({vis_chain: vis_samples[-1]})
    sample = theano.function([], [vis_means[-1], vis_samples[-1]], updates=updates,
                             name='sample_fn')
    rows = [tile_rows(sample()[0], (side, side), (1, args.chains), spacing=1)
            for _ in range(args.samples)]
    if not os.path.isdir(args.out):
        os.makedirs(args.out)
    numpy.save(os.path.join(args.out, 'samples.npy'), numpy.vstack(rows))
    print('sampled %d times from %d chains' % (args.samples, args.chains))


if __name__ == '__main__':
    main(sys.argv[1:])
