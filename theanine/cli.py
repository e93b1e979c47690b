"""The ``theanine`` command: train the tutorials' models, inspect runs, check, benchmark.

Run ``theanine --help``. User mistakes (unknown model, missing data, bad
hyperparameter, unreadable checkpoint) print one line on stderr and exit
non-zero; set ``THEANINE_DEBUG=1`` to see the traceback instead.

Example:
    >>> from theanine.cli import build_parser
    >>> args = build_parser().parse_args(['train', 'mlp', '--epochs', '5'])
    >>> args.command, args.model, args.epochs
    ('train', 'mlp', 5)
"""
from __future__ import annotations

import argparse
import os
import sys

from theanine.errors import TheanineError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage is in ``--help``)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The argparse parser with every subcommand.

    Example:
        >>> from theanine.cli import build_parser
        >>> build_parser().parse_args(['eval', 'runs/mlp']).run
        'runs/mlp'
    """
    parser = _Parser(prog="theanine", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser("train", help="train logreg, mlp, lenet or twolayer")
    train.add_argument("model", help="logreg, mlp, lenet or twolayer")
    train.add_argument("--dataset", help="mnist (default), fashion-mnist, a folder or an .npz")
    train.add_argument("--epochs", type=int)
    train.add_argument("--iterations", type=int, help="stop after this many minibatches")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--optimizer", help="sgd, momentum, nesterov, adagrad, rmsprop, adam")
    train.add_argument("--schedule", help="lr schedule: step:STEP[:GAMMA], exp:GAMMA, cosine")
    train.add_argument("--patience", type=int, help="early-stopping patience (minibatches)")
    train.add_argument("--l1", type=float)
    train.add_argument("--l2", type=float)
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--hidden", type=int, help="hidden units (mlp, lenet, twolayer)")
    train.add_argument("--nkerns", help="lenet's filter counts, e.g. 20,50")
    train.add_argument("--seed", type=int, help="seeds weights, shuffling and random streams")
    train.add_argument("--device", help="cpu, cuda or auto")
    train.add_argument("--out", help="run folder (default runs/MODEL-TIME)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--no-plots", action="store_true", help="do not draw the PNGs")
    train.add_argument("--subset", type=int, help="train on the first N examples")
    train.add_argument("--profile", action="store_true",
                       help="time every op of the compiled steps; print where the time went")

    evaluate = sub.add_parser("eval", help="error rates of a run's final model")
    evaluate.add_argument("run")
    predict = sub.add_parser("predict", help="classify images with a run's model")
    predict.add_argument("run")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPEG or .npy")
    check = sub.add_parser("gradcheck", help="backprop vs numerical gradients (float64)")
    check.add_argument("model", help="twolayer, mlp or lenet")
    check.add_argument("--samples", type=int, default=3)
    check.add_argument("--max-elements", type=int, default=300,
                       help="check at most this many entries per parameter")
    plot = sub.add_parser("plot", help="redraw a run's pictures")
    plot.add_argument("run")
    sub.add_parser("info", help="versions, backend, BLAS, data found")
    run = sub.add_parser("run", help="run a legacy Theano script", add_help=False)
    run.add_argument("args", nargs=argparse.REMAINDER)
    bench = sub.add_parser("bench", help="benchmarks against peers", add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv=None):
    """Entry point of the console script; returns the exit status.

    Example:
        >>> from theanine.cli import main
        >>> main(['train', 'resnet'])            # one line on stderr, status 2
        2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("run", "bench"):
        # Everything after the command belongs to the script or to bench, options included
        # (argparse's REMAINDER stumbles on a leading '--option').
        args = argparse.Namespace(command=argv[0], args=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    from theanine.train.commands import UsageError
    try:
        if getattr(args, "device", None):
            _set_device(args.device)
        return _dispatch(args)
    except UsageError as exc:
        return _fail(exc, 2)
    except (TheanineError, OSError, ValueError, KeyError, ImportError) as exc:
        return _fail(exc, 1)


def _fail(exc, status):
    if os.environ.get("THEANINE_DEBUG"):
        raise exc
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    print(f"theanine: error: {message}", file=sys.stderr)
    return status


def _dispatch(args):
    from theanine.train import commands
    handlers = {"train": commands.train, "eval": commands.evaluate,
                "predict": commands.predict, "plot": commands.plots,
                "gradcheck": commands.gradcheck, "info": info, "run": run_script,
                "bench": run_bench}
    if not getattr(args, "profile", False):
        return handlers[args.command](args)
    from theanine.compile.profiling import print_pending
    from theanine.config import config
    with config.change_flags(profile=True):
        status = handlers[args.command](args)
    print_pending()
    return status


def _set_device(device):
    from theanine.backends import get_backend
    from theanine.config import config
    config.device = device
    get_backend()   # a device that cannot run says so in one line (ImportError)


def info(args):
    """``theanine info``: versions, backend, BLAS and where data was found."""
    import platform
    import numpy as np
    import theanine
    from theanine.backends import cblas
    from theanine.config import config
    from theanine.data import search_path
    print(f"theanine    {theanine.__version__}")
    print(f"python      {platform.python_version()}")
    print(f"numpy       {np.__version__}")
    for name in ("safetensors", "tqdm", "matplotlib", "PIL", "cupy"):
        print(f"{name:11s} {_version(name)}")
    print(f"device      {config.device} (floatX={config.floatX}, mode={config.mode})")
    print(f"BLAS        {cblas.description()}")
    for label, folder in search_path():
        found = sorted(p.name for p in folder.rglob("*") if p.is_file() and (
            "ubyte" in p.name or p.name.endswith(".pkl.gz"))) if folder.is_dir() else []
        print(f"data        {label}: {folder} -> {', '.join(found) or 'nothing'}")
    return 0


def _version(module):
    import importlib
    try:
        return getattr(importlib.import_module(module), "__version__", "installed")
    except ImportError:
        return "not installed"


def run_script(args):
    """``theanine run SCRIPT [args]``: the legacy Theano script runner."""
    try:
        from theanine.compat.runner import main as runner_main
    except ImportError:
        print("theanine: error: theanine.compat (the legacy script runner) is not installed",
              file=sys.stderr)
        return 1
    return runner_main(args.args)


def run_bench(args):
    """``theanine bench [args]``: ``bench.main`` from the checkout's bench/ folder."""
    try:
        import bench
    except ImportError:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sys.path.insert(0, root)
        try:
            import bench
        except ImportError:
            print("theanine: error: the benchmarks (bench/ at the top of a theanine checkout) "
                  "are not available here", file=sys.stderr)
            return 1
    return bench.main(args.args)


if __name__ == "__main__":
    sys.exit(main())
