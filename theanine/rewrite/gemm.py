"""GEMM: ``a * C + b * dot(A, B)`` (and any sum of scaled terms holding them) -> ``Gemm``.

Training steps are full of this pattern: the SGD update ``W - lr * (dot(x.T, g)
+ l2 * W)`` is ``(1 - lr * l2) * W + (-lr) * dot(x.T, g)``, and momentum's
``mu * v - lr * dot(...)`` is another. As elementwise ops they cost a GEMM into a
temporary plus several passes over the matrix; as one :class:`~theanine.ops.blas.Gemm`
they cost the GEMM alone (BLAS scales ``C`` while adding the product), and the
``inplace`` pass then lets the Gemm write into ``W``'s own buffer. Theano had the
same rewrite (``gemm_optimizer``) for the same reason.

An elementwise tree of ``add``, ``sub``, ``neg``, multiplication and division by
scalars (constants, or 0-d variables broadcast with ``dimshuffle``) is read as a
list of terms ``coefficient * leaf``, equal leaves merged. When one leaf is the
product of two matrices that nothing else reads and another leaf has the tree's
own type, those two become one Gemm and the other terms are added to it. Inner
nodes of the tree must have no other reader (else their value would be computed
twice). The coefficients become small scalar graphs; constant ones are folded
to one number.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> x, g = T.matrix('x'), T.matrix('g')
    >>> W = theanine.shared(np.zeros((3, 2), dtype='float32'), name='W')
    >>> step = theanine.function([x, g], [], updates=[(W, W - 0.1 * (T.dot(x.T, g) + 0.01 * W))])
    >>> [str(n.op) for n in step.nodes if 'Gemm' in str(n.op)]
    ['Gemm{inplace}']
"""
from __future__ import annotations

import numpy as np

from theanine.ops.blas import Dot, Gemm
from theanine.ops.elemwise import DimShuffle, Elemwise
from theanine.ops.shape import SpecifyShape
from theanine.rewrite import register_pass
from theanine.rewrite.local import constant_fill, inherit_source

_LINEAR = ("add", "sub", "neg", "mul", "true_div")


@register_pass("gemm")
def gemm(fgraph):
    """Replace each sum of scaled terms holding a matrix product by a ``Gemm``."""
    changes, seen = 0, set()
    while True:
        clients = fgraph.clients()
        order = fgraph.toposort()
        for node in reversed(order):
            if id(node) in seen or not _is_root(node):
                continue
            terms, inner = _terms(node.outputs[0], clients)
            seen.update(inner)
            new = _gemm_from_terms(node.outputs[0], terms, clients)
            if new is not None:
                # New nodes point at the user's line of the sum they replace.
                inherit_source(new, {id(n) for n in order}, node.source)
                fgraph.replace(node.outputs[0], new)
                changes += 1
                break          # the graph changed: recompute clients and order
        else:
            return changes


def _is_root(node):
    if not isinstance(node.op, Elemwise) or node.op.scalar_name not in ("add", "sub"):
        return False
    out = node.outputs[0]
    return out.ndim == 2 and np.dtype(out.dtype).kind == "f"


def _terms(root, clients):
    """``([(leaf, [(number, factors)]), ...], ids of the tree's nodes)`` for ``root``.

    Each term's coefficient is a sum of monomials ``number * prod(factors)``,
    ``factors`` being 0-d variables.
    """
    terms, order, inner = {}, [], set()

    def visit(var, number, factors):
        node = var.owner
        private = var is root or _single_reader(var, clients)
        if node is not None and private:
            inner.add(id(node))
            op = node.op
            if isinstance(op, Elemwise) and op.scalar_name in _LINEAR:
                name, args = op.scalar_name, node.inputs
                if name == "add":
                    for a in args:
                        visit(a, number, factors)
                    return
                if name == "sub":
                    visit(args[0], number, factors)
                    visit(args[1], -number, factors)
                    return
                if name == "neg":
                    visit(args[0], -number, factors)
                    return
                if name == "mul":
                    for k in (0, 1):
                        scale = _scalar(args[k])
                        if scale is not None and _scalar(args[1 - k]) is None:
                            visit(args[1 - k], *_times(number, factors, scale))
                            return
                if name == "true_div":
                    value = _scalar(args[1])
                    if isinstance(value, float) and value != 0:
                        visit(args[0], number / value, factors)
                        return
            elif isinstance(op, SpecifyShape):
                visit(node.inputs[0], number, factors)
                return
            inner.discard(id(node))
        if id(var) not in terms:
            terms[id(var)] = (var, [])
            order.append(id(var))
        terms[id(var)][1].append((number, factors))

    visit(root, 1.0, ())
    return [terms[k] for k in order], inner


def _single_reader(var, clients):
    readers = clients.get(id(var), ())
    return len(readers) == 1 and readers[0][0] != "output"


def _scalar(var):
    """A float for a constant scalar-shaped ``var``, a 0-d variable it broadcasts, or None."""
    if not all(var.type.broadcastable):
        return None
    fill = constant_fill(var)
    if fill is not None:
        return float(fill)
    if var.ndim == 0:
        return var
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.inputs[0].ndim == 0:
        return node.inputs[0]
    return None


def _times(number, factors, scale):
    if isinstance(scale, float):
        return number * scale, factors
    return number, factors + (scale,)


def _gemm_from_terms(root, terms, clients):
    dots = [k for k, (leaf, _) in enumerate(terms) if _is_matrix_product(leaf, root, clients)]
    cs = [k for k, (leaf, _) in enumerate(terms) if leaf.type == root.type and k not in dots[:1]]
    if not dots or not cs:
        return None
    d, c = dots[0], cs[0]
    product, C = terms[d][0], terms[c][0]
    A, B = product.owner.inputs
    out = Gemm()(C, _coefficient(terms[d][1], root.dtype), A, B,
                 _coefficient(terms[c][1], root.dtype))
    for k, (leaf, monomials) in enumerate(terms):
        if k not in (d, c):
            out = out + _coefficient(monomials, root.dtype) * leaf
    return out if out.type == root.type else None


def _is_matrix_product(var, root, clients):
    node = var.owner
    return node is not None and isinstance(node.op, Dot) and \
        all(v.ndim == 2 for v in node.inputs) and var.dtype == root.dtype and \
        _single_reader(var, clients)


def _coefficient(monomials, dtype):
    """The scalar graph ``sum(number * prod(factors))``, constants folded."""
    from theanine.tensor.basic import cast, constant
    constant_part = sum(n for n, factors in monomials if not factors)
    symbolic = [(n, factors) for n, factors in monomials if factors]
    total = constant(np.asarray(constant_part, dtype=dtype)) \
        if constant_part or not symbolic else None
    for number, factors in symbolic:
        term = factors[0]
        for f in factors[1:]:
            term = term * f
        if number != 1:
            term = term * constant(np.asarray(number, dtype=term.dtype))
        total = term if total is None else total + term
    return total if total.dtype == dtype else cast(total, dtype)
