"""What ``theanine train|eval|predict|plot`` do, given parsed command-line arguments.

Each function takes the ``argparse`` namespace and returns an exit status;
:mod:`theanine.cli` parses and reports errors.

Example:
    >>> from theanine.train.commands import resolve
    >>> resolve('logreg', {'lr': None, 'epochs': 3})['epochs']
    3
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from theanine.train import recipes
from theanine.train.logs import RunLog, read_config, read_metrics

MODELS = tuple(recipes.DEFAULTS)
PNGS = ("learning_curves.png", "filters.png", "confusion_matrix.png", "misclassified.png")


class UsageError(ValueError):
    """A command-line value that cannot work (reported as one line, exit status 2)."""


def resolve(model, given, saved=None):
    """The run's settings: the saved config or the model's defaults, then given values.

    Example:
        >>> from theanine.train.commands import resolve
        >>> resolve('mlp', {'l2': 0.0})['l2'], resolve('mlp', {})['l2']
        (0.0, 0.0001)
    """
    settings = dict(saved or recipes.DEFAULTS[model])
    settings.update({k: v for k, v in given.items() if v is not None})
    _check(settings)
    return settings


def _check(s):
    positive = {"lr": "--lr", "batch_size": "--batch-size", "epochs": "--epochs",
                "patience": "--patience", "iterations": "--iterations", "hidden": "--hidden",
                "subset": "--subset"}
    for key, flag in positive.items():
        if s.get(key) is not None and not s[key] > 0:
            raise UsageError(f"{flag} must be positive, got {s[key]}")
    for key in ("l1", "l2", "weight_decay"):
        if s.get(key) is not None and s[key] < 0:
            raise UsageError(f"--{key.replace('_', '-')} must be >= 0, got {s[key]}")
    from theanine.optim import OPTIMIZERS
    if s["optimizer"].lower() not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer {s['optimizer']!r}; choose one of "
                         f"{', '.join(OPTIMIZERS)}")


def train(args):
    """``theanine train MODEL ...``: train, log, checkpoint, plot; print a summary."""
    from theanine.optim import make_optimizer
    from theanine.schedules import make_schedule
    from theanine.train import Trainer, TrainingInterrupted
    if args.model not in MODELS:
        raise UsageError(f"unknown model {args.model!r}; choose one of {', '.join(MODELS)}")
    run_dir = args.out or os.path.join("runs", f"{args.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    saved = None
    if args.resume:
        if not os.path.exists(os.path.join(run_dir, "checkpoint.safetensors")):
            raise UsageError(f"--resume: no checkpoint in {run_dir}; pass the run folder with "
                             f"--out")
        saved = read_config(run_dir)
        if saved["model"] != args.model:
            raise UsageError(f"--resume: {run_dir} holds a {saved['model']} run, not "
                             f"{args.model}")
        saved = saved["settings"]
    given = {"lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs,
             "patience": args.patience, "l1": args.l1, "l2": args.l2,
             "optimizer": args.optimizer, "hidden": args.hidden, "iterations": args.iterations,
             "subset": args.subset, "dataset": args.dataset, "seed": args.seed,
             "schedule": args.schedule, "weight_decay": args.weight_decay}
    if args.nkerns:
        try:
            given["nkerns"] = [int(k) for k in args.nkerns.split(",")]
        except ValueError:
            raise UsageError(f"--nkerns takes two comma-separated integers such as 20,50, "
                             f"got {args.nkerns!r}") from None
    s = resolve(args.model, given, saved)
    s.setdefault("dataset", "mnist")
    data = recipes.load_dataset(s["dataset"], s.get("subset"), s.get("split", "tutorial"))
    n_in, n_out = int(np.prod(data[0][0].shape[1:])), int(max(data[0][1].max() + 1, 10))
    kwargs = recipes.model_kwargs(args.model, s, n_in, n_out)
    model = recipes.build(args.model, kwargs, s.get("seed"))
    optimizer = make_optimizer(s["optimizer"], s["lr"], weight_decay=s.get("weight_decay") or 0.0)
    trainer = Trainer(optimizer, batch_size=s["batch_size"], n_epochs=s["epochs"],
                      max_iterations=s["iterations"], patience=s["patience"], l1=s["l1"],
                      l2=s["l2"], schedule=make_schedule(s.get("schedule"), s["lr"], s["epochs"]),
                      shuffle=s["shuffle"], seed=s.get("seed"), run_dir=run_dir,
                      verbose=True, progress=not args.quiet)
    RunLog(run_dir).write_config({"model": args.model, "model_kwargs": kwargs, "settings": s,
                                  "seed": s.get("seed")})
    print(f"training {args.model} on {s['dataset']} ({len(data[0][0])} examples), "
          f"run folder {run_dir}", flush=True)
    try:
        history = trainer.fit(model, data, resume=bool(args.resume))
    except TrainingInterrupted as stop:
        print(f"\ninterrupted; checkpoint saved in {stop.checkpoint}. Resume with: "
              f"theanine train {args.model} --out {run_dir} --resume", file=sys.stderr)
        return 130
    print(summary_line(history.summary))
    if not args.no_plots:
        make_plots(run_dir, model, data, quiet=args.quiet)
    return 0


def summary_line(summary):
    """The final report, worded as the tutorials' 'Optimization complete' line.

    Example:
        >>> from theanine.train.commands import summary_line
        >>> summary_line({'best_valid_error': 0.075, 'best_iteration': 6058,
        ...               'test_error': 0.0748958, 'epochs': 74, 'iterations': 6141,
        ...               'wall_time': 3.5, 'stop_reason': 'early stopping'})[:60]
        'Optimization complete: best validation error 7.500000 % at i'
    """
    def pct(v):
        return "n/a" if v is None else f"{100 * v:f} %"
    best = summary["best_iteration"]
    where = f" at iteration {best + 1}" if best is not None else ""
    return (f"Optimization complete: best validation error {pct(summary['best_valid_error'])}"
            f"{where}, test error {pct(summary['test_error'])}; {summary['epochs']} epochs, "
            f"{summary['iterations']} iterations, {summary['wall_time']:.1f} s "
            f"({summary['stop_reason']})")


def make_plots(run_dir, model, data, quiet=False):
    """Write the run's PNGs; without matplotlib, say how to get them and go on."""
    from theanine import plot
    from theanine.plot import PlotUnavailable
    try:
        plot.pyplot()
    except PlotUnavailable as exc:
        print(f"no plots: {exc}", file=sys.stderr)
        return []
    records = read_metrics(run_dir)
    paths = [os.path.join(run_dir, name) for name in PNGS]
    plot.learning_curves(records, paths[0], title=os.path.basename(os.path.normpath(run_dir)))
    first = [p for _, p in model.named_params() if p.ndim >= 2][0].get_value()
    side = int(round(np.sqrt(first.shape[0]))) if first.ndim == 2 else None
    plot.filters(first, paths[1], image_shape=(side, side) if side else (28, 28))
    split = data[2] if data[2] is not None else data[0]
    x, y = split
    predicted = recipes.predict_proba(model, x).argmax(axis=1)
    plot.confusion(y, predicted, paths[2], n_classes=max(10, int(y.max()) + 1))
    side = int(round(np.sqrt(np.prod(x.shape[1:]))))
    plot.misclassified(x, y, predicted, paths[3], image_shape=(side, side))
    if not quiet:
        print(f"plots: {', '.join(paths)}")
    return paths


def evaluate(args):
    """``theanine eval RUN``: error rates of the run's final model on every split."""
    config, model = recipes.load_run(args.run)
    s = config["settings"]
    data = recipes.load_dataset(s.get("dataset", "mnist"), s.get("subset"),
                                s.get("split", "tutorial"))
    for name, split in zip(("train", "valid", "test"), data):
        if split is None:
            continue
        predicted = recipes.predict_proba(model, split[0]).argmax(axis=1)
        error = float(np.mean(predicted != split[1]))
        print(f"{name:5s} error {100 * error:.4f} %  ({len(split[1])} examples)")
    return 0


def predict(args):
    """``theanine predict RUN IMAGE...``: the predicted class and its probability."""
    from theanine.utils.images import load_image
    config, model = recipes.load_run(args.run)
    n_in = int(np.prod(config["model_kwargs"].get("image_shape", [0])) or
               config["model_kwargs"].get("n_in") or config["model_kwargs"]["input_size"])
    side = int(round(np.sqrt(n_in)))
    rows = np.stack([load_image(path, side) for path in args.images])
    probabilities = recipes.predict_proba(model, rows)
    for path, p in zip(args.images, probabilities):
        print(f"{path}: class {int(p.argmax())} (probability {float(p.max()):.4f})")
    return 0


def plots(args):
    """``theanine plot RUN``: redraw the run's PNGs from its metrics and final weights."""
    config, model = recipes.load_run(args.run)
    s = config["settings"]
    data = recipes.load_dataset(s.get("dataset", "mnist"), s.get("subset"),
                                s.get("split", "tutorial"))
    return 0 if make_plots(args.run, model, data) else 1


def gradcheck(args):
    """``theanine gradcheck MODEL``: the book's table of backprop vs numerical gradients."""
    from theanine.utils.gradcheck_table import gradient_table, sample_data
    if args.model not in ("twolayer", "mlp", "lenet"):
        raise UsageError(f"gradcheck: unknown model {args.model!r}; choose twolayer, mlp or "
                         f"lenet")
    x, y, source = sample_data(args.samples)
    print(f"gradient check of {args.model} on {args.samples} samples ({source}), float64")
    rows = gradient_table(args.model, args.samples, args.max_elements, x=x, y=y)
    worst = 0.0
    for name, diff, count in rows:
        print(f"{name:24s} {diff:.3e}   ({count} elements)")
        worst = max(worst, diff)
    return 0 if worst < 1e-5 else 1
