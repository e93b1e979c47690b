"""Reading digit images for ``theanine predict``: PNG/JPEG (via Pillow) or ``.npy``.

Images become rows of ``side * side`` floats in [0, 1), white ink on black as
in MNIST (a light background is inverted).

Example:
    >>> import numpy as np, os, tempfile
    >>> from theanine.utils.images import load_image
    >>> path = os.path.join(tempfile.mkdtemp(), 'digit.npy')
    >>> np.save(path, np.zeros((28, 28), dtype='uint8'))
    >>> load_image(path).shape
    (784,)
"""
from __future__ import annotations

import os

import numpy as np

from theanine.data import DataError


def load_image(path, side=28):
    """One image as a flat float row of ``side * side`` pixels scaled like MNIST (/256).

    Example:
        >>> from theanine.utils.images import load_image
        >>> load_image('/nonexistent.png')
        Traceback (most recent call last):
        ...
        theanine.data.errors.DataError: no such image: /nonexistent.png
    """
    if not os.path.exists(path):
        raise DataError(f"no such image: {path}")
    if path.endswith(".npy"):
        pixels = np.load(path, allow_pickle=False).astype(np.float64)
        if pixels.size != side * side:
            raise DataError(f"{path}: expected {side * side} pixels, got shape {pixels.shape}")
        pixels = pixels.reshape(side, side)
        if pixels.max() <= 1.0:
            return pixels.ravel()
    else:
        try:
            from PIL import Image
        except ImportError as exc:
            raise DataError("reading PNG/JPEG images needs Pillow: pip install pillow") from exc
        try:
            with Image.open(path) as image:
                gray = image.convert("L").resize((side, side))
                pixels = np.asarray(gray, dtype=np.float64)
        except OSError as exc:
            raise DataError(f"cannot read image {path}: {exc}") from exc
        if pixels.mean() > 127:  # dark ink on light paper: MNIST is the other way round
            pixels = 255 - pixels
    return (pixels / 256.0).ravel()
