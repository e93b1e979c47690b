"""``MRG_RandomStreams``: Theano's fast random streams, with the same interface.

Theano's version runs the MRG31k3p generator so that GPUs can draw in parallel.
Here each random variable's state is a NumPy ``Generator`` (PCG64) instead:
the interface, the seeding discipline and the update semantics are those of
:class:`theanine.tensor.shared_randomstreams.RandomStreams`, but the numbers
differ from Theano's MRG31k3p numbers.

Example:
    >>> import theanine
    >>> from theanine.sandbox.rng_mrg import MRG_RandomStreams
    >>> srng = MRG_RandomStreams(seed=1234)
    >>> f = theanine.function([], srng.normal((3,), avg=0.0, std=1.0))
    >>> bool((f() != f()).all())
    True
"""
from __future__ import annotations

import numpy as np

from theanine.tensor.shared_randomstreams import RandomStreams


class MRG_RandomStreams(RandomStreams):
    """Random streams over NumPy ``Generator`` states (``nstreams`` is accepted and unused)."""

    def __init__(self, seed=12345):
        super().__init__(seed)

    def new_state(self, seed):
        """A PCG64 ``Generator`` seeded with ``seed``.

        >>> type(MRG_RandomStreams().new_state(3)).__name__
        'Generator'
        """
        return np.random.Generator(np.random.PCG64(seed))

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Samples uniform in ``[low, high)``.

        >>> MRG_RandomStreams(1).uniform((2, 3), low=-1.0).type.shape
        (2, 3)
        """
        return super().uniform(size, low, high, ndim, dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Gaussian samples of mean ``avg`` and standard deviation ``std``.

        >>> MRG_RandomStreams(1).normal((4,), std=0.1).ndim
        1
        """
        return super().normal(size, avg, std, ndim, dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None,
                 prob=None):
        """Number of successes in ``n`` trials of probability ``p``.

        >>> MRG_RandomStreams(1).binomial((2, 2), p=0.2, dtype='float32').dtype
        'float32'
        """
        return super().binomial(size, n, p, ndim, dtype, prob)
