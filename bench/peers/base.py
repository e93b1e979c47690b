"""The interface every peer implements, and the minibatch loops they all share.

A peer module exposes ``make_trainer(spec, params, data) -> Trainer``:

* ``spec`` is a :class:`bench.models.ModelSpec` (lr, batch size, L2...),
* ``params`` the initial float32 weights from :func:`bench.models.init_params`
  (Theano conventions; the peer copies them, never aliases),
* ``data`` a :class:`bench.data.Data` that the trainer keeps resident, as the
  tutorials keep their datasets in shared variables.

The harness times ``make_trainer`` plus :meth:`Trainer.compile` as "compile time",
then calls :meth:`first_losses`, :meth:`train_epoch` and :meth:`evaluate`. A peer
only writes ``train_step(i)`` and ``valid_errors(i)``: minibatch ``i`` is
``[i * batch, (i + 1) * batch)``, in order, with no shuffling, as in the tutorials.

Example:
    >>> class Constant(Trainer):
    ...     def train_step(self, i):
    ...         return 2.0
    ...     def valid_errors(self, i):
    ...         return 0.25
    >>> from bench.data import synthetic
    >>> from bench.models import SPECS
    >>> t = Constant(SPECS['lenet'], synthetic(1000, 1000))
    >>> t.n_train_batches, t.train_epoch(), t.evaluate(), t.first_losses(5)
    (2, 2.0, 0.25, [2.0, 2.0])
"""
from __future__ import annotations

from bench.data import Data
from bench.models import ModelSpec


class Trainer:
    """Minibatch SGD over resident data; subclasses supply one step and one evaluation."""

    def __init__(self, spec: ModelSpec, data: Data):
        self.spec = spec
        self.n_train_batches = len(data.train_x) // spec.batch_size
        self.n_valid_batches = len(data.valid_x) // spec.eval_batch

    def compile(self) -> None:
        """Do any ahead-of-time compilation, so that no later call compiles."""

    def train_step(self, i: int):
        """One SGD step on train minibatch ``i``; return its cost (anything ``float()`` takes)."""
        raise NotImplementedError

    def valid_errors(self, i: int):
        """Error rate on validation minibatch ``i`` (anything ``float()`` takes)."""
        raise NotImplementedError

    def train_epoch(self) -> float:
        """One pass over every train minibatch; return the mean cost."""
        # float() only at the end, so peers with asynchronous dispatch (JAX) never stall.
        costs = [self.train_step(i) for i in range(self.n_train_batches)]
        return sum(float(c) for c in costs) / len(costs)

    def evaluate(self) -> float:
        """Error rate over the whole validation set."""
        errors = [self.valid_errors(i) for i in range(self.n_valid_batches)]
        return sum(float(e) for e in errors) / len(errors)

    def first_losses(self, n: int) -> list[float]:
        """Train the first ``n`` minibatches (at most one epoch); return each step's cost."""
        return [float(self.train_step(i)) for i in range(min(n, self.n_train_batches))]
