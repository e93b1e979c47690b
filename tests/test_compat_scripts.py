"""Theano-API scripts (tests/compat_scripts/) run unchanged through the compat runner.

Each script uses the tutorials' API surface (shared datasets with givens
slices, ``T.cast(shared_y, 'int32')``, ``theano.In``, pickled models, old and
new convolution/pooling modules, random streams, a ``scan`` Gibbs chain, an LSTM
trained through ``scan``'s gradient, HMC with a leapfrog ``scan``) and
runs here on small synthetic data in seconds; the logistic regression is also
run on the real MNIST file and must give the tutorial's published figures.
"""
from __future__ import annotations

import gzip
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from theanine.compat.runner import run_script

SCRIPTS = Path(__file__).parent / 'compat_scripts'
SIDE, CLASSES = 8, 3


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    """A tiny MNIST-like gzip pickle: 8x8 images in [0, 1] of 3 noisy prototypes."""
    rng = np.random.RandomState(0)
    prototypes = (rng.rand(CLASSES, SIDE * SIDE) > 0.6).astype('float32')

    def split(n):
        y = rng.randint(CLASSES, size=n)
        noise = rng.rand(n, SIDE * SIDE).astype('float32')
        return np.clip(prototypes[y] * 0.25 + noise * 0.5, 0, 1).astype('float32'), y

    path = tmp_path_factory.mktemp('data') / 'tiny.pkl.gz'
    with gzip.open(path, 'wb') as f:
        pickle.dump((split(240), split(60), split(60)), f, protocol=2)
    return str(path)


def run(capsys, script, *args):
    status = run_script(str(SCRIPTS / script), [str(a) for a in args])
    out = capsys.readouterr().out
    assert status == 0, out
    return out


def numbers(pattern, text):
    return [float(v) for v in re.findall(pattern, text)]


def test_logistic_regression_trains_pickles_and_predicts(dataset, tmp_path, capsys):
    model = tmp_path / 'best.pkl'
    out = run(capsys, 'logreg.py', dataset, '--batch', 20, '--lr', 0.05, '--epochs', 4,
              '--model', model)
    errors = numbers(r'validation error ([\d.]+) %', out)
    assert len(errors) == 4 and errors[-1] < errors[0]
    assert 'The code ran for 4 epochs' in out
    predicted = re.search(r'test set:\n\[([\d ]+)\]\nTrue labels: \[([\d ]+)\]', out)
    assert predicted and len(predicted.group(1).split()) == 10
    assert model.is_file()


def test_a_pickled_model_loads_in_a_new_process_and_compiles(dataset, tmp_path, capsys):
    model = tmp_path / 'best.pkl'
    run(capsys, 'logreg.py', dataset, '--batch', 20, '--epochs', 2, '--model', model)
    # The model's class was __main__'s when pickled; here it comes from the script.
    code = ("import __main__, pickle, sys, numpy, theanine\n"
            f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
            "from theanine.compat import installed\n"
            "with installed():\n"
            "    from logreg import SoftmaxClassifier\n"
            "    __main__.SoftmaxClassifier = SoftmaxClassifier\n"
            f"    c = pickle.load(open({str(model)!r}, 'rb'))\n"
            "    f = theanine.function([c.input], [c.y_pred, c.p_y_given_x])\n"
            "    y, p = f(numpy.zeros((2, c.W.get_value().shape[0]), dtype=c.W.dtype))\n"
            "    print(y.tolist(), p.shape, type(c.W).__name__, c.W.name, hash(c.W.type) ==\n"
            "          hash(theanine.tensor.TensorType(c.W.dtype, c.W.type.shape)))\n")
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-5:] == ['(2,', f'{CLASSES})', 'SharedVariable', 'W', 'True']


def test_mlp_with_theano_in_and_keyword_calls(dataset, capsys):
    out = run(capsys, 'mlp.py', dataset, '--hidden', 12, '--batch', 20, '--epochs', 3,
              '--lr', 0.05)
    costs = numbers(r'cost ([\d.]+),', out)
    assert len(costs) == 3 and costs[-1] < costs[0]


def test_lenet_with_old_and_new_convolution_and_pooling(dataset, capsys):
    out = run(capsys, 'lenet.py', dataset, '--side', SIDE, '--kernels', 3, 4, '--filters',
              3, 2, '--hidden', 10, '--batch', 20, '--epochs', 3)
    costs = numbers(r'cost ([\d.]+),', out)
    assert len(costs) == 3 and costs[-1] < costs[0]


def test_denoising_autoencoder_with_mrg_streams(dataset, tmp_path, capsys):
    out = run(capsys, 'dae.py', dataset, '--hidden', 10, '--epochs', 3, '--corruption', 0.3,
              '--out', tmp_path)
    costs = numbers(r'Training epoch \d+, cost ([\d.]+)', out)
    assert len(costs) == 3 and costs[-1] < costs[0]
    assert np.load(tmp_path / 'filters.npy').dtype == np.uint8


def test_rbm_gibbs_chain_through_scan(dataset, tmp_path, capsys):
    out = run(capsys, 'rbm.py', dataset, '--hidden', 10, '--epochs', 2, '--k', 3,
              '--chains', 4, '--samples', 2, '--plot-every', 5, '--out', tmp_path)
    costs = numbers(r'cost is (-?[\d.]+)', out)
    assert len(costs) == 2 and all(np.isfinite(costs)) and all(c < 0 for c in costs)
    samples = np.load(tmp_path / 'samples.npy')
    assert samples.shape == (2 * SIDE, 4 * (SIDE + 1) - 1)


def _sentences(rng, n, vocabulary=20):
    """Word-id lists of 2-9 words; the label says whether word 3 occurs."""
    seqs, labels = [], []
    for _ in range(n):
        seq = list(rng.randint(4, vocabulary, size=rng.randint(2, 10)))
        label = int(rng.rand() < 0.5)
        if label:
            seq[rng.randint(len(seq))] = 3
        seqs.append([int(w) for w in seq])
        labels.append(label)
    return seqs, labels


def test_lstm_sentiment_learns_through_scan_gradients(tmp_path, capsys):
    rng = np.random.RandomState(0)
    path = tmp_path / 'sentences.pkl'
    with open(path, 'wb') as f:              # two pickles in one file, as imdb.pkl
        pickle.dump(_sentences(rng, 400), f)
        pickle.dump(_sentences(rng, 100), f)
    out = run(capsys, 'lstm.py', path, '--dim', 8, '--epochs', 10, '--batch', 8, '--dropout')
    train_err = numbers(r'Train ([\d.]+)', out)
    test_err = numbers(r'Test ([\d.]+)', out)
    assert len(train_err) == 10 and train_err[0] > 0.4       # chance level at first
    assert train_err[-1] < 0.15 and test_err[-1] < 0.15, out


def test_hmc_samples_a_gaussian_with_a_leapfrog_scan(capsys):
    out = run(capsys, 'hmc.py', '--dim', 3, '--chains', 8, '--burnin', 200, '--samples', 400)
    target = numbers(r'(-?\d+\.\d+)', out.split('\n')[0])
    empirical = numbers(r'(-?\d+\.\d+)', out.split('\n')[1])
    np.testing.assert_allclose(empirical, target, atol=0.15)
    acceptance = numbers(r'acceptance rate ([\d.]+)', out)[0]
    assert 0.8 < acceptance < 1.0


@pytest.mark.slow
def test_logistic_regression_reproduces_the_published_mnist_figures(tmp_path, capsys):
    root = os.environ.get('THEANINE_DATA')
    data = Path(root) / 'mnist.pkl.gz' if root else None
    if data is None or not data.is_file():
        pytest.skip('set THEANINE_DATA to a folder holding mnist.pkl.gz')
    out = run(capsys, 'logreg.py', data, '--model', tmp_path / 'best.pkl')
    assert ('best validation score of 7.500000 %, with test performance 7.489583 %') in out
    assert 'The code ran for 74 epochs' in out
