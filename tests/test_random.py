"""Random streams: RandomStreams, MRG_RandomStreams and the RandomOp under them.

The state is a shared variable advanced by the compiled function's default
update: successive calls draw fresh numbers, the same seed gives the same
numbers, the op never changes its input state, and sizes may be symbolic.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import theanine
import theanine.tensor as T
from theanine.sandbox.rng_mrg import MRG_RandomStreams
from theanine.tensor.shared_randomstreams import RandomStreams

STREAMS = [RandomStreams, MRG_RandomStreams]


def _draws(stream_class, seed, calls=3):
    srng = stream_class(seed)
    f = theanine.function([], [srng.uniform((4, 3)), srng.normal((5,)),
                               srng.binomial((6,), p=0.3)])
    return [[host(v) for v in f()] for _ in range(calls)]


@pytest.mark.parametrize("stream_class", STREAMS)
def test_same_seed_same_numbers_and_calls_differ(backend, stream_class):
    first, again = _draws(stream_class, 42), _draws(stream_class, 42)
    for a, b in zip(first, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0][0], first[1][0])
    assert not np.array_equal(first[0][1], first[1][1])
    assert not np.array_equal(_draws(stream_class, 43)[0][0], first[0][0])


def test_numbers_are_theanos(backend):
    """RandomStreams seeds each state with RandomState(seed).randint(2**30), as Theano did."""
    srng = RandomStreams(seed=234)
    u, n = srng.uniform((2, 3), low=-1.0, high=2.0, dtype="float64"), srng.normal((4,))
    f = theanine.function([], [u, n])
    seeds = np.random.RandomState(234).randint(2 ** 30, size=2)
    first_u, first_n = (np.random.RandomState(int(s)) for s in seeds)
    for _ in range(2):
        got_u, got_n = f()
        np.testing.assert_array_equal(host(got_u), first_u.uniform(-1.0, 2.0, (2, 3)))
        np.testing.assert_array_equal(host(got_n),
                                      first_n.normal(0.0, 1.0, (4,)).astype("float32"))


@pytest.mark.parametrize("stream_class", STREAMS)
def test_symbolic_sizes_and_static_shapes(backend, stream_class):
    srng = stream_class(1)
    x = T.matrix("x")
    n = T.lscalar("n")
    from_shape = srng.uniform(size=x.shape)
    mixed = srng.normal(size=(2, n, 3))
    constant = srng.binomial(size=(4, 5), p=0.5)
    assert from_shape.type.shape == (None, None)
    assert mixed.type.shape == (2, None, 3)
    assert constant.type.shape == (4, 5) and constant.dtype == "int64"
    assert srng.uniform().type.shape == ()
    f = theanine.function([x, n], [from_shape, mixed, constant])
    a, b, c = (host(v) for v in f(np.zeros((7, 2), "float32"), 4))
    assert a.shape == (7, 2) and b.shape == (2, 4, 3) and c.shape == (4, 5)
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform(size=(2, 3), ndim=3)


@pytest.mark.parametrize("stream_class", STREAMS)
def test_distributions(backend, stream_class):
    srng = stream_class(7)
    size = (200, 100)
    f = theanine.function([], [srng.binomial(size, p=0.3), srng.binomial(size, n=5, p=0.5),
                               srng.uniform(size, low=2.0, high=3.0),
                               srng.normal(size, avg=-1.0, std=2.0)])
    coin, count, uniform, normal = (host(v) for v in f())
    assert set(np.unique(coin)) <= {0, 1} and abs(coin.mean() - 0.3) < 0.02
    assert count.max() <= 5 and abs(count.mean() - 2.5) < 0.05
    assert uniform.dtype == theanine.config.floatX
    assert 2.0 <= uniform.min() and uniform.max() < 3.0 and abs(uniform.mean() - 2.5) < 0.01
    assert abs(normal.mean() + 1.0) < 0.05 and abs(normal.std() - 2.0) < 0.05


def test_dtypes(backend):
    srng = RandomStreams(0)
    assert srng.binomial((2,), p=0.7, dtype="float32").dtype == "float32"
    assert srng.uniform((2,), dtype="float64").dtype == "float64"
    assert srng.uniform((2,), low=T.dscalar()).dtype == "float64"
    assert srng.normal((2,), avg=T.fscalar()).dtype == "float32"


@pytest.mark.parametrize("stream_class", STREAMS)
def test_seed_reseeds_every_state(backend, stream_class):
    srng = stream_class(3)
    f = theanine.function([], [srng.uniform((3,)), srng.normal((3,))])
    srng.seed(11)
    first = [host(v) for v in f()]
    f()
    srng.seed(11)
    again = [host(v) for v in f()]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_the_op_does_not_change_its_input_state(backend):
    srng = RandomStreams(5)
    sample = srng.uniform((4,))
    state = srng.state_updates[0][0]
    before = state.get_value()
    frozen = theanine.function([], sample, no_default_updates=True)
    np.testing.assert_array_equal(host(frozen()), host(frozen()))
    assert state.get_value().get_state()[1].tolist() == before.get_state()[1].tolist()


def test_outputs_of_one_call_see_the_same_sample(backend):
    srng = RandomStreams(9)
    u = srng.uniform((5,))
    f = theanine.function([], [u, u * 2])
    a, b = (host(v) for v in f())
    np.testing.assert_allclose(b, 2 * a)


def test_updates_lists_the_state_pairs(backend):
    srng = RandomStreams(1)
    srng.uniform((2,))
    srng.normal((2,))
    pairs = srng.updates()
    assert len(pairs) == 2 and all(s.default_update is new for s, new in pairs)


def test_gradients_do_not_flow_into_the_sample(backend):
    srng = RandomStreams(2)
    x = T.matrix("x")
    W = theanine.shared(np.ones((3, 4), "float32"), name="W")
    h = T.tanh(T.dot(x, W))
    # A dropout mask whose size depends on W's output: the gradient passes beside it.
    mask = srng.binomial(size=h.shape, p=0.5, dtype="float32")
    gW = T.grad(T.sum(h * mask), W)
    f = theanine.function([x], [gW, mask])
    value = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    got, m = (host(v) for v in f(value))
    h_value = np.tanh(value @ np.ones((3, 4), "float32"))
    np.testing.assert_allclose(got, value.T @ (m * (1 - h_value ** 2)), rtol=1e-5, atol=1e-6)
    p = T.dscalar("p")
    sample = srng.binomial((3,), p=p, dtype="float64")
    assert host(T.grad(T.sum(sample), p, disconnected_inputs="ignore").eval({p: 0.5})) == 0.0


def test_bad_arguments(backend):
    srng = RandomStreams(0)
    with pytest.raises(ValueError, match="size"):
        srng.uniform(low=np.zeros(3))
    from theanine.ops.random import RandomOp
    with pytest.raises(TypeError, match="random state"):
        RandomOp("uniform", "float32", 1)(T.matrix(), [2], 0.0, 1.0)
    with pytest.raises(ValueError, match="broadcast"):
        srng.uniform((2, 3), low=np.zeros(4))
