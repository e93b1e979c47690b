"""The tutorials' training recipes: per-model defaults, data, and models rebuilt from a run.

``DEFAULTS`` holds each model's hyperparameters from the Deep Learning
Tutorials (``logistic_sgd.py``, ``mlp.py``, ``convolutional_mlp.py``) and the
book's chapter 5 (``twolayer``). A run folder's ``config.json`` records the
resolved values, so ``load_run`` can rebuild the model and its data.

Example:
    >>> from theanine.train.recipes import DEFAULTS
    >>> DEFAULTS['logreg']['lr'], DEFAULTS['mlp']['batch_size'], DEFAULTS['lenet']['nkerns']
    (0.13, 20, [20, 50])
"""
from __future__ import annotations

import os

import numpy as np

from theanine.data import DataError, load_fashion_mnist, load_mnist

DEFAULTS = {
    "logreg": {"lr": 0.13, "batch_size": 600, "epochs": 1000, "patience": 5000, "l1": 0.0,
               "l2": 0.0, "optimizer": "sgd", "shuffle": False, "iterations": None},
    "mlp": {"lr": 0.01, "batch_size": 20, "epochs": 1000, "patience": 10000, "l1": 0.0,
            "l2": 1e-4, "optimizer": "sgd", "hidden": 500, "shuffle": False,
            "iterations": None},
    "lenet": {"lr": 0.1, "batch_size": 500, "epochs": 200, "patience": 10000, "l1": 0.0,
              "l2": 0.0, "optimizer": "sgd", "nkerns": [20, 50], "hidden": 500,
              "shuffle": False, "iterations": None},
    # The book: 10,000 iterations of 100 random examples, no early stopping.
    "twolayer": {"lr": 0.1, "batch_size": 100, "epochs": 1000, "patience": None, "l1": 0.0,
                 "l2": 0.0, "optimizer": "sgd", "hidden": 50, "weight_init_std": 0.01,
                 "shuffle": True, "iterations": 10000, "seed": 0,
                 # The book trains on all 60,000 images and reports test accuracy.
                 "split": "standard"},
}


def model_kwargs(name, config, n_in, n_out):
    """Constructor arguments of model ``name`` for the resolved ``config``.

    Example:
        >>> from theanine.train.recipes import model_kwargs
        >>> model_kwargs('mlp', {'hidden': 500}, 784, 10)
        {'n_in': 784, 'n_hidden': 500, 'n_out': 10}
    """
    if name == "logreg":
        return {"n_in": n_in, "n_out": n_out}
    if name == "mlp":
        return {"n_in": n_in, "n_hidden": config["hidden"], "n_out": n_out}
    if name == "lenet":
        side = int(round(np.sqrt(n_in)))
        return {"nkerns": list(config["nkerns"]), "n_hidden": config["hidden"],
                "n_out": n_out, "image_shape": [1, side, side]}
    return {"input_size": n_in, "hidden_size": config["hidden"], "output_size": n_out,
            "weight_init_std": config["weight_init_std"]}


def build(name, kwargs, seed=None):
    """The model, its weights drawn from ``seed`` (None: the tutorial's own seed).

    Example:
        >>> from theanine.train.recipes import build
        >>> build('logreg', {'n_in': 4, 'n_out': 2}).W.get_value().shape
        (4, 2)
    """
    from theanine.nn import build_model
    kwargs = dict(kwargs)
    if name != "logreg":
        kwargs["rng"] = seed
    return build_model(name, **kwargs)


def load_dataset(dataset, subset=None, split="tutorial"):
    """``(train, valid, test)`` pairs of ``dataset``: 'mnist', 'fashion-mnist' or a path.

    ``split`` is the MNIST scheme: 'tutorial' (50k/10k/10k) or 'standard'
    (60k train, no validation set, 10k test; the book's).

    A path is a folder with the MNIST files, a ``mnist.pkl.gz``, or an ``.npz``
    with ``train_x, train_y, valid_x, valid_y, test_x, test_y``. ``subset=N``
    keeps the first N training examples and the first ``max(N // 5, 1)``
    validation and test examples.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from theanine.train.recipes import load_dataset
        >>> path = os.path.join(tempfile.mkdtemp(), 'tiny.npz')
        >>> np.savez(path, train_x=np.zeros((10, 4)), train_y=np.zeros(10),
        ...          valid_x=np.zeros((5, 4)), valid_y=np.zeros(5),
        ...          test_x=np.zeros((5, 4)), test_y=np.zeros(5))
        >>> [len(x) for x, _ in load_dataset(path, subset=5)]
        [5, 1, 1]
    """
    if dataset == "mnist":
        splits = load_mnist(split)
    elif dataset == "fashion-mnist":
        splits = load_fashion_mnist(split)
    elif str(dataset).endswith(".npz"):
        splits = _load_npz(dataset)
    elif os.path.isdir(dataset):
        splits = load_mnist(split, root=dataset, download=False)
    elif os.path.isfile(dataset):
        splits = load_mnist(split, root=os.path.dirname(os.path.abspath(dataset)),
                            download=False)
    else:
        raise DataError(f"unknown dataset {dataset!r}: use mnist, fashion-mnist, a folder "
                        f"with the MNIST files, or an .npz file")
    result = [(np.asarray(s[0]), np.asarray(s[1])) if s is not None else None for s in splits]
    if subset:
        sizes = (subset, max(subset // 5, 1), max(subset // 5, 1))
        result = [None if s is None else (s[0][:n], s[1][:n]) for s, n in zip(result, sizes)]
    return tuple(result)


def _load_npz(path):
    if not os.path.exists(path):
        raise DataError(f"no such data file: {path}")
    with np.load(path) as arrays:
        def pair(name):
            if f"{name}_x" not in arrays:
                return None
            return arrays[f"{name}_x"], arrays[f"{name}_y"]
        splits = (pair("train"), pair("valid"), pair("test"))
    if splits[0] is None:
        raise DataError(f"{path} has no train_x/train_y arrays")
    return splits


def load_run(run_dir, weights=True):
    """``(config, model)`` of a run folder, with its final weights loaded.

    Example:
        >>> from theanine.train.recipes import load_run
        >>> load_run('/nonexistent')
        Traceback (most recent call last):
        ...
        FileNotFoundError: /nonexistent is not a run folder (no config.json)
    """
    from theanine.train.checkpoint import load_checkpoint, load_weights
    from theanine.train.logs import CONFIG, read_config
    from theanine.train.trainer import WEIGHTS
    if not os.path.exists(os.path.join(run_dir, CONFIG)):
        raise FileNotFoundError(f"{run_dir} is not a run folder (no config.json)")
    config = read_config(run_dir)
    model = build(config["model"], config["model_kwargs"], config.get("seed"))
    if weights:
        path = os.path.join(run_dir, WEIGHTS)
        state = load_weights(path) if os.path.exists(path) else \
            load_checkpoint(run_dir)[0]["model"]
        model.load_state_dict(state)
    return config, model


def predict_proba(model, x, batch_size=1000):
    """Class probabilities of the rows of ``x`` (NumPy in, NumPy out), in batches.

    Example:
        >>> import numpy as np
        >>> from theanine.nn import LogisticRegression
        >>> from theanine.train.recipes import predict_proba
        >>> predict_proba(LogisticRegression(4, 2), np.zeros((3, 4))).tolist()
        [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
    """
    import theanine
    import theanine.tensor as T
    from theanine.config import config
    x = np.asarray(x, dtype=config.floatX)
    var = T.tensor(config.floatX, (None,) * x.ndim, name="x")
    fn = theanine.function([var], T.nnet.softmax(model(var, train=False)))
    parts = [fn(x[k:k + batch_size]) for k in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, 0))
