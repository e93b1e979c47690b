"""L1 and L2 penalty terms, added to the cost as the tutorials write it.

``cost = nll + L1_reg * l1(weights) + L2_reg * l2(weights)`` is the MLP
tutorial's regularized cost; ``l2`` is the *squared* norm (``L2_sqr``).

Example:
    >>> import numpy as np, theanine
    >>> from theanine.regularizers import l1, l2
    >>> W = theanine.shared(np.array([[1.0, -2.0]]))
    >>> float(l1([W]).eval()), float(l2([W]).eval())
    (3.0, 5.0)
"""
from __future__ import annotations

import theanine.tensor as T


def l1(params):
    """Sum of ``|p|`` over every element of every parameter in ``params``.

    Example:
        >>> import numpy as np, theanine
        >>> from theanine.regularizers import l1
        >>> float(l1([theanine.shared(np.array([-1.0, 2.0]))]).eval())
        3.0
    """
    terms = [T.sum(T.abs(p)) for p in params]
    return _total(terms)


def l2(params):
    """Sum of ``p ** 2`` over every element of every parameter (the tutorial's ``L2_sqr``).

    Example:
        >>> import numpy as np, theanine
        >>> from theanine.regularizers import l2
        >>> float(l2([theanine.shared(np.array([3.0, 4.0]))]).eval())
        25.0
    """
    terms = [T.sum(T.sqr(p)) for p in params]
    return _total(terms)


def _total(terms):
    if not terms:
        return T.constant(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
