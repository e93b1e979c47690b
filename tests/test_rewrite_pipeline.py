"""The whole FAST_RUN pipeline on the tutorials' training steps (issue 4 acceptance).

The logistic regression and the MLP training functions must show the fused
cross-entropy and fused elementwise nodes, run in fewer steps than without
rewrites, and compute the same costs and updated parameters.
"""
from __future__ import annotations

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.ops.elemwise import Elemwise
from theanine.ops.fused import Fused
from theanine.rewrite import PIPELINE


def logistic_regression(mode, rng, n_in=784, batch=30):
    data_x = theanine.shared(rng.rand(4 * batch, n_in).astype('float32'))
    data_y = theanine.shared(rng.randint(0, 10, 4 * batch).astype('int32'))
    x, y, index = T.matrix('x'), T.ivector('y'), T.lscalar('index')
    W = theanine.shared(np.zeros((n_in, 10), dtype='float32'), name='W', borrow=True)
    b = theanine.shared(np.zeros(10, dtype='float32'), name='b', borrow=True)
    p_y = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    g_W, g_b = T.grad(cost=cost, wrt=[W, b])
    train = theanine.function(
        [index], cost, updates=[(W, W - 0.13 * g_W), (b, b - 0.13 * g_b)],
        givens={x: data_x[index * batch:(index + 1) * batch],
                y: data_y[index * batch:(index + 1) * batch]}, mode=mode)
    return train, [W, b]


def mlp(mode, rng, n_in=784, n_hidden=50, batch=20):
    data_x = theanine.shared(rng.rand(4 * batch, n_in).astype('float32'))
    data_y = theanine.shared(rng.randint(0, 10, 4 * batch).astype('int32'))
    x, y, index = T.matrix('x'), T.ivector('y'), T.lscalar('index')
    W1 = theanine.shared((rng.randn(n_in, n_hidden) * 0.05).astype('float32'), name='W1')
    b1 = theanine.shared(np.zeros(n_hidden, dtype='float32'), name='b1')
    W2 = theanine.shared((rng.randn(n_hidden, 10) * 0.05).astype('float32'), name='W2')
    b2 = theanine.shared(np.zeros(10, dtype='float32'), name='b2')
    h = T.tanh(T.dot(x, W1) + b1)
    p_y = T.nnet.softmax(T.dot(h, W2) + b2)
    cost = (-T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
            + 1e-4 * (T.sum(W1 ** 2) + T.sum(W2 ** 2)))
    params = [W1, b1, W2, b2]
    grads = T.grad(cost, params)
    train = theanine.function(
        [index], cost, updates=[(p, p - 0.01 * g) for p, g in zip(params, grads)],
        givens={x: data_x[index * batch:(index + 1) * batch],
                y: data_y[index * batch:(index + 1) * batch]}, mode=mode)
    return train, params


MODELS = {"logistic_regression": logistic_regression, "mlp": mlp}


def test_pipeline_order():
    assert PIPELINE == ["merge", "constant_fold", "canonicalize", "stabilize", "canonicalize",
                        "cancel", "merge", "share_columns", "gemm", "fuse", "inplace"]


@pytest.mark.parametrize("model", sorted(MODELS))
def test_training_step_is_stabilized_fused_and_shorter(model):
    fast, _ = MODELS[model](None, np.random.RandomState(0))
    slow, _ = MODELS[model]('FAST_COMPILE', np.random.RandomState(0))
    text = theanine.debugprint(fast, file='str')
    assert "CrossEntropySoftmax" in text and "CrossEntropySoftmaxGrad" in text
    assert "Fused{" in text and "Softmax " not in text
    assert len(fast.nodes) < len(slow.nodes)
    assert not any(isinstance(n.op, Fused) for n in slow.nodes)
    # Every parameter update overwrites its own buffer.
    updated = [shared for shared, _ in fast.updates]
    destroyed = [n.inputs[k] for n in fast.nodes
                 for k in getattr(n.op, "destroy_map", {}).values()]
    assert all(any(d is p for d in destroyed) for p in updated)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_training_agrees_with_fast_compile(model):
    fast, fast_params = MODELS[model]('FAST_RUN', np.random.RandomState(0))
    slow, slow_params = MODELS[model]('FAST_COMPILE', np.random.RandomState(0))
    for step in range(12):
        np.testing.assert_allclose(fast(step % 4), slow(step % 4), rtol=2e-5)
        for p, q in zip(fast_params, slow_params):
            np.testing.assert_allclose(p.get_value(), q.get_value(), rtol=2e-4, atol=1e-6)


def test_elemwise_nodes_left_are_not_fusable_chains():
    fast, _ = mlp('FAST_RUN', np.random.RandomState(0))
    big = [n for n in fast.nodes if isinstance(n.op, Elemwise) and n.outputs[0].ndim == 2]
    assert len(big) <= 2    # sqr(W1), sqr(W2) for the L2 term feed reductions


def test_fast_compile_runs_no_rewrites():
    x = T.dvector('x')
    f = theanine.function([x], T.log(T.exp(x) + 1) * 1, mode='FAST_COMPILE')
    assert [n.op.scalar_name for n in f.nodes] == ["exp", "add", "log", "mul"]
