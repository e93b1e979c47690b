"""Optimizers as update rules: ``opt.updates(cost, params) -> [(shared, new_value), ...]``.

Each optimizer keeps its state (velocities, moments, the step count) in shared
variables, listed by ``opt.state()`` and saved in checkpoints, and its
learning rate in the shared scalar ``opt.lr``: ``opt.lr.set_value(0.01)``
takes effect at the next call of the compiled function, without recompiling.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> from theanine.optim import Momentum
    >>> w = theanine.shared(np.array([1.0, -2.0]), name='w')
    >>> cost = T.sum(w ** 2)
    >>> opt = Momentum(lr=0.1, momentum=0.9)
    >>> step = theanine.function([], cost, updates=opt.updates(cost, [w]))
    >>> losses = [float(step()) for _ in range(50)]
    >>> losses[-1] < losses[0]
    True
"""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.config import config
from theanine.graph.basic import Variable


class Optimizer:
    """Base class: turns gradients into updates; subclasses define ``_step``.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient of every
    parameter with two or more dimensions (weights, not biases), which is the
    book's ``weight_decay_lambda``: the gradient of ``0.5 * lambda * ||W||^2``.

    Example:
        >>> from theanine.optim import Optimizer, SGD
        >>> opt = SGD(lr=0.1, weight_decay=1e-4)
        >>> isinstance(opt, Optimizer), round(float(opt.lr.get_value()), 6)
        (True, 0.1)
    """

    def __init__(self, lr=0.01, weight_decay=0.0):
        self.lr = theanine.shared(np.asarray(lr, dtype=config.floatX), name="lr")
        self.weight_decay = weight_decay
        self._state = []

    def updates(self, cost_or_grads, params):
        """The list of ``(shared, new_value)`` pairs for one step on ``params``.

        ``cost_or_grads``: a scalar cost (differentiated with ``T.grad``) or a
        list of gradients, one per parameter. New values keep each parameter's
        dtype.
        """
        params = list(params)
        if isinstance(cost_or_grads, Variable):
            grads = T.grad(cost_or_grads, params)
        else:
            grads = list(cost_or_grads)
            if len(grads) != len(params):
                raise ValueError(f"{type(self).__name__}.updates: {len(grads)} gradients for "
                                 f"{len(params)} parameters")
        self._state = []
        result = []
        for k, (p, g) in enumerate(zip(params, grads)):
            if self.weight_decay and p.ndim >= 2:
                g = g + self.weight_decay * p
            for var, value in self._step(k, p, g):
                result.append((var, T.cast(value, var.dtype)))
        return result + self._extra_updates()

    def _step(self, k, p, g):
        raise NotImplementedError

    def _extra_updates(self):
        return []

    def _slot(self, k, p, kind, fill=0.0):
        value = np.full(p.get_value(borrow=True).shape, fill, dtype=p.dtype)
        var = theanine.shared(value, name=f"{kind}.{k}")
        self._state.append(var)
        return var

    def state(self):
        """The optimizer's shared state (the learning rate first), for checkpoints."""
        return [self.lr] + list(self._state)

    def state_dict(self):
        """``{name: array}`` of the learning rate and every state variable.

        Example:
            >>> import numpy as np, theanine
            >>> from theanine.optim import Adam
            >>> w = theanine.shared(np.zeros(3), name='w')
            >>> opt = Adam(lr=0.001); _ = opt.updates([w * 0], [w])
            >>> sorted(opt.state_dict())
            ['lr', 'm.0', 't', 'v.0']
        """
        return {var.name: var.get_value() for var in self.state()}

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned (call after :meth:`updates`)."""
        own = {var.name: var for var in self.state()}
        if set(own) != set(state):
            raise KeyError(f"{type(self).__name__}.load_state_dict: expected {sorted(own)}, "
                           f"got {sorted(state)}")
        for name, value in state.items():
            own[name].set_value(np.asarray(value, dtype=own[name].dtype))


class SGD(Optimizer):
    """``p <- p - lr * g``, the tutorials' update.

    Example:
        >>> import numpy as np, theanine, theanine.tensor as T
        >>> from theanine.optim import SGD
        >>> w = theanine.shared(np.array([1.0]), name='w')
        >>> theanine.function([], [], updates=SGD(lr=0.5).updates(T.sum(w ** 2), [w]))()
        []
        >>> w.get_value().tolist()
        [0.0]
    """

    def _step(self, k, p, g):
        return [(p, p - self.lr * g)]


class Momentum(Optimizer):
    """``v <- momentum * v - lr * g; p <- p + v`` (the book's Momentum).

    Example:
        >>> from theanine.optim import Momentum
        >>> Momentum(lr=0.01, momentum=0.9).momentum
        0.9
    """

    def __init__(self, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = momentum

    def _step(self, k, p, g):
        v = self._slot(k, p, "velocity")
        v_new = self.momentum * v - self.lr * g
        return [(v, v_new), (p, p + v_new)]


class Nesterov(Momentum):
    """Nesterov momentum in its usual rewritten form: ``p <- p + momentum * v_new - lr * g``.

    (Sutskever et al., 2013; the book's version scales ``v_new`` by
    ``momentum ** 2`` instead.)

    Example:
        >>> from theanine.optim import Nesterov
        >>> Nesterov(lr=0.01).momentum
        0.9
    """

    def _step(self, k, p, g):
        v = self._slot(k, p, "velocity")
        v_new = self.momentum * v - self.lr * g
        return [(v, v_new), (p, p + self.momentum * v_new - self.lr * g)]


class AdaGrad(Optimizer):
    """``h <- h + g^2; p <- p - lr * g / (sqrt(h) + eps)``.

    Example:
        >>> from theanine.optim import AdaGrad
        >>> AdaGrad(lr=0.01).eps
        1e-07
    """

    def __init__(self, lr=0.01, eps=1e-7, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.eps = eps

    def _step(self, k, p, g):
        h = self._slot(k, p, "h")
        h_new = h + T.sqr(g)
        return [(h, h_new), (p, p - self.lr * g / (T.sqrt(h_new) + self.eps))]


class RMSProp(Optimizer):
    """``h <- decay * h + (1 - decay) g^2; p <- p - lr * g / (sqrt(h) + eps)``.

    Example:
        >>> from theanine.optim import RMSProp
        >>> RMSProp(lr=0.01).decay_rate
        0.99
    """

    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.decay_rate, self.eps = decay_rate, eps

    def _step(self, k, p, g):
        h = self._slot(k, p, "h")
        h_new = self.decay_rate * h + (1 - self.decay_rate) * T.sqr(g)
        return [(h, h_new), (p, p - self.lr * g / (T.sqrt(h_new) + self.eps))]


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias correction folded into the step size.

    ``lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)``;
    ``p <- p - lr_t * m / (sqrt(v) + eps)``. The step count ``t`` is shared.

    Example:
        >>> from theanine.optim import Adam
        >>> Adam().beta1, Adam().beta2
        (0.9, 0.999)
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = theanine.shared(np.asarray(0.0, dtype=config.floatX), name="t")

    def updates(self, cost_or_grads, params):
        self._t_new = self.t + 1
        self._lr_t = (self.lr * T.sqrt(1 - self.beta2 ** self._t_new)
                      / (1 - self.beta1 ** self._t_new))
        return super().updates(cost_or_grads, params)

    def _step(self, k, p, g):
        m, v = self._slot(k, p, "m"), self._slot(k, p, "v")
        m_new = m + (1 - self.beta1) * (g - m)
        v_new = v + (1 - self.beta2) * (T.sqr(g) - v)
        return [(m, m_new), (v, v_new),
                (p, p - self._lr_t * m_new / (T.sqrt(v_new) + self.eps))]

    def _extra_updates(self):
        return [(self.t, T.cast(self._t_new, self.t.dtype))]

    def state(self):
        return [self.lr, self.t] + list(self._state)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
              "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name, lr, **kwargs):
    """The optimizer called ``name`` ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam').

    Example:
        >>> from theanine.optim import make_optimizer
        >>> type(make_optimizer('adam', 0.001)).__name__
        'Adam'
    """
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key](lr=lr, **kwargs)
