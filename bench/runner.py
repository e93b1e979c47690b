"""Runs one model on every peer, each in its own worker process, interleaving their epochs.

All workers of a model are alive at once; the parent asks one at a time for an epoch,
rotating the order every repetition, so a slow drift of the machine (heat, other load)
spreads over every peer instead of landing on whichever ran last.

Example (the NumPy peer alone, on a little synthetic data):
    >>> import tempfile
    >>> from bench.data import synthetic
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     prepare(Path(tmp), synthetic(1200, 500), ['logreg'])
    ...     result = run_model('logreg', ['numpy'], Path(tmp), epochs=1, check_steps=2)
    >>> r = result['numpy']
    >>> r['status'], len(r['epoch_s']), [round(c, 4) for c in r['first_losses']]
    ('ok', 1, [2.3026, 2.3573])
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.data import Data, save_split
from bench.models import init_params
from bench.peers import PEERS, unavailable

REPO_ROOT = Path(__file__).resolve().parent.parent


class WorkerError(RuntimeError):
    """A worker answered a command with a failure (or died)."""


class Worker:
    """A peer's process: send a command, read its one-line JSON answer."""

    def __init__(self, peer: str):
        self.peer = peer
        self.stderr = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                          env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", peer], cwd=REPO_ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True)

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise WorkerError(f"worker exited with code {self.process.returncode}: "
                              f"{self.stderr_tail()}")
        answer = json.loads(line)
        if not answer.pop("ok"):
            raise WorkerError(answer["error"])
        return answer

    def ask(self, cmd: str, **fields) -> dict:
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.process.stdin.flush()
        return self.read()

    def stderr_tail(self, lines: int = 3) -> str:
        self.stderr.seek(0)
        return " | ".join(self.stderr.read().strip().splitlines()[-lines:])

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


#: Seconds of quiet before each timed epoch or evaluation (see run_model).
SETTLE_S = 0.5


def prepare(folder: Path, data: Data, models: list[str]) -> None:
    """Write the data and every model's initial weights where the workers read them."""
    save_split(data, folder)
    for model in models:
        np.savez(folder / f"{model}_params.npz", **init_params(model))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _summarize(r: dict) -> None:
    """Medians, and compile time = setup + first calls' excess over the calls right after.

    The first training step is compared with the next few, the first evaluation batch
    with the same batch evaluated again: calls seconds apart, so that load from other
    processes, which comes and goes over minutes, cancels out.
    """
    r["epoch_median_s"] = _median(r["epoch_s"])
    r["eval_median_s"] = _median(r["eval_s"])
    compile_s = r.get("setup_s", 0.0)
    for calls in (r.get("first_step_s", []), r.get("first_eval_s", [])):
        if len(calls) > 1:
            compile_s += max(0.0, calls[0] - statistics.median(calls[1:]))
    r["compile_s"] = compile_s


def run_model(model: str, peers: list[str], folder: Path, epochs: int, check_steps: int,
              verbose: bool = False, settle_s: float = SETTLE_S) -> dict:
    """Train ``model`` with each peer: setup, loss check steps, a warm-up, ``epochs`` timed.

    Returns ``{peer: result}``; ``result['status']`` is ``'ok'`` or why the peer did not
    finish ("not installed (torch)", "not importable: ...", "failed in setup: ...").
    """
    results = {p: {"label": PEERS[p].label, "status": "ok", "epoch_s": [], "eval_s": [],
                   "losses": []} for p in peers}
    workers = {}
    for peer in peers:
        reason = unavailable(peer)
        if reason:
            results[peer]["status"] = reason
        else:
            workers[peer] = Worker(peer)

    def attempt(peer: str, phase: str, cmd: str, **fields) -> dict | None:
        try:
            return workers[peer].ask(cmd, **fields)
        except WorkerError as exc:
            results[peer]["status"] = f"failed in {phase}: {exc}"
            workers.pop(peer).close()
            _log(f"  {model}: {peer} failed in {phase}: {exc}")
            return None

    try:
        for peer in list(workers):
            try:
                results[peer].update(workers[peer].read())
            except WorkerError as exc:
                results[peer]["status"] = f"not importable: {exc}"
                workers.pop(peer).close()
        for peer in list(workers):  # one at a time, so compile times do not overlap
            answer = attempt(peer, "setup", "setup", model=model, dir=str(folder),
                             check_steps=check_steps)
            if answer:
                results[peer].update(answer)
        for rep in range(epochs + 1):  # repetition 0 is the warm-up
            if not workers:
                break
            order = list(workers)
            order = order[rep % len(order):] + order[:rep % len(order)]
            for cmd in ("epoch", "eval"):
                for peer in order:
                    phase = "training" if cmd == "epoch" else "evaluation"
                    # Let the previous peer's thread pools go idle first: PyTorch's
                    # OpenMP and OpenBLAS threads spin for up to ~0.2 s after their
                    # last call, which would land on whoever runs next.
                    time.sleep(settle_s)
                    answer = peer in workers and attempt(peer, phase, cmd)
                    if not answer:
                        continue
                    r = results[peer]
                    if rep == 0:
                        r[f"warmup_{cmd}_s"] = answer["seconds"]
                    else:
                        r[f"{cmd}_s"].append(answer["seconds"])
                        r.setdefault(f"{cmd}_cpu_s", []).append(answer["cpu_s"])
                        r.setdefault(f"{cmd}_steal_s", []).append(answer.get("steal_s"))
                    if cmd == "epoch":
                        r["losses"].append(answer["loss"])
                    else:
                        r["valid_error"] = answer["error"]
                    if verbose:
                        _log(f"  {model}: {peer} {'warm-up' if rep == 0 else f'rep {rep}'} "
                             f"{cmd} {answer['seconds']:.2f} s")
        for peer in list(workers):
            answer = attempt(peer, "memory", "memory")
            if answer:
                results[peer].update(answer)
    finally:
        for worker in workers.values():
            worker.close()
    for r in results.values():
        _summarize(r)
    return results
