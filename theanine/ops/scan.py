"""``scan``: a symbolic loop, as Theano's ``theano.scan`` (forward only).

``scan`` calls ``fn`` once, on symbolic stand-ins, to build the graph of one
step; a :class:`Scan` node holds that step, compiled with
``theanine.function``, and its kernel runs it ``n_steps`` times in a Python
loop, stacking every output along a new first axis.

Shared variables that change inside the step (random generators drawn from
in ``fn``, and the updates ``fn`` returns) are carried from step to step; their
values after the last step come back in the ``updates`` dictionary, for the
caller to pass to ``theanine.function``. ``grad`` differentiates through a
loop with another loop that runs the steps backwards (backpropagation through
time; :mod:`theanine.ops.scan_grad`).

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> powers, updates = theanine.scan(lambda prev: prev * x, outputs_info=T.ones_like(x),
    ...                                 n_steps=3)
    >>> theanine.function([x], powers)(np.array([2.0, 3.0])).tolist()
    [[2.0, 3.0], [4.0, 9.0], [8.0, 27.0]]
"""
from __future__ import annotations

import operator
from collections import OrderedDict

from theanine.errors import UnsupportedError
from theanine.graph.basic import (Apply, Constant, SharedVariable, Variable, ancestors,
                                  clone_replace)
from theanine.graph.source import describe
from theanine.graph.type import TensorType
from theanine.ops.base import Op


class Scan(Op):
    """A loop over one compiled step; see :func:`scan`.

    The node's inputs are, in order: ``n_steps`` (negative: as long as the
    shortest sequence), the sequences, the initial values of the fed-back
    outputs, the non-sequences, the other variables the step reads, and the
    shared variables it changes. Its outputs are the step outputs, stacked over
    the steps (or, for those in ``last_only``, the last step's value), then the
    final values of those shared variables.
    """

    #: step outputs whose last value alone is returned (a gradient loop's sums)
    last_only = ()
    #: how many of the last steps a gradient goes back through (-1: all of them)
    truncate_gradient = -1

    def __init__(self, inner_inputs, inner_outputs, counts, feedback, go_backwards, name,
                 last_only=(), truncate_gradient=-1):
        self.inner_inputs = inner_inputs
        self.inner_outputs = inner_outputs
        #: how many inner inputs of each kind: sequences, fed-back outputs, the rest, states
        self.counts = counts
        #: for each fed-back output, its index among the step outputs
        self.feedback = feedback
        self.go_backwards = go_backwards
        self.name = name or "scan"
        self.last_only = tuple(last_only)
        self.truncate_gradient = truncate_gradient
        self._fn = None

    # Two loops are the same computation only if they are the same object: the
    # step graph is not part of any parameter that equality could compare.
    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __str__(self):
        return f"Scan{{{self.name}}}"

    __repr__ = __str__

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None  # generated code does not pickle; it is compiled again when run
        return state

    @property
    def n_step_outputs(self):
        return len(self.inner_outputs) - self.counts[3]

    @property
    def fn(self):
        """The compiled step (compiled on first use)."""
        if self._fn is None:
            from theanine.compile.function import function
            self._fn = function(self.inner_inputs, self.inner_outputs,
                                on_unused_input="ignore", name=f"scan {self.name} step")
        return self._fn

    def make_node(self, n_steps, *outer_inputs):
        static_steps = n_steps.data.item() if isinstance(n_steps, Constant) else None
        step_types = [v.type for v in self.inner_outputs[:self.n_step_outputs]]
        n_seq = self.counts[0]
        for k, out_index in enumerate(self.feedback):
            initial_type = outer_inputs[n_seq + k].type
            step_types[out_index] = _merge_shapes(step_types[out_index], initial_type)
        if static_steps is not None and static_steps < 0:
            lengths = {s.type.shape[0] for s in outer_inputs[:n_seq]}
            static_steps = lengths.pop() if len(lengths) == 1 else None
        stacked = [t if j in self.last_only else TensorType(t.dtype, (static_steps,) + t.shape)
                   for j, t in enumerate(step_types)]
        states = [s.type for s in outer_inputs[len(outer_inputs) - self.counts[3]:]]
        return Apply(self, [n_steps, *outer_inputs], stacked + states)

    def grad(self, inputs, outputs, output_grads):
        from theanine.ops.scan_grad import backward_loop
        return backward_loop(self, inputs, outputs, output_grads)


def _merge_shapes(step_type, initial_type):
    shape = tuple(a if a == b else None for a, b in zip(step_type.shape, initial_type.shape))
    return TensorType(step_type.dtype, shape)


# ---------------------------------------------------------------- building a loop

def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, mode=None, name=None, profile=False,
         allow_gc=None, strict=False, return_list=False):
    """Loop ``fn`` over ``sequences``; returns ``(outputs, updates)`` as Theano's scan.

    ``fn`` is called with, in order: one entry of each sequence, the previous
    value of each output whose ``outputs_info`` entry is not None, and the
    ``non_sequences``. It returns its outputs (one variable or a list),
    optionally with a dictionary of shared-variable updates applied at every
    step. Each output comes back stacked over the steps (shape
    ``(n_steps,) + step shape``, initial value not included). ``updates``
    holds the final values of the shared variables the loop changes (random
    generators included): pass it to ``theanine.function(..., updates=updates)``.
    ``grad`` goes back through the last ``truncate_gradient`` steps (-1: all).

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> v = T.dvector('v')
    >>> sums, _ = theanine.scan(lambda x, total: total + x, sequences=v,
    ...                         outputs_info=T.constant(0.0, dtype='float64'))
    >>> theanine.function([v], sums)(np.array([1.0, 2.0, 3.0])).tolist()
    [1.0, 3.0, 6.0]
    """
    from theanine.tensor.basic import as_tensor_variable, constant
    seqs = [_sequence(s) for s in _as_list(sequences)]
    if n_steps is None and not seqs:
        raise ValueError(f"scan {name or ''}: give n_steps or at least one sequence")
    non_seqs = [as_tensor_variable(v) if not isinstance(v, Variable) else v
                for v in _as_list(non_sequences)]
    infos = None if outputs_info is None else [_initial(i) for i in _as_list(outputs_info)]
    initials = [i for i in (infos or []) if i is not None]

    seq_slots = [_slot(TensorType(s.dtype, s.type.shape[1:]), s, "[t]") for s in seqs]
    fed_slots = [_slot(i.type, i, "[t-1]") for i in initials]
    non_seq_slots = [v if isinstance(v, Constant) else _slot(v.type, v) for v in non_seqs]
    outputs, step_updates = _split_result(fn(*seq_slots, *fed_slots, *non_seq_slots), name)

    if infos is None:
        infos = [None] * len(outputs)
    if len(infos) != len(outputs):
        raise ValueError(f"scan {name or ''}: fn returned {len(outputs)} outputs but "
                         f"outputs_info has {len(infos)} entries (one per output, None for "
                         f"outputs that are not fed back)")
    feedback = [k for k, info in enumerate(infos) if info is not None]
    for k, initial in zip(feedback, initials):
        _check_feedback(outputs[k], initial, name)

    # Every other leaf the step reads (shared variables, symbolic inputs captured by
    # fn's closure) becomes an input of the node, so the step is a pure function.
    states = _changed_shared(outputs, step_updates)
    state_vars = list(states)
    roots = outputs + [states[s] for s in state_vars]
    own = {id(v) for v in seq_slots + fed_slots + non_seq_slots + state_vars}
    reads = [v for v in ancestors(roots)
             if v.owner is None and not isinstance(v, Constant) and id(v) not in own]
    read_slots = [_slot(v.type, v) for v in reads]
    state_slots = [_slot(s.type, s) for s in state_vars]
    inner_outputs = clone_replace(roots, dict(zip(reads + state_vars, read_slots + state_slots)))

    non_seq_inputs = [s for s in non_seq_slots if not isinstance(s, Constant)]
    outer_non_seqs = [v for v in non_seqs if not isinstance(v, Constant)]
    counts = (len(seqs), len(initials), len(non_seq_inputs) + len(reads), len(state_vars))
    op = Scan(seq_slots + fed_slots + non_seq_inputs + read_slots + state_slots,
              inner_outputs, counts, feedback, go_backwards, name,
              truncate_gradient=_steps_back(truncate_gradient, name))
    steps = n_steps if isinstance(n_steps, Variable) else \
        constant(-1 if n_steps is None else int(n_steps), dtype="int64")
    results = op(steps, *seqs, *initials, *outer_non_seqs, *reads, *state_vars)
    results = results if isinstance(results, list) else [results]
    stacked, finals = results[:len(outputs)], results[len(outputs):]
    updates = OrderedDict(zip(state_vars, finals))
    # A draw made in fn from the step's stand-ins cannot be redrawn outside the loop:
    # its generator's default update becomes the loop's final state, so a function
    # compiled without scan's updates still advances it (instead of failing).
    stand_ins = {id(v) for v in seq_slots + fed_slots + non_seq_slots}
    for var, final in updates.items():
        if var.default_update is not None and any(
                id(v) in stand_ins for v in ancestors([var.default_update])):
            var.default_update = final
    if len(stacked) == 1 and not return_list:
        return stacked[0], updates
    return stacked, updates


def _steps_back(truncate_gradient, name):
    try:
        steps = operator.index(truncate_gradient)
    except TypeError:
        steps = 0
    if isinstance(truncate_gradient, bool) or not (steps == -1 or steps > 0):
        raise ValueError(f"scan {name or ''}: truncate_gradient must be -1 (through every "
                         f"step) or a positive number of steps, got {truncate_gradient!r}")
    return steps


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _sequence(entry):
    from theanine.tensor.basic import as_tensor_variable
    if isinstance(entry, dict):
        if list(entry.get("taps", [0])) != [0]:
            raise UnsupportedError("theano.scan sequences with taps other than [0] are not "
                                   "available in theanine yet; see docs/THEANO_COMPAT.md")
        entry = entry["input"]
    seq = as_tensor_variable(entry)
    if seq.ndim < 1:
        raise ValueError(f"scan: a sequence must have at least one dimension, got {seq.type}")
    return seq


def _initial(entry):
    from theanine.tensor.basic import as_tensor_variable
    if entry is None:
        return None
    if isinstance(entry, dict):
        if list(entry.get("taps", [-1])) != [-1]:
            raise UnsupportedError("theano.scan outputs_info with taps other than [-1] are "
                                   "not available in theanine yet; see docs/THEANO_COMPAT.md")
        entry = entry.get("initial")
        if entry is None:
            return None
    return as_tensor_variable(entry)


def _slot(type_, var, suffix=""):
    """A stand-in of ``type_`` for ``var`` inside the step."""
    return Variable(type_, name=f"{var.name}{suffix}" if var.name else None)


def _split_result(result, name):
    """``(outputs, updates)`` from what ``fn`` returned (Theano accepts either order)."""
    from theanine.tensor.basic import as_tensor_variable
    updates = OrderedDict()
    if isinstance(result, dict):
        return [], OrderedDict(result)
    if isinstance(result, tuple) and len(result) == 2 and any(isinstance(r, dict)
                                                              for r in result):
        first, second = result
        updates, result = (first, second) if isinstance(first, dict) else (second, first)
        updates = OrderedDict(updates)
    outputs = [as_tensor_variable(o) for o in _as_list(result)]
    for var in updates:
        if not isinstance(var, SharedVariable):
            raise ValueError(f"scan {name or ''}: fn's updates must be keyed by shared "
                             f"variables, got {var!r}")
    return outputs, updates


def _check_feedback(output, initial, name):
    if output.dtype != initial.dtype or output.ndim != initial.ndim:
        where = describe(output.owner.source if output.owner is not None else None)
        raise TypeError(
            f"scan {name or ''}: an output fed back to the next step has type {output.type} "
            f"but its initial value (outputs_info) has type {initial.type}; they must have the "
            f"same dtype and number of dimensions (cast one of them){where}")


def _changed_shared(outputs, step_updates):
    """``{shared variable: its value after one step}``: fn's updates and random draws."""
    from theanine.tensor.basic import as_tensor_variable
    changed = OrderedDict()
    for var, value in step_updates.items():
        value = as_tensor_variable(value) if var.is_tensor else value
        if not var.type.is_compatible(value.type):
            raise TypeError(f"scan: the update of shared variable {var} has type {value.type}, "
                            f"but the variable has type {var.type}")
        changed[var] = value
    while True:
        found = [v for v in ancestors(list(outputs) + list(changed.values()))
                 if isinstance(v, SharedVariable) and v.default_update is not None
                 and v not in changed]
        if not found:
            return changed
        for var in found:
            changed[var] = var.default_update
