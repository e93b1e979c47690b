"""pool_2d (max, sum, average with and without padding) and its gradients.

Forward results are compared with a window-by-window reference written from
Theano's definition, in float64, on shapes from hypothesis: 2-d to 4-d inputs,
overlapping and gapped strides, padding, ``ignore_border`` both ways. Gradients
and the gradients of the gradient ops are checked with ``verify_grad`` at points
without ties; the tie rule (first maximum in row-major window order) is tested
on its own.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import theanine
import theanine.tensor as T
from theanine.gradcheck import verify_grad
from theanine.ops.pool import AveragePoolGrad, MaxPoolGrad, Pool
from theanine.tensor.signal import downsample
from theanine.tensor.signal.pool import pool_2d

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


def reference_pool(x, ws, ignore_border, stride, pad, mode):
    """Pool window by window, following Theano's ``Pool.perform``, in float64."""
    x = x.astype(np.float64)
    h, w = x.shape[-2:]
    rows, cols = h + 2 * pad[0], w + 2 * pad[1]

    def count(size, k, s):
        if size == 0:
            return 0
        if ignore_border:
            return max((size - k) // s + 1, 0)
        return (size - 1) // s + 1 if s >= k else max(0, (size - 1 - k) // s + 1) + 1
    oh, ow = count(rows, ws[0], stride[0]), count(cols, ws[1], stride[1])
    padded = np.zeros(x.shape[:-2] + (rows, cols))
    padded[..., pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            r1, c1 = min(r0 + ws[0], rows), min(c0 + ws[1], cols)
            if mode != "average_inc_pad":  # only real elements
                r0, c0 = max(r0, pad[0]), max(c0, pad[1])
                r1, c1 = min(r1, pad[0] + h), min(c1, pad[1] + w)
            window = padded[..., r0:r1, c0:c1].reshape(x.shape[:-2] + (-1,))
            reduce = {"max": np.max, "sum": np.sum}.get(mode, np.mean)
            out[..., i, j] = reduce(window, axis=-1)
    return out


@st.composite
def pool_case(draw):
    ndim = draw(st.integers(2, 4), label="ndim")
    lead = tuple(draw(st.integers(1, 3)) for _ in range(ndim - 2))
    ws = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, (1, 1), (2, 1), (1, 3), (3, 2)]), label="stride")
    ignore_border = draw(st.booleans(), label="ignore_border")
    pad = (0, 0)
    if ignore_border:
        pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1)))
    hw = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    mode = draw(st.sampled_from(MODES), label="mode")
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return lead + hw, ws, ignore_border, stride, pad, mode, seed


def _distinct_values(shape, seed):
    """Values at least 0.01 apart, so that no window has tied maxima."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1.0).astype(np.float64)


def _pool_fn(case):
    _, ws, ignore_border, stride, pad, mode, _ = case
    return lambda a: pool_2d(a, ws=ws, ignore_border=ignore_border, stride=stride, pad=pad,
                             mode=mode)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(case=pool_case())
def test_pool_forward_matches_reference(backend, dtype, case):
    shape, ws, ignore_border, stride, pad, mode, seed = case
    x = np.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)
    symbolic = T.tensor(dtype, (None,) * len(shape), name="x")
    out = _pool_fn(case)(symbolic)
    got = host(theanine.function([symbolic], out)(x))
    expected = reference_pool(x, ws, ignore_border, stride or ws, pad, mode)
    assert out.dtype == dtype and got.shape == expected.shape
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@given(case=pool_case())
@settings(max_examples=10)
def test_pool_gradient(backend, case):
    shape, ws, ignore_border, stride, pad, mode, seed = case
    x = _distinct_values(shape, seed)
    assume(reference_pool(x, ws, ignore_border, stride or ws, pad, mode).size > 0)
    verify_grad(_pool_fn(case), [x], rng=seed)


@given(case=pool_case())
@settings(max_examples=8)
def test_pool_gradient_ops_have_gradients(backend, case):
    shape, ws, ignore_border, stride, pad, mode, seed = case
    x = _distinct_values(shape, seed)
    props = (ws, ignore_border, stride, pad, mode)
    pooled = reference_pool(x, ws, ignore_border, stride or ws, pad, mode)
    assume(pooled.size > 0)
    gz = np.random.default_rng(seed).uniform(-1, 1, pooled.shape)
    if mode == "max":
        verify_grad(lambda g: MaxPoolGrad(*props)(x, pooled, g), [gz], rng=seed)
    else:
        verify_grad(lambda g: AveragePoolGrad(*props)(x, g), [gz], rng=seed)


def test_max_gradient_goes_to_the_first_maximum_of_a_window(backend):
    x = T.dmatrix("x")
    grad = T.grad(T.sum(pool_2d(x, ws=(2, 2), ignore_border=True)), x)
    value = np.array([[1.0, 3.0, 0.0, 0.0],
                      [3.0, 3.0, 0.0, 0.0]])
    assert host(grad.eval({x: value})).tolist() == [[0.0, 1.0, 1.0, 0.0],
                                                    [0.0, 0.0, 0.0, 0.0]]
    overlapping = T.grad(T.sum(pool_2d(x, ws=(2, 2), stride=(1, 1))), x)
    # Each of the four overlapping windows picks its own top-left element.
    assert host(overlapping.eval({x: np.zeros((3, 3))})).tolist() == [[1.0, 1.0, 0.0],
                                                                       [1.0, 1.0, 0.0],
                                                                       [0.0, 0.0, 0.0]]


def test_lenet_shapes_and_fast_path(backend):
    x = T.tensor("float32", (None, 20, 24, 24), "x")
    out = pool_2d(x, ws=(2, 2), ignore_border=True)
    assert out.type.shape == (None, 20, 12, 12)
    value = np.random.default_rng(0).standard_normal((3, 20, 24, 24)).astype("float32")
    expected = value.reshape(3, 20, 12, 2, 12, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(host(theanine.function([x], out)(value)), expected)


def test_static_shapes(backend):
    x = T.tensor("float32", (5, None, 7, 6))
    assert pool_2d(x, (2, 2), ignore_border=False).type.shape == (5, None, 4, 3)
    assert pool_2d(x, (3, 2), ignore_border=True, stride=(1, 2), pad=(1, 1)).type.shape == \
        (5, None, 7, 4)
    assert T.grad(T.sum(pool_2d(x, (2, 2), mode="sum")), x).type.shape == (5, None, 7, 6)


def test_old_names(backend):
    x = T.dtensor4("x")
    value = np.random.default_rng(1).standard_normal((2, 3, 6, 5))
    new = pool_2d(x, ws=(3, 2), stride=(1, 2), ignore_border=False)
    old = pool_2d(x, ds=(3, 2), st=(1, 2), ignore_border=False)
    older = downsample.max_pool_2d(x, (3, 2), ignore_border=False, st=(1, 2))
    f = theanine.function([x], [new, old, older])
    a, b, c = (host(v) for v in f(value))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    padded = pool_2d(x, ds=(3, 3), padding=(1, 1), ignore_border=True, mode="sum")
    assert padded.owner.op == Pool((3, 3), True, (3, 3), (1, 1), "sum")


def test_bad_arguments_are_rejected(backend):
    x = T.dtensor4("x")
    with pytest.raises(ValueError, match="ignore_border"):
        pool_2d(x, (2, 2), ignore_border=False, pad=(1, 1))
    with pytest.raises(ValueError, match="smaller than the window"):
        pool_2d(x, (2, 2), ignore_border=True, pad=(2, 0))
    with pytest.raises(ValueError, match="mode"):
        pool_2d(x, (2, 2), mode="median")
    with pytest.raises(TypeError, match="at least 2"):
        pool_2d(T.dvector("v"), (2, 2))
    with pytest.raises(TypeError, match="not both"):
        pool_2d(x, ws=(2, 2), ds=(2, 2))


def _batch_innermost(a):
    """``a``'s values in CHWN memory, seen as NCHW (as a batch-innermost convolution returns)."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


@pytest.mark.parametrize("layout", ["nchw", "chwn"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws, stride, pad", [((2, 2), None, (0, 0)), ((3, 2), (1, 2), (1, 1))])
def test_work_split_over_cores_gives_the_same_bits(monkeypatch, mode, ws, stride, pad, layout):
    """Split over the images (NCHW) or the channels (CHWN memory): the serial bits."""
    from theanine.backends import numpy_parallel, numpy_pool
    x = _distinct_values((5, 3, 8, 7), 0)
    gz_shape = reference_pool(x, ws, True, stride or ws, pad, mode).shape
    gz = np.random.default_rng(1).standard_normal(gz_shape)
    if layout == "chwn":
        x, gz = _batch_innermost(x), _batch_innermost(gz)
    args = (ws, True, stride or ws, pad)

    def run():
        out = numpy_pool.pool(x, *args, mode)
        if mode == "max":
            grad = numpy_pool.max_pool_grad(x, out, gz, *args)
            return [out, grad, numpy_pool.max_pool_grad_grad(x, out, grad, *args)]
        return [out, numpy_pool.average_pool_grad(x, gz, *args, mode)]
    serial = run()
    monkeypatch.setattr(numpy_parallel, "MIN_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 3)
    for a, b in zip(serial, run()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(serial[0], reference_pool(x, ws, True, stride or ws, pad, mode))
