"""Every Theano name the deep-learning tutorials use resolves to a theanine object.

The list is the table of docs/THEANO_COMPAT.md (logistic_sgd, mlp,
convolutional_mlp, dA, SdA, rbm, DBN and their older versions; logistic_cg,
cA, hmc, rnnrbm and lstm).
"""
from __future__ import annotations

import importlib

import pytest

from theanine.compat import installed

TUTORIAL_NAMES = [
    "theano.shared", "theano.function", "theano.In", "theano.Param", "theano.scan",
    "theano.config.floatX", "theano.config.device", "theano.printing.debugprint",
    "theano.printing.pp", "theano.pp", "theano.dot", "theano.grad",
    "theano.tensor.arange", "theano.tensor.argmax", "theano.tensor.cast",
    "theano.tensor.dmatrix", "theano.tensor.dot", "theano.tensor.exp", "theano.tensor.grad",
    "theano.tensor.ivector", "theano.tensor.log", "theano.tensor.lscalar",
    "theano.tensor.matrix", "theano.tensor.mean", "theano.tensor.neq", "theano.tensor.round",
    "theano.tensor.scalar", "theano.tensor.set_subtensor", "theano.tensor.sum",
    "theano.tensor.tanh", "theano.tensor.tensor4", "theano.tensor.TensorType",
    "theano.tensor.nnet.sigmoid", "theano.tensor.nnet.softmax", "theano.tensor.nnet.conv2d",
    "theano.tensor.nnet.binary_crossentropy", "theano.tensor.nnet.conv.conv2d",
    "theano.tensor.signal.pool.pool_2d", "theano.tensor.signal.downsample.max_pool_2d",
    "theano.tensor.shared_randomstreams.RandomStreams",
    "theano.sandbox.rng_mrg.MRG_RandomStreams",
    "theano.scalar.upcast", "theano.tensor.xlogx.xlogy0", "theano.tensor.alloc",
    "theano.tensor.switch", "theano.tensor.clip", "theano.tensor.concatenate",
    "theano.scan_module.until", "theano.gradient.jacobian", "theano.gradient.hessian",
    "theano.tensor.Rop", "theano.tensor.Lop", "theano.tensor.arctanh", "theano.tensor.cosh",
    "theano.tensor.eye", "theano.tensor.tril", "theano.tensor.diag", "theano.tensor.tile",
    "theano.tensor.extra_ops.cumsum", "theano.tensor.extra_ops.repeat", "theano.tensor.sort",
]


def resolve(name):
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for attribute in parts[end:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(name)


@pytest.mark.parametrize("name", TUTORIAL_NAMES)
def test_tutorial_name_resolves(name):
    with installed():
        assert resolve(name) is not None


def test_variable_methods_the_tutorials_call():
    with installed():
        import numpy
        import theano
        import theano.tensor as T
        x = T.matrix('x')
        b = theano.shared(numpy.zeros(3, dtype=theano.config.floatX), borrow=True)
        exprs = [x.shape[0], x.reshape((2, 1, 2, 2)).flatten(2), x.T, abs(x).sum(),
                 (x ** 2).sum(), b.dimshuffle('x', 0, 'x', 'x'), x[T.arange(x.shape[0]), 0]]
        assert [e.ndim for e in exprs] == [0, 2, 2, 0, 0, 4, 1]
        assert b.get_value(borrow=True).shape == (3,)


def test_in_with_default_values_and_keyword_calls():
    with installed():
        import numpy
        import theano
        import theano.tensor as T
        index = T.lscalar('index')
        lr = T.scalar('lr')
        corruption = T.scalar('corruption')
        f = theano.function([index, theano.In(corruption, value=0.2), theano.In(lr, value=0.1)],
                            index * lr + corruption, name='pretrain')
        assert numpy.isclose(f(2), 0.4)
        assert numpy.isclose(f(index=2, lr=1.0), 2.2)
        assert numpy.isclose(f(3, corruption=0.0, lr=0.5), 1.5)
        g = theano.function([index, theano.Param(lr, default=0.5)], index * lr)
        assert numpy.isclose(g(4), 2.0)
        with pytest.raises(TypeError, match="no input named 'rate'"):
            f(1, rate=0.3)


def test_what_hmc_and_rnnrbm_use():
    # hmc.py: scalar.upcast and mean(dtype=); rnnrbm.py: a warn flag and xlogy0.
    with installed():
        import numpy
        import theano
        import theano.tensor as T
        theano.config.warn.subtensor_merge_bug = False
        assert theano.config.warn.subtensor_merge_bug is False
        accept = T.bvector('accept')
        mean_dtype = theano.scalar.upcast(accept.dtype, 'float32')
        assert mean_dtype == 'float32'
        rate = accept.mean(dtype=mean_dtype)
        assert rate.dtype == 'float32'
        assert float(theano.function([accept], rate)(numpy.array([1, 0, 1, 1], 'int8'))) == 0.75
        v, p = T.dvector('v'), T.dvector('p')
        monitor = T.xlogx.xlogy0(v, p) + T.xlogx.xlogy0(1 - v, 1 - p)
        value = theano.function([v, p], monitor)(numpy.array([1.0, 0.0]), numpy.array([1.0, 0.25]))
        numpy.testing.assert_allclose(value, [0.0, numpy.log(0.75)])


def test_reduction_methods_take_dtype_second_as_numpy_does():
    with installed():
        import theano.tensor as T
        x = T.bmatrix('x')
        assert x.sum(0, 'float32').dtype == 'float32'
        assert x.mean(1, 'float64', True).type.ndim == 2
        assert x.prod(None, 'int16').dtype == 'int16'
