"""Random sampling as a pure op: ``(state, size, params) -> (new state, sample)``.

The generator state is a value like any other (a shared variable of
``RandomStateType`` holding a NumPy ``RandomState`` or ``Generator``). The
kernel draws from a *copy* of the state and returns the advanced copy, never
touching its input, so a compiled function can read the old state for every
output and write the new one afterwards, as it does with all updates. Random
streams (:mod:`theanine.tensor.shared_randomstreams`) make the new state the
shared variable's ``default_update``, so each call of a compiled function
draws fresh numbers.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> from theanine.ops.random import RandomOp
    >>> state = theanine.shared(np.random.RandomState(1))
    >>> new_state, sample = RandomOp('uniform', 'float64', 2)(state, [2, 3], 0.0, 1.0)
    >>> sample.type.shape
    (2, 3)
    >>> f = theanine.function([], sample, updates=[(state, new_state)])
    >>> bool(np.all(f() != f()))
    True
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply, Variable
from theanine.graph.type import RandomStateType, TensorType
from theanine.ops.base import Op
from theanine.ops.shape import vector_entries

#: The distributions and the names of their parameters, in order.
DISTRIBUTIONS = {"uniform": ("low", "high"), "normal": ("avg", "std"), "binomial": ("n", "p")}


class RandomOp(Op):
    """Draw a sample of ``dtype`` and shape ``size`` from ``dist``; also return the new state.

    Inputs: the generator state, ``size`` (an integer vector of length ``ndim``)
    and the distribution's parameters (tensors that broadcast to ``size``).
    Outputs: the advanced state and the sample. No gradient flows through it.
    """

    __props__ = ("dist", "dtype", "ndim")

    def __init__(self, dist, dtype, ndim):
        if dist not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {dist!r}; known: {sorted(DISTRIBUTIONS)}")
        self.dist = dist
        self.dtype = np.dtype(dtype).name
        self.ndim = int(ndim)

    def short_name(self):
        return f"random_{self.dist}"

    def make_node(self, state, size, *params):
        from theanine.tensor.basic import as_tensor_variable, cast, stack
        if not isinstance(state, Variable) or not isinstance(state.type, RandomStateType):
            raise self.error(f"the first input must be a random state (a shared variable "
                             f"holding a numpy RandomState or Generator), got {state!r}",
                             TypeError)
        names = DISTRIBUTIONS[self.dist]
        if len(params) != len(names):
            raise self.error(f"takes the parameters {names}, got {len(params)} of them",
                             TypeError)
        if isinstance(size, (list, tuple)) and not size:
            size = as_tensor_variable(np.zeros(0, dtype="int64"))
        elif isinstance(size, (list, tuple)):
            size = stack([as_tensor_variable(s) for s in size])
        size = as_tensor_variable(size)
        if size.ndim != 1 or size.dtype[:3] not in ("int", "uin"):
            raise self.error(f"size must be a vector of integers, got {size.type}", TypeError)
        size = size if size.dtype == "int64" else cast(size, "int64")
        if size.type.shape[0] not in (None, self.ndim):
            raise self.error(f"size has {size.type.shape[0]} entries, the op draws "
                             f"{self.ndim}-d samples")
        shape = tuple(vector_entries(size)) if size.type.shape[0] is not None else \
            (None,) * self.ndim
        params = [as_tensor_variable(p) for p in params]
        for name, p in zip(names, params):
            self._check_broadcast(name, p, shape)
        outputs = [RandomStateType(), TensorType(self.dtype, shape)]
        return Apply(self, [state, size] + params, outputs)

    def _check_broadcast(self, name, param, shape):
        if param.ndim > len(shape):
            raise self.error(f"parameter {name} {param.type} has more dimensions than the "
                             f"sample's shape {shape}")
        for p, s in zip(reversed(param.type.shape), reversed(shape)):
            if p is not None and s is not None and p not in (1, s):
                raise self.error(f"parameter {name} {param.type} does not broadcast to the "
                                 f"sample's shape {shape}")

    def grad(self, inputs, outputs, output_grads):
        return [None] * len(inputs)
