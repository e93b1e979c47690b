"""In-place: let elementwise results overwrite an input nobody needs afterwards.

Two cases are made in place (an elementwise node becomes a ``Fused`` node with
``inplace_input``, i.e. ``destroy_map = {0: k}``; a ``Gemm`` writes into its
``C``):

* an *update* ``W - lr * g`` whose elementwise node reads the shared variable
  ``W`` itself writes the new value into ``W``'s buffer, saving an allocation
  and a pass over the largest arrays of a training step;
* an elementwise node reading a *temporary* (the result of another node, not
  a view of anything) that nothing else reads, of the node's own type, writes
  into that temporary (``tanh(dot(x, W) + b)`` reuses the product's buffer).

A candidate is refused when the destroyed buffer is (a view of) a function
input or a constant, when it or a view of it is returned or is the new value
of another shared variable (both are read after all nodes ran), when another
input of the node is a view of it, when the new value is also returned, and
when some other reader of the old value (or of a view of it) can only run
after the node: :func:`~theanine.rewrite.schedule.schedule` orders every
destroyer after all other readers, and a candidate it cannot order is
undone.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> W = theanine.shared(np.ones(3), name='W')
    >>> step = theanine.function([], [], updates=[(W, W - 0.5 * W ** 2)])
    >>> step.nodes[-1].op.destroy_map
    {0: 0}
    >>> buffer = W.get_value(borrow=True); _ = step()
    >>> W.get_value(borrow=True) is buffer, W.get_value().tolist()
    (True, [0.5, 0.5, 0.5])
"""
from __future__ import annotations

from theanine.compile.linker import view_roots
from theanine.graph.basic import SharedVariable
from theanine.ops.blas import Gemm
from theanine.ops.elemwise import Elemwise
from theanine.ops.fused import Fused
from theanine.rewrite import register_pass
from theanine.rewrite.fusion import fused_output
from theanine.rewrite.schedule import ScheduleCycleError, aliases, schedule


@register_pass("inplace")
def inplace(fgraph):
    """Make update nodes and single-use temporaries overwrite their input in place."""
    changes = 0
    n_out = getattr(fgraph, "n_outputs", len(fgraph.outputs))
    for shared_var, k in zip(getattr(fgraph, "updated", ()), range(n_out, len(fgraph.outputs))):
        node = fgraph.outputs[k].owner
        if isinstance(shared_var, SharedVariable) and node is not None and \
                any(v is shared_var for v in node.inputs):
            changes += _try(fgraph, node, shared_var)
    clients = fgraph.clients()
    for node in fgraph.toposort():
        for var in node.inputs:
            if _is_private_temporary(var, node, clients) and _try(fgraph, node, var):
                changes += 1
                clients = fgraph.clients()
                break
    return changes


def _is_private_temporary(var, node, clients):
    return var.owner is not None and view_roots(var) == [var] and \
        [reader for reader, _ in clients.get(id(var), ())] == [node]


def _try(fgraph, node, target):
    """Replace ``node`` by an in-place version overwriting ``target``; 1 if done, else 0."""
    out = node.outputs[0]
    if not _can_overwrite(node, target) or out.ndim == 0 or target.type != out.type:
        return 0
    destroyed = {id(v) for v in aliases(target, fgraph.toposort())}
    if any(id(v) in destroyed for v in node.inputs if v is not target) or \
            any(id(v) in destroyed for v in fgraph.outputs):
        return 0
    # A shared variable's buffer may hold its own new value only: not a returned
    # value (later calls would change it under the caller) nor another update.
    if isinstance(target, SharedVariable) and sum(v is out for v in fgraph.outputs) != 1:
        return 0
    new = _inplace_output(node, target)
    fgraph.replace(out, new)
    try:
        schedule(fgraph)
    except ScheduleCycleError:
        fgraph.replace(new, out)
        return 0
    return 1


def _can_overwrite(node, target):
    """True if ``node``'s op has an in-place form that writes its output over ``target``."""
    op = node.op
    if isinstance(op, Elemwise) or (isinstance(op, Fused) and op.inplace_input is None):
        return True
    return isinstance(op, Gemm) and not op.inplace and node.inputs[0] is target


def _inplace_output(node, target):
    if isinstance(node.op, Gemm):
        new = node.op.with_inplace(0)(*node.inputs)
        new.owner.source = node.source
        return new
    if not isinstance(node.op, Fused):
        node = fused_output([node]).owner
    k = next(i for i, v in enumerate(node.inputs) if v is target)
    new = node.op.with_inplace(k)(*node.inputs)
    new.owner.source = node.source
    return new
