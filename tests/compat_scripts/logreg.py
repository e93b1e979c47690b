"""Softmax regression on MNIST-style data, trained by minibatch SGD with early stopping.

A Theano-API script (``import theano``) for theanine's compatibility tests:

    theanine run logreg.py DATA.pkl.gz [--batch 600] [--lr 0.13] [--epochs 1000]

DATA.pkl.gz is a gzip pickle of ((train_x, train_y), (valid_x, valid_y),
(test_x, test_y)), as the tutorials' mnist.pkl.gz. The best model is
pickled to --model and loaded back to predict the first test examples.
"""
from __future__ import print_function

import argparse
import gzip
import pickle
import sys
import timeit

import numpy

import theano
import theano.tensor as T


class SoftmaxClassifier(object):
    """p(y | x) = softmax(x W + b), with W and b starting at zero."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                               name='W', borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        log_p = T.log(self.p_y_given_x)
        return -T.mean(log_p[T.arange(y.shape[0]), y])

    def errors(self, y):
        if y.ndim != self.y_pred.ndim:
            raise TypeError('labels and predictions differ in ndim', y.type, self.y_pred.type)
        if not y.dtype.startswith('int'):
            raise NotImplementedError('labels must be integers')
        return T.mean(T.neq(self.y_pred, y))


def load_data(path):
    """Three (shared inputs, int32 labels) pairs; labels are stored as floatX, then cast."""
    print('... loading data from', path)
    with gzip.open(path, 'rb') as f:
        try:
            splits = pickle.load(f, encoding='latin1')
        except TypeError:
            splits = pickle.load(f)

    def to_shared(xy, borrow=True):
        x, y = xy
        shared_x = theano.shared(numpy.asarray(x, dtype=theano.config.floatX), borrow=borrow)
        shared_y = theano.shared(numpy.asarray(y, dtype=theano.config.floatX), borrow=borrow)
        return shared_x, T.cast(shared_y, 'int32')

    return [to_shared(split) for split in splits]


def minibatch_functions(index, x, y, batch_size, datasets, cost, errors, updates):
    """Compile train/validate/test functions that read minibatch ``index`` through givens."""
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = datasets
    batch = slice(index * batch_size, (index + 1) * batch_size)

    def scorer(set_x, set_y):
        return theano.function(inputs=[index], outputs=errors,
                               givens={x: set_x[batch], y: set_y[batch]})

    train = theano.function(inputs=[index], outputs=cost, updates=updates,
                            givens={x: train_x[batch], y: train_y[batch]})
    return train, scorer(valid_x, valid_y), scorer(test_x, test_y)


def early_stopping(train, validate, test, n_batches, n_epochs, patience=5000,
                   patience_increase=2, improvement_threshold=0.995, on_best=None):
    """Run epochs until patience runs out; returns (best valid, its test score, epochs)."""
    n_train, n_valid, n_test = n_batches
    validation_frequency = min(n_train, patience // 2)
    best_valid, best_test = numpy.inf, 0.0
    epoch, done = 0, False
    while epoch < n_epochs and not done:
        epoch += 1
        for minibatch in range(n_train):
            train(minibatch)
            iteration = (epoch - 1) * n_train + minibatch
            if (iteration + 1) % validation_frequency == 0:
                valid_error = numpy.mean([validate(i) for i in range(n_valid)])
                print('epoch %i, minibatch %i/%i, validation error %f %%'
                      % (epoch, minibatch + 1, n_train, valid_error * 100.))
                if valid_error < best_valid:
                    if valid_error < best_valid * improvement_threshold:
                        patience = max(patience, iteration * patience_increase)
                    best_valid = valid_error
                    best_test = numpy.mean([test(i) for i in range(n_test)])
                    print('     epoch %i, minibatch %i/%i, test error of best model %f %%'
                          % (epoch, minibatch + 1, n_train, best_test * 100.))
                    if on_best is not None:
                        on_best()
            if patience <= iteration:
                done = True
                break
    return best_valid, best_test, epoch


def count_batches(datasets, batch_size):
    return [set_x.get_value(borrow=True).shape[0] // batch_size for set_x, _ in datasets]


def train_model(path, learning_rate, batch_size, n_epochs, model_path):
    datasets = load_data(path)
    n_batches = count_batches(datasets, batch_size)
    n_in = datasets[0][0].get_value(borrow=True).shape[1]
    n_out = int(datasets[0][1].eval().max()) + 1

    print('... building the model')
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = SoftmaxClassifier(input=x, n_in=n_in, n_out=n_out)
    cost = classifier.negative_log_likelihood(y)
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
    train, validate, test = minibatch_functions(index, x, y, batch_size, datasets, cost,
                                                classifier.errors(y), updates)

    def save():
        with open(model_path, 'wb') as f:
            pickle.dump(classifier, f)

    print('... training the model')
    start = timeit.default_timer()
    best_valid, best_test, epochs = early_stopping(train, validate, test, n_batches,
                                                   n_epochs, on_best=save)
    seconds = timeit.default_timer() - start
    print('Optimization complete with best validation score of %f %%, '
          'with test performance %f %%' % (best_valid * 100., best_test * 100.))
    print('The code ran for %d epochs, with %f epochs/sec' % (epochs, epochs / seconds))
    return datasets


def predict(model_path, datasets, count=10):
    """Load the pickled classifier and label the first ``count`` test examples."""
    with open(model_path, 'rb') as f:
        classifier = pickle.load(f)
    predict_model = theano.function(inputs=[classifier.input], outputs=classifier.y_pred)
    test_x, test_y = datasets[2]
    predicted = predict_model(test_x.get_value()[:count])
    print('Predicted values for the first %d examples in test set:' % count)
    print(predicted)
    print('True labels:', test_y.eval()[:count])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('dataset')
    parser.add_argument('--lr', type=float, default=0.13)
    parser.add_argument('--batch', type=int, default=600)
    parser.add_argument('--epochs', type=int, default=1000)
    parser.add_argument('--model', default='best_model.pkl')
    args = parser.parse_args(argv)
    datasets = train_model(args.dataset, args.lr, args.batch, args.epochs, args.model)
    predict(args.model, datasets)


if __name__ == '__main__':
    main(sys.argv[1:])
