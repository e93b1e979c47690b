"""``theanine run`` / ``python -m theanine.compat``: argv, sys.path, flags, exit status."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import theanine
from theanine.compat.runner import main, run_script, theano_flags


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_argv_folder_import_and_main_name(tmp_path, capsys):
    write(tmp_path, 'helper.py', "ANSWER = 42\n")
    script = write(tmp_path, 'show.py', """
        import sys
        from helper import ANSWER
        print(__name__, sys.argv[1:], ANSWER, sys.argv[0].endswith('show.py'))
        """)
    assert main([script, 'a', '--b']) == 0
    assert capsys.readouterr().out == "__main__ ['a', '--b'] 42 True\n"


def test_the_runner_puts_the_process_back(tmp_path):
    write(tmp_path, 'helper.py', "VALUE = 1\n")
    (tmp_path / 'plots').mkdir()
    plots = str(tmp_path / 'plots')
    script = write(tmp_path, 'use.py', f"import helper, os, theano\nos.chdir({plots!r})\n")
    argv, path, cwd = list(sys.argv), list(sys.path), os.getcwd()
    assert run_script(script) == 0
    assert sys.argv == argv and sys.path == path and os.getcwd() == cwd
    assert 'helper' not in sys.modules and 'theano' not in sys.modules


def test_exit_status_is_propagated(tmp_path, capsys):
    assert main([write(tmp_path, 'three.py', "import sys; sys.exit(3)\n")]) == 3
    assert main([write(tmp_path, 'zero.py', "raise SystemExit\n")]) == 0
    assert main([write(tmp_path, 'text.py', "raise SystemExit('bad input')\n")]) == 1
    assert 'bad input' in capsys.readouterr().err


def test_an_exception_prints_the_script_traceback_and_gives_1(tmp_path, capsys):
    script = write(tmp_path, 'fails.py', """
        def build():
            raise ValueError('no good')
        build()
        """)
    assert main([script]) == 1
    err = capsys.readouterr().err
    assert 'ValueError: no good' in err and 'fails.py", line 3, in build' in err
    assert 'runpy' not in err and 'runner.py' not in err


def test_unsupported_feature_stops_the_script_with_its_theano_name(tmp_path, capsys):
    script = write(tmp_path, 'inverse.py', """
        import theano.tensor as T
        from theano.sparse import csr_matrix
        print(csr_matrix(T.matrix()))
        """)
    assert main([script]) == 1
    err = capsys.readouterr().err
    assert ("UnsupportedModuleError: theano.sparse.csr_matrix is not available in "
            "theanine yet; see docs/THEANO_COMPAT.md") in err


def test_usage_and_missing_script(capsys, tmp_path):
    assert main([]) == 2
    assert 'usage: theanine run' in capsys.readouterr().err
    assert main(['--help']) == 0
    assert main([str(tmp_path / 'nope.py')]) == 2
    assert 'no such script' in capsys.readouterr().err


def test_theano_flags_are_applied_for_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('THEANO_FLAGS', 'floatX=float64,device=cpu,optimizer=fast_compile')
    monkeypatch.delenv('THEANINE_FLAGS', raising=False)
    before = theanine.config.floatX
    script = write(tmp_path, 'flags.py', """
        import theano, theano.tensor as T
        print(theano.config.floatX, T.matrix().dtype, theano.config.device)
        """)
    assert main([script]) == 0
    captured = capsys.readouterr()
    assert captured.out == "float64 float64 cpu\n"
    assert 'optimizer=fast_compile ignored' in captured.err
    assert theanine.config.floatX == before


def test_theanine_flags_win_over_theano_flags():
    env = {'THEANO_FLAGS': 'floatX=float64', 'THEANINE_FLAGS': 'floatX=float32'}
    with theano_flags(env):
        assert theanine.config.floatX == 'float32'


def test_python_dash_m_runs_a_script_and_returns_its_status(tmp_path):
    script = write(tmp_path, 'status.py', """
        import sys, theano, theano.tensor as T
        x = T.scalar()
        print(theano.config.floatX, float(theano.function([x], x * 2)(1.5)))
        sys.exit(int(sys.argv[1]))
        """)
    env = dict(os.environ, THEANO_FLAGS='floatX=float64')
    env.pop('THEANINE_FLAGS', None)
    done = subprocess.run([sys.executable, '-m', 'theanine.compat', script, '4'],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 4, done.stderr
    assert done.stdout == "float64 3.0\n"


@pytest.mark.parametrize('value', ['float16x', 'nonsense'])
def test_a_bad_flag_value_is_an_error_naming_it(value, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv('THEANO_FLAGS', f'floatX={value}')
    assert main([write(tmp_path, 'noop.py', "pass\n")]) == 1
    assert f"config.floatX='{value}' is not allowed" in capsys.readouterr().err


def test_theanine_run_command_hands_over_to_the_runner(tmp_path, capsys):
    from theanine.cli import main as cli_main
    script = write(tmp_path, 'cli.py', """
        import sys
        print(sys.argv[1:])
        sys.exit(5)
        """)
    assert cli_main(['run', script, '--epochs', '2']) == 5
    assert capsys.readouterr().out == "['--epochs', '2']\n"
