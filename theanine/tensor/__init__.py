"""What tutorial code imports as ``T``: ``import theanine.tensor as T``.

Example:
    >>> import theanine.tensor as T
    >>> x = T.matrix('x'); W = T.matrix('W'); b = T.vector('b')
    >>> T.nnet.softmax(T.dot(x, W) + b).ndim
    2
"""
from theanine.gradient import Lop, Rop, grad, hessian, jacobian  # noqa: F401
from theanine.graph.basic import Constant as TensorConstant  # noqa: F401
from theanine.graph.basic import SharedVariable as TensorSharedVariable  # noqa: F401
from theanine.graph.basic import Variable as TensorVariable  # noqa: F401
from theanine.graph.type import TensorType  # noqa: F401
from theanine.tensor import basic as _basic
from theanine.tensor import nnet  # noqa: F401
from theanine.tensor import extra_ops, nlinalg, slinalg  # noqa: F401
from theanine.tensor.extra_ops import (argsort, cumprod, cumsum, diag, diagonal, diff,  # noqa: F401
                                       eye, identity_like, largest, linspace, ptp, repeat,
                                       roll, smallest, sort, squeeze, swapaxes, tile, tril,
                                       triu)

# Names that shadow builtins (sum, max, abs...) are exported on purpose, as in Theano.
for _name in dir(_basic):
    if not _name.startswith("_") and _name not in ("np", "math", "builtins", "annotations"):
        globals()[_name] = getattr(_basic, _name)
del _name
