"""COPY statements: ``COPY t [(cols)] FROM STDIN | TO STDOUT [WITH (…)]`` and ``COPY (query) TO STDOUT``.

The protocol layer moves the data (engine.api.CopySpec); rows coming in are inserted by engine.sql.dml.copy_in.
"""

from __future__ import annotations

from typing import Any

from engine import types as T
from engine.api import Column, CopySpec, Result
from engine.errors import (
    FeatureNotSupported,
    InsufficientPrivilege,
    SyntaxError_,
    UndefinedColumn,
    UndefinedTable,
)
from engine.sql.lexer import Cursor
from engine.sql.scope import ExecState
from engine.sql.statements import Statement, columns_of, parse_one, planner_for


def _options(c: Cursor, spec: dict[str, Any]) -> None:
    c.match("WITH")
    if c.cur is not None and c.cur.text == "(":
        c.next()
        while c.cur is not None and c.cur.text != ")":
            key = c.next().text.lower()
            val: Any = True
            if c.cur is not None and c.cur.text not in (",", ")"):
                if c.cur.text == "(":
                    c.next()
                    vals = []
                    while c.cur is not None and c.cur.text != ")":
                        t = c.next()
                        if t.text != ",":
                            vals.append(t.text)
                    c.next()
                    val = vals
                else:
                    val = c.value()
            spec[key] = val
            if c.cur is not None and c.cur.text == ",":
                c.next()
        if c.cur is None:
            c.error()
        c.next()
        return
    while not c.at_end():  # legacy syntax: CSV HEADER DELIMITER ',' NULL '' …
        w = c.next().text.lower()
        if w in ("csv", "binary"):
            spec["format"] = w
        elif w == "header":
            spec["header"] = True
        elif w in ("delimiter", "null", "quote", "escape"):
            c.match("AS")
            spec[w] = c.value()
        elif w == "force":
            c.match("QUOTE")
            spec["force_quote"] = True
            while c.cur is not None:
                c.next()
        else:
            c.i -= 1
            c.error()


def _spec(direction: str, columns: list[Column], opts: dict[str, Any]) -> CopySpec:
    fmt = str(opts.get("format", "text")).lower()
    if fmt not in ("text", "csv", "binary"):
        raise FeatureNotSupported(f'COPY format "{fmt}" not recognized')
    header = opts.get("header", False)
    if isinstance(header, str):
        header = header.lower() in ("true", "on", "1", "match")
    sp = CopySpec(direction=direction, columns=columns, format=fmt,
                  delimiter=opts.get("delimiter", "," if fmt == "csv" else "\t"),
                  null=opts.get("null", "" if fmt == "csv" else "\\N"), header=bool(header))
    if "quote" in opts:
        sp.quote = opts["quote"]
    if "escape" in opts:
        sp.escape = opts["escape"]
    elif "quote" in opts:
        sp.escape = sp.quote
    if opts.get("force_quote"):
        sp.force_quote = True
    if len(sp.delimiter) != 1:
        raise FeatureNotSupported("COPY delimiter must be a single one-byte character", sqlstate="22023")
    return sp


def prepare_copy(session: Any, sql: str, c: Cursor, given: list[int]) -> Statement:
    c.expect("COPY")
    if c.cur is not None and c.cur.text == "(":
        # COPY (query) TO STDOUT
        depth = 0
        start = c.i
        while c.cur is not None:
            t = c.next()
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
                if depth == 0:
                    break
        toks = c.tokens[start + 1: c.i - 1]
        if not toks:
            c.error()
        from engine.sql.lexer import _token_start

        qsql = sql[_token_start(sql, toks[0]): toks[-1].end + 1]
        if not c.match("TO"):
            raise SyntaxError_('COPY (query) supports only TO', position=1)
        if not c.match("STDOUT"):
            raise InsufficientPrivilege("COPY to a file is not supported; use COPY … TO STDOUT")
        opts: dict[str, Any] = {}
        _options(c, opts)
        params: dict[int, int] = {}
        step = planner_for(session, params).query(parse_one(qsql))
        cols = columns_of(step)
        spec = _spec("out", cols, opts)

        def run_q(s: Any, txn: Any, values: list[Any]) -> Result:
            from engine.session import ExecCtx

            rows = step.run(ExecState(values, ExecCtx(s, txn)))
            out = CopySpec(**{**spec.__dict__, "rows": iter(rows)})
            return Result(tag="COPY", copy=out, tag_counts_rows=True)
        return Statement(sql, [], None, run_q, needs_txn=True, kind="copy", cacheable=False)
    name = c.ident()
    schema = None
    if c.cur is not None and c.cur.text == ".":
        c.next()
        schema, name = name, c.ident()
    colnames: list[str] | None = None
    if c.cur is not None and c.cur.text == "(":
        c.next()
        colnames = []
        while c.cur is not None and c.cur.text != ")":
            if c.cur.text == ",":
                c.next()
                continue
            colnames.append(c.ident())
        c.next()
    if c.match("FROM"):
        direction = "in"
    elif c.match("TO"):
        direction = "out"
    else:
        c.error()
    if not (c.match("STDIN") if direction == "in" else c.match("STDOUT")):
        if c.is_string() or c.match("PROGRAM"):
            raise InsufficientPrivilege("COPY to or from a file is not supported; use STDIN/STDOUT")
        c.error()
    opts = {}
    _options(c, opts)
    reg = getattr(session.db, "registry", None)
    from engine.sql.schemas import find_table

    td = find_table(session, name, schema) if reg is not None else None
    if td is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    if colnames is None:  # COPY FROM fills the declared columns (the system id is derived), TO shows SELECT *'s
        colnames = [col.name for col in td.columns if not col.hidden and not (direction == "in" and col.system)]
    cols = []
    for n in colnames:
        col = td.column(n)
        if col is None:
            raise UndefinedColumn(f'column "{n}" of relation "{name}" does not exist')
        cols.append(Column(n, col.type_oid, col.typmod, td.oid, col.attnum))
    spec = _spec(direction, cols, opts)
    if direction == "in":
        spec.target = (td.name, list(colnames), td.schema)

        def run_in(s: Any, txn: Any, values: list[Any]) -> Result:
            return Result(tag="COPY", copy=CopySpec(**spec.__dict__))
        return Statement(sql, [], None, run_in, kind="copy", cacheable=False)
    names = list(colnames)

    def run_out(s: Any, txn: Any, values: list[Any]) -> Result:
        t = s.db.registry.get(td.name, td.schema)
        rows = [tuple(r.get(n) for n in names) for r in txn.scan(t)]
        out = CopySpec(**{**spec.__dict__, "rows": iter(rows)})
        return Result(tag="COPY", copy=out, tag_counts_rows=True)
    return Statement(sql, [], None, run_out, needs_txn=True, kind="copy", cacheable=False)


__all__ = ["prepare_copy", "T"]
