"""``from theanine.ifelse import ifelse``: the lazy conditional (``theano.ifelse``).

Example:
    >>> import theanine, theanine.tensor as T
    >>> from theanine.ifelse import ifelse
    >>> x = T.dscalar('x')
    >>> float(theanine.function([x], ifelse(T.gt(x, 0), x, -x))(-3.0))
    3.0
"""
from theanine.ops.ifelse import IfElse, ifelse  # noqa: F401
