"""Graph rewrites: named passes run in an explicit order.

``PIPELINE`` lists the passes of the default mode ('FAST_RUN'), in order;
'FAST_COMPILE' runs none of them. Each pass is a function
``pass_(fgraph) -> number of changes`` registered with :func:`register_pass`.

Example:
    >>> from theanine.rewrite import PIPELINE
    >>> PIPELINE[0]
    'merge'
"""
from __future__ import annotations

PASSES = {}
#: The order in which the FAST_RUN passes run (DESIGN.md: merge → constant-fold →
#: canonicalize → stabilize → fuse → in-place).
PIPELINE = ["merge"]


def register_pass(name, position=None):
    """Decorator adding ``pass_(fgraph)`` to the pipeline under ``name``."""
    def wrap(fn):
        PASSES[name] = fn
        if name not in PIPELINE:
            PIPELINE.insert(len(PIPELINE) if position is None else position, name)
        return fn
    return wrap


def rewrite_graph(fgraph, mode="FAST_RUN", n_outputs=None):
    """Run the passes of ``mode`` over ``fgraph`` in place; returns ``{pass: changes}``."""
    _load_passes()
    if mode in ("FAST_COMPILE", "DEBUG_MODE"):
        return {}
    return {name: PASSES[name](fgraph) for name in PIPELINE}


def _load_passes():
    # Importing the modules registers their passes.
    from theanine.rewrite import merge  # noqa: F401
