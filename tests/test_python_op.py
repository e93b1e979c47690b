"""Ops written in Python (Theano's ``theano.Op`` with ``perform``, and ``as_op``)."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest
from conftest import host

import theanine
import theanine.tensor as T
from theanine.errors import ExecutionError, GradientError
from theanine.gradcheck import verify_grad
from theanine.graph.basic import Apply
from theanine.ops.python_op import PythonOp, as_op


class ScaleOp(PythonOp):
    """``x * factor``, with its gradient; compares by ``factor``."""

    __props__ = ("factor",)

    def __init__(self, factor):
        self.factor = factor

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * self.factor

    def grad(self, inputs, output_grads):
        return [output_grads[0] * self.factor]


class SplitSigns(PythonOp):
    """Two outputs: the positive and the negative parts; no ``__props__``."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, output_storage):
        x, = inputs
        output_storage[0][0] = np.maximum(x, 0)
        output_storage[1][0] = np.minimum(x, 0)

    def grad(self, inputs, output_grads):
        x, = inputs
        positive = T.gt(x, 0)
        return [output_grads[0] * positive + output_grads[1] * (1 - positive)]


def test_perform_computes_and_grad_differentiates(backend):
    x = T.dvector("x")
    f = theanine.function([x], [ScaleOp(3.0)(x), T.grad(ScaleOp(3.0)(x).sum(), x)])
    values, gradient = f(np.array([1.0, -2.0]))
    np.testing.assert_array_equal(host(values), [3.0, -6.0])
    np.testing.assert_array_equal(host(gradient), [3.0, 3.0])
    verify_grad(lambda v: ScaleOp(0.5)(T.tanh(v)), [np.array([0.2, -0.4, 1.1])],
                rng=np.random.default_rng(0))


def test_several_outputs(backend):
    x = T.dvector("x")
    positive, negative = SplitSigns()(x)
    f = theanine.function([x], [positive, negative])
    got = [host(v) for v in f(np.array([1.5, -2.0, 0.5]))]
    np.testing.assert_array_equal(got[0], [1.5, 0.0, 0.5])
    np.testing.assert_array_equal(got[1], [0.0, -2.0, 0.0])
    verify_grad(lambda v: SplitSigns()(v)[0] * 2 + SplitSigns()(v)[1] * 3,
                [np.array([0.7, -0.3])], rng=np.random.default_rng(1))


def test_equality_follows_props_or_identity():
    assert ScaleOp(2.0) == ScaleOp(2.0) and ScaleOp(2.0) != ScaleOp(3.0)
    assert hash(ScaleOp(2.0)) == hash(ScaleOp(2.0))
    op = SplitSigns()
    assert op == op and SplitSigns() != SplitSigns()


def test_as_op_wraps_a_numpy_function_without_a_gradient():
    @as_op(itypes=[T.dmatrix], otypes=[T.dvector])
    def row_norms(m):
        return np.sqrt((m ** 2).sum(axis=1))
    m = T.dmatrix("m")
    f = theanine.function([m], row_norms(m))
    np.testing.assert_allclose(f(np.array([[3.0, 4.0], [6.0, 8.0]])), [5.0, 10.0])
    with pytest.raises(TypeError, match="input 0 is float32"):
        row_norms(T.fmatrix())
    with pytest.raises(GradientError, match="no grad"):
        T.grad(row_norms(m).sum(), m)


def test_bad_results_name_the_op_and_the_users_line():
    class Broken(PythonOp):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0].sum()      # a 0-d value for a vector
    x = T.dvector("x")
    f = theanine.function([x], Broken()(x))
    with pytest.raises(ExecutionError, match=r"(?s)0-d value in output 0.*test_python_op.py"):
        f(np.ones(3))

    class Lazy(PythonOp):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])
    with pytest.raises(ExecutionError, match="no perform"):
        theanine.function([x], Lazy()(x))(np.ones(3))


def test_an_output_variable_cannot_belong_to_two_nodes():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="already computed"):
        Apply(ScaleOp(1.0), [x], [T.exp(x)])


def test_the_extending_theano_tutorial_runs_unmodified(tmp_path, capsys):
    from theanine.compat.runner import main
    script = tmp_path / "double_op.py"
    script.write_text(textwrap.dedent("""
        import numpy
        import theano
        from theano.compile.ops import as_op

        class DoubleOp(theano.Op):
            __props__ = ()

            def make_node(self, x):
                x = theano.tensor.as_tensor_variable(x)
                return theano.Apply(self, [x], [x.type()])

            def perform(self, node, inputs, output_storage):
                x = inputs[0]
                z = output_storage[0]
                z[0] = x * 2

            def infer_shape(self, node, i0_shapes):
                return i0_shapes

            def grad(self, inputs, output_grads):
                return [output_grads[0] * 2]

        x = theano.tensor.matrix()
        f = theano.function([x], DoubleOp()(x))
        inp = numpy.random.rand(5, 4).astype(theano.config.floatX)
        assert numpy.allclose(inp * 2, f(inp))
        g = theano.function([x], theano.tensor.grad(DoubleOp()(x).sum(), x))
        assert numpy.allclose(g(inp), 2)

        @as_op(itypes=[theano.tensor.fmatrix], otypes=[theano.tensor.fmatrix])
        def numpy_dot(a):
            return numpy.dot(a, a.T)
        print(numpy_dot(x).eval({x: numpy.ones((2, 3), dtype='float32')}).tolist())
    """))
    assert main([str(script)]) == 0
    assert "[[3.0, 3.0], [3.0, 3.0]]" in capsys.readouterr().out
