"""Canonicalization: each rule by the rewritten graph's structure and by value."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import theanine
import theanine.tensor as T
from theanine.compile.fgraph import FunctionGraph
from theanine.ops.elemwise import DimShuffle, Elemwise, cast_elemwise
from theanine.rewrite.canonicalize import canonicalize


def rewritten(inputs, output):
    fg = FunctionGraph(inputs, [output])
    canonicalize(fg)
    return fg.outputs[0]


def same_values(inputs, output, *values):
    fast = theanine.function(inputs, output)
    slow = theanine.function(inputs, output, mode='FAST_COMPILE')
    np.testing.assert_allclose(fast(*values), slow(*values), rtol=1e-6)


@pytest.mark.parametrize("build", [
    lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0, lambda x: 0 + x, lambda x: x - 0,
    lambda x: x / 1, lambda x: -(-x), lambda x: x ** 1, lambda x: T.cast(x, x.dtype),
    lambda x: T.second(x, x), lambda x: T.specify_shape(x, (None, None)),
])
def test_useless_work_disappears(build):
    x = T.dmatrix('x')
    assert rewritten([x], build(x)) is x


def test_identity_cast_node_is_removed():
    x = T.fmatrix('x')
    node_out = cast_elemwise('float32')(x)
    assert rewritten([x], node_out) is x


def test_square_becomes_sqr():
    x = T.dvector('x')
    out = rewritten([x], x ** 2)
    assert out.owner.op == Elemwise('sqr') and out.owner.inputs[0] is x
    same_values([x], x ** 2, np.array([-3.0, 0.5]))


def test_neutral_constant_that_broadcasts_is_kept():
    x = T.dvector('x')
    zeros = T.constant(np.zeros((3, 1)))
    out = rewritten([x], x + zeros)
    assert out.ndim == 2 and out.owner is not None
    same_values([x], x + zeros, np.array([1.0, 2.0]))


def test_dtype_changing_neutral_constant_is_kept():
    x = T.fvector('x')
    out = rewritten([x], x * T.constant(np.ones(1, dtype='float64')))
    assert out.dtype == 'float64' and out.owner is not None


def test_dimshuffles_merge_and_identity_goes():
    x = T.dmatrix('x')
    twice = x.dimshuffle(1, 0).dimshuffle('x', 1, 0)
    out = rewritten([x], twice)
    assert isinstance(out.owner.op, DimShuffle) and out.owner.inputs[0] is x
    assert out.owner.op.new_order == ('x', 0, 1)
    assert rewritten([x], x.T.T) is x
    same_values([x], twice, np.arange(6.0).reshape(2, 3))


def test_fill_moves_out_and_constants_meet():
    # The L2 gradient's shape: second(W ** 2, c1) * c2 * W -> (c1 * c2) * W.
    W = T.dmatrix('W')
    expr = T.second(W ** 2, T.constant(3.0)) * 2.0 * W
    out = rewritten([W], expr)
    ops = [n.op for n in FunctionGraph([W], [out]).toposort()]
    assert ops == [Elemwise('mul')]
    same_values([W], expr, np.arange(6.0).reshape(2, 3))


def test_shape_only_use_asks_the_cheaper_input():
    x = T.dmatrix('x')
    zeros = T.zeros_like(T.exp(x) * 3.0)
    out = rewritten([x], zeros)
    assert out.owner.op == Elemwise('second') and out.owner.inputs[0] is x
    same_values([x], zeros, np.ones((2, 3)))


def test_canonicalize_leaves_the_function_semantics():
    x = T.dmatrix('x')
    b = T.dvector('b')
    expr = (-(-(x * 1 + 0)) ** 2 + b.dimshuffle('x', 0).dimshuffle(0, 1)) / 1
    fast = theanine.function([x, b], expr)
    slow = theanine.function([x, b], expr, mode='FAST_COMPILE')
    assert len(fast.nodes) < len(slow.nodes)
    xv, bv = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 0.5])
    np.testing.assert_allclose(fast(xv, bv), slow(xv, bv))


def test_negation_moves_out_of_sum_and_below_broadcast():
    x, s = T.dvector('x'), T.dscalar('s')
    expr = T.sum(-x) + T.exp(s.dimshuffle('x'))
    out = rewritten([x, s], expr)
    nodes = {str(n.op): n for n in FunctionGraph([x, s], [out]).toposort()}
    assert nodes["Elemwise{exp}"].inputs == [s]
    assert nodes["Elemwise{neg}"].inputs[0].owner is nodes["Reduce{sum, (0)}"]
    same_values([x, s], expr, np.array([1.0, -2.0]), 0.5)


def test_transposed_input_keeps_its_elementwise_op():
    # Moving tanh below a transpose would cut it off from the mul it fuses with.
    x = T.dmatrix('x')
    out = rewritten([x], T.tanh(x.T))
    assert out.owner.op == Elemwise('tanh')


def test_crossentropy_gradient_takes_the_row_gradient_unfilled():
    z, y = T.fmatrix('z'), T.ivector('y')
    cost = -T.mean(T.log(T.nnet.softmax(z))[T.arange(y.shape[0]), y])
    f = theanine.function([z, y], T.grad(cost, z))
    (node,) = [n for n in f.nodes if type(n.op).__name__ == "CrossEntropySoftmaxGrad"]
    assert node.inputs[0].ndim == 0
    zv = np.random.RandomState(0).randn(4, 3).astype('float32')
    yv = np.array([0, 2, 1, 2], dtype='int32')
    sm = np.exp(zv) / np.exp(zv).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(f(zv, yv), (sm - np.eye(3)[yv]) / 4, rtol=1e-5, atol=1e-7)


def test_sum_of_squares_becomes_one_dot():
    from theanine.ops.blas import Dot
    from theanine.ops.reduce import Reduce
    value = np.random.RandomState(0).rand(30, 20).astype("float32")
    W = theanine.shared(value)
    f = theanine.function([], 1e-4 * (W ** 2).sum())
    ops = [type(n.op) for n in f.nodes]
    assert Dot in ops and Reduce not in ops
    np.testing.assert_allclose(f(), 1e-4 * (value.astype("float64") ** 2).sum(), rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 12), st.sampled_from(["argmax", "argmin"]),
       st.sampled_from([T.nnet.softmax, T.nnet.logsoftmax]), st.integers(0, 2**31 - 1))
def test_argmax_of_softmax_ranks_the_scores_themselves(rows, classes, which, squash, seed):
    from theanine.ops.nnet import LogSoftmax, Softmax
    z = T.fmatrix('z')
    f = theanine.function([z], getattr(T, which)(squash(z), axis=1))
    assert not any(isinstance(n.op, (Softmax, LogSoftmax)) for n in f.nodes)
    values = np.random.RandomState(seed).randn(rows, classes).astype('float32') * 5
    np.testing.assert_array_equal(f(values), getattr(np, which)(values, axis=1))


def test_argmax_of_softmax_across_rows_keeps_the_softmax():
    from theanine.ops.nnet import Softmax
    z = T.fmatrix('z')
    f = theanine.function([z], T.argmax(T.nnet.softmax(z), axis=0))
    assert any(isinstance(n.op, Softmax) for n in f.nodes)
    values = np.array([[0.0, 5.0], [1.0, 0.0], [0.5, 9.0]], dtype='float32')
    expected = np.exp(values) / np.exp(values).sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(f(values), expected.argmax(axis=0))
