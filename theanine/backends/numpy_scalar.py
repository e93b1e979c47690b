"""Kernels for 0-d elementwise programs: NumPy scalar arithmetic, not ufunc calls.

A training step computes a few numbers besides its arrays: the minibatch's
start and stop from the index, the batch size as a float, the cost from its
sums. A ufunc called on 0-d operands costs 0.5-1.2 us; the same operation on
NumPy scalars written with Python's operator costs 50-70 ns and gives the same
value and dtype (NumPy's scalar types implement ``+ - * /`` and unary ``-``
with the ufuncs' promotion rules, and raise where they raise). So a 0-d program
first turns its operands into NumPy scalars (``x[()]``), writes those operations
as operators and calls the ufunc for everything else (which returns a scalar
for scalars too).

Example:
    >>> import numpy as np
    >>> kernel = scalar_program_kernel(
    ...     [("mul", (0, 1), "int64"), ("add", (2, 1), "int64")], 2)
    >>> kernel(np.array(3), np.array(20))
    np.int64(80)
"""
from __future__ import annotations

import numpy as np

# Operations whose Python operator on NumPy scalars is the ufunc itself.
_OPERATORS = {"add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "true_div": "{} / {}",
              "neg": "-{}"}


def _to_scalar(x):
    return x if isinstance(x, np.generic) else np.asarray(x)[()]


def scalar_program_kernel(program, n_inputs):
    """A callable running ``program`` (``(name, slots, dtype)`` instructions) on 0-d values.

    Slots ``0..n_inputs-1`` are the inputs, slot ``n_inputs + j`` is
    instruction ``j``'s result; the last instruction's result is returned, as a
    NumPy scalar.

    >>> scalar_program_kernel([("cast_float32", (0,), "float32")], 1)(np.int64(20))
    np.float32(20.0)
    """
    scope = {}
    exec(compile(scalar_program_source(program, n_inputs, scope),
                 "<theanine-scalar>", "exec"), scope)
    return scope["kernel"]


def scalar_program_source(program, n_inputs, scope):
    """Python source of :func:`scalar_program_kernel`'s callable; fills ``scope``.

    >>> print(scalar_program_source([("neg", (0,), "float32")], 1, {}))
    def kernel(i0):
        i0 = i0[()] if i0.__class__ is _ndarray else _to_scalar(i0)
        return -i0
    <BLANKLINE>
    """
    from theanine.ops.fused import scalar_op
    scope.update(_ndarray=np.ndarray, _to_scalar=_to_scalar)
    args = [f"i{k}" for k in range(n_inputs)]
    lines = [f"def kernel({', '.join(args)}):"]
    lines += [f"    {a} = {a}[()] if {a}.__class__ is _ndarray else _to_scalar({a})"
              for a in args]
    names = dict(enumerate(args))
    for j, (name, slots, _) in enumerate(program):
        operands = [names[s] for s in slots]
        if name in _OPERATORS:
            expr = _OPERATORS[name].format(*operands)
        else:
            # The ufunc returns a scalar for scalars; a cast returns a 0-d array.
            scope[f"f{j}"] = scalar_op(name).numpy
            expr = f"f{j}({', '.join(operands)})" + ("[()]" if name.startswith("cast_") else "")
        if j == len(program) - 1:
            lines.append(f"    return {expr}")
        else:
            lines.append(f"    t{j} = {expr}")
        names[n_inputs + j] = f"t{j}"
    return "\n".join(lines) + "\n"
