"""``RandomStreams``: symbolic random numbers whose state advances on every call.

Each call (``uniform``, ``normal``, ``binomial``) makes a new shared random
state seeded from the stream's seed, and a :class:`theanine.ops.random.RandomOp`
node drawing from it. The node's new state becomes the shared variable's
``default_update``, so a compiled function that uses the sample draws fresh
numbers on every call and two streams with the same seed draw the same numbers.
As in Theano, the states are NumPy ``RandomState`` objects seeded the way
Theano seeded them, so the numbers are Theano's.

Example:
    >>> import theanine, theanine.tensor as T
    >>> from theanine.tensor.shared_randomstreams import RandomStreams
    >>> srng = RandomStreams(seed=234)
    >>> draw = theanine.function([], srng.uniform((2,)))
    >>> first, second = draw(), draw()
    >>> bool((first != second).all())
    True
    >>> x = T.matrix('x')
    >>> mask = srng.binomial(size=x.shape, n=1, p=0.7, dtype='float32')
    >>> mask.ndim, mask.dtype
    (2, 'float32')
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Variable
from theanine.graph.dtypes import result_dtype
from theanine.ops.random import RandomOp

#: Seeds of new states are drawn below this bound, as Theano drew them.
SEED_BOUND = 2 ** 30


class RandomStreams:
    """A factory of random variables sharing one seed (Theano's ``RandomStreams``).

    ``state_updates`` lists ``(shared state, new state)`` for every variable made;
    :meth:`seed` reseeds them all.
    """

    def __init__(self, seed=None):
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)
        self.state_updates = []

    def new_state(self, seed):
        """A fresh generator for one random variable (other streams override this).

        >>> type(RandomStreams().new_state(3)).__name__
        'RandomState'
        """
        return np.random.RandomState(seed)

    def seed(self, seed=None):
        """Reseed every state made so far, deterministically from ``seed``.

        >>> import theanine
        >>> srng = RandomStreams(1)
        >>> f = theanine.function([], srng.normal((3,)))
        >>> srng.seed(7); a = f()
        >>> srng.seed(7); b = f()
        >>> bool((a == b).all())
        True
        """
        seedgen = np.random.RandomState(self.default_instance_seed if seed is None else seed)
        for state, _ in self.state_updates:
            state.set_value(self.new_state(int(seedgen.randint(SEED_BOUND))), borrow=True)

    def updates(self):
        """The ``(state, new state)`` pairs of every variable made by this stream."""
        return list(self.state_updates)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Samples uniform in ``[low, high)`` (dtype: floatX unless the bounds are float64).

        >>> srng = RandomStreams(3)
        >>> srng.uniform((4, 5), low=-1, high=1).type.shape
        (4, 5)
        """
        return self._draw("uniform", size, (low, high), ndim, _float_dtype(dtype, low, high))

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Gaussian samples of mean ``avg`` and standard deviation ``std``.

        >>> RandomStreams(3).normal((3,), avg=1.0, std=0.1).dtype in ('float32', 'float64')
        True
        """
        return self._draw("normal", size, (avg, std), ndim, _float_dtype(dtype, avg, std))

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """Number of successes in ``n`` trials of probability ``p`` (``prob`` is an old name).

        ``p`` is treated as a constant: no gradient flows to it.

        >>> RandomStreams(3).binomial((2, 2), p=0.3).dtype
        'int64'
        """
        p = p if prob is None else prob
        return self._draw("binomial", size, (n, p), ndim, np.dtype(dtype).name)

    def _draw(self, dist, size, params, ndim, dtype):
        import theanine
        size = _size_vector(size, params, ndim)
        params = [_exact_param(v) for v in params]
        seed = int(self.gen_seedgen.randint(SEED_BOUND))
        state = theanine.shared(self.new_state(seed), borrow=True)
        new_state, sample = RandomOp(dist, dtype, size.type.shape[0])(state, size, *params)
        state.default_update = new_state
        self.state_updates.append((state, new_state))
        return sample


def _float_dtype(dtype, *params):
    """``dtype``, or the float dtype the parameters call for (floatX for Python numbers)."""
    from theanine.config import config
    from theanine.graph.type import as_dtype_name
    if dtype is not None:
        return as_dtype_name(dtype)
    strong = [v.dtype for v in params if isinstance(v, Variable)]
    weak = [v for v in params if not isinstance(v, Variable)]
    dtype = result_dtype(strong, weak) if strong else config.floatX
    return dtype if np.dtype(dtype).kind == "f" else config.floatX


def _exact_param(value):
    """A parameter as a tensor; Python numbers stay float64/int64 so no digit is lost."""
    from theanine.tensor.basic import constant
    return value if isinstance(value, Variable) else constant(np.asarray(value))


def _size_vector(size, params, ndim):
    """``size`` (a tuple of ints and symbolic scalars, or a symbolic vector) as an int64 vector."""
    from theanine.tensor.basic import (
        as_tensor_variable,
        cast,
        constant,
        specify_shape,
        stack,
    )
    if size is None:
        if any(np.ndim(p) if not isinstance(p, Variable) else p.ndim for p in params):
            raise ValueError("random streams: pass size= when the parameters are not scalars")
        size = ()
    if isinstance(size, (int, np.integer)):
        size = (size,)
    if isinstance(size, Variable):
        vector = size if size.ndim == 1 else stack([size])
    elif len(size) == 0:
        vector = constant(np.zeros(0, dtype="int64"))
    else:
        vector = stack([as_tensor_variable(s) for s in size])
    if vector.dtype != "int64":
        vector = cast(vector, "int64")
    if vector.type.shape[0] is None:
        if ndim is None:
            raise ValueError("random streams: the length of size is unknown; pass ndim=")
        vector = specify_shape(vector, (ndim,))
    elif ndim is not None and ndim != vector.type.shape[0]:
        raise ValueError(f"random streams: ndim={ndim} but size has {vector.type.shape[0]} "
                         f"entries")
    return vector
