"""Acceptance: the Deep Learning Tutorials' logistic regression on MNIST.

The slow test reproduces the tutorial's published result to every printed digit
(74 epochs, best validation 7.500000 %, test 7.489583 %); the fast one trains on
the first 5,000 training images for 2 epochs and checks that validation improves.
Both run ``examples/logistic_sgd.py`` and skip when MNIST is not available.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import theanine

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "logistic_sgd.py"


@pytest.fixture(scope="module")
def logistic_sgd():
    spec = importlib.util.spec_from_file_location("logistic_sgd", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_first_5000_samples_two_epochs_validation_error_falls(logistic_sgd, mnist):
    (train_x, train_y), valid, test = mnist
    small = ((train_x[:5000], train_y[:5000]), valid, test)
    with theanine.config.change_flags(floatX="float32"):
        result = logistic_sgd.sgd_optimization_mnist(small, n_epochs=2, print_fn=None)
    assert result.epochs == 2
    # 8 minibatches per epoch, so validation runs once per epoch.
    assert [(e, m) for e, m, _ in result.validation_history] == [(1, 8), (2, 8)]
    first, second = [loss for _, _, loss in result.validation_history]
    assert second < first < 0.3, result.validation_history   # chance is 0.9
    assert result.best_validation_loss == second
    assert 0 < result.test_score < 0.3


@pytest.mark.slow
@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_full_tutorial_run_reproduces_the_published_figures(logistic_sgd, mnist, floatX):
    with theanine.config.change_flags(floatX=floatX):
        result = logistic_sgd.sgd_optimization_mnist(mnist, print_fn=None)
    assert result.epochs == 74
    assert f"{result.best_validation_loss * 100:f}" == "7.500000"
    assert f"{result.test_score * 100:f}" == "7.489583"
    # Patience runs out inside epoch 74, before its validation: the best is the last one.
    assert result.validation_history[-1][0] == 73
    assert result.best_iter // 83 + 1 == 73
    assert np.isclose(result.best_validation_loss, 0.075)
