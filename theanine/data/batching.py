"""Minibatches: device-resident shared datasets for ``givens``, and a plain iterator.

The tutorials keep a whole split in shared variables and pick minibatch ``i``
with ``givens={x: train_set_x[i * batch_size:(i + 1) * batch_size]}``, running
``n_train_batches = n // batch_size`` batches per epoch. Floor division drops the
last partial batch, so ``n_batches`` and ``batches`` drop it by default too.

    >>> import numpy as np
    >>> from theanine.data import batches, n_batches
    >>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> n_batches(len(x), 2)
    2
    >>> [yb.tolist() for _, yb in batches(x, y, 2, shuffle=False)]
    [[0, 1], [2, 3]]
"""
from __future__ import annotations

import numpy as np

from theanine.config import config


def n_batches(n, batch_size, drop_last=True):
    """Number of minibatches of ``batch_size`` in ``n`` examples.

    ``drop_last=True`` is the tutorials' ``n // batch_size``; False counts the
    last partial batch as well.

    Example:
        >>> from theanine.data import n_batches
        >>> n_batches(50000, 600), n_batches(50000, 600, drop_last=False)
        (83, 84)
    """
    _check_batch_size(batch_size)
    return n // batch_size if drop_last else -(-n // batch_size)


def batches(x, y, batch_size, shuffle=True, seed=None, drop_last=True):
    """Yield ``(x_batch, y_batch)`` pairs covering one epoch.

    With ``shuffle`` the examples are visited in a random order drawn from
    ``numpy.random.default_rng(seed)`` (copies); without it, in order (views).
    ``drop_last`` drops the final partial batch, like the tutorials' floor division.

    Example:
        >>> import numpy as np
        >>> from theanine.data import batches
        >>> x, y = np.zeros((7, 3)), np.arange(7)
        >>> [len(yb) for _, yb in batches(x, y, 3, seed=0)]
        [3, 3]
        >>> [len(yb) for _, yb in batches(x, y, 3, drop_last=False)]
        [3, 3, 1]
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    count = n_batches(len(x), batch_size, drop_last)
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else None
    for i in range(count):
        window = slice(i * batch_size, (i + 1) * batch_size)
        if order is None:
            yield x[window], y[window]
        else:
            yield x[order[window]], y[order[window]]


def shared_dataset(x, y, borrow=True, name=None):
    """Put one split in shared variables, as the tutorials' ``shared_dataset`` does.

    ``x`` becomes ``theanine.config.floatX`` and ``y`` int32 (the tutorials cast
    labels to int32 to index with them). With ``borrow=True`` an array already of
    the right dtype is not copied. Names are ``NAME_x`` and ``NAME_y`` (or ``x``,
    ``y``).

    Example:
        >>> import numpy as np
        >>> from theanine.data import shared_dataset
        >>> sx, sy = shared_dataset(np.zeros((4, 2)), np.arange(4), name='a')  # doctest: +SKIP
        >>> sy.get_value().dtype, sx.name                                     # doctest: +SKIP
        (dtype('int32'), 'a_x')
    """
    # Imported here so that theanine/__init__.py may import theanine.data without a cycle.
    from theanine import shared

    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    prefix = f"{name}_" if name else ""
    shared_x = shared(np.asarray(x, dtype=config.floatX), name=prefix + "x", borrow=borrow)
    shared_y = shared(np.asarray(y, dtype=np.int32), name=prefix + "y", borrow=borrow)
    return shared_x, shared_y


def _check_batch_size(batch_size):
    is_int = isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool)
    if not is_int or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
