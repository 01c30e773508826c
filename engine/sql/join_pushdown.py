"""WHERE conjuncts through a chain of explicit joins: outer-join reduction and pushdown (as PostgreSQL does).

The planner builds ``FROM x [INNER|LEFT|RIGHT|FULL|CROSS] JOIN y …`` as a left-deep tree of
:class:`engine.sql.plan.Join` nodes and applies WHERE on top. :func:`rewrite` walks each WHERE conjunct down that
tree while every join it passes keeps the referenced side's rows (both sides of an inner/cross join, the left side of
a left join, the right side of a right join), so filtering below gives the same rows as filtering above:

* outer-join reduction: a conjunct that cannot be true when a column of a join's nullable side is NULL (strict —
  only comparisons, arithmetic, casts, LIKE, IN lists, BETWEEN, IS NOT NULL, AND/OR over them) turns that
  left/right join into an inner one (a full join into a left, right or inner one); ``s.x IS NULL`` (anti-join)
  or ``COALESCE(s.x, 0) = 0`` are not strict and reduce nothing;
* pushdown: a conjunct whose columns all lie in one input that the join preserves is attached to that input
  (a table scan then gets its index access or columnar filter, :func:`engine.sql.planner.pushdown`).

Never moved: conjuncts with subqueries, aggregates, window or set-returning functions, volatile functions
(``random()``, ``nextval()``), no column of this level, or columns of both inputs of a join; they stay in the
WHERE filter on top. A subtree that is not a plain :class:`~engine.sql.plan.Join` (the comma-join group, a lateral
join, a USING full/right join's merged columns) is a leaf: conjuncts stop on top of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from engine.functions import lookup
from engine.sql import plan
from engine.sql.compiler import func_name, is_aggregate
from engine.sql.dialect import DIALECT
from engine.sql.scope import Scope

# operators/functions that are NULL when an operand is NULL (the strict ones whose operands we look into)
_STRICT_BINARY = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod,
                  exp.Like, exp.ILike)
_VOLATILE_NODES = (exp.Rand, exp.Uuid)
_NO_PUSH_NODES = (exp.Subquery, exp.Select, exp.Exists, exp.Window, exp.Star) + _VOLATILE_NODES


def _resolve(scope: Scope, c: exp.Column) -> int | None:
    """Top-scope index of a column of this query level; -1 for an outer reference; None when unresolvable."""
    if isinstance(c.this, exp.Star) or c.args.get("db") or c.args.get("catalog"):
        return None
    try:
        d, i, _ = scope.resolve(c.table or None, c.name)
    except Exception:  # noqa: BLE001 - ambiguous/unknown: the WHERE filter on top reports it
        return None
    return i if d == 0 else -1


def volatile(e: exp.Expression) -> bool:
    """Whether ``e`` calls a volatile (``random()``, ``nextval()``) or set-returning function."""
    for n in e.walk():
        if isinstance(n, _VOLATILE_NODES):
            return True
        if isinstance(n, exp.Func):
            name = func_name(n) or n.sql_name().lower()
            if any(f.volatile or f.set_returning for f in lookup(name)):
                return True
    return False


def movable_columns(e: exp.Expression, scope: Scope) -> set[int] | None:
    """The local columns of a conjunct that may move below a join, or None when it must stay where it is."""
    if volatile(e) or any(isinstance(n, _NO_PUSH_NODES) or is_aggregate(n) for n in e.walk()):
        return None
    out: set[int] = set()
    for c in e.find_all(exp.Column):
        i = _resolve(scope, c)
        if i is None:
            return None
        if i >= 0:
            out.add(i)
    return out or None


def nonnull_columns(e: exp.Expression, scope: Scope) -> set[int]:
    """Columns (top-scope indexes) that are non-NULL in every row where ``e`` is true (PostgreSQL's
    find_nonnullable_vars, restricted to operators known strict); empty when unsure."""
    if isinstance(e, exp.Paren):
        return nonnull_columns(e.this, scope)
    if isinstance(e, exp.Column):
        i = _resolve(scope, e)
        return {i} if i is not None and i >= 0 else set()
    if isinstance(e, exp.Is):  # x IS NOT NULL (x IS NULL and IS [NOT] TRUE/FALSE are not strict)
        neg = e.args.get("negate") and isinstance(e.expression, exp.Null)
        return _strict_operand(e.this, scope) if neg else set()
    if isinstance(e, exp.And):
        return nonnull_columns(e.this, scope) | nonnull_columns(e.expression, scope)
    if isinstance(e, exp.Or):
        return nonnull_columns(e.this, scope) & nonnull_columns(e.expression, scope)
    if isinstance(e, exp.Not):
        inner = e.this.unnest() if isinstance(e.this, exp.Paren) else e.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null) and not inner.args.get("negate"):
            return _strict_operand(inner.this, scope)  # NOT (x IS NULL)
        if isinstance(inner, (exp.Column,) + _STRICT_BINARY):
            return nonnull_columns(inner, scope)  # NOT of a strict expression is NULL on NULL
        return set()
    if isinstance(e, _STRICT_BINARY):
        return _strict_operand(e.this, scope) | _strict_operand(e.expression, scope)
    if isinstance(e, exp.In) and not e.args.get("query") and not e.args.get("unnest") and not e.args.get("field"):
        return _strict_operand(e.this, scope)
    if isinstance(e, exp.Between) and not e.args.get("symmetric"):
        return _strict_operand(e.this, scope) | _strict_operand(e.args["low"], scope) \
            | _strict_operand(e.args["high"], scope)
    return set()


def _strict_operand(e: exp.Expression, scope: Scope) -> set[int]:
    """Columns an operand value is NULL without (a column, or strict arithmetic/casts over columns)."""
    if isinstance(e, exp.Paren):
        return _strict_operand(e.this, scope)
    if isinstance(e, exp.Column):
        i = _resolve(scope, e)
        return {i} if i is not None and i >= 0 else set()
    if isinstance(e, exp.Neg) or (isinstance(e, exp.Cast) and not isinstance(e, exp.TryCast)):
        return _strict_operand(e.this, scope)
    if isinstance(e, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)):
        return _strict_operand(e.this, scope) | _strict_operand(e.expression, scope)
    return set()


def _reduce(j: plan.Join, lo: int, mid: int, hi: int, nonnull: set[int]) -> bool:
    """Turn ``j`` (left columns lo..mid, right mid..hi) into a less outer join when ``nonnull`` rejects the NULL
    rows of a nullable side; True when its kind changed."""
    lnn = any(lo <= i < mid for i in nonnull)
    rnn = any(mid <= i < hi for i in nonnull)
    kind = j.kind
    if kind == "left" and rnn:
        kind = "inner"
    elif kind == "right" and lnn:
        kind = "inner"
    elif kind == "full" and (lnn or rnn):
        kind = "inner" if lnn and rnn else ("left" if lnn else "right")
    if kind == j.kind:
        return False
    j.kind = kind
    j.__dict__.pop("_columnar", None)  # the columnar shape depends on the kind
    return True


def _descend(top: plan.Step, group: plan.Step | None, cols: set[int], nonnull: set[int] | None) -> tuple[Any, str, bool]:
    """Walk a conjunct using ``cols`` down from ``top``: (join, 'left'|'right', changed) where it can be attached, or
    (None, '', changed) when it stays on top. With ``nonnull`` given, reduces the outer joins it passes."""
    node, lo, changed = top, 0, False
    target: Any = None
    side = ""
    while type(node) is plan.Join and node is not group:
        mid = lo + len(node.left.cols)
        hi = mid + len(node.right.cols)
        if nonnull is not None and _reduce(node, lo, mid, hi, nonnull):
            changed = True
        inleft = all(lo <= i < mid for i in cols)
        inright = all(mid <= i < hi for i in cols)
        if inleft and node.kind in ("inner", "cross", "left"):
            target, side, node = node, "left", node.left
        elif inright and node.kind in ("inner", "cross", "right"):
            target, side, node, lo = node, "right", node.right, mid
        else:
            break
    return target, side, changed


def reduce_below(top: plan.Step, group: plan.Step | None, nonnull: set[int]) -> bool:
    """Reduce the outer joins under ``top`` whose nullable side holds a column of ``nonnull`` (columns of ``top``
    that are non-NULL in every row a filter on ``top`` keeps; ``group``: a subtree not entered, None for none);
    True when a join changed."""
    changed = False
    for i in nonnull:  # the path of each null-rejected column keeps the filter's rows (see _descend)
        changed |= _descend(top, group, {i}, nonnull)[2]
    return changed


def rewrite(top: plan.Step, group: plan.Step, conjuncts: list[exp.Expression], scope: Scope,
            attach: Callable[[plan.Step, list[exp.Expression]], plan.Step], done_in_group: set[str]) -> set[str]:
    """Reduce the outer joins of the tree under ``top`` that WHERE ``conjuncts`` null-reject, then push the movable
    conjuncts onto the join inputs that preserve them (``attach(input, conjuncts)`` returns the filtered input).
    ``group`` is the bottom-left input (the comma-join group, never entered; ``done_in_group``: the conjunct texts
    it already applies). Returns the texts of the conjuncts now applied below, which the WHERE filter may skip."""
    strict = [nonnull_columns(c, scope) for c in conjuncts]
    while any([reduce_below(top, group, nn) for nn in strict]):
        pass  # a reduced join lets other conjuncts pass (and reduce joins below it)
    placed: dict[tuple[int, str], tuple[plan.Join, list[exp.Expression]]] = {}
    done: set[str] = set()
    for c in conjuncts:
        cols = movable_columns(c, scope)
        if cols is None:
            continue
        j, side, _ = _descend(top, group, cols, None)
        if j is None:
            continue
        text = c.sql(dialect=DIALECT)
        child = j.left if side == "left" else j.right
        if child is group and text in done_in_group:
            done.add(text)
            continue
        placed.setdefault((id(j), side), (j, []))[1].append(c)
        done.add(text)
    for (_, side), (j, conj) in placed.items():
        if side == "left":
            j.left = attach(j.left, conj)
        else:
            j.right = attach(j.right, conj)
        j.__dict__.pop("_columnar", None)
    return done


__all__ = ["movable_columns", "nonnull_columns", "reduce_below", "rewrite", "volatile"]
