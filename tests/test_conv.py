"""T.nnet.conv2d and its gradient ops.

Forward results are compared with a direct nested-loop convolution in float64,
for every border mode, strides, and flipped or unflipped filters, on shapes
from hypothesis (including batches large enough to use the batch-innermost
work layout); gradients, and gradients of the gradient ops, with ``verify_grad``.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from hypothesis import given, settings
from hypothesis import strategies as st

import theanine
import theanine.tensor as T
from theanine.errors import ShapeError, UnsupportedError
from theanine.gradcheck import verify_grad
from theanine.ops.conv import Conv2DGradInputs, Conv2DGradWeights, normalize_border_mode

BORDER_MODES = ["valid", "full", "half", 1, (2, 0)]
TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-5}, "float64": {"rtol": 1e-11, "atol": 1e-11}}


def reference_conv(x, w, border_mode, stride, flip):
    """Direct convolution, one output element at a time, in float64."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    if flip:
        w = w[:, :, ::-1, ::-1]
    pads = {"valid": (0, 0), "full": (kh - 1, kw - 1), "half": (kh // 2, kw // 2)}
    ph, pw = pads.get(border_mode, border_mode) if not isinstance(border_mode, int) \
        else (border_mode, border_mode)
    padded = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    padded[:, :, ph:ph + h, pw:pw + wd] = x
    oh = (h + 2 * ph - kh) // stride[0] + 1
    ow = (wd + 2 * pw - kw) // stride[1] + 1
    out = np.zeros((n, f, oh, ow))
    for b in range(n):
        for o in range(f):
            for i in range(oh):
                for j in range(ow):
                    r, s = i * stride[0], j * stride[1]
                    out[b, o, i, j] = np.sum(padded[b, :, r:r + kh, s:s + kw] * w[o])
    return out


@st.composite
def conv_case(draw, max_batch=3):
    n = draw(st.integers(1, max_batch), label="batch")
    c = draw(st.integers(1, 3), label="channels")
    f = draw(st.integers(1, 3), label="filters")
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    mode = draw(st.sampled_from(BORDER_MODES), label="border_mode")
    # Images at least as large as the kernel, so 'valid' always has an output.
    h, w = draw(st.integers(kh, 7)), draw(st.integers(kw, 7))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    flip = draw(st.booleans(), label="filter_flip")
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return (n, c, h, w), (f, c, kh, kw), mode, stride, flip, seed


def _arrays(case, dtype):
    x_shape, w_shape, _, _, _, seed = case
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, x_shape).astype(dtype), rng.uniform(-1, 1, w_shape).astype(dtype)


def _compile_conv(case, dtype):
    _, _, mode, stride, flip, _ = case
    x, w = T.tensor4("x", dtype=dtype), T.tensor4("w", dtype=dtype)
    out = T.nnet.conv2d(x, w, border_mode=mode, subsample=stride, filter_flip=flip)
    return theanine.function([x, w], out), out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(case=conv_case(max_batch=24))
def test_conv2d_forward_matches_direct_convolution(backend, dtype, case):
    x, w = _arrays(case, dtype)
    f, out = _compile_conv(case, dtype)
    got = host(f(x, w))
    expected = reference_conv(x, w, *case[2:5])
    assert out.dtype == dtype
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@given(case=conv_case())
@settings(max_examples=10)
def test_conv2d_gradients(backend, case):
    x, w = _arrays(case, "float64")
    _, _, mode, stride, flip, seed = case
    verify_grad(lambda a, b: T.nnet.conv2d(a, b, border_mode=mode, subsample=stride,
                                           filter_flip=flip), [x, w], rng=seed)


@given(case=conv_case())
@settings(max_examples=8)
def test_gradient_ops_have_gradients(backend, case):
    """The gradient ops are differentiable too (their gradients are the other two ops)."""
    x, w = _arrays(case, "float64")
    _, _, mode, stride, flip, seed = case
    props = (mode, stride, flip)
    dout = np.random.default_rng(seed).uniform(-1, 1, reference_conv(x, w, *props).shape)
    verify_grad(lambda a, g: Conv2DGradWeights(*props)(a, g, w.shape[2:]), [x, dout], rng=seed)
    verify_grad(lambda b, g: Conv2DGradInputs(*props)(b, g, x.shape[2:]), [w, dout], rng=seed)


def test_second_derivative_through_conv(backend):
    rng = np.random.default_rng(5)
    x, w = rng.uniform(-1, 1, (2, 2, 5, 5)), rng.uniform(-1, 1, (3, 2, 3, 3))

    def grad_of_square(a, b):
        return T.grad(T.sum(T.sqr(T.nnet.conv2d(a, b, border_mode="half"))), b)
    verify_grad(grad_of_square, [x, w], rng=rng)


def test_static_shapes_are_inferred(backend):
    x = T.tensor("float32", (None, 1, 28, 28), "x")
    w = theanine.shared(np.zeros((20, 1, 5, 5), "float32"))
    assert T.nnet.conv2d(x, w).type.shape == (None, 20, 24, 24)
    assert T.nnet.conv2d(x, w, border_mode="full").type.shape == (None, 20, 32, 32)
    assert T.nnet.conv2d(x, w, border_mode="half", subsample=(2, 2)).type.shape == \
        (None, 20, 14, 14)
    gx, gw = T.grad(T.sum(T.nnet.conv2d(x, w, subsample=(2, 3))), [x, w])
    assert gx.type.shape == (None, 1, 28, 28) and gw.type.shape == (20, 1, 5, 5)


def test_input_shape_and_its_old_name_image_shape(backend):
    x, w = T.tensor4("x"), T.tensor4("w")
    new = T.nnet.conv2d(x, w, input_shape=(500, 1, 28, 28), filter_shape=(20, 1, 5, 5))
    old = T.nnet.conv2d(input=x, filters=w, image_shape=(500, 1, 28, 28),
                        filter_shape=(20, 1, 5, 5))
    assert new.type.shape == old.type.shape == (500, 20, 24, 24)
    f = theanine.function([x, w], old)
    with pytest.raises(Exception, match="shape"):
        f(np.zeros((2, 1, 28, 28), "float32"), np.zeros((20, 1, 5, 5), "float32"))


def test_channel_mismatch_is_reported_when_building(backend):
    x = T.tensor("float32", (None, 3, 28, 28), "x")
    w = T.tensor("float32", (20, 1, 5, 5), "w")
    with pytest.raises(ShapeError, match=r"3 channels.*expect 1.*\(\?, 3, 28, 28\).*"
                                         r"\(20, 1, 5, 5\)") as info:
        T.nnet.conv2d(x, w)
    assert "test_conv.py" in str(info.value)


def test_channel_mismatch_at_run_time_names_both_shapes_and_the_source_line(backend):
    x, w = T.tensor4("x"), T.tensor4("w")
    f = theanine.function([x, w], T.nnet.conv2d(x, w))
    with pytest.raises(Exception, match=r"images \(2, 1, 28, 28\) have 1 channels but filters "
                                        r"\(4, 3, 5, 5\) expect 3") as info:
        f(np.zeros((2, 1, 28, 28), "float32"), np.zeros((4, 3, 5, 5), "float32"))
    assert "test_conv.py" in str(info.value)


def test_bad_arguments_are_rejected(backend):
    x, w = T.tensor4("x"), T.tensor4("w")
    with pytest.raises(ShapeError, match="larger than the padded images"):
        T.nnet.conv2d(T.tensor("float32", (1, 1, 3, 3)), T.tensor("float32", (1, 1, 5, 5)))
    with pytest.raises(TypeError, match="4-d"):
        T.nnet.conv2d(T.matrix("m"), w)
    with pytest.raises(TypeError, match="floating-point"):
        T.nnet.conv2d(T.itensor4("i"), w)
    with pytest.raises(ValueError, match="border_mode"):
        T.nnet.conv2d(x, w, border_mode="same")
    with pytest.raises(ValueError, match="subsample"):
        T.nnet.conv2d(x, w, subsample=(0, 1))
    with pytest.raises(UnsupportedError, match="dilation"):
        T.nnet.conv2d(x, w, filter_dilation=(2, 2))
    with pytest.raises(ShapeError, match="declared shape"):
        T.nnet.conv2d(T.tensor("float32", (2, 1, 28, 28)), w, input_shape=(3, 1, 28, 28))


def test_mixed_dtypes_promote(backend):
    x, w = T.ftensor4("x"), T.dtensor4("w")
    assert T.nnet.conv2d(x, w).dtype == "float64"


@pytest.mark.parametrize("shape", [(6, 2, 9, 20), (40, 3, 8, 8)], ids=["per-image", "batch-last"])
@pytest.mark.parametrize("border_mode", ["valid", "full"])
def test_work_split_over_cores_gives_the_same_bits(monkeypatch, shape, border_mode):
    from theanine.backends import numpy_conv, numpy_parallel
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype("float32")
    w = rng.standard_normal((4, shape[1], 3, 2)).astype("float32")
    args = (normalize_border_mode(border_mode), (1, 2), True)

    def run():
        out = numpy_conv.conv2d(x, w, *args)
        return [out, numpy_conv.conv2d_grad_weights(x, out, w.shape[2:], *args),
                numpy_conv.conv2d_grad_inputs(w, out, x.shape[2:], *args)]
    serial = run()
    monkeypatch.setattr(numpy_parallel, "MIN_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 3)
    for a, b in zip(serial, run()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(serial[0], reference_conv(x, w, border_mode, (1, 2), True),
                               rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- shared columns

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(case=conv_case(max_batch=24))
@settings(max_examples=10)
def test_filter_gradient_reuses_the_forward_columns(backend, dtype, case):
    """With static shapes the step gathers columns once; values equal the unrewritten step."""
    x, w = _arrays(case, dtype)
    _, _, mode, stride, flip, seed = case
    r = np.random.default_rng(seed).uniform(-1, 1, reference_conv(x, w, mode, stride, flip).shape)
    xs = T.tensor(dtype, x.shape, "x")
    ws = T.tensor(dtype, w.shape, "w")
    out = T.nnet.conv2d(xs, ws, border_mode=mode, subsample=stride, filter_flip=flip)
    cost = (out * r.astype(dtype)).sum()
    grads = T.grad(cost, [xs, ws])
    fast = theanine.function([xs, ws], [out, *grads])
    slow = theanine.function([xs, ws], [out, *grads], mode="FAST_COMPILE")
    names = [n.op.short_name() for n in fast.nodes]
    assert "conv2d_with_columns" in names and "conv2d_grad_weights_from_columns" in names
    for got, expected in zip(fast(x, w), slow(x, w)):
        np.testing.assert_allclose(host(got), host(expected), **TOLERANCE[dtype])


def test_columns_are_not_shared_when_the_filter_size_differs(backend):
    from theanine.ops.conv import Conv2D
    x = T.tensor("float64", (2, 1, 6, 6), "x")
    w = T.tensor("float64", (1, 1, 3, 3), "w")
    g = T.tensor("float64", (2, 1, 3, 3), "g")
    out = Conv2D()(x, w)
    other = Conv2DGradWeights()(x, g, (4, 4))          # a different filter size
    f = theanine.function([x, w, g], [out, other])
    assert "conv2d_with_columns" not in [n.op.short_name() for n in f.nodes]


def test_columns_of_another_geometry_are_refused():
    from theanine.backends.numpy_conv import conv2d_grad_weights, conv2d_with_columns
    x = np.ones((2, 1, 6, 6))
    _, columns = conv2d_with_columns(x, np.ones((1, 1, 3, 3)), (0, 0), (1, 1), True)
    with pytest.raises(ValueError, match="not those of images"):
        conv2d_grad_weights(x, np.ones((2, 1, 2, 2)), (5, 5), (0, 0), (1, 1), True,
                            columns=columns)


# ---------------------------------------------------------------- memory layouts

def test_batch_innermost_results_keep_their_layout_and_give_the_same_bits():
    """A batch-innermost convolution returns its CHWN memory as an NCHW view; the next
    convolution, pooling and their gradients read it directly, with the values they
    compute from a C-ordered copy."""
    from theanine.backends import numpy_conv, numpy_pool
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 3, 10, 10)).astype("float32")
    w1 = rng.standard_normal((4, 3, 3, 3)).astype("float32")
    w2 = rng.standard_normal((5, 4, 3, 3)).astype("float32")
    valid = ((0, 0), (1, 1), True)
    out = numpy_conv.conv2d(x, w1, *valid)
    assert out.shape == (40, 4, 8, 8) and not out.flags.c_contiguous
    assert out.transpose(1, 2, 3, 0).flags.c_contiguous
    image_grad = numpy_conv.conv2d_grad_inputs(w1, out, (10, 10), *valid)
    assert image_grad.shape == x.shape and image_grad.transpose(1, 2, 3, 0).flags.c_contiguous
    copy = np.ascontiguousarray(out)
    np.testing.assert_allclose(out, reference_conv(x, w1, "valid", (1, 1), True),
                               rtol=1e-4, atol=1e-4)

    def chain(images):
        top = numpy_conv.conv2d(images, w2, *valid)
        pooled = numpy_pool.pool(images, (2, 2), True, (2, 2), (0, 0), "max")
        gz = np.ones_like(pooled)
        return [top, pooled,
                numpy_conv.conv2d_grad_weights(images, top, (3, 3), *valid),
                numpy_conv.conv2d_grad_weights(x, images, (3, 3), *valid),
                numpy_conv.conv2d_grad_inputs(w1, images, (10, 10), *valid),
                numpy_pool.max_pool_grad(images, pooled, gz, (2, 2), True, (2, 2), (0, 0))]
    for from_view, from_copy in zip(chain(out), chain(copy)):
        np.testing.assert_array_equal(from_view, from_copy)


def test_small_filter_gradients_are_summed_over_chunks_the_same_way_on_any_split(monkeypatch):
    """Filter gradients with few filters and channels (LeNet's first layer) are a
    batch of products over chunks of the columns: the sum of the one long product,
    and the same bits however the chunks are shared between the cores."""
    from theanine.backends import numpy_conv, numpy_parallel
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 2, 12, 12)).astype("float32")
    dout = rng.standard_normal((40, 3, 10, 10)).astype("float32")
    args = ((3, 3), (0, 0), (1, 1), True)
    monkeypatch.setattr(numpy_conv, "CHUNK_COLUMNS", 200)    # 20 chunks of 5 positions
    chunked = numpy_conv.conv2d_grad_weights(x, dout, *args)
    monkeypatch.setattr(numpy_parallel, "MIN_WORK", 1)
    monkeypatch.setattr(numpy_parallel, "n_workers", lambda: 3)
    np.testing.assert_array_equal(numpy_conv.conv2d_grad_weights(x, dout, *args), chunked)
    monkeypatch.setattr(numpy_conv, "SMALL_SIDE", 0)          # one product
    np.testing.assert_allclose(chunked, numpy_conv.conv2d_grad_weights(x, dout, *args),
                               rtol=1e-4, atol=1e-4)
    expected = numpy_conv.conv2d_grad_weights(x.astype("float64"), dout.astype("float64"), *args)
    np.testing.assert_allclose(chunked, expected, rtol=1e-4, atol=1e-4)
