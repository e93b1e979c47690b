"""``ifelse``: values, laziness (the branch not taken does not run), gradients, aliasing."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import theanine
import theanine.tensor as T
from theanine.compile.branches import branch_plan
from theanine.errors import ExecutionError
from theanine.gradcheck import verify_grad
from theanine.ifelse import IfElse, ifelse


def test_picks_the_branch_by_the_condition(backend):
    a, b = T.dscalar("a"), T.dscalar("b")
    x = T.dvector("x")
    out = ifelse(T.lt(a, b), T.exp(x) * a, T.tanh(x) - b)
    f = theanine.function([a, b, x], out)
    xv = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(host(f(1.0, 2.0, xv)), np.exp(xv) * 1.0)
    np.testing.assert_allclose(host(f(3.0, 2.0, xv)), np.tanh(xv) - 2.0)


def test_several_values_per_branch_come_back_as_a_list():
    x = T.dvector("x")
    big, small = ifelse(T.gt(x.sum(), 0), [x * 2, x.max()], [x, x.min()], name="pick")
    assert big.name == "pick[0]"
    f = theanine.function([x], [big, small])
    got = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(got[0], [2.0, 4.0])
    assert float(got[1]) == 2.0
    got = f(np.array([-1.0, -2.0]))
    np.testing.assert_array_equal(got[0], [-1.0, -2.0])
    assert float(got[1]) == -2.0


def test_the_branch_not_taken_does_not_run():
    """Indexing past the end fails only if its branch runs."""
    x, k = T.dvector("x"), T.lscalar("k")
    f = theanine.function([x, k], ifelse(T.lt(k, x.shape[0]), x[k] * 2, x.sum()))
    assert float(f(np.array([1.0, 2.0, 3.0]), 10)) == 6.0
    assert float(f(np.array([1.0, 2.0, 3.0]), 1)) == 4.0
    g = theanine.function([x, k], ifelse(T.ge(k, x.shape[0]), x.sum(), x[k] * 2))
    assert float(g(np.array([1.0, 2.0, 3.0]), 7)) == 6.0
    with pytest.raises(ExecutionError, match="test_ifelse.py"):
        theanine.function([x, k], x[k] * 2)(np.array([1.0, 2.0, 3.0]), 7)


def test_only_the_taken_branch_is_timed_by_the_profiler():
    x, c = T.dmatrix("x"), T.bscalar("c")
    f = theanine.function([x, c], ifelse(c, T.exp(x).sum(), T.log(x).sum()), profile="branches")
    f(np.ones((3, 3)), 1)
    timed = {str(node.op): seconds
             for node, seconds in zip(f.nodes, f.profile.node_seconds)}
    assert any("exp" in name and s > 0 for name, s in timed.items())
    assert all(s == 0 for name, s in timed.items() if "log" in name)
    f.profile.printed = True


def test_nested_branches_run_only_the_innermost_taken():
    x, a, b = T.dvector("x"), T.bscalar("a"), T.bscalar("b")
    inner = ifelse(b, T.exp(x).sum(), T.log(x).sum())
    f = theanine.function([x, a, b], ifelse(a, inner * 2, T.tanh(x).sum()))
    xv = np.array([1.0, 2.0])
    assert np.isclose(f(xv, 1, 1), 2 * np.exp(xv).sum())
    assert np.isclose(f(xv, 1, 0), 2 * np.log(xv).sum())
    assert np.isclose(f(xv, 0, 1), np.tanh(xv).sum())
    top, blocks = branch_plan(f.nodes, f.fgraph.outputs[:1], [])
    outer = next(n for n in top if isinstance(n.op, IfElse))
    then_block = blocks[id(outer)][0]
    assert any(isinstance(n.op, IfElse) for n in then_block)      # the inner ifelse nests
    assert "    if " in f.source and "        if " in f.source


def test_a_value_both_branches_need_is_computed_once_before_the_test():
    x, c = T.dvector("x"), T.bscalar("c")
    shared_part = T.exp(x)
    f = theanine.function([x, c], ifelse(c, shared_part.sum(), shared_part.max()))
    top, _ = branch_plan(f.nodes, f.fgraph.outputs, [])
    assert any("exp" in str(n.op) for n in top)
    assert np.isclose(f(np.array([0.0, 1.0]), 0), np.e)


def test_gradient_flows_into_the_branch_taken():
    x, y = T.dvector("x"), T.dvector("y")
    # The condition depends on x, far from its switching point: the small steps of the
    # numerical gradient never flip it.
    for xv in (np.array([0.3, 0.7]), np.array([-0.3, -0.7])):
        verify_grad(lambda x, y: ifelse(T.gt(x.sum(), 0), (x * y).sum() * x, T.sin(y) * x),
                    [xv, np.array([1.1, 0.4])], rng=np.random.default_rng(0))
    c = T.bscalar("c")
    cost = ifelse(c, (x ** 2).sum(), (y ** 3).sum())
    gx, gy = T.grad(cost, [x, y])
    f = theanine.function([x, y, c], [gx, gy])
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_allclose(f(xv, yv, 1)[0], 2 * xv)
    np.testing.assert_allclose(f(xv, yv, 1)[1], 0 * yv)
    np.testing.assert_allclose(f(xv, yv, 0)[0], 0 * xv)
    np.testing.assert_allclose(f(xv, yv, 0)[1], 3 * yv ** 2)


def test_a_returned_branch_that_is_a_shared_variable_is_a_copy():
    w = theanine.shared(np.arange(3.0), name="w")
    c = T.bscalar("c")
    f = theanine.function([c], ifelse(c, w, w * 2))
    out = f(1)
    out[0] = 100.0
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0])


def test_updates_through_ifelse_and_a_branch_reading_the_updated_variable():
    """An SGD update writes the weights in place; a branch that reads them must run
    before that write, wherever the ifelse lands in the schedule."""
    rng = np.random.default_rng(0)
    w = theanine.shared(rng.standard_normal((4, 3)), name="w")
    x, c = T.dmatrix("x"), T.bscalar("c")
    cost = (T.dot(x, w) ** 2).sum()
    report = ifelse(c, (w * w).sum(), cost)
    step = theanine.function([x, c], report, updates=[(w, w - 0.01 * T.grad(cost, w))])
    xv = rng.standard_normal((5, 4))
    before = w.get_value()
    assert np.isclose(step(xv, 1), (before * before).sum())
    # Were the ifelse scheduled after the in-place update, its branch's reader of the
    # weights must not move past the update into the block: it stays at the top.
    nodes = [n for n in step.nodes if not isinstance(n.op, IfElse)]
    nodes.append(next(n for n in step.nodes if isinstance(n.op, IfElse)))
    assert "inplace" in str(nodes[-2].op)
    top, blocks = branch_plan(nodes, step.fgraph.outputs[:1], step.updates)
    reads_w = [n for n in nodes if any(v is w for v in n.inputs) and "Elemwise" in str(n.op)]
    assert reads_w and all(n in top for n in reads_w)
    counter = theanine.shared(np.float64(0), name="counter")
    bump = theanine.function([c], [], updates=[(counter, ifelse(c, counter + 1, counter))])
    bump(1); bump(0); bump(1)
    assert float(counter.get_value()) == 2.0


def test_branches_must_match_in_dtype_rank_and_count():
    x, m = T.dvector("x"), T.dmatrix("m")
    c = T.bscalar("c")
    with pytest.raises(TypeError, match="float64\\[\\?\\] if true.*float64\\[\\?, \\?\\] if false"):
        ifelse(c, x, m)
    with pytest.raises(TypeError, match="if true"):
        ifelse(c, x, T.fvector("f"))
    with pytest.raises(ValueError, match="as many"):
        ifelse(c, [x, x], [x])
    with pytest.raises(TypeError, match="scalar"):
        ifelse(x, x, x)


def test_static_shapes_are_kept_where_the_branches_agree():
    a, b = T.tensor("float64", (2, 3), "a"), T.tensor("float64", (2, 4), "b")
    assert ifelse(T.bscalar("c"), a, b).type.shape == (2, None)


def test_theano_ifelse_resolves_through_the_compat_alias():
    import theanine.compat.aliases as aliases
    with aliases.installed():
        from theano.ifelse import ifelse as legacy_ifelse
    assert legacy_ifelse is ifelse


def test_a_constant_condition_leaves_only_its_branch():
    a = T.dscalar("a")
    f = theanine.function([a], ifelse(T.constant(1) > 0, a * 10, T.exp(a)))
    assert not any(isinstance(n.op, IfElse) for n in f.nodes)
    assert "exp" not in " ".join(str(n.op) for n in f.nodes)
    assert float(f(2.0)) == 20.0


def test_ifelse_inside_a_scan_step_and_its_gradient():
    x = T.dvector("x")

    def step(v, acc):
        return ifelse(T.gt(v, 0), acc + v * v, acc - v)
    out, _ = theanine.scan(step, sequences=x, outputs_info=T.constant(0.0, dtype="float64"))
    f = theanine.function([x], [out[-1], T.grad(out[-1], x)])
    total, gradient = f(np.array([1.0, -2.0, 3.0]))
    assert float(total) == 12.0                     # 1, then + 2, then + 9
    np.testing.assert_array_equal(gradient, [2.0, -1.0, 6.0])
