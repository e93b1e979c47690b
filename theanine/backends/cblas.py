"""``C <- alpha * A @ B + beta * C`` in one BLAS call, through the BLAS NumPy itself uses.

NumPy's ``matmul`` always writes a fresh product, so an SGD update
``W - lr * (dot(x.T, g) + l2 * W)`` costs a GEMM plus several passes over ``W``.
BLAS's ``gemm`` does it in one: it scales ``C`` by ``beta`` while it adds the
product. This module finds ``cblas_sgemm``/``cblas_dgemm`` in the BLAS library
already loaded by NumPy (no second BLAS, so no second thread pool) and calls it
with :mod:`ctypes`. Where that library cannot be found (a NumPy built against
Accelerate or an unknown BLAS, or no ``/proc``), :func:`gemm` computes the same
result with NumPy operations, so callers never need to know.

Example:
    >>> import numpy as np
    >>> C = np.ones((2, 3), dtype=np.float32)
    >>> A = np.arange(4, dtype=np.float32).reshape(2, 2)
    >>> B = np.ones((2, 3), dtype=np.float32)
    >>> gemm(C, -1.0, A, B, 0.5).tolist()      # C is updated in place and returned
    [[-0.5, -0.5, -0.5], [-4.5, -4.5, -4.5]]
"""
from __future__ import annotations

import ctypes
import os

import numpy as np

from theanine.backends import numpy_parallel

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# Symbol names by BLAS build, most specific first: NumPy's wheels bundle
# scipy-openblas with prefixed, 64-bit-integer ("ILP64") symbols.
_CANDIDATES = (("scipy_cblas_{}gemm64_", ctypes.c_int64), ("cblas_{}gemm64_", ctypes.c_int64),
               ("scipy_cblas_{}gemm", ctypes.c_int), ("cblas_{}gemm", ctypes.c_int))


def _loaded_blas_paths():
    """Paths of the shared libraries in this process whose name says BLAS, NumPy's first."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return []
    numpy_dir = os.path.dirname(os.path.dirname(np.__file__))
    return sorted(paths, key=lambda p: (not p.startswith(numpy_dir), p))


def _numpy_blas_libraries():
    np.dot(np.ones((2, 2)), np.ones((2, 2)))        # makes sure NumPy's BLAS is loaded
    for path in _loaded_blas_paths():
        try:
            yield ctypes.CDLL(path)
        except OSError:
            continue


def _find_gemm():
    """``{dtype: cblas gemm function}`` for float32 and float64, or {}."""
    for lib in _numpy_blas_libraries():
        for pattern, int_type in _CANDIDATES:
            found = {}
            for letter, dtype, real in (("s", np.float32, ctypes.c_float),
                                        ("d", np.float64, ctypes.c_double)):
                fn = getattr(lib, pattern.format(letter), None)
                if fn is None:
                    break
                fn.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int,
                               int_type, int_type, int_type, real, ctypes.c_void_p, int_type,
                               ctypes.c_void_p, int_type, real, ctypes.c_void_p, int_type]
                found[np.dtype(dtype)] = fn
            if len(found) == 2:
                return found
    return {}


# Below this many elements of C, NumPy's extra passes over C cost less than the
# ctypes call (about 7 microseconds with its pointer lookups, measured).
_MIN_BLAS_SIZE = 16384


def _openblas_function(name, restype, argtypes):
    """OpenBLAS's ``openblas_<name>`` in NumPy's BLAS, under any of its builds' prefixes
    and suffixes, typed for ctypes; None when that BLAS is not OpenBLAS."""
    for lib in _numpy_blas_libraries():
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("scipy_", ""), ("", "")):
            fn = getattr(lib, f"{prefix}openblas_{name}{suffix}", None)
            if fn is not None:
                fn.restype, fn.argtypes = restype, argtypes
                return fn
    return None


def _find_thread_control():
    """``(get_num_threads, set_num_threads)`` of NumPy's OpenBLAS, or None."""
    get = _openblas_function("get_num_threads", ctypes.c_int, [])
    set_ = _openblas_function("set_num_threads", None, [ctypes.c_int])
    return None if get is None or set_ is None else (get, set_)


def kernel_name():
    """The CPU kernels NumPy's OpenBLAS runs (``'Haswell'``, ``'SkylakeX'``...), or None.

    A build for many CPUs picks them when it loads, unless ``OPENBLAS_CORETYPE``
    names others: older kernels on a newer CPU are correct but slower (on a 2-core
    AVX-512 machine, ``Haswell`` made float32 products 1.5-1.8 times slower than
    ``SkylakeX``). Benchmarks print it.

    >>> kernel_name() is None or isinstance(kernel_name(), str)
    True
    """
    fn = _openblas_function("get_corename", ctypes.c_char_p, [])
    return fn().decode() if fn is not None else None


def description():
    """NumPy's BLAS, its version, and which CPU kernels it runs and who chose them.

    ``OPENBLAS_CORETYPE`` is named when set: it decides every OpenBLAS user's speed.

    >>> isinstance(description(), str)
    True
    """
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - numpy < 1.25 has no mode='dicts'
        text = "NumPy's BLAS (see numpy.show_config())"
    name = kernel_name()
    if name is not None:
        forced = os.environ.get("OPENBLAS_CORETYPE")
        text += f", {name} kernels" + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")
    return text


_ENABLED = os.environ.get("THEANINE_CBLAS", "1") != "0"
_GEMM = _find_gemm() if _ENABLED else {}
_THREADS = _find_thread_control() if _ENABLED else None


def blas_is_single_threaded():
    """True while NumPy's BLAS is held to one thread by :class:`single_threaded_blas`.

    >>> with single_threaded_blas():
    ...     blas_is_single_threaded()
    True
    """
    return _THREADS is not None and _THREADS[0]() == 1


class single_threaded_blas:
    """Context: NumPy's BLAS runs each call on the calling thread alone.

    For many small products run from several Python threads at once (one batch
    slice each): a threaded BLAS would make every call wake, and wait for, its
    own helper threads. The NumPy backend also holds it around whole steps with
    convolutions (``NumpyBackend.step_context``), whose large products it splits
    itself. Only the BLAS NumPy uses is affected, and only where it can be told
    (OpenBLAS); elsewhere this does nothing.

    >>> with single_threaded_blas():
    ...     _ = np.dot(np.ones((2, 2)), np.ones((2, 2)))
    """

    def __enter__(self):
        self.previous = _THREADS[0]() if _THREADS else None
        if self.previous not in (None, 1):
            _THREADS[1](1)
        return self

    def __exit__(self, *exc):
        if self.previous not in (None, 1):
            _THREADS[1](self.previous)


def available():
    """True when :func:`gemm` calls BLAS directly (else it falls back to NumPy).

    >>> isinstance(available(), bool)
    True
    """
    return bool(_GEMM)


def _operand(x):
    """``(array, transpose flag, leading dimension)`` for a row-major BLAS call."""
    if x.strides[1] == x.itemsize and x.strides[0] >= max(1, x.shape[1]) * x.itemsize:
        return x, _NO_TRANS, x.strides[0] // x.itemsize
    if x.strides[0] == x.itemsize and x.strides[1] >= max(1, x.shape[0]) * x.itemsize:
        return x, _TRANS, x.strides[1] // x.itemsize
    x = np.ascontiguousarray(x)
    return x, _NO_TRANS, max(1, x.shape[1])


def _address(x):
    """The address of ``x``'s first element: ``x.ctypes.data``, in a third of its time.

    ``ctypes.c_char.from_buffer`` needs a writable, C-contiguous buffer; a
    transposed operand is read through its transpose, anything else (a
    read-only constant, a strided view) through ``x.ctypes``.

    >>> x = np.ones((3, 2), dtype=np.float32)
    >>> _address(x) == _address(x.T) == x.ctypes.data
    True
    """
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(x if x.flags.c_contiguous else x.T))
    except (TypeError, ValueError, BufferError):
        return x.ctypes.data


def gemm(C, alpha, A, B, beta):
    """Overwrite the matrix ``C`` with ``alpha * A @ B + beta * C`` and return it.

    One BLAS call when ``C`` is C- or Fortran-contiguous and not small, all four
    share a float dtype and ``C`` shares no memory with ``A`` or ``B``; else NumPy
    operations (with a temporary for the product). ``beta == 0`` ignores ``C``'s old values,
    NaNs included, as BLAS does.

    >>> import numpy as np
    >>> C = np.zeros((2, 2)); A = np.eye(2)
    >>> gemm(C, 2.0, A, A.T, 1.0).tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    """
    fn = _GEMM.get(C.dtype)
    if fn is None or C.size < _MIN_BLAS_SIZE or A.dtype != C.dtype or B.dtype != C.dtype or \
            np.may_share_memory(C, A) or np.may_share_memory(C, B):
        return _gemm_numpy(C, alpha, A, B, beta)
    if C.flags.c_contiguous:
        rows, cols, left, right = C.shape[0], C.shape[1], A, B
    elif C.flags.f_contiguous:
        # Row-major C^T = alpha * B^T @ A^T + beta * C^T.
        rows, cols, left, right = C.shape[1], C.shape[0], B.T, A.T
    else:
        return _gemm_numpy(C, alpha, A, B, beta)
    if rows == 0 or cols == 0:
        return C
    alpha, beta = float(alpha), float(beta)
    left, trans_left, ld_left = _operand(left)
    right, trans_right, ld_right = _operand(right)
    depth, size = A.shape[1], C.itemsize
    a_ptr, b_ptr, c_ptr = _address(left), _address(right), _address(C)
    if rows * cols * depth < numpy_parallel.SPLIT_PRODUCT_WORK or \
            not blas_is_single_threaded() or numpy_parallel.n_workers() < 2:
        fn(_ROW_MAJOR, trans_left, trans_right, rows, cols, depth, alpha,
           a_ptr, ld_left, b_ptr, ld_right, beta, c_ptr, max(1, cols))
        return C
    # Single-threaded BLAS (see numpy_parallel.matmul): rows of C split over the cores.
    a_step = (ld_left if trans_left == _NO_TRANS else 1) * size

    def job(s):
        fn(_ROW_MAJOR, trans_left, trans_right, s.stop - s.start, cols, depth, alpha,
           a_ptr + s.start * a_step, ld_left, b_ptr, ld_right, beta,
           c_ptr + s.start * cols * size, max(1, cols))
    numpy_parallel.for_slices(job, rows, rows * numpy_parallel.MIN_WORK)
    return C


def _gemm_numpy(C, alpha, A, B, beta):
    product = np.matmul(A, B)
    product *= alpha
    if beta == 0:
        C[...] = product
    else:
        if beta != 1:
            C *= beta
        C += product
    return C
