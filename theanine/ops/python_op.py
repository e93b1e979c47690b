"""Ops written in Python: Theano's ``theano.Op`` with ``perform``, and ``as_op``.

Theano's "Extending Theano" tutorial writes a new op as a class with
``make_node`` (build the node), ``perform(node, inputs, output_storage)``
(compute with NumPy, storing each result in ``output_storage[k][0]``) and,
optionally, ``grad(inputs, output_grads)`` (the gradient, written with tensor
functions). :class:`PythonOp` runs such classes unchanged: every backend calls
``perform`` (a GPU backend moves the values to the host and back), and the
gradient engine calls ``grad`` (or ``L_op(inputs, outputs, output_grads)``).
``infer_shape`` and ``c_code`` may be defined; they are not used.

An op that declares ``__props__`` compares by those attributes, so identical
nodes merge; one that does not is equal only to itself, as in Theano.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> from theanine.graph.basic import Apply
    >>> class DoubleOp(PythonOp):
    ...     __props__ = ()
    ...     def make_node(self, x):
    ...         x = T.as_tensor_variable(x)
    ...         return Apply(self, [x], [x.type()])
    ...     def perform(self, node, inputs, output_storage):
    ...         output_storage[0][0] = inputs[0] * 2
    ...     def grad(self, inputs, output_grads):
    ...         return [output_grads[0] * 2]
    >>> x = T.dvector('x')
    >>> f = theanine.function([x], [DoubleOp()(x), T.grad(DoubleOp()(x).sum(), x)])
    >>> [v.tolist() for v in f(np.array([1.0, 2.0]))]
    [[2.0, 4.0], [2.0, 2.0]]
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.ops.base import Op


class PythonOp(Op):
    """Base class of ops computed by a ``perform`` method (see the module docstring)."""

    def _declares_props(self):
        return any("__props__" in vars(k) for k in type(self).__mro__
                   if k not in (PythonOp, Op, object))

    def __eq__(self, other):
        if self._declares_props():
            return super().__eq__(other)
        return self is other

    def __hash__(self):
        return super().__hash__() if self._declares_props() else id(self)

    def perform(self, node, inputs, output_storage):
        raise NotImplementedError(
            f"{type(self).__name__} has no perform(node, inputs, output_storage); theanine "
            f"runs Python ops through perform (c_code is not compiled)")

    def L_op(self, inputs, outputs, output_grads):  # noqa: N802 (Theano's name)
        """The gradient the engine asks for: Theano's ``grad(inputs, output_grads)``."""
        return self.grad(inputs, output_grads)

    def grad(self, inputs, output_grads):
        from theanine.errors import GradientError
        raise GradientError(f"{type(self).__name__} defines no grad(inputs, output_grads)")


def perform_kernel(node):
    """The callable running ``node.op.perform`` on NumPy arrays, results checked.

    >>> import theanine.tensor as T
    >>> op = as_op([T.dvector], [T.dvector])(lambda v: v + 1)
    >>> perform_kernel(op(T.dvector()).owner)(np.zeros(2)).tolist()
    [1.0, 1.0]
    """
    op, outputs = node.op, node.outputs

    def run(*arrays):
        storage = [[None] for _ in outputs]
        op.perform(node, [np.asarray(a) for a in arrays], storage)
        results = []
        for k, (cell, out) in enumerate(zip(storage, outputs)):
            if cell[0] is None:
                raise ValueError(f"{op}.perform stored nothing in output_storage[{k}][0]")
            value = np.asarray(cell[0])
            if value.ndim != out.ndim:
                raise ValueError(f"{op}.perform stored a {value.ndim}-d value in output "
                                 f"{k}, whose type is {out.type}")
            results.append(value.astype(out.dtype, copy=False))
        return results[0] if len(results) == 1 else tuple(results)
    return run


class _FromFunction(PythonOp):
    __props__ = ("function", "itypes", "otypes")

    def __init__(self, function, itypes, otypes):
        self.function, self.itypes, self.otypes = function, tuple(itypes), tuple(otypes)

    def __str__(self):
        return f"as_op({getattr(self.function, '__name__', self.function)})"

    def make_node(self, *inputs):
        from theanine.tensor.basic import as_tensor_variable
        if len(inputs) != len(self.itypes):
            raise self.error(f"takes {len(self.itypes)} inputs, got {len(inputs)}", TypeError)
        inputs = [as_tensor_variable(v) for v in inputs]
        for k, (var, expected) in enumerate(zip(inputs, self.itypes)):
            if not expected.is_compatible(var.type):
                raise self.error(f"input {k} is {var.type}, expected {expected}", TypeError)
        return Apply(self, inputs, list(self.otypes))

    def perform(self, node, inputs, output_storage):
        results = self.function(*inputs)
        if len(self.otypes) == 1:
            results = [results]
        for cell, value in zip(output_storage, results):
            cell[0] = value


def as_op(itypes, otypes, infer_shape=None):
    """Decorator making a NumPy function an op of the given input and output types.

    ``itypes``/``otypes`` are lists of types (``T.dmatrix``, ``T.TensorType(...)``);
    the op has no gradient. ``infer_shape`` is accepted for Theano's signature.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> @as_op(itypes=[T.dmatrix], otypes=[T.dvector])
    ... def row_norms(m):
    ...     return np.sqrt((m ** 2).sum(axis=1))
    >>> m = T.dmatrix('m')
    >>> theanine.function([m], row_norms(m))(np.array([[3.0, 4.0]])).tolist()
    [5.0]
    """
    itypes = [_as_type(t) for t in itypes]
    otypes = [_as_type(t) for t in otypes]

    def wrap(function):
        return _FromFunction(function, itypes, otypes)
    return wrap


def _as_type(t):
    """A type from a type, or from a constructor such as ``T.dmatrix``."""
    from theanine.graph.type import TensorType
    if isinstance(t, TensorType):
        return t
    made = t()
    return made.type if hasattr(made, "type") else made
