"""The book's ``TwoLayerNet`` (Deep Learning from Scratch, chapter 5): Affine-ReLU-Affine.

It keeps the book's interface on NumPy arrays -- ``predict``, ``loss``,
``accuracy``, ``numerical_gradient``, ``gradient`` -- with each computed by a
theanine function compiled on first use. ``params`` is the book's dict of
NumPy arrays; they are the shared variables' own storage, so the book's
in-place update ``network.params[key] -= lr * grad[key]`` changes the model.
The shared variables themselves are ``named_params()``, as for every module.

Example:
    >>> import numpy as np
    >>> from theanine.nn import TwoLayerNet
    >>> net = TwoLayerNet(input_size=4, hidden_size=3, output_size=2,
    ...                   rng=np.random.RandomState(0))
    >>> x, t = np.ones((5, 4)), np.array([0, 1, 0, 1, 1])
    >>> sorted(net.gradient(x, t)), net.predict(x).shape
    (['W1', 'W2', 'b1', 'b2'], (5, 2))
"""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.nn import init as initializers
from theanine.nn.losses import SoftmaxWithLoss, zero_one
from theanine.nn.module import Module


class TwoLayerNet(Module):
    """``x -> Affine(W1, b1) -> ReLU -> Affine(W2, b2) -> SoftmaxWithLoss``.

    Weights are ``weight_init_std * randn`` from ``rng`` (an int seed, a NumPy
    generator, or None for NumPy's global generator as in the book); biases
    start at zero. ``t`` may hold integer labels or one-hot rows.

    Example:
        >>> import numpy as np
        >>> from theanine.nn import TwoLayerNet
        >>> net = TwoLayerNet(784, 50, 10, rng=0)
        >>> net.params['W1'].shape, round(net.loss(np.zeros((2, 784)), np.array([1, 2])), 6)
        ((784, 50), 2.302585)
    """

    def __init__(self, input_size=784, hidden_size=50, output_size=10, weight_init_std=0.01,
                 rng=None, dtype=None):
        super().__init__()
        self._config = {"input_size": input_size, "hidden_size": hidden_size,
                        "output_size": output_size, "weight_init_std": weight_init_std}
        if rng is None:
            rng = np.random.mtrand._rand  # the global generator that np.random.seed sets
        elif isinstance(rng, (int, np.integer)):
            rng = np.random.RandomState(int(rng))
        shape1, shape2 = (input_size, hidden_size), (hidden_size, output_size)
        self.W1 = theanine.shared(initializers.normal(rng, shape1, weight_init_std, dtype),
                                  name="W1")
        self.b1 = theanine.shared(initializers.zeros((hidden_size,), dtype), name="b1")
        self.W2 = theanine.shared(initializers.normal(rng, shape2, weight_init_std, dtype),
                                  name="W2")
        self.b2 = theanine.shared(initializers.zeros((output_size,), dtype), name="b2")
        self.lastLayer = SoftmaxWithLoss()
        object.__setattr__(self, "_compiled", {})

    def forward(self, x, train=False):
        hidden = T.nnet.relu(T.dot(x, self.W1) + self.b1)
        return T.dot(hidden, self.W2) + self.b2

    @property
    def params(self):
        """The book's ``{'W1', 'b1', 'W2', 'b2'}`` dict of NumPy arrays (the live storage)."""
        return {name: var.get_value(borrow=True) for name, var in self.named_params()}

    def predict(self, x):
        """Class scores (before the softmax) for the rows of ``x``."""
        return self._function("predict", 1)(self._x(x))

    def loss(self, x, t):
        """Mean cross-entropy of ``t`` under ``softmax(predict(x))``, a float."""
        return float(self._function("loss", np.ndim(t))(self._x(x), self._t(t)))

    def accuracy(self, x, t):
        """Fraction of rows whose highest score is the label."""
        return 1.0 - float(self._function("error", np.ndim(t))(self._x(x), self._t(t)))

    def gradient(self, x, t):
        """Backpropagated gradients of ``loss`` as ``{'W1': array, ...}``."""
        grads = self._function("gradient", np.ndim(t))(self._x(x), self._t(t))
        return dict(zip((name for name, _ in self.named_params()), grads))

    def numerical_gradient(self, x, t, h=1e-4):
        """Central differences ``(loss(p + h) - loss(p - h)) / 2h`` for every element.

        As the book's, it nudges each parameter in place, one element at a
        time; run it in float64 (``floatX='float64'``) to compare with
        :meth:`gradient`.
        """
        from theanine.gradcheck import numerical_gradient
        loss = self._function("loss", np.ndim(t))
        x, t = self._x(x), self._t(t)
        return {name: numerical_gradient(lambda _: loss(x, t), value, eps=h)
                for name, value in self.params.items()}

    def _x(self, x):
        return np.asarray(x, dtype=self.W1.dtype)

    def _t(self, t):
        t = np.asarray(t)
        return t.astype(np.int32) if t.ndim == 1 else t.astype(self.W1.dtype)

    def _function(self, kind, t_ndim):
        key = (kind, t_ndim)
        if key not in self._compiled:
            x = T.matrix("x", dtype=self.W1.dtype)
            t = T.ivector("t") if t_ndim == 1 else T.matrix("t", dtype=self.W1.dtype)
            scores = self(x)
            if kind == "predict":
                self._compiled[key] = theanine.function([x], scores)
            elif kind == "loss":
                self._compiled[key] = theanine.function([x, t], self.lastLayer(scores, t))
            elif kind == "error":
                self._compiled[key] = theanine.function([x, t], zero_one(scores, t))
            else:
                cost = self.lastLayer(scores, t)
                wrt = [var for _, var in self.named_params()]
                self._compiled[key] = theanine.function([x, t], T.grad(cost, wrt))
        return self._compiled[key]
