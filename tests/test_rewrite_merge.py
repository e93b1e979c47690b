"""Merge: identical subexpressions and equal constants become one (structure and value)."""
from __future__ import annotations

import numpy as np

import theanine
import theanine.tensor as T
from theanine.compile.fgraph import FunctionGraph
from theanine.rewrite.merge import merge


def test_identical_subexpressions_become_one_node():
    x = T.dvector('x')
    fg = FunctionGraph([x], [T.exp(x) * 2 + T.exp(x) * 2])
    assert merge(fg) > 0
    total = fg.outputs[0].owner
    assert total.inputs[0] is total.inputs[1]
    assert len(fg.toposort()) == 3


def test_equal_constants_become_one():
    x = T.dvector('x')
    fg = FunctionGraph([x], [x * np.array([2.0]) + x * np.array([2.0])])
    merge(fg)
    assert len(fg.toposort()) == 2


def test_different_constants_stay_apart():
    x = T.dvector('x')
    fg = FunctionGraph([x], [x * 2.0 + x * 3.0])
    merge(fg)
    assert len(fg.toposort()) == 3


def test_merged_function_value():
    x = T.dvector('x')
    expr = T.tanh(x) * T.tanh(x) + T.sum(T.tanh(x))
    fast = theanine.function([x], expr)
    assert sum(1 for n in fast.nodes if 'tanh' in str(n.op)) == 1
    v = np.array([0.5, -1.0])
    np.testing.assert_allclose(fast(v), np.tanh(v) ** 2 + np.tanh(v).sum())
