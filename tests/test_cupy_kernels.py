"""The CUDA source the CuPy backend generates for elementwise nodes, checked without a GPU.

``device=cuda`` turns every elementwise node into a ``cupy.ElementwiseKernel`` whose
body is :meth:`Fused.c_code`. Where no GPU is present these tests still check that
source: every scalar op, for each dtype it takes, is compiled by ``nvcc`` for the
H100 (sm_90) in the shape CuPy gives it (one element per thread, inputs as values),
and the same bodies are compiled as host C++ with ``g++`` and run on sample values,
which must agree with the NumPy kernels (integer division rounding down, operand
casts, comparisons...). Each test skips when its compiler is missing.
"""
from __future__ import annotations

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import theanine.tensor as T
from theanine.backends.cupy_backend import elementwise_source
from theanine.ops.fused import Fused, scalar_op
from theanine.ops.scalar import SCALAR_OPS

C_TYPES = {"float32": "float", "float64": "double", "int64": "long long", "int32": "int",
           "bool": "bool"}


def _out_dtype(op, dtypes):
    rule = op.dtype_rule
    if rule == "bool":
        return "bool"
    if rule == "last":
        return dtypes[-1]
    dtype = np.result_type(*dtypes).name
    if rule == "float" and np.dtype(dtype).kind != "f":
        return "float64"
    return dtype


def _cases():
    """``(name, input dtypes, output dtype)`` for every scalar op and the dtypes it takes."""
    cases = []
    for name, op in SCALAR_OPS.items():
        if op.c_expr is None:           # run on the host under CuPy, never in a kernel
            continue
        for dtype in ("float32", "float64", "int64"):
            if dtype == "int64" and name in ("isnan", "isinf", "invert", "round_half_to_even",
                                             "round_half_away_from_zero", "floor", "ceil", "trunc"):
                continue
            dtypes = [dtype] * op.nin
            if name == "switch":
                dtypes[0] = "bool"
            cases.append((name, tuple(dtypes), _out_dtype(op, dtypes)))
    cases += [("maximum", ("float32", "float64"), "float64"),
              ("pow", ("float32", "int64"), "float64"),
              ("true_div", ("int64", "int64"), "float64"),
              ("and", ("bool", "bool"), "bool"), ("invert", ("bool",), "bool"),
              ("cast_float32", ("float64",), "float32"), ("cast_int32", ("float32",), "int32")]
    return cases


def _node(name, dtypes, out_dtype):
    inputs = [T.tensor(d, (None,)) for d in dtypes]
    op = Fused(len(inputs), ((name, tuple(range(len(inputs))), out_dtype),))
    return op(*inputs).owner


def _c_function(k, node, device):
    """Function ``k`` applying ``node``'s kernel body to ``n`` elements: one per CUDA
    thread as CuPy launches it (``device``), or a loop for the host."""
    ins, outs, body = elementwise_source(node)
    params = [p.split() for p in ins.split(", ")]
    out_type = C_TYPES[outs.split()[0]]
    args = ", ".join(f"const {C_TYPES[t]}* p_{n}" for t, n in params)
    loads = " ".join(f"const {C_TYPES[t]} {n} = p_{n}[i];" for t, n in params)
    element = f"{loads} {out_type} out0; {body}\n    p_out[i] = out0;"
    if device:
        return (f'extern "C" __global__ void k{k}({args}, {out_type}* p_out, int n) {{\n'
                f"  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i >= n) return;\n"
                f"  {element}\n}}\n")
    return (f'extern "C" void k{k}({args}, {out_type}* p_out, int n) {{\n'
            f"  for (int i = 0; i < n; ++i) {{ {element} }}\n}}\n")


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (the CUDA toolkit) is not installed")
def test_every_generated_kernel_compiles_for_the_h100(tmp_path):
    source = "".join(_c_function(k, _node(*case), True) for k, case in enumerate(_cases()))
    path = tmp_path / "kernels.cu"
    path.write_text(source)
    result = subprocess.run(["nvcc", "-c", "-arch=sm_90", str(path), "-o",
                             str(tmp_path / "kernels.o")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


_HOST_PRELUDE = """
#include <cmath>
using std::isnan; using std::isinf; using std::rint; using std::round;
// CUDA's device math has max/min overloads for every arithmetic type; so here.
template <class T> static inline T max(T a, T b) { return a != a ? a : (b != b ? b : (a > b ? a : b)); }
template <class T> static inline T min(T a, T b) { return a != a ? a : (b != b ? b : (a < b ? a : b)); }
// CUDA's device math has erfcx, erfinv and erfcinv, the C++ library does not: stand-ins
// (Newton's method on std::erf) so the kernels around them run here. They check the
// generated code (operand casts, dtypes), not CUDA's functions.
template <class T> static inline T erfcx(T x) { return std::exp(x * x) * std::erfc(x); }
template <class T> static inline T erfinv(T y) {
  if (!(y > -1 && y < 1)) return y == 1 ? INFINITY : (y == -1 ? -INFINITY : NAN);
  double x = 0;
  for (int k = 0; k < 60; ++k) x -= (std::erf(x) - (double)y) / (1.1283791670955126 * std::exp(-x * x));
  return (T)x;
}
template <class T> static inline T erfcinv(T y) { return erfinv((T)(1 - y)); }
"""


def _samples(dtype, k):
    if dtype == "bool":
        return np.array([True, False, True, False, True, True, False, False])
    if dtype == "int64":
        return np.ascontiguousarray(np.array([7, -7, 3, -2, 5, 1, -9, 4])[::1 if k == 0 else -1])
    # Binary fractions: floor(a / b) and NumPy's fmod-based floor division differ by
    # one where a / b rounds onto an integer (3.0 / -0.3), which is not a kernel bug.
    values = np.array([0.75, -1.5, 2.25, -0.375, 3.0, 0.5, -2.5, 1.25])
    return np.ascontiguousarray(values[::1 if k == 0 else -1].astype(dtype))


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_generated_kernels_compute_what_numpy_computes(tmp_path):
    cases = _cases()
    nodes = [_node(*case) for case in cases]
    (tmp_path / "host.cpp").write_text(_HOST_PRELUDE + "".join(
        _c_function(k, node, False) for k, node in enumerate(nodes)))
    library = tmp_path / "host.so"
    result = subprocess.run(["g++", "-O1", "-shared", "-fPIC", str(tmp_path / "host.cpp"),
                             "-o", str(library)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    lib = ctypes.CDLL(str(library))
    for k, ((name, dtypes, out_dtype), node) in enumerate(zip(cases, nodes)):
        if name == "switch":
            arrays = [_samples("bool", 0), _samples(dtypes[1], 0), _samples(dtypes[2], 1)]
        else:
            arrays = [_samples(d, j) for j, d in enumerate(dtypes)]
        if name == "pow" and dtypes[1] == "int64":
            arrays[1] = np.abs(arrays[1]) % 4           # NumPy refuses negative int powers
        if name == "pow" and dtypes[0] != "int64":
            arrays[0] = np.abs(arrays[0])               # no NaNs from fractional powers
        out = np.empty(8, dtype=out_dtype)
        fn = getattr(lib, f"k{k}")
        fn.restype = None
        fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in arrays],
           out.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(8))
        # Elemwise casts the operands to the computing dtype before the op (a float
        # op of integers computes in floats); the kernels get that dtype or cast.
        rule = scalar_op(name).dtype_rule
        common = out_dtype if rule in ("float", "promote") else np.result_type(*dtypes)
        operands = arrays if rule in ("last",) or name.startswith("cast_") else \
            [a.astype(common) for a in arrays]
        with np.errstate(all="ignore"):
            expected = np.asarray(scalar_op(name).numpy(*operands)).astype(out_dtype)
        np.testing.assert_allclose(out, expected, rtol=2e-6, atol=1e-6, equal_nan=True,
                                   err_msg=f"{name}{dtypes}")
