"""``python -m bench`` / ``theanine bench``: parse options, run every model, print, save JSON.

Example:
    >>> args = build_parser().parse_args(['--smoke'])
    >>> settings(args)['peers'], settings(args)['samples'], settings(args)['epochs']
    (['numpy', 'theanine'], 1000, 1)
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import data as datasets
from bench.floor import best_of, epoch_floor, measure_machine
from bench.models import SPECS
from bench.peers import PEERS, default_peers
from bench.report import format_model, loss_check, machine_lines
from bench.runner import SETTLE_S, prepare, run_model

SMOKE = {"samples": 1000, "valid_samples": 1000, "epochs": 1, "peers": ["numpy", "theanine"]}


def _names(text: str, known, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {what} {unknown}; known: {', '.join(known)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Train the tutorials' models with theanine and its peers, alternating "
                    "them, and print epoch/eval/compile time, memory, ratios and the floor.")
    parser.add_argument("--models", type=lambda s: _names(s, SPECS, "model"),
                        default=list(SPECS), help="comma list (default: %(default)s)")
    parser.add_argument("--peers", type=lambda s: _names(s, PEERS, "peer"), default=None,
                        help=f"comma list of {', '.join(PEERS)} (default: all, "
                             "torch-compile for lenet only)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="timed epochs after one warm-up (default 3)")
    parser.add_argument("--samples", type=int, default=None,
                        help="training samples (default 50000)")
    parser.add_argument("--valid-samples", type=int, default=None,
                        help="validation samples (default 10000)")
    parser.add_argument("--check-steps", type=int, default=5,
                        help="first steps whose costs must agree across peers (default 5)")
    parser.add_argument("--rtol", type=float, default=1e-4,
                        help="relative tolerance of that check (default 1e-4)")
    parser.add_argument("--synthetic", action="store_true",
                        help="random MNIST-shaped data even when MNIST is found")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds-long run: 1000 samples, 1 epoch, numpy and theanine")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every epoch to stderr")
    return parser


def settings(args: argparse.Namespace) -> dict:
    """Options after defaults; ``--smoke`` only fills what was not given explicitly."""
    base = SMOKE if args.smoke else {"samples": 50000, "valid_samples": 10000, "epochs": 3,
                                     "peers": "default"}
    chosen = {key: getattr(args, key) for key in base}
    return {key: base[key] if chosen[key] is None else chosen[key] for key in base}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if a peer's first costs disagree with the reference."""
    args = build_parser().parse_args(argv)
    opts = settings(args)
    machine = measure_machine()
    data = datasets.load(opts["samples"], opts["valid_samples"], prefer_synthetic=args.synthetic)
    n_train, n_valid = len(data.train_x), len(data.valid_x)
    print(f"theanine benchmark · {time.strftime('%Y-%m-%d %H:%M')} · "
          f"python -m bench {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(machine_lines(machine, data.source, n_train, n_valid, opts["epochs"]), flush=True)
    report = {"machine": machine._asdict(), "options": {**opts, "models": args.models},
              "data": data.source, "models": {}}
    agree = True
    with tempfile.TemporaryDirectory(prefix="theanine-bench-") as tmp:
        prepare(Path(tmp), data, args.models)
        for model in args.models:
            peers = default_peers(model) if opts["peers"] == "default" else opts["peers"]
            print(f"[{model}: running {', '.join(peers)}]", file=sys.stderr, flush=True)
            results = run_model(model, peers, Path(tmp), opts["epochs"], args.check_steps,
                                verbose=args.verbose, settle_s=0 if args.smoke else SETTLE_S)
            # Measured again after every model: on a shared machine a single measurement
            # can land on someone else's burst and make the floor look far too low.
            if not args.smoke:
                machine = best_of(machine, measure_machine())
            floor = epoch_floor(model, n_train, n_valid, machine)
            print("\n" + format_model(model, results, floor, args.rtol), flush=True)
            checks = loss_check(results, args.rtol)
            agree &= all(ok is not False for _, ok, _ in checks)
            report["models"][model] = {"floor": floor, "peers": results,
                                       "loss_check": [list(c) for c in checks]}
    print(f"\nfloor rates, best over the run: SGEMM {machine.gemm_flops / 1e9:.1f} GFLOP/s · "
          f"DRAM {machine.dram_bw / 1e9:.1f} GB/s · L3 {machine.cache_bw / 1e9:.1f} GB/s "
          "(each model's floor above used the best measured up to its end)")
    report["machine"] = machine._asdict()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if agree else 1
