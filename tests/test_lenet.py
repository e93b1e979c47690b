"""The Deep Learning Tutorials' LeNet (examples/convolutional_mlp.py) trains with theanine.

The fast test trains on a small MNIST subset and checks that the loss falls;
the slow one reproduces the tutorial's validation curve over three epochs.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: The tutorial's validation error after epochs 1, 2 and 3 (batch 500, lr 0.1).
REFERENCE_CURVE = [0.0923, 0.0617, 0.0464]


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lenet_loss_falls_on_a_subset(mnist):
    lenet = load_example("convolutional_mlp")
    (train_x, train_y), (valid_x, valid_y), _ = mnist
    model = lenet.build_lenet((train_x[:1000], train_y[:1000]), (valid_x[:500], valid_y[:500]),
                              batch_size=100)
    costs = [float(model.train_model(i)) for i in range(model.n_train_batches)]
    assert costs[0] == pytest.approx(np.log(10), abs=1e-4)  # zero-initialised softmax layer
    assert np.mean(costs[-3:]) < costs[0] - 0.1
    error = np.mean([model.validate_model(i) for i in range(model.n_valid_batches)])
    assert error < 0.8


@pytest.mark.slow
def test_lenet_follows_the_tutorial_curve(mnist):
    lenet = load_example("convolutional_mlp")
    (train_x, train_y), (valid_x, valid_y), _ = mnist
    model = lenet.build_lenet((train_x, train_y), (valid_x, valid_y))
    history = lenet.train_epochs(model, 3)
    errors = [error for error, _ in history]
    np.testing.assert_allclose(errors, REFERENCE_CURVE, atol=0.003)
