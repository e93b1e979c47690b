"""Which nodes of a schedule run only inside one branch of an ``ifelse``.

A node belongs to a branch of an :class:`~theanine.ops.ifelse.IfElse` node when
everything it computes is read only by that branch (directly, or through other
nodes of the branch) and by nothing else: no other node, no output, no update.
The linker runs such nodes inside the branch's ``if``/``else`` block, at the
``ifelse``'s place in the schedule, so the branch not taken costs nothing.

Moving a node later is safe for its own inputs, which are still computed
before it, unless an in-place node scheduled in between overwrites one of
them: such a node stays where it was (and runs whichever branch is taken).
Branches nest: a node claimed by several branches goes to the innermost.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> from theanine.ifelse import ifelse
    >>> from theanine.rewrite.schedule import schedule
    >>> a, b = T.dscalar('a'), T.dscalar('b')
    >>> fg = FunctionGraph([a, b], [ifelse(T.lt(a, b), T.exp(a), T.log(b))])
    >>> top, blocks = branch_plan(schedule(fg), fg.outputs, [])
    >>> [str(n.op) for n in top]
    ['Elemwise{lt}', 'IfElse{1}']
    >>> [[str(n.op) for n in block] for block in blocks[id(top[-1])]]
    [['Elemwise{exp}'], ['Elemwise{log}']]
"""
from __future__ import annotations

from theanine.rewrite.schedule import aliases


def branch_plan(nodes, outputs, updates):
    """``(top_level_nodes, {id(ifelse node): (then_nodes, else_nodes)})``, each in order.

    ``nodes`` is the schedule; the returned lists keep its order.
    """
    from theanine.ops.ifelse import IfElse
    conditionals = [n for n in nodes if isinstance(n.op, IfElse)]
    if not conditionals:
        return list(nodes), {}
    position = {id(n): k for k, n in enumerate(nodes)}
    readers = {}
    for node in nodes:
        for k, var in enumerate(node.inputs):
            readers.setdefault(id(var), []).append((node, k))
    external = {id(v) for v in outputs} | {id(v) for _, v in updates}
    overwritten = _overwritten_at(nodes)

    # Every (ifelse, branch) claims its nodes; a node goes to the smallest claim,
    # which is the innermost of nested branches.
    owner = {}
    claims = {}
    for node in conditionals:
        n = node.op.n_outs
        for branch, places in enumerate((range(1, 1 + n), range(1 + n, 1 + 2 * n))):
            claim = _exclusive(node, set(places), nodes, position, readers, external,
                               overwritten)
            claims[(id(node), branch)] = claim
            for member in claim:
                best = owner.get(member)
                if best is None or len(claims[best]) > len(claim):
                    owner[member] = (id(node), branch)
    top = [n for n in nodes if id(n) not in owner]
    blocks = {id(node): ([], []) for node in conditionals}
    for node in nodes:
        if id(node) in owner:
            conditional, branch = owner[id(node)]
            blocks[conditional][branch].append(node)
    return top, blocks


def _overwritten_at(nodes):
    """``{id(variable): [schedule positions of the in-place nodes that overwrite it]}``."""
    result = {}
    for k, node in enumerate(nodes):
        for index in getattr(node.op, "destroy_map", {}).values():
            for var in aliases(node.inputs[index], nodes):
                result.setdefault(id(var), []).append(k)
    return result


def _exclusive(conditional, places, nodes, position, readers, external, overwritten):
    """Ids of the nodes whose results only ``conditional``'s inputs at ``places`` read."""
    end = position[id(conditional)]
    inside = set()
    for node in reversed(nodes[:end]):
        start = position[id(node)]
        if not all(_read_only_inside(out, conditional, places, readers, external, inside)
                   for out in node.outputs) or \
                not any(id(out) in readers for out in node.outputs):
            continue
        if any(start < k < end for var in node.inputs for k in overwritten.get(id(var), ())):
            continue    # an in-place node in between overwrites one of its inputs
        inside.add(id(node))
    return inside


def _read_only_inside(var, conditional, places, readers, external, inside):
    if id(var) in external:
        return False
    return all((reader is conditional and k in places) or id(reader) in inside
               for reader, k in readers.get(id(var), ()))
