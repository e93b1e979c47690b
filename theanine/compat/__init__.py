"""Run legacy Theano scripts on theanine, unchanged.

``theanine run SCRIPT.py`` (or ``python -m theanine.compat SCRIPT.py``) runs a
script whose ``import theano`` / ``import theano.tensor as T`` load theanine;
see ``docs/THEANO_COMPAT.md`` for what maps to what.

Modules: :mod:`~theanine.compat.runner` (the command), :mod:`~theanine.compat.aliases`
(the import hook), :mod:`~theanine.compat.legacy` (old Theano signatures),
:mod:`~theanine.compat.unsupported` (errors for what is missing).

Example:
    >>> from theanine.compat import installed
    >>> with installed():
    ...     import theano
    ...     theano.shared is __import__('theanine').shared
    True
"""
from theanine.compat.aliases import installed
from theanine.compat.runner import main, run_script

__all__ = ["installed", "main", "run_script"]
