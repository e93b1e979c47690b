"""Pictures of a run: learning curves, first-layer filters, confusion matrix, mistakes.

PNG files are drawn with matplotlib's Agg backend (no display needed).
matplotlib is an optional extra: ``pip install 'theanine[plot]'``; without it
these functions raise :class:`PlotUnavailable` with that advice.

Example:
    >>> import numpy as np
    >>> from theanine.plot import tile_images, confusion_matrix
    >>> tile_images(np.zeros((6, 2, 2)), columns=3).shape
    (5, 8)
    >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist()
    [[1, 0], [1, 1]]
"""
from __future__ import annotations

import math

import numpy as np

from theanine.errors import TheanineError


class PlotUnavailable(TheanineError, ImportError):
    """matplotlib is not installed."""


def pyplot():
    """matplotlib's pyplot on the Agg backend, or :class:`PlotUnavailable`.

    Example:
        >>> from theanine.plot import pyplot
        >>> pyplot().get_backend().lower()
        'agg'
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotUnavailable("plots need matplotlib: pip install 'theanine[plot]' "
                              "(or pip install matplotlib)") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def tile_images(images, columns=None, spacing=1):
    """Arrange ``(n, h, w)`` images in a grid with ``spacing`` pixels between them.

    Each image is scaled to [0, 1] on its own, as the tutorials' ``tile_raster_images``.

    Example:
        >>> import numpy as np
        >>> from theanine.plot import tile_images
        >>> tile_images(np.ones((4, 3, 3)), columns=2, spacing=0).shape
        (6, 6)
    """
    images = np.asarray(images, dtype=np.float64)
    n, h, w = images.shape
    columns = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / columns))
    out = np.zeros((rows * (h + spacing) - spacing, columns * (w + spacing) - spacing))
    for k, image in enumerate(images):
        low, high = image.min(), image.max()
        scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
        r, c = divmod(k, columns)
        out[r * (h + spacing):r * (h + spacing) + h, c * (w + spacing):c * (w + spacing) + w] = \
            scaled
    return out


def confusion_matrix(y_true, y_pred, n_classes):
    """Counts ``[true, predicted]`` as an ``(n_classes, n_classes)`` int array.

    Example:
        >>> from theanine.plot import confusion_matrix
        >>> confusion_matrix([2, 2], [2, 0], 3)[2].tolist()
        [1, 0, 1]
    """
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def first_layer_images(W, image_shape=(28, 28), limit=100):
    """First-layer weights as images: dense ``(784, n)`` columns or conv filters' channel 0.

    Example:
        >>> import numpy as np
        >>> from theanine.plot import first_layer_images
        >>> first_layer_images(np.zeros((784, 10))).shape
        (10, 28, 28)
    """
    W = np.asarray(W)
    if W.ndim == 4:
        return W[:limit, 0]
    return W[:, :limit].T.reshape((-1,) + tuple(image_shape))


def learning_curves(records, path, title=None):
    """Training loss, and validation/test error in %, against the epoch; saved to ``path``.

    Example:
        >>> import os, tempfile
        >>> from theanine.plot import learning_curves
        >>> path = os.path.join(tempfile.mkdtemp(), 'curves.png')
        >>> learning_curves([{'epoch': 1, 'train_loss': 0.5, 'train_error': 0.2,
        ...                   'valid_error': 0.1, 'test_error': 0.1}], path)
        >>> os.path.exists(path)
        True
    """
    plt = pyplot()
    epochs = [r["epoch"] for r in records]
    fig, (ax_loss, ax_err) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in records], label="train loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    for key, style in (("train_error", "-"), ("valid_error", "-"), ("test_error", "o")):
        points = [(r["epoch"], 100 * r[key]) for r in records if r.get(key) is not None]
        if points:
            xs, ys = zip(*points)
            ax_err.plot(xs, ys, style, label=key.replace("_", " "))
    ax_err.set_xlabel("epoch")
    ax_err.set_ylabel("error (%)")
    ax_err.legend()
    if title:
        fig.suptitle(title)
    _save(plt, fig, path)


def filters(W, path, image_shape=(28, 28), limit=100):
    """The first layer's filters as a grid of images, saved to ``path``.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from theanine.plot import filters
        >>> path = os.path.join(tempfile.mkdtemp(), 'filters.png')
        >>> filters(np.random.RandomState(0).randn(20, 1, 5, 5), path); os.path.exists(path)
        True
    """
    plt = pyplot()
    images = first_layer_images(W, image_shape, limit)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(tile_images(images), cmap="gray")
    ax.set_axis_off()
    ax.set_title(f"first-layer filters ({len(images)})")
    _save(plt, fig, path)


def confusion(y_true, y_pred, path, n_classes=10):
    """The confusion matrix as a labelled heat map, saved to ``path``.

    Example:
        >>> import os, tempfile
        >>> from theanine.plot import confusion
        >>> path = os.path.join(tempfile.mkdtemp(), 'confusion.png')
        >>> confusion([0, 1, 1], [0, 1, 0], path, n_classes=2); os.path.exists(path)
        True
    """
    plt = pyplot()
    matrix = confusion_matrix(y_true, y_pred, n_classes)
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    fig.colorbar(image)
    _save(plt, fig, path)


def misclassified(images, y_true, y_pred, path, limit=36, image_shape=(28, 28)):
    """Up to ``limit`` misclassified images labelled 'true->predicted', saved to ``path``.

    The images are tiled into one picture (one matplotlib axes is much faster
    to draw than one per image).

    Example:
        >>> import numpy as np, os, tempfile
        >>> from theanine.plot import misclassified
        >>> path = os.path.join(tempfile.mkdtemp(), 'wrong.png')
        >>> misclassified(np.zeros((2, 4)), [0, 1], [1, 1], path, image_shape=(2, 2))
        >>> os.path.exists(path)
        True
    """
    plt = pyplot()
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)[:limit]
    columns, spacing = 6, 2
    h, w = image_shape
    rows = max(1, int(math.ceil(len(wrong) / columns)))
    fig, ax = plt.subplots(figsize=(8, 8 * rows / columns + 0.6))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.92)
    ax.set_axis_off()
    if len(wrong):
        tiles = [np.asarray(images[k], dtype=np.float64).reshape(image_shape) for k in wrong]
        ax.imshow(tile_images(np.stack(tiles), columns, spacing), cmap="gray")
        for n, k in enumerate(wrong):
            r, c = divmod(n, columns)
            ax.text(c * (w + spacing), r * (h + spacing), f"{y_true[k]}->{y_pred[k]}",
                    color="yellow", fontsize=10, va="top", weight="bold")
    ax.set_title(f"misclassified ({len(np.flatnonzero(y_true != y_pred))} in all)")
    _save(plt, fig, path)


def _save(plt, fig, path):
    fig.savefig(path, dpi=80)
    plt.close(fig)
