"""Pictures: PNG files from records and weights; a clear error without matplotlib."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from theanine import plot

pytest.importorskip("matplotlib", reason="matplotlib is an optional extra (.[plot])")

PNG_MAGIC = b"\x89PNG"


def _is_png(path):
    with open(path, "rb") as handle:
        return handle.read(4) == PNG_MAGIC


def test_every_picture_is_a_png(tmp_path):
    records = [{"epoch": e, "train_loss": 1 / e, "train_error": 0.2 / e, "valid_error": 0.1 / e,
                "test_error": 0.1 / e if e % 2 else None} for e in range(1, 5)]
    rng = np.random.RandomState(0)
    paths = {name: str(tmp_path / f"{name}.png") for name in
             ("curves", "dense", "conv", "confusion", "wrong")}
    plot.learning_curves(records, paths["curves"], title="run")
    plot.filters(rng.randn(784, 30), paths["dense"])
    plot.filters(rng.randn(20, 1, 5, 5), paths["conv"])
    y, predicted = rng.randint(0, 10, 50), rng.randint(0, 10, 50)
    plot.confusion(y, predicted, paths["confusion"])
    plot.misclassified(rng.rand(50, 784), y, predicted, paths["wrong"])
    assert all(_is_png(path) for path in paths.values())


def test_tiles_and_confusion_counts():
    tiles = plot.tile_images(np.arange(8, dtype=float).reshape(2, 2, 2), columns=2)
    assert tiles.shape == (2, 5) and tiles.max() == 1.0 and tiles[:, 2].sum() == 0
    matrix = plot.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(plot.PlotUnavailable, match=r"theanine\[plot\]"):
        plot.pyplot()
