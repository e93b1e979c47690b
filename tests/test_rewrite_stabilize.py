"""Stabilization: the rewritten graphs and their values where the naive graph fails."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.compile.fgraph import FunctionGraph
from theanine.ops.elemwise import Elemwise
from theanine.ops.nnet import CrossEntropySoftmax, CrossEntropySoftmaxGrad, LogSoftmax, Softmax
from theanine.rewrite import rewrite_graph


def compiled_ops(f):
    return [n.op for n in f.nodes]


def has_op(f, cls):
    return any(isinstance(op, cls) for op in compiled_ops(f))


def naive(inputs, outputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return theanine.function(inputs, outputs, mode='FAST_COMPILE')


def quietly(f, *args):
    with np.errstate(all="ignore"):
        return f(*args)


def test_log_softmax_becomes_logsoftmax():
    z = T.dmatrix('z')
    f = theanine.function([z], T.log(T.nnet.softmax(z)))
    assert [type(op) for op in compiled_ops(f)] == [LogSoftmax]
    zv = np.array([[0.0, 1e4, -1e4]])
    out = f(zv)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[-1e4, 0.0, -2e4]])
    assert np.isinf(quietly(naive([z], T.log(T.nnet.softmax(z))), zv)).any()


@pytest.mark.parametrize("build, reference", [
    (lambda x: T.log(T.nnet.sigmoid(x)), lambda v: -np.logaddexp(0, -v)),
    (lambda x: T.log(1 - T.nnet.sigmoid(x)), lambda v: -np.logaddexp(0, v)),
    (lambda x: T.log(1 + T.exp(x)), lambda v: np.logaddexp(0, v)),
    (lambda x: T.log(T.exp(x) + 1), lambda v: np.logaddexp(0, v)),
    (lambda x: T.log1p(T.exp(x)), lambda v: np.logaddexp(0, v)),
])
def test_log_sigmoid_family_becomes_softplus(build, reference):
    x = T.dvector('x')
    f = theanine.function([x], build(x))
    names = {op.scalar_name for op in compiled_ops(f) if isinstance(op, Elemwise)}
    assert "log" not in names and "sigmoid" not in names and "exp" not in names
    v = np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 30.0, 800.0])
    out = f(v)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, reference(v), rtol=1e-12)
    moderate = np.array([-5.0, -1.0, 0.0, 2.0, 5.0])
    np.testing.assert_allclose(naive([x], build(x))(moderate), reference(moderate), rtol=1e-9)


def tutorial_cost(z, y):
    return -T.mean(T.log(T.nnet.softmax(z))[T.arange(y.shape[0]), y])


COSTS = {
    "tutorial": tutorial_cost,
    "log_softmax": lambda z, y: -T.mean(T.nnet.log_softmax(z)[T.arange(y.shape[0]), y]),
    "categorical": lambda z, y: T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(z), y)),
    "rows_of_z": lambda z, y: -T.mean(T.log(T.nnet.softmax(z))[T.arange(z.shape[0]), y]),
}


@pytest.mark.parametrize("name", sorted(COSTS))
def test_crossentropy_cost_and_gradient_are_fused(name):
    z, y = T.fmatrix('z'), T.ivector('y')
    cost = COSTS[name](z, y)
    g = T.grad(cost, z)
    f = theanine.function([z, y], [cost, g])
    assert has_op(f, CrossEntropySoftmax) and has_op(f, CrossEntropySoftmaxGrad)
    assert not has_op(f, Softmax) and not has_op(f, LogSoftmax)
    rng = np.random.RandomState(0)
    zv = rng.randn(7, 5).astype('float32')
    yv = rng.randint(0, 5, 7).astype('int32')
    for got, want in zip(f(zv, yv), naive([z, y], [cost, g])(zv, yv)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(COSTS))
def test_huge_logits_give_finite_cost_and_gradient(name):
    z, y = T.fmatrix('z'), T.ivector('y')
    cost = COSTS[name](z, y)
    g = T.grad(cost, z)
    zv = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype='float32')
    yv = np.array([1, 2], dtype='int32')
    got_cost, got_g = theanine.function([z, y], [cost, g])(zv, yv)
    np.testing.assert_allclose(got_cost, (2e4 + 5e3) / 2, rtol=1e-6)
    np.testing.assert_allclose(got_g, [[0.5, -0.5, 0.0], [0.0, 0.5, -0.5]], atol=1e-6)
    if name != "log_softmax":   # the one naive form that is already stable
        bad_cost, bad_g = quietly(naive([z, y], [cost, g]), zv, yv)
        assert not np.isfinite(bad_cost) or not np.all(np.isfinite(bad_g))


@pytest.mark.parametrize("name", sorted(COSTS))
def test_crossentropy_is_fused_when_only_the_scores_know_their_row_count(name):
    """LeNet's scores have a static batch (its reshape fixes it), its labels do not:
    the fused op, which knows its rows from the scores, replaces the picked rows."""
    x, y = T.fmatrix('x'), T.ivector('y')
    z = T.dot(x.reshape((7, 4)), np.ones((4, 5), dtype='float32'))
    assert z.type.shape == (7, 5) and y.type.shape == (None,)
    cost = COSTS[name](z, y)
    f = theanine.function([x, y], [cost, T.grad(cost, x)])
    assert has_op(f, CrossEntropySoftmax) and has_op(f, CrossEntropySoftmaxGrad)
    assert not has_op(f, Softmax) and not has_op(f, LogSoftmax)
    rng = np.random.RandomState(1)
    xv, yv = rng.randn(7, 4).astype('float32'), rng.randint(0, 5, 7).astype('int32')
    for got, want in zip(f(xv, yv), naive([x, y], [cost, T.grad(cost, x)])(xv, yv)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_softmax_is_shared_with_the_fused_crossentropy():
    z, y = T.fmatrix('z'), T.ivector('y')
    p = T.nnet.softmax(z)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    f = theanine.function([z, y], [cost, T.argmax(p, axis=1)])
    assert [type(op) for op in compiled_ops(f)].count(CrossEntropySoftmax) == 1
    assert not has_op(f, Softmax)


def test_other_row_index_is_not_fused():
    z, y = T.fmatrix('z'), T.ivector('y')
    cost = -T.mean(T.log(T.nnet.softmax(z))[T.arange(1, y.shape[0] + 1) % 2, y])
    f = theanine.function([z, y], cost)
    assert not has_op(f, CrossEntropySoftmax)
    zv = np.zeros((2, 3), dtype='float32')
    np.testing.assert_allclose(f(zv, np.array([0, 1], dtype='int32')), np.log(3), rtol=1e-6)


def test_replacements_keep_types():
    z, y = T.fmatrix('z'), T.ivector('y')
    cost = tutorial_cost(z, y)
    outputs = [cost, T.grad(cost, z)]
    fg = FunctionGraph([z, y], outputs)
    rewrite_graph(fg)
    assert [o.type for o in fg.outputs] == [o.type for o in outputs]
