"""The CuPy backend: compiled steps on an NVIDIA GPU (``THEANINE_FLAGS=device=cuda``).

Shared variables hold CuPy arrays (``get_value()`` still returns a NumPy array,
so checkpoints load anywhere; ``get_value(borrow=True)`` the device array).
Function inputs go to the device when a call starts and outputs come back to
the host, as Theano's GPU functions did; everything in between stays on the GPU.

Most kernels are the NumPy backend's own: they are written with ``np.*`` ufuncs
and functions on their inputs, which CuPy arrays take over through
``__array_ufunc__`` / ``__array_function__`` (``np.dot`` becomes a cuBLAS call,
``np.tanh`` a CuPy kernel). This module supplies the kernels that cannot work
that way, written once against an array module ``xp``:

* every elementwise node (``Elemwise``, ``Fused``) is one generated
  ``cupy.ElementwiseKernel`` from the op's C code (:mod:`theanine.ops.fused`);
* ``Gemm`` is cuBLAS ``gemm`` with ``beta``; reductions, ``argmax``, the softmax
  family, array creation and ``inc_subtensor`` (``cupyx.scatter_add``) use
  ``xp`` functions;
* convolutions are im2col + one matrix product per batch (:func:`conv2d`);
  pooling runs the NumPy backend's tap kernels, which create arrays with
  ``np.*_like`` and so stay on the device;
* random numbers and ``scan`` run on the host (inputs copied in, outputs out).

``CupyBackend(xp=numpy)`` runs this same table on NumPy: the tests use it to
check every override on any machine, and the GPU tests run the op tests with
``device=cuda`` where a GPU exists.

Example:
    >>> import numpy as np
    >>> backend = CupyBackend(xp=np)        # the kernel table, on NumPy
    >>> backend.to_host(backend.to_device([1.0, 2.0])).tolist()
    [1.0, 2.0]
"""
from __future__ import annotations

import functools

import numpy as np

from theanine.backends import numpy_backend, numpy_conv
from theanine.ops import blas, conv, elemwise, nnet, random, reduce, scan, shape, subtensor
from theanine.ops.fused import Fused

#: ``{op class: factory(node, xp) -> kernel}``: kernels that differ from NumPy's.
OVERRIDES = {}
#: Decorator: the wrapped ``factory(node, xp)`` makes the CuPy kernels of ``op_classes``.
override = numpy_backend.registrar(OVERRIDES)


def unavailable_reason():
    """Why ``device=cuda`` cannot run here, or None when it can.

    >>> isinstance(unavailable_reason(), (str, type(None)))
    True
    """
    try:
        import cupy
    except Exception as exc:  # ImportError, or CUDA libraries that fail to load
        return (f"CuPy is not installed ({type(exc).__name__}: {exc}); install it with "
                f"pip install 'theanine[cuda12]' (or [cuda13])")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return f"CuPy finds no usable NVIDIA GPU ({type(exc).__name__}: {exc})"
    return None if count > 0 else "CuPy finds no NVIDIA GPU"


def is_available():
    """True when CuPy imports and sees a GPU (what ``device=auto`` asks).

    >>> isinstance(is_available(), bool)
    True
    """
    return unavailable_reason() is None


class CupyBackend:
    """Arrays are CuPy arrays in GPU memory (or ``xp``'s arrays, for testing)."""

    name = "cupy"

    def __init__(self, xp=None):
        if xp is None:
            reason = unavailable_reason()
            if reason is not None:
                raise ImportError(f"device 'cuda' is not usable: {reason}. Use device=cpu, "
                                  f"or device=auto to fall back to the CPU.")
            import cupy as xp
        self.xp = xp
        self.on_numpy = xp is np

    def to_device(self, value):
        """An ``xp`` array; 0-d values become NumPy scalars (CuPy takes them as scalars)."""
        if isinstance(value, self.xp.ndarray) and (value.ndim or self.on_numpy):
            return value
        host = np.asarray(value) if not self._is_foreign(value) else self.to_host(value)
        if host.ndim == 0:
            return host[()]
        return self.xp.asarray(host)

    def constant(self, value):
        """Constants: small integer vectors (shapes) stay on the host, the rest as inputs."""
        host = np.asarray(value)
        if host.ndim == 1 and host.dtype.kind in "iu" and host.size <= 8:
            return host
        return self.to_device(host)

    def to_host(self, value):
        if self.on_numpy or not isinstance(value, self.xp.ndarray):
            return np.asarray(value)
        return self.xp.asnumpy(value)

    def is_device_array(self, value):
        return isinstance(value, self.xp.ndarray)

    def _is_foreign(self, value):
        return not self.on_numpy and isinstance(value, self.xp.ndarray)

    def update_value(self, value):
        """A 0-d shared variable's new value, as the device keeps it."""
        return self.to_device(value)

    def input_to_device(self, value):
        """A function input (a NumPy array from the type filter) on the device."""
        return self.to_device(value)

    def output_to_host(self, value):
        """A function output, back on the host as Theano's GPU functions returned it."""
        return self.to_host(value) if isinstance(value, self.xp.ndarray) else value

    def synchronize(self):
        """Wait until the device has run every queued kernel.

        A profiled function (``profile=True``) calls it after each node, so that
        each node's time is its own and not the queue's.
        """
        if not self.on_numpy:
            self.xp.cuda.get_current_stream().synchronize()

    def on_host(self, host_kernel):
        """``host_kernel`` (NumPy arrays in and out) as a kernel of this backend.

        For what has no device code: ops written in Python, ``polygamma``.
        """
        def run(*arrays):
            results = host_kernel(*[self.to_host(a) for a in arrays])
            if isinstance(results, tuple):
                return tuple(self.to_device(r) for r in results)
            return self.to_device(results)
        return run

    def kernel(self, node):
        """The callable that runs ``node`` on ``xp`` arrays."""
        factory = OVERRIDES.get(type(node.op))
        if factory is not None:
            return factory(node, self.xp)
        factory = numpy_backend.KERNELS.get(type(node.op))
        if factory is not None:
            return factory(node)
        if hasattr(node.op, "perform"):      # an op written in Python: run on the host
            from theanine.ops.python_op import perform_kernel
            return self.on_host(perform_kernel(node))
        raise NotImplementedError(f"the cupy backend has no kernel for {node.op}")


# ---------------------------------------------------------------- elementwise

@override(elemwise.Elemwise, Fused)
def _elementwise(node, xp):
    if isinstance(node.op, elemwise.Elemwise) and node.op.scalar_op.c_expr is None \
            and xp is not np:
        # No C expression (polygamma): NumPy's kernel, on the host.
        return CupyBackend(xp).on_host(numpy_backend.KERNELS[elemwise.Elemwise](node))
    if isinstance(node.op, elemwise.Elemwise):
        # One generated kernel per op too: a 1-instruction program. Its inputs are the
        # node's distinct inputs (``x * x`` reads x once).
        from theanine.rewrite.fusion import fused_output
        fused = fused_output([node]).owner
        picks = [next(k for k, v in enumerate(node.inputs) if v is f) for f in fused.inputs]
        kernel = _elementwise(fused, xp)
        if picks == list(range(len(node.inputs))):
            return kernel
        return lambda *arrays: kernel(*[arrays[k] for k in picks])
    if xp is np:
        return numpy_backend.KERNELS[Fused](node)
    return _elementwise_kernel(node, xp)


def elementwise_source(node):
    """``(in_params, out_params, operation)`` of the ``cupy.ElementwiseKernel`` for a Fused node.

    >>> import theanine.tensor as T
    >>> x, y = T.fvector('x'), T.fvector('y')
    >>> op = Fused(2, (('mul', (0, 1), 'float32'), ('tanh', (2,), 'float32')))
    >>> ins, outs, body = elementwise_source(op(x, y).owner)
    >>> ins, outs
    ('float32 i0, float32 i1', 'float32 out0')
    >>> print(body)
    float t0 = i0 * i1;
    out0 = tanh(t0);
    """
    names = [f"i{k}" for k in range(len(node.inputs))]
    ins = ", ".join(f"{np.dtype(v.dtype).name} {n}" for v, n in zip(node.inputs, names))
    outs = f"{np.dtype(node.outputs[0].dtype).name} out0"
    return ins, outs, node.op.c_code(names, "out0", [v.dtype for v in node.inputs])


@functools.lru_cache(maxsize=None)
def _compiled(ins, outs, body):
    import cupy
    return cupy.ElementwiseKernel(ins, outs, body, "theanine_fused")


def _elementwise_kernel(node, xp):
    kernel = _compiled(*elementwise_source(node))
    target = node.op.inplace_input
    out_dtype = np.dtype(node.outputs[0].dtype)

    def run(*arrays):
        if target is not None and isinstance(arrays[target], xp.ndarray) and \
                arrays[target].dtype == out_dtype and \
                arrays[target].shape == np.broadcast_shapes(*(getattr(a, "shape", ())
                                                              for a in arrays)):
            return kernel(*arrays, arrays[target])
        return kernel(*arrays)
    return run


# ---------------------------------------------------------------- products

@override(blas.Dot)
def _dot(node, xp):
    # Not the NumPy backend's kernel: that one splits large products over host threads.
    return xp.dot


@override(blas.Gemm)
def _gemm(node, xp):
    inplace = node.op.inplace

    def gemm(C, alpha, A, B, beta):
        if C.shape != (A.shape[0], B.shape[1]) or A.shape[1] != B.shape[0]:
            raise ValueError(f"gemm: C {C.shape} += dot(A {A.shape}, B {B.shape}) does not fit")
        out = C if inplace else C.copy()
        product = xp.matmul(A, B)
        if float(beta) != 1:
            out *= beta
        product *= alpha
        out += product
        return out
    return gemm


# ---------------------------------------------------------------- reductions

_REDUCERS = {"sum": "sum", "prod": "prod", "max": "max", "min": "min", "all": "all",
             "any": "any"}


@override(reduce.Reduce)
def _reduce(node, xp):
    op = node.op
    fn, axis = getattr(xp, _REDUCERS[op.kind]), op.axis
    if op.kind in ("sum", "prod"):
        dtype = np.dtype(node.outputs[0].dtype)
        return lambda x: fn(x, axis=axis, dtype=dtype)
    return lambda x: fn(x, axis=axis)


@override(reduce.Argmax)
def _argmax(node, xp):
    fn = xp.argmax if node.op.kind == "max" else xp.argmin
    axis = node.op.axis
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    return lambda x: fn(x, axis=axis)


# ---------------------------------------------------------------- creation

@override(shape.Alloc)
def _alloc(node, xp):
    dtype = np.dtype(node.outputs[0].dtype)

    def alloc(value, *dims):
        out = xp.empty(tuple(int(d) for d in dims), dtype=dtype)
        out[...] = value
        return out
    return alloc


@override(shape.ARange)
def _arange(node, xp):
    dtype = np.dtype(node.outputs[0].dtype)
    return lambda start, stop, step: xp.arange(int(start), int(stop), int(step), dtype=dtype)


@override(shape.MakeVector)
def _make_vector(node, xp):
    # Vectors built from scalars are almost always shapes: kept on the host.
    dtype = np.dtype(node.outputs[0].dtype)
    return lambda *scalars: np.array([float(s) if dtype.kind == "f" else int(s)
                                      for s in scalars], dtype=dtype)


@override(shape.Shape)
def _shape(node, xp):
    return lambda x: np.array(x.shape, dtype=np.int64)          # a host vector


@override(shape.SpecifyShape)
def _specify_shape(node, xp):
    expected = node.outputs[0].type

    def specify(x):
        if not expected.accepts_shape(x.shape):
            raise ValueError(f"shape {x.shape} does not match the declared {expected.shape}")
        return x
    return specify


@override(shape.Reshape)
def _reshape(node, xp):
    return lambda x, s: x.reshape(tuple(int(d) for d in s))


# ---------------------------------------------------------------- indexing

@override(subtensor.IncSubtensor, subtensor.AdvancedIncSubtensor)
def _inc_subtensor(node, xp):
    from theanine.ops.subtensor import index_source, spec_inputs
    op = node.op
    names = [f"i{k}" for k in range(spec_inputs(op.spec))]
    index = index_source(op.spec, names)
    if op.set_instead_of_inc:
        body = f"    out[{index}] = y\n"
    elif isinstance(op, subtensor.AdvancedIncSubtensor):
        # Repeated indices add once per occurrence, as a gradient must.
        body = f"    _add_at(out, _index_exp[{index}], y)\n"
    else:
        body = f"    out[{index}] += y\n"
    source = f"def kernel({', '.join(['x', 'y'] + names)}):\n    out = x.copy()\n{body}" \
             f"    return out"
    scope = {"_add_at": _add_at(xp), "_index_exp": np.index_exp}
    exec(compile(source, "<theanine-cupy-kernel>", "exec"), scope)
    return scope["kernel"]


def _add_at(xp):
    if xp is np:
        return np.add.at
    import cupyx
    return cupyx.scatter_add


# ---------------------------------------------------------------- softmax family

def _softmax(xp, z):
    e = z - z.max(axis=-1, keepdims=True)
    xp.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _log_softmax(xp, z):
    shifted = z - z.max(axis=-1, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def _crossentropy_softmax(xp, z, y):
    e = z - z.max(axis=1, keepdims=True)
    nll = -e[xp.arange(z.shape[0]), y]
    xp.exp(e, out=e)
    total = e.sum(axis=1)
    nll += xp.log(total)
    e /= total[:, None]
    return nll, e


def _crossentropy_softmax_grad(xp, g, sm, y):
    g = g if isinstance(g, xp.ndarray) else xp.asarray(g, dtype=sm.dtype)
    out = sm * (g[:, None] if g.ndim else g)
    rows = xp.arange(sm.shape[0])
    out[rows, y] -= g
    return out


for _cls, _fn in ((nnet.Softmax, _softmax), (nnet.LogSoftmax, _log_softmax),
                  (nnet.CrossEntropySoftmax, _crossentropy_softmax),
                  (nnet.CrossEntropySoftmaxGrad, _crossentropy_softmax_grad)):
    override(_cls)(lambda node, xp, _fn=_fn: functools.partial(_fn, xp))


# ---------------------------------------------------------------- convolution

def conv2d(xp, x, w, border_mode, stride, flip):
    """Forward convolution by im2col and one batched matrix product, on ``xp`` arrays."""
    return conv2d_with_columns(xp, x, w, border_mode, stride, flip)[0]


def conv2d_with_columns(xp, x, w, border_mode, stride, flip):
    """:func:`conv2d` and its columns, flattened (for the filter gradient)."""
    p = numpy_conv.plan(tuple(x.shape), tuple(w.shape), border_mode, stride)
    cols = _columns(xp, x, p, w.shape[2:])                       # (N, C*kh*kw, oh*ow)
    out = xp.matmul(_filters(xp, w, flip), cols)
    return out.reshape(x.shape[0], w.shape[0], *p.out_hw), cols.reshape(-1)


def conv2d_grad_weights(xp, x, dout, filter_hw, border_mode, stride, flip, columns=None):
    """Filter gradient; ``columns`` from :func:`conv2d_with_columns` of ``x``, if given."""
    filter_shape = (dout.shape[1], x.shape[1], int(filter_hw[0]), int(filter_hw[1]))
    if columns is None:
        p = numpy_conv.plan(tuple(x.shape), filter_shape, border_mode, stride)
        cols = _columns(xp, x, p, filter_shape[2:])
    else:
        cols = columns.reshape(x.shape[0], x.shape[1] * filter_shape[2] * filter_shape[3], -1)
    topgrad = xp.ascontiguousarray(dout).reshape(dout.shape[0], dout.shape[1], -1)
    dw = xp.matmul(topgrad, cols.transpose(0, 2, 1)).sum(axis=0).reshape(filter_shape)
    return xp.ascontiguousarray(dw[:, :, ::-1, ::-1]) if flip else dw


def conv2d_grad_inputs(xp, w, dout, image_hw, border_mode, stride, flip):
    n, c = dout.shape[0], w.shape[1]
    h, wd = int(image_hw[0]), int(image_hw[1])
    p = numpy_conv.plan((n, c, h, wd), tuple(w.shape), border_mode, stride)
    kh, kw = w.shape[2:]
    topgrad = xp.ascontiguousarray(dout).reshape(n, dout.shape[1], -1)
    dcols = xp.matmul(_filters(xp, w, flip).T, topgrad).reshape(n, c, kh, kw, *p.out_hw)
    padded = xp.zeros((n, c, h + 2 * p.pad[0], wd + 2 * p.pad[1]), dtype=dout.dtype)
    for (a, b), index in _nchw_taps(p, kh, kw):
        padded[index] += dcols[:, :, a, b]
    return xp.ascontiguousarray(padded[:, :, p.pad[0]:p.pad[0] + h, p.pad[1]:p.pad[1] + wd])


def _filters(xp, w, flip):
    if flip:
        w = w[:, :, ::-1, ::-1]
    return xp.ascontiguousarray(w).reshape(w.shape[0], -1)


def _nchw_taps(p, kh, kw):
    """Each tap's ``(a, b)`` and its index in padded NCHW images.

    The plan's own taps index its work layout (maybe batch innermost): their row
    and column slices are the same in any layout.
    """
    rows, cols = p.layout.index(2), p.layout.index(3)
    return [((a, b), (slice(None), slice(None), index[rows], index[cols]))
            for (a, b), index in p.taps[:kh * kw]]


def _columns(xp, x, p, filter_hw):
    kh, kw = int(filter_hw[0]), int(filter_hw[1])
    n, c, h, wd = x.shape
    if p.pad != (0, 0):
        padded = xp.zeros((n, c, h + 2 * p.pad[0], wd + 2 * p.pad[1]), dtype=x.dtype)
        padded[:, :, p.pad[0]:p.pad[0] + h, p.pad[1]:p.pad[1] + wd] = x
    else:
        padded = x
    cols = xp.empty((n, c, kh, kw) + tuple(p.out_hw), dtype=x.dtype)
    for (a, b), index in _nchw_taps(p, kh, kw):
        cols[:, :, a, b] = padded[index]
    return cols.reshape(n, c * kh * kw, -1)


def _conv_kernel(function):
    def factory(node, xp):
        op = node.op
        return lambda *arrays: function(xp, *arrays, op.border_mode, op.subsample,
                                        op.filter_flip)
    return factory


override(conv.Conv2D)(_conv_kernel(conv2d))
override(conv.Conv2DGradWeights)(_conv_kernel(conv2d_grad_weights))
override(conv.Conv2DGradInputs)(_conv_kernel(conv2d_grad_inputs))


override(conv.Conv2DWithColumns)(_conv_kernel(conv2d_with_columns))


@override(conv.Conv2DGradWeightsFromColumns)
def _grad_weights_from_columns(node, xp):
    op = node.op
    return lambda x, dout, filter_hw, columns: conv2d_grad_weights(
        xp, x, dout, filter_hw, op.border_mode, op.subsample, op.filter_flip, columns)


# ---------------------------------------------------------------- host ops

@override(random.RandomOp, scan.Scan)
def _on_host(node, xp):
    """Random draws (a NumPy ``Generator`` is the state) and scan loops run on the host."""
    kernel = numpy_backend.KERNELS[type(node.op)](node)
    backend = CupyBackend(xp=xp)

    def run(*arrays):
        result = kernel(*[backend.to_host(a) if backend.is_device_array(a) else a
                          for a in arrays])
        if isinstance(result, tuple):
            return tuple(backend.to_device(r) if isinstance(r, np.ndarray) else r
                         for r in result)
        return backend.to_device(result) if isinstance(result, np.ndarray) else result
    return run
