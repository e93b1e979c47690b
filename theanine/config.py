"""Typed configuration flags, read once from ``THEANINE_FLAGS``.

Flags are ``name=value`` pairs separated by commas, as Theano's ``THEANO_FLAGS``:

    THEANINE_FLAGS=floatX=float64,device=cpu python train.py

``THEANO_FLAGS`` is read too (after ``THEANINE_FLAGS``, which wins) so that legacy
scripts keep their settings.

Example:
    >>> from theanine import config
    >>> config.floatX in ('float32', 'float64')
    True
    >>> with config.change_flags(floatX='float64'):
    ...     config.floatX
    'float64'
"""
from __future__ import annotations

import contextlib
import os

_CHOICES = {
    "floatX": ("float32", "float64", "float16"),
    "device": ("cpu", "cuda", "gpu", "auto"),
    "mode": ("FAST_RUN", "FAST_COMPILE", "DEBUG_MODE"),
    "profile": (False, True),
}
_DEFAULTS = {"floatX": "float32", "device": "cpu", "mode": "FAST_RUN", "profile": False}
# Boolean flags accept what THEANO_FLAGS did: True/False, 1/0, true/false.
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
#: The names of the flags theanine knows.
FLAG_NAMES = tuple(_CHOICES)
# Theano spelled GPUs 'gpu', 'gpu0', 'cuda0'...; all of them mean "the CUDA device".
_DEVICE_ALIASES = {"gpu": "cuda"}


class WarnFlags:
    """Theano's ``config.warn.*`` flags, which warned about bugs of old Theano versions.

    theanine never had those bugs. A legacy script may still set them
    (``theano.config.warn.subtensor_merge_bug = False``); they are kept and
    change nothing, and one never set reads False (no warning).

    >>> flags = WarnFlags()
    >>> flags.subtensor_merge_bug = True
    >>> flags.subtensor_merge_bug, flags.sum_div_dimshuffle_bug
    (True, False)
    """

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values.get(name, False)

    def __setattr__(self, name, value):
        self._values[name] = bool(value)


class Config:
    """Holds the flags; one instance, ``theanine.config``."""

    def __init__(self, environ=os.environ):
        object.__setattr__(self, "_values", dict(_DEFAULTS))
        #: Theano's warnings about its own old bugs (:class:`WarnFlags`)
        object.__setattr__(self, "warn", WarnFlags())
        for name, value in read_flags(environ).items():
            if name in FLAG_NAMES:
                self._set(name, value)

    def _set(self, name, value):
        if name not in _CHOICES:
            raise AttributeError(f"theanine.config has no flag {name!r}; known: {sorted(_CHOICES)}")
        if _CHOICES[name] == (False, True):
            value = _BOOLEANS.get(str(value).lower(), value)
            if value not in (False, True):
                raise ValueError(f"config.{name}={value!r} is not allowed; choose True or False")
            self._values[name] = bool(value)
            return
        value = str(value)
        if name == "device":
            value = value.rstrip("0123456789") or value
            value = _DEVICE_ALIASES.get(value, value)
        if value not in _CHOICES[name]:
            raise ValueError(
                f"config.{name}={value!r} is not allowed; choose one of {_CHOICES[name]}")
        self._values[name] = value

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"theanine.config has no flag {name!r}") from None

    def __setattr__(self, name, value):
        self._set(name, value)

    @contextlib.contextmanager
    def change_flags(self, **flags):
        """Temporarily override flags inside a ``with`` block."""
        saved = dict(self._values)
        try:
            for name, value in flags.items():
                self._set(name, value)
            yield self
        finally:
            self._values.clear()
            self._values.update(saved)


def read_flags(environ=os.environ):
    """``{name: value}`` from ``THEANO_FLAGS`` and then ``THEANINE_FLAGS`` (which wins).

    Names that are not theanine flags are kept, so callers can report them.

    >>> read_flags({'THEANO_FLAGS': 'floatX=float64,optimizer=None',
    ...             'THEANINE_FLAGS': 'floatX=float32'})
    {'floatX': 'float32', 'optimizer': 'None'}
    """
    flags = {}
    for var in ("THEANO_FLAGS", "THEANINE_FLAGS"):
        flags.update(_parse_flags(environ.get(var, ""), var))
    return flags


def _parse_flags(text, source):
    flags = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        if "=" not in item:
            raise ValueError(f"{source}: expected name=value, got {item!r}")
        name, value = item.split("=", 1)
        flags[name.strip()] = value.strip()
    return flags


config = Config()
