"""Numerical gradients: ``numerical_gradient`` and ``verify_grad``.

``numerical_gradient`` is the central-difference routine of "Deep Learning from
Scratch": it perturbs one element of an array at a time, in place, and
restores it. ``verify_grad`` checks a symbolic gradient the way PyTensor, JAX
(``check_vjp``) and PyTorch (``gradcheck``) do: in float64, along random
directions, with explicit tolerances, and when the check fails it says which
argument and which element is wrong.

Example:
    >>> import numpy as np, theanine.tensor as T
    >>> from theanine.gradcheck import numerical_gradient, verify_grad
    >>> x = np.array([3.0, 4.0])
    >>> numerical_gradient(lambda v: np.sum(v ** 2), x).round(6).tolist()
    [6.0, 8.0]
    >>> verify_grad(lambda a: T.tanh(a) * a, [np.array([0.5, -1.0, 2.0])])
"""
from __future__ import annotations

import numpy as np

from theanine.errors import TheanineError

__all__ = ["numerical_gradient", "verify_grad", "GradientCheckError"]

#: Inputs with at most this many elements in all are also checked element by element.
SMALL_INPUT_SIZE = 64


class GradientCheckError(TheanineError, AssertionError):
    """A symbolic gradient disagrees with finite differences.

    The attributes say where: ``arg`` (index of the argument), ``name``,
    ``position`` (index tuple of the worst element, or None for a
    directional failure), ``analytic``, ``numeric``, ``abs_err``, ``rel_err``.
    """

    def __init__(self, message, arg=None, name=None, position=None, analytic=None,
                 numeric=None, abs_err=None, rel_err=None):
        super().__init__(message)
        self.arg = arg
        self.name = name
        self.position = position
        self.analytic = analytic
        self.numeric = numeric
        self.abs_err = abs_err
        self.rel_err = rel_err


def numerical_gradient(f, x, eps=1e-4):
    """Central differences ``(f(x + eps) - f(x - eps)) / 2 eps`` for each element of ``x``.

    ``f`` takes ``x`` and returns a scalar. ``x`` is perturbed *in place* one
    element at a time and restored afterwards, so ``f`` may ignore its
    argument and read the array some other way (a network's weights, a
    shared variable's borrowed value), as in "Deep Learning from Scratch".
    The result is a float64 array of ``x``'s shape.

    Example:
        >>> import numpy as np
        >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> loss = lambda _: float(np.sum(W ** 3))      # reads W, not its argument
        >>> numerical_gradient(loss, W).round(4).tolist()
        [[3.0, 12.0], [27.0, 48.0]]
        >>> W.tolist()                                   # restored
        [[1.0, 2.0], [3.0, 4.0]]
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a NumPy array (perturbed in place), "
                        f"got {type(x).__name__}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        saved = x[idx].copy()
        x[idx] = saved + eps
        f_plus = float(f(x))
        x[idx] = saved - eps
        f_minus = float(f(x))
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def _errors(analytic, numeric):
    abs_err = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_err = np.where(scale > 0, abs_err / scale, 0.0)
    return abs_err, rel_err


def _failing(abs_err, rel_err, abs_tol, rel_tol):
    # An element passes when either its absolute or its relative error is small:
    # tiny gradients are judged absolutely, large ones relatively.
    return ~((abs_err <= abs_tol) | (rel_err <= rel_tol))


class _Checker:
    """The compiled cost ``sum(fun(*x) * projection)`` and its symbolic gradient."""

    def __init__(self, fun, pt, rng, mode, cast_to_output_type):
        import theanine
        import theanine.tensor as T
        from theanine.gradient import grad
        from theanine.graph.type import TensorType
        self.inputs = [TensorType(p.dtype, tuple(1 if d == 1 else None for d in p.shape))(
            name=f"input {k}") for k, p in enumerate(pt)]
        output = fun(*self.inputs)
        if isinstance(output, (list, tuple)):
            raise TypeError("verify_grad: fun must return one tensor, got a "
                            f"{type(output).__name__}; check each output separately")
        output = T.as_tensor_variable(output)
        if np.dtype(output.dtype).kind != "f":
            raise TypeError(f"verify_grad: fun returns {output.type}, which has no gradient; "
                            f"it must return a floating-point tensor")
        value = theanine.function(self.inputs, output, mode=mode,
                                  on_unused_input="ignore")(*pt)
        projection = rng.random(np.shape(value)) + 0.5
        if cast_to_output_type:
            projection = projection.astype(output.dtype)
        self.projection = theanine.shared(projection, name="random_projection")
        cost = T.sum(output * self.projection)
        self.cost = theanine.function(self.inputs, cost, mode=mode, on_unused_input="ignore")
        grads = grad(cost, self.inputs, disconnected_inputs="ignore")
        self.grad = theanine.function(self.inputs, grads, mode=mode, on_unused_input="ignore")

    def cost_at(self, pt):
        return float(self.cost(*pt))


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, abs_tol=None, rel_tol=None,
                mode=None, cast_to_output_type=False):
    """Check the symbolic gradient of ``fun`` at ``pt`` against finite differences.

    ``fun`` takes one symbolic tensor per array of ``pt`` and returns a
    symbolic tensor. The arrays are cast to float64 and the inputs made with
    their dtype (size-1 dimensions broadcastable). The check projects the
    output on a fixed random tensor, ``cost = sum(fun(*x) * r)``, and compares
    ``T.grad(cost, x)`` (compiled) with central differences of ``cost``: along
    ``n_tests`` random directions ``d``, ``<grad, d>`` against
    ``(cost(x + eps d) - cost(x - eps d)) / 2 eps``; for small inputs, and
    whenever a direction fails, also element by element, to say where.

    An element passes when its absolute error is at most ``abs_tol`` or its
    relative error at most ``rel_tol`` (defaults: ``eps=1e-6``,
    ``abs_tol=rel_tol=1e-5``). A failure raises :class:`GradientCheckError`
    naming the argument, the position of the worst element, both values and
    both errors. Pick test points away from kinks (``abs``, ``maximum``).

    ``rng`` is a ``numpy.random.Generator``, a ``RandomState`` or a seed (default 0).

    Example:
        >>> import numpy as np, theanine.tensor as T
        >>> from theanine.gradcheck import verify_grad, GradientCheckError
        >>> verify_grad(lambda x, W: T.dot(x, W), [np.ones((2, 3)), np.ones((3, 4))])
        >>> verify_grad(lambda x: T.grad(T.sum(x ** 3), x), [np.array([1.0, 2.0])])
        >>> from theanine.gradient import zero_grad
        >>> try:                     # zero_grad hides half of the true gradient 2 x
        ...     verify_grad(lambda x: x * zero_grad(x), [np.array([1.0, 2.0])])
        ... except GradientCheckError as exc:
        ...     print(exc.arg, exc.position, round(exc.numeric / exc.analytic, 6))
        0 (1,) 2.0
    """
    if not isinstance(pt, (list, tuple)):
        raise TypeError("verify_grad: pt must be a list of arrays, one per input of fun")
    pt = [np.array(p, dtype=np.float64) for p in pt]
    rng = _as_generator(rng)
    eps = 1e-6 if eps is None else eps
    abs_tol = 1e-5 if abs_tol is None else abs_tol
    rel_tol = 1e-5 if rel_tol is None else rel_tol
    checker = _Checker(fun, pt, rng, mode, cast_to_output_type)
    analytic = [np.asarray(g, dtype=np.float64) for g in checker.grad(*pt)]
    for k, (g, p) in enumerate(zip(analytic, pt)):
        if g.shape != p.shape:
            raise GradientCheckError(f"verify_grad: the gradient of input {k} has shape "
                                     f"{g.shape}, but the input has shape {p.shape}", arg=k)

    small = sum(p.size for p in pt) <= SMALL_INPUT_SIZE
    for _ in range(n_tests):
        directions = [rng.standard_normal(p.shape) for p in pt]
        along = [p + eps * d for p, d in zip(pt, directions)]
        against = [p - eps * d for p, d in zip(pt, directions)]
        numeric = (checker.cost_at(along) - checker.cost_at(against)) / (2 * eps)
        expected = float(sum(np.sum(g * d) for g, d in zip(analytic, directions)))
        abs_err, rel_err = _errors(np.float64(expected), np.float64(numeric))
        if _failing(abs_err, rel_err, abs_tol, rel_tol):
            _elementwise_check(checker, pt, analytic, eps, abs_tol, rel_tol)
            raise GradientCheckError(
                f"verify_grad: the gradient disagrees with finite differences along a random "
                f"direction: analytic {expected!r}, numeric {numeric!r}, abs error "
                f"{float(abs_err):.3g}, rel error {float(rel_err):.3g} "
                f"(abs_tol {abs_tol}, rel_tol {rel_tol}); no single element exceeds the "
                f"tolerances, so the errors add up across elements",
                analytic=expected, numeric=numeric, abs_err=float(abs_err),
                rel_err=float(rel_err))
    if small:
        _elementwise_check(checker, pt, analytic, eps, abs_tol, rel_tol)


def _elementwise_check(checker, pt, analytic, eps, abs_tol, rel_tol):
    """Compare every element of every gradient; raise on the worst failing one."""
    for k, (p, g) in enumerate(zip(pt, analytic)):
        def cost_of(_, k=k):
            return checker.cost_at(pt[:k] + [p] + pt[k + 1:])
        numeric = numerical_gradient(cost_of, p, eps)
        abs_err, rel_err = _errors(g, numeric)
        bad = _failing(abs_err, rel_err, abs_tol, rel_tol)
        if not bad.any():
            continue
        worst = np.unravel_index(np.argmax(np.where(bad, abs_err, -1.0)), p.shape)
        worst = tuple(int(i) for i in worst)
        name = checker.inputs[k].name
        raise GradientCheckError(
            f"verify_grad: wrong gradient for argument {k} ({name}, shape {p.shape}) at "
            f"position {worst}: analytic {float(g[worst])!r}, numeric "
            f"{float(numeric[worst])!r}, "
            f"abs error {abs_err[worst]:.3g}, rel error {rel_err[worst]:.3g} "
            f"(abs_tol {abs_tol}, rel_tol {rel_tol}); {int(bad.sum())} of {p.size} "
            f"elements fail",
            arg=k, name=name, position=worst, analytic=float(g[worst]),
            numeric=float(numeric[worst]), abs_err=float(abs_err[worst]),
            rel_err=float(rel_err[worst]))


def _as_generator(rng):
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(rng.randint(2 ** 31))
    return np.random.default_rng(rng)
