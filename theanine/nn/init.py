"""Weight initializers, each drawing from an explicit NumPy random generator.

``rng`` may be a ``numpy.random.RandomState`` (what the tutorials use, so that
``RandomState(1234)`` gives their exact weights) or a ``numpy.random.Generator``.
Values are returned as NumPy arrays of ``dtype`` (``floatX`` by default).

Example:
    >>> import numpy as np
    >>> from theanine.nn import init
    >>> W = init.tutorial_uniform(np.random.RandomState(1234), (784, 500))
    >>> W.shape, bool(abs(W).max() <= np.sqrt(6 / 1284))
    ((784, 500), True)
"""
from __future__ import annotations

import math

import numpy as np

from theanine.config import config


def fans(shape):
    """``(fan_in, fan_out)`` of a dense ``(n_in, n_out)`` or conv ``(out, in, h, w)`` shape.

    Example:
        >>> from theanine.nn.init import fans
        >>> fans((784, 500)), fans((20, 1, 5, 5))
        ((784, 500), (25, 500))
    """
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def tutorial_uniform(rng, shape, fan_in=None, fan_out=None, activation=None, dtype=None):
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))``, times 4 for a sigmoid layer.

    The Deep Learning Tutorials' initialization (Glorot and Bengio, 2010). The
    fans default to :func:`fans` of ``shape``; LeNet's conv-pool layer divides
    ``fan_out`` by the pooling area, so it passes its own.

    Example:
        >>> import numpy as np
        >>> from theanine.nn.init import tutorial_uniform
        >>> W = tutorial_uniform(np.random.RandomState(0), (3, 2), activation='sigmoid')
        >>> bool(abs(W).max() <= 4 * np.sqrt(6 / 5))
        True
    """
    default_in, default_out = fans(shape)
    fan_in = default_in if fan_in is None else fan_in
    fan_out = default_out if fan_out is None else fan_out
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    values = np.asarray(rng.uniform(low=-bound, high=bound, size=shape),
                        dtype=dtype or config.floatX)
    if activation == "sigmoid":
        values *= 4
    return values


glorot_uniform = tutorial_uniform


def normal(rng, shape, std=0.01, dtype=None):
    """``std`` times standard normal draws: the book's ``weight_init_std * randn``.

    Example:
        >>> import numpy as np
        >>> from theanine.nn.init import normal
        >>> normal(np.random.RandomState(0), (2, 2), std=0.01).dtype.kind
        'f'
    """
    return np.asarray(std * _standard_normal(rng, shape), dtype=dtype or config.floatX)


def he_normal(rng, shape, fan_in=None, dtype=None):
    """Normal with standard deviation ``sqrt(2 / fan_in)`` (He et al., for ReLU layers).

    Example:
        >>> import numpy as np
        >>> from theanine.nn.init import he_normal
        >>> W = he_normal(np.random.default_rng(0), (1000, 100))
        >>> bool(abs(W.std() - np.sqrt(2 / 1000)) < 0.002)
        True
    """
    fan_in = fans(shape)[0] if fan_in is None else fan_in
    return normal(rng, shape, std=np.sqrt(2.0 / fan_in), dtype=dtype)


def xavier_normal(rng, shape, fan_in=None, dtype=None):
    """Normal with standard deviation ``sqrt(1 / fan_in)`` (the book's "Xavier" init).

    Example:
        >>> import numpy as np
        >>> from theanine.nn.init import xavier_normal
        >>> xavier_normal(np.random.RandomState(0), (4, 4)).shape
        (4, 4)
    """
    fan_in = fans(shape)[0] if fan_in is None else fan_in
    return normal(rng, shape, std=np.sqrt(1.0 / fan_in), dtype=dtype)


def zeros(shape, dtype=None):
    """Zeros, as the tutorials' logistic regression and every bias start.

    Example:
        >>> from theanine.nn.init import zeros
        >>> zeros((2,)).tolist()
        [0.0, 0.0]
    """
    return np.zeros(shape, dtype=dtype or config.floatX)


def make(init, rng, shape, activation=None, dtype=None):
    """Weights for ``shape`` from an initializer name, a number (normal std) or an array.

    Names: 'tutorial' (alias 'glorot'), 'he', 'xavier', 'normal' (std 0.01),
    'zeros'. A float is the book's ``weight_init_std``. An array is used as is.

    Example:
        >>> import numpy as np
        >>> from theanine.nn.init import make
        >>> make(0.01, np.random.RandomState(0), (2, 3)).shape
        (2, 3)
    """
    if isinstance(init, np.ndarray):
        if init.shape != tuple(shape):
            raise ValueError(f"initial weights have shape {init.shape}, expected {shape}")
        return np.asarray(init, dtype=dtype or config.floatX)
    if init == "zeros":
        return zeros(shape, dtype)
    rng = np.random.RandomState() if rng is None else rng
    if isinstance(init, (int, float)) and not isinstance(init, bool):
        return normal(rng, shape, std=float(init), dtype=dtype)
    makers = {"tutorial": lambda: tutorial_uniform(rng, shape, activation=activation,
                                                   dtype=dtype),
              "he": lambda: he_normal(rng, shape, dtype=dtype),
              "xavier": lambda: xavier_normal(rng, shape, dtype=dtype),
              "normal": lambda: normal(rng, shape, dtype=dtype)}
    makers["glorot"] = makers["tutorial"]
    if init not in makers:
        raise ValueError(f"unknown initializer {init!r}; use one of {sorted(makers)}, "
                         f"'zeros', a float (normal std) or an array")
    return makers[init]()


def _standard_normal(rng, shape):
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal(shape)
    return rng.randn(*shape)
