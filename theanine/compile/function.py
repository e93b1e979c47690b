"""``theanine.function``: compile symbolic inputs/outputs/updates into a callable.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x = T.dvector('x')
    >>> total = theanine.shared(np.float64(0.0), name='total')
    >>> f = theanine.function([x], T.sum(x), updates=[(total, total + T.sum(x))])
    >>> float(f(np.array([1.0, 2.0]))), float(total.get_value())
    (3.0, 3.0)
"""
from __future__ import annotations

import time
from collections import OrderedDict

from theanine.compile.fgraph import FunctionGraph
from theanine.compile.linker import link
from theanine.errors import (CompileError, ExecutionError, InputError, MissingInputError,
                             UnusedInputError)
from theanine.graph.basic import Constant, SharedVariable, Variable, ancestors
from theanine.graph.source import describe


class In:
    """An input with options: a default ``value``, a keyword ``name``.

    >>> import theanine, theanine.tensor as T
    >>> lr = T.dscalar('lr')
    >>> f = theanine.function([theanine.In(lr, value=0.1)], lr * 2)
    >>> float(f()), float(f(lr=1.0))
    (0.2, 2.0)
    """

    def __init__(self, variable, name=None, value=None, borrow=False, mutable=False,
                 strict=False, allow_downcast=None, implicit=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In: expected a symbolic variable, got {type(variable).__name__}")
        self.variable = variable
        self.name = name or variable.name
        self.value = value
        self.allow_downcast = allow_downcast


def _normalize_pairs(pairs, what):
    if pairs is None:
        return []
    if isinstance(pairs, (dict, OrderedDict)):
        return list(pairs.items())
    result = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise CompileError(f"{what} must be (variable, expression) pairs, got {pair!r}")
        result.append(tuple(pair))
    return result


def _variable_name(var):
    where = var.owner.source if var.owner is not None else getattr(var, "source", None)
    return f"{var.name or var.type}" + (f" ({where.filename}:{where.lineno})" if where else "")


def _check_updates(updates):
    from theanine.tensor.basic import as_tensor_variable
    checked, seen = [], set()
    for shared_var, value in updates:
        if not isinstance(shared_var, SharedVariable):
            raise CompileError(f"updates: {shared_var!r} is not a shared variable; only "
                               f"shared variables can be updated")
        if id(shared_var) in seen:
            raise CompileError(f"updates: {shared_var} is updated twice")
        seen.add(id(shared_var))
        if shared_var.is_tensor:
            value = as_tensor_variable(value)
        elif not isinstance(value, Variable):
            raise CompileError(f"updates: the new value of {shared_var} must be symbolic")
        if not shared_var.type.is_compatible(value.type):
            where = describe(value.owner.source if value.owner is not None else None)
            hint = ""
            if getattr(value.type, "dtype", None) != shared_var.type.dtype:
                hint = (f"; cast it with T.cast(expr, '{shared_var.type.dtype}') or build it "
                        f"from {shared_var.type.dtype} values")
            raise CompileError(
                f"updates: the new value of shared variable {shared_var.name or '<unnamed>'} "
                f"has type {value.type}, but the variable has type {shared_var.type}; an "
                f"update must keep the shared variable's type{hint}{where}")
        checked.append((shared_var, value))
    return checked


def _check_givens(givens):
    from theanine.tensor.basic import as_tensor_variable
    checked = []
    for var, replacement in givens:
        if not isinstance(var, Variable) or isinstance(var, Constant):
            raise CompileError(f"givens: keys must be symbolic variables, got {var!r}")
        replacement = as_tensor_variable(replacement) if not isinstance(
            replacement, Variable) else replacement
        if not var.type.is_compatible(replacement.type):
            where = describe(replacement.owner.source if replacement.owner else None)
            raise CompileError(f"givens: {var.name or var} has type {var.type} but its "
                               f"replacement has type {replacement.type}{where}")
        checked.append((var, replacement))
    return checked


def _default_updates(graph_vars, explicit):
    updated = {id(s) for s, _ in explicit}
    result = []
    for var in graph_vars:
        if isinstance(var, SharedVariable) and var.default_update is not None and \
                id(var) not in updated:
            result.append((var, var.default_update))
            updated.add(id(var))
    return result


def function(inputs, outputs=None, updates=None, givens=None, name=None, mode=None,
             on_unused_input="raise", allow_input_downcast=None, no_default_updates=False,
             profile=None, accept_inplace=False, rebuild_strict=True):
    """Compile a callable that computes ``outputs`` and applies ``updates``.

    ``inputs``: list of symbolic variables (or :class:`In`); ``outputs``: a
    variable or a list (the call returns the same form); ``updates``: pairs or
    a dict ``{shared: new_value}``, all computed from the values before the
    call; ``givens``: ``{variable: replacement}`` substituted before compiling;
    ``mode``: 'FAST_RUN' (rewrites on, default) or 'FAST_COMPILE' (no rewrites).
    """
    from theanine.config import config
    from theanine.tensor.basic import as_tensor_variable
    started = time.perf_counter()
    if not isinstance(inputs, (list, tuple)):
        raise CompileError("function: inputs must be a list of variables, e.g. "
                           "theanine.function([x], y)")
    specs = [i if isinstance(i, In) else In(i) for i in inputs]
    input_vars = [s.variable for s in specs]
    for var in input_vars:
        if isinstance(var, (Constant, SharedVariable)):
            raise CompileError(f"function: {var} is a {'constant' if isinstance(var, Constant) else 'shared variable'}"
                               f" and cannot be an input; shared variables are used implicitly")
    if len({id(v) for v in input_vars}) != len(input_vars):
        raise CompileError("function: the same variable appears twice in inputs")

    single = outputs is not None and not isinstance(outputs, (list, tuple))
    output_list = [] if outputs is None else [outputs] if single else list(outputs)
    output_list = [as_tensor_variable(o) for o in output_list]
    update_pairs = _check_updates(_normalize_pairs(updates, "updates"))
    given_pairs = _check_givens(_normalize_pairs(givens, "givens"))
    for var, _ in given_pairs:
        if any(var is v for v in input_vars):
            raise CompileError(f"givens: {var} is also an input; an input cannot be replaced")

    user_graph = output_list + [v for _, v in update_pairs]
    if not no_default_updates:
        extra = _default_updates(ancestors(user_graph + [r for _, r in given_pairs]),
                                 update_pairs)
        update_pairs += _check_updates(extra)
        user_graph = output_list + [v for _, v in update_pairs]

    fgraph = FunctionGraph(input_vars, user_graph, dict(given_pairs))
    _check_inputs_used(fgraph, specs, on_unused_input)
    mode = mode or config.mode
    if mode not in ("FAST_RUN", "FAST_COMPILE", "DEBUG_MODE", None):
        mode = getattr(mode, "name", mode)
    from theanine.rewrite import rewrite_graph
    rewrite_graph(fgraph, mode, n_outputs=len(output_list),
                  updated=[shared_var for shared_var, _ in update_pairs])

    n_out = len(output_list)
    outputs_final = fgraph.outputs[:n_out]
    updates_final = [(s, v) for (s, _), v in zip(update_pairs, fgraph.outputs[n_out:])]
    from theanine.backends import get_backend
    from theanine.rewrite.schedule import schedule
    nodes = schedule(fgraph, updates_final)
    stats = _profile_stats(profile, config, name, nodes)
    linked = link(nodes, input_vars, outputs_final, updates_final, get_backend(), stats)
    if stats is not None:
        stats.compile_seconds = time.perf_counter() - started
    return Function(specs, linked, single, outputs is None, name, allow_input_downcast,
                    fgraph, nodes, updates_final, stats)


def _profile_stats(profile, config, name, nodes):
    """The :class:`ProfileStats` the step records into, or None (not profiled).

    ``profile`` may be True, False, None (then ``config.profile`` decides) or
    a name for the profile.
    """
    from theanine.compile.profiling import ProfileStats, print_at_exit
    if profile is False or (profile is None and not config.profile):
        return None
    stats = ProfileStats(profile if isinstance(profile, str) else name, nodes)
    print_at_exit(stats)
    return stats


def _check_inputs_used(fgraph, specs, on_unused_input):
    graph_vars = ancestors(fgraph.outputs)
    reachable = {id(v) for v in graph_vars}
    input_ids = {id(s.variable) for s in specs}
    for var in graph_vars:
        if var.owner is None and not isinstance(var, (Constant, SharedVariable)) and \
                id(var) not in input_ids:
            raise MissingInputError(
                f"function: the outputs depend on {_variable_name(var)}, which is not among "
                f"the inputs; add it to inputs or replace it with givens")
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError("on_unused_input must be 'raise', 'warn' or 'ignore'")
    for position, spec in enumerate(specs):
        if id(spec.variable) not in reachable and on_unused_input != "ignore":
            message = (f"function: input {position} ({spec.name or spec.variable.type}) is not "
                       f"used to compute any output or update; pass on_unused_input='ignore' "
                       f"to allow it")
            if on_unused_input == "raise":
                raise UnusedInputError(message)
            import warnings
            warnings.warn(message, stacklevel=3)


class Function:
    """A compiled function; call it with values for its inputs."""

    def __init__(self, specs, linked, single, no_outputs, name, allow_input_downcast,
                 fgraph, nodes, updates, profile=None):
        self.specs = specs
        #: the :class:`~theanine.compile.profiling.ProfileStats` of a profiled function
        self.profile = profile
        self.linked = linked
        self.name = name
        self.fgraph = fgraph
        self.nodes = nodes
        self.updates = updates
        self._single = single
        self._no_outputs = no_outputs
        self._types = [s.variable.type for s in specs]
        self._downcast = [s.allow_downcast if s.allow_downcast is not None
                          else allow_input_downcast for s in specs]
        self._names = {s.name: k for k, s in enumerate(specs) if s.name}
        self._defaults = [s.value for s in specs]
        self._run = linked.run

    @property
    def source(self):
        """The generated Python source of the compiled step (for the curious)."""
        return self.linked.source

    def __call__(self, *args, **kwargs):
        n = len(self._types)
        if kwargs or len(args) != n:
            args = self._bind(args, kwargs)
        values = []
        for k, (value, type_) in enumerate(zip(args, self._types)):
            try:
                values.append(type_.filter(value, self._downcast[k], what=self._describe(k)))
            except InputError:
                raise
        try:
            results = self._run(*values)
        except Exception as exc:
            raise self._explain(exc) from exc
        if self._no_outputs:
            return []
        return results[0] if self._single else results

    def run_checked_inputs(self, *values):
        """The outputs (always a list) for values already of the inputs' exact types.

        Skips the conversion and checks of ``__call__``; for a caller that has
        checked the values itself, such as a scan loop after its first step.
        Failures are reported as ``__call__`` reports them.
        """
        try:
            return self._run(*values)
        except Exception as exc:
            raise self._explain(exc) from exc

    def _describe(self, k):
        spec = self.specs[k]
        label = f"input {k}" + (f" ({spec.name})" if spec.name else "")
        return f"{self.name or 'function'}: {label}"

    def _bind(self, args, kwargs):
        n = len(self._types)
        if len(args) > n:
            raise InputError(f"{self.name or 'function'}: takes {n} inputs, got {len(args)}")
        bound = list(args) + [_MISSING] * (n - len(args))
        for key, value in kwargs.items():
            if key not in self._names:
                raise InputError(f"{self.name or 'function'}: no input named {key!r}; "
                                 f"inputs are {[s.name for s in self.specs]}")
            bound[self._names[key]] = value
        for k, value in enumerate(bound):
            if value is _MISSING:
                if self._defaults[k] is None:
                    raise InputError(f"{self.name or 'function'}: takes {n} inputs, got "
                                     f"{len(args) + len(kwargs)}; input {k} "
                                     f"({self.specs[k].name or self._types[k]}) is missing")
                bound[k] = self._defaults[k]
        return bound

    def _explain(self, exc):
        tb = exc.__traceback__
        node, frame = None, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.linked.filename:
                node = self.linked.line_to_node.get(tb.tb_lineno)
                frame = tb.tb_frame
            tb = tb.tb_next
        if node is None:
            return exc if isinstance(exc, Exception) else ExecutionError(str(exc))
        details = []
        for arg in self.linked.node_arg_names.get(id(node), []):
            value = frame.f_locals.get(arg) if frame is not None else None
            if value is not None:
                details.append(f"{getattr(value, 'shape', ())} {getattr(value, 'dtype', '')}")
        inputs = f" on inputs of shape/dtype {', '.join(details)}" if details else ""
        return ExecutionError(f"{self.name or 'function'}: {node.op} failed{inputs}: "
                              f"{type(exc).__name__}: {exc}{describe(node.source)}"
                              f"{_hint(exc)}")


_MISSING = object()


def _hint(exc):
    """What to do about a failure whose NumPy message is obscure, or ''."""
    if isinstance(exc, ValueError) and "non-broadcastable output operand" in str(exc):
        # A fused kernel writes into a buffer shaped like an input that the graph
        # believed full-size; Theano raised here too (dimensions are broadcast only
        # where the type says so).
        return ("\n  hint: an input has length 1 on an axis that its type does not mark "
                "broadcastable; declare it (T.row, T.col, a shape with 1, "
                "x.dimshuffle('x', 0)) so that the graph broadcasts it")
    return ""
