"""``History``: one record per epoch of every figure the Trainer measured.

Records are dicts with ``epoch``, ``iteration``, ``train_loss``,
``train_error``, ``valid_error``, ``test_error`` (measured at a new best
validation error, else None), ``best`` (a new best this epoch), ``lr`` and
``time`` (seconds). ``history['valid_error']`` is one column.

Example:
    >>> from theanine.train import History
    >>> h = History()
    >>> h.append({'epoch': 1, 'valid_error': 0.1})
    >>> h.append({'epoch': 2, 'valid_error': 0.08})
    >>> h['valid_error'], len(h), h.last['epoch']
    ([0.1, 0.08], 2, 2)
"""
from __future__ import annotations

COLUMNS = ("epoch", "iteration", "train_loss", "train_error", "valid_error", "test_error",
           "best", "lr", "time")


class History:
    """Per-epoch records plus ``summary`` (best validation and test errors, stop reason).

    Example:
        >>> from theanine.train import History
        >>> History([{'epoch': 1, 'train_loss': 0.3}], {'test_error': 0.07})['train_loss']
        [0.3]
    """

    def __init__(self, records=None, summary=None):
        self.records = [dict(r) for r in records or []]
        self.summary = dict(summary or {})

    def append(self, record):
        """Add one epoch's record."""
        self.records.append(dict(record))

    def __len__(self):
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.records[key]
        return [r.get(key) for r in self.records]

    @property
    def last(self):
        """The latest record (None before the first epoch ends)."""
        return self.records[-1] if self.records else None

    def __repr__(self):
        return f"History({len(self)} epochs, summary={self.summary})"
