"""Graph rewrites: named passes run in an explicit order.

``PIPELINE`` lists the passes of the default mode ('FAST_RUN'), in order;
'FAST_COMPILE' runs none of them. Each pass is a function
``pass_(fgraph) -> number of changes`` registered with :func:`register_pass`.

The order, and why:

1. ``merge``: identical subexpressions and equal constants become one, so
   every later pattern sees one node per value.
2. ``constant_fold``: constant subexpressions and known shapes become constants.
3. ``canonicalize``: ``x*1``, ``--x``, useless fills/casts/dimshuffles... go,
   so that stabilization matches one canonical form.
4. ``stabilize``: ``log(softmax)``, ``log(sigmoid)``, the softmax cross-entropy
   and its gradient become stable ops.
5. ``canonicalize`` again: cleans up what stabilization leaves (``--x``...).
6. ``cancel``: common factors of products and quotients go, so that gradients
   such as ``g / (1 - s) * s * (1 - s)`` of a saturated sigmoid are not
   ``0 / 0``; after canonicalize (one form of ``--x``, ``x * 1``...) and
   before fusion, which would hide the factors inside ``Fused`` programs.
7. ``merge`` again: rewrites may have built the same node twice.
8. ``share_columns``: a convolution and its filters' gradient gather the
   same image columns once (after differentiation: the paired ops have no
   gradient).
9. ``gemm``: ``a * C + b * dot(A, B)`` becomes one BLAS ``Gemm`` (the SGD
   update of a weight matrix, L2 term included); before fusion, which would
   hide the sum inside a ``Fused`` program.
10. ``fuse``: chains of elementwise ops become one ``Fused`` node each.
11. ``inplace``: updates and single-use temporaries are overwritten in place
    (a ``Gemm`` writes into its ``C``).

A function graph being rewritten carries ``fgraph.n_outputs`` (its first
outputs are the function's outputs) and ``fgraph.updated`` (the shared
variable that each later output updates), set by :func:`rewrite_graph`.

Example:
    >>> from theanine.rewrite import PIPELINE
    >>> PIPELINE[0], PIPELINE[-1]
    ('merge', 'inplace')
"""
from __future__ import annotations

PASSES = {}
#: The order in which the FAST_RUN passes run (a name may appear twice).
PIPELINE = ["merge", "constant_fold", "canonicalize", "stabilize", "canonicalize", "cancel",
            "merge", "share_columns", "gemm", "fuse", "inplace"]


def register_pass(name, position=None):
    """Decorator adding ``pass_(fgraph)`` to the pipeline under ``name``."""
    def wrap(fn):
        PASSES[name] = fn
        if name not in PIPELINE:
            PIPELINE.insert(len(PIPELINE) if position is None else position, name)
        return fn
    return wrap


def rewrite_graph(fgraph, mode="FAST_RUN", n_outputs=None, updated=()):
    """Run the passes of ``mode`` over ``fgraph`` in place; returns ``{pass: changes}``.

    ``n_outputs``: how many of ``fgraph.outputs`` the function returns (default
    all); ``updated``: the shared variables that the remaining outputs update.
    """
    _load_passes()
    fgraph.n_outputs = len(fgraph.outputs) if n_outputs is None else n_outputs
    fgraph.updated = list(updated)
    if mode in ("FAST_COMPILE", "DEBUG_MODE"):
        return {}
    changes = {}
    for name in PIPELINE:
        changes[name] = changes.get(name, 0) + PASSES[name](fgraph)
    return changes


def _load_passes():
    # Importing the modules registers their passes.
    from theanine.rewrite import (cancel, canonicalize, constant_fold, fusion,  # noqa: F401
                                  gemm, inplace, merge, share_columns, stabilize)
