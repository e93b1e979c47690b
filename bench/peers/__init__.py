"""The peers the benchmark can run, and how to find out whether each is installed.

Each peer is a module exposing a ``make_trainer``-style factory (see
:mod:`bench.peers.base` for the interface); a variant of a framework (torch.compile,
PyTensor's Numba backend) is a second factory in the same module.

Example:
    >>> PEERS['numpy'].label, PEERS['numpy'].package
    ('numpy layers', 'numpy')
    >>> missing_package('numpy') is None
    True
    >>> missing_package('no_such_package_xyz')
    'no_such_package_xyz'
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import NamedTuple


class Peer(NamedTuple):
    """Where a peer's factory lives, the package it needs, the models it runs by default."""

    name: str
    label: str
    package: str
    module: str
    factory: str
    default_models: tuple[str, ...] = ("logreg", "mlp", "lenet")

    def load(self) -> Callable:
        """Import the peer (and its framework) and return its factory."""
        return getattr(importlib.import_module(self.module), self.factory)


PEERS = {p.name: p for p in [
    Peer("numpy", "numpy layers", "numpy", "bench.peers.numpy_layers", "make_trainer"),
    Peer("torch", "torch eager", "torch", "bench.peers.torch_eager", "make_trainer"),
    # Compiling costs 10-60 s per model on two cores; it pays off only for LeNet.
    Peer("torch-compile", "torch.compile", "torch", "bench.peers.torch_eager",
         "make_compiled_trainer", ("lenet",)),
    Peer("jax", "jax jit", "jax", "bench.peers.jax_jit", "make_trainer"),
    Peer("pytensor", "pytensor C", "pytensor", "bench.peers.pytensor_givens", "make_trainer"),
    Peer("pytensor-numba", "pytensor numba", "numba", "bench.peers.pytensor_givens",
         "make_numba_trainer"),
    Peer("theanine", "theanine", "theanine", "bench.peers.theanine_tutorial", "make_trainer"),
]}

# The peer every other one is checked against: always installed, and simplest to read.
REFERENCE = "numpy"


def default_peers(model: str) -> list[str]:
    """The peers a run without ``--peers`` trains ``model`` with.

    Example:
        >>> 'torch-compile' in default_peers('mlp'), 'torch-compile' in default_peers('lenet')
        (False, True)
    """
    return [name for name, peer in PEERS.items() if model in peer.default_models]


def missing_package(package: str) -> str | None:
    """Return the package's name if it cannot be found, without importing it."""
    return None if importlib.util.find_spec(package) is not None else package


def unavailable(name: str) -> str | None:
    """Why peer ``name`` cannot run ("not installed"), or None if its packages are there.

    Example:
        >>> unavailable('numpy') is None
        True
    """
    peer = PEERS[name]
    needed = [peer.package] + (["pytensor"] if name == "pytensor-numba" else [])
    missing = [p for p in needed if missing_package(p)]
    return f"not installed ({', '.join(missing)})" if missing else None
