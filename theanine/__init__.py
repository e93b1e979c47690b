"""theanine: Theano's programming model, alive on NumPy and CuPy.

Example:
    >>> import numpy as np
    >>> import theanine
    >>> import theanine.tensor as T
    >>> x = T.dvector('x')
    >>> w = theanine.shared(np.array([1.0, 2.0]), name='w')
    >>> cost = T.sum((x * w) ** 2)
    >>> step = theanine.function([x], cost, updates=[(w, w - 0.1 * T.grad(cost, w))])
    >>> float(step(np.array([1.0, 1.0])))
    5.0
    >>> w.get_value().tolist()
    [0.8, 1.6]
"""
from theanine.config import config
from theanine.shared import shared
from theanine.compile.function import Function, In, function
from theanine.gradient import grad
from theanine import tensor, printing
from theanine.printing import debugprint, pprint
from theanine.graph.basic import Apply, Variable, Constant, SharedVariable
from theanine.ops.python_op import PythonOp, as_op
from theanine.ops.scan import scan, until

__version__ = "0.1.0"

__all__ = ["config", "shared", "function", "In", "Function", "grad", "tensor", "printing",
           "debugprint", "pprint", "Variable", "Constant", "SharedVariable", "scan", "until",
           "Apply", "PythonOp", "as_op"]
