"""Exceptions raised by theanine, each able to name the user's line that built a node.

Example:
    >>> from theanine.errors import ShapeError
    >>> issubclass(ShapeError, ValueError)
    True
"""
from __future__ import annotations


class TheanineError(Exception):
    """Base class of theanine's errors."""


class ShapeError(TheanineError, ValueError):
    """Shapes that cannot work together (raised when the expression is built)."""


class DTypeError(TheanineError, TypeError):
    """A dtype that an operation cannot take."""


class CompileError(TheanineError, ValueError):
    """``theanine.function`` was given something it cannot compile."""


class MissingInputError(CompileError):
    """An output depends on a symbolic input that is not among ``inputs``."""


class UnusedInputError(CompileError):
    """An input is not used by any output or update (``on_unused_input='raise'``)."""


class InputError(TheanineError, TypeError):
    """A compiled function was called with the wrong number, dtype or shape of inputs."""


class DisconnectedInputError(TheanineError, ValueError):
    """``grad`` was asked for the gradient with respect to a variable the cost ignores."""


class GradientError(TheanineError, ValueError):
    """An operation has no gradient with respect to one of its inputs."""


class ExecutionError(TheanineError, RuntimeError):
    """A compiled function failed while running a node; names the line that built it."""


class UnsupportedError(TheanineError, NotImplementedError):
    """A Theano feature that theanine does not provide (yet)."""
