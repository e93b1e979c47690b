"""The runnable examples in the docstrings of nn, optim, train, plot and cli run and pass."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "theanine.nn.module", "theanine.nn.init", "theanine.nn.layers", "theanine.nn.conv",
    "theanine.nn.dropout", "theanine.nn.batchnorm", "theanine.nn.losses", "theanine.nn.models",
    "theanine.nn.two_layer_net", "theanine.nn", "theanine.optim", "theanine.regularizers",
    "theanine.schedules", "theanine.train.early_stopping", "theanine.train.history",
    "theanine.train.callbacks", "theanine.train.checkpoint", "theanine.train.logs",
    "theanine.train.trainer", "theanine.train.recipes", "theanine.train.commands",
    "theanine.train", "theanine.plot", "theanine.cli", "theanine.utils.images",
    "theanine.utils.gradcheck_table",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"
