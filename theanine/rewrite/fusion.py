"""Elementwise fusion: groups of Elemwise nodes become one ``Fused`` node each.

A group grows from an Elemwise node (its *root*) towards the inputs: a
producer joins when it is an Elemwise node, its result is not an output of
the function, every node that reads the result is already in the group, and
the result has the root's broadcast pattern (so that no intermediate is
computed at a bigger shape than it had). The group then is a tree or a DAG
whose only value leaving it is the root's, and it runs as one
:class:`~theanine.ops.fused.Fused` node: one Python dispatch and one or two
buffers instead of one of each per op.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> x, W = T.matrix('x'), T.matrix('W')
    >>> fg = FunctionGraph([x, W], [T.tanh(T.dot(x, W) * 2 + 1)])
    >>> fuse(fg)
    1
    >>> [str(n.op) for n in fg.toposort()]
    ['Dot', 'Fused{mul,add,tanh}']
"""
from __future__ import annotations

from theanine.graph.type import TensorType
from theanine.ops.elemwise import Elemwise
from theanine.ops.fused import Fused
from theanine.rewrite import register_pass


def _fusable(node):
    # An op without a C expression (polygamma) stays alone: a GPU's fused kernels
    # are C, and its backend runs such an op on the host.
    return isinstance(node.op, Elemwise) and isinstance(node.outputs[0].type, TensorType) \
        and node.op.scalar_op.c_expr is not None


@register_pass("fuse")
def fuse(fgraph):
    """Replace each maximal group of fusable Elemwise nodes by one Fused node."""
    order = fgraph.toposort()
    position = {id(n): k for k, n in enumerate(order)}
    clients = fgraph.clients()
    protected = {id(v) for v in fgraph.outputs}
    taken, groups = set(), []
    for node in reversed(order):
        if id(node) in taken or not _fusable(node):
            continue
        group = _grow(node, clients, protected, taken)
        taken.update(group)
        if len(group) > 1:
            groups.append(sorted(group.values(), key=lambda n: position[id(n)]))
    mapping = {}
    for members in sorted(groups, key=lambda g: position[id(g[-1])]):
        root = members[-1].outputs[0]
        fused = fused_output(members, mapping)
        if fused.type == root.type:
            mapping[id(root)] = fused
    fgraph.replace_all(mapping)
    return len(mapping)


def _grow(root, clients, protected, taken):
    """The group of nodes that fuse into ``root``: ``{id(node): node}``."""
    pattern = root.outputs[0].type.broadcastable
    group = {id(root): root}
    grew = True
    while grew:
        grew = False
        for member in list(group.values()):
            for var in member.inputs:
                producer = var.owner
                if producer is None or id(producer) in group or id(producer) in taken or \
                        not _fusable(producer) or id(var) in protected or \
                        var.type.broadcastable != pattern:
                    continue
                if all(reader != "output" and id(reader) in group
                       for reader, _ in clients[id(var)]):
                    group[id(producer)] = producer
                    grew = True
    return group


def fused_output(members, mapping=None):
    """The output of one Fused node computing ``members`` (Elemwise nodes in topological
    order, the last one giving the result); ``mapping`` renames external inputs."""
    mapping = mapping or {}
    inside = {id(n.outputs[0]) for n in members}
    inputs, slot = [], {}
    for node in members:
        for var in node.inputs:
            if id(var) not in inside and id(var) not in slot:
                slot[id(var)] = len(inputs)
                inputs.append(mapping.get(id(var), var))
    program = []
    for node in members:
        out = node.outputs[0]
        program.append((node.op.scalar_name, tuple(slot[id(v)] for v in node.inputs), out.dtype))
        slot[id(out)] = len(inputs) + len(program) - 1
    fused = Fused(len(inputs), program)(*inputs)
    fused.owner.source = members[-1].source
    return fused
