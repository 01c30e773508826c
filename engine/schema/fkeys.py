"""Foreign keys enforced on every write of a transaction (called by :class:`engine.txn.RemTxn`).

Referencing side: an inserted or updated row whose key columns are all non-NULL (MATCH SIMPLE) must match a
visible row of the referenced table, else 23503 ``insert or update on table "c" violates foreign key constraint
"c_p_fkey"``. Referenced side: deleting a row, or changing its key, applies each referencing constraint's action:
NO ACTION / RESTRICT → 23503 ``update or delete on table "p" violates foreign key constraint … on table "c"``;
CASCADE deletes (or updates) the referencing rows; SET NULL / SET DEFAULT clear them. Checks are immediate (per
statement part), so NO ACTION behaves like RESTRICT except that rows deleted by the same call do not count.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from engine import errors as E
from engine.schema.model import ConstraintDef, TableDef

Row = dict[str, Any]
_REFS: dict[int, tuple[int, dict[tuple[str, str], list[tuple[TableDef, ConstraintDef]]]]] = {}


def _registry(txn: Any) -> Any:
    return getattr(getattr(txn, "_store", None), "registry", None)


def referencing(reg: Any, t: TableDef) -> list[tuple[TableDef, ConstraintDef]]:
    """(table, constraint) of every foreign key that references ``t`` (memoized per registry generation)."""
    gen = getattr(reg, "generation", None)
    memo = _REFS.get(id(reg))
    if memo is None or gen is None or memo[0] != gen:
        by: dict[tuple[str, str], list[tuple[TableDef, ConstraintDef]]] = {}
        for other in reg.tables():
            for c in other.constraints:
                if c.kind == "f" and c.ref_table:
                    by.setdefault((c.ref_schema or other.schema, c.ref_table), []).append((other, c))
        memo = (gen if gen is not None else -1, by)
        _REFS[id(reg)] = memo
    return memo[1].get((t.schema, t.name), [])


def _fmt(v: Any) -> str:
    if v is True or v is False:
        return "t" if v else "f"
    return str(v)


def _key(row: Row, cols: Sequence[str]) -> list[Any]:
    return [row.get(c) for c in cols]


def _matching(txn: Any, table: TableDef, cols: Sequence[str], vals: Sequence[Any]) -> list[Row]:
    """Visible rows of ``table`` whose ``cols`` equal ``vals``."""
    ids = txn.lookup(table, cols[0], [vals[0]])
    if not ids:
        return []
    rows = [r for r in txn.get(table, ids) if r is not None]
    if len(cols) == 1:
        return rows
    coerce = getattr(txn, "_coerce_key", None)
    want = [coerce(table, c, v) if coerce else v for c, v in zip(cols, vals, strict=True)]
    return [r for r in rows if _key(r, cols) == want]


def check_rows(txn: Any, t: TableDef, rows: Sequence[Row]) -> None:
    """Referencing side: every row's foreign keys point at existing rows (23503 otherwise)."""
    fks = [c for c in t.constraints if c.kind == "f"]
    if not fks or not rows:
        return
    reg = _registry(txn)
    if reg is None:
        return
    for con in fks:
        parent = reg.get(con.ref_table, con.ref_schema or t.schema)
        if parent is None or not con.ref_columns:
            continue
        seen: set[tuple[Any, ...]] = set()
        for r in rows:
            vals = _key(r, con.columns)
            if any(v is None for v in vals):
                continue
            k = tuple(_fmt(v) for v in vals)
            if k in seen:
                continue
            if not _matching(txn, parent, con.ref_columns, vals):
                raise E.ForeignKeyViolation(
                    f'insert or update on table "{t.name}" violates foreign key constraint "{con.name}"',
                    detail=f"Key ({', '.join(con.columns)})=({', '.join(k)}) is not present in table "
                           f'"{parent.name}".')
            seen.add(k)


def _still_referenced(t: TableDef, child: TableDef, con: ConstraintDef, vals: list[Any]) -> E.RemError:
    return E.ForeignKeyViolation(
        f'update or delete on table "{t.name}" violates foreign key constraint "{con.name}" on table '
        f'"{child.name}"',
        detail=f"Key ({', '.join(con.ref_columns)})=({', '.join(_fmt(v) for v in vals)}) is still referenced "
               f'from table "{child.name}".')


def _clear(child: TableDef, con: ConstraintDef, rows: list[Row]) -> list[Row]:
    out = []
    for r in rows:
        new = dict(r)
        for c in con.columns:
            col = child.column(c)
            if con.on_delete == "d" and col is not None and col.default is not None:
                raise E.FeatureNotSupported("ON DELETE SET DEFAULT is not supported")
            new[c] = None
        out.append(new)
    return out


def on_delete(txn: Any, t: TableDef, old_rows: Sequence[Row]) -> None:
    """Referenced side of a delete: apply each referencing constraint's ON DELETE action."""
    reg = _registry(txn)
    if reg is None or not old_rows:
        return
    refs = referencing(reg, t)
    if not refs:
        return
    gone = {r.get(t.id_column) for r in old_rows}
    for child0, con in refs:
        child = reg.get(child0.name, child0.schema) or child0
        for old in old_rows:
            vals = _key(old, con.ref_columns)
            if any(v is None for v in vals):
                continue
            hits = _matching(txn, child, con.columns, vals)
            if child.oid == t.oid:
                hits = [h for h in hits if h.get(child.id_column) not in gone]
            if not hits:
                continue
            if con.on_delete in ("a", "r"):
                raise _still_referenced(t, child, con, vals)
            ids = [uuid.UUID(str(h[child.id_column])) for h in hits]
            if con.on_delete == "c":
                txn.delete(child, ids)
            else:
                txn.update(child, _clear(child, con, hits))


def before_update(txn: Any, t: TableDef, rows: Sequence[Row],
                  olds: Sequence[Row | None] | None = None) -> list[Row | None] | None:
    """The current versions of rows about to be updated, when some foreign key references ``t`` (else None)."""
    reg = _registry(txn)
    if reg is None or not referencing(reg, t):
        return None
    if olds is not None:
        return list(olds)
    ids = [r.get(t.id_column) for r in rows]
    return list(txn.get(t, [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids]))


def after_update(txn: Any, t: TableDef, olds: list[Row | None] | None, new_rows: Sequence[Row]) -> None:
    """Both sides of an update: new foreign key values exist; changed referenced keys apply ON UPDATE."""
    check_rows(txn, t, new_rows)
    if not olds:
        return
    reg = _registry(txn)
    pairs = list(zip([o for o in olds if o is not None], new_rows, strict=False))  # skipped rows had no old
    for child0, con in referencing(reg, t):
        child = reg.get(child0.name, child0.schema) or child0
        for old, new in pairs:
            ov, nv = _key(old, con.ref_columns), _key(new, con.ref_columns)
            if ov == nv or any(v is None for v in ov):
                continue
            hits = _matching(txn, child, con.columns, ov)
            if not hits:
                continue
            if con.on_update in ("a", "r"):
                raise _still_referenced(t, child, con, ov)
            if con.on_update == "c":
                upd = []
                for h in hits:
                    h = dict(h)
                    for c, v in zip(con.columns, nv, strict=True):
                        h[c] = v
                    upd.append(h)
                txn.update(child, upd)
            else:
                txn.update(child, _clear(child, con, hits))


def validate_existing(session: Any, txn: Any, t: TableDef, cons: list[ConstraintDef],
                      defaults: dict[str, Any]) -> None:
    """ALTER TABLE … ADD CONSTRAINT: the rows already stored satisfy the new constraints."""
    old = session.db.registry.get(t.name, t.schema)
    if old is None:
        return
    rows = [dict(r, **{k: v for k, v in defaults.items() if r.get(k) is None}) for r in txn.scan(old)]
    if not rows:
        return
    for con in cons:
        if con.kind == "f":
            check_rows(txn, TableDef(name=t.name, columns=t.columns, schema=t.schema, constraints=[con]), rows)
        elif con.kind == "u":
            seen: set[tuple[Any, ...]] = set()
            for r in rows:
                k = tuple(r.get(c) for c in con.columns)
                if None in k:
                    continue
                if k in seen:
                    raise E.UniqueViolation(f'could not create unique index "{con.name}"',
                                            detail=f"Key ({', '.join(con.columns)})=({', '.join(map(_fmt, k))}) "
                                                   "is duplicated.")
                seen.add(k)
        elif con.kind == "c":
            from engine.sql.dml import Checks

            probe = TableDef(name=t.name, columns=t.columns, schema=t.schema, constraints=[con])
            checks = Checks(session, probe, t.name)
            from engine.session import ExecCtx
            from engine.sql.scope import ExecState

            st = ExecState([], ExecCtx(session, txn))
            for r in rows:
                try:
                    checks.check(r, st)
                except E.CheckViolation:
                    raise E.CheckViolation(
                        f'check constraint "{con.name}" of relation "{t.name}" is violated by some row') from None
