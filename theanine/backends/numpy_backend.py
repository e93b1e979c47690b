"""The NumPy backend: the reference kernel for every op.

Each entry of ``KERNELS`` maps an op class to a factory ``factory(node)``
that returns a Python callable taking the node's input arrays and returning
its output (or a tuple of outputs). Factories specialize on the node's
parameters once, at compile time, so calls do no dispatching.

Example:
    >>> from theanine.backends.numpy_backend import KERNELS
    >>> from theanine.ops.blas import Dot
    >>> Dot in KERNELS
    True
"""
from __future__ import annotations

import numpy as np

from theanine.backends import cblas, numpy_parallel, numpy_scalar
from theanine.backends.host_memory import keep_freed_memory
from theanine.ops import (blas, cumulative, elemwise, ifelse, linalg, nnet, reduce, shape,
                          special, subtensor)
from theanine.ops.subtensor import index_source, spec_inputs

def registrar(table):
    """A decorator ``register(*op_classes)`` that files the wrapped factory in ``table``.

    >>> table = {}
    >>> @registrar(table)(int, float)
    ... def factory(node):
    ...     return None
    >>> sorted(cls.__name__ for cls in table)
    ['float', 'int']
    """
    def register(*op_classes):
        def wrap(factory):
            for cls in op_classes:
                table[cls] = factory
            return factory
        return wrap
    return register


KERNELS = {}
#: Decorator: the wrapped ``factory(node) -> kernel`` makes the kernels of ``op_classes``.
register = registrar(KERNELS)


class NumpyBackend:
    """Arrays are NumPy arrays in host memory."""

    name = "numpy"
    xp = np

    def __init__(self):
        keep_freed_memory()

    def to_device(self, value):
        return value if isinstance(value, np.ndarray) else np.asarray(value)

    def to_host(self, value):
        return value

    def is_device_array(self, value):
        return isinstance(value, np.ndarray)

    def step_context(self, nodes):
        """``single_threaded_blas`` for steps with convolutions or pooling, else None.

        Their copies run on every core (:mod:`numpy_parallel`); a threaded OpenBLAS
        keeps a helper thread spinning on a core after each product, so in those
        steps BLAS is held to one thread and large products are split over the cores
        instead (``numpy_parallel.matmul``, ``cblas.gemm``). The setting is the
        process's: other threads' NumPy products run single-threaded meanwhile.
        """
        from theanine.ops import conv, pool
        if any(isinstance(node.op, (conv._ConvOp, pool._PoolOp)) for node in nodes):
            return cblas.single_threaded_blas
        return None

    def kernel(self, node):
        """The callable that runs ``node`` on NumPy arrays."""
        factory = KERNELS.get(type(node.op))
        if factory is not None:
            return factory(node)
        if hasattr(node.op, "perform"):      # an op written in Python (PythonOp)
            from theanine.ops.python_op import perform_kernel
            return perform_kernel(node)
        raise NotImplementedError(f"the numpy backend has no kernel for {node.op}")


# ---------------------------------------------------------------- elementwise

@register(elemwise.Elemwise)
def _elemwise(node):
    if node.outputs[0].ndim == 0:
        # Index arithmetic, batch sizes, costs: scalar arithmetic is 10x cheaper.
        program = [(node.op.scalar_op.name, tuple(range(len(node.inputs))),
                    node.outputs[0].dtype)]
        return numpy_scalar.scalar_program_kernel(program, len(node.inputs))
    return node.op.scalar_op.numpy


@register(elemwise.DimShuffle)
def _dimshuffle(node):
    op = node.op
    index = op.index
    if op.perm == tuple(range(op.input_ndim)):
        return lambda x: x[index]
    perm = op.perm
    if all(i == slice(None) for i in index):
        return lambda x: x.transpose(perm)
    return lambda x: x.transpose(perm)[index]


# ---------------------------------------------------------------- reductions

# The ufuncs' own reduce methods: np.sum and friends add a Python-level wrapper
# (about 1.5 microseconds a call, a tenth of a small training step's reductions).
_REDUCERS = {"sum": np.add.reduce, "prod": np.multiply.reduce, "max": np.maximum.reduce,
             "min": np.minimum.reduce, "all": np.logical_and.reduce,
             "any": np.logical_or.reduce}


#: Sums of at most this many terms along one axis of a float matrix run as a BLAS
#: product with a vector of ones (see :func:`matrix_sum`); longer ones keep NumPy's
#: pairwise summation, whose rounding error grows more slowly.
BLAS_SUM_MAX_TERMS = 1024
_ONES = {}


def _ones(n, dtype):
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = _ONES[key] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


# NumPy runs a matrix reduction as one inner loop per line along its contiguous
# axis; with fewer lines than this its own sum is as fast as BLAS's (20x500: 2-3 us).
_MANY_INNER_LOOPS = 64


def _inner_loops(x):
    return x.shape[1] if x.flags.f_contiguous and not x.flags.c_contiguous else x.shape[0]


def matrix_sum(x, axis):
    """``np.add.reduce(x, axis=axis)``, 2-6 times faster for many short lines of a float matrix.

    NumPy reduces a matrix one short inner loop at a time (a 600x10 batch: 12 us
    either way); BLAS's matrix-vector product with a vector of ones does the same
    sum in 2-4 us. Up to :data:`BLAS_SUM_MAX_TERMS` terms the two roundings are
    equally good (both keep several partial sums); beyond, for few lines (where
    NumPy is as fast), for other dtypes and for other numbers of dimensions, NumPy sums.

    >>> x = np.arange(128.0).reshape(64, 2)
    >>> matrix_sum(x, 0).tolist(), matrix_sum(x, 1)[:2].tolist()
    ([4032.0, 4096.0], [1.0, 5.0])
    """
    n = x.shape[axis]
    if x.dtype.kind != "f" or x.ndim != 2 or not 1 < n <= BLAS_SUM_MAX_TERMS or \
            _inner_loops(x) < _MANY_INNER_LOOPS:
        return np.add.reduce(x, axis=axis)
    ones = _ones(n, x.dtype)
    return np.matmul(ones, x) if axis == 0 else np.matmul(x, ones)


@register(reduce.Reduce)
def _reduce(node):
    op = node.op
    fn, axis = _REDUCERS[op.kind], op.axis
    x_type = node.inputs[0].type
    if op.kind == "sum" and x_type.ndim == 2 and len(axis) == 1 and \
            x_type.dtype in ("float32", "float64") and node.outputs[0].dtype == x_type.dtype:
        only = axis[0]
        return lambda x: matrix_sum(x, only)
    if op.kind in ("sum", "prod"):
        dtype = np.dtype(node.outputs[0].dtype)
        return lambda x: fn(x, axis=axis, dtype=dtype)
    return lambda x: fn(x, axis=axis)


@register(reduce.Argmax)
def _argmax(node):
    fn = np.argmax if node.op.kind == "max" else np.argmin
    axis = node.op.axis
    return lambda x: fn(x, axis=axis)


@register(cumulative.Cumulative)
def _cumulative(node):
    fn = np.cumsum if node.op.mode == "sum" else np.cumprod
    axis, dtype = node.op.axis, np.dtype(node.outputs[0].dtype)
    return lambda x: fn(x, axis=axis, dtype=dtype)


@register(cumulative.Argsort)
def _argsort(node):
    axis = node.op.axis
    return lambda x: np.argsort(x, axis=axis, kind="stable")


@register(linalg.MatrixInverse, linalg.Det, linalg.Solve, linalg.Cholesky)
def _linalg(node):
    # np.linalg.* also serve CuPy arrays (through __array_function__).
    fn = {linalg.MatrixInverse: np.linalg.inv, linalg.Det: np.linalg.det,
          linalg.Solve: np.linalg.solve, linalg.Cholesky: np.linalg.cholesky}[type(node.op)]
    dtype = np.dtype(node.outputs[0].dtype)
    return lambda *arrays: fn(*arrays).astype(dtype, copy=False)


@register(ifelse.IfElse)
def _ifelse(node):
    # The linker runs ifelse lazily, in if/else blocks; this kernel, which takes
    # both branches computed, serves constant folding.
    n = node.op.n_outs

    def choose(condition, *branches):
        chosen = branches[:n] if condition else branches[n:]
        return chosen[0] if n == 1 else tuple(chosen)
    return choose


# ---------------------------------------------------------------- shapes

@register(shape.Shape)
def _shape(node):
    return lambda x: np.array(np.shape(x), dtype=np.int64)


@register(shape.ShapeI)
def _shape_i(node):
    i = node.op.i
    return lambda x: np.int64(x.shape[i])


@register(shape.SpecifyShape)
def _specify_shape(node):
    expected = node.outputs[0].type

    def specify(x):
        if not expected.accepts_shape(np.shape(x)):
            raise ValueError(f"shape {np.shape(x)} does not match the declared {expected.shape}")
        return x
    return specify


@register(shape.Reshape)
def _reshape(node):
    # ndarray.reshape with a list: a third of np.reshape's cost with an array shape.
    return lambda x, s: x.reshape(s.tolist() if isinstance(s, np.ndarray) else s)


@register(shape.MakeVector)
def _make_vector(node):
    dtype = np.dtype(node.outputs[0].dtype)
    return lambda *scalars: np.array(scalars, dtype=dtype)


@register(shape.Alloc)
def _alloc(node):
    dtype = np.dtype(node.outputs[0].dtype)

    def alloc(value, *dims):
        out = np.empty(tuple(int(d) for d in dims), dtype=dtype)
        out[...] = value
        return out
    return alloc


@register(shape.ARange)
def _arange(node):
    dtype = np.dtype(node.outputs[0].dtype)
    return lambda start, stop, step: np.arange(start, stop, step, dtype=dtype)


@register(shape.Join)
def _join(node):
    axis = node.op.axis
    return lambda *xs: np.concatenate(xs, axis=axis)


@register(special.ZeroGrad)
def _zero_grad(node):
    return lambda x: x


@register(special.Assert)
def _assert(node):
    message = node.op.message

    def check(x, *conditions):
        if not all(bool(c) for c in conditions):
            raise AssertionError(message)
        return x
    return check


# ---------------------------------------------------------------- indexing

def _compile_lambda(source, namespace=None):
    scope = {"np": np}
    scope.update(namespace or {})
    exec(compile(source, "<theanine-kernel>", "exec"), scope)
    return scope["kernel"]


def _index_names(op):
    return [f"i{k}" for k in range(spec_inputs(op.spec))]


@register(subtensor.Subtensor, subtensor.AdvancedSubtensor)
def _subtensor(node):
    names = _index_names(node.op)
    args = ", ".join(["x"] + names)
    return _compile_lambda(f"def kernel({args}):\n    return x[{index_source(node.op.spec, names)}]")


@register(subtensor.IncSubtensor, subtensor.AdvancedIncSubtensor)
def _inc_subtensor(node):
    op = node.op
    names = _index_names(op)
    args = ", ".join(["x", "y"] + names)
    index = index_source(op.spec, names)
    if op.set_instead_of_inc:
        body = f"    out[{index}] = y\n"
    elif isinstance(op, subtensor.AdvancedIncSubtensor):
        # np.add.at adds once per occurrence of a repeated index, as a gradient must.
        body = f"    np.add.at(out, np.index_exp[{index}], y)\n"  # index_exp: slices too
    else:
        body = f"    out[{index}] += y\n"
    return _compile_lambda(f"def kernel({args}):\n    out = np.array(x)\n{body}    return out")


# ---------------------------------------------------------------- products

@register(blas.Dot)
def _dot(node):
    if all(v.ndim == 2 for v in node.inputs):
        return numpy_parallel.matmul      # split over the cores when BLAS is not
    return np.dot


@register(blas.Gemm)
def _gemm(node):
    inplace = node.op.inplace

    def gemm(C, alpha, A, B, beta):
        if C.shape != (A.shape[0], B.shape[1]) or A.shape[1] != B.shape[0]:
            raise ValueError(f"gemm: C {C.shape} += dot(A {A.shape}, B {B.shape}) does not fit")
        # In place is a permission: a read-only buffer (a borrowed constant) is copied.
        out = C if inplace and C.flags.writeable else np.array(C)
        return cblas.gemm(out, alpha, A, B, beta)
    return gemm


# ---------------------------------------------------------------- softmax family

def row_max(z):
    """``np.max(z, axis=-1)``: the same numbers, three times faster for many short rows.

    NumPy reduces each row with its own inner-loop call, about 45 ns a row: 29 us
    for a 600x10 batch of class scores. Taking the maximum column by column costs
    a call per column instead, so it wins when rows outnumber columns 16 to 1
    (10 us there). A maximum does not depend on the order it is taken in.

    >>> z = np.array([[1.0, 3.0, 2.0]] * 48)
    >>> bool((row_max(z) == 3.0).all())
    True
    """
    rows, cols = z.shape[0] if z.ndim == 2 else 0, z.shape[-1]
    if cols < 2 or rows < 16 * cols:
        return np.maximum.reduce(z, axis=-1)
    out = np.maximum(z[:, 0], z[:, 1])
    for j in range(2, cols):
        np.maximum(out, z[:, j], out=out)
    return out


def softmax(z):
    e = z - row_max(z)[..., None]
    np.exp(e, out=e)
    e /= matrix_sum(e, -1)[..., None]
    return e


def log_softmax(z):
    shifted = z - row_max(z)[..., None]
    e = np.exp(shifted)
    shifted -= np.log(matrix_sum(e, -1))[..., None]
    return shifted


_ROW_NUMBERS = {}


def row_numbers(n):
    """``np.arange(n)``, made once per ``n`` (read-only): the rows of a label gather.

    >>> row_numbers(3).tolist()
    [0, 1, 2]
    """
    rows = _ROW_NUMBERS.get(n)
    if rows is None:
        if len(_ROW_NUMBERS) >= 64:         # many batch sizes: keep the cache small
            _ROW_NUMBERS.clear()
        rows = _ROW_NUMBERS[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


def crossentropy_softmax(z, y):
    # Written for small minibatches too (20x10: a dozen calls of about 1 us each):
    # ufunc methods, no keepdims wrappers, one buffer (``e``) that becomes the softmax.
    e = z - row_max(z)[:, None]
    picked = e[row_numbers(z.shape[0]), y]
    np.exp(e, out=e)
    total = matrix_sum(e, 1)
    nll = np.log(total)
    nll -= picked
    e /= total[:, None]
    return nll, e


def crossentropy_softmax_grad(g, sm, y):
    out = sm * (g[:, None] if np.ndim(g) else g)
    out[row_numbers(sm.shape[0]), y] -= g
    return out


@register(nnet.Softmax)
def _softmax(node):
    return softmax


@register(nnet.LogSoftmax)
def _log_softmax(node):
    return log_softmax


@register(nnet.CrossEntropySoftmax)
def _crossentropy_softmax(node):
    return crossentropy_softmax


@register(nnet.CrossEntropySoftmaxGrad)
def _crossentropy_softmax_grad(node):
    return crossentropy_softmax_grad


# The fused elementwise kernel lives in its own module, which registers itself here.
from theanine.backends import numpy_fused  # noqa: E402,F401  (registers the Fused kernel)
# Convolution, pooling and random-number kernels live in their own modules.
from theanine.backends import numpy_conv, numpy_pool, numpy_random  # noqa: E402,F401
from theanine.backends import numpy_scan  # noqa: E402,F401  (registers the Scan kernel)
