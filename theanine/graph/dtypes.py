"""Dtype promotion rules.

Tensors promote as NumPy arrays do. Python scalars are *weak*: they take the
dtype of the tensor they meet, so ``x * 0.5`` stays float32 for a float32
``x`` (as in Theano, and unlike NumPy's float64 default).

Example:
    >>> from theanine.graph.dtypes import result_dtype
    >>> result_dtype(['float32'], [0.5])
    'float32'
    >>> result_dtype(['int64'], [0.5]) in ('float32', 'float64')
    True
"""
from __future__ import annotations

import numpy as np

_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def weak_dtype(value) -> str:
    """The dtype a lone Python scalar gets: int64, floatX or bool."""
    from theanine.config import config
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int64"
    return config.floatX


def result_dtype(strong_dtypes, weak_values=()):
    """Dtype of an elementwise result of tensors (strong) and Python scalars (weak)."""
    if not strong_dtypes:
        return np.result_type(*[weak_dtype(v) for v in weak_values]).name
    result = np.result_type(*strong_dtypes)
    for value in weak_values:
        kind = np.dtype(weak_dtype(value)).kind
        if _KIND_ORDER[kind] > _KIND_ORDER[result.kind]:
            result = np.result_type(result, weak_dtype(value))
    return result.name


def is_float(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


def is_int(dtype) -> bool:
    return np.dtype(dtype).kind in "iu"
