"""PyTorch peer: eager mode, and the same model under ``torch.compile``.

Idiomatic PyTorch (``F.conv2d``, ``F.max_pool2d``, ``F.cross_entropy``) with manual SGD
under ``no_grad`` so the update rule is exactly the tutorials'. Differences from Theano
that the loss check covers: ``F.conv2d`` is a cross-correlation (the filters are flipped
once at the start), and max pooling sends a tied window's gradient to one input only.

Example:
    >>> from bench.data import synthetic
    >>> from bench.models import SPECS, init_params
    >>> t = make_trainer(SPECS['logreg'], init_params('logreg'), synthetic(1200, 500))
    >>> [round(c, 4) for c in t.first_losses(1)]
    [2.3026]
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from bench.data import Data
from bench.models import LENET_POOL, ModelSpec
from bench.peers.base import Trainer

# The benchmark machine has two cores; torch would otherwise guess from the host.
torch.set_num_threads(2)


def _scores(model: str, p: dict, x: torch.Tensor) -> torch.Tensor:
    if model == "logreg":
        return x @ p["W"] + p["b"]
    if model == "mlp":
        return torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    h = x.reshape(-1, 1, 28, 28)
    for i in (0, 1):
        pooled = F.max_pool2d(F.conv2d(h, p[f"W{i}"]), LENET_POOL)
        h = torch.tanh(pooled + p[f"b{i}"][None, :, None, None])
    h = torch.tanh(h.flatten(1) @ p["W2"] + p["b2"])
    return h @ p["W3"] + p["b3"]


def _cost(spec: ModelSpec, p: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    cost = F.cross_entropy(_scores(spec.name, p, x), y)
    for name in spec.weights:
        cost = cost + spec.l2 * (p[name] ** 2).sum()
    return cost


class TorchTrainer(Trainer):
    """Manual SGD on leaf tensors; the data is wrapped, not copied."""

    def __init__(self, spec: ModelSpec, params: dict, data: Data, compiled: bool = False):
        super().__init__(spec, data)
        self.params = {}
        for name, value in params.items():
            if value.ndim == 4:  # Theano flips conv filters; conv2d does not.
                value = value[:, :, ::-1, ::-1]
            self.params[name] = torch.tensor(np.ascontiguousarray(value), requires_grad=True)
        self.train_x, self.valid_x = torch.from_numpy(data.train_x), torch.from_numpy(data.valid_x)
        self.train_y, self.valid_y = torch.from_numpy(data.train_y), torch.from_numpy(data.valid_y)
        self.cost = lambda p, x, y: _cost(spec, p, x, y)
        self.scores = lambda p, x: _scores(spec.name, p, x)
        if compiled:
            self.cost, self.scores = torch.compile(self.cost), torch.compile(self.scores)
        self.compiled = compiled

    def compile(self):
        if not self.compiled:
            return
        # Trace forward and backward once on the first batch, then drop the gradients:
        # later calls only replay, and the weights are untouched.
        bs, eb = self.spec.batch_size, self.spec.eval_batch
        cost = self.cost(self.params, self.train_x[:bs], self.train_y[:bs])
        torch.autograd.grad(cost, list(self.params.values()))
        with torch.no_grad():
            self.scores(self.params, self.valid_x[:eb])

    def train_step(self, i):
        bs, lr = self.spec.batch_size, self.spec.lr
        cost = self.cost(self.params, self.train_x[i * bs:(i + 1) * bs],
                         self.train_y[i * bs:(i + 1) * bs])
        grads = torch.autograd.grad(cost, list(self.params.values()))
        with torch.no_grad():
            for p, g in zip(self.params.values(), grads):
                p.sub_(g, alpha=lr)
        return cost.detach()

    def valid_errors(self, i):
        bs = self.spec.eval_batch
        with torch.no_grad():
            scores = self.scores(self.params, self.valid_x[i * bs:(i + 1) * bs])
            return (scores.argmax(1) != self.valid_y[i * bs:(i + 1) * bs]).float().mean()


def make_trainer(spec: ModelSpec, params: dict, data: Data) -> TorchTrainer:
    """Build the eager trainer."""
    return TorchTrainer(spec, params, data)


def make_compiled_trainer(spec: ModelSpec, params: dict, data: Data) -> TorchTrainer:
    """Build the trainer whose cost and scores go through ``torch.compile``."""
    return TorchTrainer(spec, params, data, compiled=True)
