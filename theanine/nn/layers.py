"""Dense layers, activations, ``Flatten`` and ``Sequential``.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.nn import Sequential, Affine, Tanh
    >>> net = Sequential(Affine(784, 500, rng=np.random.RandomState(1234)), Tanh(),
    ...                  Affine(500, 10, init='zeros'))
    >>> [name for name, _ in net.named_params()]
    ['0.W', '0.b', '2.W', '2.b']
"""
from __future__ import annotations

import theanine
import theanine.tensor as T
from theanine.nn import init as initializers
from theanine.nn.module import Module

_ACTIVATIONS = {"tanh": T.tanh, "sigmoid": T.nnet.sigmoid, "relu": T.nnet.relu,
                None: None, "linear": None}


class Affine(Module):
    """``x @ W + b``, optionally followed by an activation: the tutorials' ``HiddenLayer``.

    ``init``: 'tutorial' (uniform ±sqrt(6/(n_in+n_out)), ×4 for sigmoid), 'he',
    'xavier', 'normal', 'zeros', a float (the book's ``weight_init_std``) or an
    array. ``rng``: a NumPy ``RandomState``/``Generator`` (seeds the weights).
    ``activation``: 'tanh', 'sigmoid', 'relu', None or a callable. ``Dense`` is
    the same class.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import Affine
        >>> layer = Affine(3, 2, rng=np.random.RandomState(0), activation='tanh')
        >>> layer.W.get_value().shape, layer(T.matrix('x')).ndim
        ((3, 2), 2)
    """

    def __init__(self, n_in, n_out, rng=None, init="tutorial", activation=None, dtype=None):
        super().__init__()
        if callable(activation):
            act_name = "sigmoid" if activation is T.nnet.sigmoid else None
        elif activation in _ACTIVATIONS:
            act_name, activation = activation, _ACTIVATIONS[activation]
        else:
            raise ValueError(f"Affine: unknown activation {activation!r}; use 'tanh', "
                             f"'sigmoid', 'relu', None or a function")
        self.activation = activation
        W = initializers.make(init, rng, (n_in, n_out), activation=act_name, dtype=dtype)
        self.W = theanine.shared(W, name="W", borrow=True)
        self.b = theanine.shared(initializers.zeros((n_out,), dtype=W.dtype), name="b",
                                 borrow=True)

    def forward(self, x, train=False):
        out = T.dot(x, self.W) + self.b
        return out if self.activation is None else self.activation(out)


Dense = Affine


class _Activation(Module):
    fn = None

    def forward(self, x, train=False):
        return type(self).fn(x)


class ReLU(_Activation):
    """``max(0, x)``.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import ReLU
        >>> x = T.dvector('x'); ReLU()(x).eval({x: np.array([-1.0, 2.0])}).tolist()
        [0.0, 2.0]
    """
    fn = staticmethod(T.nnet.relu)


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import Sigmoid
        >>> x = T.dvector('x'); Sigmoid()(x).eval({x: np.array([0.0])}).tolist()
        [0.5]
    """
    fn = staticmethod(T.nnet.sigmoid)


class Tanh(_Activation):
    """Hyperbolic tangent, the tutorials' hidden-layer activation.

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.nn import Tanh
        >>> x = T.dvector('x'); Tanh()(x).eval({x: np.array([0.0])}).tolist()
        [0.0]
    """
    fn = staticmethod(T.tanh)


class Flatten(Module):
    """Keep the batch axis, flatten the rest: ``(N, C, H, W) -> (N, C*H*W)``.

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn import Flatten
        >>> Flatten()(T.tensor4('x')).ndim
        2
    """

    def forward(self, x, train=False):
        return T.flatten(x, 2)


class Reshape(Module):
    """Reshape each batch to ``shape``: ``Reshape((1, 28, 28))`` turns rows into images.

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn.layers import Reshape
        >>> Reshape((1, 28, 28))(T.matrix('x')).ndim
        4
    """

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x, train=False):
        return T.reshape(x, (x.shape[0],) + self.shape, ndim=len(self.shape) + 1)


class Sequential(Module):
    """Layers applied in order; their parameters are named ``'0.W'``, ``'1.b'``...

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn import Sequential, Affine, ReLU
        >>> net = Sequential(Affine(4, 8), ReLU(), Affine(8, 2))
        >>> len(net), net(T.matrix('x')).ndim
        (3, 2)
    """

    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)
        for k, layer in enumerate(layers):
            setattr(self, str(k), layer)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, k):
        return self.layers[k]

    def forward(self, x, train=False):
        for layer in self.layers:
            x = layer(x, train=train)
        return x
