"""Cancellation: common factors of a product and its divisors go.

``grad`` writes each op's derivative on its own, so the gradient of
``log(1 - sigmoid(a))`` is ``g / (1 - s) * s * (1 - s)``: once float32 ``s``
rounds to 1 that is ``0 / 0``. Theano's multiplication canonicalizer and its
distributor cancelled such factors; this pass does the same, in general:

* a tree of Elemwise ``mul``, ``true_div``, ``neg``, ``sqr`` and
  ``reciprocal`` nodes is read as ``sign * prod(numerator) / prod(denominator)``
  (an inner node joins the tree when the tree is its only reader and it has
  the root's dtype, so no work is duplicated and no precision changes; the
  broadcast dimensions that elementwise ops add on the left are looked through);
* a factor found in both the numerator and the denominator leaves both;
* a numerator factor that is a sum (``add``/``sub``/``neg`` tree, same
  conditions) takes in the outer factors that cancel in one of its terms:
  ``(a / (1 - s) + b / s) * s * (1 - s)`` becomes ``a * s + b * (1 - s)``,
  which is the form ``grad`` gives the tutorials' sigmoid cross-entropy.

Factors are compared by value, not by node: the same op applied to the same
values (equal constants; a variable and its left-padded broadcast, which an
elementwise product cannot tell apart) is the same factor, merged or not.

The rebuilt expression has the replaced node's dtype and static shape: a
cancelled factor that gave the result a dimension keeps it through
``second(factor, result)``. As everywhere in the rewrites, the static type is
the shape contract: dimensions that are not statically 1 do not broadcast.
Like Theano, cancelling takes ``x / x`` to 1 also where ``x`` is 0.

Example:
    >>> import theanine.tensor as T
    >>> from theanine.compile.fgraph import FunctionGraph
    >>> a = T.vector('a')
    >>> s = T.nnet.sigmoid(a)
    >>> fg = FunctionGraph([a], [T.grad(T.sum(T.log(1 - s)), a)])
    >>> cancel(fg)
    1
    >>> 'true_div' in str([n.op for n in fg.toposort()])
    False
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theanine.graph.basic import Constant
from theanine.graph.dtypes import result_dtype
from theanine.ops.elemwise import DimShuffle, Elemwise
from theanine.rewrite import register_pass
from theanine.rewrite.local import MAX_ROUNDS, is_elemwise, rewrite_locally

_PRODUCT = ("mul", "true_div", "neg", "sqr", "reciprocal")
_SUM = ("add", "sub", "neg")


def _tensor():
    from theanine.tensor import basic
    return basic


@dataclass
class _Product:
    """``sign * prod(num) / prod(den)``; ``cancelled`` keeps the factors that left."""

    sign: int = 1
    num: list = field(default_factory=list)
    den: list = field(default_factory=list)
    cancelled: list = field(default_factory=list)


class _ValueKeys:
    """Small integers naming values: equal keys mean equal values up to left padding."""

    def __init__(self):
        self._memo = {}    # id(var) -> (var, key); holding var keeps its id unique
        self._table = {}   # structural description -> key

    def __call__(self, var):
        stack = [var]
        while stack:
            top = stack[-1]
            if id(top) in self._memo:
                stack.pop()
                continue
            owner = top.owner
            missing = [v for v in owner.inputs if id(v) not in self._memo] if owner else []
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            if _is_padding(top.owner):
                key = self._memo[id(top.owner.inputs[0])][1]
            else:
                key = self._table.setdefault(self._describe(top), len(self._table))
            self._memo[id(top)] = (top, key)
        return self._memo[id(var)][1]

    def _describe(self, var):
        if isinstance(var, Constant):
            data = np.asarray(var.data)
            return ("constant", data.dtype.str, _without_leading_ones(data.shape),
                    data.tobytes())
        node = var.owner
        if node is None:
            return ("input", id(var))
        inputs = [self._memo[id(v)][1] for v in node.inputs]
        if not isinstance(node.op, Elemwise):
            # Other ops see the number of dimensions, which left padding changes.
            inputs = [(key, v.ndim) for key, v in zip(inputs, node.inputs)]
        return ("apply", node.op, tuple(inputs), node.outputs.index(var))


def _without_leading_ones(shape):
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def _is_padding(node):
    """True for a DimShuffle node that only adds broadcast dimensions on the left,
    as elementwise ops do to their inputs anyway."""
    if node is None or not isinstance(node.op, DimShuffle):
        return False
    op = node.op
    n_new = len(op.new_order) - op.input_ndim
    return n_new >= 0 and op.new_order == ("x",) * n_new + tuple(range(op.input_ndim))


class _Canceller:
    """The cancelling rewriter for one state of a function graph."""

    def __init__(self, fgraph):
        self.nodes = fgraph.toposort()   # keeps every var alive, so ids stay unique
        self.clients = fgraph.clients()
        self.key = _ValueKeys()

    def __call__(self, node):
        if not is_elemwise(node, *_PRODUCT) or self._joins_reader(node.outputs[0]):
            return None
        root = node.outputs[0]
        product = _Product()
        self._read_product(root, root.dtype, product, inverted=False, expand=True)
        if not self._simplify(product, root.dtype):
            return None
        new = _build(product, root.dtype, root.type)
        return None if new is None else [new]

    # ------------------------------------------------------------ reading trees

    def _sole_reader(self, var):
        readers = self.clients.get(id(var), ())
        if len(readers) != 1 or readers[0][0] == "output":
            return None
        return readers[0][0]

    def _unpadded(self, var):
        """``var`` without the left padding that only its tree reads."""
        while _is_padding(var.owner) and self._sole_reader(var) is not None:
            var = var.owner.inputs[0]
        return var

    def _expands(self, var, names, dtype):
        """The node that ``var`` (less padding) brings into a tree of ``names`` ops
        with result ``dtype``, or None if it is a leaf of that tree."""
        inner = self._unpadded(var)
        if is_elemwise(inner.owner, *names) and inner.dtype == dtype and \
                self._sole_reader(inner) is not None:
            return inner.owner
        return None

    def _joins_reader(self, var):
        # Its reader's tree contains it: rewriting it alone would be redone there.
        reader = self._sole_reader(var)
        while _is_padding(reader):
            reader = self._sole_reader(reader.outputs[0])
        return reader is not None and is_elemwise(reader, *_PRODUCT) and \
            reader.outputs[0].dtype == var.dtype

    def _read_product(self, var, dtype, product, inverted, expand=False):
        node = var.owner if expand else self._expands(var, _PRODUCT, dtype)
        if node is None:
            (product.den if inverted else product.num).append(var)
            return
        name, inputs = node.op.scalar_name, node.inputs
        if name == "neg":
            product.sign = -product.sign
        sides = {"mul": (inverted, inverted), "sqr": (inverted, inverted),
                 "true_div": (inverted, not inverted), "reciprocal": (not inverted,),
                 "neg": (inverted,)}[name]
        operands = inputs * 2 if name == "sqr" else inputs
        for operand, side in zip(operands, sides):
            self._read_product(operand, dtype, product, side)

    def _read_sum(self, var, dtype, sign, terms, expand=False):
        node = var.owner if expand else self._expands(var, _SUM, dtype)
        if node is None:
            terms.append((sign, var))
            return
        name, inputs = node.op.scalar_name, node.inputs
        signs = {"add": (sign, sign), "sub": (sign, -sign), "neg": (-sign,)}[name]
        for operand, term_sign in zip(inputs, signs):
            self._read_sum(operand, dtype, term_sign, terms)

    # ------------------------------------------------------------ cancelling

    def _simplify(self, product, dtype):
        """Cancel in place; True if any factor went."""
        changed = self._cancel(product)
        k = 0
        while k < len(product.num):
            position = self._distribute(product, k, dtype)
            changed = changed or position is not None
            k = (k if position is None else position) + 1
        return changed

    def _cancel(self, product):
        remaining = []
        for divisor in product.den:
            key = self.key(divisor)
            match = next((i for i, f in enumerate(product.num) if self.key(f) == key), None)
            if match is None:
                remaining.append(divisor)
            else:
                product.cancelled += [product.num.pop(match), divisor]
        changed = len(remaining) < len(product.den)
        product.den = remaining
        return changed

    def _distribute(self, product, k, dtype):
        """Move outer factors into the sum ``product.num[k]`` where they cancel in one
        of its terms; the sum's new position, or None if nothing moved."""
        total = self._expands(product.num[k], ("add", "sub"), dtype)
        if total is None:
            return None
        signed_terms = []
        self._read_sum(total.outputs[0], dtype, 1, signed_terms, expand=True)
        terms = []
        for sign, term in signed_terms:
            parts = _Product(sign=sign)
            self._read_product(term, dtype, parts, inverted=False)
            terms.append(parts)
        others = product.num[:k] + product.num[k + 1:]
        moved_num = self._movable(others, [t.den for t in terms])
        moved_den = self._movable(product.den, [t.num for t in terms])
        if not moved_num and not moved_den:
            return None
        signed_built = []
        for parts in terms:
            parts.num += [others[i] for i in moved_num]
            parts.den += [product.den[i] for i in moved_den]
            self._simplify(parts, dtype)
            sign, parts.sign = parts.sign, 1   # the sum adds or subtracts the term
            signed_built.append((sign, _build(parts, dtype)))
        head = [f for i, f in enumerate(others[:k]) if i not in moved_num]
        tail = [f for i, f in enumerate(others[k:], k) if i not in moved_num]
        product.num = head + [_sum(signed_built)] + tail
        product.den = [f for i, f in enumerate(product.den) if i not in moved_den]
        return len(head)

    def _movable(self, factors, groups):
        """Positions of the ``factors`` that some group holds (each value at most as
        often as one group holds it)."""
        most = {}
        for group in groups:
            counts = {}
            for f in group:
                key = self.key(f)
                counts[key] = counts.get(key, 0) + 1
            for key, n in counts.items():
                most[key] = max(most.get(key, 0), n)
        moved = set()
        for i, f in enumerate(factors):
            key = self.key(f)
            if most.get(key, 0) > 0:
                most[key] -= 1
                moved.add(i)
        return moved


def _build(product, dtype, target=None):
    """``product`` as a variable of ``dtype``, and of type ``target`` when given (None
    if that type cannot be had)."""
    T = _tensor()
    num, den = list(product.num), list(product.den)
    if num and result_dtype([f.dtype for f in num + den]) != dtype:
        num[0] = T.cast(num[0], dtype)   # compute in the replaced node's precision
    value = num[0] if num else T.constant(np.ones((), dtype=dtype))
    for f in num[1:]:
        value = T.mul(value, f)
    for f in den:
        value = T.true_div(value, f)
    if product.sign < 0:
        value = T.neg(value)
    if value.dtype != dtype:
        value = T.cast(value, dtype)
    # A cancelled factor may have been what gave the result a dimension.
    for f in product.cancelled:
        filled = T.second(f, value)
        if filled.type.shape != value.type.shape:
            value = filled
    if target is not None and value.type != target:
        return None
    return value


def _sum(signed_terms):
    """``±t0 ± t1 ...`` from ``[(sign, t), ...]``, starting with an added term if any."""
    T = _tensor()
    ordered = sorted(signed_terms, key=lambda st: st[0] < 0)
    sign, value = ordered[0]
    if sign < 0:
        value = T.neg(value)
    for sign, term in ordered[1:]:
        value = T.add(value, term) if sign > 0 else T.sub(value, term)
    return value


@register_pass("cancel")
def cancel(fgraph):
    """Cancel common factors of products and quotients (see the module docstring)."""
    total = 0
    for _ in range(MAX_ROUNDS):
        # Each round reads who uses what afresh: the nodes built in the last one
        # may now join bigger trees.
        changes = rewrite_locally(fgraph, [_Canceller(fgraph)])
        total += changes
        if not changes:
            break
    return total
