"""INSERT / UPDATE / DELETE (+ ON CONFLICT, RETURNING) and COPY FROM's row sink, through the store's Txn.

Each statement runs in the session's transaction (or its own, in autocommit) and is all-or-nothing: the store
reverts a failing statement's partial writes. Values are assignment-cast to the column types; defaults
(serial/identity sequences included) and CHECK constraints are applied here, NOT NULL and uniqueness by the store.
"""

from __future__ import annotations

import contextvars
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.api import Column, CopySpec, Result
from engine.errors import (
    CannotCoerce,
    CardinalityViolation,
    CheckViolation,
    DatatypeMismatch,
    FeatureNotSupported,
    GeneratedAlways,
    InvalidColumnReference,
    SyntaxError_,
    UndefinedColumn,
    UndefinedTable,
    WrongObjectType,
)
from engine.sql import plan
from engine.sql.compiler import CE, Compiler
from engine.sql.dialect import DIALECT
from engine.sql.fastinsert import literal_converter
from engine.sql.planner import pushdown, table_cols
from engine.sql.scope import ColInfo, ExecState, Scope
from engine.sql.statements import Statement, columns_of, finish_params, planner_for


def _target(session: Any, node: exp.Expression) -> tuple[Any, str]:
    t = node
    if isinstance(t, exp.Schema):
        t = t.this
    alias = t.alias_or_name if isinstance(t, exp.Table) else t.name
    name = t.name
    reg = getattr(session.db, "registry", None)
    from engine.sql.schemas import find_table

    td = find_table(session, name, t.db or None) if reg is not None else None
    if td is None:
        from engine.sql.wrong_object import check_write

        check_write(session, name, t.db or None, node)  # a sequence, view or catalog: PostgreSQL's error
        raise UndefinedTable(f'relation "{name}" does not exist')
    if td.kind == "m":
        raise WrongObjectType(f'cannot change materialized view "{name}"')
    return td, alias


def assign(v: Any, from_oid: int, col: Any) -> Any:
    """Assignment cast of a value to a column's type."""
    if v is None:
        return None
    if from_oid == col.type_oid and col.typmod < 0:
        return v
    from engine.sql.casts import cast

    try:
        return cast(v, from_oid, col.type_oid, col.typmod, explicit=False)
    except CannotCoerce:
        raise _mismatch(from_oid, col) from None


def compile_default(session: Any, col: Any) -> Any:
    """A closure computing a column's default (None when it has none)."""
    if col.default is None:
        return None
    import re

    m = re.match(r"nextval\('([^']+)'(?:::regclass)?\)$", col.default.strip())
    if m:
        from engine.sql.sequences import default_nextval

        return default_nextval(session, m.group(1))
    from engine.sql.statements import parse_one

    node = parse_one("SELECT " + col.default)
    comp = Compiler(Scope([]), planner_for(session, {}), {})
    ce = comp.compile(node.expressions[0])  # type: ignore[attr-defined]
    f, src = ce.fn, ce.oid
    return lambda r, st: assign(f(r, st), src, col)


class Checks:
    """CHECK constraints of a table compiled over its row tuple."""

    def __init__(self, session: Any, td: Any, alias: str) -> None:
        from engine.sql.statements import parse_one

        cols, self.names = table_cols(td, alias)
        comp = Compiler(Scope(cols), planner_for(session, {}), {})
        self.checks = []
        self.generated = []  # GENERATED ALWAYS AS (expr) STORED columns, computed before the checks
        self.enums = [(c.name, c.enum_type.split(".")[-1], set((c.json_schema or {}).get("enum") or ()))
                      for c in td.columns if getattr(c, "enum_type", None)]
        for col in td.columns:
            if getattr(col, "generated", None):
                ce = comp.compile(parse_one("SELECT " + col.generated).expressions[0])  # type: ignore[attr-defined]
                self.generated.append((col, ce.fn, ce.oid))
        for con in td.constraints:
            if con.kind == "c" and con.expr:
                node = parse_one("SELECT " + con.expr).expressions[0]  # type: ignore[attr-defined]
                self.checks.append((con.name, comp.predicate(node)))
        self.table = td.name
        self.visible = [c.name for c in td.columns if not c.hidden]

    def check(self, row: dict[str, Any], st: ExecState) -> None:
        for name, tname, labels in self.enums:
            v = row.get(name)
            if v is not None and v not in labels:
                from engine.errors import InvalidTextRepresentation
                raise InvalidTextRepresentation(f'invalid input value for enum {tname}: "{v}"')
        if self.generated:
            tup = tuple(row.get(n) for n in self.names)
            for col, f, oid in self.generated:
                row[col.name] = assign(f(tup, st), oid, col)
        if not self.checks:
            return
        tup = tuple(row.get(n) for n in self.names)
        for name, f in self.checks:
            if f(tup, st) is False:
                raise CheckViolation(f'new row for relation "{self.table}" violates check constraint "{name}"',
                                     detail="Failing row contains (" + ", ".join(
                                         "null" if row.get(n) is None else str(row.get(n))
                                         for n in self.visible) + ").")


def _hidden(n: str, row: dict[str, Any]) -> bool:
    return n in ("entity_type", "created_at", "modified_at", "deleted_at", "edges", "embedding")


def _returning(session: Any, node: exp.Expression, td: Any, alias: str, params: dict[int, int],
               extra_scope: list[ColInfo] | None = None) -> tuple[list[Any] | None, list[ColInfo] | None, list[str]]:
    ret = node.args.get("returning")
    if ret is None:
        return None, None, []
    cols, names = table_cols(td, alias)
    scope = Scope(cols + (extra_scope or []))
    planner = _planner(session, params)
    comp = Compiler(scope, planner, params)
    fns: list[Any] = []
    out: list[ColInfo] = []
    for e in ret.expressions:
        if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
            for i, c in enumerate(cols):
                if not c.hidden:
                    fns.append(lambda r, st, i=i: r[i])
                    out.append(ColInfo(None, c.name, c.oid, c.typmod, table_oid=c.table_oid, attnum=c.attnum))
            continue
        alias_name = e.alias if isinstance(e, exp.Alias) else None
        ce = comp.compile(e.this if isinstance(e, exp.Alias) else e)
        fns.append(ce.fn)
        out.append(ColInfo(None, alias_name or ce.name, ce.oid if ce.oid != T.UNKNOWN else T.TEXT, ce.typmod))
    return fns, out, names


def _result(tag: str, n: int, ret_fns: list[Any] | None, ret_cols: list[ColInfo] | None,
            tuples: list[tuple[Any, ...]], st: ExecState) -> Result:
    if ret_fns is None:
        return Result(tag=f"{tag} {n}")
    rows = [tuple(f(t, st) for f in ret_fns) for t in tuples]
    cols = [Column(c.name, c.oid, c.typmod, c.table_oid, c.attnum) for c in (ret_cols or [])]
    return Result(tag=f"{tag} {n}", columns=cols, rows=iter(rows))


_ExecCtx: Any = None


def _exec_ctx(session: Any, txn: Any) -> Any:
    """``engine.session.ExecCtx(session, txn)`` (the class imported once: engine.session imports this module)."""
    global _ExecCtx
    if _ExecCtx is None:
        from engine.session import ExecCtx

        _ExecCtx = ExecCtx
    return _ExecCtx(session, txn)


# ------------------------------------------------------------------ INSERT
_CTE_FRAMES: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("dml_ctes", default=None)


def _planner(session: Any, params: dict[int, int]) -> Any:
    """A planner for the statement's queries; it sees the WITH queries of the statement being prepared."""
    p = planner_for(session, params)
    frames = _CTE_FRAMES.get()
    if frames:
        p.ctes.extend(frames)
    return p


def prepare(session: Any, sql: str, node: exp.Expression, params: dict[int, int], given: list[int]) -> Statement:
    if node.args.get("with_") or node.args.get("with"):
        base = planner_for(session, params)
        base._with(node, None)  # WITH queries (0A000 for data-modifying ones), visible to every part below
        token = _CTE_FRAMES.set(base.ctes)
        try:
            return _prepare(session, sql, node, params, given)
        finally:
            _CTE_FRAMES.reset(token)
    return _prepare(session, sql, node, params, given)


def _prepare(session: Any, sql: str, node: exp.Expression, params: dict[int, int], given: list[int]) -> Statement:
    if isinstance(node, exp.Insert):
        return _insert(session, sql, node, params, given)
    if isinstance(node, exp.Update):
        return _update(session, sql, node, params, given)
    return _delete(session, sql, node, params, given)


def _insert(session: Any, sql: str, node: exp.Insert, params: dict[int, int], given: list[int]) -> Statement:
    target = node.this
    td, alias = _target(session, target)
    if isinstance(target, exp.Schema):
        colnames = [c.name for c in target.expressions]
    else:
        colnames = [c.name for c in td.columns if not c.hidden and not c.system]
    tcols = []
    seen = set()
    for n in colnames:
        c = td.column(n)
        if c is None or (c.system and c.role not in ("id", "created_at", "edges", "embedding") and c.hidden):
            raise UndefinedColumn(f'column "{n}" of relation "{td.name}" does not exist')
        if n in seen:
            raise SyntaxError_(f'column "{n}" specified more than once', sqlstate="42701")
        seen.add(n)
        tcols.append(c)
    planner = _planner(session, params)
    src = node.expression
    default_rows: bool = False
    if src is None:
        if node.args.get("default"):
            default_rows = True
            rows_fns: list[list[Any]] | None = [[]]
            tcols = []
            colnames = []
        else:
            raise SyntaxError_("syntax error at end of input")
    source_step = None
    rows_fns = None if not default_rows else [[]]
    if isinstance(src, exp.Values):
        comp = Compiler(Scope([]), planner, params)
        literal = literal_converter()  # plain literals: converted once per distinct value (engine.sql.fastinsert)
        rows_fns = []
        widths = {len(t.expressions) if isinstance(t, exp.Tuple) else 1 for t in src.expressions}
        if len(widths) > 1:
            raise SyntaxError_("VALUES lists must all be the same length")
        if not isinstance(target, exp.Schema) and widths and min(widths) < len(tcols):
            tcols = tcols[: min(widths)]  # no column list: the leading columns, the rest take their defaults
        for tup in src.expressions:
            items = list(tup.expressions) if isinstance(tup, exp.Tuple) else [tup]
            if len(items) > len(tcols):
                raise SyntaxError_("INSERT has more expressions than target columns")
            if len(items) < len(tcols):
                raise SyntaxError_("INSERT has more target columns than expressions")
            fns = []
            for e, c in zip(items, tcols, strict=True):
                if isinstance(e, exp.Var) and e.name.upper() == "DEFAULT" or isinstance(e, exp.Column) and \
                        e.name.upper() == "DEFAULT" and not e.table and not e.this.quoted:
                    fns.append(None)
                    continue
                fns.append(literal(e, c) or _assign_fn(comp.compile(e, c.type_oid), c))
            rows_fns.append(fns)
    elif src is not None:
        source_step = planner.query(src)
        if len(source_step.cols) > len(tcols):
            raise SyntaxError_("INSERT has more expressions than target columns")
        tcols_used = tcols[: len(source_step.cols)]
        conv = [_assign_fn(CE(lambda r, st, i=i: r[i], sc.oid), c)
                for i, (sc, c) in enumerate(zip(source_step.cols, tcols_used, strict=True))]
        tcols = tcols_used
    conflict = node.args.get("conflict")
    on_conflict = _prepare_conflict(session, conflict, td, alias, planner, params) if conflict is not None else None
    ret_fns, ret_cols, names = _returning(session, node, td, alias, params)
    oids = finish_params(params, given)
    defaults = {c.name: compile_default(session, c) for c in td.columns if not c.system and c.default}
    identity_always = {c.name for c in td.columns if c.identity == "a"}
    over = str(node.args.get("overriding") or "").upper()
    for c in tcols:
        if c.name in identity_always and "SYSTEM" not in over:
            raise GeneratedAlways(f'cannot insert a non-DEFAULT value into column "{c.name}"',
                                  detail=f'Column "{c.name}" is an identity column defined as GENERATED ALWAYS.',
                                  hint="Use OVERRIDING SYSTEM VALUE to override.")
    checks = Checks(session, td, alias)
    tcol_names = [c.name for c in tcols]

    def run(s: Any, txn: Any, values: list[Any]) -> Result:
        st = ExecState(values, _exec_ctx(s, txn))
        t = s.db.registry.get(td.name, td.schema) or td
        new_rows: list[dict[str, Any]] = []
        if source_step is not None:
            for r in source_step.run(st):
                new_rows.append({n: f(r, st) for n, f in zip(tcol_names, conv, strict=True)})
        else:
            assert rows_fns is not None
            for fns in rows_fns:
                row: dict[str, Any] = {}
                for n, f in zip(tcol_names, fns, strict=True):
                    if f is None:
                        d = defaults.get(n)
                        row[n] = d((), st) if d else None
                    else:
                        row[n] = f((), st)
                new_rows.append(row)
        for row in new_rows:
            if defaults:
                for n, d in defaults.items():
                    if n not in row:
                        row[n] = d((), st)
            checks.check(row, st)
        if on_conflict is None:
            done = txn.insert(t, new_rows) if new_rows else []
            n_affected = len(done)
        else:
            done = on_conflict(t, txn, new_rows, st)
            n_affected = len(done)
        tuples = [tuple(r.get(k) for k in names) for r in done] if ret_fns is not None else []
        return _result("INSERT 0", n_affected, ret_fns, ret_cols, tuples, st)

    cols = [Column(c.name, c.oid, c.typmod, c.table_oid, c.attnum) for c in ret_cols] if ret_cols else None
    return Statement(sql, oids, cols, run, needs_txn=True, writes=True, kind="insert")


def check_assignable(src: int, col: Any) -> None:
    """42804 at plan time when PostgreSQL has only an explicit cast from ``src`` to the column's type (bool ← int,
    int ← text …); pairs REM's cast table does not know are left to the run-time cast as before."""
    from engine.sql.casts import can_cast

    dst = col.type_oid
    if src != dst and can_cast(src, dst, "e") and not can_cast(src, dst, "a"):
        raise _mismatch(src, col)


def _mismatch(src: int, col: Any) -> DatatypeMismatch:
    from engine.sql.sqltypes import type_name

    return DatatypeMismatch(f'column "{col.name}" is of type {type_name(col.type_oid)} but expression is of type '
                            f"{type_name(src)}", hint="You will need to rewrite or cast the expression.")


def _assign_fn(ce: CE, col: Any) -> Any:
    f, src = ce.fn, ce.oid
    if src == col.type_oid and col.typmod < 0:
        return f
    check_assignable(src, col)
    if ce.const:
        v = assign(ce.value, src, col)
        return lambda r, st: v
    return lambda r, st: assign(f(r, st), src, col)


def insert_rows(session: Any, txn: Any, td: Any, colnames: list[str], rows: list[tuple[Any, ...]],
                oids: list[int] | None = None) -> int:
    """Insert tuples (COPY FROM, CREATE TABLE AS): assignment casts, defaults, CHECKs; all or nothing."""
    from engine.session import ExecCtx

    st = ExecState([], ExecCtx(session, txn))
    cols = [td.column(n) for n in colnames]
    defaults = {c.name: compile_default(session, c) for c in td.columns if not c.system and c.default
                and c.name not in colnames}
    checks = Checks(session, td, td.name)
    out = []
    for i, r in enumerate(rows):
        if i & 1023 == 0:
            session.check_interrupts()
        row = {}
        for c, v, k in zip(cols, r, range(len(cols)), strict=False):
            src = oids[k] if oids else c.type_oid
            row[c.name] = assign(v, src, c) if src != c.type_oid else v
        for n, d in defaults.items():
            row[n] = d((), st)
        checks.check(row, st)
        out.append(row)
    if out:
        txn.insert(td, out)
    return len(out)


def _prepare_conflict(session: Any, conflict: exp.OnConflict, td: Any, alias: str, planner: Any,
                      params: dict[int, int]) -> Any:
    action = str(conflict.args.get("action") or "").upper()
    keys = conflict.args.get("conflict_keys") or []
    keycols = [k.this.name if isinstance(k, exp.Ordered) else k.name for k in keys]
    for n in keycols:
        if n and td.column(n) is None:
            raise UndefinedColumn(f'column "{n}" does not exist')
    if conflict.args.get("constraint"):
        cname = conflict.args["constraint"].name
        hit = [ix for ix in td.indexes if ix.name == cname] + [c for c in td.constraints if c.name == cname]
        if not hit:
            from engine.errors import UndefinedObject
            raise UndefinedObject(f'constraint "{cname}" for table "{td.name}" does not exist')
        keycols = list(hit[0].columns)
    if keycols:  # the arbiter: a unique constraint with exactly these columns, in any order
        options = [list(td.primary_key), [td.key_field] if td.key_field else [], [td.id_column]]
        options += [list(ix.columns) for ix in td.indexes if ix.unique]
        options += [list(c.columns) for c in td.constraints if c.kind in ("p", "u")]
        match = next((o for o in options if o and len(o) == len(keycols) and set(o) == set(keycols)), None)
        if match is None:
            raise InvalidColumnReference(
                "there is no unique or exclusion constraint matching the ON CONFLICT specification")
        keycols = match
    arbiter = keycols or None
    if "NOTHING" in action:
        def do_nothing(t: Any, txn: Any, rows: list[dict[str, Any]], st: ExecState) -> list[dict[str, Any]]:
            claimed: set[Any] = set()
            todo: list[dict[str, Any]] = []
            for row, (old, keys) in zip(rows, txn.conflicts(t, rows, arbiter), strict=True):
                if old is not None or any(k in claimed for k in keys):
                    continue  # collides with a stored row or with a row this statement inserts
                claimed.update(keys)
                todo.append(row)
            return txn.insert(t, todo) if todo else []
        return do_nothing
    if "UPDATE" not in action:
        raise FeatureNotSupported(f"ON CONFLICT {action} is not supported")
    if not keycols:
        raise SyntaxError_("ON CONFLICT DO UPDATE requires inference specification or constraint name",
                           hint="For example, ON CONFLICT (column_name).")
    cols, names = table_cols(td, alias)
    ex_cols = [ColInfo("excluded", c.name, c.oid, c.typmod, hidden=c.hidden) for c in cols]
    scope = Scope(cols + ex_cols)
    comp = Compiler(scope, planner, params)
    sets = compile_sets(session, comp, td, conflict.expressions, ("id", "edges", "embedding"))
    where = conflict.args.get("where")
    wfn = comp.predicate(where.this) if where is not None else None
    checks = Checks(session, td, alias)
    return _Upsert(arbiter, names, sets, wfn, checks)


class _Upsert:
    """``ON CONFLICT (…) DO UPDATE`` set-at-a-time, with PostgreSQL's semantics.

    One batched lookup finds the stored row each proposed row collides with on the arbiter; rows are then
    decided in statement order (insert, update, or skip when the WHERE is not true); a second proposed row
    hitting a key this statement already inserted or updated is error 21000; finally ONE ``Txn.upsert`` buffers
    inserts and updates together and embeds only rows whose embedded text is new or changed."""

    def __init__(self, arbiter: list[str] | None, names: list[str], sets: list[tuple[str, Any]], wfn: Any,
                 checks: Checks) -> None:
        self.arbiter, self.names, self.sets, self.wfn, self.checks = arbiter, names, sets, wfn, checks

    def __call__(self, t: Any, txn: Any, rows: list[dict[str, Any]], st: ExecState) -> list[dict[str, Any]]:
        names = self.names
        idc = t.id_column
        claimed: set[Any] = set()
        plan_: list[tuple[str, int]] = []  # ("i" | "u", index into inserts | updates), in statement order
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        olds: list[dict[str, Any]] = []
        for row, (old, keys) in zip(rows, txn.conflicts(t, rows, self.arbiter), strict=True):
            if any(k in claimed for k in keys):
                raise CardinalityViolation("ON CONFLICT DO UPDATE command cannot affect row a second time",
                                           hint="Ensure that no rows proposed for insertion within the same "
                                                "command have duplicate constrained values.")
            if old is None:
                claimed.update(keys)
                plan_.append(("i", len(inserts)))
                inserts.append(row)
                continue
            excluded = {k: row.get(k) for k in names}
            if excluded.get(idc) is None:
                excluded[idc] = next((k[1] for k in keys if k[0] == "id"), None)
            tup = tuple(old.get(k) for k in names) + tuple(excluded[k] for k in names)
            if self.wfn is not None and not self.wfn(tup, st):
                continue
            new = dict(old)
            for cname, f in self.sets:
                new[cname] = f(tup, st)
            self.checks.check(new, st)
            claimed.update(keys)
            claimed.add(("id", old.get(idc)))
            plan_.append(("u", len(updates)))
            updates.append(new)
            olds.append(old)
        ins, upd = txn.upsert(t, inserts, updates, olds)
        return [ins[k] if kind == "i" else upd[k] for kind, k in plan_]


def compile_sets(session: Any, comp: Compiler, td: Any, items: list[exp.Expression],
                 system_roles: tuple[str, ...]) -> list[tuple[str, Any]]:
    """``SET col = expr | DEFAULT, (a, b) = (x, y), …`` of UPDATE and ON CONFLICT DO UPDATE, compiled to
    (column, fn(row, st)) pairs with assignment casts; ``system_roles``: system columns that may be set."""
    pairs: list[tuple[exp.Expression, exp.Expression]] = []
    for e in items:
        if not isinstance(e, exp.EQ):
            raise FeatureNotSupported(f"SET {e.sql(dialect=DIALECT)} is not supported")
        if isinstance(e.this, exp.Tuple):
            targets = list(e.this.expressions)
            src = e.expression
            vals = list(src.expressions) if isinstance(src, exp.Tuple) else None
            if vals is None:
                if not isinstance(src, exp.Subquery):
                    raise FeatureNotSupported("source for a multiple-column UPDATE item must be a sub-SELECT or "
                                              "ROW() expression")
                vals = _row_subquery(comp, src, len(targets))
            if len(vals) != len(targets):
                raise SyntaxError_("number of columns does not match number of values")
            pairs.extend(zip(targets, vals, strict=True))
        else:
            pairs.append((e.this, e.expression))
    sets: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for target, ex in pairs:
        if isinstance(ex, _SubRow):
            col = td.column(target.name)
            if col is None or (col.system and col.role not in system_roles):
                raise UndefinedColumn(f'column "{target.name}" of relation "{td.name}" does not exist')
            seen.add(target.name)
            sets.append((target.name, _assign_fn(CE(ex.fn, ex.oid), col)))
            continue
        cname = target.name
        col = td.column(cname)
        if col is None or (col.system and col.role not in system_roles):
            raise UndefinedColumn(f'column "{cname}" of relation "{td.name}" does not exist')
        if cname in seen:
            raise SyntaxError_(f'multiple assignments to same column "{cname}"')
        seen.add(cname)
        is_default = isinstance(ex, exp.Column) and ex.name.upper() == "DEFAULT" and not ex.table \
            and not ex.this.quoted
        if col.identity == "a" and not is_default:
            raise GeneratedAlways(f'column "{cname}" can only be updated to DEFAULT',
                                  detail=f'Column "{cname}" is an identity column defined as GENERATED ALWAYS.')
        if is_default:
            d = compile_default(session, col)
            sets.append((cname, d if d else (lambda r, st: None)))
            continue
        sets.append((cname, _assign_fn(comp.compile(ex, col.type_oid), col)))
    return sets


class _SubRow(exp.Expression):
    """Column ``i`` of a ``SET (a, b) = (SELECT x, y …)`` sub-select (a compiled placeholder, not SQL)."""

    def __init__(self, fn: Any, oid: int) -> None:
        super().__init__()
        self.fn, self.oid = fn, oid


def _row_subquery(comp: Compiler, node: exp.Subquery, width: int) -> list[Any]:
    """The columns of a multiple-column SET sub-select: it runs once per target row (once per statement when not
    correlated); no row sets NULLs, more than one is 21000, as in PostgreSQL."""
    step, corr = comp.planner.subplan(node.this, comp.scope)
    if len(step.cols) != width:
        raise SyntaxError_("number of columns does not match number of values")
    memo: dict[str, Any] = {}

    def row(r: tuple[Any, ...], st: ExecState) -> tuple[Any, ...]:
        if memo.get("key") is (r if corr else st):
            return memo["row"]  # type: ignore[no-any-return]
        st.outer.append(r)
        try:
            got = step.run(st, limit=2)
        finally:
            st.outer.pop()
        if len(got) > 1:
            raise CardinalityViolation("more than one row returned by a subquery used as an expression")
        memo["key"], memo["row"] = (r if corr else st), (tuple(got[0]) if got else (None,) * width)
        return memo["row"]  # type: ignore[no-any-return]

    return [_SubRow(lambda r, st, j=j: row(r, st)[j], c.oid if c.oid != T.UNKNOWN else T.TEXT)
            for j, c in enumerate(step.cols)]


# ------------------------------------------------------------------ UPDATE / DELETE
def _source(session: Any, node: exp.Expression, td: Any, alias: str, params: dict[int, int],
            from_items: list[exp.Expression]) -> tuple[plan.Step, Scope, Any, list[str]]:
    """The rows to change: a scan of the target (index pushdown on WHERE), joined with FROM/USING items."""
    planner = _planner(session, params)
    cols, names = table_cols(td, alias)
    step: plan.Step = plan.Scan(td, alias, cols, names)
    for it in from_items:
        right = planner.from_item(it, None)
        step = plan.Join(step, right, "cross", [], [], None, "")
    scope = Scope(step.cols)
    comp = Compiler(scope, planner, params)
    where = node.args.get("where")
    if where is not None:
        if not from_items:
            step = pushdown(step, where.this, comp)
        else:
            step = plan.Filter(step, comp.predicate(where.this), where.this.sql(dialect=DIALECT))
    return step, scope, comp, names


def _update(session: Any, sql: str, node: exp.Update, params: dict[int, int], given: list[int]) -> Statement:
    td, alias = _target(session, node.this)
    frm = node.args.get("from_") or node.args.get("from")
    from_items = ([frm.this] + list(frm.expressions or [])) if frm is not None else []
    step, scope, comp, names = _source(session, node, td, alias, params, from_items)
    sets = compile_sets(session, comp, td, node.expressions, ("edges", "embedding"))
    ret_fns, ret_cols, _ = _returning(session, node, td, alias, params,
                                      extra_scope=[c for c in step.cols[len(names):]])
    checks = Checks(session, td, alias)
    oids = finish_params(params, given)
    nn = len(names)

    def run(s: Any, txn: Any, values: list[Any]) -> Result:
        st = ExecState(values, _exec_ctx(s, txn))
        t = s.db.registry.get(td.name, td.schema) or td
        idc = t.id_column
        id_pos = names.index(idc)
        matched = step.run(st)
        seen: set[Any] = set()
        updates = []
        olds = []
        extras = []
        for r in matched:  # one scan; then ONE Txn.update (one embedder call for changed embedded texts)
            rid = r[id_pos]
            if rid in seen:
                continue
            seen.add(rid)
            old = dict(zip(names, r[:nn], strict=True))
            new = dict(old)
            for cname, f in sets:
                new[cname] = f(r, st)
            checks.check(new, st)
            updates.append(new)
            olds.append(old)
            extras.append(r[nn:])
        done = txn.update(t, updates, olds) if updates else []
        tuples = [tuple(d.get(k) for k in names) + x for d, x in zip(done, extras, strict=False)] \
            if ret_fns is not None else []
        return _result("UPDATE", len(done), ret_fns, ret_cols, tuples, st)

    cols = [Column(c.name, c.oid, c.typmod, c.table_oid, c.attnum) for c in ret_cols] if ret_cols else None
    return Statement(sql, oids, cols, run, needs_txn=True, writes=True, kind="update",
                     explain=lambda: ["Update on " + td.name] + [("  " + ln) for ln in step.explain(1)])


def _delete(session: Any, sql: str, node: exp.Delete, params: dict[int, int], given: list[int]) -> Statement:
    td, alias = _target(session, node.this)
    using = node.args.get("using") or []
    step, scope, comp, names = _source(session, node, td, alias, params, list(using))
    ret_fns, ret_cols, _ = _returning(session, node, td, alias, params,
                                      extra_scope=[c for c in step.cols[len(names):]])
    oids = finish_params(params, given)
    nn = len(names)

    def run(s: Any, txn: Any, values: list[Any]) -> Result:
        st = ExecState(values, _exec_ctx(s, txn))
        t = s.db.registry.get(td.name, td.schema) or td
        id_pos = names.index(t.id_column)
        ids = []
        tuples = []
        seen: set[Any] = set()
        for r in step.run(st):
            if r[id_pos] in seen:
                continue
            seen.add(r[id_pos])
            ids.append(r[id_pos])
            tuples.append(r)
        done = txn.delete(t, ids) if ids else []
        if ret_fns is not None:
            tuples = [tuple(d.get(k) for k in names) + r[nn:] for d, r in zip(done, tuples, strict=False)]
        return _result("DELETE", len(done), ret_fns, ret_cols, tuples, st)

    cols = [Column(c.name, c.oid, c.typmod, c.table_oid, c.attnum) for c in ret_cols] if ret_cols else None
    return Statement(sql, oids, cols, run, needs_txn=True, writes=True, kind="delete",
                     explain=lambda: ["Delete on " + td.name] + [("  " + ln) for ln in step.explain(1)])


# ------------------------------------------------------------------ COPY FROM
def copy_in(session: Any, txn: Any, spec: CopySpec, rows: Any) -> Result:
    """Insert the decoded rows of a COPY FROM STDIN: all or nothing."""
    name, colnames, *rest = spec.target
    td = session.db.registry.get(name, rest[0] if rest else "public")
    if td is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    n = insert_rows(session, txn, td, colnames, list(rows), [c.type_oid for c in spec.columns])
    return Result(tag=f"COPY {n}")


__all__ = ["prepare", "copy_in", "insert_rows", "compile_default", "columns_of"]
