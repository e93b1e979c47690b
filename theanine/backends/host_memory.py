"""Keeping freed host memory for reuse, so a training step does not page-fault.

A compiled step allocates the same temporaries on every call (a weight
gradient, a fused result). glibc serves allocations above its mmap threshold
(128 KiB at start) with fresh ``mmap`` pages and unmaps them on ``free``, so each
step pays a page fault per 4 KiB of every large temporary: measured here, the
tutorial MLP's step ran 3x slower in a fresh process than in one whose earlier
large frees had raised glibc's adaptive threshold. Fixing both thresholds once
makes every process behave like the fast one; PyTorch's caching allocator exists
for the same reason.

Example:
    >>> from theanine.backends.host_memory import keep_freed_memory
    >>> keep_freed_memory() in (True, False)
    True
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Allocations below this come from the reusable heap (glibc caps it at 32 MiB on 64-bit).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Freed heap memory above this is returned to the system.
TRIM_THRESHOLD = 256 * 1024 * 1024

_done = None


def keep_freed_memory():
    """Set glibc's thresholds once per process; True if they were set (Linux/glibc only)."""
    global _done
    if _done is None:
        _done = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
                    bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            except (OSError, AttributeError):
                _done = False
    return _done
