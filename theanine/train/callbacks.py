"""Callbacks: code the Trainer runs at fixed points of training.

Subclass :class:`Callback` and override what you need; set
``trainer.stop_training = True`` to end training after the current minibatch.

Example:
    >>> from theanine.train import Callback
    >>> class PrintBest(Callback):
    ...     def on_epoch_end(self, trainer, record):
    ...         if record['best']:
    ...             print('new best at epoch', record['epoch'])
"""
from __future__ import annotations

import sys


class Callback:
    """Hooks called by :class:`~theanine.train.Trainer`; each does nothing by default.

    Example:
        >>> from theanine.train import Callback
        >>> class StopAtEpoch3(Callback):
        ...     def on_epoch_end(self, trainer, record):
        ...         trainer.stop_training = record['epoch'] >= 3
    """

    def on_train_begin(self, trainer):
        """After compiling, before the first minibatch."""

    def on_epoch_begin(self, trainer, epoch):
        """Before the first minibatch of ``epoch`` (counted from 1)."""

    def on_batch_end(self, trainer, iteration, loss, error):
        """After minibatch ``iteration`` (from 0), with its training loss and error."""

    def on_validation(self, trainer, iteration, valid_error, test_error):
        """After a validation (``test_error`` is None unless it was a new best)."""

    def on_epoch_end(self, trainer, record):
        """After an epoch, once its record is in the history and the checkpoint written."""

    def on_train_end(self, trainer, history):
        """After the last epoch (and after the best parameters were restored)."""


class EpochPrinter(Callback):
    """Prints one line per epoch: losses, errors, a star at a new best, time.

    Example:
        >>> from theanine.train.callbacks import format_record
        >>> format_record({'epoch': 2, 'train_loss': 0.5, 'train_error': 0.1,
        ...                'valid_error': 0.08, 'test_error': 0.07, 'best': True,
        ...                'time': 1.5}, 10)
        'epoch   2/10  loss 0.5000  train 10.00%  valid 8.00%  test 7.00% *  1.5s'
    """

    def __init__(self, n_epochs, stream=None):
        self.n_epochs = n_epochs
        self.stream = stream

    def on_epoch_end(self, trainer, record):
        print(format_record(record, self.n_epochs), file=self.stream or sys.stdout,
              flush=True)


def format_record(record, n_epochs):
    """One epoch's record as the line :class:`EpochPrinter` prints."""
    parts = [f"epoch {record['epoch']:3d}/{n_epochs}",
             f"loss {record['train_loss']:.4f}", f"train {100 * record['train_error']:.2f}%"]
    if record.get("valid_error") is not None:
        parts.append(f"valid {100 * record['valid_error']:.2f}%")
    if record.get("test_error") is not None:
        parts.append(f"test {100 * record['test_error']:.2f}%" + (" *" if record["best"] else ""))
    parts.append(f"{record['time']:.1f}s")
    return "  ".join(parts)


class ProgressBar(Callback):
    """A tqdm bar per epoch showing the running loss; off when stderr is not a terminal.

    Example:
        >>> from theanine.train import ProgressBar
        >>> ProgressBar(83, disable=True).refresh_every
        1
    """

    def __init__(self, n_train_batches, disable=None, refresh_every=None):
        self.total = n_train_batches
        self.disable = (not sys.stderr.isatty()) if disable is None else disable
        self.refresh_every = refresh_every or max(1, n_train_batches // 50)
        self.bar = None
        self._sum = self._count = 0

    def on_epoch_begin(self, trainer, epoch):
        if self.disable:
            return
        from tqdm import tqdm
        self.bar = tqdm(total=self.total, desc=f"epoch {epoch}", leave=False, unit="batch",
                        initial=trainer.loop["batch"])
        self._sum = self._count = 0

    def on_batch_end(self, trainer, iteration, loss, error):
        if self.bar is None:
            return
        self._sum += loss
        self._count += 1
        if self._count % self.refresh_every == 0:
            self.bar.set_postfix(loss=f"{self._sum / self._count:.4f}", refresh=False)
            self.bar.update(self.refresh_every)

    def on_epoch_end(self, trainer, record):
        self.close()

    def on_train_end(self, trainer, history):
        self.close()

    def close(self):
        """Remove the bar (also called when training stops early)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
