"""Backends: where arrays live and which kernels run each op.

``get_backend()`` returns the backend chosen by ``config.device``: 'cpu' is
NumPy; 'cuda' is CuPy (an optional extra); 'auto' is CuPy when a GPU is
usable, otherwise NumPy.

Example:
    >>> from theanine.backends import get_backend
    >>> get_backend('cpu').name
    'numpy'
"""
from __future__ import annotations

_BACKENDS = {}


def get_backend(device=None):
    """The backend object for ``device`` (default: ``config.device``)."""
    from theanine.config import config
    device = device or config.device
    if device in ("gpu",):
        device = "cuda"
    if device == "auto":
        from theanine.backends import cupy_backend
        device = "cuda" if cupy_backend.is_available() else "cpu"
    if device not in _BACKENDS:
        if device == "cpu":
            from theanine.backends.numpy_backend import NumpyBackend
            _BACKENDS[device] = NumpyBackend()
        elif device == "cuda":
            from theanine.backends.cupy_backend import CupyBackend
            _BACKENDS[device] = CupyBackend()
        else:
            raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'auto'")
    return _BACKENDS[device]
