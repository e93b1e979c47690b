"""Lay out rows of flattened images as one grid image (a helper the scripts import).

>>> import numpy
>>> tile_rows(numpy.ones((4, 6)), (2, 3), (2, 2), spacing=1).shape
(5, 7)
"""
import numpy


def tile_rows(X, img_shape, tile_shape, spacing=0):
    """uint8 grid of the first rows of ``X``, each scaled to 0..255 and shaped ``img_shape``."""
    rows, cols = img_shape
    grid = numpy.zeros((tile_shape[0] * (rows + spacing) - spacing,
                        tile_shape[1] * (cols + spacing) - spacing), dtype='uint8')
    for k, row in enumerate(X[:tile_shape[0] * tile_shape[1]]):
        image = row.reshape(img_shape).astype('float64')
        image = (image - image.min()) / (image.max() - image.min() + 1e-8)
        top, left = divmod(k, tile_shape[1])
        top, left = top * (rows + spacing), left * (cols + spacing)
        grid[top:top + rows, left:left + cols] = (image * 255).astype('uint8')
    return grid
