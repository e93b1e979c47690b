"""NumPy kernel of :class:`theanine.ops.scan.Scan`: a Python loop over the compiled step.

The outputs of the first step fix the shapes of the stacked results, which
are allocated once; every later step writes its row in place. Outputs the
node keeps only the last value of (``last_only``) are not stacked. Going
backwards, step ``t`` reads entry ``-1 - t`` of every sequence; a loop with an
``until`` condition stops after the step where it holds and returns the rows
written so far.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> v = T.dvector('v')
    >>> doubled, _ = theanine.scan(lambda x: x * 2, sequences=v)
    >>> theanine.function([v], doubled)(np.array([1.0, 2.0])).tolist()
    [2.0, 4.0]
"""
from __future__ import annotations

import numpy as np

from theanine.backends.numpy_backend import register
from theanine.ops.scan import Scan


@register(Scan)
def scan_kernel(node):
    """The loop that runs ``node``'s compiled step and stacks its outputs."""
    op = node.op
    n_seq, n_fed, n_rest, n_states = op.counts
    n_out, feedback, backwards = op.n_step_outputs, op.feedback, op.go_backwards
    keep_all = [j not in op.last_only for j in range(n_out)]
    until = int(op.until)

    def run_scan(n_steps, *arrays):
        sequences = arrays[:n_seq]
        previous = list(arrays[n_seq:n_seq + n_fed])
        rest = list(arrays[n_seq + n_fed:n_seq + n_fed + n_rest])
        states = list(arrays[len(arrays) - n_states:])
        n = int(n_steps)
        if n < 0:
            n = min(len(s) for s in sequences)
        elif any(len(s) < n for s in sequences):
            raise ValueError(f"scan {op.name}: n_steps={n} but a sequence has only "
                             f"{min(len(s) for s in sequences)} entries")
        if n <= 0:
            raise ValueError(f"scan {op.name}: the loop must run at least once, got "
                             f"{n} steps")
        # The first step's inputs are checked as any call's; later steps get the same
        # sequences, the same loop-invariant values and the step's own outputs.
        step, stacked, done = op.fn, None, n
        for t in range(n):
            i = -1 - t if backwards else t
            inputs = (*[s[i] for s in sequences], *previous, *rest, *states)
            if stacked is None:
                results = step(*inputs)
                stacked = [np.empty((n,) + r.shape, dtype=r.dtype) if keep else None
                           for r, keep in zip(results, keep_all)]
                shapes = [np.shape(r) for r in results[:n_out]]
            else:
                results = step.run_checked_inputs(*inputs)
                _check_same_shapes(op, t, shapes, results)
            for out, value in zip(stacked, results):
                if out is not None:
                    out[t] = value
            previous = [results[k] for k in feedback]
            states = results[n_out:len(results) - until]
            if until and results[-1]:
                done = t + 1
                break
        outputs = [out[:done] if keep else value
                   for out, value, keep in zip(stacked, results, keep_all)]
        final = (*outputs, *states)
        return final if len(final) > 1 else final[0]
    return run_scan


def _check_same_shapes(op, t, shapes, results):
    for j, (shape, value) in enumerate(zip(shapes, results)):
        if np.shape(value) != shape:
            raise ValueError(f"scan {op.name}: step {t} made output {j} of shape "
                             f"{np.shape(value)}, but the first step made it {shape}; a "
                             f"loop's outputs keep one shape")
