"""Clear errors for the Theano names that theanine does not provide (yet).

A legacy script that reaches a missing feature must stop with a message that
names the Theano name, never run on with a silently different result.

Example:
    >>> from theanine.compat.unsupported import unsupported_attribute
    >>> print(unsupported_attribute('theano.tensor.nlinalg.det'))
    theano.tensor.nlinalg.det is not available in theanine yet; see docs/THEANO_COMPAT.md
    >>> isinstance(unsupported_attribute('theano.foo'), AttributeError)
    True
"""
from __future__ import annotations

from theanine.errors import UnsupportedError

DOC = "docs/THEANO_COMPAT.md"

#: What to do instead, for Theano names whose absence needs more than the plain message.
#: A hint for a module also covers every name inside it.
HINTS = {
    "theano.gpuarray": "run with THEANO_FLAGS=device=cuda: the same graph runs on the GPU",
    "theano.sandbox.cuda": "run with THEANO_FLAGS=device=cuda: the same graph runs on the GPU",
    "theano.printing.pydotprint": "use theano.printing.debugprint",
    "theano.tensor.nnet.conv": "of this module only conv2d is provided",
}


class UnsupportedAttributeError(UnsupportedError, AttributeError):
    """A missing name looked up on an alias module.

    Also an ``AttributeError``, so ``hasattr(theano, name)`` and ``getattr(..., default)``
    keep working for scripts that probe for optional features.
    """


class UnsupportedModuleError(UnsupportedError, ModuleNotFoundError):
    """A missing ``theano.*`` module.

    Also an ``ImportError``, so ``try: import theano.gpuarray / except ImportError``
    takes the script's fallback path.
    """


def message(name):
    """The error text for the Theano name ``name``, with a hint when one is known.

    >>> message('theano.gpuarray.basic_ops')  # doctest: +ELLIPSIS
    'theano.gpuarray.basic_ops is not available in theanine yet; see ... (run with ...)'
    """
    text = f"{name} is not available in theanine yet; see {DOC}"
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        hint = HINTS.get(".".join(parts[:end]))
        if hint:
            return f"{text} ({hint})"
    return text


def unsupported_attribute(name):
    """The exception for a missing attribute ``name`` (a full Theano name)."""
    return UnsupportedAttributeError(message(name))


def unsupported_module(name):
    """The exception for a missing module ``name``."""
    return UnsupportedModuleError(message(name))
