"""The ``theano`` import hook: which names resolve, which fail, and how clearly."""
from __future__ import annotations

import importlib
import sys

import pytest

import theanine
import theanine.tensor as TT
from theanine.compat import installed
from theanine.compat.unsupported import UnsupportedModuleError
from theanine.errors import UnsupportedError


def test_theano_is_not_importable_outside_the_block():
    with pytest.raises(ImportError):
        importlib.import_module('theano')
    with installed():
        importlib.import_module('theano.tensor')
    assert not [name for name in sys.modules if name.split('.')[0] == 'theano']
    with pytest.raises(ImportError):
        importlib.import_module('theano')


def test_core_names_are_theanine_objects():
    with installed():
        import theano
        import theano.tensor as T
        from theano.tensor import nnet
        assert theano.shared is theanine.shared
        assert theano.function is theanine.function
        assert theano.In is theanine.In
        assert theano.scan is theanine.scan
        assert theano.config is theanine.config
        assert T.matrix is TT.matrix and T.grad is theanine.grad
        assert nnet.softmax is TT.nnet.softmax and T.nnet.sigmoid is TT.sigmoid


def test_attribute_chains_reach_alias_modules():
    with installed():
        import theano
        assert theano.tensor.nnet.__name__ == 'theano.tensor.nnet'
        assert callable(theano.tensor.nnet.sigmoid)
        assert theano.printing.debugprint is theanine.printing.debugprint
        assert theano.gradient.disconnected_grad is theanine.gradient.disconnected_grad


def test_unknown_attribute_names_the_theano_name_and_the_doc():
    with installed():
        import theano.tensor as T
        with pytest.raises(UnsupportedError) as info:
            T.no_such_thing
        assert str(info.value) == ("theano.tensor.no_such_thing is not available in theanine "
                                   "yet; see docs/THEANO_COMPAT.md")
        assert isinstance(info.value, AttributeError)
        assert not hasattr(T, 'no_such_thing')
        assert getattr(T, 'no_such_thing', 'default') == 'default'


def test_names_in_known_but_missing_modules_are_named_in_full():
    with installed():
        import theano.tensor as T
        with pytest.raises(UnsupportedError, match=r"^theano\.tensor\.nlinalg\.eigh "
                                                   r"is not available in theanine yet"):
            T.nlinalg.eigh
        with pytest.raises(UnsupportedError, match=r"theano\.sparse\.csr_matrix"):
            from theano.sparse import csr_matrix  # noqa: F401


def test_from_import_of_a_missing_name_keeps_the_message():
    with installed():
        with pytest.raises(UnsupportedError, match=r"theano\.tensor\.no_such_op is not "):
            from theano.tensor import no_such_op  # noqa: F401


def test_gpu_modules_fail_to_import_so_scripts_fall_back():
    with installed():
        with pytest.raises(ImportError) as info:
            import theano.gpuarray  # noqa: F401
        assert isinstance(info.value, UnsupportedModuleError)
        assert "THEANO_FLAGS=device=cuda" in str(info.value)
        try:
            import theano.sandbox.cuda  # noqa: F401
            gpu = True
        except ImportError:
            gpu = False
        assert not gpu


def test_unknown_module_is_an_unsupported_import_error():
    # The first missing package on the way is the one named.
    with installed():
        with pytest.raises(UnsupportedModuleError, match=r"^theano\.misc is not available"):
            importlib.import_module('theano.misc.pkl_utils')


def test_custom_ops_resolve_to_python_ops():
    from theanine.graph.basic import Apply
    from theanine.ops.python_op import PythonOp, as_op
    with installed():
        import theano
        from theano import gof
        from theano.compile.ops import as_op as legacy_as_op
        assert theano.Op is PythonOp and gof.Op is PythonOp
        assert theano.Apply is Apply and gof.Apply is Apply
        assert legacy_as_op is as_op


def test_dunder_lookups_are_plain_attribute_errors():
    with installed():
        import theano
        with pytest.raises(AttributeError) as info:
            theano.__wrapped__
        assert not isinstance(info.value, UnsupportedError)


def test_star_import_and_dir():
    namespace = {}
    with installed():
        exec('from theano.tensor import *', namespace)
        import theano
        assert 'shared' in dir(theano) and 'tensor' in dir(theano)
    assert namespace['matrix'] is TT.matrix and namespace['dot'] is TT.dot


def test_modules_still_being_written_are_mapped_lazily(monkeypatch):
    # A theano module whose theanine counterpart does not exist (yet) fails only when
    # a script imports it, with the Theano name in the message.
    from theanine.compat import aliases
    monkeypatch.setitem(aliases.MODULES, 'theano.tensor.signal.pool',
                        aliases.Alias(('theanine.no_such_module',)))
    with installed():
        import theano.tensor as T
        assert T.matrix is TT.matrix
        with pytest.raises(UnsupportedModuleError, match=r"theano\.tensor\.signal\.pool is"):
            from theano.tensor.signal import pool  # noqa: F401


def test_renamed_entry_whose_target_is_missing_is_unsupported(monkeypatch):
    from theanine.compat import aliases
    monkeypatch.setitem(aliases.MODULES, 'theano.tensor.signal.downsample',
                        aliases.Alias(renamed={'max_pool_2d': 'theanine.nowhere:max_pool_2d'}))
    with installed():
        from theano.tensor.signal import downsample
        with pytest.raises(UnsupportedError, match=r"downsample\.max_pool_2d is not"):
            downsample.max_pool_2d


def test_a_module_already_named_theano_is_restored_after_the_block(monkeypatch):
    sentinel = type(sys)('theano')
    monkeypatch.setitem(sys.modules, 'theano', sentinel)
    with installed():
        import theano
        assert theano is not sentinel and theano.shared is theanine.shared
    assert sys.modules['theano'] is sentinel
