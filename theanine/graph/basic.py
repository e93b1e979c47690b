"""Symbolic graph nodes: variables, applications of ops, constants, shared variables.

A graph is a DAG: each :class:`Variable` is either a leaf (an input, a
:class:`Constant` or a :class:`SharedVariable`) or the output of an
:class:`Apply` node, which records the op, its inputs and the user's source
line that built it.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> x = T.vector('x')
    >>> y = x * 2
    >>> y.owner.inputs[0] is x
    True
"""
from __future__ import annotations

import copy
import itertools

import numpy as np

from theanine.errors import ShapeError
from theanine.graph.source import user_frame
from theanine.graph.type import TensorType
from theanine.graph.operators import TensorOperators

_ids = itertools.count()


class Variable(TensorOperators):
    """A symbolic value of a given :class:`TensorType`.

    ``owner`` is the :class:`Apply` node that computes it (None for leaves);
    ``index`` is its position among the owner's outputs.
    """

    __array_priority__ = 1000  # so that ndarray <op> Variable defers to us

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.id = next(_ids)

    @property
    def dtype(self):
        return self.type.dtype

    @property
    def ndim(self):
        return self.type.ndim

    @property
    def broadcastable(self):
        return self.type.broadcastable

    @property
    def static_shape(self):
        return self.type.shape

    def clone(self):
        """A new leaf variable of the same type and name."""
        return Variable(self.type, name=self.name)

    def __repr__(self):
        return self.name or (f"{self.owner.op}.{self.index}" if self.owner is not None
                             else f"<{self.type}>")

    __str__ = __repr__

    def eval(self, inputs_to_values=None):
        """Compile and run this expression for the given ``{variable: value}``.

        >>> import theanine.tensor as T
        >>> x = T.dscalar('x')
        >>> float((x * 3).eval({x: 2.0}))
        6.0
        """
        from theanine.compile.function import function
        inputs_to_values = inputs_to_values or {}
        key = tuple(inputs_to_values)
        cache = self.__dict__.setdefault("_eval_cache", {})
        if key not in cache:
            cache[key] = function(list(key), self, on_unused_input="ignore")
        return cache[key](*inputs_to_values.values())

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_eval_cache", None)
        return state


class Constant(Variable):
    """A leaf with a fixed value (a NumPy array)."""

    def __init__(self, type, data, name=None):
        super().__init__(type, name=name)
        self.data = data

    def clone(self):
        return self

    def signature(self):
        """Key that identifies equal constants (used to merge them)."""
        data = self.data
        return (self.type, data.tobytes() if data.size < 256 else id(data))

    def __repr__(self):
        if self.name:
            return self.name
        if self.data.size <= 8:
            return f"Constant{{{np.array2string(self.data, separator=',')}}}"
        return f"Constant{{{self.type}}}"

    __str__ = __repr__


class SharedVariable(Variable):
    """A variable with a value that persists between function calls.

    Compiled functions read its current value and may write a new one through
    ``updates``. ``get_value``/``set_value`` copy unless ``borrow=True``.
    """

    def __init__(self, type, value, name=None, backend=None):
        super().__init__(type, name=name)
        from theanine.backends import get_backend
        self.backend = backend or get_backend()
        self.container = Container(self.backend.to_device(value) if self.is_tensor else value)
        self.default_update = None
        self.source = user_frame()

    @property
    def is_tensor(self):
        return isinstance(self.type, TensorType)

    def clone(self):
        return self

    def get_value(self, borrow=False, return_internal_type=False):
        """The current value: a NumPy array (a copy unless ``borrow=True``)."""
        value = self.container.value
        if not self.is_tensor:
            return value if borrow else copy.deepcopy(value)
        if borrow:
            return value
        host = self.backend.to_host(value)
        return host.copy() if host is value else host

    def set_value(self, value, borrow=False):
        """Replace the value; its dtype must match and its shape fit the static shape."""
        if not self.is_tensor:
            self.container.value = value if borrow else copy.deepcopy(value)
            return
        array = np.asarray(value) if not self.backend.is_device_array(value) else value
        if array.dtype != self.type.np_dtype:
            if np.can_cast(array.dtype, self.type.np_dtype, "same_kind"):
                array = array.astype(self.type.dtype)
            else:
                raise TypeError(f"set_value of shared variable {self.name or '<unnamed>'}: "
                                f"dtype {array.dtype} does not match {self.type.dtype}")
        if not self.type.accepts_shape(array.shape):
            raise ShapeError(
                f"set_value of shared variable {self.name or '<unnamed>'}: shape {array.shape} "
                f"does not fit its static shape {self.type.shape}; create it with "
                f"theanine.shared(value, shape=...) using None for dimensions that change")
        if not borrow and array is value:
            array = array.copy()
        self.container.value = self.backend.to_device(array)

    def __getstate__(self):
        # A pickle holds the value as a host array and no backend, so it loads on
        # whichever device is configured when it is unpickled.
        state = super().__getstate__()
        del state["backend"]
        value = self.container.value
        state["container"] = Container(self.backend.to_host(value) if self.is_tensor else value)
        return state

    def __setstate__(self, state):
        from theanine.backends import get_backend
        self.__dict__.update(state)
        self.backend = get_backend()
        if self.is_tensor:
            self.container.value = self.backend.to_device(self.container.value)

    def __repr__(self):
        return self.name or f"<shared {self.type}>"

    __str__ = __repr__


class Container:
    """The storage cell of a shared variable; compiled functions read and write it."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Apply:
    """One application of an op: ``outputs = op(*inputs)``."""

    def __init__(self, op, inputs, output_types, source=None):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = [self._output(t, i) for i, t in enumerate(output_types)]
        self.source = source if source is not None else user_frame()

    def _output(self, type_or_variable, index):
        # Theano's ops pass fresh variables (``x.type()``) where theanine's pass types;
        # such a variable becomes the output itself.
        if not isinstance(type_or_variable, Variable):
            return Variable(type_or_variable, owner=self, index=index)
        if type_or_variable.owner is not None:
            raise ValueError(f"{self.op}: output {index} ({type_or_variable}) is already "
                             f"computed by {type_or_variable.owner.op}; pass x.type()")
        type_or_variable.owner, type_or_variable.index = self, index
        return type_or_variable

    @property
    def out(self):
        return self.outputs[0]

    def __repr__(self):
        return f"{self.op}({', '.join(map(repr, self.inputs))})"


def as_variable(x):
    """``x`` itself if it is a Variable, else a Constant made from it."""
    if isinstance(x, Variable):
        return x
    from theanine.tensor.basic import as_tensor_variable
    return as_tensor_variable(x)


def is_leaf(var):
    return var.owner is None


def toposort(outputs):
    """Apply nodes that compute ``outputs``, each after the nodes it depends on."""
    order, done = [], set()
    for out in outputs:
        if out.owner is None or id(out.owner) in done:
            continue
        stack = [(out.owner, iter(out.owner.inputs))]
        done.add(id(out.owner))
        while stack:
            node, pending = stack[-1]
            for var in pending:
                parent = var.owner
                if parent is not None and id(parent) not in done:
                    done.add(id(parent))
                    stack.append((parent, iter(parent.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def ancestors(outputs):
    """Every variable that ``outputs`` depend on, themselves included."""
    seen, result, stack = set(), [], list(outputs)
    while stack:
        var = stack.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        result.append(var)
        if var.owner is not None:
            stack.extend(var.owner.inputs)
    return result


def graph_inputs(outputs):
    """The leaves (inputs, constants, shared variables) that ``outputs`` depend on."""
    return [v for v in ancestors(outputs) if v.owner is None]


def clone_replace(outputs, replace=None):
    """Copy the graph of ``outputs``, substituting ``replace`` ({old: new}).

    Leaves are shared between the copy and the original; every Apply node
    above a replaced variable (and, so that the copy can be rewritten freely,
    every other node too) is new. Returns the new outputs in order.
    """
    memo = {}
    for old, new in (replace or {}).items():
        memo[id(old)] = new
    for node in toposort(outputs):
        new_inputs = [memo.get(id(v), v) for v in node.inputs]
        new_node = Apply(node.op, new_inputs, [o.type for o in node.outputs], node.source)
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            if id(old) not in memo:
                memo[id(old)] = new
    return [memo.get(id(v), v) for v in outputs]
