"""Image patches as matrix rows and back: Theano's ``theano.tensor.nnet.neighbours``.

``images2neibs(ten4, (kh, kw), step)`` turns each ``kh x kw`` neighbourhood of
every image of a 4-d tensor into one row of a matrix: rows ordered by image,
channel, then the neighbourhood's position (row-major), each row the
neighbourhood read row-major. ``neibs2images`` puts non-overlapping rows back.
Both are built from slices, a stack and reshapes, so their gradients are those.

Modes: ``'valid'`` (the neighbourhoods must tile the images exactly, checked
when the function runs), ``'ignore_borders'`` (what does not fit is left out),
``'half'`` and ``'full'`` (zero padding of ``k // 2`` and ``k - 1``, as for
convolutions). Theano's ``'wrap_centered'`` is not provided.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dtensor4('x')
    >>> f = theanine.function([x], images2neibs(x, (2, 2)))
    >>> f(np.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[0.0, 1.0, 4.0, 5.0], [2.0, 3.0, 6.0, 7.0], [8.0, 9.0, 12.0, 13.0], [10.0, 11.0, 14.0, 15.0]]
"""
from __future__ import annotations

from theanine.ops.special import assert_op
from theanine.tensor import basic as T

MODES = ("valid", "ignore_borders", "half", "full")


def _pair(value, what):
    pair = tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"images2neibs: {what} must be two positive integers, got {value!r}")
    return pair


def images2neibs(ten4, neib_shape, neib_step=None, mode="valid"):
    """The ``neib_shape`` neighbourhoods of ``ten4``'s images, one per row.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dtensor4('x')
    >>> f = theanine.function([x], images2neibs(x, (1, 2), (1, 1), mode='ignore_borders'))
    >>> f(np.arange(3.0).reshape(1, 1, 1, 3)).tolist()
    [[0.0, 1.0], [1.0, 2.0]]
    """
    ten4 = T.as_tensor_variable(ten4)
    if ten4.ndim != 4:
        raise TypeError(f"images2neibs: needs a 4-d tensor, got {ten4.type}")
    kh, kw = _pair(neib_shape, "neib_shape")
    sh, sw = _pair(neib_step if neib_step is not None else neib_shape, "neib_step")
    if mode not in MODES:
        raise ValueError(f"images2neibs: mode must be one of {MODES}, got {mode!r}")
    x = ten4
    if mode in ("half", "full"):
        ph, pw = (kh // 2, kw // 2) if mode == "half" else (kh - 1, kw - 1)
        n, c, h, w = (x.shape[k] for k in range(4))
        canvas = T.zeros(T.stack([n, c, h + 2 * ph, w + 2 * pw]), dtype=x.dtype)
        x = T.set_subtensor(canvas[:, :, ph:ph + h, pw:pw + w], x)
    height, width = x.shape[2], x.shape[3]
    if mode == "valid":
        x = assert_op(x, T.eq((height - kh) % sh, 0), T.eq((width - kw) % sw, 0),
                      message=f"images2neibs: mode='valid' needs the {kh}x{kw} neighbourhoods "
                              f"at steps of {sh}x{sw} to tile the images exactly (height - {kh} "
                              f"a multiple of {sh}, width - {kw} of {sw}); "
                              f"mode='ignore_borders' leaves the rest out")
    rows = (height - kh) // sh + 1
    cols = (width - kw) // sw + 1
    taps = [x[:, :, a:a + sh * (rows - 1) + 1:sh, b:b + sw * (cols - 1) + 1:sw]
            for a in range(kh) for b in range(kw)]
    return T.stack(taps, axis=4).reshape((-1, kh * kw))


def neibs2images(neibs, neib_shape, original_shape, mode="valid"):
    """Images of ``original_shape`` from the rows of non-overlapping neighbourhoods.

    The inverse of ``images2neibs(images, neib_shape)`` (steps equal to the
    shape); with ``mode='ignore_borders'`` what the rows do not cover is zero.

    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dtensor4('x')
    >>> back = neibs2images(images2neibs(x, (2, 2)), (2, 2), x.shape)
    >>> image = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> bool((theanine.function([x], back)(image) == image).all())
    True
    """
    kh, kw = _pair(neib_shape, "neib_shape")
    if mode not in ("valid", "ignore_borders"):
        raise ValueError(f"neibs2images: mode must be 'valid' or 'ignore_borders', got {mode!r}")
    neibs = T.as_tensor_variable(neibs)
    shape = [T.as_tensor_variable(original_shape[k]) for k in range(4)]
    rows, cols = shape[2] // kh, shape[3] // kw
    blocks = neibs.reshape(T.stack([shape[0], shape[1], rows, cols, kh, kw]), ndim=6)
    images = blocks.dimshuffle(0, 1, 2, 4, 3, 5).reshape(
        T.stack([shape[0], shape[1], rows * kh, cols * kw]), ndim=4)
    if mode == "valid":
        return images
    canvas = T.zeros(T.stack(shape), dtype=neibs.dtype)
    return T.set_subtensor(canvas[:, :, :rows * kh, :cols * kw], images)
