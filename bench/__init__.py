"""theanine's benchmark suite: the tutorials' models, trained by theanine and its peers.

Run ``python -m bench --help``; ``theanine bench`` calls :func:`main` with its arguments.
What is measured and why is in ``docs/BENCHMARKS.md``.

Example:
    >>> from bench import main
    >>> callable(main)
    True
"""
from bench.cli import main

__all__ = ["main"]
