"""2-D convolution of NCHW image batches, and its two gradients, as ops.

``Conv2D(input, filters)`` takes images ``(batch, channels, rows, cols)`` and
filters ``(out_channels, channels, rows, cols)``. ``filter_flip=True`` (Theano's
default) is a true convolution, ``False`` a cross-correlation. The gradients
are ops of their own, :class:`Conv2DGradInputs` and :class:`Conv2DGradWeights`,
so a gradient is an ordinary graph that can be compiled, rewritten and
differentiated again: the three ops are the partial derivatives of one
bilinear form ``<conv(x, w), dout>``, so each one's gradient is another of them.

Example:
    >>> import theanine.tensor as T
    >>> x = T.tensor4('x'); w = T.tensor('float32', (20, 1, 5, 5), 'w')
    >>> T.nnet.conv2d(x, w, input_shape=(None, 1, 28, 28)).type.shape
    (None, 20, 24, 24)
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import Apply
from theanine.graph.dtypes import result_dtype
from theanine.graph.type import TensorType
from theanine.ops.base import Op
from theanine.ops.shape import vector_entries


def normalize_border_mode(border_mode):
    """``'full'``, ``'half'`` or a pair of paddings ``(rows, cols)`` (``'valid'`` is (0, 0)).

    >>> normalize_border_mode('valid'), normalize_border_mode(2), normalize_border_mode('half')
    ((0, 0), (2, 2), 'half')
    """
    if border_mode in ("full", "half"):
        return border_mode
    if border_mode == "valid":
        return (0, 0)
    if isinstance(border_mode, (int, np.integer)):
        border_mode = (border_mode, border_mode)
    if isinstance(border_mode, (tuple, list)) and len(border_mode) == 2 and all(
            isinstance(p, (int, np.integer)) and p >= 0 for p in border_mode):
        return (int(border_mode[0]), int(border_mode[1]))
    raise ValueError(f"border_mode must be 'valid', 'full', 'half', a padding >= 0 or a pair "
                     f"of them, got {border_mode!r}")


def padding(border_mode, kernel_hw):
    """The zero padding ``(rows, cols)`` that ``border_mode`` adds for a kernel of ``kernel_hw``.

    An unknown (None) kernel size gives an unknown padding for 'full' and 'half'.

    >>> padding('full', (5, 3)), padding('half', (5, 3)), padding((1, 0), (5, 3))
    ((4, 2), (2, 1), (1, 0))
    """
    if border_mode == "full":
        return tuple(None if k is None else k - 1 for k in kernel_hw)
    if border_mode == "half":
        return tuple(None if k is None else k // 2 for k in kernel_hw)
    return border_mode


def conv_output_size(size, kernel, pad, stride):
    """Output length of a convolution along one axis (None when ``size`` or ``kernel`` is).

    >>> conv_output_size(28, 5, 0, 1), conv_output_size(28, 5, 2, 2)
    (24, 14)
    """
    if size is None or kernel is None:
        return None
    return (size + 2 * pad - kernel) // stride + 1


def _fmt(shape):
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _spatial_shape(x):
    """The last two entries of ``x``'s shape as an int64 vector (constant when static)."""
    from theanine.tensor.basic import shape_i, stack
    return stack([shape_i(x, 2), shape_i(x, 3)])


class _ConvOp(Op):
    """What the convolution and its gradients share: parameters and input checks."""

    __props__ = ("border_mode", "subsample", "filter_flip")

    def __init__(self, border_mode="valid", subsample=(1, 1), filter_flip=True):
        self.border_mode = normalize_border_mode(border_mode)
        subsample = tuple(int(s) for s in subsample)
        if len(subsample) != 2 or min(subsample) < 1:
            raise ValueError(f"subsample must be a pair of strides >= 1, got {subsample}")
        self.subsample = subsample
        self.filter_flip = bool(filter_flip)

    def _tensors4(self, *tensors):
        """The inputs as 4-d float tensors of one dtype."""
        from theanine.tensor.basic import as_tensor_variable, cast
        tensors = [as_tensor_variable(t) for t in tensors]
        for t in tensors:
            if t.ndim != 4:
                raise self.error(f"takes 4-d tensors (batch, channels, rows, cols), got "
                                 f"{t.ndim}-d {t.type}", TypeError)
            if np.dtype(t.dtype).kind != "f":
                raise self.error(f"takes floating-point tensors, got {t.type}", TypeError)
        dtype = result_dtype([t.dtype for t in tensors])
        return [t if t.dtype == dtype else cast(t, dtype) for t in tensors]

    def _check_channels(self, image_shape, filter_shape):
        c, fc = image_shape[1], filter_shape[1]
        if c is not None and fc is not None and c != fc:
            raise self.error(f"the images have {c} channels but the filters expect {fc}: "
                             f"images {_fmt(image_shape)}, filters {_fmt(filter_shape)} "
                             f"(filters are (out_channels, in_channels, rows, cols))")

    def _output_hw(self, image_shape, filter_shape):
        out = []
        for axis in (2, 3):
            size, kernel = image_shape[axis], filter_shape[axis]
            if kernel is None:
                out.append(None)
                continue
            pad = padding(self.border_mode, filter_shape[2:])[axis - 2]
            if size is not None and size + 2 * pad < kernel:
                raise self.error(f"the filters {_fmt(filter_shape)} are larger than the padded "
                                 f"images {_fmt(image_shape)} (padding {pad} along axis {axis})")
            out.append(conv_output_size(size, kernel, pad, self.subsample[axis - 2]))
        return tuple(out)

    def _hw_vector(self, hw):
        from theanine.tensor.basic import as_tensor_variable, cast
        hw = as_tensor_variable(hw)
        if hw.ndim != 1 or hw.type.shape[0] not in (2, None) or hw.dtype[:3] not in ("int",
                                                                                    "uin"):
            raise self.error(f"the shape argument must be a vector of 2 integers, got {hw.type}",
                             TypeError)
        return hw if hw.dtype == "int64" else cast(hw, "int64")


class Conv2D(_ConvOp):
    """Convolution of ``input`` (N, C, H, W) with ``filters`` (F, C, kh, kw) -> (N, F, oh, ow).

    ``oh = (H + 2 * pad_h - kh) // stride_h + 1`` where ``border_mode`` sets the
    padding: 'valid' none, 'full' ``kh - 1``, 'half' ``kh // 2``, or given.
    """

    def short_name(self):
        return "conv2d"

    def make_node(self, input, filters):
        input, filters = self._tensors4(input, filters)
        self._check_channels(input.type.shape, filters.type.shape)
        oh, ow = self._output_hw(input.type.shape, filters.type.shape)
        shape = (input.type.shape[0], filters.type.shape[0], oh, ow)
        return Apply(self, [input, filters], [TensorType(input.dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        (x, w), (g,) = inputs, output_grads
        props = self._props()
        return [Conv2DGradInputs(*props)(w, g, _spatial_shape(x)),
                Conv2DGradWeights(*props)(x, g, _spatial_shape(w))]


class Conv2DGradInputs(_ConvOp):
    """Gradient of :class:`Conv2D` with respect to its images.

    Inputs: ``filters`` (F, C, kh, kw), ``topgrad`` (N, F, oh, ow) and the images'
    ``(H, W)`` (needed because a stride makes it ambiguous). Output (N, C, H, W).
    """

    def short_name(self):
        return "conv2d_grad_inputs"

    def make_node(self, filters, topgrad, image_hw):
        filters, topgrad = self._tensors4(filters, topgrad)
        image_hw = self._hw_vector(image_hw)
        f, tf = filters.type.shape[0], topgrad.type.shape[1]
        if f is not None and tf is not None and f != tf:
            raise self.error(f"topgrad {_fmt(topgrad.type.shape)} has {tf} channels but there "
                             f"are {f} filters {_fmt(filters.type.shape)}")
        h, w = (vector_entries(image_hw) + [None, None])[:2]
        shape = (topgrad.type.shape[0], filters.type.shape[1], h, w)
        return Apply(self, [filters, topgrad, image_hw], [TensorType(filters.dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        (w, dout, _), (g,) = inputs, output_grads
        props = self._props()
        return [Conv2DGradWeights(*props)(g, dout, _spatial_shape(w)),
                Conv2D(*props)(g, w), None]


class Conv2DGradWeights(_ConvOp):
    """Gradient of :class:`Conv2D` with respect to its filters.

    Inputs: the images ``input`` (N, C, H, W), ``topgrad`` (N, F, oh, ow) and the
    filters' ``(kh, kw)``. Output (F, C, kh, kw).
    """

    def short_name(self):
        return "conv2d_grad_weights"

    def make_node(self, input, topgrad, filter_hw):
        input, topgrad = self._tensors4(input, topgrad)
        filter_hw = self._hw_vector(filter_hw)
        n, tn = input.type.shape[0], topgrad.type.shape[0]
        if n is not None and tn is not None and n != tn:
            raise self.error(f"the images {_fmt(input.type.shape)} and topgrad "
                             f"{_fmt(topgrad.type.shape)} have different batch sizes")
        kh, kw = (vector_entries(filter_hw) + [None, None])[:2]
        shape = (topgrad.type.shape[1], input.type.shape[1], kh, kw)
        return Apply(self, [input, topgrad, filter_hw], [TensorType(input.dtype, shape)])

    def grad(self, inputs, outputs, output_grads):
        (x, dout, _), (g,) = inputs, output_grads
        props = self._props()
        return [Conv2DGradInputs(*props)(g, dout, _spatial_shape(x)),
                Conv2D(*props)(x, g), None]


class Conv2DWithColumns(Conv2D):
    """:class:`Conv2D` that also returns its im2col *columns*, flattened (a 1-d tensor).

    Made only by the ``share_columns`` rewrite, after gradients were taken, for a
    :class:`Conv2DGradWeightsFromColumns` of the same images: the forward pass and
    the weight gradient then gather the receptive fields once per step instead of
    twice. The columns' layout is the backend's own business.

    >>> import theanine.tensor as T
    >>> x, w = T.tensor4('x'), T.tensor4('w')
    >>> [v.ndim for v in Conv2DWithColumns()(x, w)]
    [4, 1]
    """

    def short_name(self):
        return "conv2d_with_columns"

    def make_node(self, input, filters):
        node = super().make_node(input, filters)
        columns = TensorType(node.inputs[0].dtype, (None,))
        return Apply(self, node.inputs, [node.outputs[0].type, columns])

    def grad(self, inputs, outputs, output_grads):
        raise NotImplementedError("conv2d_with_columns is made after differentiation; "
                                  "differentiate the graph before rewriting it")


class Conv2DGradWeightsFromColumns(Conv2DGradWeights):
    """:class:`Conv2DGradWeights` reading the images' columns from the forward pass.

    Inputs: the images (for their shape), ``topgrad``, the filters' ``(kh, kw)`` and
    the columns output by a :class:`Conv2DWithColumns` of the same images.

    >>> import theanine.tensor as T
    >>> x, w, g = T.tensor4('x'), T.tensor4('w'), T.tensor4('g')
    >>> out, cols = Conv2DWithColumns()(x, w)
    >>> Conv2DGradWeightsFromColumns()(x, g, (5, 5), cols).ndim
    4
    """

    def short_name(self):
        return "conv2d_grad_weights_from_columns"

    def make_node(self, input, topgrad, filter_hw, columns):
        from theanine.tensor.basic import as_tensor_variable
        node = super().make_node(input, topgrad, filter_hw)
        columns = as_tensor_variable(columns)
        if columns.ndim != 1 or columns.dtype != node.inputs[0].dtype:
            raise self.error(f"columns must be the flat {node.inputs[0].dtype} columns of a "
                             f"conv2d_with_columns, got {columns.type}", TypeError)
        return Apply(self, node.inputs + [columns], [node.outputs[0].type])

    def grad(self, inputs, outputs, output_grads):
        raise NotImplementedError("conv2d_grad_weights_from_columns is made after "
                                  "differentiation; differentiate before rewriting")
