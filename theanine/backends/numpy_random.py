"""NumPy kernel of :class:`theanine.ops.random.RandomOp`.

The kernel copies the generator, draws from the copy and returns it as the new
state: the input state is never changed, so the op is a pure function of its
inputs. Draws use NumPy's own methods (``RandomState.uniform``, ``.normal``,
``.binomial``), so a ``RandomState`` seeded as Theano seeded it gives Theano's
numbers.

Example:
    >>> import numpy as np
    >>> from theanine.backends.numpy_random import draw
    >>> rng = np.random.RandomState(3)
    >>> new_rng, sample = draw(rng, 'uniform', 'float64', np.array([2]), 0.0, 1.0)
    >>> sample.tolist() == np.random.RandomState(3).uniform(0.0, 1.0, 2).tolist()
    True
    >>> rng.get_state()[2] == np.random.RandomState(3).get_state()[2]   # untouched
    True
"""
from __future__ import annotations

import copy

import numpy as np

from theanine.backends.numpy_backend import register
from theanine.ops.random import RandomOp


def draw(state, dist, dtype, size, *params):
    """``(advanced copy of state, sample of dist with params, shape size, as dtype)``."""
    new_state = copy.deepcopy(state)
    # The distributions are named as NumPy's methods, with parameters in NumPy's order.
    sample = getattr(new_state, dist)(*params, size=tuple(int(s) for s in size))
    return new_state, np.asarray(sample, dtype=dtype)


@register(RandomOp)
def _random(node):
    op = node.op
    return lambda state, size, *params: draw(state, op.dist, op.dtype, size, *params)
