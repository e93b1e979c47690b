"""The Trainer: tutorial early stopping, best-parameter restore, history, NaN guard."""
from __future__ import annotations

import math

import numpy as np
import pytest

from theanine import nn, optim
from theanine.train import Callback, EarlyStopping, Trainer, TrainingDiverged
from theanine.train.checkpoint import load_checkpoint

from nn_helpers import splits


class Recorder(Callback):
    """Keeps the parameters at every new best validation error and after each batch."""

    def __init__(self):
        self.best_states, self.batches, self.epochs = [], 0, []

    def on_validation(self, trainer, iteration, valid_error, test_error):
        if test_error is not None:
            self.best_states.append((iteration, trainer.model.state_dict()))

    def on_batch_end(self, trainer, iteration, loss, error):
        self.batches += 1
        self.last_state = trainer.model.state_dict()

    def on_epoch_end(self, trainer, record):
        self.epochs.append(record)


def test_early_stopping_rule_is_the_tutorials():
    stop = EarlyStopping(patience=100, patience_increase=2, improvement_threshold=0.995)
    assert stop.start(n_train_batches=83) == 50            # min(83, 100 // 2)
    assert stop.is_validation_iteration(49) and not stop.is_validation_iteration(50)
    assert stop.report(49, 0.10) and stop.patience == 100  # 49 * 2 < 100
    assert stop.report(99, 0.099) and stop.patience == 198
    assert stop.report(149, 0.0989) and stop.patience == 198  # better, but not by 0.5 %
    assert not stop.report(199, 0.2)
    assert not stop.should_stop(197) and stop.should_stop(198)
    restored = EarlyStopping()
    restored.load_state_dict(stop.state_dict())
    assert restored.state_dict() == stop.state_dict()


def test_early_stopping_triggers_and_restores_best_parameters():
    data = splits(n_train=200, n_valid=40, n_test=40, noise=3.0)
    model = nn.MLP(n_in=16, n_hidden=8, n_out=3, rng=0)
    recorder = Recorder()
    trainer = Trainer(optim.SGD(lr=0.5), batch_size=20, n_epochs=500, patience=40,
                      callbacks=[recorder])
    history = trainer.fit(model, data)
    summary = history.summary
    assert summary["stop_reason"].startswith("early stopping")
    assert summary["epochs"] < 500
    best_iteration, best_state = recorder.best_states[-1]
    assert summary["best_iteration"] == best_iteration
    assert any(not np.array_equal(recorder.last_state[k], v) for k, v in best_state.items())
    for name, value in model.state_dict().items():
        assert np.array_equal(value, best_state[name]), name
    assert summary["test_error"] == [r["test_error"] for r in history if r["best"]][-1]


def test_history_has_epoch_averages_from_the_training_function():
    data = splits()
    history = Trainer(optim.SGD(lr=0.1), batch_size=50, n_epochs=3, patience=None).fit(
        nn.LogisticRegression(16, 3), data)
    assert history["epoch"] == [1, 2, 3]
    assert history["iteration"] == [4, 8, 12]
    for record in history:
        assert 0 <= record["train_error"] <= 1 and record["train_loss"] > 0
        assert record["valid_error"] is not None and record["lr"] == pytest.approx(0.1)
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_max_iterations_and_schedule():
    from theanine.schedules import StepLR
    history = Trainer(optim.SGD(lr=0.1), batch_size=50, n_epochs=100, max_iterations=10,
                      patience=None, schedule=StepLR(0.1, 1, 0.5)).fit(
        nn.LogisticRegression(16, 3), splits())
    assert history.summary["iterations"] == 10
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_l1_l2_terms_enter_the_cost():
    data = splits()
    plain = Trainer(optim.SGD(lr=0.0), batch_size=50, n_epochs=1, patience=None)
    heavy = Trainer(optim.SGD(lr=0.0), batch_size=50, n_epochs=1, patience=None, l1=0.1, l2=1.0)
    model = nn.MLP(n_in=16, n_hidden=4, n_out=3, rng=1)
    base = plain.fit(model, data)["train_loss"][0]
    penalized = heavy.fit(model, data)["train_loss"][0]
    expected = 0.1 * float(model.L1.eval()) + float(model.L2_sqr.eval())
    assert penalized - base == pytest.approx(expected, rel=1e-4)


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    class Explode(Callback):
        def on_epoch_end(self, trainer, record):
            trainer.optimizer.lr.set_value(1e20)   # takes effect without recompiling

    model = nn.Sequential(nn.Affine(16, 8, rng=np.random.RandomState(0)), nn.ReLU(),
                          nn.Affine(8, 3, rng=np.random.RandomState(1)))
    trainer = Trainer(optim.SGD(lr=0.01), batch_size=20, n_epochs=20, patience=None,
                      run_dir=tmp_path, callbacks=[Explode()])
    with pytest.raises(TrainingDiverged, match="lower learning rate") as info:
        trainer.fit(model, splits())
    assert "checkpoint" in str(info.value) and "epoch 2" in str(info.value)
    groups, state = load_checkpoint(str(tmp_path))
    assert state["loop"]["epoch"] == 1
    assert all(np.isfinite(v).all() for v in groups["model"].values())
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


def test_model_without_validation_split_trains_to_the_end():
    train, _, test = splits()
    history = Trainer(optim.SGD(lr=0.1), batch_size=50, n_epochs=2, patience=None).fit(
        nn.LogisticRegression(16, 3), (train, None, test))
    assert history.summary["best_valid_error"] is None
    assert history.summary["test_error"] == history["test_error"][-1]
    assert not math.isnan(history.summary["test_error"])


def test_batchnorm_running_statistics_are_updated_by_training():
    model = nn.Sequential(nn.Affine(16, 8, rng=np.random.RandomState(0)), nn.BatchNorm(8),
                          nn.ReLU(), nn.Affine(8, 3, init="zeros"))
    Trainer(optim.SGD(lr=0.1), batch_size=50, n_epochs=1, patience=None).fit(model, splits())
    assert not np.allclose(model[1].running_mean.get_value(), 0)


def test_bad_data_is_rejected_clearly():
    with pytest.raises(ValueError, match="fewer than one minibatch"):
        Trainer(batch_size=500).fit(nn.LogisticRegression(16, 3), splits())


def test_same_seed_same_run():
    def run(seed):
        layers = [nn.Affine(16, 8, rng=np.random.RandomState(seed)), nn.ReLU()]
        try:
            from theanine.tensor.shared_randomstreams import RandomStreams  # noqa: F401
            layers.append(nn.Dropout(0.3))
        except ImportError:
            pass
        model = nn.Sequential(*layers, nn.Affine(8, 3, init="zeros"))
        Trainer(optim.SGD(lr=0.1), batch_size=20, n_epochs=2, patience=None, shuffle=True,
                seed=seed).fit(model, splits())
        return model.state_dict()
    first, again, other = run(3), run(3), run(4)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not all(np.array_equal(first[k], other[k]) for k in first)
