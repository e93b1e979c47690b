"""Losses and error rates over class scores (logits), and the book's ``SoftmaxWithLoss``.

Every classifier in :mod:`theanine.nn.models` returns scores before the
softmax; the losses apply a numerically stable softmax themselves.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.nn.losses import nll, zero_one
    >>> z, y = T.dmatrix('z'), T.ivector('y')
    >>> scores, labels = np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 0], 'int32')
    >>> float(zero_one(z, y).eval({z: scores, y: labels}))
    0.5
"""
from __future__ import annotations

import theanine.tensor as T
from theanine.nn.module import Module


def nll(scores, y):
    """Mean negative log-likelihood of integer labels ``y`` under ``softmax(scores)``.

    The tutorials' ``-T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])``,
    computed with the fused, stable softmax cross-entropy.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn.losses import nll
        >>> z, y = T.dmatrix('z'), T.ivector('y')
        >>> round(float(nll(z, y).eval({z: np.zeros((2, 4)), y: np.array([1, 3], 'int32')})), 6)
        1.386294
    """
    per_row, _ = T.nnet.crossentropy_softmax_1hot(scores, y)
    return T.mean(per_row)


def cross_entropy(scores, t):
    """Mean cross-entropy of targets ``t`` (integer labels or one-hot rows).

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn.losses import cross_entropy
        >>> z, t = T.dmatrix('z'), T.dmatrix('t')
        >>> round(float(cross_entropy(z, t).eval({z: np.zeros((1, 2)), t: [[0.0, 1.0]]})), 6)
        0.693147
    """
    if t.ndim == 1:
        return nll(scores, t)
    return -T.mean(T.sum(t * T.nnet.log_softmax(scores), axis=1))


def zero_one(scores, y):
    """Fraction of rows whose highest score is not the label: the tutorials' ``errors``.

    ``y`` may also be one-hot rows.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn.losses import zero_one
        >>> z, t = T.dmatrix('z'), T.dmatrix('t')
        >>> float(zero_one(z, t).eval({z: [[1.0, 0.0]], t: [[0.0, 1.0]]}))
        1.0
    """
    if y.ndim == 2:
        y = T.argmax(y, axis=1)
    return T.mean(T.neq(T.argmax(scores, axis=1), y))


class SoftmaxWithLoss(Module):
    """The book's last layer: softmax of the scores, then the cross-entropy error.

    ``loss_layer(scores, t)`` is the mean cross-entropy; ``t`` holds integer
    labels or one-hot rows. Its gradient with respect to the scores is the
    book's ``(softmax(scores) - t) / batch_size``.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import SoftmaxWithLoss
        >>> z, t = T.dmatrix('z'), T.ivector('t')
        >>> loss = SoftmaxWithLoss()(z, t)
        >>> T.grad(loss, z).eval({z: np.zeros((1, 2)), t: np.array([0], 'int32')}).tolist()
        [[-0.5, 0.5]]
    """

    def __call__(self, scores, t):
        return cross_entropy(scores, t)

    def forward(self, scores, t):
        return cross_entropy(scores, t)
