"""The Deep Learning Tutorials' denoising autoencoder (examples/dA.py) trains with theanine.

Its corruption is drawn inside the compiled step from a RandomStreams, so the
test checks both learning (the cost falls every epoch) and reproducibility
(the same seed gives bit-identical costs).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dA_cost_falls_every_epoch_and_is_reproducible(mnist):
    tutorial = load_example("dA")
    images = mnist[0][0][:1000]
    costs = tutorial.train_epochs(tutorial.build_dA(images), 3, log=lambda line: None)
    assert costs[0] > costs[1] > costs[2]
    again = tutorial.train_epochs(tutorial.build_dA(images), 3, log=lambda line: None)
    assert again == costs
    other_seed = tutorial.train_epochs(tutorial.build_dA(images, seed=124), 1,
                                       log=lambda line: None)
    assert other_seed[0] != costs[0]
