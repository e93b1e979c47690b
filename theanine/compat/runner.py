"""Run a legacy Theano script on theanine: ``theanine run SCRIPT.py [args...]``.

The script runs as ``__main__`` (``runpy.run_path``) with ``sys.argv`` set to
``[SCRIPT.py, args...]``, its own folder first on ``sys.path`` (so its
``from logistic_sgd import load_data`` works), ``THEANO_FLAGS`` applied to
``theanine.config`` and ``theano`` imports answered by
:mod:`theanine.compat.aliases`. Everything is put back afterwards (argv,
path, working folder, the script's own modules), so a process can run
several scripts. The script's exit status is returned.

Example:
    >>> import os, tempfile
    >>> from theanine.compat.runner import main
    >>> folder = tempfile.mkdtemp()
    >>> script = os.path.join(folder, 'double.py')
    >>> with open(script, 'w') as f:
    ...     _ = f.write('import sys, theano, theano.tensor as T\\n'
    ...                 'x = T.dscalar()\\n'
    ...                 'print(theano.function([x], 2 * x)(float(sys.argv[1])))\\n'
    ...                 'sys.exit(3)\\n')
    >>> main([script, '21'])
    42.0
    3
"""
from __future__ import annotations

import contextlib
import os
import runpy
import sys
import traceback

from theanine.compat import aliases
from theanine.config import FLAG_NAMES, config, read_flags

USAGE = """usage: theanine run SCRIPT.py [ARGS...]
       python -m theanine.compat SCRIPT.py [ARGS...]

Runs a Theano script on theanine: `import theano` (and theano.tensor, ...) loads
theanine. THEANO_FLAGS (floatX, device, mode) are honoured. See docs/THEANO_COMPAT.md."""

_COMPAT_DIR = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    """Run ``argv[0]`` with arguments ``argv[1:]``; return its exit status.

    An exception that escapes the script is printed (from the script's own
    frames on) and gives status 1, as ``python SCRIPT.py`` does.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    script, args = argv[0], argv[1:]
    if not os.path.isfile(script):
        print(f"theanine run: no such script: {script}", file=sys.stderr)
        return 2
    try:
        return run_script(script, args)
    except KeyboardInterrupt as exc:
        _print_script_traceback(exc)
        return 130
    except Exception as exc:
        _print_script_traceback(exc)
        return 1


def run_script(script, args=()):
    """Run ``script`` as ``__main__`` with ``sys.argv[1:] = args``; return its exit status.

    Exceptions from the script propagate; ``sys.exit(code)`` becomes the result.

    >>> import os, tempfile
    >>> script = os.path.join(tempfile.mkdtemp(), 'quiet.py')
    >>> with open(script, 'w') as f:
    ...     _ = f.write('import theano\\n')
    >>> run_script(script)
    0
    """
    with theano_flags(), aliases.installed(), _script_context(script, args):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            return _exit_status(exc.code)
    return 0


@contextlib.contextmanager
def theano_flags(environ=None):
    """Apply ``THEANO_FLAGS``/``THEANINE_FLAGS`` to ``theanine.config`` for the block.

    ``theanine.config`` reads them when first imported; reading them again here
    covers a runner started in a process whose environment changed since.
    Theano flags that theanine has no use for are reported once, on stderr.

    >>> from theanine import config
    >>> with theano_flags({'THEANO_FLAGS': 'floatX=float64'}):
    ...     config.floatX
    'float64'
    """
    flags = read_flags(os.environ if environ is None else environ)
    known = {name: value for name, value in flags.items() if name in FLAG_NAMES}
    ignored = [f"{name}={value}" for name, value in flags.items() if name not in FLAG_NAMES]
    if ignored:
        print(f"theanine: THEANO_FLAGS {', '.join(ignored)} ignored (theanine knows "
              f"{', '.join(FLAG_NAMES)})", file=sys.stderr)
    with config.change_flags(**known):
        yield


@contextlib.contextmanager
def _script_context(script, args):
    folder = os.path.dirname(os.path.abspath(script))
    saved_argv, saved_path, saved_modules = sys.argv, list(sys.path), set(sys.modules)
    saved_cwd = os.getcwd()  # the tutorials chdir into their plot folders
    sys.argv = [script, *args]
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        sys.path[:] = saved_path
        # The script's own modules (logistic_sgd, utils...) are forgotten, so a
        # later script in this process imports its own copies.
        for name in set(sys.modules) - saved_modules:
            path = getattr(sys.modules[name], "__file__", None) or ""
            if os.path.abspath(path).startswith(folder + os.sep):
                del sys.modules[name]


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_script_traceback(exc):
    """Print ``exc`` without the runner's and runpy's own frames."""
    tb = exc.__traceback__
    while tb is not None and _is_runner_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def _is_runner_frame(filename):
    return os.path.dirname(os.path.abspath(filename)) == _COMPAT_DIR or \
        filename == runpy.__file__ or filename.startswith("<frozen runpy")
