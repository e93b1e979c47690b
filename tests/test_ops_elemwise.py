"""Elementwise ops, table-driven: every scalar op of ``theanine/ops/scalar.py`` via its T function.

Each row names the T function, a NumPy float64 reference, how many inputs it
takes, an input generator (keeping away from poles and kinks), and whether the
gradient is checked. Shapes come from hypothesis, broadcasting and size-1 (and,
for the forward check, empty) dimensions included.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import theanine
import theanine.tensor as T
from theanine.errors import DisconnectedInputError
from theanine.gradcheck import verify_grad
from theanine.ops.scalar import SCALAR_OPS

from conftest import host, run_op

# ---------------------------------------------------------------- input generators
# Each takes (rng, shape) and returns a float64 array of that shape.


def real(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.5, shape)


def nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def inside_unit(rng, shape):
    """Inside (-1, 1), away from its ends (arcsin, arctanh, and tan's poles)."""
    return rng.uniform(-0.9, 0.9, shape)


def inside_zero_two(rng, shape):
    """Inside (0, 2), away from its ends (erfcinv)."""
    return rng.uniform(0.1, 1.9, shape)


def above_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def small_int(rng, shape):
    return rng.integers(-2, 3, shape).astype(np.float64)


def zero_one(rng, shape):
    return rng.integers(0, 2, shape).astype(np.float64)


def on_grid(rng, shape):
    """Near multiples of 0.5; keeps a distance >= 0.15 from :func:`off_grid` values."""
    return rng.integers(-4, 5, shape) * 0.5 + rng.uniform(-0.05, 0.05, shape)


def off_grid(rng, shape):
    return rng.integers(-4, 4, shape) * 0.5 + 0.25 + rng.uniform(-0.05, 0.05, shape)


def off_integers(rng, shape):
    """Away from integers and half-integers (floor, ceil, round are flat there)."""
    offsets = rng.choice([0.15, 0.35, 0.65, 0.85], shape)
    return rng.integers(-3, 3, shape) + offsets + rng.uniform(-0.04, 0.04, shape)


def with_specials(rng, shape):
    x = real(rng, shape)
    x[rng.random(shape) < 0.2] = np.nan
    x[rng.random(shape) < 0.2] = np.inf
    x[rng.random(shape) < 0.1] = -np.inf
    return x


def per_input(*gens):
    return lambda rng, shapes: [g(rng, s) for g, s in zip(gens, shapes)]


def mod_inputs(rng, shapes):
    # a = m + f with f in (0.1, 0.4) and b in {0.5, 1, 2}: a / b is never within 0.05
    # of an integer, so floor(a / b) agrees in float32 and float64 and is flat.
    a = rng.integers(-4, 4, shapes[0]) + rng.uniform(0.1, 0.4, shapes[0])
    b = rng.choice([0.5, 1.0, 2.0], shapes[1])
    return [a, b]


def clip_inputs(rng, shapes):
    x = on_grid(rng, shapes[0])
    low = rng.integers(-3, -1, shapes[1]) * 0.5 + 0.25 + rng.uniform(-0.05, 0.05, shapes[1])
    high = rng.integers(1, 3, shapes[2]) * 0.5 + 0.25 + rng.uniform(-0.05, 0.05, shapes[2])
    return [x, low, high]


def switch_inputs(rng, shapes):
    return [zero_one(rng, shapes[0]), real(rng, shapes[1]), real(rng, shapes[2])]


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


# ---------------------------------------------------------------- references
# The error functions' references come from the C library (Python's math module),
# not from SciPy, which theanine's kernels call.

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
_gamma = np.vectorize(math.gamma, otypes=[np.float64])
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6]   # B2 ... B14


def _polygamma(n, x):
    """psi^(n)(x) from first principles: 20 terms of the series, then Euler-Maclaurin."""
    shift, z = 20, x + 20
    if n == 0:
        head = -sum(1.0 / (x + k) for k in range(shift))
        return head + np.log(z) - 0.5 / z - sum(b / (2 * j) / z ** (2 * j)
                                                for j, b in enumerate(_BERNOULLI, 1))
    s = n + 1
    zeta = sum((x + k) ** -s for k in range(shift)) + z ** (1 - s) / (s - 1) + 0.5 * z ** -s
    for j, b in enumerate(_BERNOULLI, 1):
        zeta = zeta + b / math.factorial(2 * j) * math.prod(s + i for i in range(2 * j - 1)) \
            * z ** (-s - 2 * j + 1)
    return (-1) ** (n + 1) * math.factorial(n) * zeta


def _inverse(function, y, increasing):
    """The x in [-6, 6] with function(x) == y, by bisection to float64's last bit."""
    lo, hi = np.full(np.shape(y), -6.0), np.full(np.shape(y), 6.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = (function(mid) < y) == increasing
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


# ---------------------------------------------------------------- the table


@dataclass
class Case:
    name: str                       # the scalar op (a key of SCALAR_OPS) or a label
    build: Callable                 # symbolic inputs -> symbolic output
    ref: Callable                   # float64 arrays -> float64 reference
    nin: int
    gen: Callable                   # (rng, shapes) -> list of float64 arrays
    grad: bool = True               # check the gradient with verify_grad
    boolean: bool = False           # the result is bool
    constant_args: tuple = ()       # inputs held constant in the gradient check

    def __str__(self):
        return self.name


def unary(name, build, ref, gen=real, grad=True, boolean=False):
    return Case(name, build, ref, 1, per_input(gen), grad, boolean)


def binary(name, build, ref, gen_a=real, gen_b=real, grad=True, boolean=False, gen=None):
    return Case(name, build, ref, 2, gen or per_input(gen_a, gen_b), grad, boolean)


CASES = [
    binary("add", T.add, np.add),
    binary("sub", T.sub, np.subtract),
    binary("mul", T.mul, np.multiply),
    binary("true_div", T.true_div, np.true_divide, real, nonzero),
    binary("int_div", T.int_div, np.floor_divide, gen=mod_inputs, grad=False),
    binary("mod", T.mod, np.mod, gen=mod_inputs),
    binary("pow", T.pow, np.power, positive, real),
    binary("maximum", T.maximum, np.maximum, on_grid, off_grid),
    binary("minimum", T.minimum, np.minimum, on_grid, off_grid),
    unary("neg", T.neg, np.negative),
    unary("abs", T.abs, np.abs, nonzero),
    unary("sgn", T.sgn, np.sign, nonzero),
    unary("exp", T.exp, np.exp),
    unary("expm1", T.expm1, np.expm1),
    unary("log", T.log, np.log, positive),
    unary("log1p", T.log1p, np.log1p, positive),
    unary("log2", T.log2, np.log2, positive),
    unary("log10", T.log10, np.log10, positive),
    unary("sqrt", T.sqrt, np.sqrt, positive),
    unary("sqr", T.sqr, np.square),
    unary("reciprocal", T.reciprocal, np.reciprocal, nonzero),
    unary("tanh", T.tanh, np.tanh),
    unary("sigmoid", T.sigmoid, _sigmoid),
    unary("softplus", T.softplus, _softplus),
    unary("sin", T.sin, np.sin),
    unary("cos", T.cos, np.cos),
    unary("tan", T.tan, np.tan, inside_unit),
    unary("arcsin", T.arcsin, np.arcsin, inside_unit),
    unary("arccos", T.arccos, np.arccos, inside_unit),
    unary("arctan", T.arctan, np.arctan),
    unary("sinh", T.sinh, np.sinh),
    unary("cosh", T.cosh, np.cosh),
    unary("arcsinh", T.arcsinh, np.arcsinh),
    unary("arccosh", T.arccosh, np.arccosh, above_one),
    unary("arctanh", T.arctanh, np.arctanh, inside_unit),
    unary("exp2", T.exp2, np.exp2),
    unary("erf", T.erf, _erf),
    unary("erfc", T.erfc, _erfc),
    unary("erfcx", T.erfcx, lambda x: np.exp(x * x) * _erfc(x)),
    unary("erfinv", T.erfinv, lambda y: _inverse(_erf, y, increasing=True), inside_unit),
    unary("erfcinv", T.erfcinv, lambda y: _inverse(_erfc, y, increasing=False),
          inside_zero_two),
    unary("gammaln", T.gammaln, _lgamma, positive),
    unary("gamma", T.gamma, _gamma, positive),
    unary("polygamma", lambda x: T.polygamma(1, x), lambda x: _polygamma(1, x), positive),
    unary("psi", T.psi, lambda x: _polygamma(0, x), positive),
    unary("polygamma_2", lambda x: T.polygamma(2, x), lambda x: _polygamma(2, x), positive),
    unary("trunc", T.trunc, np.trunc, off_integers),
    unary("floor", T.floor, np.floor, off_integers),
    unary("ceil", T.ceil, np.ceil, off_integers),
    unary("round_half_to_even", lambda x: T.round(x, "half_to_even"), np.rint, off_integers),
    unary("round_half_away_from_zero", T.round, _round_half_away, off_integers),
    binary("eq", T.eq, np.equal, small_int, small_int, grad=False, boolean=True),
    binary("neq", T.neq, np.not_equal, small_int, small_int, grad=False, boolean=True),
    binary("lt", T.lt, np.less, small_int, small_int, grad=False, boolean=True),
    binary("le", T.le, np.less_equal, small_int, small_int, grad=False, boolean=True),
    binary("gt", T.gt, np.greater, small_int, small_int, grad=False, boolean=True),
    binary("ge", T.ge, np.greater_equal, small_int, small_int, grad=False, boolean=True),
    binary("and", T.and_, np.logical_and, zero_one, zero_one, grad=False, boolean=True),
    binary("or", T.or_, np.logical_or, zero_one, zero_one, grad=False, boolean=True),
    binary("xor", T.xor, np.logical_xor, zero_one, zero_one, grad=False, boolean=True),
    unary("invert", T.invert, np.logical_not, zero_one, grad=False, boolean=True),
    unary("isnan", T.isnan, np.isnan, with_specials, grad=False, boolean=True),
    unary("isinf", T.isinf, np.isinf, with_specials, grad=False, boolean=True),
    binary("second", T.second, lambda a, b: np.broadcast_to(b, np.broadcast_shapes(
        a.shape, b.shape))),
    Case("switch", T.switch, lambda c, a, b: np.where(c != 0, a, b), 3, switch_inputs,
         constant_args=(0,)),
    unary("identity", T.identity, lambda x: x),
    # Composites and operator spellings of the same ops.
    Case("clip", T.clip, np.clip, 3, clip_inputs),
    unary("pow_constant", lambda x: x ** 3, lambda x: x ** 3),
    unary("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    binary("operators", lambda a, b: (a - 2 * b) / (1.5 + a * a) - abs(b) ** 2,
           lambda a, b: (a - 2 * b) / (1.5 + a * a) - np.abs(b) ** 2, real, nonzero),
    unary("relu", T.nnet.relu, lambda x: np.maximum(0, x), nonzero),
    unary("leaky_relu", lambda x: T.nnet.relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
          nonzero),
    unary("elu", T.nnet.elu, lambda x: np.where(x > 0, x, np.expm1(x)), nonzero),
    unary("hard_sigmoid", T.nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1),
          lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.1, 2.0, s)),
    binary("binary_crossentropy", T.nnet.binary_crossentropy,
           lambda o, t: -(t * np.log(o) + (1 - t) * np.log(1 - o)),
           lambda rng, s: rng.uniform(0.1, 0.9, s), lambda rng, s: rng.uniform(0, 1, s)),
    binary("sigmoid_binary_crossentropy", T.nnet.sigmoid_binary_crossentropy,
           lambda z, t: -(t * np.log(_sigmoid(z)) + (1 - t) * np.log(1 - _sigmoid(z))),
           real, lambda rng, s: rng.uniform(0, 1, s)),
]

IDS = [c.name for c in CASES]
TOLERANCE = {"float32": dict(rtol=2e-6, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


def test_table_covers_every_scalar_op():
    covered = {c.name for c in CASES}
    missing = {name for name in SCALAR_OPS if not name.startswith("cast_")} - covered
    assert not missing, f"scalar ops without a row in the table: {sorted(missing)}"


def _shapes(nin, min_side):
    return hnp.mutually_broadcastable_shapes(num_shapes=nin, min_dims=0, max_dims=3,
                                             min_side=min_side, max_side=4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(data=st.data())
def test_forward(backend, case, dtype, data):
    shapes = data.draw(_shapes(case.nin, min_side=0), label="shapes").input_shapes
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    arrays = [a.astype(dtype) for a in case.gen(rng, shapes)]
    with np.errstate(all="ignore"):
        expected = case.ref(*[a.astype(np.float64) for a in arrays])
    got, out = run_op(case.build, arrays)
    assert out.dtype == ("bool" if case.boolean else dtype)
    assert got.dtype == np.dtype(out.dtype)
    assert got.shape == np.shape(expected)
    if case.boolean:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.name for c in GRAD_CASES])
@given(data=st.data())
def test_grad(backend, case, data):
    shapes = data.draw(_shapes(case.nin, min_side=1), label="shapes").input_shapes
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    arrays = case.gen(rng, shapes)
    fixed = {k: T.constant(arrays[k]) for k in case.constant_args}
    free = [a for k, a in enumerate(arrays) if k not in fixed]

    def fun(*variables):
        variables = iter(variables)
        return case.build(*[fixed[k] if k in fixed else next(variables)
                            for k in range(case.nin)])
    verify_grad(fun, free, rng=rng)


# ---------------------------------------------------------------- cast and dtypes

CAST_TARGETS = ["float32", "float64", "int8", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("source", ["float32", "float64", "int32", "int64", "bool"])
@pytest.mark.parametrize("target", CAST_TARGETS)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       seed=st.integers(0, 2 ** 32 - 1))
def test_cast(backend, source, target, shape, seed):
    rng = np.random.default_rng(seed)
    x = (rng.uniform(-100, 100, shape) if source[0] == "f" else
         rng.integers(0, 2, shape) if source == "bool" else rng.integers(-100, 100, shape))
    x = x.astype(source)
    if target == "uint8":
        x = np.abs(x)
    got, out = run_op(lambda v: T.cast(v, target), [x])
    assert out.dtype == target and got.dtype == np.dtype(target)
    np.testing.assert_array_equal(got, x.astype(target))


def test_cast_to_same_dtype_is_the_variable():
    x = T.fvector("x")
    assert T.cast(x, "float32") is x
    with theanine.config.change_flags(floatX="float32"):
        assert T.cast(x, "floatX") is x


def test_cast_gradient_comes_back_in_the_input_dtype(backend):
    x = T.fvector("x")
    g = T.grad(T.sum(T.cast(x, "float64") * 3.0), x)
    assert g.dtype == "float32"
    np.testing.assert_array_equal(host(g.eval({x: np.ones(3, "float32")})), [3, 3, 3])


def test_cast_to_integer_has_no_gradient():
    x = T.dvector("x")
    with pytest.raises(DisconnectedInputError):
        T.grad(T.sum(T.cast(T.cast(x, "int32"), "float64")), x)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_python_scalars_are_weak(dtype):
    x = T.tensor(dtype, (None,))
    assert (x * 2).dtype == dtype
    assert (x + 1).dtype == dtype
    if dtype[0] == "f":
        assert (x * 0.5).dtype == dtype
        assert (2.0 ** x).dtype == dtype
        assert (x / 3).dtype == dtype


@pytest.mark.parametrize("a, b, expected", [
    ("float32", "float64", "float64"), ("int32", "float32", "float64"),
    ("int8", "float32", "float32"), ("int32", "int64", "int64"), ("bool", "int8", "int8"),
])
def test_tensor_dtypes_promote_as_numpy(a, b, expected):
    assert T.add(T.tensor(a, (None,)), T.tensor(b, (None,))).dtype == expected
    assert expected == np.result_type(a, b).name


@pytest.mark.parametrize("dtype, expected", [("int32", "float64"), ("int8", "float32"),
                                             ("float32", "float32")])
def test_math_functions_of_integers_give_floats(dtype, expected):
    with theanine.config.change_flags(floatX="float32"):
        x = T.tensor(dtype, (None,))
        assert T.exp(x).dtype == expected
        assert (x / 2).dtype == expected


# ---------------------------------------------------------------- fixed examples


def test_round_modes_on_exact_halves(backend):
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
    away, _ = run_op(T.round, [halves])
    even, _ = run_op(lambda v: T.round(v, "half_to_even"), [halves])
    np.testing.assert_array_equal(away, [-3, -2, -1, 1, 2, 3])
    np.testing.assert_array_equal(even, [-2, -2, -0, 0, 2, 2])
    with pytest.raises(ValueError, match="half_away_from_zero"):
        T.round(T.dvector(), "up")


def test_sigmoid_and_softplus_do_not_overflow(backend):
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise"):
        sig, _ = run_op(T.sigmoid, [z])
        soft, _ = run_op(T.softplus, [z])
    # Far tails are exact to within float64 rounding of 1, as Theano's clamped sigmoid.
    np.testing.assert_allclose(sig, [0, _sigmoid(-50.0), 0.5, 1, 1], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(soft, [0, np.log1p(np.exp(-50.0)), np.log(2), 50, 1000])


def test_maximum_gradient_goes_to_first_argument_on_ties(backend):
    x, y = T.dvector("x"), T.dvector("y")
    gx, gy = T.grad(T.sum(T.maximum(x, y)), [x, y])
    f = theanine.function([x, y], [gx, gy])
    gxv, gyv = f(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0]))
    np.testing.assert_array_equal(host(gxv), [1, 1, 0])
    np.testing.assert_array_equal(host(gyv), [0, 0, 1])


def test_relu_gradient_at_zero_is_zero_as_in_dlfs(backend):
    # "Deep Learning from Scratch"'s Relu masks x <= 0; relu is maximum(0, x), and
    # the tie at 0 sends the gradient to the constant.
    x = T.dvector("x")
    g = T.grad(T.sum(T.nnet.relu(x)), x)
    np.testing.assert_array_equal(host(g.eval({x: np.array([-1.0, 0.0, 2.0])})), [0, 0, 1])



def test_error_functions_without_scipy_say_how_to_get_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "scipy.special", None)    # as if not installed
    x = T.dvector("x")
    f = theanine.function([x], T.erf(x) * 2)
    with pytest.raises(Exception, match=r"T.erf needs SciPy.*pip install 'theanine\[special\]'"):
        f(np.zeros(3))
