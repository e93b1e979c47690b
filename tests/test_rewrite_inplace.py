"""In-place updates and temporaries: when they happen, when they are refused, and values."""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.compile.fgraph import FunctionGraph
from theanine.ops.fused import Fused
from theanine.rewrite.schedule import dependencies, schedule


def destroyers(f):
    return [n for n in f.nodes if getattr(n.op, "destroy_map", None)]


def destroys_shared(f, shared_var):
    return any(n.inputs[k] is shared_var for n in destroyers(f)
               for k in n.op.destroy_map.values())


def shared_pair(value):
    return (theanine.shared(np.array(value, dtype='float64'), name='W'),
            theanine.shared(np.array(value, dtype='float64'), name='W_ref'))


def check_against_fast_compile(build, value, calls=3, *args):
    """Compile ``build(W)`` -> (outputs, updates) both ways; compare outputs and W."""
    W, ref = shared_pair(value)
    fast = theanine.function([], *build(W))
    slow = theanine.function([], *build(ref), mode='FAST_COMPILE')
    kept = []
    for _ in range(calls):
        got, want = fast(), slow()
        kept.append((got, want))
        np.testing.assert_allclose(W.get_value(), ref.get_value())
    for got, want in kept:      # earlier results were not changed by later calls
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w)
    return fast, W


def test_sgd_update_writes_into_the_shared_buffer():
    W = theanine.shared(np.ones((3, 2)), name='W')
    x = T.dmatrix('x')
    cost = T.sum(T.dot(x, W) ** 2)
    step = theanine.function([x], cost, updates=[(W, W - 0.1 * T.grad(cost, W))])
    assert destroys_shared(step, W)
    buffer = W.get_value(borrow=True)
    step(np.ones((4, 3)))
    assert W.get_value(borrow=True) is buffer
    np.testing.assert_allclose(buffer, np.ones((3, 2)) - 0.1 * 2 * 4 * 3)


def test_old_value_readers_run_before_the_update():
    # V's update and the output both read W's old value, also through W.T.
    def build(W):
        V = theanine.shared(np.zeros((2, 2)), name='V')
        return [T.sum(W.T * 2)], [(W, W + 1), (V, V + W.T)]
    f, W = check_against_fast_compile(build, [[1.0, 2.0], [3.0, 4.0]])
    assert destroys_shared(f, W)


def test_returned_shared_value_is_not_destroyed():
    f, W = check_against_fast_compile(lambda W: ([W], [(W, W * 2)]), [1.0, 2.0])
    assert not destroys_shared(f, W)


def test_returned_view_of_shared_value_is_not_destroyed():
    f, W = check_against_fast_compile(lambda W: ([W.T], [(W, W * 2)]), [[1.0, 2.0]])
    assert not destroys_shared(f, W)


def test_returned_new_value_is_not_written_in_place():
    # The caller keeps the returned array; a later call must not change it.
    f, W = check_against_fast_compile(lambda W: ([W * 2], [(W, W * 2)]), [1.0, 2.0])
    assert not destroys_shared(f, W)


def test_other_shared_variable_holding_a_view_is_respected():
    def build(W):
        V = theanine.shared(np.zeros((2, 2)), name='V')
        return [V], [(W, W + 1), (V, W.T)]
    f, W = check_against_fast_compile(build, [[1.0, 2.0], [3.0, 4.0]])
    assert not destroys_shared(f, W)


def test_reader_that_needs_the_new_value_refuses_in_place():
    # mul(new W, old W) must read both values: no order works, so no in-place.
    def build(W):
        new = W + 1
        return [T.sum(new * W)], [(W, new)]
    f, W = check_against_fast_compile(build, [1.0, 2.0])
    assert not destroys_shared(f, W)


def test_update_from_another_shared_variable_does_not_destroy_it():
    source = theanine.shared(np.ones(3), name='source')
    W = theanine.shared(np.zeros(3), name='W')
    f = theanine.function([], [], updates=[(W, source * 2)])
    f()
    assert not destroys_shared(f, source)
    np.testing.assert_allclose(source.get_value(), np.ones(3))


def test_view_of_the_target_as_another_input_refuses():
    def build(W):
        return [], [(W, W - 0.5 * W.T)]
    f, W = check_against_fast_compile(build, [[1.0, 2.0], [3.0, 4.0]])
    assert not destroys_shared(f, W)


def test_read_only_shared_value_is_not_written():
    array = np.ones(3)
    array.flags.writeable = False
    W = theanine.shared(array, name='W', borrow=True)
    f = theanine.function([], [], updates=[(W, W * 3)])
    f()
    assert array.tolist() == [1.0, 1.0, 1.0] and W.get_value().tolist() == [3.0] * 3


def test_temporary_with_one_reader_is_reused():
    x, W, b = T.dmatrix('x'), T.dmatrix('W'), T.dvector('b')
    f = theanine.function([x, W, b], T.tanh(T.dot(x, W) + b))
    (node,) = destroyers(f)
    assert isinstance(node.op, Fused) and type(node.inputs[node.op.inplace_input].owner.op) \
        .__name__ == "Dot"
    rng = np.random.RandomState(0)
    xv, Wv, bv = rng.randn(4, 3), rng.randn(3, 2), rng.randn(2)
    np.testing.assert_allclose(f(xv, Wv, bv), np.tanh(xv @ Wv + bv))


def test_inputs_and_their_views_are_never_destroyed():
    x = T.dmatrix('x')
    f = theanine.function([x], T.exp(x.T) + 1)
    assert not destroyers(f)
    xv = np.ones((2, 3))
    f(xv)
    assert xv.tolist() == np.ones((2, 3)).tolist()


def test_schedule_orders_readers_of_views_before_the_destroyer():
    W = theanine.shared(np.ones((2, 2)), name='W')
    reader = T.dot(T.dmatrix('x'), W.T)
    destroyer = Fused(1, [("neg", (0,), "float64")], inplace_input=0)(W)
    fg = FunctionGraph(reader.owner.inputs[:1], [destroyer, reader], clone=False)
    order = schedule(fg)
    assert order.index(destroyer.owner) > order.index(reader.owner)
    assert id(reader.owner) in dependencies(order)[id(destroyer.owner)]
