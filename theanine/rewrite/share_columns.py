"""Share im2col columns between a convolution and the gradient of its filters.

A training step convolves the images ``x`` with the filters (``Conv2D(x, w)``)
and later needs the filters' gradient (``Conv2DGradWeights(x, dout, (kh, kw))``).
Both gather the same receptive fields of ``x`` into columns (LeNet's second
layer: 64 MB per step). This pass pairs them: the forward node becomes a
:class:`~theanine.ops.conv.Conv2DWithColumns`, which also outputs its columns,
and the gradient node a :class:`~theanine.ops.conv.Conv2DGradWeightsFromColumns`
reading them, so the step gathers them once and keeps one buffer instead of two.

A pair must read the same images variable, have the same border mode, strides
and flip, and the gradient's filter size must be a constant equal to the forward
filters' static size. The pass runs after differentiation (the new ops have no
gradient), before fusion.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.tensor('float64', (2, 1, 6, 6), 'x')
    >>> w = theanine.shared(np.ones((3, 1, 3, 3)), name='w')
    >>> cost = T.nnet.conv2d(x, w).sum()
    >>> step = theanine.function([x], cost, updates=[(w, w - 0.1 * T.grad(cost, w))])
    >>> sorted(n.op.short_name() for n in step.nodes if 'conv' in n.op.short_name())
    ['conv2d_grad_weights_from_columns', 'conv2d_with_columns']
"""
from __future__ import annotations

from theanine.graph.basic import Constant
from theanine.ops.conv import (Conv2D, Conv2DGradWeights, Conv2DGradWeightsFromColumns,
                               Conv2DWithColumns)
from theanine.rewrite import register_pass


@register_pass("share_columns")
def share_columns(fgraph):
    """Pair each filter gradient with the forward convolution of the same images."""
    order = fgraph.toposort()
    forwards = {}
    for node in order:
        if type(node.op) is Conv2D:
            forwards.setdefault((id(node.inputs[0]), node.op._props()), node)
    replacements, paired = {}, {}
    for node in order:
        if type(node.op) is not Conv2DGradWeights:
            continue
        x, dout, filter_hw = node.inputs
        forward = forwards.get((id(x), node.op._props()))
        if forward is None or not _same_filter_size(filter_hw, forward.inputs[1]):
            continue
        if id(forward) not in paired:
            out, columns = Conv2DWithColumns(*forward.op._props())(*forward.inputs)
            out.owner.source = forward.source
            paired[id(forward)] = columns
            replacements[id(forward.outputs[0])] = out
        grad = Conv2DGradWeightsFromColumns(*node.op._props())(x, dout, filter_hw,
                                                               paired[id(forward)])
        grad.owner.source = node.source
        replacements[id(node.outputs[0])] = grad
    fgraph.replace_all(replacements)
    return len(replacements)


def _same_filter_size(filter_hw, filters):
    if not isinstance(filter_hw, Constant):
        return False
    static = filters.type.shape[2:]
    return None not in static and tuple(int(v) for v in filter_hw.data) == static
