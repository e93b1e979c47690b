"""Reverse-mode differentiation: graph in, graph out.

``grad`` walks the nodes between the cost and the variables asked for, in
reverse topological order, asking each op for its symbolic gradient. Because
the result is an ordinary graph, it can be compiled, rewritten or
differentiated again.

Broadcasting is undone in one place, :func:`sum_to_type`, which every op's
gradient uses to bring a gradient back to its input's static shape.

Example:
    >>> import theanine.tensor as T
    >>> x = T.dscalar('x')
    >>> g = T.grad(x ** 3, x)
    >>> float(g.eval({x: 2.0}))
    12.0
"""
from __future__ import annotations

import warnings

import numpy as np

from theanine.errors import DisconnectedInputError, GradientError
from theanine.graph.basic import Variable, toposort
from theanine.graph.source import describe
from theanine.graph.type import TensorType


def sum_to_type(g, target):
    """Sum ``g`` over the axes that broadcasting stretched, to match ``target``'s shape.

    >>> import theanine.tensor as T
    >>> from theanine.graph.type import TensorType
    >>> sum_to_type(T.matrix('g'), TensorType('float32', (10,))).ndim
    1
    """
    from theanine.tensor import basic as T
    if g.ndim > target.ndim:
        g = T.sum(g, axis=tuple(range(g.ndim - target.ndim)))
    axes = tuple(i for i, (t, s) in enumerate(zip(target.shape, g.type.shape))
                 if t == 1 and s != 1)
    if axes:
        g = T.sum(g, axis=axes, keepdims=True)
    return g


def _conform(g, var):
    """``g`` with ``var``'s dtype and static shape, so ops above see a precise type."""
    from theanine.tensor import basic as T
    if g.dtype != var.dtype:
        g = T.cast(g, var.dtype)
    if g.type.shape != var.type.shape:
        if g.ndim != var.ndim:
            raise GradientError(f"gradient of {var} has {g.ndim} dimensions, expected "
                                f"{var.ndim} (a bug in the op's gradient)")
        shape = tuple(a if a is not None else b for a, b in zip(var.type.shape, g.type.shape))
        if shape != g.type.shape:
            g = T.specify_shape(g, shape)
    return g


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise",
         known_grads=None, return_disconnected="zero"):
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt``.

    ``wrt`` is a variable or a list (any iterable) of them; the result is a
    variable or a list to match.
    ``consider_constant`` lists variables through which no gradient flows.
    ``disconnected_inputs``: 'raise' (default), 'warn' or 'ignore' when the
    cost does not depend on an element of ``wrt`` (its gradient is then zero).
    ``known_grads`` maps variables to gradients to start from (``cost`` may
    then be None).

    >>> import theanine.tensor as T
    >>> W = T.dmatrix('W'); x = T.dvector('x')
    >>> gW = T.grad(T.sum(T.dot(x, W)), W)
    >>> gW.ndim
    2
    """
    from theanine.tensor import basic as T
    single = isinstance(wrt, Variable)
    try:
        wrt_list = [wrt] if single else list(wrt)   # any iterable: dict.values() too
    except TypeError:
        raise TypeError(f"grad: wrt must be a symbolic variable or a list of them, got "
                        f"{type(wrt).__name__}") from None
    for w in wrt_list:
        if not isinstance(w, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {type(w).__name__}")
    start = {}
    if cost is not None:
        cost = T.as_tensor_variable(cost)
        if cost.ndim != 0:
            raise GradientError(f"grad: the cost must be a scalar, got {cost.type}; take "
                                f"T.sum or T.mean of it first"
                                + describe(cost.owner.source if cost.owner else None))
        if np.dtype(cost.dtype).kind not in "fc":
            raise GradientError(f"grad: the cost must be a float, got {cost.type}")
        start[cost] = T.ones_like(cost)
    for var, g in (known_grads or {}).items():
        start[var] = _conform(T.as_tensor_variable(g), var)
    blocked = {id(v) for v in consider_constant or ()}
    nodes = toposort(list(start))

    # Forward pass: which variables depend on something in wrt.
    depends = {id(w) for w in wrt_list}
    for node in nodes:
        if any(id(i) in depends and id(i) not in blocked for i in node.inputs):
            depends.update(id(o) for o in node.outputs)

    contributions = {id(v): [g] for v, g in start.items()}
    for node in reversed(nodes):
        out_grads = [_total(contributions.get(id(o))) for o in node.outputs]
        if all(g is None for g in out_grads):
            continue
        if not any(id(i) in depends and id(i) not in blocked for i in node.inputs):
            continue
        # Outputs that are not tensors (a random op's new state) have no gradient.
        out_grads = [g if g is not None or not isinstance(o.type, TensorType)
                     else T.zeros_like(o) for g, o in zip(out_grads, node.outputs)]
        # Theano-style ops (PythonOp) answer L_op with their grad(inputs, output_grads).
        l_op = getattr(node.op, "L_op", None)
        in_grads = l_op(node.inputs, node.outputs, out_grads) if l_op is not None else \
            node.op.grad(node.inputs, node.outputs, out_grads)
        if len(in_grads) != len(node.inputs):
            raise GradientError(f"{node.op}.grad returned {len(in_grads)} gradients for "
                                f"{len(node.inputs)} inputs")
        for var, g in zip(node.inputs, in_grads):
            if g is None or id(var) not in depends or id(var) in blocked:
                continue
            contributions.setdefault(id(var), []).append(_conform(g, var))

    results = []
    for w in wrt_list:
        g = _total(contributions.get(id(w)))
        if g is None or (id(w) in blocked):
            g = _disconnected(w, disconnected_inputs, return_disconnected)
        results.append(g)
    return results[0] if single else results


def _total(grads):
    if not grads:
        return None
    total = grads[0]
    for g in grads[1:]:
        total = total + g
    return total


def _disconnected(w, policy, return_disconnected):
    from theanine.tensor import basic as T
    name = w.name or str(w.type)
    where = describe(w.owner.source if w.owner is not None else getattr(w, "source", None))
    message = (f"grad: the cost does not depend on {name}, so its gradient is undefined; "
               f"pass disconnected_inputs='ignore' to get zeros instead{where}")
    if policy == "raise":
        raise DisconnectedInputError(message)
    if policy == "warn":
        warnings.warn(message, stacklevel=3)
    elif policy != "ignore":
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore', got "
                         f"{policy!r}")
    if return_disconnected is None:
        return None
    return T.zeros_like(w)


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):  # noqa: N802
    """``eval_points`` times the Jacobian of ``f`` with respect to ``wrt`` (a vector-Jacobian
    product, what ``grad`` computes from a known output gradient).

    ``f`` and ``eval_points`` are a variable and a value of its shape, or lists
    of them; the result has the form of ``wrt``.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x, v = T.dvector('x'), T.dvector('v')
    >>> vjp = Lop(T.sin(x) * 2, x, v)                 # v * 2 cos(x)
    >>> theanine.function([x, v], vjp)(np.zeros(2), np.array([1.0, 3.0])).tolist()
    [2.0, 6.0]
    """
    from theanine.tensor import basic as T
    outputs = [f] if isinstance(f, Variable) else list(f)
    points = [eval_points] if isinstance(f, Variable) else list(eval_points)
    if len(points) != len(outputs):
        raise ValueError(f"Lop: {len(outputs)} expressions but {len(points)} eval_points")
    known = {}
    for out, point in zip(outputs, points):
        point = T.as_tensor_variable(point)
        previous = known.get(id(out))
        known[id(out)] = (out, point if previous is None else previous[1] + point)
    return grad(None, wrt, consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs, known_grads=dict(known.values()))


def Rop(f, wrt, eval_points):  # noqa: N802
    """The Jacobian of ``f`` with respect to ``wrt`` times ``eval_points`` (a
    Jacobian-vector product, the directional derivative of ``f`` along ``eval_points``).

    ``wrt`` and ``eval_points`` are a variable and a value of its shape, or lists
    of them; the result has the form of ``f``. Computed as the gradient of a
    vector-Jacobian product (:func:`Lop`) with respect to its vector, which the
    result does not depend on: no op needs a forward-mode rule of its own.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x, v = T.dvector('x'), T.dvector('v')
    >>> jvp = Rop(x ** 3, x, v)                       # 3 x^2 v
    >>> theanine.function([x, v], jvp)(np.array([1.0, 2.0]), np.array([1.0, 0.5])).tolist()
    [3.0, 6.0]
    """
    from theanine.graph.basic import clone_replace
    from theanine.tensor import basic as T
    outputs = [f] if isinstance(f, Variable) else list(f)
    wrt_list = [wrt] if isinstance(wrt, Variable) else list(wrt)
    points = [eval_points] if isinstance(wrt, Variable) else list(eval_points)
    if len(points) != len(wrt_list):
        raise ValueError(f"Rop: {len(wrt_list)} variables but {len(points)} eval_points")
    results = []
    for out in outputs:
        dummy = Variable(out.type, name="Rop's vector")
        pulled = Lop(out, wrt_list, dummy, disconnected_inputs="ignore")
        projected = sum((T.sum(p * T.as_tensor_variable(v)) for p, v in zip(pulled, points)),
                        T.constant(0.0, dtype=out.dtype))
        pushed = grad(projected, dummy, disconnected_inputs="ignore")
        # Linear in the dummy vector: any value gives the same result (zeros here).
        results.append(clone_replace([pushed], {dummy: T.zeros_like(out)})[0])
    return results[0] if isinstance(f, Variable) else results


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Jacobian of the vector ``expression`` with respect to ``wrt``.

    Each entry's gradient is one step of a ``scan`` over the entries, as in
    Theano; the result has shape ``expression.shape + wrt.shape`` (a list of
    them for a list ``wrt``). A scalar ``expression`` gives its gradient.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> J = jacobian(T.stack([x[0] * x[1], x[1] ** 2]), x)
    >>> theanine.function([x], J)(np.array([2.0, 3.0])).tolist()
    [[3.0, 2.0], [0.0, 6.0]]
    """
    from theanine.ops.scan import scan
    from theanine.tensor import basic as T
    expression = T.as_tensor_variable(expression)
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    if expression.ndim == 0:
        rows = grad(expression, wrt_list, consider_constant, disconnected_inputs)
        return rows[0] if single else rows
    if expression.ndim != 1:
        raise GradientError(f"jacobian: the expression must be a vector (or a scalar), got "
                            f"{expression.type}; flatten it first")

    def row(i):
        return grad(expression[i], wrt_list, consider_constant, disconnected_inputs)
    rows, _ = scan(row, sequences=T.arange(expression.shape[0]), return_list=True,
                   name="jacobian")
    return rows[0] if single else rows


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Hessian of the scalar ``cost`` with respect to the vector ``wrt``: the
    Jacobian of its gradient (one matrix per vector of a list ``wrt``).

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> H = hessian(x[0] ** 2 * x[1], x)
    >>> theanine.function([x], H)(np.array([1.0, 2.0])).tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    for w in wrt_list:
        if w.ndim != 1:
            raise GradientError(f"hessian: each variable must be a vector, got {w.type} for "
                                f"{w.name or w}; flatten it first")
    blocks = [jacobian(grad(cost, w, consider_constant, disconnected_inputs), w,
                       consider_constant, disconnected_inputs) for w in wrt_list]
    return blocks[0] if single else blocks


def zero_grad(x):
    """``x`` in the forward pass, but no gradient flows through it."""
    from theanine.ops.special import ZeroGrad
    return ZeroGrad()(x)


def disconnected_grad(x):
    """``x`` treated as a constant by ``grad`` (Theano's ``disconnected_grad``)."""
    return zero_grad(x)
