"""A sentiment classifier: an LSTM over word embeddings, trained with adadelta.

    theanine run lstm.py DATA.pkl [--dim 16] [--epochs 10] [--batch 16] [--dropout]

Written in the style of the tutorials' lstm.py (ported to Python 3): parameters
in an OrderedDict of shared variables named with ``_p``, the LSTM's steps as a
``theano.scan`` over the mask and the projected words with two fed-back states
(``tensor.alloc``), a masked mean over time, dropout switched by a shared flag,
``tensor.grad`` with respect to every parameter (through the scan), and
adadelta's two functions. DATA.pkl holds two pickles, as imdb.pkl does: the
training set then the test set, each ``(list of word-id lists, labels)``.
"""
from __future__ import print_function

import argparse
import pickle
from collections import OrderedDict

import numpy

import theano
import theano.tensor as tensor
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams


def numpy_floatX(data):
    return numpy.asarray(data, dtype=theano.config.floatX)


def get_minibatches_idx(n, minibatch_size, shuffle=False, rng=None):
    idx_list = numpy.arange(n, dtype="int32")
    if shuffle:
        rng.shuffle(idx_list)
    return list(enumerate(idx_list[start:start + minibatch_size]
                          for start in range(0, n, minibatch_size)))


def load_data(path, valid_portion=0.1, seed=123):
    with open(path, 'rb') as f:
        train_set = pickle.load(f)
        test_set = pickle.load(f)
    train_x, train_y = train_set
    n_train = int(numpy.round(len(train_x) * (1. - valid_portion)))
    order = numpy.random.RandomState(seed).permutation(len(train_x))
    train = ([train_x[s] for s in order[:n_train]], [train_y[s] for s in order[:n_train]])
    valid = ([train_x[s] for s in order[n_train:]], [train_y[s] for s in order[n_train:]])
    return train, valid, test_set


def prepare_data(seqs, labels):
    """Pad the sequences into a (maxlen, n_samples) matrix and its float mask."""
    lengths = [len(s) for s in seqs]
    maxlen = numpy.max(lengths)
    x = numpy.zeros((maxlen, len(seqs))).astype('int64')
    x_mask = numpy.zeros((maxlen, len(seqs))).astype(theano.config.floatX)
    for idx, s in enumerate(seqs):
        x[:lengths[idx], idx] = s
        x_mask[:lengths[idx], idx] = 1.
    return x, x_mask, labels


def _p(pp, name):
    return '%s_%s' % (pp, name)


def ortho_weight(ndim, rng):
    u, s, v = numpy.linalg.svd(rng.randn(ndim, ndim))
    return u.astype(theano.config.floatX)


def init_params(options, rng):
    params = OrderedDict()
    params['Wemb'] = (0.01 * rng.rand(options['n_words'], options['dim_proj'])
                      ).astype(theano.config.floatX)
    prefix = 'lstm'
    params[_p(prefix, 'W')] = numpy.concatenate(
        [ortho_weight(options['dim_proj'], rng) for _ in range(4)], axis=1)
    params[_p(prefix, 'U')] = numpy.concatenate(
        [ortho_weight(options['dim_proj'], rng) for _ in range(4)], axis=1)
    params[_p(prefix, 'b')] = numpy.zeros((4 * options['dim_proj'],)).astype(
        theano.config.floatX)
    params['U'] = 0.01 * rng.randn(options['dim_proj'], options['ydim']).astype(
        theano.config.floatX)
    params['b'] = numpy.zeros((options['ydim'],)).astype(theano.config.floatX)
    return params


def init_tparams(params):
    tparams = OrderedDict()
    for kk, pp in params.items():
        tparams[kk] = theano.shared(params[kk], name=kk)
    return tparams


def lstm_layer(tparams, state_below, options, prefix='lstm', mask=None):
    nsteps = state_below.shape[0]
    n_samples = state_below.shape[1]

    def _slice(_x, n, dim):
        return _x[:, n * dim:(n + 1) * dim]

    def _step(m_, x_, h_, c_):
        preact = tensor.dot(h_, tparams[_p(prefix, 'U')])
        preact += x_
        preact += tparams[_p(prefix, 'b')]

        i = tensor.nnet.sigmoid(_slice(preact, 0, options['dim_proj']))
        f = tensor.nnet.sigmoid(_slice(preact, 1, options['dim_proj']))
        o = tensor.nnet.sigmoid(_slice(preact, 2, options['dim_proj']))
        c = tensor.tanh(_slice(preact, 3, options['dim_proj']))

        c = f * c_ + i * c
        c = m_[:, None] * c + (1. - m_)[:, None] * c_

        h = o * tensor.tanh(c)
        h = m_[:, None] * h + (1. - m_)[:, None] * h_
        return h, c

    state_below = (tensor.dot(state_below, tparams[_p(prefix, 'W')]) +
                   tparams[_p(prefix, 'b')])
    dim_proj = options['dim_proj']
    rval, updates = theano.scan(_step,
                                sequences=[mask, state_below],
                                outputs_info=[tensor.alloc(numpy_floatX(0.), n_samples,
                                                           dim_proj),
                                              tensor.alloc(numpy_floatX(0.), n_samples,
                                                           dim_proj)],
                                name=_p(prefix, '_layers'),
                                n_steps=nsteps)
    return rval[0]


def dropout_layer(state_before, use_noise, trng):
    return tensor.switch(use_noise,
                         state_before * trng.binomial(state_before.shape, p=0.5, n=1,
                                                      dtype=state_before.dtype),
                         state_before * 0.5)


def build_model(tparams, options):
    trng = RandomStreams(1234)
    use_noise = theano.shared(numpy_floatX(0.))

    x = tensor.matrix('x', dtype='int64')
    mask = tensor.matrix('mask', dtype=theano.config.floatX)
    y = tensor.vector('y', dtype='int64')

    n_timesteps = x.shape[0]
    n_samples = x.shape[1]

    emb = tparams['Wemb'][x.flatten()].reshape([n_timesteps, n_samples,
                                                options['dim_proj']])
    proj = lstm_layer(tparams, emb, options, mask=mask)
    proj = (proj * mask[:, :, None]).sum(axis=0)
    proj = proj / mask.sum(axis=0)[:, None]
    if options['use_dropout']:
        proj = dropout_layer(proj, use_noise, trng)

    pred = tensor.nnet.softmax(tensor.dot(proj, tparams['U']) + tparams['b'])
    f_pred = theano.function([x, mask], pred.argmax(axis=1), name='f_pred')

    off = 1e-8
    cost = -tensor.log(pred[tensor.arange(n_samples), y] + off).mean()
    return use_noise, x, mask, y, f_pred, cost


def adadelta(lr, tparams, grads, x, mask, y, cost):
    zipped_grads = [theano.shared(p.get_value() * numpy_floatX(0.), name='%s_grad' % k)
                    for k, p in tparams.items()]
    running_up2 = [theano.shared(p.get_value() * numpy_floatX(0.), name='%s_rup2' % k)
                   for k, p in tparams.items()]
    running_grads2 = [theano.shared(p.get_value() * numpy_floatX(0.), name='%s_rgrad2' % k)
                      for k, p in tparams.items()]

    zgup = [(zg, g) for zg, g in zip(zipped_grads, grads)]
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2)) for rg2, g in zip(running_grads2, grads)]
    f_grad_shared = theano.function([x, mask, y], cost, updates=zgup + rg2up,
                                    name='adadelta_f_grad_shared')

    updir = [-tensor.sqrt(ru2 + 1e-6) / tensor.sqrt(rg2 + 1e-6) * zg
             for zg, ru2, rg2 in zip(zipped_grads, running_up2, running_grads2)]
    ru2up = [(ru2, 0.95 * ru2 + 0.05 * (ud ** 2)) for ru2, ud in zip(running_up2, updir)]
    param_up = [(p, p + ud) for p, ud in zip(tparams.values(), updir)]
    f_update = theano.function([lr], [], updates=ru2up + param_up,
                               on_unused_input='ignore', name='adadelta_f_update')
    return f_grad_shared, f_update


def pred_error(f_pred, data, iterator):
    valid_err = 0
    for _, valid_index in iterator:
        x, mask, y = prepare_data([data[0][t] for t in valid_index],
                                  numpy.array(data[1])[valid_index])
        preds = f_pred(x, mask)
        valid_err += (preds == numpy.array(data[1])[valid_index]).sum()
    return 1. - numpy_floatX(valid_err) / len(data[0])


def train(path, dim_proj=16, max_epochs=10, batch_size=16, n_words=20, use_dropout=False):
    options = dict(dim_proj=dim_proj, n_words=n_words, use_dropout=use_dropout)
    train_set, valid, test = load_data(path)
    options['ydim'] = int(numpy.max(train_set[1])) + 1
    rng = numpy.random.RandomState(0)

    tparams = init_tparams(init_params(options, rng))
    use_noise, x, mask, y, f_pred, cost = build_model(tparams, options)
    grads = tensor.grad(cost, wrt=tparams.values())
    lr = tensor.scalar(name='lr')
    f_grad_shared, f_update = adadelta(lr, tparams, grads, x, mask, y, cost)

    uidx = 0
    for eidx in range(max_epochs):
        for _, train_index in get_minibatches_idx(len(train_set[0]), batch_size,
                                                  shuffle=True, rng=rng):
            uidx += 1
            use_noise.set_value(1.)
            x_b, mask_b, y_b = prepare_data([train_set[0][t] for t in train_index],
                                            [train_set[1][t] for t in train_index])
            cost_value = f_grad_shared(x_b, mask_b, y_b)
            f_update(0.0001)
            if numpy.isnan(cost_value) or numpy.isinf(cost_value):
                print('bad cost detected: ', cost_value)
                return 1.
        use_noise.set_value(0.)
        kf = get_minibatches_idx(len(train_set[0]), batch_size)
        train_err = pred_error(f_pred, train_set, kf)
        valid_err = pred_error(f_pred, valid, get_minibatches_idx(len(valid[0]), batch_size))
        test_err = pred_error(f_pred, test, get_minibatches_idx(len(test[0]), batch_size))
        print('Epoch %d Update %d Cost %.4f Train %.4f Valid %.4f Test %.4f'
              % (eidx, uidx, cost_value, train_err, valid_err, test_err))
    return test_err


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('data')
    parser.add_argument('--dim', type=int, default=16)
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--dropout', action='store_true')
    args = parser.parse_args()
    train(args.data, dim_proj=args.dim, max_epochs=args.epochs, batch_size=args.batch,
          use_dropout=args.dropout)
