"""Stabilization: replace expressions that overflow or lose precision by stable ops.

* ``log(softmax(z))`` -> ``LogSoftmax(z)``
* ``log(sigmoid(x))`` -> ``-softplus(-x)``; ``log(1 - sigmoid(x))`` -> ``-softplus(x)``
* ``log(1 + exp(x))``, ``log1p(exp(x))`` -> ``softplus(x)``
* the softmax cross-entropy of integer labels and its gradient ->
  ``CrossEntropySoftmax`` / ``CrossEntropySoftmaxGrad``
  (:mod:`theanine.rewrite.crossentropy`).

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> x = T.vector('x')
    >>> fg = FunctionGraph([x], [T.log(1 + T.exp(x))])
    >>> stabilize(fg)
    1
    >>> fg.outputs[0].owner.op
    Elemwise{softplus}
"""
from __future__ import annotations

from theanine.ops.nnet import LogSoftmax, Softmax
from theanine.rewrite import crossentropy, register_pass
from theanine.rewrite.local import elemwise_owner, is_constant, is_elemwise, owner_if, \
    rewrite_locally


def _tensor():
    from theanine.tensor import basic
    return basic


def log_softmax(node):
    """``log(softmax(z))`` -> ``LogSoftmax(z)``."""
    inner = owner_if(node.inputs[0], Softmax) if is_elemwise(node, "log") else None
    return None if inner is None else [LogSoftmax()(inner.inputs[0])]


def log_sigmoid(node):
    """``log(sigmoid(x))`` -> ``-softplus(-x)``; ``log(1 - sigmoid(x))`` -> ``-softplus(x)``."""
    if not is_elemwise(node, "log"):
        return None
    T = _tensor()
    inner = elemwise_owner(node.inputs[0], "sigmoid", "sub")
    if is_elemwise(inner, "sigmoid"):
        return [T.neg(T.softplus(T.neg(inner.inputs[0])))]
    if inner is not None and is_constant(inner.inputs[0], 1):
        sigmoid = elemwise_owner(inner.inputs[1], "sigmoid")
        if sigmoid is not None:
            return [T.neg(T.softplus(sigmoid.inputs[0]))]
    return None


def log_one_plus_exp(node):
    """``log(1 + exp(x))``, ``log(exp(x) + 1)``, ``log1p(exp(x))`` -> ``softplus(x)``."""
    if is_elemwise(node, "log1p"):
        exp = elemwise_owner(node.inputs[0], "exp")
        return None if exp is None else [_tensor().softplus(exp.inputs[0])]
    total = elemwise_owner(node.inputs[0], "add") if is_elemwise(node, "log") else None
    if total is None:
        return None
    for one, other in (total.inputs, total.inputs[::-1]):
        exp = elemwise_owner(other, "exp")
        if exp is not None and is_constant(one, 1):
            return [_tensor().softplus(exp.inputs[0])]
    return None


REWRITERS = [log_softmax, log_sigmoid, log_one_plus_exp] + crossentropy.REWRITERS


@register_pass("stabilize")
def stabilize(fgraph):
    """Rewrite numerically fragile expressions into stable ops."""
    changes = rewrite_locally(fgraph, REWRITERS)
    return changes + crossentropy.share_softmax(fgraph)
