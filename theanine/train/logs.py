"""The run folder's logs: ``config.json``, ``metrics.jsonl`` and ``metrics.csv``.

Example:
    >>> import tempfile, os
    >>> from theanine.train.logs import RunLog
    >>> log = RunLog(tempfile.mkdtemp())
    >>> log.write_config({'model': 'logreg'})
    >>> log.append({'epoch': 1, 'valid_error': 0.1})
    >>> sorted(os.listdir(log.run_dir))
    ['config.json', 'metrics.csv', 'metrics.jsonl']
"""
from __future__ import annotations

import csv
import json
import os

from theanine.train.history import COLUMNS

CONFIG = "config.json"
METRICS_JSONL = "metrics.jsonl"
METRICS_CSV = "metrics.csv"


class RunLog:
    """Writes a run's configuration and one line per epoch to both metrics files."""

    def __init__(self, run_dir):
        self.run_dir = str(run_dir)
        os.makedirs(self.run_dir, exist_ok=True)

    def write_config(self, config):
        """Write ``config.json`` (atomically)."""
        path = os.path.join(self.run_dir, CONFIG)
        with open(path + ".tmp", "w") as handle:
            json.dump(config, handle, indent=2, sort_keys=True, default=str)
        os.replace(path + ".tmp", path)

    def rewrite(self, records):
        """Replace both metrics files by ``records`` (a resumed run starts from here)."""
        for name in (METRICS_JSONL, METRICS_CSV):
            path = os.path.join(self.run_dir, name)
            if os.path.exists(path):
                os.remove(path)
        for record in records:
            self.append(record)

    def append(self, record):
        """Add one epoch's record to ``metrics.jsonl`` and ``metrics.csv``."""
        with open(os.path.join(self.run_dir, METRICS_JSONL), "a") as handle:
            handle.write(json.dumps(record) + "\n")
        path = os.path.join(self.run_dir, METRICS_CSV)
        new = not os.path.exists(path)
        with open(path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({k: ("" if record.get(k) is None else record.get(k))
                             for k in COLUMNS})


def read_config(run_dir):
    """The ``config.json`` of a run folder as a dict.

    Example:
        >>> import tempfile
        >>> from theanine.train.logs import RunLog, read_config
        >>> log = RunLog(tempfile.mkdtemp()); log.write_config({'seed': 1})
        >>> read_config(log.run_dir)
        {'seed': 1}
    """
    with open(os.path.join(run_dir, CONFIG)) as handle:
        return json.load(handle)


def read_metrics(run_dir):
    """The records of ``metrics.jsonl`` (an empty list when there is none yet).

    Example:
        >>> import tempfile
        >>> from theanine.train.logs import RunLog, read_metrics
        >>> log = RunLog(tempfile.mkdtemp()); log.append({'epoch': 1})
        >>> read_metrics(log.run_dir)
        [{'epoch': 1}]
    """
    path = os.path.join(run_dir, METRICS_JSONL)
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]
