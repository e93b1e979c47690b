"""Learning-rate schedules: the rate for each epoch, set between epochs on ``opt.lr``.

A schedule is a callable ``schedule(epoch) -> lr`` (``epoch`` counts from 1,
as the tutorials do); the Trainer calls it after each epoch and writes the
result with ``opt.lr.set_value``, which needs no recompilation.

Example:
    >>> from theanine.schedules import StepLR, ExponentialLR, CosineLR
    >>> [StepLR(0.1, step_size=2, gamma=0.5)(e) for e in (1, 2, 3, 4, 5)]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    >>> round(CosineLR(0.1, total_epochs=10)(11), 6)
    0.0
"""
from __future__ import annotations

import math


class StepLR:
    """``base_lr * gamma ** ((epoch - 1) // step_size)``.

    Example:
        >>> from theanine.schedules import StepLR
        >>> StepLR(1.0, step_size=1, gamma=0.1)(3)
        0.010000000000000002
    """

    def __init__(self, base_lr, step_size, gamma=0.1):
        self.base_lr, self.step_size, self.gamma = base_lr, step_size, gamma

    def __call__(self, epoch):
        return self.base_lr * self.gamma ** ((epoch - 1) // self.step_size)


class ExponentialLR:
    """``base_lr * gamma ** (epoch - 1)``.

    Example:
        >>> from theanine.schedules import ExponentialLR
        >>> ExponentialLR(1.0, gamma=0.5)(3)
        0.25
    """

    def __init__(self, base_lr, gamma):
        self.base_lr, self.gamma = base_lr, gamma

    def __call__(self, epoch):
        return self.base_lr * self.gamma ** (epoch - 1)


class CosineLR:
    """Cosine annealing from ``base_lr`` at epoch 1 to ``min_lr`` after ``total_epochs``.

    Example:
        >>> from theanine.schedules import CosineLR
        >>> CosineLR(1.0, total_epochs=4)(1), CosineLR(1.0, total_epochs=4)(3)
        (1.0, 0.5)
    """

    def __init__(self, base_lr, total_epochs, min_lr=0.0):
        self.base_lr, self.total_epochs, self.min_lr = base_lr, total_epochs, min_lr

    def __call__(self, epoch):
        progress = min(epoch - 1, self.total_epochs) / self.total_epochs
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return self.min_lr + (self.base_lr - self.min_lr) * cosine


SCHEDULES = {"step": StepLR, "exponential": ExponentialLR, "cosine": CosineLR}


def make_schedule(spec, base_lr, epochs):
    """A schedule from a command-line spec: 'step:STEP[:GAMMA]', 'exp:GAMMA', 'cosine'.

    Example:
        >>> from theanine.schedules import make_schedule
        >>> make_schedule('step:10:0.5', 0.1, 100)(11)
        0.05
        >>> make_schedule(None, 0.1, 100) is None
        True
    """
    if not spec:
        return None
    kind, *args = spec.split(":")
    try:
        numbers = [float(a) for a in args]
        if kind == "step":
            return StepLR(base_lr, int(numbers[0]), *(numbers[1:2] or [0.1]))
        if kind in ("exp", "exponential"):
            return ExponentialLR(base_lr, numbers[0])
        if kind == "cosine":
            return CosineLR(base_lr, epochs, *(numbers[:1] or [0.0]))
    except (IndexError, ValueError):
        pass
    raise ValueError(f"bad schedule {spec!r}; use 'step:STEP[:GAMMA]', 'exp:GAMMA' or "
                     f"'cosine[:MIN_LR]'")
