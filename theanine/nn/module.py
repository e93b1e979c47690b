"""``Module``: the base of layers and models, which finds its parameters by itself.

Assigning a shared variable or another module to an attribute registers it
(as DeZero's ``Layer.__setattr__`` does), so ``params()`` walks the attributes
in the order they were set, and ``state_dict()`` names every value by its
dotted attribute path. Buffers (such as batch-norm running statistics) are
saved with the state but are not trained.

Example:
    >>> import numpy as np, theanine
    >>> from theanine.nn import Module
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = theanine.shared(np.ones(3, dtype='float32'), name='w')
    ...     def forward(self, x, train=False):
    ...         return x * self.w
    >>> m = Scale()
    >>> [p.name for p in m.params()], sorted(m.state_dict())
    (['w'], ['w'])
"""
from __future__ import annotations

import numpy as np

from theanine.graph.basic import SharedVariable


class Module:
    """A layer or model: owns shared parameters and builds symbolic outputs.

    Subclasses call ``super().__init__()`` first and implement
    ``forward(x, train=False)``; ``module(x, train=...)`` calls it. Layers that
    change state in training (batch norm) return their updates through
    ``state_updates()`` after a ``train=True`` call.

    Example:
        >>> import theanine.tensor as T
        >>> from theanine.nn import Sequential, Affine, ReLU
        >>> net = Sequential(Affine(4, 3, init='zeros'), ReLU())
        >>> net(T.matrix('x')).ndim, len(net.params())
        (2, 2)
    """

    def __init__(self):
        object.__setattr__(self, "_shared", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", set())
        object.__setattr__(self, "_streams", {})
        object.__setattr__(self, "_updates", [])

    def __setattr__(self, name, value):
        if "_shared" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"setting attributes")
        for registry in (self._shared, self._modules, self._streams):
            registry.pop(name, None)
        if isinstance(value, SharedVariable) and value.is_tensor:
            self._shared[name] = value
            if value.name is None:
                value.name = name
        elif isinstance(value, Module):
            self._modules[name] = value
        elif hasattr(value, "state_updates") and hasattr(value, "seed"):
            self._streams[name] = value  # a RandomStreams: its states go in checkpoints
        object.__setattr__(self, name, value)

    def register_buffer(self, name, value):
        """Set attribute ``name`` to shared ``value``, saved in the state but not trained.

        Example:
            >>> import numpy as np, theanine
            >>> from theanine.nn import Module
            >>> m = Module(); m.register_buffer('count', theanine.shared(np.zeros(1)))
            >>> m.params(), list(m.state_dict())
            ([], ['count'])
        """
        setattr(self, name, value)
        self._buffers.add(name)

    def __call__(self, x, train=False):
        return self.forward(x, train=train)

    def forward(self, x, train=False):
        """The symbolic output for input ``x`` (``train`` selects training behaviour)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def named_shared(self, prefix=""):
        """``(dotted_name, shared_variable)`` for every parameter and buffer, in order."""
        for name, var in self._shared.items():
            yield prefix + name, var
        for name, module in self._modules.items():
            yield from module.named_shared(f"{prefix}{name}.")

    def named_params(self, prefix=""):
        """``(dotted_name, shared_variable)`` for the trainable parameters, in order.

        Example:
            >>> from theanine.nn import Affine
            >>> [name for name, _ in Affine(2, 3).named_params()]
            ['W', 'b']
        """
        for name, var in self._shared.items():
            if name not in self._buffers:
                yield prefix + name, var
        for name, module in self._modules.items():
            yield from module.named_params(f"{prefix}{name}.")

    def params(self):
        """The trainable shared variables, in the order the attributes were set.

        (The book's ``TwoLayerNet`` replaces this with its dict of arrays; code
        that takes any module uses ``named_params()``.)
        """
        return [var for _, var in self.named_params()]

    def weights(self):
        """The parameters with two or more dimensions: what L1/L2 and weight decay act on.

        Example:
            >>> from theanine.nn import Affine
            >>> [w.name for w in Affine(2, 3).weights()]
            ['W']
        """
        return [p for _, p in self.named_params() if p.ndim >= 2]

    @property
    def L1(self):
        """Sum of absolute weights, the tutorial's ``L1`` (biases are not regularized)."""
        from theanine.regularizers import l1
        return l1(self.weights())

    @property
    def L2_sqr(self):
        """Sum of squared weights, the tutorial's ``L2_sqr``."""
        from theanine.regularizers import l2
        return l2(self.weights())

    def modules(self):
        """This module and every sub-module, depth first."""
        yield self
        for module in self._modules.values():
            yield from module.modules()

    def random_streams(self):
        """``(dotted_name, RandomStreams)`` of every random stream the modules hold."""
        found = []
        for prefix, module in self._named_modules(""):
            found.extend((prefix + name, s) for name, s in module._streams.items())
        return found

    def _named_modules(self, prefix):
        yield prefix, self
        for name, module in self._modules.items():
            yield from module._named_modules(f"{prefix}{name}.")

    def state_updates(self):
        """Updates (running statistics) produced by the latest ``train=True`` call.

        The Trainer adds them to the training function's updates.
        """
        updates = []
        for module in self.modules():
            updates.extend(module._updates)
        return updates

    def _set_updates(self, updates):
        object.__setattr__(self, "_updates", list(updates))

    def state_dict(self):
        """``{dotted_name: numpy array}`` of every parameter and buffer (copies).

        Example:
            >>> import numpy as np
            >>> from theanine.nn import Affine
            >>> layer = Affine(2, 3, rng=np.random.RandomState(0))
            >>> state = layer.state_dict()
            >>> layer.load_state_dict(state)
            >>> np.array_equal(layer.W.get_value(), state['W'])
            True
        """
        return {name: var.get_value() for name, var in self.named_shared()}

    def load_state_dict(self, state, strict=True):
        """Set every parameter and buffer from ``state`` (dtype and shape must match).

        With ``strict`` the keys must be exactly this module's names.
        """
        own = dict(self.named_shared())
        if strict:
            missing = sorted(set(own) - set(state))
            extra = sorted(set(state) - set(own))
            if missing or extra:
                raise KeyError(f"load_state_dict: missing {missing}, unexpected {extra}")
        for name, value in state.items():
            if name not in own:
                continue
            var, value = own[name], np.asarray(value)
            if value.shape != var.get_value(borrow=True).shape or value.dtype != var.dtype:
                raise ValueError(f"load_state_dict: {name} has shape {value.shape} and dtype "
                                 f"{value.dtype}; the model expects "
                                 f"{var.get_value(borrow=True).shape} {var.dtype}")
            var.set_value(value)

    def fit(self, data, resume=False, **trainer_options):
        """Train this model: ``Trainer(**trainer_options).fit(self, data, resume)``.

        Example:
            >>> import numpy as np
            >>> from theanine.nn import LogisticRegression
            >>> x = np.eye(4, dtype='float32').repeat(10, 0); y = np.arange(4).repeat(10)
            >>> history = LogisticRegression(4, 4).fit(((x, y), (x, y), (x, y)), lr=0.5,
            ...                                        batch_size=10, n_epochs=20)
            >>> history.summary['test_error']
            0.0
        """
        from theanine.train import Trainer
        return Trainer(**trainer_options).fit(self, data, resume=resume)

    def config(self):
        """Constructor arguments that rebuild this model (stored in a run's config.json)."""
        return dict(getattr(self, "_config", {}))

    def __repr__(self):
        inner = ", ".join(f"{n}={type(m).__name__}" for n, m in self._modules.items())
        return f"{type(self).__name__}({inner})"
