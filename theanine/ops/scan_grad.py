"""The gradient of a :class:`~theanine.ops.scan.Scan`: a second loop, run backwards.

Backpropagation through time. The forward loop computed, at each step ``t``,
``y_t = step(s_t, h_{t-1}, r)`` from a sequence entry, the previous values of
the fed-back outputs and the loop-invariant inputs (non-sequences and the
variables the step reads). The backward loop visits the steps from last to
first and, at each, differentiates the same step graph (rebuilt from its
inputs, which the forward loop's stacked outputs supply) against the sum of

* the gradient arriving at ``y_t`` from outside the loop, and
* for a fed-back output, the gradient its next step sent back to ``h_t``.

It stacks the gradient of each sequence entry, sends the gradient of
``h_{t-1}`` to the step before, and adds up the gradients of the
loop-invariant inputs; only the last value of those two is kept. What reaches
the first step's ``h_{-1}`` is the gradient of the initial values. Where the
step's gradient needs ``y_t`` itself, or a random number the step drew, it
reads the value the forward loop stored (``scan`` stacks the draws for that).
The backward loop is itself differentiable (second derivatives): it is
rebuilt to keep every step's carried gradients, which its own gradient needs.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dscalar('x')
    >>> powers, _ = theanine.scan(lambda prev: prev * x, outputs_info=T.ones_like(x),
    ...                           n_steps=3)
    >>> g = T.grad(powers[-1], x)                   # d(x**3)/dx = 3 x**2
    >>> float(theanine.function([x], g)(2.0))
    12.0
"""
from __future__ import annotations

import numpy as np

from theanine.errors import UnsupportedError
from theanine.graph.basic import Variable, ancestors, clone_replace
from theanine.graph.source import describe
from theanine.graph.type import TensorType


def backward_loop(op, inputs, outputs, output_grads):
    """``op.grad``: gradients of a scan node's inputs from its outputs' gradients."""
    from theanine.gradient import grad
    from theanine.ops.scan import Scan
    from theanine.tensor import basic as T

    if op.last_only:
        return _through_every_step(op, inputs, outputs, output_grads)
    n_seq, n_fed, n_rest, _ = op.counts
    n_out = op.n_step_outputs
    outer = inputs[1:]
    seqs, initials = outer[:n_seq], outer[n_seq:n_seq + n_fed]
    rest = outer[n_seq + n_fed:n_seq + n_fed + n_rest]
    seq_slots = op.inner_inputs[:n_seq]
    fed_slots = op.inner_inputs[n_seq:n_seq + n_fed]
    rest_slots = op.inner_inputs[n_seq + n_fed:n_seq + n_fed + n_rest]
    step_outputs = op.inner_outputs[:n_out]

    float_outputs = [j for j in range(n_out) if _is_float(outputs[j])]
    float_seqs = [i for i in range(n_seq) if _is_float(seqs[i])]
    carried = [k for k in range(n_fed) if _is_float(initials[k])]
    float_rest = [r for r in range(n_rest) if _is_float(rest[r])]
    no_gradient = [None] * len(inputs)
    if not float_outputs or not (float_seqs or carried or float_rest):
        return no_gradient

    # Every sequence of the backward loop is indexed by the forward step that
    # used its entry (as the stacked outputs and their gradients already are),
    # and holds only the steps the gradient goes back through.
    n = T.shape(outputs[0])[0]
    if op.truncate_gradient == -1:
        first = 0
    else:
        first = n - T.minimum(op.truncate_gradient, n)

    def by_step(sequence):
        in_order = sequence[::-1] if op.go_backwards else sequence
        return in_order[:n][first:]

    previous = [T.concatenate([T.shape_padleft(initials[k]), outputs[op.feedback[k]][:-1]])
                for k in range(n_fed)]

    # The backward step: its own stand-ins for the arriving gradients, the carried
    # gradients and the sums; the forward step's stand-ins for what it read.
    arriving = [Variable(TensorType(outputs[j].dtype, outputs[j].type.shape[1:]),
                         name=f"d{_name(step_outputs[j])}[t]") for j in float_outputs]
    carries = [Variable(fed_slots[k].type, name=f"d{_name(fed_slots[k])}")
               for k in carried]
    sums = [Variable(rest_slots[r].type, name=f"d{_name(rest_slots[r])} sum")
            for r in float_rest]
    known = {}
    for j, g in zip(float_outputs, arriving):
        for k, carry in zip(carried, carries):
            if op.feedback[k] == j:
                g = g + carry
        y = step_outputs[j]
        known[id(y)] = (y, known[id(y)][1] + g if id(y) in known else g)
    wrt = ([seq_slots[i] for i in float_seqs] + [fed_slots[k] for k in carried]
           + [rest_slots[r] for r in float_rest])
    step_grads = grad(None, wrt, known_grads=dict(known.values()),
                      disconnected_inputs="ignore")
    # Where the gradient reads a step output (tanh's and sigmoid's do), it reads the
    # value the forward loop stored, so the step is not computed again for it.
    computed = [j for j in range(n_out) if step_outputs[j].owner is not None]
    stored = [Variable(TensorType(outputs[j].dtype, outputs[j].type.shape[1:]),
                       name=f"{_name(step_outputs[j])}[t]") for j in computed]
    step_grads = clone_replace(step_grads, {step_outputs[j]: slot
                                            for j, slot in zip(computed, stored)})
    _check_no_state_read(op, step_grads, outputs)
    seq_grads = step_grads[:len(float_seqs)]
    carried_grads = step_grads[len(float_seqs):len(float_seqs) + len(carried)]
    rest_grads = step_grads[len(float_seqs) + len(carried):]
    new_sums = [total + g for total, g in zip(sums, rest_grads)]

    fed_back = tuple(range(len(seq_grads), len(seq_grads) + len(carries) + len(sums)))
    sequences = arriving + stored + list(seq_slots) + list(fed_slots)
    loop = Scan(sequences + carries + sums + list(rest_slots),
                seq_grads + carried_grads + new_sums,
                (len(sequences), len(carries) + len(sums), n_rest, 0),
                list(fed_back), go_backwards=True, name=f"grad of {op.name}",
                last_only=fed_back)
    results = loop(T.constant(-1, dtype="int64"),
                   *[output_grads[j][first:] for j in float_outputs],
                   *[outputs[j][first:] for j in computed],
                   *[by_step(s) for s in seqs],
                   *[p[first:] for p in previous],
                   *[T.zeros_like(initials[k]) for k in carried],
                   *[T.zeros_like(rest[r]) for r in float_rest],
                   *rest)
    results = results if isinstance(results, list) else [results]

    gradients = list(no_gradient)
    for i, stacked in zip(float_seqs, results):
        # The loop stacked these from the last step visited to the first; a loop
        # that went backwards read the sequence reversed.
        zeros = T.zeros_like(seqs[i])
        if op.go_backwards:
            gradients[1 + i] = T.set_subtensor(zeros[::-1][first:n], stacked[::-1])[::-1]
        else:
            gradients[1 + i] = T.set_subtensor(zeros[first:n], stacked[::-1])
    finals = results[len(float_seqs):]
    for k, carry in zip(carried, finals):
        if op.truncate_gradient != -1:   # a cut-off gradient does not reach the start
            carry = T.switch(T.ge(op.truncate_gradient, n), carry, T.zeros_like(carry))
        gradients[1 + n_seq + k] = carry
    for r, total in zip(float_rest, finals[len(carried):]):
        gradients[1 + n_seq + n_fed + r] = total
    return gradients


def _check_no_state_read(op, step_grads, outputs):
    """The gradient step may use random draws (stored) but not the loop's changing state."""
    n_seq, n_fed, n_rest, n_states = op.counts
    states = op.inner_inputs[n_seq + n_fed + n_rest:]
    read = {id(v) for v in ancestors(step_grads)}
    if any(id(state) in read for state in states):
        where = describe(outputs[0].owner.source if outputs and outputs[0].owner else None)
        raise UnsupportedError(
            f"grad: the scan '{op.name}' reads a shared variable that fn's updates change at "
            f"every step, and its gradient depends on it; theanine cannot differentiate "
            f"such a loop. Pass the value as a fed-back output (outputs_info) instead, or "
            f"stop the gradient before the loop with "
            f"consider_constant=[<the scan's result>]{where}")


def _through_every_step(op, inputs, outputs, output_grads):
    """The gradient of a loop that keeps only the last values of some outputs.

    Differentiating needs every step's values (a gradient loop's carried
    gradients, when a second derivative goes through it), so the same loop is
    built again keeping them all, and each kept-last output's gradient is
    placed at the last step of the stacked one.
    """
    from theanine.ops.scan import Scan
    from theanine.tensor import basic as T
    every_step = Scan(op.inner_inputs, op.inner_outputs, op.counts, op.feedback,
                      op.go_backwards, op.name, truncate_gradient=op.truncate_gradient,
                      until=op.until)
    stacked = every_step(*inputs)
    stacked = stacked if isinstance(stacked, list) else [stacked]
    grads = [T.set_subtensor(T.zeros_like(full)[-1], g) if j in op.last_only else g
             for j, (full, g) in enumerate(zip(stacked, output_grads))]
    return backward_loop(every_step, inputs, stacked, grads)


def _is_float(var):
    return isinstance(var.type, TensorType) and np.dtype(var.dtype).kind == "f"


def _name(var):
    return var.name or "y"
