"""Turns the runner's results into the printed tables: timings, floor, ratios, loss check.

Example:
    >>> check = loss_check({'numpy': {'first_losses': [2.30, 2.10]},
    ...                     'torch': {'first_losses': [2.30, 2.1000001]},
    ...                     'jax': {'status': 'not installed (jax)'}}, rtol=1e-4)
    >>> [(peer, ok) for peer, ok, _ in check]
    [('torch', True), ('jax', None)]
"""
from __future__ import annotations

import os
import platform
import statistics

import numpy as np

from bench.floor import Machine
from bench.models import SPECS
from bench.peers import PEERS, REFERENCE

MB = 1 << 20


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _times(value: float | None, floor: float) -> str:
    return "—" if value is None or floor <= 0 else f"{value / floor:.1f}×"


def reference_peer(results: dict) -> str | None:
    """The NumPy peer when it produced losses, otherwise the first peer that did."""
    with_losses = [p for p, r in results.items() if r.get("first_losses")]
    if REFERENCE in with_losses:
        return REFERENCE
    return with_losses[0] if with_losses else None


def loss_check(results: dict, rtol: float) -> list[tuple[str, bool | None, str]]:
    """Compare every peer's first costs with the reference peer's: (peer, ok, detail).

    ``ok`` is None for a peer that produced no costs (not installed, failed...).
    """
    ref = reference_peer(results)
    checks = []
    for peer, r in results.items():
        if peer == ref:
            continue
        if not r.get("first_losses"):
            checks.append((peer, None, r.get("status", "no losses")))
            continue
        mine, theirs = np.array(r["first_losses"]), np.array(results[ref]["first_losses"])
        n = min(len(mine), len(theirs))
        rel = np.abs(mine[:n] - theirs[:n]) / np.maximum(np.abs(theirs[:n]), 1e-12)
        worst = int(np.argmax(rel))
        ok = bool(np.all(rel <= rtol)) and n > 0
        detail = f"max rel diff {rel[worst]:.1e}"
        if not ok:
            detail += f" at step {worst}: {mine[worst]:.7g} vs {theirs[worst]:.7g}"
        checks.append((peer, ok, detail))
    return checks


def format_loss_check(results: dict, rtol: float) -> str:
    """One line per peer: does it train like the reference for the first steps?"""
    ref = reference_peer(results)
    if ref is None:
        return "loss check: no peer produced losses"
    n = len(results[ref]["first_losses"])
    steps = f"{n} step" + ("s'" if n != 1 else "'s")
    lines = [f"loss check: first {steps} costs vs {PEERS[ref].label} (rtol {rtol:g}); "
             f"{PEERS[ref].label}: " + " ".join(f"{c:.6f}" for c in results[ref]["first_losses"])]
    for peer, ok, detail in loss_check(results, rtol):
        verdict = {True: "ok", False: "MISMATCH", None: "not checked"}[ok]
        lines.append(f"  {PEERS[peer].label:<16} {verdict:<11} {detail}")
    return "\n".join(lines)


def machine_lines(machine: Machine, data_source: str, n_train: int, n_valid: int,
                  epochs: int) -> str:
    """The run's header: machine, floor rates, data."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    from theanine.backends import cblas
    blas = cblas.description()
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "?"
    return "\n".join([
        f"machine: {os.cpu_count()} CPUs {platform.machine()} ({cpu}), Python "
        f"{platform.python_version()}, numpy {np.__version__} ({blas})",
        f"floor rates: SGEMM {machine.gemm_flops / 1e9:.1f} GFLOP/s (numpy, best of several) · "
        f"copy bandwidth DRAM {machine.dram_bw / 1e9:.1f} GB/s, "
        f"L3 ({machine.cache_bytes // MB} MiB) {machine.cache_bw / 1e9:.1f} GB/s (read + write)",
        f"data: {data_source} · {n_train} train / {n_valid} valid samples · "
        f"{epochs} timed epochs after 1 warm-up, medians shown · load average at start {load}",
    ])


def _row(r: dict, floor: dict) -> str:
    if r["status"] != "ok":
        return f"{r['label']:<16} {r['status']}"
    peak = r.get("peak_rss")
    extra = None if peak is None else (peak - r["baseline_rss"]) / MB
    error = r.get("valid_error")
    return (f"{r['label']:<16} {_seconds(r['epoch_median_s']):>8} "
            f"{_times(r['epoch_median_s'], floor['epoch_floor_s']):>7} "
            f"{_seconds(r['eval_median_s']):>8} "
            f"{_times(r['eval_median_s'], floor['eval_floor_s']):>7} "
            f"{_seconds(r['compile_s']):>9} "
            f"{'—' if peak is None else f'{peak / MB:.0f}':>8} "
            f"{'—' if extra is None else f'{extra:+.0f}':>6} "
            f"{'—' if error is None else f'{100 * error:.2f}%':>9} {_cores(r):>8} "
            f"{steal_share(r):>6}")


def _cores(r: dict) -> str:
    """Median CPU seconds per wall second of the timed epochs: the cores a peer kept busy.

    Well under its thread count means another process took the CPU during the run.
    """
    pairs = zip(r.get("epoch_cpu_s", []), r["epoch_s"])
    shares = sorted(cpu / wall for cpu, wall in pairs if wall > 0)
    return f"{shares[len(shares) // 2]:.2f}" if shares else "—"


def steal_share(r: dict) -> str:
    """Median share of the machine's CPU time taken by the hypervisor during the epochs.

    A few percent is a quiet machine; at 10-20 % the same epoch runs up to 1.5x slower,
    more so for peers whose threads wait on each other (BLAS), so read their ratios
    with it.

    >>> import os
    >>> cpus = os.cpu_count() or 1
    >>> steal_share({"epoch_s": [2.0, 2.0], "epoch_steal_s": [0.2 * cpus, 0.0]})
    '10%'
    """
    pairs = zip(r.get("epoch_steal_s", []), r["epoch_s"])
    cpus = os.cpu_count() or 1
    shares = sorted(steal / (wall * cpus) for steal, wall in pairs
                    if steal is not None and wall > 0)
    return f"{100 * shares[len(shares) // 2]:.0f}%" if shares else "—"


def _ratio(a: float | None, b: float | None, least: float = 0.0) -> str:
    """``a / b``, or a dash when either is missing or below ``least`` (noise, not a cost)."""
    return "—" if not a or not b or min(a, b) < least else f"{a / b:.2f}"


def paired_ratio(mine: list[float], theirs: list[float]) -> float | None:
    """Median over repetitions of ``mine[k] / theirs[k]``: epochs run back to back.

    The runner alternates peers epoch by epoch, so the two epochs of one repetition
    are seconds apart and share the machine's mood of that moment; on a VM whose
    speed drifts by tens of percent over minutes this ratio moves less than the
    ratio of the two medians, which may come from different moments.

    >>> paired_ratio([1.0, 2.0, 1.1], [1.0, 2.2, 1.0])
    1.0
    >>> paired_ratio([], [1.0]) is None
    True
    """
    ratios = [a / b for a, b in zip(mine, theirs) if a and b]
    return statistics.median(ratios) if ratios else None


def format_ratios(results: dict) -> str:
    """theanine's figures divided by each other peer's (below 1: theanine is faster).

    ``epoch``: ratio of the median epochs; ``paired``: :func:`paired_ratio`.
    """
    mine = results.get("theanine")
    if mine is None:
        return "theanine / peer: theanine not in this run"
    if mine["status"] != "ok":
        return f"theanine / peer: — (theanine {mine['status']})"
    lines = [f"{'theanine / peer':<16} {'epoch':>7} {'paired':>7} {'eval':>7} {'compile':>8} "
             f"{'peak':>7}"]
    for peer, r in results.items():
        if peer == "theanine" or r["status"] != "ok":
            continue
        paired = paired_ratio(mine["epoch_s"], r["epoch_s"])
        lines.append(f"{r['label']:<16} {_ratio(mine['epoch_median_s'], r['epoch_median_s']):>7} "
                     f"{'—' if paired is None else f'{paired:.2f}':>7} "
                     f"{_ratio(mine['eval_median_s'], r['eval_median_s']):>7} "
                     f"{_ratio(mine['compile_s'], r['compile_s'], least=0.01):>8} "
                     f"{_ratio(mine.get('peak_rss'), r.get('peak_rss')):>7}")
    return "\n".join(lines)


def format_model(model: str, results: dict, floor: dict, rtol: float) -> str:
    """The block printed for one model."""
    spec = SPECS[model]
    l2 = f", L2 {spec.l2:g}" if spec.l2 else ""
    ws = floor["step_working_set"]
    header = [
        f"== {model}: {spec.title} · batch {spec.batch_size}, lr {spec.lr:g}{l2} · "
        f"{floor['steps']} steps/epoch",
        f"counted per step: {floor['step_flops'] / 1e6:.1f} MFLOP, "
        f"{floor['step_bytes'] / 1e6:.1f} MB moved, working set {ws / 1e6:.1f} MB · "
        f"floor {_seconds(floor['epoch_floor_s'])} s/epoch ({floor['epoch_bound']}-bound), "
        f"{_seconds(floor['eval_floor_s'])} s/eval",
        f"{'peer':<16} {'epoch s':>8} {'×floor':>7} {'eval s':>8} {'×floor':>7} "
        f"{'compile s':>9} {'peak MB':>8} {'+MB':>6} {'valid err':>9} {'cpu/wall':>8} "
        f"{'steal':>6}",
    ]
    rows = [_row(r, floor) for r in results.values()]
    versions = [f"{r['label']} {r['version']}" + (f" ({r['note']})" if r.get("note") else "")
                for r in results.values() if "version" in r]
    return "\n".join(header + rows + ["versions: " + ", ".join(versions),
                                       format_ratios(results), format_loss_check(results, rtol)])
