"""The benchmark's smoke mode: tables printed, and the loss check holds.

``python -m bench --smoke`` trains every model on 1,000 samples with the NumPy peer and
theanine (seconds). The NumPy peer is the reference of the loss check, so it is checked
here against an independent float64 logistic regression; theanine is checked against
NumPy by the benchmark itself, per model, and skipped (with the reason) where it
cannot run the model yet.
"""
from __future__ import annotations

import doctest
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
# bench/ is not an installed package: it is imported from the checkout, as ``python -m
# bench`` does, also when pytest is started without the repository on sys.path.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
MODELS = ("logreg", "mlp", "lenet")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """Run the smoke benchmark once; return (completed process, JSON report)."""
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert out.exists(), f"no report; exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc, json.loads(out.read_text())


def test_tables_are_printed(smoke):
    proc, _ = smoke
    assert "floor rates: SGEMM" in proc.stdout
    for model in MODELS:
        assert f"== {model}:" in proc.stdout
    assert proc.stdout.count("peer              epoch s") == len(MODELS)
    assert proc.stdout.count("numpy layers  ") >= len(MODELS)
    assert "loss check: first" in proc.stdout


@pytest.mark.parametrize("model", MODELS)
def test_numpy_peer_ran(smoke, model):
    result = smoke[1]["models"][model]["peers"]["numpy"]
    assert result["status"] == "ok"
    assert result["epoch_s"] and result["eval_s"] and result["first_losses"]
    assert np.isfinite(result["first_losses"]).all()


def _logreg_float64_costs(x, y, n_steps, lr=0.13, batch=600):
    """The tutorial's logistic regression in float64, written independently of bench."""
    w, b, costs = np.zeros((784, 10)), np.zeros(10), []
    for i in range(n_steps):
        xb, yb = x[i * batch:(i + 1) * batch].astype(np.float64), y[i * batch:(i + 1) * batch]
        scores = xb @ w + b
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        costs.append(-np.log(p[np.arange(len(yb)), yb]).mean())
        p[np.arange(len(yb)), yb] -= 1
        w -= lr * xb.T @ p / len(yb)
        b -= lr * p.sum(axis=0) / len(yb)
    return costs


def test_numpy_reference_matches_float64():
    from bench.data import load
    from bench.models import SPECS, init_params
    from bench.peers.numpy_layers import make_trainer

    data = load(n_train=3000, n_valid=500)
    trainer = make_trainer(SPECS["logreg"], init_params("logreg"), data)
    expected = _logreg_float64_costs(data.train_x, data.train_y, n_steps=5)
    np.testing.assert_allclose(trainer.first_losses(5), expected, rtol=1e-4)


@pytest.mark.parametrize("model", MODELS)
def test_theanine_agrees_with_numpy(smoke, model):
    report = smoke[1]["models"][model]
    theanine = report["peers"]["theanine"]
    if theanine["status"] != "ok":
        pytest.skip(f"theanine cannot run {model} yet: {theanine['status']}")
    verdict = {peer: (ok, detail) for peer, ok, detail in report["loss_check"]}
    ok, detail = verdict["theanine"]
    assert ok, f"theanine's first costs differ from NumPy's on {model}: {detail}"


def test_exit_code_reflects_loss_check(smoke):
    proc, report = smoke
    agree = all(ok is not False for m in report["models"].values()
                for _, ok, _ in m["loss_check"])
    assert proc.returncode == (0 if agree else 1), proc.stderr


@pytest.mark.parametrize("module", [
    "bench.data", "bench.models", "bench.floor", "bench.report", "bench.cli",
    "bench.peers", "bench.peers.base", "bench.peers.numpy_layers", "bench.worker",
    "bench.markdown", "bench.runner",
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0
