"""The table of elementwise scalar operations.

Each entry says, once: how many inputs, the output dtype rule, the NumPy
implementation (a ufunc or a function taking ``out=``), a C expression for
generated GPU kernels, and the derivative written with symbolic tensor ops.
Elemwise nodes, fused kernels and every backend read this one table.

Example:
    >>> from theanine.ops.scalar import SCALAR_OPS
    >>> SCALAR_OPS['tanh'].nin, SCALAR_OPS['tanh'].c_expr
    (1, 'tanh(a)')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


def _T():
    import theanine.tensor.basic as basic
    return basic


@dataclass(frozen=True)
class ScalarOp:
    """One elementwise operation.

    ``dtype_rule``: 'promote' (common dtype of the inputs), 'float' (integer
    inputs are first cast to a float dtype), 'bool' (comparisons and logic),
    'last' (dtype of the last input, for ``second``/``switch``), or a dtype
    name (casts).
    """

    name: str
    nin: int
    numpy: Callable
    c_expr: str
    grad: Optional[Callable]
    dtype_rule: str = "promote"

    def __str__(self):
        return self.name


def _sigmoid(x, out=None):
    # 0.5*tanh(x/2)+0.5 equals 1/(1+exp(-x)) and never overflows.
    # asarray: on 0-d input a ufunc returns a NumPy scalar, which cannot be an out=.
    out = np.asarray(np.multiply(x, 0.5, out=out))
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _softplus(x, out=None):
    return np.logaddexp(0, x, out=out, dtype=x.dtype)


def _special(name):
    """``scipy.special.<name>``, imported when first called: SciPy is optional.

    NumPy has no error function; SciPy's ufuncs (float32 and float64 loops,
    ``out=``) are the well-kept implementation. Without SciPy the call says
    how to get it.
    """
    def run(*args, out=None):
        try:
            import scipy.special
        except ImportError:
            raise ImportError(f"T.{name} needs SciPy's scipy.special, which is not "
                              f"installed: pip install 'theanine[special]'") from None
        function = getattr(scipy.special, name)
        return function(*args) if out is None else function(*args, out=out)
    run.__name__ = run.__qualname__ = name
    return run


_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


_scipy_polygamma = _special("polygamma")


def _polygamma(n, x, out=None):
    # scipy.special.polygamma is a Python function over gamma and zeta: no out=, and
    # float64 results; computed so, then stored in the output's dtype.
    result = _scipy_polygamma(np.asarray(n).astype(np.int64), x)
    if out is None:
        value = np.asarray(result).astype(np.result_type(x), copy=False)
        return value[()] if value.ndim == 0 else value      # a 0-d result as a scalar
    out[...] = result
    return out


def _second(a, b, out=None):
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    if out is not None:
        out[...] = b
        return out
    return np.broadcast_to(b, shape)


def _switch(cond, a, b, out=None):
    if out is None:
        return np.where(cond, a, b)
    np.copyto(out, b)
    np.copyto(out, a, where=np.broadcast_to(cond, out.shape))
    return out


def _identity(a, out=None):
    if out is None:
        return a
    out[...] = a
    return out


def _round_half_away(a, out=None):
    out = np.asarray(np.abs(a, out=out))
    out += 0.5
    np.floor(out, out=out)
    return np.copysign(out, a, out=out)


def _zero_grads(inputs, output, gz):
    return [_T().zeros_like(i) for i in inputs]


def _grad_add(i, o, g): return [g, g]
def _grad_sub(i, o, g): return [g, -g]
def _grad_mul(i, o, g): return [g * i[1], g * i[0]]
def _grad_div(i, o, g): return [g / i[1], -g * o / i[1]]
def _grad_neg(i, o, g): return [-g]
def _grad_abs(i, o, g): return [g * _T().sgn(i[0])]
def _grad_exp(i, o, g): return [g * o]
def _grad_expm1(i, o, g): return [g * (o + 1)]
def _grad_log(i, o, g): return [g / i[0]]
def _grad_log1p(i, o, g): return [g / (i[0] + 1)]
def _grad_log2(i, o, g): return [g / (i[0] * np.log(2.0))]
def _grad_log10(i, o, g): return [g / (i[0] * np.log(10.0))]
def _grad_sqrt(i, o, g): return [g * 0.5 / o]
def _grad_sqr(i, o, g): return [g * 2 * i[0]]
def _grad_tanh(i, o, g): return [g * (1 - _T().sqr(o))]
def _grad_sigmoid(i, o, g): return [g * o * (1 - o)]
def _grad_softplus(i, o, g): return [g * _T().sigmoid(i[0])]
def _grad_sin(i, o, g): return [g * _T().cos(i[0])]
def _grad_cos(i, o, g): return [-g * _T().sin(i[0])]
def _grad_reciprocal(i, o, g): return [-g * _T().sqr(o)]
def _grad_tan(i, o, g): return [g * (1 + _T().sqr(o))]
def _grad_arcsin(i, o, g): return [g / _T().sqrt(1 - _T().sqr(i[0]))]
def _grad_arccos(i, o, g): return [-g / _T().sqrt(1 - _T().sqr(i[0]))]
def _grad_arctan(i, o, g): return [g / (1 + _T().sqr(i[0]))]
def _grad_sinh(i, o, g): return [g * _T().cosh(i[0])]
def _grad_cosh(i, o, g): return [g * _T().sinh(i[0])]
def _grad_arcsinh(i, o, g): return [g / _T().sqrt(_T().sqr(i[0]) + 1)]
def _grad_arccosh(i, o, g): return [g / _T().sqrt(_T().sqr(i[0]) - 1)]
def _grad_arctanh(i, o, g): return [g / (1 - _T().sqr(i[0]))]
def _grad_exp2(i, o, g): return [g * o * np.log(2.0)]
def _grad_erf(i, o, g): return [g * _TWO_OVER_SQRT_PI * _T().exp(-_T().sqr(i[0]))]
def _grad_erfc(i, o, g): return [-g * _TWO_OVER_SQRT_PI * _T().exp(-_T().sqr(i[0]))]
def _grad_erfcx(i, o, g): return [g * (2 * i[0] * o - _TWO_OVER_SQRT_PI)]
def _grad_erfinv(i, o, g): return [g * _T().exp(_T().sqr(o)) / _TWO_OVER_SQRT_PI]
def _grad_erfcinv(i, o, g): return [-g * _T().exp(_T().sqr(o)) / _TWO_OVER_SQRT_PI]
def _grad_gammaln(i, o, g): return [g * _T().polygamma(0, i[0])]
def _grad_gamma(i, o, g): return [g * o * _T().polygamma(0, i[0])]
def _grad_polygamma(i, o, g): return [None, g * _T().polygamma(i[0] + 1, i[1])]
def _grad_second(i, o, g): return [None, g]
def _grad_identity(i, o, g): return [g]


def _grad_pow(i, o, g):
    a, b = i
    grad_a = g * b * a ** (b - 1)
    if b.owner is None and getattr(b, "data", None) is not None:
        return [grad_a, None]   # a constant exponent has no gradient to receive
    return [grad_a, g * o * _T().log(a)]


def _grad_maximum(i, o, g):
    # Ties send the gradient to the first argument, as Theano does for relu's kink.
    first = _T().ge(i[0], i[1])
    return [g * first, g * _T().invert(first)]


def _grad_minimum(i, o, g):
    first = _T().le(i[0], i[1])
    return [g * first, g * _T().invert(first)]


def _grad_switch(i, o, g):
    zero = _T().zeros_like(g)
    return [None, _T().switch(i[0], g, zero), _T().switch(i[0], zero, g)]


def _grad_mod(i, o, g):
    return [g, -g * _T().floor(i[0] / i[1])]


def _grad_cast(i, o, g):
    return [_T().cast(g, i[0].dtype)]


def _op(name, nin, numpy, c_expr, grad, dtype_rule="promote"):
    return ScalarOp(name, nin, numpy, c_expr, grad, dtype_rule)


_ENTRIES = [
    _op("add", 2, np.add, "a + b", _grad_add),
    _op("sub", 2, np.subtract, "a - b", _grad_sub),
    _op("mul", 2, np.multiply, "a * b", _grad_mul),
    _op("true_div", 2, np.true_divide, "a / b", _grad_div, "float"),
    _op("int_div", 2, np.floor_divide, "floor(a / b)", None),
    _op("mod", 2, np.remainder, "a - floor(a / b) * b", _grad_mod),
    _op("pow", 2, np.power, "pow(a, b)", _grad_pow),
    _op("maximum", 2, np.maximum, "max(a, b)", _grad_maximum),
    _op("minimum", 2, np.minimum, "min(a, b)", _grad_minimum),
    _op("neg", 1, np.negative, "-a", _grad_neg),
    _op("abs", 1, np.abs, "fabs(a)", _grad_abs),
    _op("sgn", 1, np.sign, "(a > 0) - (a < 0)", _zero_grads),
    _op("exp", 1, np.exp, "exp(a)", _grad_exp, "float"),
    _op("expm1", 1, np.expm1, "expm1(a)", _grad_expm1, "float"),
    _op("log", 1, np.log, "log(a)", _grad_log, "float"),
    _op("log1p", 1, np.log1p, "log1p(a)", _grad_log1p, "float"),
    _op("log2", 1, np.log2, "log2(a)", _grad_log2, "float"),
    _op("log10", 1, np.log10, "log10(a)", _grad_log10, "float"),
    _op("sqrt", 1, np.sqrt, "sqrt(a)", _grad_sqrt, "float"),
    _op("sqr", 1, np.square, "a * a", _grad_sqr),
    _op("reciprocal", 1, np.reciprocal, "1 / a", _grad_reciprocal, "float"),
    _op("tanh", 1, np.tanh, "tanh(a)", _grad_tanh, "float"),
    _op("sigmoid", 1, _sigmoid, "1 / (1 + exp(-a))", _grad_sigmoid, "float"),
    _op("softplus", 1, _softplus,
        "(a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)))", _grad_softplus, "float"),
    _op("sin", 1, np.sin, "sin(a)", _grad_sin, "float"),
    _op("cos", 1, np.cos, "cos(a)", _grad_cos, "float"),
    _op("tan", 1, np.tan, "tan(a)", _grad_tan, "float"),
    _op("arcsin", 1, np.arcsin, "asin(a)", _grad_arcsin, "float"),
    _op("arccos", 1, np.arccos, "acos(a)", _grad_arccos, "float"),
    _op("arctan", 1, np.arctan, "atan(a)", _grad_arctan, "float"),
    _op("sinh", 1, np.sinh, "sinh(a)", _grad_sinh, "float"),
    _op("cosh", 1, np.cosh, "cosh(a)", _grad_cosh, "float"),
    _op("arcsinh", 1, np.arcsinh, "asinh(a)", _grad_arcsinh, "float"),
    _op("arccosh", 1, np.arccosh, "acosh(a)", _grad_arccosh, "float"),
    _op("arctanh", 1, np.arctanh, "atanh(a)", _grad_arctanh, "float"),
    _op("exp2", 1, np.exp2, "exp2(a)", _grad_exp2, "float"),
    _op("erf", 1, _special("erf"), "erf(a)", _grad_erf, "float"),
    _op("erfc", 1, _special("erfc"), "erfc(a)", _grad_erfc, "float"),
    _op("erfcx", 1, _special("erfcx"), "erfcx(a)", _grad_erfcx, "float"),
    _op("erfinv", 1, _special("erfinv"), "erfinv(a)", _grad_erfinv, "float"),
    _op("erfcinv", 1, _special("erfcinv"), "erfcinv(a)", _grad_erfcinv, "float"),
    _op("gammaln", 1, _special("gammaln"), "lgamma(a)", _grad_gammaln, "float"),
    _op("gamma", 1, _special("gamma"), "tgamma(a)", _grad_gamma, "float"),
    # No C expression: CUDA has no polygamma. Such ops are not fused; the CuPy
    # backend runs them on the host.
    _op("polygamma", 2, _polygamma, None, _grad_polygamma, "last"),
    _op("trunc", 1, np.trunc, "trunc(a)", _zero_grads),
    _op("floor", 1, np.floor, "floor(a)", _zero_grads),
    _op("ceil", 1, np.ceil, "ceil(a)", _zero_grads),
    _op("round_half_to_even", 1, np.rint, "rint(a)", _zero_grads),
    _op("round_half_away_from_zero", 1, _round_half_away, "round(a)", _zero_grads),
    _op("eq", 2, np.equal, "a == b", None, "bool"),
    _op("neq", 2, np.not_equal, "a != b", None, "bool"),
    _op("lt", 2, np.less, "a < b", None, "bool"),
    _op("le", 2, np.less_equal, "a <= b", None, "bool"),
    _op("gt", 2, np.greater, "a > b", None, "bool"),
    _op("ge", 2, np.greater_equal, "a >= b", None, "bool"),
    _op("and", 2, np.logical_and, "a && b", None, "bool"),
    _op("or", 2, np.logical_or, "a || b", None, "bool"),
    _op("xor", 2, np.logical_xor, "(a != 0) != (b != 0)", None, "bool"),
    _op("invert", 1, np.logical_not, "!a", None, "bool"),
    _op("isnan", 1, np.isnan, "isnan(a)", None, "bool"),
    _op("isinf", 1, np.isinf, "isinf(a)", None, "bool"),
    _op("second", 2, _second, "b", _grad_second, "last"),
    _op("switch", 3, _switch, "a ? b : c", _grad_switch, "last"),
    _op("identity", 1, _identity, "a", _grad_identity),
]

SCALAR_OPS = {entry.name: entry for entry in _ENTRIES}


def cast_op(dtype: str) -> ScalarOp:
    """The scalar op that converts to ``dtype`` (made once per dtype)."""
    name = f"cast_{dtype}"
    if name not in SCALAR_OPS:
        def convert(a, out=None, _dtype=np.dtype(dtype)):
            if out is None:
                return np.asarray(a).astype(_dtype)
            out[...] = a
            return out
        SCALAR_OPS[name] = ScalarOp(name, 1, convert, f"({_c_type(dtype)}) a", _grad_cast, dtype)
    return SCALAR_OPS[name]


def _c_type(dtype):
    return {"float32": "float", "float64": "double", "float16": "half", "int64": "long long",
            "int32": "int", "int16": "short", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "uint32": "unsigned int", "uint64": "unsigned long long",
            "uint16": "unsigned short"}[dtype]
