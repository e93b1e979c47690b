"""The machine's floor: measured GEMM rate and memory bandwidth, and each model's counted work.

A step is a list of passes (GEMMs, convolutions, elementwise sweeps). Each pass costs
FLOPs and the bytes of its operands, read once and written once; fusing and caching
can only remove passes, so the sum is what a perfect implementation of *this* pass
list moves. The floor of a step is ``max(FLOPs / GEMM rate, bytes / bandwidth)``,
with the bandwidth of the cache level the step's working set fits in (the L3 when it
does, else DRAM): a floor no implementation should beat.

Example:
    >>> work = step_work('logreg', batch=600, train=True)
    >>> round(work.flops / 1e6, 1)   # forward + dW GEMMs dominate: 4 * 600 * 784 * 10
    18.8
    >>> floor_seconds(work, Machine(gemm_flops=100e9, dram_bw=10e9, cache_bw=50e9,
    ...                             cache_bytes=32 << 20)) > 0
    True
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from bench.models import SPECS

F32 = 4  # bytes


class Work(NamedTuple):
    """FLOPs and bytes moved by a list of passes, and the bytes of distinct arrays it touches."""

    flops: float
    bytes: float
    working_set: float

    def __add__(self, other):
        return Work(*(a + b for a, b in zip(self, other)))

    def times(self, n: int) -> Work:
        """The work of ``n`` repetitions (the working set does not grow)."""
        return Work(self.flops * n, self.bytes * n, self.working_set)


class Machine(NamedTuple):
    """Measured rates: float32 GEMM FLOP/s, copy bandwidths (read + write bytes/s)."""

    gemm_flops: float
    dram_bw: float
    cache_bw: float
    cache_bytes: int


NONE = Work(0.0, 0.0, 0.0)


def gemm(m: int, n: int, k: int) -> Work:
    """(m, k) @ (k, n): 2mnk FLOPs; reads both operands, writes the (m, n) result."""
    return Work(2.0 * m * n * k, F32 * (m * k + k * n + m * n), F32 * m * n)


def conv(n: int, c: int, hw: int, f: int, k: int) -> Work:
    """Valid k x k convolution of n images (c, hw, hw) by f filters, computed directly."""
    out = hw - k + 1
    size_in, size_w, size_out = n * c * hw * hw, f * c * k * k, n * f * out * out
    return Work(2.0 * size_out * c * k * k, F32 * (size_in + size_w + size_out), F32 * size_out)


def sweep(reads: int, writes: int) -> Work:
    """An elementwise pass reading ``reads`` and writing ``writes`` float32 elements."""
    return Work(float(max(reads, writes)), F32 * (reads + writes), F32 * writes)


def _dense(batch: int, n_in: int, n_out: int, train: bool, need_dx: bool, act: bool) -> Work:
    work = gemm(batch, n_out, n_in) + (sweep(batch * n_out, batch * n_out) if act else NONE)
    if train:
        work += gemm(n_in, n_out, batch) + sweep(batch * n_out, n_out)  # dW, db
        work += gemm(batch, n_in, n_out) if need_dx else NONE
        work += sweep(2 * batch * n_out, batch * n_out) if act else NONE  # tanh'
        work += sweep(2 * (n_in * n_out + n_out), n_in * n_out + n_out)  # SGD (L2 fused)
    return work


def _conv_pool(batch: int, c: int, hw: int, f: int, train: bool, need_dx: bool) -> Work:
    out = hw - 4
    conv_size, pooled = batch * f * out * out, batch * f * (out // 2) ** 2
    fwd = conv(batch, c, hw, f, 5)
    work = fwd + sweep(conv_size, pooled) + sweep(pooled, pooled)  # pool, bias + tanh
    if train:
        work += sweep(2 * pooled, pooled)  # tanh'
        work += sweep(conv_size + 2 * pooled, conv_size)  # unpool to the winners
        work += fwd  # dW: same FLOPs and operands as the forward pass
        work += fwd if need_dx else NONE
        work += sweep(2 * f * (c * 25 + 1), f * (c * 25 + 1))  # SGD
    return work


def _softmax_nll(batch: int, train: bool) -> Work:
    return sweep(batch * 10, batch * 10) + (sweep(batch * 10, batch * 10) if train else NONE)


def step_work(model: str, batch: int, train: bool) -> Work:
    """Counted work of one training step (``train``) or one evaluation batch.

    Example:
        >>> w = step_work('lenet', batch=500, train=True)
        >>> 6e9 < w.flops < 8e9   # conv1's three passes of 1.6 GFLOP dominate
        True
    """
    if model == "logreg":
        body = _dense(batch, 784, 10, train, need_dx=False, act=False)
    elif model == "mlp":
        body = (_dense(batch, 784, 500, train, need_dx=False, act=True)
                + _dense(batch, 500, 10, train, need_dx=True, act=False))
    elif model == "lenet":
        body = (_conv_pool(batch, 1, 28, 20, train, need_dx=False)
                + _conv_pool(batch, 20, 12, 50, train, need_dx=True)
                + _dense(batch, 800, 500, train, need_dx=True, act=True)
                + _dense(batch, 500, 10, train, need_dx=True, act=False))
    else:
        raise KeyError(model)
    minibatch = Work(0.0, 0.0, F32 * batch * 784)  # read by the first pass, not yet counted
    return body + _softmax_nll(batch, train) + minibatch


def floor_seconds(work: Work, machine: Machine) -> float:
    """``max(FLOPs / GEMM rate, bytes / bandwidth)`` for the cache level the work fits in."""
    bandwidth = machine.cache_bw if work.working_set <= machine.cache_bytes else machine.dram_bw
    return max(work.flops / machine.gemm_flops, work.bytes / bandwidth)


def epoch_floor(model: str, n_train: int, n_valid: int, machine: Machine) -> dict:
    """Floors of one training epoch and one validation pass, with the counts behind them."""
    spec = SPECS[model]
    step = step_work(model, spec.batch_size, train=True)
    evaluation = step_work(model, spec.eval_batch, train=False)
    n_steps, n_eval = n_train // spec.batch_size, n_valid // spec.eval_batch
    return {
        "step_flops": step.flops, "step_bytes": step.bytes, "step_working_set": step.working_set,
        "steps": n_steps,
        "epoch_floor_s": n_steps * floor_seconds(step, machine),
        "epoch_bound": "GEMM" if step.flops / machine.gemm_flops >= floor_seconds(step, machine)
        else "memory",
        "eval_floor_s": n_eval * floor_seconds(evaluation, machine),
    }


def best_of(*machines: Machine) -> Machine:
    """Each rate's best over several measurements: other processes only ever slow one down.

    Example:
        >>> a, b = Machine(1.0, 5.0, 3.0, 8), Machine(2.0, 4.0, 3.0, 8)
        >>> best_of(a, b)
        Machine(gemm_flops=2.0, dram_bw=5.0, cache_bw=3.0, cache_bytes=8)
    """
    return Machine(*(max(values) for values in zip(*machines)))


def _best_seconds(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def l3_bytes(default: int = 32 << 20) -> int:
    """The last-level cache size from sysfs (Linux), or ``default``."""
    path = Path("/sys/devices/system/cpu/cpu0/cache/index3/size")
    try:
        text = path.read_text().strip()
    except OSError:
        return default
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def measure_machine() -> Machine:
    """Best-of-N SGEMM (1024^3 float32 with numpy) and array-copy bandwidths (about 1 s).

    Bandwidth counts read + write bytes: a copy of N bytes moves 2N. The DRAM figure
    copies 256 MiB; the cache figure copies arrays that together fill half the L3.

    Example:
        >>> m = measure_machine()
        >>> m.gemm_flops > 1e9 and m.dram_bw > 1e9 and m.cache_bw > 1e9
        True
    """
    n = 1024
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    out = np.empty_like(a)
    gemm_s = _best_seconds(lambda: np.matmul(a, a, out=out), 10)
    cache = l3_bytes()
    rates = []
    for nbytes, repeats in ((256 << 20, 5), (cache // 4, 50)):
        src = np.ones(nbytes // F32, dtype=np.float32)
        dst = np.empty_like(src)
        rates.append(2 * nbytes / _best_seconds(lambda d=dst, s=src: np.copyto(d, s), repeats))
    return Machine(2.0 * n ** 3 / gemm_s, rates[0], rates[1], cache)
