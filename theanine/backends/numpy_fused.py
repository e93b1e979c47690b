"""The NumPy kernel of :class:`~theanine.ops.fused.Fused`: one generated function per node.

The program is turned into straight-line Python source at compile time. Every
instruction whose result has the output's shape writes with ``out=`` into one
of a few buffers of that shape, reused as soon as a value is dead (a register
allocation per dtype), so a chain of ``k`` ops over an ``n``-element array
allocates one or two arrays instead of ``k``. Instructions on small
(broadcast) operands only, such as ``lr * 0.5``, stay small. The output is
the first buffer; an in-place node starts with its destroyed input as that
buffer. Buffers of two or more dimensions take the memory layout of the destroyed
input, else of an input of the output's shape (``empty_like``), so a
Fortran-ordered product from
:func:`~theanine.backends.numpy_parallel.matmul` is not read against the grain.

Example:
    >>> import numpy as np
    >>> import theanine.tensor as T
    >>> from theanine.ops.fused import Fused
    >>> from theanine.backends.numpy_fused import fused_source
    >>> x, y = T.vector('x'), T.vector('y')
    >>> node = Fused(2, (('mul', (0, 1), 'float64'), ('tanh', (2,), 'float64')))(x, y).owner
    >>> print(fused_source(node))
    def kernel(i0, i1):
        s = i0.shape
        b0 = _empty(s, _dt0)
        f0(i0, i1, out=b0)
        f1(b0, out=b0)
        return b0
    <BLANKLINE>
"""
from __future__ import annotations

import numpy as np

from theanine.backends.numpy_backend import register
from theanine.backends.numpy_scalar import scalar_program_source
from theanine.ops.fused import Fused, scalar_op

# Implementations that read an input after writing part of ``out``: their output
# buffer must not be one of their input buffers.
_OUT_MUST_NOT_ALIAS = {"switch", "round_half_away_from_zero"}
# Ops whose result is one of their inputs broadcast to the output shape; inside a
# program (not as its last instruction) the input itself can stand for it.
_PASS_THROUGH = {"second": 1, "identity": 0}


@register(Fused)
def fused_kernel(node):
    """The callable that runs a :class:`Fused` node on NumPy arrays."""
    scope = {"_empty": np.empty, "_empty_like": np.empty_like}
    exec(compile(fused_source(node, scope), "<theanine-fused>", "exec"), scope)
    return scope["kernel"]


def fused_source(node, scope=None):
    """Python source of the kernel for ``node``; fills ``scope`` with the names it uses."""
    return _Generator(node, {} if scope is None else scope).source()


class _Generator:
    def __init__(self, node, scope):
        self.op = node.op
        self.node = node
        self.scope = scope
        self.n = self.op.n_inputs
        self.out_type = node.outputs[0].type
        self.lines = []
        self.materialized = set()
        # When the last op must not write over its inputs, buffer 0 holds nothing else.
        self.reserve_out = node.op.program[-1][0] in _OUT_MUST_NOT_ALIAS
        # An input whose layout new buffers copy (matrices and up; vectors have one):
        # the destroyed one if any, since the output is written into it.
        pattern = self.out_type.broadcastable
        full = [k for k, v in enumerate(node.inputs)
                if len(pattern) >= 2 and v.type.broadcastable == pattern]
        self.like = node.op.inplace_input if node.op.inplace_input in full else \
            next(iter(full), None)

    def source(self):
        op, n = self.op, self.n
        args = [f"i{k}" for k in range(n)]
        self.lines = [f"def kernel({', '.join(args)}):"]
        if self.out_type.ndim == 0 and op.inplace_input is None:
            return scalar_program_source(op.program, n, self.scope)
        alias = self._aliases()
        last_use = self._last_uses(alias)
        full = self._full_slots(alias)
        self.lines.append(f"    s = {self._shape_expr()}")
        names = dict(enumerate(args))
        buffers = [self.out_type.dtype]            # buffer 0 is the output
        free = {}                                  # dtype -> free buffer numbers
        holder = {}                                # buffer -> slot it holds
        final = len(op.program) - 1
        self._start_output(holder, free, {alias.get(s, s) for s in op.program[final][1]})
        for j, (name, slots, dtype) in enumerate(op.program):
            slot = n + j
            if slot in alias:
                continue
            reads = [alias.get(s, s) for s in slots]
            call = f"f{j}"
            self.scope[call] = scalar_op(name).numpy
            arg_text = ", ".join(names[s] for s in reads)
            dying = {b for b, held in holder.items() if held in reads and last_use[held] == j}
            if j != final and not full[slot]:
                names[slot] = f"t{j}"
                self.lines.append(f"    t{j} = {call}({arg_text})")
            else:
                if j == final:
                    buf = 0
                else:
                    reusable = set() if name in _OUT_MUST_NOT_ALIAS else \
                        dying - {0} if self.reserve_out else dying
                    buf = self._pick(dtype, free, reusable, buffers)
                    if buf in reusable:
                        dying.discard(buf)
                self._materialize(buf, buffers)
                holder[buf] = slot
                names[slot] = f"b{buf}"
                self.lines.append(f"    {call}({arg_text}, out=b{buf})")
            for b in dying:
                if holder.get(b) != slot:
                    del holder[b]
                    if not (b == 0 and self.reserve_out):
                        free.setdefault(buffers[b], []).append(b)
        self.lines.append("    return b0")
        return "\n".join(self.lines) + "\n"

    def _aliases(self):
        """``{slot: slot it stands for}`` for pass-through instructions before the last."""
        alias = {}
        for j, (name, slots, _) in enumerate(self.op.program[:-1]):
            if name in _PASS_THROUGH:
                source = slots[_PASS_THROUGH[name]]
                alias[self.n + j] = alias.get(source, source)
        return alias

    def _last_uses(self, alias):
        last = {}
        for j, (_, slots, _) in enumerate(self.op.program):
            for s in slots:
                last[alias.get(s, s)] = j
        return last

    def _full_slots(self, alias):
        """Which slots have the output's shape (inputs: by their static shape)."""
        pattern = self.out_type.broadcastable
        full = {k: v.type.broadcastable == pattern for k, v in enumerate(self.node.inputs)}
        for j, (_, slots, _) in enumerate(self.op.program):
            slot = self.n + j
            full[slot] = full[alias[slot]] if slot in alias else \
                any(full[alias.get(s, s)] for s in slots)
        return full

    def _shape_expr(self):
        """Source of the output shape: one input's shape, or one dimension from each."""
        pattern = self.out_type.broadcastable
        types = [v.type for v in self.node.inputs]
        for k, t in enumerate(types):
            if t.broadcastable == pattern:
                return f"i{k}.shape"
        dims = []
        for d, broadcast in enumerate(pattern):
            if broadcast:
                dims.append("1")
            else:
                k = next(k for k, t in enumerate(types) if t.shape[d] != 1)
                dims.append(f"i{k}.shape[{d}]")
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def _start_output(self, holder, free, final_reads):
        k = self.op.inplace_input
        if k is not None and not (self.reserve_out and k in final_reads):
            # Writing in place is a permission: fall back to a new array when
            # the input's buffer cannot hold the result (read-only, or smaller).
            self.lines.append(f"    b0 = i{k} if i{k}.flags.writeable and i{k}.shape == s "
                              f"else {self._new_buffer(0)}")
            self.scope["_dt0"] = np.dtype(self.out_type.dtype)
            holder[0] = k
            self.materialized.add(0)
        elif not self.reserve_out:
            free.setdefault(self.out_type.dtype, []).append(0)

    def _pick(self, dtype, free, reusable, buffers):
        for b in sorted(reusable):
            if buffers[b] == dtype:
                return b
        pool = free.get(dtype, [])
        if pool:
            return pool.pop(0)
        buffers.append(dtype)
        return len(buffers) - 1

    def _materialize(self, buf, buffers):
        if buf in self.materialized:
            return
        self.materialized.add(buf)
        self.scope[f"_dt{buf}"] = np.dtype(buffers[buf])
        self.lines.append(f"    b{buf} = {self._new_buffer(buf)}")

    def _new_buffer(self, buf):
        if self.like is None:
            return f"_empty(s, _dt{buf})"
        return f"_empty_like(i{self.like}, _dt{buf})"
