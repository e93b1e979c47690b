"""One peer in its own process, driven line by line over stdin/stdout (JSON).

A process per peer makes its peak memory its own, keeps frameworks' thread pools and
caches apart, and lets the parent interleave peers epoch by epoch while the idle ones
wait on ``stdin`` without using the CPU. Run as ``python -m bench.worker PEER``.

Protocol (one JSON object per line): the worker first answers whether the peer
imported (``{"ok": true, "version": ...}``), then answers each command:

* ``{"cmd": "setup", "model": m, "dir": d, "check_steps": n}`` builds and compiles the
  trainer from the data and ``{m}_params.npz`` in ``d``, then trains the first n steps;
* ``{"cmd": "epoch"}``, ``{"cmd": "eval"}`` time one training epoch / validation pass;
* ``{"cmd": "memory"}`` reports peak and baseline RSS; ``{"cmd": "quit"}`` ends.

A failure answers ``{"ok": false, "error": "Type: message"}`` and the worker stays up.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from bench.data import load_split
from bench.models import SPECS
from bench.peers import PEERS


def current_rss_bytes() -> int:
    """Resident set size now (Linux ``/proc``), or the peak where ``/proc`` is missing.

    Example:
        >>> current_rss_bytes() > 0
        True
    """
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """Peak resident set size of this process since it started its program.

    ``VmHWM`` rather than ``ru_maxrss``: Linux carries ``ru_maxrss`` over ``exec``, so a
    worker would inherit the parent's peak (the parent holds the whole dataset).

    Example:
        >>> peak_rss_bytes() >= current_rss_bytes() > 0
        True
    """
    try:
        with open("/proc/self/status") as f:
            line = next(line for line in f if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def steal_seconds() -> float | None:
    """CPU seconds the hypervisor has given to other guests, over all CPUs, since boot.

    The ``steal`` column of ``/proc/stat``; None where there is no such file. On a shared
    virtual machine this is what makes the same epoch take 1.0 s one minute and 1.6 s
    the next: the report shows it next to each peer's times.

    Example:
        >>> value = steal_seconds()
        >>> value is None or value >= 0
        True
    """
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def describe_error(exc: BaseException) -> str:
    """``Type: first line of the message``, for one table cell."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0] if message else ''}".rstrip(": ")


class Session:
    """The state of one worker: its peer's factory and, after ``setup``, a trainer."""

    def __init__(self, factory):
        self.factory = factory
        self.trainer = None
        self.baseline_rss = current_rss_bytes()

    def setup(self, model: str, dir: str, check_steps: int) -> dict:
        folder = Path(dir)
        data = load_split(folder)
        with np.load(folder / f"{model}_params.npz") as saved:
            params = {name: saved[name] for name in saved.files}
        self.baseline_rss = current_rss_bytes()
        start = time.perf_counter()
        self.trainer = self.factory(SPECS[model], params, data)
        self.trainer.compile()
        setup_s = time.perf_counter() - start
        # Timed here rather than through Trainer.first_losses: the first call's excess
        # over the next ones is lazy compilation, which counts as compile time.
        costs, seconds = [], []
        for i in range(min(check_steps, self.trainer.n_train_batches)):
            start = time.perf_counter()
            costs.append(float(self.trainer.train_step(i)))
            seconds.append(time.perf_counter() - start)
        eval_seconds = []
        for _ in range(2):
            start = time.perf_counter()
            float(self.trainer.valid_errors(0))
            eval_seconds.append(time.perf_counter() - start)
        return {"setup_s": setup_s, "first_losses": costs, "first_step_s": seconds,
                "first_eval_s": eval_seconds, "steps": self.trainer.n_train_batches}

    def epoch(self) -> dict:
        return self._timed("loss", self.trainer.train_epoch)

    def eval(self) -> dict:
        return self._timed("error", self.trainer.evaluate)

    @staticmethod
    def _timed(name: str, fn) -> dict:
        # CPU seconds (all threads) next to wall seconds show when another process
        # took the cores: cpu / wall drops below the peer's usual thread count.
        cpu, steal, start = _cpu_seconds(), steal_seconds(), time.perf_counter()
        value = fn()
        seconds, stolen = time.perf_counter() - start, steal_seconds()
        return {"seconds": seconds, "cpu_s": _cpu_seconds() - cpu, name: value,
                "steal_s": None if steal is None or stolen is None else stolen - steal}

    def memory(self) -> dict:
        return {"peak_rss": peak_rss_bytes(), "baseline_rss": self.baseline_rss}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def main(argv: list[str]) -> int:
    """Serve one peer; see the module docstring for the protocol."""
    # The protocol owns the real stdout; anything the frameworks print goes to stderr.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def reply(**fields):
        channel.write(json.dumps(fields) + "\n")

    peer = PEERS[argv[0]]
    try:
        session = Session(peer.load())
    # Whatever breaks the import (a missing op, a bad install) is this peer's report.
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        reply(ok=False, error=describe_error(exc))
        return 0
    module = sys.modules[peer.module]
    reply(ok=True, version=_version(peer.package), note=getattr(module, "NOTE", ""))
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("cmd")
        if command == "quit":
            break
        try:
            reply(ok=True, **getattr(session, command)(**request))
        # A failing model is reported per model; the worker stays up for the next command.
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            reply(ok=False, error=describe_error(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
