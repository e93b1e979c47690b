"""The import hook that makes ``import theano`` (and ``theano.*``) load theanine.

Nothing named ``theano`` is installed. Inside :func:`installed` (the runner
uses it), a finder first on ``sys.meta_path`` answers every ``theano`` or
``theano.<name>`` import with an :class:`AliasModule`: a module object whose
attributes are looked up, when used, in the theanine modules that
:data:`MODULES` lists for it, plus a few renamed entries (old signatures, and
modules that load only when a script uses them). A name found nowhere raises
:class:`~theanine.compat.unsupported.UnsupportedAttributeError`, whose text
names the Theano name. Leaving the ``with`` block removes the finder and every
alias module.

Example:
    >>> import sys
    >>> from theanine.compat.aliases import installed
    >>> with installed():
    ...     import theano
    ...     import theano.tensor as T
    ...     print(T.matrix('x').ndim, theano.config.floatX in ('float32', 'float64'))
    ...     print(hasattr(T, 'no_such_function'))
    2 True
    False
    >>> 'theano' in sys.modules
    False
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from dataclasses import dataclass, field

from theanine.compat.unsupported import unsupported_attribute, unsupported_module


@dataclass(frozen=True)
class Alias:
    """Where the names of one ``theano.*`` module come from.

    ``sources``: theanine modules searched in order, imported with the alias;
    ``renamed``: ``{theano name: 'module:attribute'}``, imported on first use,
    so that a script that never touches them runs while they are missing.
    """

    sources: tuple = ()
    renamed: dict = field(default_factory=dict)


#: Every ``theano`` module a script may import, and where its names come from.
MODULES = {
    "theano": Alias(("theanine",), {"dot": "theanine.tensor:dot",
                                   "pp": "theanine.printing:pp",
                                   "Param": "theanine.compat.legacy:Param",
                                   "Op": "theanine.ops.python_op:PythonOp",
                                   "Apply": "theanine.graph.basic:Apply",
                                   "Variable": "theanine.graph.basic:Variable"}),
    "theano.gof": Alias(renamed={"Op": "theanine.ops.python_op:PythonOp",
                                 "Apply": "theanine.graph.basic:Apply",
                                 "Variable": "theanine.graph.basic:Variable"}),
    "theano.compile": Alias(renamed={"function": "theanine:function", "In": "theanine:In",
                                     "shared": "theanine:shared",
                                     "as_op": "theanine.ops.python_op:as_op"}),
    "theano.compile.ops": Alias(renamed={"as_op": "theanine.ops.python_op:as_op"}),
    "theano.tensor": Alias(("theanine.tensor",)),
    "theano.tensor.nnet": Alias(("theanine.tensor.nnet",)),
    "theano.tensor.nnet.conv": Alias(renamed={"conv2d": "theanine.compat.legacy:conv2d"}),
    "theano.tensor.signal": Alias(),
    "theano.tensor.signal.pool": Alias(("theanine.tensor.signal.pool",),
                                       {"pool_2d": "theanine.compat.legacy:pool_2d"}),
    "theano.tensor.signal.downsample": Alias(
        renamed={"max_pool_2d": "theanine.compat.legacy:max_pool_2d"}),
    "theano.tensor.shared_randomstreams": Alias(("theanine.tensor.shared_randomstreams",)),
    "theano.sandbox": Alias(),
    "theano.sandbox.rng_mrg": Alias(("theanine.sandbox.rng_mrg",)),
    "theano.tensor.xlogx": Alias(("theanine.tensor.xlogx",)),
    "theano.tensor.extra_ops": Alias(("theanine.tensor.extra_ops",)),
    "theano.tensor.nlinalg": Alias(("theanine.tensor.nlinalg",)),
    "theano.tensor.slinalg": Alias(("theanine.tensor.slinalg",)),
    "theano.scan_module": Alias(("theanine.ops.scan",)),
    "theano.scalar": Alias(renamed={"upcast": "theanine.compat.legacy:upcast"}),
    "theano.printing": Alias(("theanine.printing",)),
    "theano.gradient": Alias(("theanine.gradient",)),
    "theano.ifelse": Alias(("theanine.ifelse",)),
    "theano.tensor.nnet.bn": Alias(("theanine.tensor.bn",)),
    "theano.tensor.nnet.neighbours": Alias(("theanine.tensor.neighbours",)),
    "theano.tensor.opt": Alias(renamed={"Assert": "theanine.ops.special:Assert"}),
}

#: Theano modules that import but provide nothing: every name used from them raises
#: with its full name (``theano.tensor.nlinalg.matrix_inverse``). GPU modules are not
#: here on purpose: their import must fail, so that scripts take their CPU path.
EMPTY_MODULES = ("theano.tensor.raw_random", "theano.sparse",
                 "theano.d3viz")


class AliasModule(types.ModuleType):
    """A ``theano.*`` module whose attributes come from theanine modules."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            if name == "__all__":
                return [n for n in self.__dir__() if not n.startswith("_")
                        and f"{self.__name__}.{n}" not in _KNOWN]
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        fullname = f"{self.__name__}.{name}"
        if fullname in _KNOWN:
            return importlib.import_module(fullname)
        alias, sources = self.__spec__.loader_state
        if name in alias.renamed:
            return _resolve(alias.renamed[name], fullname)
        for source in sources:
            try:
                return getattr(source, name)
            except AttributeError:
                continue
        raise unsupported_attribute(fullname)

    def __dir__(self):
        alias, sources = self.__spec__.loader_state
        names = set(self.__dict__) | set(alias.renamed)
        for source in sources:
            names.update(n for n in dir(source) if not n.startswith("_"))
        prefix = self.__name__ + "."
        names.update(k[len(prefix):] for k in _KNOWN
                     if k.startswith(prefix) and "." not in k[len(prefix):])
        return sorted(names)


_KNOWN = set(MODULES) | set(EMPTY_MODULES)


def _resolve(target, fullname):
    module_name, attribute = target.split(":")
    module = _import_existing(module_name, fullname)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise unsupported_attribute(fullname) from None


def _import_existing(module_name, fullname):
    """Import a theanine module; a module that does not exist (yet) is unsupported."""
    try:
        found = importlib.util.find_spec(module_name)
    except ModuleNotFoundError:
        found = None
    if found is None:
        raise unsupported_module(fullname)
    return importlib.import_module(module_name)


class _TheanoFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``theano`` and ``theano.*`` and loads them as :class:`AliasModule`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "theano" and not fullname.startswith("theano."):
            return None
        if fullname not in _KNOWN:
            raise unsupported_module(fullname)
        # A package (with a __path__), so that ``from theano.x import y`` for a
        # missing y asks this finder for ``theano.x.y``, whose error names y.
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        return AliasModule(spec.name)

    def exec_module(self, module):
        alias = MODULES.get(module.__name__, Alias())
        sources = tuple(_import_existing(name, module.__name__) for name in alias.sources)
        module.__spec__.loader_state = (alias, sources)


@contextlib.contextmanager
def installed():
    """Make ``theano`` imports load theanine inside the ``with`` block.

    >>> with installed():
    ...     from theano.tensor import nnet
    ...     nnet.__name__
    'theano.tensor.nnet'
    """
    previous = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_theano(name)}
    finder = _TheanoFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield finder
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _is_theano(n)]:
            del sys.modules[name]
        sys.modules.update(previous)


def _is_theano(name):
    return name == "theano" or name.startswith("theano.")
