"""Prepared point get: ``SELECT <columns | *> FROM t WHERE <primary key> = $1`` planned once, run as one read.

A row's id is derived from its primary key (or key field) by :func:`engine.ids.derive_id`, so the row with key
``v`` is found without the index: derive the id, read that one row through the transaction (its own writes,
then the row cache, then the statement's RocksDB snapshot; soft-deleted rows are invisible), and check that
the row's key really is ``v``. Anything else (no such row, a NULL or differently typed parameter, a key whose id
does not derive as expected, e.g. after a table rename) runs the statement's general plan, so results are always
the general path's. :func:`attach` recognizes the statement shape at prepare time and wraps ``Statement.run``.
"""

from __future__ import annotations

import uuid
from operator import itemgetter
from typing import Any

from blake3 import blake3
from sqlglot import exp

from engine import types as T
from engine.api import Result

_INTS = frozenset({T.INT2, T.INT4, T.INT8})
_TEXTS = frozenset({T.TEXT, T.VARCHAR})
_ALLOWED_ARGS = frozenset({"expressions", "from", "from_", "where"})
# output column types whose stored value is what the general plan returns for a plain column reference
_PLAIN_TYPES = frozenset({T.BOOL, T.INT2, T.INT4, T.INT8, T.FLOAT4, T.FLOAT8, T.NUMERIC, T.TEXT, T.VARCHAR,
                          T.TIMESTAMPTZ, T.TIMESTAMP, T.DATE, T.UUID, T.JSONB, T.JSON, T.BYTEA})


class PointGet:
    """The fast run of one recognized statement; falls back to ``general`` whenever it cannot answer."""

    __slots__ = ("table", "key", "vtype", "prefix", "names", "getter", "columns", "general")

    def __init__(self, table: Any, key: str, vtype: type, names: list[str], columns: Any, general: Any) -> None:
        self.table = table
        self.key = key
        self.vtype = vtype
        self.prefix = table.name + ":"
        self.names = names
        self.getter = itemgetter(*names) if len(names) > 1 else None
        self.columns = columns
        self.general = general

    def read(self, txn: Any, params: Any) -> tuple[Any, ...] | None:
        """The row of key ``params[0]`` visible to ``txn`` as a tuple, or None when the general plan must answer
        (no row at the derived id, or an unusual parameter)."""
        v = params[0] if len(params) == 1 else None
        get_one = getattr(txn, "get_one", None)
        if type(v) is not self.vtype or get_one is None:
            return None
        r = get_one(self.table, derive(self.prefix, v if type(v) is str else str(v)))
        if r is None or r.get(self.key) != v:
            return None  # absent, or not where its key says: the index decides
        g = self.getter
        try:
            return g(r) if g is not None else (r[self.names[0]],)  # type: ignore[no-any-return]
        except KeyError:  # a row written before a column was added
            return tuple(r.get(n) for n in self.names)

    def rows(self, session: Any, txn: Any, params: Any) -> tuple[tuple[Any, ...]] | None:
        """:meth:`read` as the statement's rows (the direct-read protocol of ``Statement.direct``)."""
        row = self.read(txn, params)
        return None if row is None else (row,)

    def run(self, sess: Any, txn: Any, params: list[Any]) -> Result:
        row = self.read(txn, params)
        if row is None:
            return self.general(sess, txn, params)
        sess.check_interrupts()
        return Result(tag="SELECT", columns=self.columns, rows=iter((row,)), tag_counts_rows=True)


_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_BITS = (0x5000 << 64) | (0x8000 << 48)
_new = object.__new__
_set = object.__setattr__
_SAFE = uuid.SafeUUID.unknown


def derive(prefix: str, key: str) -> uuid.UUID:
    """``engine.ids.hash_id(prefix + key)`` (the id of the row whose key text is ``key``), built without the
    UUID constructor's checks."""
    n = int.from_bytes(blake3((prefix + key).encode("utf-8", "surrogatepass")).digest(16), "big")
    u = _new(uuid.UUID)
    _set(u, "int", (n & _VERSION_MASK) | _VERSION_BITS)
    _set(u, "is_safe", _SAFE)
    return u  # type: ignore[no-any-return]


def attach(session: Any, st: Any) -> Any:
    """``st`` with its ``run`` replaced by a :class:`PointGet` when it is a point get by key; else ``st``."""
    if st.kind != "select" or len(st.param_oids) != 1 or not st.columns or getattr(st, "point", None):
        return st
    try:
        pg = _recognize(session, st)
    except Exception:  # noqa: BLE001 - an unexpected shape just keeps the general plan
        pg = None
    if pg is not None:
        st.point = st.direct = pg
        st.run = pg.run
    return st


def _recognize(session: Any, st: Any) -> PointGet | None:
    from engine.sql.statements import parse_one

    node = parse_one(st.sql)
    if not isinstance(node, exp.Select) or any(v for k, v in node.args.items() if k not in _ALLOWED_ARGS):
        return None
    frm = node.args.get("from") or node.args.get("from_")
    tbl = frm.this if isinstance(frm, exp.From) else None
    if not isinstance(tbl, exp.Table) or tbl.args.get("catalog") or tbl.args.get("joins"):
        return None
    alias = tbl.args.get("alias")
    if alias is not None and alias.args.get("columns"):
        return None
    names_ok = {tbl.name, tbl.alias_or_name}
    where = node.args.get("where")
    cond = where.this if isinstance(where, exp.Where) else None
    if not isinstance(cond, exp.EQ):
        return None
    col, par = cond.this, cond.expression
    if isinstance(col, exp.Parameter | exp.Placeholder):
        col, par = par, col
    if not (isinstance(col, exp.Column) and isinstance(col.this, exp.Identifier)
            and isinstance(par, exp.Parameter | exp.Placeholder)):
        return None
    if col.table and col.table not in names_ok or col.args.get("db"):
        return None
    for e in node.expressions:
        if isinstance(e, exp.Star):
            continue
        if not (isinstance(e, exp.Column) and isinstance(e.this, exp.Identifier)) or (e.table and e.table not in names_ok):
            return None
    reg = getattr(session.db, "registry", None)
    td = reg.get_by_oid(st.columns[0].table_oid) if reg is not None else None
    if td is None or td.name != tbl.name:
        return None
    key = _key_column(td)
    if key is None or key != col.name:
        return None
    explain = getattr(st, "explain", None)
    lines = explain() if explain is not None else None
    if not lines or len(lines) != 1 or not lines[0].startswith(f"Index Scan using {td.name}_pkey on {td.name}"):
        return None  # e.g. a view (its own filter) of the table's name: only a plain key lookup of the table
    kc = td.column(key)
    pt = st.param_oids[0]
    if kc.type_oid in _INTS and pt in _INTS:
        vtype: type = int
    elif kc.type_oid in _TEXTS and pt in _TEXTS:
        vtype = str
    else:
        return None
    by_attnum = {c.attnum: c for c in td.columns}
    names = []
    for c in st.columns:
        cd = by_attnum.get(c.attnum)
        if c.table_oid != td.oid or cd is None or cd.type_oid != c.type_oid or c.type_oid not in _PLAIN_TYPES:
            return None
        names.append(cd.name)
    return PointGet(td, key, vtype, names, st.columns, st.run)


def _key_column(td: Any) -> str | None:
    """The single-column primary key the row id derives from (engine.ids.id_source). Key fields are not used: they
    need not be unique, and a row may carry an explicit id."""
    return td.primary_key[0] if len(td.primary_key) == 1 else None
