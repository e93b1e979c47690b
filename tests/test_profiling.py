"""``function(..., profile=True)`` and ``config.profile``: time per node, summaries."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine import config
from theanine.compile import profiling


@pytest.fixture(autouse=True)
def _nothing_printed_when_pytest_exits():
    # Profiles print at exit (Theano's behaviour); these tests' own would clutter
    # the end of the test run.
    yield
    profiling._PRINT_AT_EXIT.clear()


def _training_step(profile):
    rng = np.random.default_rng(0)
    w = theanine.shared(rng.standard_normal((4, 3)), name="w")
    x, y = T.dmatrix("x"), T.ivector("y")
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(x, w)), y).mean()
    step = theanine.function([x, y], cost, updates=[(w, w - 0.1 * T.grad(cost, w))],
                             profile=profile)
    return step, rng.standard_normal((5, 4)), np.array([0, 1, 2, 0, 1], dtype=np.int32)


def test_profiled_function_computes_the_same_values_as_a_plain_one(backend):
    from conftest import host
    plain, x, y = _training_step(profile=False)
    profiled, _, _ = _training_step(profile=True)
    for _ in range(3):
        np.testing.assert_array_equal(host(plain(x, y)), host(profiled(x, y)))
    assert plain.profile is None


def test_profile_counts_calls_and_times_every_node(backend):
    step, x, y = _training_step(profile=True)
    for _ in range(4):
        step(x, y)
    stats = step.profile
    assert stats.calls == 4
    assert len(stats.node_seconds) == len(step.nodes)
    assert all(seconds > 0 for seconds in stats.node_seconds)
    # Kernels run inside the step, so their total cannot exceed the steps'.
    assert 0 < sum(stats.node_seconds) <= stats.step_seconds
    assert stats.compile_seconds > 0
    classes = stats.by_class()
    assert sum(count for _, _, count in classes) == len(step.nodes)
    assert [row[1] for row in classes] == sorted((row[1] for row in classes), reverse=True)


def test_summary_names_op_classes_nodes_and_the_user_lines_that_built_them():
    step, x, y = _training_step(profile="my step")
    step(x, y)
    out = io.StringIO()
    step.profile.summary(file=out, n_apply_to_print=100)
    text = out.getvalue()
    assert text.startswith("Function profile: my step")
    assert "1 calls" in text
    assert "CrossEntropySoftmax" in text
    # Every node is listed, each with the line of this file that built it.
    assert text.count(f"built at {__file__}:") == len(step.nodes)


def test_a_graph_built_in_one_place_names_it_once():
    x = T.dvector("x")
    f = theanine.function([x], T.exp(x).sum() * 2, profile=True)    # every node from here
    f(np.ones(3))
    out = io.StringIO()
    f.profile.summary(file=out)
    text = out.getvalue()
    assert text.count("built at") == 1 and f"every node built at {__file__}:" in text


def test_reset_forgets_the_warm_up():
    step, x, y = _training_step(profile=True)
    step(x, y)
    step.profile.reset()
    assert step.profile.calls == 0 and sum(step.profile.node_seconds) == 0
    step(x, y)
    assert step.profile.calls == 1


def test_a_failing_profiled_step_still_names_the_users_line():
    x = T.dmatrix("x")
    f = theanine.function([x], T.dot(x, x), profile=True)
    with pytest.raises(theanine.errors.ExecutionError, match="test_profiling.py"):
        f(np.ones((2, 3)))


def test_config_profile_profiles_every_function():
    x = T.dvector("x")
    with config.change_flags(profile=True):
        f = theanine.function([x], x * 2)
    g = theanine.function([x], x * 2)
    assert f.profile is not None and g.profile is None
    # An explicit profile=False wins over the flag.
    with config.change_flags(profile=True):
        assert theanine.function([x], x * 2, profile=False).profile is None


@pytest.mark.parametrize("text, value", [("True", True), ("1", True), ("false", False),
                                         ("0", False)])
def test_profile_flag_reads_theano_spellings(text, value):
    from theanine.config import Config
    assert Config({"THEANO_FLAGS": f"profile={text}"}).profile is value


def test_profile_flag_rejects_other_values():
    with pytest.raises(ValueError, match="profile"):
        config.profile = "sometimes"


def test_profiles_print_at_exit_unless_already_printed(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np, theanine, theanine.tensor as T\n"
        "x = T.dvector('x')\n"
        "f = theanine.function([x], T.exp(x).sum(), name='shown at exit')\n"
        "g = theanine.function([x], T.tanh(x).sum(), name='printed by the script', profile=True)\n"
        "f(np.ones(3)); g(np.ones(3))\n"
        "g.profile.summary()\n")
    env = dict(os.environ, THEANINE_FLAGS="profile=True")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Function profile: shown at exit" in done.stderr
    assert "printed by the script" not in done.stderr
    assert "Function profile: printed by the script" in done.stdout
