"""``theanine.shared``: variables whose values live between function calls.

Example:
    >>> import numpy as np, theanine
    >>> W = theanine.shared(np.zeros((784, 10), dtype='float32'), name='W', borrow=True)
    >>> W.type.shape, W.dtype
    ((784, 10), 'float32')
    >>> data = theanine.shared(np.zeros((5, 3)), shape=(None, 3))
    >>> data.set_value(np.ones((7, 3))); data.get_value().shape
    (7, 3)
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import SharedVariable
from theanine.graph.dtypes import weak_dtype
from theanine.graph.type import RandomStateType, TensorType


def shared(value, name=None, borrow=False, strict=False, allow_downcast=None, shape=None,
           broadcastable=None, target=None):
    """A shared variable holding ``value`` (copied unless ``borrow=True``).

    Its static shape is the value's shape, so shape errors surface when
    expressions are built; pass ``shape=`` with ``None`` for dimensions that
    ``set_value`` may change. Python floats become ``floatX`` arrays.
    """
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return SharedVariable(RandomStateType(), value if borrow else _copy_rng(value), name)
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        array = np.asarray(value, dtype=weak_dtype(value))
    else:
        array = np.asarray(value) if borrow else np.array(value)
    if array.dtype == object or array.dtype.kind not in "biufc":
        raise TypeError(f"shared: cannot hold values of dtype {array.dtype}")
    if shape is None:
        shape = array.shape if broadcastable is None else \
            tuple(1 if b else None for b in broadcastable)
    type_ = TensorType(array.dtype, shape)
    if not type_.accepts_shape(array.shape):
        raise ValueError(f"shared: value of shape {array.shape} does not fit shape={shape}")
    return SharedVariable(type_, array, name=name)


def _copy_rng(rng):
    import copy
    return copy.deepcopy(rng)
