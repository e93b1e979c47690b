"""Turning a scheduled graph into one straight-line Python function.

The generated function reads shared values once, calls each node's kernel
with local variables (no lookups, no loop), drops intermediates after their
last use, writes every update only after all outputs are computed, and
returns the outputs. Its source lines map back to graph nodes, so a failure
can name the user's line that built the failing node.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.function import function
    >>> x = T.dvector('x')
    >>> f = function([x], x * 2)
    >>> 'kernel' in f.source
    True
"""
from __future__ import annotations

import itertools

import numpy as np

from theanine.compile.branches import branch_plan
from theanine.graph.basic import Constant, SharedVariable

_counter = itertools.count()


def view_sources(op, index):
    """The input positions whose memory output ``index`` of ``op`` may share.

    An op's ``view_map`` maps an output to one input, or to a tuple of inputs
    when it may be a view of any of them (``ifelse`` returns one of its branches).

    >>> from theanine.ops.ifelse import IfElse
    >>> view_sources(IfElse(2), 1)
    (2, 4)
    """
    source = op.view_map.get(index)
    if source is None:
        return ()
    return source if isinstance(source, tuple) else (source,)


def view_roots(var):
    """The variables whose memory ``var`` may share: ``[var]`` when it is no view.

    Each root is a leaf (input, shared variable, constant) or a result that is
    not a view.
    """
    roots, stack, seen = [], [var], set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        sources = view_sources(v.owner.op, v.index) if v.owner is not None else ()
        if sources:
            stack.extend(v.owner.inputs[i] for i in sources)
        else:
            roots.append(v)
    return roots


class Linked:
    """The generated callable and what is needed to explain a failure."""

    def __init__(self, run, source, filename, line_to_node, node_arg_names):
        self.run = run
        self.source = source
        self.filename = filename
        self.line_to_node = line_to_node
        self.node_arg_names = node_arg_names


def link(nodes, inputs, outputs, updates, backend, profile=None):
    """Generate the function ``run(*input_values) -> list of outputs``.

    ``nodes`` is the schedule (topologically ordered Apply nodes),
    ``updates`` a list of ``(shared_variable, new_value_variable)``;
    ``profile``, a :class:`~theanine.compile.profiling.ProfileStats`, makes the
    step time each kernel and itself into it.
    """
    names, scope = {}, {"_asarray": getattr(backend, "update_value", np.asarray),
                        "_copy": np.array}
    counter = itertools.count()
    # Device backends keep small integer constants (shapes) on the host.
    constant = getattr(backend, "constant", backend.to_device)

    def name_of(var):
        key = id(var)
        if key not in names:
            if isinstance(var, Constant):
                names[key] = f"c{next(counter)}"
                scope[names[key]] = constant(var.data)
            else:
                names[key] = f"v{next(counter)}"
        return names[key]

    arg_names = [name_of(v) for v in inputs]
    lines = [f"def run({', '.join(arg_names)}):"]
    if profile is not None:
        from theanine.compile.profiling import clock
        scope["_clock"], scope["_P"] = clock, profile
        # A device that runs kernels asynchronously is waited for, so each node's
        # time is its own.
        scope["_sync"] = getattr(backend, "synchronize", lambda: None)
        lines.append("    _start = _clock()")
    # A device backend moves inputs in when a call starts and outputs out at its end.
    to_device = getattr(backend, "input_to_device", None)
    to_host = getattr(backend, "output_to_host", None)
    if to_device is not None:
        scope["_in"], scope["_out"] = to_device, to_host
        lines.extend(f"    {a} = _in({a})" for a in arg_names)
    cells = {}
    for var in itertools.chain(_leaves(nodes), outputs, (value for _, value in updates)):
        if isinstance(var, SharedVariable) and id(var) not in cells:
            cells[id(var)] = f"S{len(cells)}"
            scope[cells[id(var)]] = var.container
            lines.append(f"    {name_of(var)} = {cells[id(var)]}.value")
    for var, _ in updates:
        if id(var) not in cells:
            cells[id(var)] = f"S{len(cells)}"
            scope[cells[id(var)]] = var.container

    top, blocks = branch_plan(nodes, outputs, updates)
    position_of = {id(node): k for k, node in enumerate(nodes)}
    # What a branch computes stays until the call returns: only top-level results
    # are dropped after their last use.
    top_ids = {id(node) for node in top}
    in_branches = {id(out) for node in nodes if id(node) not in top_ids
                   for out in node.outputs}
    needed_until = _last_uses(top, blocks, outputs, updates)
    line_to_node, node_arg_names = {}, {}

    def emit(block, indent):
        pad = " " * indent
        for node in block:
            position = position_of[id(node)]
            outs = ", ".join(name_of(o) for o in node.outputs)
            if len(node.outputs) > 1:
                outs += ","
            if id(node) in blocks:
                # An ifelse: each branch's own nodes run in its block only.
                n = node.op.n_outs
                lines.append(f"{pad}if {name_of(node.inputs[0])}:")
                for branch, values in enumerate((node.inputs[1:1 + n], node.inputs[1 + n:])):
                    if branch:
                        lines.append(f"{pad}else:")
                    emit(blocks[id(node)][branch], indent + 4)
                    lines.append(f"{pad}    {outs} = {', '.join(name_of(v) for v in values)}")
            else:
                kernel = f"kernel{position}"
                scope[kernel] = backend.kernel(node)
                args = [name_of(v) for v in node.inputs]
                if profile is not None:
                    lines.append(f"{pad}_t = _clock()")
                line_to_node[len(lines) + 1] = node
                node_arg_names[id(node)] = args
                lines.append(f"{pad}{outs} = {kernel}({', '.join(args)})")
                if profile is not None:
                    lines.append(f"{pad}_sync(); _P.node_seconds[{position}] += _clock() - _t")
            if indent == 4:
                dead = [name_of(v) for v in _reads(node, blocks)
                        if needed_until.get(id(v)) is node and _is_temporary(v)
                        and id(v) not in in_branches]
                if dead:
                    lines.append(f"{pad}del {', '.join(sorted(set(dead)))}")
    emit(top, 4)

    returned = [_owned(v, name_of(v), keep_root=None) for v in outputs]
    for k, (shared_var, value) in enumerate(updates):
        expr = _owned(value, name_of(value), keep_root=shared_var)
        lines.append(f"    _u{k} = {'_asarray(' + expr + ')' if shared_var.ndim == 0 else expr}")
    for k, (shared_var, _) in enumerate(updates):
        lines.append(f"    {cells[id(shared_var)]}.value = _u{k}")
    if to_host is not None:
        returned = [f"_out({r})" for r in returned]
    if profile is not None:
        lines.append("    _P.calls += 1; _P.step_seconds += _clock() - _start")
    lines.append(f"    return [{', '.join(returned)}]")
    # A backend may hold a context around whole steps of some graphs (the NumPy
    # backend keeps BLAS single-threaded around convolution steps).
    step_context = getattr(backend, "step_context", None)
    context = step_context(nodes) if step_context is not None else None
    if context is not None:
        scope["_step_context"] = context
        lines = [lines[0], "    with _step_context():"] + ["    " + line for line in lines[1:]]
        line_to_node = {number + 1: node for number, node in line_to_node.items()}
    source = "\n".join(lines) + "\n"
    filename = f"<theanine-function-{next(_counter)}>"
    exec(compile(source, filename, "exec"), scope)
    return Linked(scope["run"], source, filename, line_to_node, node_arg_names)


def _is_temporary(var):
    return var.owner is not None


def _leaves(nodes):
    for node in nodes:
        yield from node.inputs


def _owned(var, name, keep_root):
    """Expression for ``var``'s value in memory that nobody else holds.

    A value that is (a view of) an input, a constant or a shared variable
    other than ``keep_root`` is copied, so later in-place updates or the
    caller's own writes cannot change it behind anyone's back.
    """
    if var.ndim and any(root.owner is None and root is not keep_root
                        for root in view_roots(var)):
        return f"_copy({name})"
    return name


def _reads(node, blocks):
    """The variables ``node`` reads, those of the nodes in its branches included."""
    if id(node) not in blocks:
        return node.inputs
    found = list(node.inputs)
    for block in blocks[id(node)]:
        for inner in block:
            found.extend(_reads(inner, blocks))
    return found


def _last_uses(top, blocks, outputs, updates):
    """``{id(variable): the top-level node after which nothing reads it}``.

    Variables that outputs or updates return are absent: they live to the end.
    """
    last = {}
    for node in top:
        for var in _reads(node, blocks):
            last[id(var)] = node
    for var in itertools.chain(outputs, (v for _, v in updates)):
        last.pop(id(var), None)
    return last
