"""Early stopping exactly as the Deep Learning Tutorials define it.

Patience is counted in minibatch iterations. The model is validated every
``validation_frequency = min(n_train_batches, patience // 2)`` iterations; a
new best validation error that beats the old one by the factor
``improvement_threshold`` raises patience to ``iteration * patience_increase``;
training stops once ``patience <= iteration``.

Example:
    >>> from theanine.train import EarlyStopping
    >>> stop = EarlyStopping(patience=10, patience_increase=2, improvement_threshold=0.995)
    >>> stop.start(n_train_batches=4)
    4
    >>> stop.report(iteration=3, validation_loss=0.5), stop.patience
    (True, 10)
    >>> stop.report(iteration=7, validation_loss=0.4), stop.patience
    (True, 14)
    >>> stop.should_stop(13), stop.should_stop(14)
    (False, True)
"""
from __future__ import annotations

import math


class EarlyStopping:
    """The tutorials' patience rule; ``patience=None`` never stops early.

    Example:
        >>> from theanine.train import EarlyStopping
        >>> EarlyStopping(patience=5000).start(83)
        83
    """

    def __init__(self, patience=5000, patience_increase=2, improvement_threshold=0.995):
        self.patience = math.inf if patience is None else patience
        self.patience_increase = patience_increase
        self.improvement_threshold = improvement_threshold
        self.best_validation_loss = math.inf
        self.best_iter = None
        self.validation_frequency = None

    def start(self, n_train_batches):
        """Fix the validation frequency for a run with ``n_train_batches`` per epoch."""
        if self.validation_frequency is None:
            half = n_train_batches if math.isinf(self.patience) else int(self.patience // 2)
            self.validation_frequency = max(1, min(n_train_batches, half))
        return self.validation_frequency

    def is_validation_iteration(self, iteration):
        """True when the model is validated after minibatch ``iteration`` (from 0)."""
        return (iteration + 1) % self.validation_frequency == 0

    def report(self, iteration, validation_loss):
        """Record a validation error; True when it is a new best (then measure the test)."""
        if validation_loss >= self.best_validation_loss:
            return False
        if validation_loss < self.best_validation_loss * self.improvement_threshold:
            self.patience = max(self.patience, iteration * self.patience_increase)
        self.best_validation_loss = validation_loss
        self.best_iter = iteration
        return True

    def should_stop(self, iteration):
        """True once patience has run out (``patience <= iteration``)."""
        return self.patience <= iteration

    def state_dict(self):
        """The rule's state as JSON-friendly values, for checkpoints."""
        return {"patience": None if math.isinf(self.patience) else self.patience,
                "best_validation_loss": None if math.isinf(self.best_validation_loss)
                else self.best_validation_loss,
                "best_iter": self.best_iter, "validation_frequency": self.validation_frequency}

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned."""
        self.patience = math.inf if state["patience"] is None else state["patience"]
        loss = state["best_validation_loss"]
        self.best_validation_loss = math.inf if loss is None else loss
        self.best_iter = state["best_iter"]
        self.validation_frequency = state["validation_frequency"]
