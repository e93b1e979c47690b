"""Semantics of ``theanine.function``: updates, givens, shared-variable aliasing, inputs."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine import In
from theanine.errors import CompileError, InputError, MissingInputError, UnusedInputError

from conftest import host

# ---------------------------------------------------------------- updates


def test_updates_are_computed_from_old_values_swap(backend):
    a = theanine.shared(np.array([1.0, 2.0]), name="a")
    b = theanine.shared(np.array([3.0, 4.0]), name="b")
    swap = theanine.function([], [], updates=[(a, b), (b, a)])
    assert swap() == []
    np.testing.assert_array_equal(a.get_value(), [3, 4])
    np.testing.assert_array_equal(b.get_value(), [1, 2])
    swap()
    np.testing.assert_array_equal(a.get_value(), [1, 2])
    np.testing.assert_array_equal(b.get_value(), [3, 4])


def test_an_update_reading_another_updated_variable_sees_its_old_value(backend):
    count = theanine.shared(np.int64(0), name="count")
    history = theanine.shared(np.zeros(3), name="history")
    step = theanine.function([], count, updates=[
        (count, count + 1),
        (history, T.set_subtensor(history[count], T.cast(count, "float64") * 10)),
    ])
    assert [int(host(step())) for _ in range(3)] == [0, 1, 2]
    np.testing.assert_array_equal(history.get_value(), [0, 10, 20])
    assert int(count.get_value()) == 3


def test_outputs_are_computed_before_updates(backend):
    w = theanine.shared(np.array([1.0]), name="w")
    f = theanine.function([], [w * 1, w], updates=[(w, w + 1)])
    doubled, old = (host(v) for v in f())
    np.testing.assert_array_equal(doubled, [1])
    np.testing.assert_array_equal(old, [1])
    np.testing.assert_array_equal(w.get_value(), [2])


@pytest.mark.parametrize("form", ["list", "tuple", "dict", "OrderedDict"])
def test_updates_forms(backend, form):
    a = theanine.shared(np.float64(1.0), name="a")
    b = theanine.shared(np.float64(2.0), name="b")
    pairs = [(a, a + b), (b, b * 2)]
    updates = {"list": pairs, "tuple": tuple(pairs), "dict": dict(pairs),
               "OrderedDict": OrderedDict(pairs)}[form]
    theanine.function([], [], updates=updates)()
    assert float(a.get_value()) == 3.0 and float(b.get_value()) == 4.0


def test_update_with_a_wrong_dtype_is_rejected_at_compile_time():
    W = theanine.shared(np.zeros((3, 2), dtype="float32"), name="W")
    x = T.dmatrix("x")
    with pytest.raises(CompileError) as info:
        theanine.function([x], [], updates=[(W, W + T.sum(x))])
    text = str(info.value)
    assert "W" in text and "float32" in text and "float64" in text
    assert "T.cast" in text and "test_function.py" in text


def test_update_with_a_wrong_shape_is_rejected_at_compile_time():
    W = theanine.shared(np.zeros((3, 2)), name="W")
    with pytest.raises(CompileError, match="W"):
        theanine.function([], [], updates=[(W, W.T)])
    with pytest.raises(CompileError, match="W"):
        theanine.function([], [], updates=[(W, T.sum(W, axis=0))])


def test_update_target_must_be_shared_and_unique():
    w = theanine.shared(np.zeros(2), name="w")
    x = T.dvector("x")
    with pytest.raises(CompileError, match="not a shared variable"):
        theanine.function([x], [], updates=[(x, x + 1)])
    with pytest.raises(CompileError, match="twice"):
        theanine.function([], [], updates=[(w, w + 1), (w, w + 2)])
    with pytest.raises(CompileError, match="pairs"):
        theanine.function([], [], updates=[(w, w + 1, 3)])


def test_python_numbers_in_updates_keep_float32(backend):
    with theanine.config.change_flags(floatX="float32"):
        w = theanine.shared(np.ones(3, dtype="float32"), name="w")
        lr = 0.13
        theanine.function([], [], updates=[(w, w - lr * w * 0.5)])()
    assert w.get_value().dtype == np.float32
    np.testing.assert_allclose(w.get_value(), 1 - 0.065, rtol=1e-6)


# ---------------------------------------------------------------- givens


@pytest.mark.parametrize("form", ["dict", "list"])
def test_givens_minibatch_slices_as_in_the_tutorial(backend, form):
    data_x = theanine.shared(np.arange(20.0, dtype="float32").reshape(10, 2), name="data_x")
    data_y = theanine.shared(np.arange(10, dtype="int32"), name="data_y")
    x, y = T.fmatrix("x"), T.ivector("y")
    index = T.lscalar("index")
    batch_size = 4
    pairs = [(x, data_x[index * batch_size:(index + 1) * batch_size]),
             (y, data_y[index * batch_size:(index + 1) * batch_size])]
    givens = dict(pairs) if form == "dict" else pairs
    f = theanine.function([index], [T.sum(x, axis=1), y * 2], givens=givens)
    sums, labels = (host(v) for v in f(1))
    np.testing.assert_array_equal(sums, [17, 21, 25, 29])
    np.testing.assert_array_equal(labels, [8, 10, 12, 14])
    sums, labels = (host(v) for v in f(2))            # the last, short minibatch
    np.testing.assert_array_equal(labels, [16, 18])


def test_givens_replace_a_shared_variable_and_an_intermediate(backend):
    w = theanine.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    h = x * 2
    out = T.sum(h * w)
    f = theanine.function([x], out, givens={w: x + 1})
    assert float(host(f(np.array([1.0, 1.0])))) == 8.0
    g = theanine.function([x], out, givens=[(h, x * 0)])
    assert float(host(g(np.array([1.0, 1.0])))) == 0.0
    # The user's graph is untouched.
    assert float(host(theanine.function([x], out)(np.array([1.0, 1.0])))) == 6.0


def test_givens_type_must_match():
    x = T.fmatrix("x")
    data = theanine.shared(np.zeros((5, 3)), name="data")   # float64
    with pytest.raises(CompileError, match="float32"):
        theanine.function([], T.sum(x), givens={x: data})
    with pytest.raises(CompileError, match="input"):
        theanine.function([x], T.sum(x), givens={x: T.fmatrix()})


# ---------------------------------------------------------------- aliasing


def test_shared_copies_its_value_unless_borrowed():
    value = np.zeros(3)
    copied = theanine.shared(value)
    borrowed = theanine.shared(value, borrow=True)
    value[0] = 5
    assert copied.get_value()[0] == 0
    assert borrowed.get_value(borrow=True)[0] == 5


def test_get_value_copies_unless_borrowed():
    w = theanine.shared(np.zeros(3), name="w")
    w.get_value()[0] = 1
    assert w.get_value()[0] == 0
    w.get_value(borrow=True)[0] = 2
    assert w.get_value()[0] == 2


def test_set_value_copies_unless_borrowed():
    w = theanine.shared(np.zeros(3), name="w")
    new = np.ones(3)
    w.set_value(new)
    new[0] = 7
    assert w.get_value()[0] == 1
    w.set_value(new, borrow=True)
    new[1] = 9
    assert w.get_value()[1] == 9


def test_set_value_checks_shape_and_dtype():
    w = theanine.shared(np.zeros((2, 3), dtype="float32"), name="w")
    with pytest.raises(ValueError, match="static shape"):
        w.set_value(np.zeros((3, 3), dtype="float32"))
    with pytest.raises(TypeError, match="float32"):
        w.set_value(np.zeros((2, 3), dtype="complex64"))
    w.set_value(np.ones((2, 3)))                   # a float64 value is cast
    assert w.get_value().dtype == np.float32
    data = theanine.shared(np.zeros((2, 3)), shape=(None, 3))
    data.set_value(np.zeros((5, 3)))
    assert data.get_value().shape == (5, 3)


def test_outputs_never_alias_shared_storage_or_inputs(backend):
    w = theanine.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    f = theanine.function([x], [w, x, w[::-1], x.T])
    value = np.array([5.0, 6.0])
    outs = [host(v) for v in f(value)]
    for out in outs:
        out[...] = -1
    np.testing.assert_array_equal(w.get_value(), [1, 2])
    np.testing.assert_array_equal(value, [5, 6])
    np.testing.assert_array_equal(host(f(value)[0]), [1, 2])


def test_output_of_an_updated_variable_is_the_old_value_and_not_aliased(backend):
    w = theanine.shared(np.array([1.0, 2.0]), name="w")
    f = theanine.function([], w, updates=[(w, w * 10)])
    first = host(f())
    second = host(f())
    np.testing.assert_array_equal(first, [1, 2])
    np.testing.assert_array_equal(second, [10, 20])
    first[...] = 0
    np.testing.assert_array_equal(w.get_value(), [100, 200])


def test_successive_calls_return_fresh_arrays(backend):
    x = T.dvector("x")
    f = theanine.function([x], x * 2)
    a = host(f(np.ones(2)))
    b = host(f(np.full(2, 3.0)))
    np.testing.assert_array_equal(a, [2, 2])
    np.testing.assert_array_equal(b, [6, 6])


# ---------------------------------------------------------------- inputs


def test_in_defaults_and_keywords(backend):
    x = T.dscalar("x")
    lr = T.dscalar("lr")
    f = theanine.function([x, In(lr, value=0.5)], x * lr)
    assert float(host(f(4.0))) == 2.0
    assert float(host(f(4.0, 0.25))) == 1.0
    assert float(host(f(4.0, lr=1.0))) == 4.0
    assert float(host(f(x=2.0, lr=3.0))) == 6.0
    g = theanine.function([In(x, name="value")], x + 1)
    assert float(host(g(value=1.0))) == 2.0


def test_wrong_number_of_inputs():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = theanine.function([x, y], x + y)
    with pytest.raises(InputError, match=r"takes 2 inputs, got 1.*input 1 \(y\) is missing"):
        f(1.0)
    with pytest.raises(InputError, match="takes 2 inputs, got 3"):
        f(1.0, 2.0, 3.0)
    with pytest.raises(InputError, match="no input named 'z'"):
        f(1.0, z=2.0)


def test_wrong_dtype_says_which_input_and_what_was_expected():
    x = T.fmatrix("x")
    y = T.ivector("y")
    f = theanine.function([x, y], [T.sum(x), y + 1], name="train")
    with pytest.raises(InputError) as info:
        f(np.zeros((2, 2)), np.zeros(2, dtype="int32"))
    text = str(info.value)
    assert "train" in text and "input 0 (x)" in text
    assert "float32" in text and "float64" in text and "allow_input_downcast" in text
    with pytest.raises(InputError, match=r"input 1 \(y\).*int32.*float64"):
        f(np.zeros((2, 2), dtype="float32"), np.zeros(2))


def test_wrong_ndim_says_which_input_and_what_was_expected():
    x = T.fmatrix("x")
    f = theanine.function([x], T.sum(x))
    with pytest.raises(InputError, match=r"input 0 \(x\).*expected 2 dimensions.*got 1"):
        f(np.zeros(3, dtype="float32"))


def test_static_shape_of_an_input_is_checked():
    x = T.tensor("float32", (None, 784), name="x")
    f = theanine.function([x], T.sum(x))
    with pytest.raises(InputError, match=r"784"):
        f(np.zeros((2, 10), dtype="float32"))


def test_allow_input_downcast(backend):
    x = T.fvector("x")
    f = theanine.function([x], x * 2, allow_input_downcast=True)
    out = host(f(np.array([1.5, 2.5])))                   # float64 data
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [3, 5])
    with pytest.raises(InputError, match="allow_input_downcast"):
        theanine.function([x], x * 2)(np.array([1.5, 2.5]))


def test_python_scalar_for_a_float32_scalar_input(backend):
    lr = T.fscalar("lr")
    f = theanine.function([lr], lr * 2)
    assert host(f(0.13)).dtype == np.float32


def test_on_unused_input():
    x, unused = T.dvector("x"), T.dvector("unused")
    with pytest.raises(UnusedInputError, match=r"input 1 \(unused\)"):
        theanine.function([x, unused], x * 2)
    with pytest.warns(UserWarning, match="unused"):
        theanine.function([x, unused], x * 2, on_unused_input="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = theanine.function([x, unused], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(host(f(np.ones(1), np.ones(5))), [2])


def test_missing_input_names_the_variable_and_its_line():
    x, forgotten = T.dvector("x"), T.dvector("forgotten")
    with pytest.raises(MissingInputError) as info:
        theanine.function([x], x + forgotten)
    assert "forgotten" in str(info.value) and "givens" in str(info.value)


def test_inputs_must_be_a_list_of_fresh_variables():
    x = T.dvector("x")
    w = theanine.shared(np.zeros(2))
    with pytest.raises(CompileError, match="list"):
        theanine.function(x, x * 2)
    with pytest.raises(CompileError, match="shared"):
        theanine.function([w], w * 2)
    with pytest.raises(CompileError, match="twice"):
        theanine.function([x, x], x * 2)


def test_output_forms(backend):
    x = T.dscalar("x")
    single = theanine.function([x], x + 1)
    listed = theanine.function([x], [x + 1])
    pair = theanine.function([x], [x + 1, x * 2])
    nothing = theanine.function([x], [], on_unused_input="ignore")
    assert float(host(single(1.0))) == 2.0
    assert isinstance(listed(1.0), list) and len(listed(1.0)) == 1
    assert [float(host(v)) for v in pair(3.0)] == [4.0, 6.0]
    assert nothing(1.0) == []
    same = theanine.function([x], [x * 2, x * 2])
    assert [float(host(v)) for v in same(1.0)] == [2.0, 2.0]


# ---------------------------------------------------------------- eval, printing, config


def test_eval(backend):
    x, y = T.dscalar("x"), T.dvector("y")
    expr = x * y + 1
    np.testing.assert_array_equal(host(expr.eval({x: 2.0, y: np.array([1.0, 2.0])})), [3, 5])
    np.testing.assert_array_equal(host(expr.eval({x: 3.0, y: np.array([1.0, 2.0])})), [4, 7])
    assert float(host(T.constant(2.0).eval())) == 2.0
    w = theanine.shared(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(host((w * 2).eval()), [2, 4])


def test_debugprint_of_a_variable_and_of_a_function():
    x = T.dvector("x")
    expr = T.exp(x) * 2
    text = theanine.printing.debugprint(expr, file="str")
    lines = text.splitlines()
    assert "mul" in lines[0] and "[id A]" in lines[0] and "float64" in lines[0]
    assert any("exp" in line for line in lines) and any(" |x [id" in line for line in lines)
    f = theanine.function([x], expr, name="double_exp")
    assert theanine.printing.debugprint(f, file="str").startswith("double_exp")
    assert theanine.debugprint is theanine.printing.debugprint


def _run_python(code, **env):
    full_env = dict(os.environ)
    full_env.pop("THEANO_FLAGS", None)
    full_env.pop("THEANINE_FLAGS", None)
    full_env.update(env)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=full_env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("flags, expected", [("", "float32"), ("floatX=float64", "float64"),
                                             ("floatX=float64,device=cpu", "float64")])
def test_floatx_from_theanine_flags(flags, expected):
    code = ("import theanine, theanine.tensor as T\n"
            "x = T.matrix('x')\n"
            "print(theanine.config.floatX, x.dtype, T.constant(1.5).dtype, (x * 0.5).dtype)")
    assert _run_python(code, THEANINE_FLAGS=flags) == [expected] * 4


def test_bad_flag_value_is_reported():
    with pytest.raises(ValueError, match="floatX"):
        with theanine.config.change_flags(floatX="float8"):
            pass


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_python_scalars_do_not_upcast(backend, floatX):
    with theanine.config.change_flags(floatX=floatX):
        x = T.fvector("x")
        out = (x * 0.5 + 1) / 3.0 - 2 ** 0.5
        assert out.dtype == "float32"
        got = host(theanine.function([x], out)(np.ones(2, dtype="float32")))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, (1 * 0.5 + 1) / 3 - 2 ** 0.5, rtol=1e-6)


def test_numpy_float64_scalars_count_as_python_floats_but_arrays_upcast():
    x = T.fvector("x")
    assert (x * np.float64(0.5)).dtype == "float32"   # np.float64 subclasses float
    assert (x * np.array(0.5)).dtype == "float64"
    assert (x * T.dscalar()).dtype == "float64"


def test_lists_convert_when_no_value_changes(backend):
    x = T.fvector("x")
    f = theanine.function([x], x * 2)
    np.testing.assert_array_equal(host(f([1, 2])), [2, 4])
    with pytest.raises(InputError, match="float32"):
        f([0.1, 0.2])                       # float64 values that float32 cannot hold
    with pytest.raises(InputError, match="float32"):
        f(np.array([1, 2]))                 # an int64 array is not a safe cast
