"""Constraint clauses of CREATE TABLE / ALTER TABLE → ConstraintDefs, named the way PostgreSQL names them.

Column-level (``REFERENCES``, ``CHECK``, ``UNIQUE``) and table-level (``[CONSTRAINT n] PRIMARY KEY / UNIQUE /
CHECK / FOREIGN KEY``) forms; foreign key actions (``ON DELETE/UPDATE CASCADE | SET NULL | SET DEFAULT |
RESTRICT | NO ACTION``) and ``DEFERRABLE [INITIALLY DEFERRED]``. Unnamed constraints get PostgreSQL's names
(``t_x_check``, ``t_a_b_key``, ``t_a_fkey``, ``t_pkey``; 63-byte limit, numeric suffix on a clash).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from engine.errors import (
    FeatureNotSupported,
    InvalidForeignKey,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
)
from engine.schema.model import ConstraintDef, TableDef
from engine.sql.dialect import DIALECT

NAMEDATALEN = 64
_ACTIONS = {"CASCADE": "c", "SET NULL": "n", "SET DEFAULT": "d", "RESTRICT": "r", "NO ACTION": "a"}


def make_object_name(name1: str, name2: str | None, label: str) -> str:
    """PostgreSQL's makeObjectName: ``name1_name2_label`` cut to 63 bytes, shortening the longer part first."""
    overhead = len(label) + 1 + (1 if name2 else 0)
    avail = NAMEDATALEN - 1 - overhead
    n1, n2 = len(name1.encode()), len((name2 or "").encode())
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    a = name1.encode()[:n1].decode(errors="ignore")
    b = (name2 or "").encode()[:n2].decode(errors="ignore")
    return f"{a}_{b}_{label}" if name2 else f"{a}_{label}"


def choose_name(table: str, cols: list[str] | None, label: str, taken: set[str]) -> str:
    """An unused constraint name for ``label`` ('check', 'key', 'fkey', 'pkey') like ChooseConstraintName."""
    name2 = "_".join(cols)[:NAMEDATALEN - 1] if cols else None
    name = make_object_name(table, name2, label)
    n = 0
    while name in taken:
        n += 1
        name = make_object_name(table, name2, f"{label}{n}")
    taken.add(name)
    return name


def _check_vars(e: exp.Expression) -> list[str]:
    out: list[str] = []
    for c in e.find_all(exp.Column):
        if c.name not in out:
            out.append(c.name)
    return out


def check_def(name: str | None, e: exp.Expression, table: str, taken: set[str]) -> ConstraintDef:
    """A CHECK constraint; an unnamed one is ``<table>_<col>_check`` when it uses one column, else ``<table>_check``."""
    cols = _check_vars(e)
    cname = name or choose_name(table, cols if len(cols) == 1 else None, "check", taken)
    return ConstraintDef(name=cname, kind="c", columns=cols, expr=e.sql(dialect=DIALECT))


def fk_def(name: str | None, cols: list[str], ref: exp.Expression | None, table: str,
           taken: set[str]) -> ConstraintDef:
    """A FOREIGN KEY from a sqlglot Reference (target table, columns and options)."""
    target = ref.this if ref is not None else None
    if isinstance(target, exp.Schema):
        tbl, rcols = target.this, [e.name for e in target.expressions]
    else:
        tbl, rcols = target, []
    if not isinstance(tbl, exp.Table):
        raise FeatureNotSupported("FOREIGN KEY needs a referenced table")
    con = ConstraintDef(name=name or choose_name(table, cols, "fkey", taken), kind="f", columns=list(cols),
                        ref_table=tbl.name, ref_schema=tbl.db or None, ref_columns=rcols)
    for opt in (ref.args.get("options") or []) if ref is not None else []:
        text = " ".join(str(opt).upper().split())
        if text.startswith("ON DELETE "):
            con.on_delete = _action(text[len("ON DELETE "):])
        elif text.startswith("ON UPDATE "):
            con.on_update = _action(text[len("ON UPDATE "):])
        elif text == "DEFERRABLE":
            con.deferrable = True
        elif text == "NOT DEFERRABLE":
            con.deferrable = False
        elif text == "INITIALLY DEFERRED":
            con.deferred = con.deferrable = True
        elif text in ("INITIALLY IMMEDIATE", "MATCH SIMPLE"):
            pass
        else:
            raise FeatureNotSupported(f"foreign key option not supported: {text}")
    return con


def _action(text: str) -> str:
    a = _ACTIONS.get(text.strip())
    if a is None:
        raise FeatureNotSupported(f"foreign key action not supported: {text}")
    return a


def table_constraint(e: exp.Expression, table: str, constraints: list[ConstraintDef], pk: list[str],
                     taken: set[str]) -> None:
    """Add the constraint of one table-level clause (PRIMARY KEY / UNIQUE / CHECK / FOREIGN KEY)."""
    name = None
    items = [e]
    if isinstance(e, exp.Constraint):
        name = e.name
        items = list(e.expressions)
    for it in items:
        if isinstance(it, (exp.PrimaryKey, exp.PrimaryKeyColumnConstraint)):
            cols = [c.name for c in it.expressions]
            if not cols and isinstance(it.this, exp.Schema):
                cols = [c.name for c in it.this.expressions]
            pk.extend(cols)
            if name:
                constraints.append(ConstraintDef(name=name, kind="p", columns=cols))
        elif isinstance(it, exp.UniqueColumnConstraint):
            target = it.this
            cols = [c.name for c in (target.expressions if isinstance(target, exp.Schema) else [])]
            if not cols:
                raise FeatureNotSupported("UNIQUE needs a column list")
            constraints.append(ConstraintDef(name=name or choose_name(table, cols, "key", taken), kind="u",
                                             columns=cols))
        elif isinstance(it, exp.CheckColumnConstraint):
            constraints.append(check_def(name, it.this, table, taken))
        elif isinstance(it, exp.ForeignKey):
            constraints.append(fk_def(name, [c.name for c in it.expressions], it.args.get("reference"), table,
                                      taken))
        else:
            raise FeatureNotSupported(f"table constraint not supported: {it.sql(dialect=DIALECT)}")
    if name:
        taken.add(name)


def resolve_foreign_keys(td: TableDef, find: Callable[[str, str | None], TableDef | None]) -> None:
    """Bind each FOREIGN KEY of ``td`` to its referenced table: schema, columns (the primary key when none are
    named) and the unique constraint they must match (42830 otherwise), as PostgreSQL checks at CREATE."""
    for con in td.constraints:
        if con.kind != "f":
            continue
        if con.ref_table == td.name and (con.ref_schema or td.schema) == td.schema:
            target: TableDef | None = td
        else:
            target = find(con.ref_table or "", con.ref_schema)
        if target is None:
            shown = f"{con.ref_schema}.{con.ref_table}" if con.ref_schema else con.ref_table
            raise UndefinedTable(f'relation "{shown}" does not exist')
        con.ref_schema = target.schema
        if not con.ref_columns:
            pk = list(target.primary_key) or next((c.columns for c in target.constraints if c.kind == "p"), [])
            if not pk:
                raise UndefinedObject(f'there is no primary key for referenced table "{target.name}"')
            con.ref_columns = list(pk)
        if len(con.ref_columns) != len(con.columns):
            raise InvalidForeignKey("number of referencing and referenced columns for foreign key disagree")
        for c in con.ref_columns:
            if target.column(c) is None:
                raise UndefinedColumn(f'column "{c}" referenced in foreign key constraint does not exist')
        for c in con.columns:
            if td.column(c) is None:
                raise UndefinedColumn(f'column "{c}" referenced in foreign key constraint does not exist')
        want = set(con.ref_columns)
        keys = [list(target.primary_key)] + [c.columns for c in target.constraints if c.kind in ("p", "u")]
        keys += [ix.columns for ix in target.indexes if ix.unique]
        if not any(set(k) == want and len(k) == len(want) for k in keys if k):
            raise InvalidForeignKey(
                f'there is no unique constraint matching given keys for referenced table "{target.name}"')
