"""The fused elementwise op: a chain or tree of elementwise ops run as one node.

The fusion pass (:mod:`theanine.rewrite.fusion`) replaces a group of
:class:`~theanine.ops.elemwise.Elemwise` nodes by one :class:`Fused` node that
holds a small scalar *program*. Each instruction is ``(scalar op name, input
slots, dtype)``: slots ``0 .. n_inputs-1`` are the node's inputs, slot
``n_inputs + j`` is the result of instruction ``j``, and the last instruction
gives the output. Backends evaluate the program in one kernel: the NumPy
backend with a few preallocated buffers and ``out=``, a GPU backend by
compiling :meth:`Fused.c_code` into one elementwise kernel.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.ops.fused import Fused
    >>> x, y = T.vector('x'), T.vector('y')
    >>> op = Fused(2, (('mul', (0, 1), 'float32'), ('tanh', (2,), 'float32')))
    >>> op(x, y).type
    TensorType(float32, shape=(None,))
    >>> print(op.c_code(['x', 'y'], 'out'))
    float t0 = x * y;
    out = tanh(t0);
"""
from __future__ import annotations

import re

import numpy as np

from theanine.errors import GradientError
from theanine.graph.basic import Apply
from theanine.graph.type import TensorType
from theanine.ops.base import Op
from theanine.ops.elemwise import broadcast_static_shapes
from theanine.ops.scalar import SCALAR_OPS, _c_type, cast_op

_PLACEHOLDER = re.compile(r"\b([abc])\b")
# Integer versions of the C expressions whose float form is wrong for integers:
# C's ``/`` and ``%`` truncate towards zero, NumPy's floor.
_INTEGER_C = {
    "int_div": "(a / b - ((a % b != 0) && ((a < 0) != (b < 0))))",
    "mod": "(a % b + ((a % b != 0) && ((a < 0) != (b < 0))) * b)",
    "abs": "(a < 0 ? -a : a)",
}


def scalar_op(name):
    """The :class:`~theanine.ops.scalar.ScalarOp` called ``name`` (casts made on demand)."""
    if name not in SCALAR_OPS and name.startswith("cast_"):
        return cast_op(name[len("cast_"):])
    return SCALAR_OPS[name]


class Fused(Op):
    """Several elementwise ops evaluated as one node from a scalar ``program``.

    ``inplace_input``: when not None, the output may be written into the
    buffer of that input (``destroy_map = {0: inplace_input}``); the in-place
    pass sets it only where nothing reads the old value afterwards.
    """

    __props__ = ("n_inputs", "program", "inplace_input")

    def __init__(self, n_inputs, program, inplace_input=None):
        self.n_inputs = int(n_inputs)
        self.program = tuple((name, tuple(slots), dtype) for name, slots, dtype in program)
        self.inplace_input = inplace_input
        if inplace_input is not None:
            self.destroy_map = {0: inplace_input}
        for j, (name, slots, _) in enumerate(self.program):
            if scalar_op(name).nin != len(slots) or \
                    any(not 0 <= s < self.n_inputs + j for s in slots):
                raise ValueError(f"Fused: instruction {j} ({name} {slots}) is malformed")

    def short_name(self):
        return "fused"

    def __str__(self):
        ops = ",".join(name for name, _, _ in self.program)
        inplace = "" if self.inplace_input is None else f", inplace={self.inplace_input}"
        return f"Fused{{{ops}{inplace}}}"

    def with_inplace(self, k):
        """The same program, writing its output into the buffer of input ``k``."""
        return Fused(self.n_inputs, self.program, k)

    def make_node(self, *inputs):
        from theanine.tensor.basic import as_tensor_variable
        inputs = [as_tensor_variable(x) for x in inputs]
        if len(inputs) != self.n_inputs:
            raise self.error(f"takes {self.n_inputs} inputs, got {len(inputs)}", TypeError)
        ndim = max(x.ndim for x in inputs)
        if any(x.ndim != ndim for x in inputs):
            raise self.error("inputs must have the same number of dimensions, got "
                             + ", ".join(str(x.type) for x in inputs))
        shape = broadcast_static_shapes([x.type.shape for x in inputs], self)
        return Apply(self, inputs, [TensorType(self.program[-1][2], shape)])

    def grad(self, inputs, outputs, output_grads):
        raise GradientError("Fused nodes are made by rewrites after differentiation; take "
                            "the gradient of the graph before compiling it")

    def c_code(self, inputs=None, output="out0", input_dtypes=None):
        """C statements computing the program for one element (for a CuPy ElementwiseKernel).

        ``inputs`` names the inputs (default ``i0, i1, ...``); the last statement
        assigns ``output``. Each intermediate is a local of its dtype's C type.
        With ``input_dtypes``, an operand whose dtype differs from its instruction's
        is cast to it first, as NumPy computes (``int / int`` is a float division,
        ``max(float, double)`` one overload); integer ``int_div`` and ``mod`` round
        towards minus infinity, as Python's.
        """
        names = list(inputs) if inputs is not None else \
            [f"i{k}" for k in range(self.n_inputs)]
        dtypes = list(input_dtypes) if input_dtypes is not None else [None] * self.n_inputs
        lines = []
        for j, (name, slots, dtype) in enumerate(self.program):
            op = scalar_op(name)
            args = [self._operand(names[s], dtypes[s], dtype, op, k)
                    for k, s in enumerate(slots)]
            c_expr = _INTEGER_C.get(name, op.c_expr) if np.dtype(dtype).kind in "iu" \
                else op.c_expr
            expr = _PLACEHOLDER.sub(lambda m: args[ord(m.group(1)) - ord("a")], c_expr)
            if j == len(self.program) - 1:
                lines.append(f"{output} = {expr};")
            else:
                names.append(f"t{j}")
                dtypes.append(dtype)
                lines.append(f"{_c_type(dtype)} t{j} = {expr};")
        return "\n".join(lines)

    @staticmethod
    def _operand(name, dtype, target, op, position):
        # Comparisons and logic take their operands as they are (C converts them as
        # NumPy would); a switch's condition too. Arithmetic works in its own dtype.
        if dtype is None or dtype == target or op.dtype_rule == "bool" or \
                (op.dtype_rule == "last" and position == 0):
            return name
        return f"(({_c_type(target)})({name}))"