"""Printing graphs: ``debugprint`` (a tree, as Theano's) and ``pprint`` (infix).

Example:
    >>> import theanine.tensor as T
    >>> from theanine.printing import debugprint
    >>> x = T.vector('x')
    >>> print(debugprint(T.exp(x) + 1, file='str'))
    Elemwise{add} [id A] <float32[?]>
     |Elemwise{exp} [id B] <float32[?]>
     | |x [id C] <float32[?]>
     |Constant{[1.]} [id D] <float32[1]>
    <BLANKLINE>
"""
from __future__ import annotations

import io
import string
import sys


def _ids():
    letters = string.ascii_uppercase
    n = 0
    while True:
        k, label = n, ""
        while True:
            label = letters[k % 26] + label
            k = k // 26 - 1
            if k < 0:
                break
        yield label
        n += 1


def debugprint(obj, file=None, print_type=True, depth=-1):
    """Print the graph of a variable, a list of variables or a compiled function.

    ``file='str'`` returns the text instead of printing it. A compiled
    function shows its graph after rewrites, one line per node.
    """
    from theanine.compile.function import Function
    if isinstance(obj, Function):
        outputs = list(obj.fgraph.outputs)
        header = f"{obj.name or 'function'}: {len(obj.nodes)} steps\n"
    else:
        outputs = list(obj) if isinstance(obj, (list, tuple)) else [obj]
        header = ""
    out = io.StringIO()
    out.write(header)
    labels, gen = {}, _ids()
    for var in outputs:
        _print_var(var, out, "", labels, gen, print_type, depth)
    text = out.getvalue()
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return file


def _print_var(var, out, prefix, labels, gen, print_type, depth):
    seen = id(var) in labels
    if not seen:
        labels[id(var)] = next(gen)
    node = var.owner
    name = str(node.op) if node is not None else repr(var)
    if node is not None and len(node.outputs) > 1:
        name += f".{var.index}"
    extra = f" '{var.name}'" if node is not None and var.name else ""
    typ = f" <{var.type}>" if print_type else ""
    out.write(f"{prefix}{name} [id {labels[id(var)]}]{extra}{typ}\n")
    if node is None or seen or depth == 0:
        return
    child_prefix = prefix + " |" if prefix else " |"
    for child in node.inputs:
        _print_var(child, out, child_prefix, labels, gen, print_type, depth - 1)


def pprint(var):
    """A one-line infix rendering of an expression.

    >>> import theanine.tensor as T
    >>> x = T.vector('x')
    >>> pprint(T.exp(x) * 2)
    'mul(exp(x), Constant{[2.]})'
    """
    node = var.owner
    if node is None:
        return repr(var)
    name = getattr(node.op, "short_name", lambda: str(node.op))()
    return f"{name}({', '.join(pprint(v) for v in node.inputs)})"


pp = pprint
