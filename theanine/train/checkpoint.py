"""Checkpoints: weights in safetensors, and full training state for resuming.

Weights alone (``save_weights``/``load_weights``) are a plain safetensors file,
loadable with ``safetensors.numpy.load_file`` on any machine, GPU or not. A
full checkpoint is one safetensors file with the model's weights
(``model/NAME``), the optimizer state (``optim/NAME``), the best weights so far
(``best/NAME``) and loop arrays (``loop/NAME``), plus JSON metadata: the
training loop's position, early-stopping state, history, and every random
generator's state (``numpy`` bit-generator states, which are plain ints).

Every file is written to a temporary name and renamed with ``os.replace``, so
a crash never leaves half a file; the previous checkpoint is kept as
``checkpoint.prev.safetensors``.

Example:
    >>> import numpy as np, tempfile, os
    >>> from theanine.train.checkpoint import save_weights, load_weights
    >>> path = os.path.join(tempfile.mkdtemp(), 'w.safetensors')
    >>> save_weights(path, {'W': np.eye(2, dtype='float32')})
    >>> load_weights(path)['W'].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
"""
from __future__ import annotations

import json
import os

import numpy as np

from theanine.errors import TheanineError

FORMAT = "theanine-checkpoint-1"
CHECKPOINT = "checkpoint.safetensors"
PREVIOUS = "checkpoint.prev.safetensors"


class CheckpointError(TheanineError, ValueError):
    """A checkpoint or weights file that cannot be read."""


def save_weights(path, state, metadata=None):
    """Write ``{name: array}`` to ``path`` as safetensors, atomically (see the module example).

    Example:
        >>> import numpy as np, os, tempfile
        >>> from theanine.train import save_weights
        >>> path = os.path.join(tempfile.mkdtemp(), 'w.safetensors')
        >>> save_weights(path, {'b': np.zeros(3, 'float32')}, metadata={'epoch': 3})
        >>> os.listdir(os.path.dirname(path))
        ['w.safetensors']
    """
    from safetensors.numpy import save_file
    arrays = {name: np.asarray(value, order="C") for name, value in state.items()}
    tmp = f"{path}.tmp"
    save_file(arrays, tmp, metadata={k: str(v) for k, v in (metadata or {}).items()})
    os.replace(tmp, path)


def load_weights(path):
    """Read ``{name: array}`` from a safetensors file (a clear error if unreadable).

    Example:
        >>> from theanine.train import load_weights
        >>> load_weights('/nonexistent.safetensors')
        Traceback (most recent call last):
        ...
        theanine.train.checkpoint.CheckpointError: no such file: /nonexistent.safetensors
    """
    return read_file(path)[0]


def read_file(path):
    """``(arrays, metadata)`` of a safetensors file."""
    from safetensors import safe_open
    if not os.path.exists(path):
        raise CheckpointError(f"no such file: {path}")
    try:
        with safe_open(str(path), framework="np") as handle:
            arrays = {name: handle.get_tensor(name) for name in handle.keys()}
            metadata = handle.metadata() or {}
    except Exception as exc:  # safetensors raises several types for a damaged file
        raise CheckpointError(f"cannot read {path}: {exc}") from exc
    return arrays, metadata


def save_checkpoint(run_dir, groups, info):
    """Write a full checkpoint into ``run_dir``, keeping the previous one.

    ``groups``: ``{'model': state_dict, 'optim': ..., 'best': ..., 'loop': ...}``;
    ``info``: JSON-serializable training state. Returns the checkpoint's path.
    """
    path = os.path.join(run_dir, CHECKPOINT)
    arrays = {f"{group}/{name}": value for group, state in groups.items()
              for name, value in (state or {}).items()}
    metadata = {"format": FORMAT, "info": json.dumps(info)}
    tmp = f"{path}.tmp"
    from safetensors.numpy import save_file
    save_file({k: np.asarray(v, order="C") for k, v in arrays.items()}, tmp, metadata=metadata)
    if os.path.exists(path):
        os.replace(path, os.path.join(run_dir, PREVIOUS))
    os.replace(tmp, path)
    return path


def load_checkpoint(path):
    """``(groups, info)`` from a checkpoint file or a run folder holding one.

    Example:
        >>> import numpy as np, tempfile
        >>> from theanine.train.checkpoint import save_checkpoint, load_checkpoint
        >>> run = tempfile.mkdtemp()
        >>> _ = save_checkpoint(run, {'model': {'W': np.ones(2)}}, {'epoch': 3})
        >>> groups, info = load_checkpoint(run)
        >>> groups['model']['W'].tolist(), info['epoch']
        ([1.0, 1.0], 3)
    """
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    arrays, metadata = read_file(path)
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a theanine training checkpoint "
                              f"(format {metadata.get('format')!r})")
    groups = {}
    for key, value in arrays.items():
        group, name = key.split("/", 1)
        groups.setdefault(group, {})[name] = value
    return groups, json.loads(metadata["info"])


def rng_state(rng):
    """A JSON-friendly state of a NumPy ``RandomState`` or ``Generator``.

    Example:
        >>> import numpy as np
        >>> from theanine.train.checkpoint import rng_state, rng_from_state
        >>> rng = np.random.default_rng(0); state = rng_state(rng)
        >>> a = rng.random(); float(rng_from_state(state).random()) == a
        True
    """
    if isinstance(rng, np.random.Generator):
        return {"kind": "Generator", "state": _jsonable(rng.bit_generator.state)}
    if isinstance(rng, np.random.RandomState):
        return {"kind": "RandomState", "state": _jsonable(rng.get_state(legacy=False))}
    raise TypeError(f"cannot save the state of a {type(rng).__name__}")


def rng_from_state(saved):
    """A new generator in the state :func:`rng_state` recorded."""
    state = saved["state"]
    bit_generator = getattr(np.random, state["bit_generator"])()
    if saved["kind"] == "Generator":
        bit_generator.state = _from_json(state)
        return np.random.Generator(bit_generator)
    rng = np.random.RandomState(bit_generator)
    rng.set_state(_from_json(state))
    return rng


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_json(value):
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    return value
