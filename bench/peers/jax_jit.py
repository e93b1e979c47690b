"""JAX peer: the whole SGD step under ``jax.jit``, parameters donated, data on device.

The step takes the full training arrays plus the minibatch index and slices inside
the compiled program (``lax.dynamic_slice_in_dim``), which is JAX's counterpart of
the tutorials' ``givens`` over shared datasets. Both programs are compiled ahead of
time in :meth:`JaxTrainer.compile`, so compile time is measured on its own.

Example:
    >>> from bench.data import synthetic
    >>> from bench.models import SPECS, init_params
    >>> t = make_trainer(SPECS['logreg'], init_params('logreg'), synthetic(1200, 500))
    >>> t.compile()
    >>> [round(c, 4) for c in t.first_losses(1)]
    [2.3026]
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bench.data import Data
from bench.models import LENET_POOL, ModelSpec
from bench.peers.base import Trainer


def _scores(model: str, p: dict, x):
    if model == "logreg":
        return x @ p["W"] + p["b"]
    if model == "mlp":
        return jnp.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    h = x.reshape(-1, 1, 28, 28)
    window = (1, 1) + LENET_POOL
    for i in (0, 1):
        conv = lax.conv_general_dilated(h, p[f"W{i}"], (1, 1), "VALID",
                                        dimension_numbers=("NCHW", "OIHW", "NCHW"))
        pooled = lax.reduce_window(conv, -jnp.inf, lax.max, window, window, "VALID")
        h = jnp.tanh(pooled + p[f"b{i}"][None, :, None, None])
    h = jnp.tanh(h.reshape(h.shape[0], -1) @ p["W2"] + p["b2"])
    return h @ p["W3"] + p["b3"]


def _cost(spec: ModelSpec, p: dict, x, y):
    log_p = jax.nn.log_softmax(_scores(spec.name, p, x))
    cost = -jnp.mean(jnp.take_along_axis(log_p, y[:, None], axis=1))
    for name in spec.weights:
        cost = cost + spec.l2 * jnp.sum(p[name] ** 2)
    return cost


class JaxTrainer(Trainer):
    """Jitted step ``(params, X, Y, i) -> (params, cost)`` with ``params`` donated."""

    def __init__(self, spec: ModelSpec, params: dict, data: Data):
        super().__init__(spec, data)
        # Theano flips conv filters; conv_general_dilated does not.
        self.params = {name: jnp.asarray(np.ascontiguousarray(v[:, :, ::-1, ::-1]
                                                              if v.ndim == 4 else v))
                       for name, v in params.items()}
        self.train = (jnp.asarray(data.train_x), jnp.asarray(data.train_y, dtype=jnp.int32))
        self.valid = (jnp.asarray(data.valid_x), jnp.asarray(data.valid_y, dtype=jnp.int32))

        def step(p, xs, ys, i):
            bs = spec.batch_size
            x = lax.dynamic_slice_in_dim(xs, i * bs, bs)
            y = lax.dynamic_slice_in_dim(ys, i * bs, bs)
            cost, grads = jax.value_and_grad(lambda q: _cost(spec, q, x, y))(p)
            return jax.tree_util.tree_map(lambda w, g: w - spec.lr * g, p, grads), cost

        def errors(p, xs, ys, i):
            bs = spec.eval_batch
            x = lax.dynamic_slice_in_dim(xs, i * bs, bs)
            y = lax.dynamic_slice_in_dim(ys, i * bs, bs)
            return jnp.mean(jnp.argmax(_scores(spec.name, p, x), axis=1) != y)

        self._step = jax.jit(step, donate_argnums=0)
        self._errors = jax.jit(errors)

    def compile(self):
        index = jnp.int32(0)
        self._step = self._step.lower(self.params, *self.train, index).compile()
        self._errors = self._errors.lower(self.params, *self.valid, index).compile()

    def train_step(self, i):
        self.params, cost = self._step(self.params, *self.train, jnp.int32(i))
        return cost

    def valid_errors(self, i):
        return self._errors(self.params, *self.valid, jnp.int32(i))


def make_trainer(spec: ModelSpec, params: dict, data: Data) -> JaxTrainer:
    """Build the JAX trainer; call ``compile()`` before stepping for AOT compilation."""
    return JaxTrainer(spec, params, data)
