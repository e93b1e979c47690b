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

import numpy as np

from theanine.graph.basic import (Apply, Constant, SharedVariable, Variable, ancestors,
                                  clone_replace)
from theanine.graph.source import describe
from theanine.graph.type import TensorType
from theanine.ops.base import Op
from theanine.ops.random import RandomOp


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
    #: the step's last inner output is a condition that ends the loop (``until``)
    until = False

    def __init__(self, inner_inputs, inner_outputs, counts, feedback, go_backwards, name,
                 last_only=(), truncate_gradient=-1, until=False):
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
        self.until = until
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
        return len(self.inner_outputs) - self.counts[3] - int(self.until)

    @property
    def fn(self):
        """The compiled step (compiled on first use)."""
        if self._fn is None:
            from theanine.compile.function import function
            self._fn = function(self.inner_inputs, self.inner_outputs,
                                on_unused_input="ignore", name=f"scan {self.name} step")
        return self._fn

    def make_node(self, n_steps, *outer_inputs):
        static_steps = n_steps.data.item() if isinstance(n_steps, Constant) and not self.until \
            else None
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

    ``fn`` is called with, in order: the entries of each sequence (``s[t]``, or
    ``s[t+k]`` for each ``k`` of ``dict(input=s, taps=[...])``), the earlier
    values of each output whose ``outputs_info`` entry is not None (``y[t-1]``,
    or ``y[t-k]`` for each ``-k`` of ``dict(initial=y0, taps=[...])``, whose
    ``y0`` then holds the values before the first step along its first axis),
    and the ``non_sequences``. It returns its outputs (one variable or a list),
    optionally with a dictionary of shared-variable updates applied at every
    step and an :class:`until` condition that ends the loop after the step
    where it holds. Each output comes back stacked over the steps (shape
    ``(n_steps,) + step shape``, initial values not included). ``updates``
    holds the final values of the shared variables the loop changes (random
    generators included): pass it to ``theanine.function(..., updates=updates)``.
    ``go_backwards`` visits the sequences from their last entries.
    ``grad`` goes back through the last ``truncate_gradient`` steps (-1: all).

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> v = T.dvector('v')
    >>> sums, _ = theanine.scan(lambda x, total: total + x, sequences=v,
    ...                         outputs_info=T.constant(0.0, dtype='float64'))
    >>> theanine.function([v], sums)(np.array([1.0, 2.0, 3.0])).tolist()
    [1.0, 3.0, 6.0]
    >>> first = T.dvector('first')                  # Fibonacci: two earlier values
    >>> fib, _ = theanine.scan(lambda older, old: older + old, n_steps=5,
    ...                        outputs_info=dict(initial=first, taps=[-2, -1]))
    >>> theanine.function([first], fib)(np.array([0.0, 1.0])).tolist()
    [1.0, 2.0, 3.0, 5.0, 8.0]
    """
    from theanine.tensor.basic import as_tensor_variable, constant
    seqs, seq_slots = [], []
    for entry in _as_list(sequences):
        for part, slot in _sequence_taps(entry):
            seqs.append(part)
            seq_slots.append(slot)
    if n_steps is None and not seqs:
        raise ValueError(f"scan {name or ''}: give n_steps or at least one sequence")
    non_seqs = [as_tensor_variable(v) if not isinstance(v, Variable) else v
                for v in _as_list(non_sequences)]
    histories = None if outputs_info is None else \
        [_History.of(i, name) for i in _as_list(outputs_info)]
    fed_args = [a for h in histories or [] if h is not None for a in h.args]
    non_seq_slots = [v if isinstance(v, Constant) else _slot(v.type, v) for v in non_seqs]
    outputs, step_updates, condition = _split_result(
        fn(*seq_slots, *fed_args, *non_seq_slots), name)

    if histories is None:
        histories = [None] * len(outputs)
    if len(histories) != len(outputs):
        raise ValueError(f"scan {name or ''}: fn returned {len(outputs)} outputs but "
                         f"outputs_info has {len(histories)} entries (one per output, None "
                         f"for outputs that are not fed back)")
    # Each earlier value a step reads has its own stand-in, fed by the step before:
    # y[t-1] by the new output, y[t-k] by that step's stand-in for y[t-k+1] (passed
    # through as a hidden extra output).
    step_outputs, fed_slots, initials, feedback = list(outputs), [], [], []
    for k, history in enumerate(histories):
        if history is None:
            continue
        _check_feedback(outputs[k], history.initials[0], name)
        for lag, (slot, initial) in enumerate(zip(history.slots, history.initials), 1):
            fed_slots.append(slot)
            initials.append(initial)
            if lag == 1:
                feedback.append(k)
            else:
                feedback.append(len(step_outputs))
                step_outputs.append(history.slots[lag - 2])

    # Random draws the outputs depend on are stacked too (as hidden outputs), so that
    # a gradient loop reads the numbers the forward loop drew instead of drawing anew.
    known = {id(v) for v in step_outputs}
    step_outputs += [v for v in ancestors(outputs) if v.owner is not None
                     and isinstance(v.owner.op, RandomOp) and v is v.owner.outputs[1]
                     and id(v) not in known]

    # Every other leaf the step reads (shared variables, symbolic inputs captured by
    # fn's closure) becomes an input of the node, so the step is a pure function.
    states = _changed_shared(step_outputs, step_updates)
    state_vars = list(states)
    roots = step_outputs + [states[s] for s in state_vars] + \
        ([] if condition is None else [condition])
    own = {id(v) for v in seq_slots + fed_slots + non_seq_slots + state_vars}
    reads = [v for v in ancestors(roots)
             if v.owner is None and not isinstance(v, Constant) and id(v) not in own]
    read_slots = [_slot(v.type, v) for v in reads]
    state_slots = [_slot(s.type, s) for s in state_vars]
    inner_outputs = clone_replace(roots, dict(zip(reads + state_vars, read_slots + state_slots)))

    non_seq_inputs = [s for s in non_seq_slots if not isinstance(s, Constant)]
    outer_non_seqs = [v for v in non_seqs if not isinstance(v, Constant)]
    counts = (len(seqs), len(fed_slots), len(non_seq_inputs) + len(reads), len(state_vars))
    op = Scan(seq_slots + fed_slots + non_seq_inputs + read_slots + state_slots,
              inner_outputs, counts, feedback, go_backwards, name,
              truncate_gradient=_steps_back(truncate_gradient, name),
              until=condition is not None)
    steps = n_steps if isinstance(n_steps, Variable) else \
        constant(-1 if n_steps is None else int(n_steps), dtype="int64")
    results = op(steps, *seqs, *initials, *outer_non_seqs, *reads, *state_vars)
    results = results if isinstance(results, list) else [results]
    stacked, finals = results[:len(outputs)], results[len(step_outputs):]
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


class until:  # noqa: N801  (Theano's name)
    """Returned by ``fn`` with its outputs: the loop ends after the step where
    ``condition`` holds (``theano.scan_module.until``).

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> limit = T.dscalar('limit')
    >>> powers, _ = theanine.scan(lambda p: (p * 2, until(p * 2 >= limit)),
    ...                           outputs_info=T.constant(1.0, dtype='float64'), n_steps=100)
    >>> theanine.function([limit], powers)(20.0).tolist()
    [2.0, 4.0, 8.0, 16.0, 32.0]
    """

    def __init__(self, condition):
        from theanine.tensor.basic import as_tensor_variable
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise ValueError(f"until: the condition must be a scalar, got {condition.type}")
        self.condition = condition


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


def _sequence_taps(entry):
    """``[(part, stand-in)]``, one per tap: the part of the sequence tap ``k`` reads.

    At step ``t`` tap ``k`` reads entry ``t + k - lowest``, where ``lowest`` is
    the smallest tap (or 0); every part is cut to the same length, so the loop
    runs as long as the shortest.
    """
    from theanine.tensor.basic import as_tensor_variable
    taps = [0]
    if isinstance(entry, dict):
        taps = _tap_list(entry.get("taps", [0]), "sequences")
        entry = entry["input"]
    seq = as_tensor_variable(entry)
    if seq.ndim < 1:
        raise ValueError(f"scan: a sequence must have at least one dimension, got {seq.type}")
    lowest, highest = min(min(taps), 0), max(max(taps), 0)
    parts = []
    for k in taps:
        start, cut = k - lowest, highest - k
        part = seq[start:-cut] if cut else seq[start:]
        slot = _slot(TensorType(seq.dtype, seq.type.shape[1:]), seq,
                     "[t]" if k == 0 else f"[t{k:+d}]")
        parts.append((part, slot))
    return parts


def _tap_list(taps, where):
    taps = list(taps) if isinstance(taps, (list, tuple)) else [taps]
    if not taps or len(set(taps)) != len(taps) or \
            not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in taps):
        raise ValueError(f"scan: the taps of {where} must be distinct integers, got {taps!r}")
    return [int(k) for k in taps]


class _History:
    """An output fed back to later steps: one stand-in per earlier value it reads.

    ``slots[j - 1]`` stands for ``y[t-j]`` (``j`` = 1 up to the deepest tap),
    ``initials[j - 1]`` is its value at the first step, and ``args`` are the
    stand-ins ``fn`` asked for, in the order of its taps.
    """

    def __init__(self, initial, taps):
        depth = -min(taps)
        if taps == [-1]:
            self.initials = [initial]
        else:
            if initial.ndim < 1:
                raise ValueError(f"scan: outputs_info with taps {taps} needs the values before "
                                 f"the first step along a first axis, got {initial.type}")
            self.initials = [initial[depth - lag] for lag in range(1, depth + 1)]
        self.slots = [_slot(value.type, initial, f"[t-{lag}]")
                      for lag, value in enumerate(self.initials, 1)]
        self.args = [self.slots[-k - 1] for k in taps]

    @classmethod
    def of(cls, entry, name):
        """The history an ``outputs_info`` entry asks for, or None."""
        from theanine.tensor.basic import as_tensor_variable
        if entry is None:
            return None
        taps = [-1]
        if isinstance(entry, dict):
            if entry.get("initial") is None:
                return None
            if entry.get("taps", [-1]) is not None:
                taps = _tap_list(entry.get("taps", [-1]), "outputs_info")
            if any(k >= 0 for k in taps):
                raise ValueError(f"scan {name or ''}: outputs_info taps must be negative (earlier "
                                 f"steps), got {taps}")
            entry = entry["initial"]
        return cls(as_tensor_variable(entry), taps)


def _slot(type_, var, suffix=""):
    """A stand-in of ``type_`` for ``var`` inside the step."""
    return Variable(type_, name=f"{var.name}{suffix}" if var.name else None)


def _split_result(result, name):
    """``(outputs, updates, until condition)`` from what ``fn`` returned, in any order."""
    from theanine.tensor.basic import as_tensor_variable
    parts = [result]
    if isinstance(result, (tuple, list)) and any(isinstance(r, (dict, until)) for r in result):
        parts = list(result)
    outputs, updates, condition = [], OrderedDict(), None
    for part in parts:
        if isinstance(part, dict):
            updates.update(part)
        elif isinstance(part, until):
            condition = part.condition
        else:
            outputs = [as_tensor_variable(o) for o in _as_list(part)]
    for var in updates:
        if not isinstance(var, SharedVariable):
            raise ValueError(f"scan {name or ''}: fn's updates must be keyed by shared "
                             f"variables, got {var!r}")
    return outputs, updates, condition


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
