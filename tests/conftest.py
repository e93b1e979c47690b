"""Shared fixtures: the ``backend`` fixture, hypothesis settings, MNIST loading.

Every op test takes ``backend``, so it runs once per available backend: 'cpu'
always, 'cuda' when CuPy imports, a GPU is present and theanine has a CuPy
backend (otherwise that case is skipped with the reason).
"""
from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import theanine

settings.register_profile(
    "theanine", max_examples=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("THEANINE_HYPOTHESIS_PROFILE", "theanine"))


def cuda_unavailable_reason():
    """Why the 'cuda' backend cannot run here, or None when it can."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CUDA library that fails to load
        return f"cupy is not importable ({type(exc).__name__}: {exc})"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no CUDA device"
    except Exception as exc:
        return f"no usable CUDA device ({exc})"
    try:
        from theanine.backends import get_backend
        get_backend("cuda")
    except Exception as exc:
        return f"theanine has no usable CUDA backend ({type(exc).__name__}: {exc})"
    return None


@pytest.fixture(params=["cpu", "cupy-table-on-numpy",
                        pytest.param("cuda", marks=pytest.mark.gpu)])
def backend(request, monkeypatch):
    """The device name; the test body runs under ``config.change_flags(device=...)``.

    'cupy-table-on-numpy' runs the CuPy backend's kernel table with NumPy as its
    array module, so every override the GPU uses is checked on every machine
    (the CUDA-specific pieces, generated kernels and cuBLAS, only on a GPU).
    """
    device = request.param
    if device == "cuda":
        reason = cuda_unavailable_reason()
        if reason:
            pytest.skip(reason)
    if device == "cupy-table-on-numpy":
        from theanine import backends
        from theanine.backends.cupy_backend import CupyBackend
        monkeypatch.setattr(backends, "_BACKENDS", {"cpu": CupyBackend(xp=np)})
        device = "cpu"
    with theanine.config.change_flags(device=device):
        yield device


def host(value):
    """A compiled function's output as a NumPy array, whatever backend produced it."""
    if hasattr(value, "get") and not isinstance(value, np.ndarray):
        return value.get()
    return np.asarray(value)


# ---------------------------------------------------------------- MNIST

_ALLOWED_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    # Python 2 pickles can run code when loaded: allow only what numpy arrays need.
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"mnist.pkl.gz: global {module}.{name} is not allowed")
        return super().find_class(module, name)


def _read_tutorial_pickle(path):
    with gzip.open(path, "rb") as f:
        return _RestrictedUnpickler(f, encoding="latin1").load()


def load_tutorial_mnist():
    """``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))`` or skip the test.

    Uses ``theanine.data.load_mnist`` (no download) when it is available, else reads
    ``$THEANINE_DATA/mnist.pkl.gz`` with a restricted unpickler.
    """
    try:
        from theanine.data import load_mnist
    except ImportError:
        load_mnist = None
    if load_mnist is not None:
        from theanine.data import DataError
        try:
            splits = load_mnist(dtype="float32", download=False)
        except DataError as exc:
            pytest.skip(f"MNIST is not available: {exc}")
        return tuple((np.asarray(s.x), np.asarray(s.y)) for s in splits)
    root = os.environ.get("THEANINE_DATA")
    path = Path(root) / "mnist.pkl.gz" if root else None
    if path is None or not path.is_file():
        pytest.skip("MNIST is not available: set THEANINE_DATA to a folder with mnist.pkl.gz")
    return _read_tutorial_pickle(path)


@pytest.fixture(scope="session")
def mnist():
    """The tutorial's MNIST splits (float32 images, int64 labels); skips when absent."""
    return load_tutorial_mnist()


# ---------------------------------------------------------------- op-test helpers

def symbolic_like(array, dtype=None, name=None):
    """A symbolic input for ``array``: its ndim, ``dtype``, size-1 dims broadcastable."""
    import theanine.tensor as T
    shape = tuple(1 if d == 1 else None for d in np.shape(array))
    return T.tensor(dtype or np.asarray(array).dtype, shape, name=name)


def run_op(build, arrays, dtype=None):
    """Compile ``build(*inputs)`` for inputs made like ``arrays`` and run it on them.

    The arrays are cast to ``dtype`` when given; returns ``(output as NumPy, output
    variable)``.
    """
    arrays = [np.asarray(a, dtype=dtype) if dtype else np.asarray(a) for a in arrays]
    inputs = [symbolic_like(a, name=f"in{k}") for k, a in enumerate(arrays)]
    out = build(*inputs)
    f = theanine.function(inputs, out, on_unused_input="ignore")
    return host(f(*arrays)), out
