"""The functions users call as ``T.<name>``: constructors, math, shapes, indexing.

Everything here builds graph nodes from the primitive ops in
:mod:`theanine.ops`; composites (mean, var, clip, relu...) are written from
those primitives so that they get gradients and rewrites for free.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> float(T.mean(T.sqr(x)).eval({x: np.array([1.0, 3.0])}))
    5.0
"""
from __future__ import annotations

import builtins
import keyword
import math

import numpy as np

from theanine.graph.basic import Constant, Variable
from theanine.graph.dtypes import weak_dtype
from theanine.graph.type import TensorType, as_dtype_name
from theanine.ops.blas import Dot
from theanine.ops.elemwise import DimShuffle, Elemwise, cast_elemwise
from theanine.ops.reduce import Argmax, Reduce, normalize_axis
from theanine.ops.shape import (Alloc, ARange, Join, MakeVector, Reshape, Shape, ShapeI,
                                SpecifyShape, constant_value)
from theanine.ops.subtensor import (SYM, AdvancedIncSubtensor, AdvancedSubtensor,
                                    IncSubtensor, Subtensor)

# ---------------------------------------------------------------- variables


def constant(value, name=None, dtype=None):
    """A symbolic constant. Python floats become ``floatX``.

    >>> import theanine.tensor as T
    >>> T.constant(1.5).dtype in ('float32', 'float64')
    True
    """
    if dtype is None and isinstance(value, (bool, int, float)):
        dtype = weak_dtype(value)
    if dtype is None and isinstance(value, (list, tuple)):
        probe = np.asarray(value)
        dtype = weak_dtype(0.5) if probe.dtype.kind == "f" else probe.dtype
    array = np.asarray(value, dtype=dtype)
    return Constant(TensorType(array.dtype, array.shape), array, name=name)


def as_tensor_variable(x, name=None, ndim=None):
    """``x`` as a symbolic tensor: Variables pass through, values become constants.

    >>> import theanine.tensor as T
    >>> T.as_tensor_variable([1, 2, 3]).type
    TensorType(int64, shape=(3,))
    """
    if isinstance(x, Variable):
        var = x
    elif isinstance(x, (list, tuple)) and builtins.any(isinstance(e, Variable) for e in x):
        var = stack([as_tensor_variable(e) for e in x])
    else:
        var = constant(x, name=name)
    if ndim is not None and var.ndim != ndim:
        raise TypeError(f"expected a {ndim}-d tensor, got {var.type}")
    return var


as_tensor = as_tensor_variable


def tensor(dtype="floatX", shape=None, name=None, broadcastable=None):
    """A symbolic input of the given dtype and static shape (or broadcastable pattern).

    >>> import theanine.tensor as T
    >>> T.tensor('float32', (None, 1, 28, 28), name='images').type.shape
    (None, 1, 28, 28)
    """
    if shape is None:
        shape = tuple(1 if b else None for b in (broadcastable or ()))
    return TensorType(as_dtype_name(dtype), shape)(name)


def _maker(dtype, shape):
    def make(name=None, dtype=dtype):
        return TensorType(as_dtype_name(dtype), shape)(name)
    return make


_KINDS = {"scalar": (), "vector": (None,), "matrix": (None, None), "row": (1, None),
          "col": (None, 1), "tensor3": (None,) * 3, "tensor4": (None,) * 4,
          "tensor5": (None,) * 5}
_PREFIXES = {"": "floatX", "b": "int8", "w": "int16", "i": "int32", "l": "int64",
             "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}
for _prefix, _dtype in _PREFIXES.items():
    for _kind, _shape in _KINDS.items():
        globals()[_prefix + _kind] = _maker(_dtype, _shape)
del _prefix, _dtype, _kind, _shape

# ---------------------------------------------------------------- elementwise


def _elemwise(name, doc):
    op = Elemwise(name)

    def apply(*args):
        return op(*args)
    # Named as the module attribute it becomes, so pickle can store it by reference
    # (models keep their activation function).
    apply.__name__ = apply.__qualname__ = name + "_" if keyword.iskeyword(name) else name
    apply.__doc__ = doc
    return apply


add = _elemwise("add", "Elementwise ``a + b`` with broadcasting.")
sub = _elemwise("sub", "Elementwise ``a - b``.")
mul = _elemwise("mul", "Elementwise ``a * b``.")
true_div = _elemwise("true_div", "Elementwise ``a / b`` (integers give floats).")
int_div = _elemwise("int_div", "Elementwise ``a // b``.")
mod = _elemwise("mod", "Elementwise ``a % b``.")
pow = _elemwise("pow", "Elementwise ``a ** b``.")
maximum = _elemwise("maximum", "Elementwise maximum (gradient to ``a`` on ties).")
minimum = _elemwise("minimum", "Elementwise minimum (gradient to ``a`` on ties).")
neg = _elemwise("neg", "Elementwise ``-a``.")
abs = _elemwise("abs", "Elementwise ``|a|``.")
sgn = _elemwise("sgn", "Elementwise sign.")
exp = _elemwise("exp", "Elementwise ``e ** a``.")
expm1 = _elemwise("expm1", "Elementwise ``e ** a - 1``, accurate near 0.")
log = _elemwise("log", "Elementwise natural logarithm.")
log1p = _elemwise("log1p", "Elementwise ``log(1 + a)``, accurate near 0.")
log2 = _elemwise("log2", "Elementwise base-2 logarithm.")
log10 = _elemwise("log10", "Elementwise base-10 logarithm.")
sqrt = _elemwise("sqrt", "Elementwise square root.")
sqr = _elemwise("sqr", "Elementwise ``a * a``.")
reciprocal = _elemwise("reciprocal", "Elementwise ``1 / a``.")
tanh = _elemwise("tanh", "Elementwise hyperbolic tangent.")
sigmoid = _elemwise("sigmoid", "Elementwise logistic function ``1 / (1 + exp(-a))``.")
softplus = _elemwise("softplus", "Elementwise ``log(1 + exp(a))``, computed stably.")
sin = _elemwise("sin", "Elementwise sine.")
cos = _elemwise("cos", "Elementwise cosine.")
tan = _elemwise("tan", "Elementwise tangent.")
arcsin = _elemwise("arcsin", "Elementwise inverse sine.")
arccos = _elemwise("arccos", "Elementwise inverse cosine.")
arctan = _elemwise("arctan", "Elementwise inverse tangent.")
sinh = _elemwise("sinh", "Elementwise hyperbolic sine.")
cosh = _elemwise("cosh", "Elementwise hyperbolic cosine.")
arcsinh = _elemwise("arcsinh", "Elementwise inverse hyperbolic sine.")
arccosh = _elemwise("arccosh", "Elementwise inverse hyperbolic cosine.")
arctanh = _elemwise("arctanh", "Elementwise inverse hyperbolic tangent.")
exp2 = _elemwise("exp2", "Elementwise ``2 ** a``.")
erf = _elemwise("erf", "Elementwise error function ``2/sqrt(pi) * integral of exp(-t**2), 0..a`` "
                "(needs SciPy).")
erfc = _elemwise("erfc", "Elementwise ``1 - erf(a)``, accurate where erf is near 1 (needs SciPy).")
erfcx = _elemwise("erfcx", "Elementwise scaled ``exp(a**2) * erfc(a)``, finite for large a "
                  "(needs SciPy).")
erfinv = _elemwise("erfinv", "Elementwise inverse of erf on (-1, 1) (needs SciPy).")
erfcinv = _elemwise("erfcinv", "Elementwise inverse of erfc on (0, 2) (needs SciPy).")
gammaln = _elemwise("gammaln", "Elementwise ``log(|gamma(a)|)`` (needs SciPy).")
gamma = _elemwise("gamma", "Elementwise gamma function (needs SciPy).")
_polygamma = _elemwise("polygamma", "")


def polygamma(n, x):
    """Elementwise ``n``-th derivative of the digamma function (needs SciPy).

    ``n`` is a non-negative integer (or integer tensor); ``polygamma(0, x)`` is
    the digamma function ``psi``, ``polygamma(1, x)`` the trigamma.

    >>> import numpy as np, theanine
    >>> x = dvector('x')
    >>> np.round(theanine.function([x], polygamma(1, x))([1.0]), 6).tolist()
    [1.644934]
    """
    x = as_tensor_variable(x)
    if x.dtype[0] != "f":
        x = cast(x, "float64")
    return _polygamma(n, x)


def psi(x):
    """Elementwise digamma function, the derivative of ``gammaln`` (needs SciPy).

    >>> import numpy as np, theanine
    >>> x = dvector('x')
    >>> np.round(theanine.function([x], psi(x))([1.0]), 6).tolist()
    [-0.577216]
    """
    return polygamma(0, x)


def tri_gamma(x):
    """Elementwise trigamma function, the derivative of ``psi`` (needs SciPy).

    >>> import numpy as np, theanine
    >>> x = dvector('x')
    >>> np.round(theanine.function([x], tri_gamma(x))([2.0]), 6).tolist()
    [0.644934]
    """
    return polygamma(1, x)
trunc = _elemwise("trunc", "Elementwise rounding toward zero.")
floor = _elemwise("floor", "Elementwise floor.")
ceil = _elemwise("ceil", "Elementwise ceiling.")
eq = _elemwise("eq", "Elementwise ``a == b`` (bool).")
neq = _elemwise("neq", "Elementwise ``a != b`` (bool).")
lt = _elemwise("lt", "Elementwise ``a < b`` (bool).")
le = _elemwise("le", "Elementwise ``a <= b`` (bool).")
gt = _elemwise("gt", "Elementwise ``a > b`` (bool).")
ge = _elemwise("ge", "Elementwise ``a >= b`` (bool).")
and_ = _elemwise("and", "Elementwise logical and.")
or_ = _elemwise("or", "Elementwise logical or.")
xor = _elemwise("xor", "Elementwise logical xor.")
invert = _elemwise("invert", "Elementwise logical not.")
isnan = _elemwise("isnan", "Elementwise test for NaN.")
isinf = _elemwise("isinf", "Elementwise test for infinity.")
second = _elemwise("second", "``b`` broadcast to the shape of ``a`` (Theano's ``fill``).")
switch = _elemwise("switch", "Elementwise ``cond ? a : b``.")
identity = _elemwise("identity", "Elementwise identity (a copy point in the graph).")
abs_ = abs
where = switch
bitwise_and, bitwise_or, bitwise_xor = and_, or_, xor
square, inv, floor_div = sqr, reciprocal, int_div    # Theano's other names


def fill(model, value):
    """``value`` broadcast to the shape of ``model``."""
    return second(model, value)


def cast(x, dtype):
    """``x`` converted to ``dtype`` ('floatX' allowed).

    >>> import theanine.tensor as T
    >>> T.cast(T.ivector('y'), 'float32').dtype
    'float32'
    """
    dtype = as_dtype_name(dtype)
    if isinstance(x, Variable) and x.dtype == dtype:
        return x
    x = as_tensor_variable(x)
    if x.dtype == dtype:
        return x
    return cast_elemwise(dtype)(x)


def clip(x, low, high):
    """``x`` limited to ``[low, high]`` elementwise."""
    return minimum(maximum(x, low), high)


def round(x, mode=None):
    """Round elementwise; ``mode`` 'half_away_from_zero' (Theano's default) or 'half_to_even'."""
    mode = mode or "half_away_from_zero"
    if mode not in ("half_away_from_zero", "half_to_even"):
        raise ValueError(f"round: mode must be 'half_away_from_zero' or 'half_to_even', "
                         f"got {mode!r}")
    return Elemwise(f"round_{mode}")(x)


def iround(x, mode=None):
    """``round(x, mode)`` as int64."""
    return cast(round(x, mode), "int64")


def ones_like(x, dtype=None):
    """Ones with the shape (and dtype, unless given) of ``x``."""
    x = as_tensor_variable(x)
    return second(x, constant(1, dtype=dtype or x.dtype))


def zeros_like(x, dtype=None):
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    x = as_tensor_variable(x)
    return second(x, constant(0, dtype=dtype or x.dtype))


# ---------------------------------------------------------------- reductions


def _keep(result, x, axes, keepdims):
    if not keepdims:
        return result
    pattern, kept = [], iter(range(result.ndim))
    for i in range(x.ndim):
        pattern.append("x" if i in axes else next(kept))
    return dimshuffle(result, pattern)


def _reduce(kind, x, axis, keepdims):
    x = as_tensor_variable(x)
    op = Reduce(kind, ())
    axes = normalize_axis(axis, x.ndim, op)
    if not axes:
        # Nothing to reduce, but the result still has the reduction's dtype
        # (all/any of a scalar is bool, the sum of an int8 scalar int64).
        out = op.make_node(x).outputs[0]
        return x if out.dtype == x.dtype else out
    return _keep(Reduce(kind, axes)(x), x, axes, keepdims)


def sum(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):
    """Sum over ``axis`` (None: all). Integers and bools sum in int64."""
    result = _reduce("sum", x, axis, keepdims)
    return cast(result, dtype) if dtype else result


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``."""
    result = _reduce("prod", x, axis, keepdims)
    return cast(result, dtype) if dtype else result


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis`` (the gradient goes to every maximal element)."""
    return _reduce("max", x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    return _reduce("min", x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    """True where every element over ``axis`` is true."""
    return _reduce("all", x, axis, keepdims)


def any(x, axis=None, keepdims=False):
    """True where some element over ``axis`` is true."""
    return _reduce("any", x, axis, keepdims)


def _arg(kind, x, axis, keepdims):
    x = as_tensor_variable(x)
    if axis is not None:
        axes = normalize_axis(axis, x.ndim, Argmax(kind, None))
        if len(axes) != 1:
            raise ValueError(f"arg{kind} takes one axis or None, got {axis}")
        axis = axes[0]
        result = Argmax(kind, axis)(x)
        return _keep(result, x, (axis,), keepdims)
    if x.ndim > 1:
        x = flatten(x, 1)
    return Argmax(kind, None if x.ndim == 0 else 0)(x)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (int64)."""
    return _arg("max", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (int64)."""
    return _arg("min", x, axis, keepdims)


def max_and_argmax(x, axis=None):
    """``(max(x, axis), argmax(x, axis))``."""
    return max(x, axis), argmax(x, axis)


def _count(x, axes):
    sizes = [x.type.shape[a] for a in axes]
    if None not in sizes:
        return math.prod(sizes)
    total = None
    for a in axes:
        size = x.type.shape[a] if x.type.shape[a] is not None else shape(x)[a]
        total = size if total is None else total * size
    return total


def mean(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):
    """Mean over ``axis``; float inputs keep their dtype, integers give floats."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, Reduce("sum", ()))
    total = sum(x, axes, keepdims)
    count = _count(x, axes)
    if isinstance(count, Variable) and total.dtype[0] == "f":
        count = cast(count, total.dtype)
    result = true_div(total, count)
    return cast(result, dtype) if dtype else result


def var(x, axis=None, keepdims=False, ddof=0, corrected=False):
    """Variance over ``axis`` (``ddof=1`` or ``corrected=True`` for the unbiased one)."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, Reduce("sum", ()))
    centered = x - mean(x, axes, keepdims=True)
    ddof = 1 if corrected else ddof
    if not ddof:
        return mean(sqr(centered), axes, keepdims)
    count = _count(x, axes) - ddof
    if isinstance(count, Variable) and centered.dtype[0] == "f":
        count = cast(count, centered.dtype)  # an int64 count would upcast float32
    return sum(sqr(centered), axes, keepdims) / count


def std(x, axis=None, keepdims=False, ddof=0, corrected=False):
    """Standard deviation over ``axis``."""
    return sqrt(var(x, axis, keepdims, ddof, corrected))


def norm(x, L=2, axis=None):
    """The L1 or L2 norm of ``x`` over ``axis``."""
    if L == 1:
        return sum(abs(x), axis)
    if L == 2:
        return sqrt(sum(sqr(x), axis))
    raise ValueError(f"norm: L must be 1 or 2, got {L}")


# ---------------------------------------------------------------- products


def dot(x, y):
    """Matrix/vector product; a scalar operand multiplies; more than 2-d folds to 2-d.

    >>> import theanine.tensor as T
    >>> T.dot(T.matrix('x'), T.vector('v')).ndim
    1
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        return mul(x, y)
    if x.ndim > 2 and y.ndim <= 2:
        # The leading size is spelled out, not -1, which NumPy rejects when k is 0.
        folded = reshape(x, (_prod_dims(x, range(x.ndim - 1)), x.type.shape[-1]
                             if x.type.shape[-1] is not None else shape(x)[-1]), ndim=2)
        out = Dot()(folded, y)
        lead = [d if d is not None else shape(x)[i] for i, d in enumerate(x.type.shape[:-1])]
        tail = [y.type.shape[1] if y.type.shape[1] is not None else shape(y)[1]] \
            if y.ndim == 2 else []
        return reshape(out, lead + tail, ndim=len(lead) + len(tail))
    return Dot()(x, y)


def outer(x, y):
    """Outer product of two vectors."""
    return Dot()(dimshuffle(x, (0, "x")), dimshuffle(y, ("x", 0)))


def tensordot(a, b, axes=2):
    """Sum over the last ``axes`` axes of ``a`` and the first ``axes`` of ``b``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if not isinstance(axes, int):
        raise NotImplementedError("tensordot: only an integer number of axes is supported")
    a_lead = [shape(a)[i] for i in range(a.ndim - axes)]
    b_tail = [shape(b)[i] for i in range(axes, b.ndim)]
    a2 = reshape(a, (-1, _prod_dims(a, range(a.ndim - axes, a.ndim))), ndim=2)
    b2 = reshape(b, (_prod_dims(b, range(axes)), -1), ndim=2)
    out = Dot()(a2, b2)
    return reshape(out, a_lead + b_tail, ndim=len(a_lead) + len(b_tail))


def _prod_dims(x, axes):
    axes = list(axes)
    static = [x.type.shape[a] for a in axes]
    if None not in static:
        return math.prod(static)
    total = 1
    for a in axes:
        total = total * shape(x)[a]
    return total


def batched_dot(a, b):
    """Batched matrix product of 3-d tensors, ``out[i] = dot(a[i], b[i])``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    return sum(dimshuffle(a, (0, 1, 2, "x")) * dimshuffle(b, (0, "x", 1, 2)), axis=2)


# ---------------------------------------------------------------- shapes


def shape(x):
    """The symbolic shape of ``x`` (an int64 vector)."""
    return Shape()(as_tensor_variable(x))


def shape_i(x, i):
    """``x.shape[i]``, a constant when the size is known statically."""
    x = as_tensor_variable(x)
    size = x.type.shape[i]
    if size is not None:
        return constant(size, dtype="int64")
    return ShapeI(i % x.ndim)(x)


def specify_shape(x, shape):
    """``x`` with a static shape asserted (checked when the function runs)."""
    return SpecifyShape(tuple(shape))(as_tensor_variable(x))


def dimshuffle(x, pattern):
    """Reorder/insert ('x')/drop dimensions, as Theano's ``x.dimshuffle(...)``.

    >>> import theanine.tensor as T
    >>> T.vector('b').dimshuffle('x', 0, 'x', 'x').type.shape
    (1, None, 1, 1)
    """
    x = as_tensor_variable(x)
    pattern = tuple(pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.ndim, pattern)(x)


def transpose(x, axes=None):
    """Permute the axes (reverse them by default)."""
    x = as_tensor_variable(x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    return dimshuffle(x, axes)


def _shape_vector(shape_arg):
    if isinstance(shape_arg, Variable):
        if shape_arg.ndim == 0:
            return MakeVector("int64")(shape_arg)
        return shape_arg if shape_arg.dtype == "int64" else cast(shape_arg, "int64")
    if isinstance(shape_arg, (int, np.integer)):
        shape_arg = (shape_arg,)
    entries = [e if isinstance(e, Variable) else constant(int(e), dtype="int64")
               for e in shape_arg]
    return MakeVector("int64")(*entries)


def reshape(x, newshape, ndim=None):
    """``x`` with a new shape; entries may be symbolic and one may be -1."""
    x = as_tensor_variable(x)
    vector = _shape_vector(newshape)
    length = vector.type.shape[0]
    if length is None:
        if ndim is None:
            raise ValueError("reshape: the length of a symbolic shape is unknown; pass ndim=")
        vector = specify_shape(vector, (ndim,))
        length = ndim
    return Reshape(length)(x, vector)


def flatten(x, ndim=1, outdim=None):
    """Keep the first ``ndim - 1`` dimensions and collapse the rest into one."""
    x = as_tensor_variable(x)
    ndim = outdim or ndim
    if not 1 <= ndim <= builtins.max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be in 1..{x.ndim}, got {ndim}")
    lead = [d if d is not None else shape(x)[i] for i, d in enumerate(x.type.shape[:ndim - 1])]
    # The tail size is spelled out, not -1, which NumPy rejects when a lead size is 0.
    last = _prod_dims(x, range(ndim - 1, x.ndim))
    return reshape(x, lead + [last], ndim=ndim)


def shape_padleft(x, n=1):
    """``x`` with ``n`` broadcastable dimensions added on the left."""
    x = as_tensor_variable(x)
    return dimshuffle(x, ("x",) * n + tuple(range(x.ndim)))


def shape_padright(x, n=1):
    """``x`` with ``n`` broadcastable dimensions added on the right."""
    x = as_tensor_variable(x)
    return dimshuffle(x, tuple(range(x.ndim)) + ("x",) * n)


def shape_padaxis(x, axis):
    """``x`` with a broadcastable dimension inserted at ``axis``."""
    x = as_tensor_variable(x)
    axis = axis % (x.ndim + 1)
    pattern = list(range(x.ndim))
    pattern.insert(axis, "x")
    return dimshuffle(x, pattern)


def addbroadcast(x, *axes):
    """``x`` with the given axes declared to have size 1."""
    x = as_tensor_variable(x)
    shape_ = list(x.type.shape)
    for a in axes:
        shape_[a] = 1
    return specify_shape(x, shape_)


def alloc(value, *shape_):
    """A new array of shape ``shape_`` filled with ``value``."""
    return Alloc()(value, *shape_)


def _shape_args(shape_):
    if isinstance(shape_, Variable):
        return [shape_] if shape_.ndim == 0 else [shape_[i] for i in range(shape_.type.shape[0])]
    if isinstance(shape_, (int, np.integer)):
        return [shape_]
    return list(shape_)


def zeros(shape_, dtype=None):
    """Zeros of a (possibly symbolic) shape."""
    return alloc(constant(0, dtype=dtype or weak_dtype(0.5)), *_shape_args(shape_))


def ones(shape_, dtype=None):
    """Ones of a (possibly symbolic) shape."""
    return alloc(constant(1, dtype=dtype or weak_dtype(0.5)), *_shape_args(shape_))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values, ``arange(n)`` or ``arange(start, stop, step)``."""
    if stop is None:
        start, stop = 0, start
    values = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        is_int = builtins.all(v.dtype[:3] in ("int", "uin") for v in values)
        dtype = "int64" if is_int else weak_dtype(0.5)
    values = [cast(v, dtype) for v in values]
    return ARange(as_dtype_name(dtype))(*values)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Join(axis % tensors[0].ndim)(*tensors)


join = lambda axis, *tensors: concatenate(tensors, axis)  # noqa: E731  (Theano's argument order)


def stack(tensors, axis=0):
    """Join tensors along a new axis."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if axis == 0 and builtins.all(t.ndim == 0 for t in tensors):
        from theanine.graph.dtypes import result_dtype
        return MakeVector(result_dtype([t.dtype for t in tensors]))(*tensors)
    return concatenate([shape_padaxis(t, axis) for t in tensors], axis)


# ---------------------------------------------------------------- indexing


def _as_index_part(value, inputs):
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    var = as_tensor_variable(value)
    if var.ndim != 0:
        raise IndexError(f"slice bounds must be scalars, got {var.type}")
    const = constant_value(var)
    if const is not None:
        return int(const)
    inputs.append(var if var.dtype == "int64" else cast(var, "int64"))
    return SYM


def _expand_ellipsis(index, ndim):
    if not builtins.any(i is Ellipsis for i in index):
        return index
    position = [k for k, i in enumerate(index) if i is Ellipsis][0]
    used = builtins.sum(1 for i in index if i is not None and i is not Ellipsis)
    fill_ = (slice(None),) * (ndim - used)
    return index[:position] + fill_ + index[position + 1:]


def getitem(x, index):
    """``x[index]``: slices with symbolic bounds, integers, ``None``, integer arrays."""
    x = as_tensor_variable(x)
    if not isinstance(index, tuple):
        index = (index,)
    index = _expand_ellipsis(index, x.ndim)
    if not index:  # x[()] and x[...] of a scalar
        return x
    if builtins.any(i is None for i in index):
        return _getitem_newaxis(x, index)
    if x.owner is not None and isinstance(x.owner.op, Shape) and len(index) == 1 and \
            isinstance(index[0], (int, np.integer)):
        return shape_i(x.owner.inputs[0], int(index[0]))
    advanced = builtins.any(
        (isinstance(i, Variable) and i.ndim > 0) or isinstance(i, (list, np.ndarray))
        for i in index)
    spec, inputs = [], []
    for item in index:
        if isinstance(item, slice):
            parts = [_as_index_part(p, inputs) for p in (item.start, item.stop, item.step)]
            spec.append(("slice", *parts))
        elif isinstance(item, (bool, np.bool_)):
            raise IndexError("boolean scalar indices are not supported")
        elif isinstance(item, (int, np.integer)):
            spec.append(("int", int(item)))
        else:
            var = as_tensor_variable(item)
            if var.ndim == 0 and not advanced:
                spec.append(("int", _as_index_part(var, inputs)))
            else:
                if var.dtype not in ("bool",) and var.dtype[:3] not in ("int", "uin"):
                    raise IndexError(f"index arrays must be integers or booleans, got "
                                     f"{var.type}")
                spec.append(("adv",))
                inputs.append(var)
    op = AdvancedSubtensor(spec) if advanced else Subtensor(spec)
    return op(x, *inputs)


def _getitem_newaxis(x, index):
    kept = tuple(i for i in index if i is not None)
    base = getitem(x, kept) if kept else x
    pattern, axis = [], 0
    for item in index:
        if item is None:
            pattern.append("x")
        elif not isinstance(item, (int, np.integer)) and not (
                isinstance(item, Variable) and item.ndim == 0):
            pattern.append(axis)
            axis += 1
    pattern.extend(range(axis, base.ndim))
    return dimshuffle(base, pattern)


def _inc_or_set(x_part, y, set_instead_of_inc):
    node = getattr(x_part, "owner", None)
    if node is None or not isinstance(node.op, (Subtensor, AdvancedSubtensor)):
        raise TypeError("set_subtensor/inc_subtensor take an indexed tensor such as x[2:5] "
                        "as their first argument")
    cls = IncSubtensor if isinstance(node.op, Subtensor) else AdvancedIncSubtensor
    return cls(node.op.spec, set_instead_of_inc)(node.inputs[0], y, *node.inputs[1:])


def set_subtensor(x_part, y):
    """A copy of the tensor indexed by ``x_part`` with that part set to ``y``.

    >>> import numpy as np, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> T.set_subtensor(x[1:], 0.0).eval({x: np.ones(3)}).tolist()
    [1.0, 0.0, 0.0]
    """
    return _inc_or_set(x_part, y, True)


def inc_subtensor(x_part, y):
    """A copy of the tensor indexed by ``x_part`` with ``y`` added to that part."""
    return _inc_or_set(x_part, y, False)
