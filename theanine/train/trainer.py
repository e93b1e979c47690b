"""``Trainer``: the tutorials' training loop, compiled once, with early stopping and checkpoints.

``fit`` puts each split in shared variables, compiles the training,
validation and test functions once, with minibatch ``index`` selecting rows
through ``givens`` (``x: shared_x[index * bs:(index + 1) * bs]``), and runs the
tutorials' early-stopping loop (see :mod:`theanine.train.early_stopping`). Each
epoch's average training loss and error come from the training function's
own outputs. At the end the best parameters (by validation error) are
restored (``restore_best=True``, not something the tutorials do).

Example:
    >>> import numpy as np
    >>> from theanine.nn import LogisticRegression
    >>> from theanine.optim import SGD
    >>> from theanine.train import Trainer
    >>> rng = np.random.RandomState(0)
    >>> x = rng.randn(300, 5).astype('float32'); y = (x[:, 0] > 0).astype('int32')
    >>> data = ((x[:200], y[:200]), (x[200:250], y[200:250]), (x[250:], y[250:]))
    >>> history = Trainer(SGD(lr=0.5), batch_size=20, n_epochs=5).fit(
    ...     LogisticRegression(5, 2), data)
    >>> len(history), history.summary['test_error'] < 0.2
    (5, True)
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

import theanine
import theanine.tensor as T
from theanine.config import config
from theanine.data import shared_dataset
from theanine.errors import TheanineError
from theanine.nn.losses import nll, zero_one
from theanine.train import checkpoint as ckpt
from theanine.train.callbacks import EpochPrinter, ProgressBar
from theanine.train.early_stopping import EarlyStopping
from theanine.train.history import History
from theanine.train.logs import RunLog

WEIGHTS = "model.safetensors"


class TrainingDiverged(TheanineError, FloatingPointError):
    """The training loss became NaN or infinite; the message says what to try."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); ``checkpoint`` is where it was saved, or None."""

    def __init__(self, checkpoint):
        super().__init__(checkpoint)
        self.checkpoint = checkpoint


class Trainer:
    """Trains a classifier on ``(train, valid, test)`` splits; see the module docstring.

    optimizer: an :mod:`theanine.optim` optimizer (default ``SGD(lr)``).
    batch_size, n_epochs, max_iterations: minibatch size and limits (iterations
        count minibatches, as patience does).
    patience, patience_increase, improvement_threshold: the tutorials' early
        stopping (``patience=None`` never stops early).
    l1, l2: coefficients of ``model.L1`` and ``model.L2_sqr`` added to the cost.
    loss, error: ``f(scores, y)`` giving the mean loss and the error rate.
    schedule: ``schedule(epoch) -> lr``, set on ``optimizer.lr`` between epochs.
    restore_best: load the best-validation parameters at the end (default True).
    shuffle, seed: visit the training set in a new order each epoch, drawn from
        ``RandomState(seed)``; ``seed`` also reseeds the model's random streams.
    run_dir: where checkpoints, metrics and the final weights go (None: nowhere).
    checkpoint_every: epochs between checkpoints.
    verbose, progress: print a line per epoch; show a tqdm bar (on a terminal).

    Example:
        >>> from theanine.train import Trainer
        >>> Trainer(batch_size=600, patience=5000).early_stopping.patience
        5000
    """

    def __init__(self, optimizer=None, lr=0.01, batch_size=20, n_epochs=1000,
                 max_iterations=None, patience=10000, patience_increase=2,
                 improvement_threshold=0.995, l1=0.0, l2=0.0, loss=nll, error=zero_one,
                 schedule=None, restore_best=True, shuffle=False, seed=None, callbacks=(),
                 run_dir=None, checkpoint_every=1, verbose=False, progress=False):
        from theanine.optim import SGD
        self.optimizer = optimizer if optimizer is not None else SGD(lr=lr)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size, self.n_epochs, self.max_iterations = batch_size, n_epochs, max_iterations
        self.early_stopping = EarlyStopping(patience, patience_increase, improvement_threshold)
        self.l1, self.l2, self.loss, self.error = l1, l2, loss, error
        self.schedule, self.restore_best = schedule, restore_best
        self.shuffle, self.seed = shuffle, seed
        self.callbacks = list(callbacks)
        self.run_dir = None if run_dir is None else str(run_dir)
        self.checkpoint_every = checkpoint_every
        self.verbose, self.progress = verbose, progress
        self.stop_training = False
        self.history = History()

    # ------------------------------------------------------------------ public

    def fit(self, model, data, resume=False):
        """Train ``model`` on ``data`` and return the :class:`History`.

        ``data``: ``(train, valid, test)``, each an ``(x, y)`` pair or None
        (``theanine.data.load_mnist()`` returns this). ``resume``: continue
        from the checkpoint in ``run_dir`` (True) or at a given path.
        Raises :class:`TrainingDiverged` on a NaN/inf loss and
        :class:`TrainingInterrupted` on Ctrl-C (after saving a checkpoint).
        """
        self.model = model
        self.stop_training = False
        self._compile(model, *_splits(data))
        self._setup_callbacks()
        self._shuffle_rng = np.random.RandomState(self.seed)
        self._reseed_streams(model)
        self._best_state = None
        self.loop = {"epoch": 0, "in_epoch": False, "batch": 0, "iteration": 0, "sum_loss": 0.0,
                     "sum_error": 0.0, "count": 0, "valid_error": None, "test_error": None,
                     "best": False, "epoch_time": 0.0, "wall_time": 0.0, "done": False,
                     "stop_reason": None, "best_test": None}
        self.history = History()
        self._log = RunLog(self.run_dir) if self.run_dir else None
        if resume:
            self._restore(self.run_dir if resume is True else resume)
        elif self.schedule is not None:
            self.optimizer.lr.set_value(self.schedule(1))
        for cb in self._callbacks:
            cb.on_train_begin(self)
        started = time.perf_counter()
        try:
            # A diverging run overflows; the NaN guard reports that in one clear message.
            with np.errstate(over="ignore", invalid="ignore"):
                self._run()
        except KeyboardInterrupt:
            self.loop["wall_time"] += time.perf_counter() - started
            path = self.save_checkpoint() if self.run_dir else None
            raise TrainingInterrupted(path) from None
        finally:
            for cb in self._callbacks:
                if isinstance(cb, ProgressBar):
                    cb.close()
        self.loop["wall_time"] += time.perf_counter() - started
        return self._finish()

    def save_checkpoint(self):
        """Write the full training state to ``run_dir``; returns the file's path."""
        streams = {name: [ckpt.rng_state(var.get_value(borrow=True)) for var in _stream_vars(s)]
                   for name, s in self.model.random_streams()}
        info = {"loop": self.loop, "early_stopping": self.early_stopping.state_dict(),
                "history": self.history.records,
                "rng": {"shuffle": ckpt.rng_state(self._shuffle_rng), "streams": streams}}
        groups = {"model": self.model.state_dict(), "optim": self.optimizer.state_dict(),
                  "best": self._best_state or {}}
        if self._perm is not None:
            groups["loop"] = {"perm": self._perm.get_value()}
        return ckpt.save_checkpoint(self.run_dir, groups, info)

    # ------------------------------------------------------------------ compiling

    def _compile(self, model, train, valid, test):
        bs = self.batch_size
        train_x, train_y = shared_dataset(*train, name="train")
        n_train = len(train[0])
        if n_train < bs:
            raise ValueError(f"the training set has {n_train} examples, fewer than one "
                             f"minibatch of {bs}; lower the batch size")
        self.n_train_batches = n_train // bs
        x = T.tensor(config.floatX, (None,) * np.ndim(train[0]), name="x")
        y = T.ivector("y")
        index = T.lscalar("index")
        params = [p for _, p in model.named_params()]
        scores = model(x, train=True)
        cost = self.loss(scores, y)
        if self.l1:
            cost = cost + self.l1 * model.L1
        if self.l2:
            cost = cost + self.l2 * model.L2_sqr
        updates = self.optimizer.updates(cost, params) + model.state_updates()
        window = slice(index * bs, (index + 1) * bs)
        self._perm = None
        if self.shuffle:
            self._perm = theanine.shared(np.arange(n_train, dtype="int64"), name="perm")
            rows = self._perm[window]
            givens = {x: train_x[rows], y: train_y[rows]}
        else:
            givens = {x: train_x[window], y: train_y[window]}
        self._train_fn = theanine.function([index], [cost, T.cast(self.error(scores, y),
                                                                   "float64")],
                                           updates=updates, givens=givens, name="train_model")
        eval_error = self.error(model(x, train=False), y)
        self._valid = self._eval_function(valid, x, y, index, eval_error, "validate_model")
        self._test = self._eval_function(test, x, y, index, eval_error, "test_model")

    def _eval_function(self, split, x, y, index, error, name):
        if split is None:
            return None
        sx, sy = shared_dataset(*split, name=name)
        bs = min(self.batch_size, len(split[0]))
        window = slice(index * bs, (index + 1) * bs)
        fn = theanine.function([index], error, givens={x: sx[window], y: sy[window]},
                               name=name)
        return fn, len(split[0]) // bs

    def _setup_callbacks(self):
        self._callbacks = list(self.callbacks)
        if self.progress:
            self._callbacks.insert(0, ProgressBar(self.n_train_batches))
        if self.verbose:
            self._callbacks.append(EpochPrinter(self.n_epochs))

    def _reseed_streams(self, model):
        if self.seed is None:
            return
        for k, (_, stream) in enumerate(model.random_streams()):
            stream.seed(self.seed + k)

    # ------------------------------------------------------------------ the loop

    def _run(self):
        loop, stop = self.loop, self.early_stopping
        stop.start(self.n_train_batches)
        while not loop["done"] and (loop["epoch"] < self.n_epochs or loop["in_epoch"]):
            if not loop["in_epoch"]:
                self._begin_epoch()
            for cb in self._callbacks:
                cb.on_epoch_begin(self, loop["epoch"])
            started = time.perf_counter()
            for index in range(loop["batch"], self.n_train_batches):
                loss, error = self._train_fn(index)
                loss, error = float(loss), float(error)
                iteration = (loop["epoch"] - 1) * self.n_train_batches + index
                if not math.isfinite(loss):
                    self._diverged(index, iteration, loss)
                loop["batch"], loop["iteration"] = index + 1, iteration + 1
                loop["sum_loss"] += loss
                loop["sum_error"] += error
                loop["count"] += 1
                for cb in self._callbacks:
                    cb.on_batch_end(self, iteration, loss, error)
                if self._valid is not None and stop.is_validation_iteration(iteration):
                    self._validate(iteration)
                if self._should_stop(iteration):
                    loop["done"] = True
                    break
            loop["epoch_time"] += time.perf_counter() - started
            self._end_epoch()

    def _begin_epoch(self):
        loop = self.loop
        loop["epoch"] += 1
        loop.update(in_epoch=True, batch=0, sum_loss=0.0, sum_error=0.0, count=0, epoch_time=0.0)
        if self._perm is not None:
            self._perm.set_value(self._shuffle_rng.permutation(len(self._perm.get_value(
                borrow=True))).astype("int64"))

    def _should_stop(self, iteration):
        loop = self.loop
        if self.stop_training:
            loop["stop_reason"] = "stopped by a callback"
        elif self.early_stopping.should_stop(iteration):
            loop["stop_reason"] = "early stopping (patience ran out)"
        elif self.max_iterations is not None and iteration + 1 >= self.max_iterations:
            loop["stop_reason"] = f"reached {self.max_iterations} iterations"
        return loop["stop_reason"] is not None

    def _validate(self, iteration):
        loop = self.loop
        loop["valid_error"] = _score(*self._valid)
        test_error = None
        if self.early_stopping.report(iteration, loop["valid_error"]):
            test_error = _score(*self._test) if self._test is not None else None
            loop.update(test_error=test_error, best=True, best_test=test_error)
            if self.restore_best:
                self._best_state = self.model.state_dict()
        for cb in self._callbacks:
            cb.on_validation(self, iteration, loop["valid_error"], test_error)

    def _end_epoch(self):
        loop = self.loop
        if self._valid is None and self._test is not None:
            loop.update(test_error=_score(*self._test), best=True)
            loop["best_test"] = loop["test_error"]
        record = {"epoch": loop["epoch"], "iteration": loop["iteration"],
                  "train_loss": loop["sum_loss"] / loop["count"],
                  "train_error": loop["sum_error"] / loop["count"],
                  "valid_error": loop["valid_error"], "test_error": loop["test_error"],
                  "best": loop["best"], "lr": float(self.optimizer.lr.get_value()),
                  "time": loop["epoch_time"]}
        self.history.append(record)
        loop.update(in_epoch=False, batch=0, test_error=None, best=False)
        if loop["epoch"] >= self.n_epochs and not loop["done"]:
            loop.update(done=True, stop_reason=f"reached {self.n_epochs} epochs")
        if self.schedule is not None:
            self.optimizer.lr.set_value(self.schedule(loop["epoch"] + 1))
        if self._log is not None:
            self._log.append(record)
        if self.run_dir and (loop["done"] or loop["epoch"] % self.checkpoint_every == 0):
            self.save_checkpoint()
        for cb in self._callbacks:
            cb.on_epoch_end(self, record)

    def _diverged(self, index, iteration, loss):
        lr = float(self.optimizer.lr.get_value())
        kept = ""
        path = os.path.join(self.run_dir, ckpt.CHECKPOINT) if self.run_dir else None
        if path and os.path.exists(path):
            kept = f" The last good checkpoint is kept: {path}."
        if self.restore_best and self._best_state is not None:
            self.model.load_state_dict(self._best_state)
            kept += " The model holds the best parameters found before."
        raise TrainingDiverged(
            f"training diverged at epoch {self.loop['epoch']}, minibatch {index} (iteration "
            f"{iteration}): the training loss is {loss}.{kept} Try a lower learning rate "
            f"(now {lr:g}, e.g. {lr / 10:g}), a smaller weight initialization, or check the "
            f"data for NaN/inf values.")

    def _finish(self):
        loop, stop = self.loop, self.early_stopping
        if self.restore_best and self._best_state is not None:
            self.model.load_state_dict(self._best_state)
        self.history.summary = {
            "best_valid_error": None if math.isinf(stop.best_validation_loss)
            else stop.best_validation_loss,
            "best_iteration": stop.best_iter, "test_error": loop["best_test"],
            "epochs": loop["epoch"], "iterations": loop["iteration"],
            "stop_reason": loop["stop_reason"], "wall_time": loop["wall_time"]}
        if self.run_dir:
            ckpt.save_weights(os.path.join(self.run_dir, WEIGHTS), self.model.state_dict())
        for cb in self._callbacks:
            cb.on_train_end(self, self.history)
        return self.history

    # ------------------------------------------------------------------ resuming

    def _restore(self, path):
        if path is None:
            raise ckpt.CheckpointError("resume needs a run folder (run_dir) or a checkpoint path")
        groups, info = ckpt.load_checkpoint(path)
        self.model.load_state_dict(groups["model"])
        self.optimizer.load_state_dict(groups.get("optim", {}))
        self._best_state = groups.get("best") or None
        if self._perm is not None and "loop" in groups:
            self._perm.set_value(groups["loop"]["perm"])
        self.loop.update(info["loop"])
        self.early_stopping.load_state_dict(info["early_stopping"])
        self.history = History(info["history"])
        self._shuffle_rng = ckpt.rng_from_state(info["rng"]["shuffle"])
        for name, stream in self.model.random_streams():
            for var, state in zip(_stream_vars(stream), info["rng"]["streams"].get(name, [])):
                var.set_value(ckpt.rng_from_state(state), borrow=True)
        if self._log is not None:
            self._log.rewrite(self.history.records)


def _score(fn, n_batches):
    return float(np.mean([fn(i) for i in range(n_batches)]))


def _stream_vars(stream):
    return [var for var, _ in stream.state_updates]


def _splits(data):
    if isinstance(data, dict):
        data = (data["train"], data.get("valid"), data.get("test"))
    if len(data) != 3:
        raise ValueError("data must be (train, valid, test), each an (x, y) pair or None")
    result = []
    for split in data:
        if split is None:
            result.append(None)
            continue
        x, y = split[0], split[1]
        if len(x) != len(y):
            raise ValueError(f"a split has {len(x)} inputs but {len(y)} labels")
        result.append((np.asarray(x), np.asarray(y)))
    if result[0] is None:
        raise ValueError("data needs a training split")
    return result
