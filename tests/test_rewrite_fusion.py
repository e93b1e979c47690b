"""Elementwise fusion: the Fused op, its NumPy kernel, and the fusion pass."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import theanine
import theanine.tensor as T
from theanine.backends.numpy_backend import NumpyBackend
from theanine.backends.numpy_fused import fused_source
from theanine.compile.fgraph import FunctionGraph
from theanine.errors import GradientError
from theanine.ops.fused import Fused
from theanine.rewrite.fusion import fuse


def run_fused(op, *arrays):
    inputs = [T.tensor(a.dtype, tuple(1 if d == 1 else None for d in a.shape)) for a in arrays]
    node = op(*inputs).owner
    return NumpyBackend().kernel(node)(*arrays), node


# ---------------------------------------------------------------- the op and its kernel

def test_program_evaluates_like_numpy_with_broadcasting():
    op = Fused(3, [("mul", (0, 1), "float64"), ("add", (3, 2), "float64"),
                   ("tanh", (4,), "float64")])
    a, b, c = np.random.RandomState(0).randn(3, 4, 5)
    out, _ = run_fused(op, a, b[:1], c[:, :1])
    np.testing.assert_allclose(out, np.tanh(a * b[:1] + c[:, :1]))


def test_kernel_uses_one_buffer_for_a_chain():
    op = Fused(2, [("mul", (0, 1), "float32"), ("exp", (2,), "float32"),
                   ("sub", (3, 0), "float32"), ("sqr", (4,), "float32")])
    x = T.fmatrix('x')
    source = fused_source(op(x, T.fmatrix('y')).owner)
    assert source.count("= _empty") == 1 and "out=b0" in source


def test_new_buffers_take_the_layout_of_a_full_input():
    # A Fortran-ordered product (numpy_parallel.matmul's wide case) stays Fortran-ordered.
    op = Fused(2, [("add", (0, 1), "float32"), ("tanh", (2,), "float32")])
    a = np.asfortranarray(np.random.RandomState(0).randn(4, 6).astype("float32"))
    out, _ = run_fused(op, a, np.ones((1, 6), "float32"))
    assert out.flags.f_contiguous
    np.testing.assert_allclose(out, np.tanh(a + 1), rtol=1e-6)


def test_small_operands_stay_small():
    # lr * 0.5 is computed once at its own (broadcast) shape, not per element.
    op = Fused(3, [("mul", (0, 1), "float64"), ("mul", (3, 2), "float64")])
    node = op(T.TensorType('float64', (1, 1))(), T.TensorType('float64', (1, 1))(),
              T.dmatrix('g')).owner
    source = fused_source(node)
    assert "t0 = f0(i0, i1)" in source
    out = NumpyBackend().kernel(node)(np.full((1, 1), 0.1), np.full((1, 1), 0.5), np.ones((2, 3)))
    np.testing.assert_allclose(out, np.full((2, 3), 0.05))


def test_mixed_dtypes_and_bool_intermediates():
    op = Fused(2, [("gt", (0, 1), "bool"), ("cast_float32", (2,), "float32"),
                   ("mul", (3, 0), "float32")])
    x = np.array([[-1.0, 2.0, 3.0]], dtype='float32')
    zero = np.zeros((1, 1), dtype='float32')
    out, _ = run_fused(op, x, zero)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.0, 2.0, 3.0]])


def test_switch_does_not_overwrite_what_it_reads():
    # switch's NumPy implementation writes ``out`` in two steps; its inputs must survive.
    op = Fused(2, [("neg", (0,), "float64"), ("gt", (0, 1), "bool"),
                   ("switch", (3, 2, 0), "float64"), ("add", (4, 2), "float64")])
    x = np.array([-2.0, -1.0, 1.0, 2.0])
    out, _ = run_fused(op, x, np.zeros(1))
    np.testing.assert_allclose(out, np.where(x > 0, -x, x) - x)


def test_inplace_kernel_writes_into_its_input():
    op = Fused(2, [("mul", (1, 0), "float64"), ("sub", (0, 2), "float64")], inplace_input=0)
    W, g = np.ones((2, 3)), np.full((2, 3), 2.0)
    out, _ = run_fused(op, W, g)
    assert out is W
    np.testing.assert_allclose(W, np.full((2, 3), -1.0))


def test_inplace_kernel_falls_back_for_read_only_input():
    op = Fused(1, [("sqr", (0,), "float64")], inplace_input=0)
    W = np.full(3, 3.0)
    W.flags.writeable = False
    out, _ = run_fused(op, W)
    assert out is not W and W.tolist() == [3.0] * 3 and out.tolist() == [9.0] * 3


def test_inplace_input_read_twice_is_read_before_overwritten():
    op = Fused(2, [("mul", (1, 1), "float64"), ("add", (2, 0), "float64"),
                   ("mul", (3, 0), "float64")], inplace_input=0)
    W, g = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out, _ = run_fused(op, W.copy(), g)
    np.testing.assert_allclose(out, (g * g + W) * W)


def test_scalar_program():
    op = Fused(2, [("true_div", (0, 1), "float32"), ("neg", (2,), "float32")])
    out, _ = run_fused(op, np.array(3.0, dtype='float32'), np.array(2.0, dtype='float32'))
    assert float(out) == -1.5


def test_c_code_is_one_statement_per_instruction():
    op = Fused(3, [("mul", (0, 1), "float32"), ("sub", (2, 3), "float32"),
                   ("abs", (4,), "float32")])
    code = op.c_code(["W", "lr", "g"], "out")
    assert code.splitlines() == ["float t0 = W * lr;", "float t1 = g - t0;", "out = fabs(t1);"]


def test_malformed_program_is_refused():
    with pytest.raises(ValueError):
        Fused(1, [("add", (0, 3), "float32")])


def test_fused_has_no_gradient():
    x = T.dvector('x')
    out = Fused(1, [("exp", (0,), "float64")])(x)
    with pytest.raises(GradientError):
        T.grad(out.sum(), x)


# ---------------------------------------------------------------- the pass

def fused_fgraph(inputs, outputs):
    fg = FunctionGraph(inputs, outputs)
    fuse(fg)
    return fg


def test_chain_becomes_one_node():
    x, W, b = T.dmatrix('x'), T.dmatrix('W'), T.dvector('b')
    fg = fused_fgraph([x, W, b], [T.tanh(T.dot(x, W) + b) * 2])
    nodes = fg.toposort()
    assert [type(n.op).__name__ for n in nodes] == ["Dot", "DimShuffle", "Fused"]
    assert [name for name, _, _ in nodes[-1].op.program] == ["add", "tanh", "mul"]


def test_shared_intermediate_and_outputs_are_not_absorbed():
    x = T.dvector('x')
    e = T.exp(x)
    fg = fused_fgraph([x], [e * 2 + 1, e])
    assert [str(n.op) for n in fg.toposort()] == ["Elemwise{exp}", "Fused{mul,add}"]


def test_smaller_intermediate_stays_outside():
    # lr * 0.1 has shape (1,): fusing it would compute it once per element.
    x, lr = T.dvector('x'), T.dscalar('lr')
    fg = fused_fgraph([x, lr], [T.exp(x) * (lr * 0.1)])
    assert [str(n.op) for n in fg.toposort()] == ["Elemwise{mul}", "DimShuffle{x}",
                                                   "Fused{exp,mul}"]
    assert [name for name, _, _ in fg.toposort()[-1].op.program] == ["exp", "mul"]


def test_repeated_input_is_one_slot():
    x = T.dvector('x')
    fg = fused_fgraph([x], [T.exp(x) * x + x])
    node = fg.toposort()[-1]
    assert node.inputs == [x]


ELEMWISE_BUILDERS = [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
    lambda a, b: a / (T.abs(b) + 1), lambda a, b: T.maximum(a, b),
    lambda a, b: T.switch(a > b, a, b * 2), lambda a, b: T.tanh(a) * b,
    lambda a, b: T.exp(-T.sqr(a)) + T.nnet.sigmoid(b), lambda a, b: T.second(a, b) + a,
    lambda a, b: T.cast(a > 0, a.dtype) * b, lambda a, b: T.round(a) - b,
]


@given(st.lists(st.tuples(st.integers(0, len(ELEMWISE_BUILDERS) - 1), st.integers(0, 2),
                          st.integers(0, 2)), min_size=1, max_size=8),
       st.sampled_from([(None, None), (1, None), (None, 1)]),
       st.sampled_from(["float32", "float64"]))
def test_random_elementwise_graphs_agree_with_unfused(steps, b_shape, dtype):
    a, b, c = T.tensor(dtype, (None, None)), T.tensor(dtype, b_shape), T.tensor(dtype, (1, 1))
    values = [a, b, c]
    for k, i, j in steps:
        values.append(ELEMWISE_BUILDERS[k](values[-1 - i], values[-1 - j]))
    out = values[-1]
    fast = theanine.function([a, b, c], out, on_unused_input='ignore')
    slow = theanine.function([a, b, c], out, on_unused_input='ignore', mode='FAST_COMPILE')
    rng = np.random.RandomState(len(steps))
    arrays = [rng.uniform(-2, 2, (3, 4)), rng.uniform(-2, 2, tuple(s or k for s, k in
                                                                   zip(b_shape, (3, 4)))),
              rng.uniform(-2, 2, (1, 1))]
    arrays = [x.astype(dtype) for x in arrays]
    with np.errstate(all='ignore'):
        got, want = fast(*arrays), slow(*arrays)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)
    assert len(fast.nodes) <= len(slow.nodes)
