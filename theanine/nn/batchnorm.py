"""``BatchNorm``: normalize with batch statistics in training, running ones in evaluation.

A ``train=True`` call records updates of the running mean and variance;
``model.state_updates()`` returns them and the Trainer adds them to the
training function's updates, so the statistics move once per minibatch.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.nn import BatchNorm
    >>> bn = BatchNorm(4)
    >>> _ = bn(T.matrix('x'), train=True)
    >>> [var.name for var, _ in bn.state_updates()]
    ['running_mean', 'running_var']
"""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.config import config
from theanine.nn.module import Module


class BatchNorm(Module):
    """Batch normalization over the batch axis (and the spatial axes of 4-d input).

    ``gamma`` and ``beta`` are trained; ``running_mean`` and ``running_var``
    are buffers updated as ``momentum * old + (1 - momentum) * batch``.

    Example:
        >>> import numpy as np, theanine, theanine.tensor as T
        >>> from theanine.nn import BatchNorm
        >>> x = T.matrix('x'); bn = BatchNorm(2)
        >>> f = theanine.function([x], bn(x, train=True), updates=bn.state_updates())
        >>> out = f(np.array([[1.0, 2.0], [3.0, 6.0]], dtype='float32'))
        >>> np.round(out, 3).tolist()
        [[-1.0, -1.0], [1.0, 1.0]]
    """

    def __init__(self, n_features, momentum=0.9, eps=1e-5, dtype=None):
        super().__init__()
        dtype = dtype or config.floatX
        self.momentum, self.eps = momentum, eps
        self.gamma = theanine.shared(np.ones(n_features, dtype=dtype), name="gamma")
        self.beta = theanine.shared(np.zeros(n_features, dtype=dtype), name="beta")
        self.register_buffer("running_mean",
                             theanine.shared(np.zeros(n_features, dtype=dtype),
                                             name="running_mean"))
        self.register_buffer("running_var",
                             theanine.shared(np.ones(n_features, dtype=dtype),
                                             name="running_var"))

    def forward(self, x, train=False):
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        pattern = ("x", 0) if x.ndim == 2 else ("x", 0, "x", "x")

        def per_feature(v):
            return v.dimshuffle(*pattern)
        if train:
            mean, var = T.mean(x, axis=axes), T.var(x, axis=axes)
            m = self.momentum
            self._set_updates([
                (self.running_mean, T.cast(m * self.running_mean + (1 - m) * mean,
                                           self.running_mean.dtype)),
                (self.running_var, T.cast(m * self.running_var + (1 - m) * var,
                                          self.running_var.dtype))])
        else:
            mean, var = self.running_mean, self.running_var
        normalized = (x - per_feature(mean)) / T.sqrt(per_feature(var) + self.eps)
        return per_feature(self.gamma) * normalized + per_feature(self.beta)
