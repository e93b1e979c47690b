"""``Dropout``: inverted dropout with a ``RandomStreams`` binomial mask.

In training (``train=True``) each unit is kept with probability ``1 - p`` and
scaled by ``1 / (1 - p)``, so evaluation (``train=False``) is the identity and
needs no rescaling.

Example:
    >>> from theanine.nn import Dropout
    >>> Dropout(0.5, seed=1).p
    0.5
"""
from __future__ import annotations

import numpy as np

from theanine.errors import UnsupportedError
from theanine.nn.module import Module


def random_streams(seed):
    """A ``RandomStreams(seed)``, or a clear error when this build has none.

    Example:
        >>> from theanine.nn.dropout import random_streams
        >>> random_streams(1).state_updates
        []
    """
    try:
        from theanine.tensor.shared_randomstreams import RandomStreams
    except ImportError as exc:
        raise UnsupportedError("theanine.tensor.shared_randomstreams.RandomStreams is not "
                               "available in this theanine build; Dropout needs it") from exc
    return RandomStreams(seed)


class Dropout(Module):
    """Drop units with probability ``p`` in training; identity in evaluation.

    ``seed`` seeds the layer's own ``RandomStreams`` (its generator state is
    saved in checkpoints); ``srng`` shares an existing one instead.

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn import Dropout
        >>> x = T.matrix('x')
        >>> Dropout(0.5, seed=0)(x, train=False) is x
        True
    """

    def __init__(self, p=0.5, seed=None, srng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p
        self._seed = int(np.random.randint(2 ** 30)) if seed is None else seed
        if srng is not None:
            self.srng = srng

    def forward(self, x, train=False):
        if not train or self.p == 0:
            return x
        if "srng" not in self._streams:
            self.srng = random_streams(self._seed)
        keep = 1.0 - self.p
        mask = self.srng.binomial(size=x.shape, n=1, p=keep, dtype=x.dtype)
        return x * mask / np.asarray(keep, dtype=x.dtype)
