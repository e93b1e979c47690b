"""Cancellation of common factors: rewritten graphs, their values, and the dA gradient.

The tutorial's denoising autoencoder differentiates ``log(z)`` and ``log(1 - z)``
of ``z = sigmoid(a)``: ``grad`` builds ``g / (1 - z) * z * (1 - z)``, which is
``0 / 0`` once float32 ``z`` rounds to 1. The ``cancel`` pass must remove the
division, so the gradient stays finite.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import theanine
import theanine.tensor as T
from theanine.compile.fgraph import FunctionGraph
from theanine.rewrite import PASSES, PIPELINE, rewrite_graph
from theanine.rewrite.cancel import cancel
from theanine.rewrite.local import elemwise_owner, is_constant, is_elemwise
from theanine.tensor.shared_randomstreams import RandomStreams


def before_fusion(outputs, inputs=()):
    """The graph of ``outputs`` after every FAST_RUN pass that precedes ``fuse``."""
    fg = FunctionGraph(list(inputs), list(outputs))
    rewrite_graph(fg, "FAST_COMPILE")   # sets the attributes that passes read
    for name in PIPELINE[:PIPELINE.index("fuse")]:
        PASSES[name](fg)
    return fg


def divisions_by_one_minus_sigmoid(fg):
    found = []
    for node in fg.toposort():
        if is_elemwise(node, "true_div"):
            divisor = elemwise_owner(node.inputs[1], "sub")
            if divisor is not None and is_constant(divisor.inputs[0], 1) and \
                    is_elemwise(divisor.inputs[1].owner, "sigmoid"):
                found.append(node)
    return found


def naive(inputs, outputs, **kwargs):
    return theanine.function(inputs, outputs, mode="FAST_COMPILE", **kwargs)


def quietly(f, *args):
    with np.errstate(all="ignore"):
        return f(*args)


# ---------------------------------------------------------------- the pass by itself

def test_pass_sits_after_stabilization_and_before_merge_and_fusion():
    position = PIPELINE.index("cancel")
    assert PIPELINE[position - 2:position] == ["stabilize", "canonicalize"]
    assert PIPELINE[position + 1] == "merge"
    assert position < PIPELINE.index("fuse")


def test_common_factor_of_numerator_and_denominator_goes():
    x, y, w = T.dvector("x"), T.dvector("y"), T.dvector("w")
    fg = FunctionGraph([x, y, w], [-(x * y) * w / (y * -x)])
    assert cancel(fg) == 1
    assert fg.outputs[0] is w


def test_x_over_x_is_one_with_x_shape():
    x = T.dmatrix("x")
    fg = FunctionGraph([x], [x / x])
    cancel(fg)
    out = fg.outputs[0]
    assert out.type == x.type and not any(is_elemwise(n, "true_div") for n in fg.toposort())
    f = theanine.function([x], x / x)
    np.testing.assert_array_equal(f(np.ones((2, 3)) * 3), np.ones((2, 3)))


def test_factor_that_gave_the_shape_keeps_it_through_second():
    row, M = T.dvector("row"), T.dmatrix("M")
    expr = row * M / M
    fg = FunctionGraph([row, M], [expr])
    assert cancel(fg) == 1
    out = fg.outputs[0]
    assert out.type == expr.type and is_elemwise(out.owner, "second")
    f = theanine.function([row, M], expr)
    values = np.array([1.0, 2.0, 3.0]), np.full((2, 3), 4.0)
    np.testing.assert_allclose(f(*values), naive([row, M], expr)(*values))


def test_dtype_is_kept_when_the_wider_factor_cancels():
    x, y = T.fvector("x"), T.dvector("y")
    expr = x * y / y
    fg = FunctionGraph([x, y], [expr])
    assert cancel(fg) == 1
    assert fg.outputs[0].type == expr.type == T.dvector().type


def test_intermediate_product_read_twice_is_not_taken_apart():
    x, y = T.dvector("x"), T.dvector("y")
    product = x * y
    fg = FunctionGraph([x, y], [product / y, product])
    assert cancel(fg) == 0


def test_factors_equal_by_value_cancel_without_merge():
    a = T.dmatrix("a")
    first = 1 - T.nnet.sigmoid(a)
    second = T.constant(np.ones((1, 1))) - T.nnet.sigmoid(a).dimshuffle(0, 1)
    fg = FunctionGraph([a], [a / first * second])
    assert cancel(fg) == 1
    assert fg.outputs[0] is a


def test_left_padding_is_looked_through():
    # v * v is a vector: the product with M reads it through a broadcast DimShuffle.
    v, M = T.dvector("v"), T.dmatrix("M")
    expr = (v * v) * M / v
    fg = FunctionGraph([v, M], [expr])
    assert cancel(fg) == 1
    out = fg.outputs[0]
    assert out.type == expr.type
    assert not any(is_elemwise(n, "true_div") for n in fg.toposort())
    values = np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(theanine.function([v, M], expr)(*values), values[0] * values[1])


def test_sum_takes_in_the_factors_that_cancel_in_its_terms():
    a, p, q = T.dmatrix("a"), T.dmatrix("p"), T.dmatrix("q")
    s = T.nnet.sigmoid(a)
    expr = (p / s - q / (1 - s)) * s * (1 - s)
    fg = before_fusion([expr], [a, p, q])
    assert not any(is_elemwise(n, "true_div") for n in fg.toposort())
    f = theanine.function([a, p, q], expr)
    rng = np.random.RandomState(0)
    values = rng.randn(3, 4), rng.randn(3, 4), rng.randn(3, 4)
    np.testing.assert_allclose(f(*values), naive([a, p, q], expr)(*values), rtol=1e-12)
    saturated = np.full((3, 4), 40.0), values[1], values[2]
    assert np.isnan(quietly(naive([a, p, q], expr), *saturated)).all()
    np.testing.assert_allclose(f(*saturated), -values[2], rtol=1e-12)


# ---------------------------------------------------------------- sigmoid gradients

@pytest.mark.parametrize("log_term", [
    lambda s: T.log(1 - s), lambda s: T.log(s)], ids=["log(1-s)", "log(s)"])
def test_gradient_of_log_sigmoid_has_no_division(log_term):
    a = T.fvector("a")
    g = T.grad(T.sum(log_term(T.nnet.sigmoid(a))), a)
    assert divisions_by_one_minus_sigmoid(before_fusion([g], [a])) == []
    assert not any(is_elemwise(n, "true_div") for n in before_fusion([g], [a]).toposort())
    values = np.array([-30.0, -3.0, 0.0, 2.0, 30.0], dtype="float32")
    fast = theanine.function([a], g)(values)
    slow = quietly(naive([a], g), values)
    assert np.isfinite(fast).all() and not np.isfinite(slow).all()
    finite = np.isfinite(slow)
    np.testing.assert_allclose(fast[finite], slow[finite], rtol=1e-6, atol=1e-7)


def dA_cost(x, W, b, b_prime):
    y = T.nnet.sigmoid(T.dot(x, W) + b)
    z = T.nnet.sigmoid(T.dot(y, W.T) + b_prime)
    return T.mean(-T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1))


def small_dA(visible_bias):
    rng = np.random.RandomState(0)
    W = theanine.shared((rng.uniform(-1, 1, (8, 5))).astype("float32"), name="W")
    b = theanine.shared(np.zeros(5, dtype="float32"), name="b")
    b_prime = theanine.shared(np.asarray(visible_bias, dtype="float32"), name="b_prime")
    x = T.matrix("x")
    cost = dA_cost(x, W, b, b_prime)
    return x, cost, T.grad(cost, [W, b, b_prime]), rng.uniform(size=(4, 8)).astype("float32")


def test_dA_gradient_structure_has_no_division_by_one_minus_z():
    x, cost, grads, _ = small_dA(np.zeros(8))
    fg = before_fusion([cost] + grads, [x])
    assert divisions_by_one_minus_sigmoid(fg) == []
    # The only division left is the mean's 1 / n.
    divisions = [n for n in fg.toposort() if is_elemwise(n, "true_div")]
    assert all(n.outputs[0].ndim == 0 for n in divisions)


def test_dA_gradient_agrees_with_unrewritten_graph():
    x, cost, grads, xv = small_dA(np.linspace(-2, 2, 8))
    fast = theanine.function([x], [cost] + grads)(xv)
    slow = naive([x], [cost] + grads)(xv)
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_dA_gradient_with_saturated_units_is_finite():
    # Visible pre-activations of magnitude 30: float32 sigmoid gives exactly 1 or 0.
    x, cost, grads, xv = small_dA(np.tile([30.0, -30.0], 4))
    slow = quietly(naive([x], [cost] + grads), xv)
    assert all(np.isnan(g).any() for g in slow[1:])
    fast = theanine.function([x], [cost] + grads)(xv)
    assert all(np.isfinite(v).all() for v in fast)
    # d cost / d b_prime = mean over rows of (z - x), with z exactly 1 or 0 here.
    z = np.tile([1.0, 0.0], 4)
    np.testing.assert_allclose(fast[3], (z - xv).mean(axis=0), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- random trees

LEAVES = {
    "a": lambda v: v["a"],
    "B": lambda v: v["B"],
    "c": lambda v: v["c"],
    "s": lambda v: T.nnet.sigmoid(v["a"]),
    "1-s": lambda v: 1 - T.nnet.sigmoid(v["a"]),
    "2": lambda v: T.constant(np.float64(2.0)),
}
UNARY = {"neg": T.neg, "sqr": T.sqr, "reciprocal": T.reciprocal}
PRODUCTS = {"mul": T.mul, "true_div": T.true_div}
SUMS = {"add": T.add, "sub": T.sub}


def products():
    """Trees of products and quotients of leaves (never zero: safe as divisors)."""
    return st.recursive(
        st.sampled_from(sorted(LEAVES)),
        lambda inner: st.one_of(st.tuples(st.sampled_from(sorted(UNARY)), inner),
                                st.tuples(st.sampled_from(sorted(PRODUCTS)), inner, inner)),
        max_leaves=5)


def expressions():
    """Products and quotients whose numerators may hold sums."""
    return st.recursive(
        products(),
        lambda inner: st.one_of(
            st.tuples(st.just("mul"), inner, inner),
            st.tuples(st.just("true_div"), inner, products()),
            st.tuples(st.sampled_from(sorted(SUMS)), inner, inner),
            st.tuples(st.just("neg"), inner)),
        max_leaves=8)


def build(tree, variables):
    if isinstance(tree, str):
        return LEAVES[tree](variables)
    name, *args = tree
    args = [build(a, variables) for a in args]
    table = {**UNARY, **PRODUCTS, **SUMS}
    return table[name](*args)


@settings(max_examples=60)
@given(expressions())
@example(("true_div", ("sqr", "1-s"), "s"))   # one copy of a squared sum takes in s
@example(("mul", ("true_div", "B", ("mul", "a", "a")), ("sqr", "a")))
def test_random_product_trees_agree_with_unrewritten_graph(tree):
    variables = {"a": T.dvector("a"), "B": T.dmatrix("B"), "c": T.dcol("c")}
    inputs = list(variables.values())
    expr = build(tree, variables)
    rng = np.random.RandomState(1)
    values = [rng.uniform(0.5, 2.0, size) for size in [(3,), (2, 3), (2, 1)]]
    fast = theanine.function(inputs, expr, on_unused_input="ignore")
    slow = naive(inputs, expr, on_unused_input="ignore")
    want = slow(*values)
    got = fast(*values)
    assert got.shape == np.shape(want) and got.dtype == want.dtype
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


# ---------------------------------------------------------------- training the tutorial dA

def test_tutorial_dA_trains_with_finite_falling_cost(mnist):
    images = mnist[0][0][:2000].astype(theanine.config.floatX)
    batch_size, n_visible, n_hidden = 20, 784, 500
    rng = np.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    bound = 4 * np.sqrt(6.0 / (n_visible + n_hidden))
    W = theanine.shared(rng.uniform(-bound, bound, (n_visible, n_hidden))
                        .astype(theanine.config.floatX), name="W")
    b = theanine.shared(np.zeros(n_hidden, dtype=theanine.config.floatX), name="b")
    b_prime = theanine.shared(np.zeros(n_visible, dtype=theanine.config.floatX),
                              name="b_prime")
    data = theanine.shared(images, name="train_set_x")
    index, x = T.lscalar("index"), T.matrix("x")
    corrupted = theano_rng.binomial(size=x.shape, n=1, p=0.7,
                                    dtype=theanine.config.floatX) * x
    y = T.nnet.sigmoid(T.dot(corrupted, W) + b)
    z = T.nnet.sigmoid(T.dot(y, W.T) + b_prime)
    cost = T.mean(-T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1))
    params = [W, b, b_prime]
    updates = [(p, p - 0.1 * g) for p, g in zip(params, T.grad(cost, params))]
    train = theanine.function(
        [index], cost, updates=updates,
        givens={x: data[index * batch_size:(index + 1) * batch_size]})
    costs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # no 0/0 or overflow anywhere
        for _ in range(8):
            costs.append(np.mean([train(i) for i in range(len(images) // batch_size)]))
    assert np.isfinite(costs).all()
    assert all(later < earlier for earlier, later in itertools.pairwise(costs)), costs
    assert all(np.isfinite(p.get_value()).all() for p in params)
