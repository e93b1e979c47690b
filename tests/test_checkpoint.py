"""Checkpoints: atomic files, the previous one kept, and bit-identical resume."""
from __future__ import annotations

import os

import numpy as np
import pytest

from theanine import nn, optim
from theanine.train import Callback, Trainer, TrainingInterrupted
from theanine.train.checkpoint import (CheckpointError, load_checkpoint, load_weights,
                                       rng_from_state, rng_state, save_weights)

from nn_helpers import splits


class Kill(Callback):
    """Simulates the process dying right after the checkpoint of epoch ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, trainer, record):
        if record["epoch"] == self.epoch:
            raise RuntimeError("killed")


class CtrlC(Callback):
    """Presses Ctrl-C after minibatch ``iteration`` (mid-epoch)."""

    def __init__(self, iteration):
        self.iteration = iteration

    def on_batch_end(self, trainer, iteration, loss, error):
        if iteration == self.iteration:
            raise KeyboardInterrupt


def _model():
    return nn.MLP(n_in=16, n_hidden=8, n_out=3, rng=0)


def _trainer(run_dir, callbacks=()):
    return Trainer(optim.Momentum(lr=0.05, momentum=0.9), batch_size=20, n_epochs=6,
                   patience=60, shuffle=True, seed=7, run_dir=run_dir, callbacks=callbacks)


def _strip_time(history):
    return [{k: v for k, v in r.items() if k != "time"} for r in history]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    run = tmp_path_factory.mktemp("straight")
    model = _model()
    history = _trainer(str(run)).fit(model, splits())
    return model.state_dict(), history


def test_resume_after_kill_gives_identical_weights(tmp_path, straight):
    weights, history = straight
    with pytest.raises(RuntimeError, match="killed"):
        _trainer(str(tmp_path), [Kill(3)]).fit(_model(), splits())
    resumed_model = _model()
    resumed = _trainer(str(tmp_path)).fit(resumed_model, splits(), resume=True)
    for name, value in resumed_model.state_dict().items():
        assert np.array_equal(value, weights[name]), name
    assert _strip_time(resumed) == _strip_time(history)
    assert resumed.summary["iterations"] == history.summary["iterations"]


def test_ctrl_c_mid_epoch_saves_and_resumes_identically(tmp_path, straight):
    weights, history = straight
    with pytest.raises(TrainingInterrupted) as info:
        _trainer(str(tmp_path), [CtrlC(25)]).fit(_model(), splits())
    assert info.value.checkpoint == os.path.join(str(tmp_path), "checkpoint.safetensors")
    assert load_checkpoint(str(tmp_path))[1]["loop"]["batch"] == 6   # 26 batches: 2 epochs + 6
    model = _model()
    resumed = _trainer(str(tmp_path)).fit(model, splits(), resume=True)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, weights[name]), name
    assert _strip_time(resumed) == _strip_time(history)
    lines = open(os.path.join(str(tmp_path), "metrics.jsonl")).read().splitlines()
    assert len(lines) == len(history)


def test_checkpoint_contents_and_previous_copy(tmp_path):
    trainer = Trainer(optim.Adam(lr=0.01), batch_size=20, n_epochs=2, patience=None,
                      shuffle=True, seed=1, run_dir=str(tmp_path))
    model = _model()
    trainer.fit(model, splits())
    names = sorted(os.listdir(tmp_path))
    assert "checkpoint.safetensors" in names and "checkpoint.prev.safetensors" in names
    assert not [n for n in names if n.endswith(".tmp")]
    groups, info = load_checkpoint(str(tmp_path))
    assert sorted(groups) == ["best", "loop", "model", "optim"]
    assert "t" in groups["optim"] and "m.0" in groups["optim"]
    assert info["loop"]["epoch"] == 2 and info["rng"]["shuffle"]["kind"] == "RandomState"
    previous = load_checkpoint(str(tmp_path / "checkpoint.prev.safetensors"))[1]
    assert previous["loop"]["epoch"] == 1
    final = load_weights(str(tmp_path / "model.safetensors"))
    for name, value in model.state_dict().items():
        assert np.array_equal(final[name], value)


def test_rng_states_round_trip():
    for rng in (np.random.RandomState(3), np.random.default_rng(3)):
        rng.random_sample(5) if hasattr(rng, "random_sample") else rng.random(5)
        copy = rng_from_state(rng_state(rng))
        draw = (lambda g: g.random_sample(4)) if isinstance(rng, np.random.RandomState) \
            else (lambda g: g.random(4))
        assert np.array_equal(draw(copy), draw(rng))


def test_unreadable_files_give_a_clear_error(tmp_path):
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_weights(str(bad))
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(str(tmp_path / "missing.safetensors"))
    save_weights(str(tmp_path / "plain.safetensors"), {"W": np.ones(2)})
    with pytest.raises(CheckpointError, match="not a theanine training checkpoint"):
        load_checkpoint(str(tmp_path / "plain.safetensors"))


def test_resume_without_checkpoint_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        _trainer(str(tmp_path)).fit(_model(), splits(), resume=True)


def test_resume_restores_random_stream_states(tmp_path):
    pytest.importorskip("theanine.tensor.shared_randomstreams",
                        reason="RandomStreams not built yet")

    def dropout_net():
        return nn.Sequential(nn.Affine(16, 12, rng=np.random.RandomState(0)), nn.ReLU(),
                             nn.Dropout(0.5, seed=11), nn.Affine(12, 3, init="zeros"))

    def trainer(run_dir, callbacks=()):
        return Trainer(optim.SGD(lr=0.1), batch_size=20, n_epochs=4, patience=None, seed=5,
                       run_dir=run_dir, callbacks=callbacks)

    model = dropout_net()
    trainer(str(tmp_path / "a")).fit(model, splits())
    with pytest.raises(RuntimeError, match="killed"):
        trainer(str(tmp_path / "b"), [Kill(2)]).fit(dropout_net(), splits())
    info = load_checkpoint(str(tmp_path / "b"))[1]
    assert list(info["rng"]["streams"]) == ["2.srng"]
    resumed = dropout_net()
    trainer(str(tmp_path / "b")).fit(resumed, splits(), resume=True)
    for name, value in resumed.state_dict().items():
        assert np.array_equal(value, model.state_dict()[name]), name


def test_ctrl_c_before_an_epochs_first_batch_resumes_identically(tmp_path, straight):
    class CtrlCAtEpochStart(Callback):
        def on_epoch_begin(self, trainer, epoch):
            if epoch == 3:
                raise KeyboardInterrupt

    weights, history = straight
    with pytest.raises(TrainingInterrupted):
        _trainer(str(tmp_path), [CtrlCAtEpochStart()]).fit(_model(), splits())
    model = _model()
    resumed = _trainer(str(tmp_path)).fit(model, splits(), resume=True)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, weights[name]), name
    assert _strip_time(resumed) == _strip_time(history)
