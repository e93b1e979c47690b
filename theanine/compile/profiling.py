"""Where a compiled function spends its time: Theano's ``profile=True``.

``theanine.function(..., profile=True)`` links a step that reads a clock around
every kernel; the function's ``profile`` (a :class:`ProfileStats`) adds up the
time per node, and ``summary()`` prints it by op class and by node, each node
with the user's line that built it. With ``THEANINE_FLAGS=profile=True`` every
function is profiled. As in Theano, the summaries of profiled functions that
ran are printed (to stderr) when the process exits, except those whose
``summary()`` the program printed itself. Timing costs about a microsecond per
kernel, so a profiled step is slower than a plain one; the shares are what to
read.

On a GPU the kernels run asynchronously: a profiled step waits for each one
(the backend's ``synchronize``), so each node's time is its own.

Example:
    >>> import io, numpy as np, theanine, theanine.tensor as T
    >>> x = T.dmatrix('x')
    >>> f = theanine.function([x], T.tanh(x).sum(), profile=True)
    >>> _ = f(np.ones((3, 4))); _ = f(np.ones((3, 4)))
    >>> f.profile.calls
    2
    >>> out = io.StringIO(); f.profile.summary(file=out)
    >>> 'Class' in out.getvalue() and 'built at' in out.getvalue()
    True
"""
from __future__ import annotations

import atexit
import sys
import time
from collections import defaultdict

#: Profiles to print at exit (Theano's behaviour).
_PRINT_AT_EXIT: list = []


class ProfileStats:
    """Time per node of one compiled function, added up over its calls.

    ``nodes`` is the schedule; ``node_seconds[k]`` the time spent in node
    ``k``'s kernel over all calls; ``step_seconds`` the time of whole steps
    (kernels, the Python between them and the shared-variable updates).

    >>> stats = ProfileStats('f', nodes=[])
    >>> stats.calls, stats.step_seconds
    (0, 0.0)
    """

    def __init__(self, name, nodes, compile_seconds=0.0):
        self.name = name or "function"
        self.nodes = list(nodes)
        self.node_seconds = [0.0] * len(self.nodes)
        self.calls = 0
        self.step_seconds = 0.0
        self.compile_seconds = compile_seconds
        #: set by :meth:`summary`; a summary already printed is not printed at exit
        self.printed = False

    def reset(self):
        """Forget the calls timed so far (to skip a warm-up, say).

        >>> stats = ProfileStats('f', nodes=[]); stats.calls = 3; stats.reset(); stats.calls
        0
        """
        self.node_seconds = [0.0] * len(self.nodes)
        self.calls = 0
        self.step_seconds = 0.0

    def by_class(self):
        """``[(op class name, seconds, number of nodes)]``, slowest first.

        >>> ProfileStats('f', nodes=[]).by_class()
        []
        """
        seconds, count = defaultdict(float), defaultdict(int)
        for node, spent in zip(self.nodes, self.node_seconds):
            key = type(node.op).__name__
            seconds[key] += spent
            count[key] += 1
        return sorted(((key, seconds[key], count[key]) for key in seconds),
                      key=lambda row: -row[1])

    def by_node(self):
        """``[(position in the schedule, node, seconds)]``, slowest first.

        >>> ProfileStats('f', nodes=[]).by_node()
        []
        """
        rows = [(k, node, spent) for k, (node, spent)
                in enumerate(zip(self.nodes, self.node_seconds))]
        return sorted(rows, key=lambda row: -row[2])

    def summary(self, file=None, n_ops_to_print=20, n_apply_to_print=20):
        """Print the step time, the time per op class and the slowest nodes.

        >>> ProfileStats('f', nodes=[]).summary(file=sys.stdout)
        Function profile: f
          0 calls, nothing timed yet
        """
        file = sys.stdout if file is None else file
        self.printed = True
        write = lambda text="": print(text, file=file)  # noqa: E731
        write(f"Function profile: {self.name}")
        if not self.calls:
            write("  0 calls, nothing timed yet")
            return
        in_kernels = sum(self.node_seconds)
        per_call = self.step_seconds / self.calls
        write(f"  {self.calls} calls, {self.step_seconds:.4g} s in steps "
              f"({per_call * 1e6:.1f} us per call), compiled in {self.compile_seconds:.3g} s")
        share = 100 * in_kernels / self.step_seconds if self.step_seconds else 100.0
        write(f"  {in_kernels:.4g} s ({share:.1f} %) in {len(self.nodes)} kernels; "
              f"the rest is the step's own Python and the updates")
        total = in_kernels or 1.0
        # One place for every node (a graph built by a library or the command line):
        # said once, not under each node.
        places = {(n.source.filename, n.source.lineno) if n.source else None for n in self.nodes}
        per_node_place = len(places) > 1
        if not per_node_place and self.nodes and self.nodes[0].source is not None:
            write(f"  every node built at {_place(self.nodes[0].source)}")
        write()
        write("Class")
        write("  <% time> <cumulative %> <us per call> <nodes> <op class>")
        cumulative = 0.0
        for name, spent, count in self.by_class()[:n_ops_to_print]:
            cumulative += spent
            write(f"  {100 * spent / total:6.1f}%  {100 * cumulative / total:6.1f}%  "
                  f"{1e6 * spent / self.calls:10.1f}  {count:5d}  {name}")
        write()
        write("Apply")
        write("  <% time> <us per call> <position> <node>")
        for position, node, spent in self.by_node()[:n_apply_to_print]:
            write(f"  {100 * spent / total:6.1f}%  {1e6 * spent / self.calls:10.1f}  "
                  f"{position:5d}  {_describe_node(node)}")
            if per_node_place and node.source is not None:
                write(f"                          built at {_place(node.source)}")


def _place(source):
    return f"{source.filename}:{source.lineno} ({source.text or source.function})"


def _describe_node(node):
    inputs = ", ".join(str(var.type) for var in node.inputs)
    outputs = ", ".join(str(var.type) for var in node.outputs)
    return f"{node.op}({inputs}) -> {outputs}"


def print_at_exit(stats):
    """Keep ``stats`` to print its summary (to stderr) when the process exits.

    >>> callable(print_at_exit)
    True
    """
    if not _PRINT_AT_EXIT:
        atexit.register(_print_all)
    _PRINT_AT_EXIT.append(stats)


def print_pending(file=None):
    """Print the summary of every profiled function that ran and was not printed yet.

    ``theanine train --profile`` calls it when training ends; at exit it prints
    what is left (to stderr). Returns how many summaries it printed.

    >>> print_pending()
    0
    """
    printed = 0
    for stats in _PRINT_AT_EXIT:
        if stats.calls and not stats.printed:
            stats.summary(file=file)
            print(file=sys.stdout if file is None else file)
            printed += 1
    return printed


def _print_all():
    print_pending(sys.stderr)


clock = time.perf_counter
