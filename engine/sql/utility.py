"""Utility statements parsed by hand (sqlglot reads most of them as opaque commands): SET/SHOW/RESET,
transaction control, savepoints, DISCARD, DEALLOCATE, PREPARE/EXECUTE, DECLARE/FETCH/MOVE/CLOSE,
LISTEN/UNLISTEN/NOTIFY, EXPLAIN, COPY, and no-op maintenance commands."""

from __future__ import annotations

from typing import Any

from engine import types as T
from engine.api import Column, Notice, Result
from engine.errors import (
    ActiveSqlTransaction,
    DuplicateCursor,
    DuplicatePreparedStatement,
    FeatureNotSupported,
    InvalidCursorName,
    InvalidSavepointSpecification,
    InvalidSqlStatementName,
    NoActiveSqlTransaction,
)
from engine.sql.lexer import Cursor
from engine.sql.statements import Statement, first_word, prepare_statement

TEXT_COL = T.TEXT


def _simple(sql: str, tag: str, fn: Any = None, **kw: Any) -> Statement:
    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        out = fn(s) if fn else None
        if isinstance(out, Result):
            return out
        return Result(tag=tag, notices=out or [])
    return Statement(sql, [], None, run, kind="utility", **kw)


def prepare(session: Any, sql: str, word: str, param_oids: list[int]) -> Statement | None:
    """A Statement for a utility command, or None when the SQL parser should handle it."""
    c = Cursor.of(sql)
    if word == "SET":
        return _set(sql, c)
    if word == "SHOW":
        return _show(sql, c)
    if word == "RESET":
        c.expect("RESET")
        name = "all" if c.match("ALL") else _guc_name(c)
        if not c.at_end():
            c.error()
        return _simple(sql, "RESET", lambda s: s.guc.reset(name, in_txn=s.transaction_status != "I"))
    if word in ("BEGIN", "START"):
        if word == "START":
            c.expect("START", "TRANSACTION")
            tag = "START TRANSACTION"
        else:
            c.expect("BEGIN")
            c.match("WORK") or c.match("TRANSACTION")
            tag = "BEGIN"
        modes = _txn_modes(c)
        return _simple(sql, tag, lambda s: _begin(s, modes))
    if word in ("COMMIT", "END"):
        c.next()
        c.match("WORK") or c.match("TRANSACTION")
        if c.match("PREPARED"):
            raise FeatureNotSupported("COMMIT PREPARED is not supported")
        chain = _chain(c)
        return _simple(sql, "COMMIT", lambda s: _commit(s, chain), allowed_in_failed=True)
    if word in ("ROLLBACK", "ABORT"):
        c.next()
        c.match("WORK") or c.match("TRANSACTION")
        if c.match("TO"):
            c.match("SAVEPOINT")
            name = c.ident()
            return _simple(sql, "ROLLBACK", lambda s: _rollback_to(s, name), allowed_in_failed=True)
        if c.match("PREPARED"):
            raise FeatureNotSupported("ROLLBACK PREPARED is not supported")
        chain = _chain(c)
        return _simple(sql, "ROLLBACK", lambda s: _rollback(s, chain), allowed_in_failed=True)
    if word == "SAVEPOINT":
        c.next()
        name = c.ident()
        return _simple(sql, "SAVEPOINT", lambda s: _savepoint(s, name))
    if word == "RELEASE":
        c.next()
        c.match("SAVEPOINT")
        name = c.ident()
        return _simple(sql, "RELEASE", lambda s: _release(s, name))
    if word == "DISCARD":
        c.next()
        what = c.next().text.upper()
        if what not in ("ALL", "PLANS", "SEQUENCES", "TEMP", "TEMPORARY"):
            c.i -= 1
            c.error()
        what = "TEMP" if what == "TEMPORARY" else what
        return _simple(sql, f"DISCARD {what}", lambda s: _discard(s, what))
    if word == "DEALLOCATE":
        c.next()
        c.match("PREPARE")
        if c.match("ALL"):
            return _simple(sql, "DEALLOCATE ALL", lambda s: _deallocate(s, None))
        name = c.ident()
        return _simple(sql, "DEALLOCATE", lambda s: _deallocate(s, name))
    if word == "PREPARE":
        return _prepare_sql(session, sql, c)
    if word == "EXECUTE":
        return _execute_sql(session, sql, c)
    if word == "DECLARE":
        return _declare(session, sql, c)
    if word in ("FETCH", "MOVE"):
        return _fetch(session, sql, c, word)
    if word == "CLOSE":
        c.next()
        if c.match("ALL"):
            return _simple(sql, "CLOSE CURSOR ALL", lambda s: s.cursors.clear())
        name = c.ident()
        return _simple(sql, "CLOSE CURSOR", lambda s: _close(s, name))
    if word == "LISTEN":
        c.next()
        ch = c.ident()
        return _simple(sql, "LISTEN", lambda s: _listen(s, ch))
    if word == "UNLISTEN":
        c.next()
        ch = "*" if c.cur is not None and c.cur.text == "*" else c.ident()
        return _simple(sql, "UNLISTEN", lambda s: s.listening.clear() if ch == "*" else s.listening.discard(ch))
    if word == "NOTIFY":
        c.next()
        ch = c.ident()
        payload = ""
        if c.cur is not None and c.cur.text == ",":
            c.next()
            payload = c.value()
        return _simple(sql, "NOTIFY", lambda s: _notify(s, ch, payload))
    if word == "EXPLAIN":
        return _explain(session, sql, c, param_oids)
    if word == "COPY":
        from engine.sql.copy import prepare_copy

        return prepare_copy(session, sql, c, param_oids)
    if word in ("CHECKPOINT", "VACUUM", "ANALYZE"):
        return _simple(sql, word)
    if word == "LOCK":
        return _simple(sql, "LOCK TABLE", lambda s: _need_txn(s, "LOCK TABLE"))
    if word == "CREATE" and c.peek_word(1) == "EXTENSION":
        c.expect("CREATE", "EXTENSION")
        c.match("IF", "NOT", "EXISTS")
        name = c.ident()
        if name not in ("vector", "plpgsql", "pgcrypto", "uuid-ossp"):
            from engine.errors import UndefinedFile
            raise UndefinedFile(f'extension "{name}" is not available')
        return _simple(sql, "CREATE EXTENSION")
    if word in ("GRANT", "REVOKE"):
        return _simple(sql, word)
    if word == "DO":
        raise FeatureNotSupported("DO blocks are not supported")
    if word in ("CREATE", "ALTER", "DROP"):
        from engine.sql import sequences

        st = sequences.prepare(session, sql, c, word)
        if st is not None:
            return st
        if word in ("CREATE", "ALTER") and "IDENTITY" in sql.upper():
            return sequences.prepare_with_identity(session, sql, param_oids)
    if word == "REFRESH":
        c.expect("REFRESH", "MATERIALIZED", "VIEW")
        c.match("CONCURRENTLY")
        first = c.ident()
        schema, name = (first, c.ident()) if c.cur is not None and c.cur.text == "." and c.next() else (None, first)
        with_data = not c.match("WITH", "NO", "DATA")
        c.match("WITH", "DATA")
        if not c.at_end():
            c.error()
        from engine.sql.ddl import refresh_materialized_view

        return refresh_materialized_view(session, sql, name, schema, with_data)
    if word == "COMMENT":
        from engine.sql.views import prepare_comment

        return prepare_comment(session, sql, c)
    return None


# ------------------------------------------------------------------ SET / SHOW
def _guc_name(c: Cursor) -> str:
    parts = [c.ident()]
    while c.cur is not None and c.cur.text == ".":
        c.next()
        parts.append(c.ident())
    return ".".join(parts)


def _set(sql: str, c: Cursor) -> Statement:
    c.expect("SET")
    local = False
    if c.match("LOCAL"):
        local = True
    else:
        c.match("SESSION")
    if c.match("CHARACTERISTICS", "AS", "TRANSACTION"):
        modes = _txn_modes(c)
        return _simple(sql, "SET", lambda s: [s.set_setting("default_" + k, v) for k, v in modes.items()] and None)
    if c.match("TRANSACTION"):
        if c.match("SNAPSHOT"):
            raise FeatureNotSupported("SET TRANSACTION SNAPSHOT is not supported")
        modes = _txn_modes(c)
        return _simple(sql, "SET", lambda s: _set_transaction(s, modes))
    if c.match("TIME", "ZONE"):
        name = "timezone"
        if c.match("LOCAL") or c.match("DEFAULT"):
            value: str | None = None
        elif c.peek_word() == "INTERVAL":
            raise FeatureNotSupported("SET TIME ZONE INTERVAL is not supported")
        else:
            value = c.value()
        return _set_stmt(sql, name, value, local)
    if c.match("NAMES"):
        value = None if c.match("DEFAULT") else c.value()
        return _set_stmt(sql, "client_encoding", value, local)
    if c.match("ROLE"):
        c.value()
        return _simple(sql, "SET")
    if c.match("SESSION", "AUTHORIZATION"):
        c.value()
        return _simple(sql, "SET")
    if c.peek_word() == "SCHEMA":
        c.next()
        value = c.value()
        return _set_stmt(sql, "search_path", value, local)
    name = _guc_name(c)
    if not (c.match("TO") or (c.cur is not None and c.cur.text == "=" and c.next())):
        c.error()
    if c.match("DEFAULT"):
        if not c.at_end():
            c.error()
        return _set_stmt(sql, name, None, local)
    items = [c.value()]
    while c.cur is not None and c.cur.text == ",":
        c.next()
        items.append(c.value())
    if not c.at_end():
        c.error()
    if name.lower() == "search_path":
        value = ", ".join(_quote_path(i) for i in items)
    else:
        value = ", ".join(items)
    return _set_stmt(sql, name, value, local)


def _quote_path(item: str) -> str:
    if item == "$user" or (item and not (item.islower() and item.replace("_", "").isalnum())):
        return f'"{item}"'
    return item


def _set_stmt(sql: str, name: str, value: str | None, local: bool) -> Statement:
    def fn(s: Any) -> list[Notice]:
        notices = []
        if local and s.transaction_status == "I":
            notices.append(Notice("SET LOCAL can only be used in transaction blocks", severity="WARNING",
                                  sqlstate="25P01"))
        s.set_setting(name, value, local=local)
        return notices
    return _simple(sql, "SET", fn)


def _show(sql: str, c: Cursor) -> Statement:
    c.expect("SHOW")
    if c.match("ALL"):
        cols = [Column("name", TEXT_COL), Column("setting", TEXT_COL), Column("description", TEXT_COL)]

        def run_all(s: Any, txn: Any, params: list[Any]) -> Result:
            return Result(tag="SHOW", columns=cols, rows=iter(s.guc.all()), tag_counts_rows=False)
        return Statement(sql, [], cols, run_all, kind="utility")
    if c.match("TIME", "ZONE"):
        name, label = "timezone", "TimeZone"
    elif c.match("TRANSACTION", "ISOLATION", "LEVEL"):
        name, label = "transaction_isolation", "transaction_isolation"
    elif c.match("SESSION", "AUTHORIZATION"):
        name, label = "session_authorization", "session_authorization"
    else:
        name = _guc_name(c)
        from engine.guc import definition

        d = definition(name)
        label = d.name if d is not None else name
    if not c.at_end():
        c.error()
    col = [Column(label, TEXT_COL)]

    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        return Result(tag="SHOW", columns=col, rows=iter([(s.get_setting(name),)]))
    return Statement(sql, [], col, run, kind="utility")


# ------------------------------------------------------------------ transactions
def _txn_modes(c: Cursor) -> dict[str, str]:
    """Transaction modes as settings: transaction_isolation / transaction_read_only / transaction_deferrable."""
    modes: dict[str, str] = {}
    while not c.at_end():
        if c.match("ISOLATION", "LEVEL"):
            for words in (("SERIALIZABLE",), ("REPEATABLE", "READ"), ("READ", "COMMITTED"), ("READ", "UNCOMMITTED")):
                if c.match(*words):
                    modes["transaction_isolation"] = " ".join(words).lower()
                    break
            else:
                c.error()
        elif c.match("READ", "ONLY"):
            modes["transaction_read_only"] = "on"
        elif c.match("READ", "WRITE"):
            modes["transaction_read_only"] = "off"
        elif c.match("NOT", "DEFERRABLE"):
            modes["transaction_deferrable"] = "off"
        elif c.match("DEFERRABLE"):
            modes["transaction_deferrable"] = "on"
        elif c.cur is not None and c.cur.text == ",":
            c.next()
        else:
            c.error()
    return modes


def _set_transaction(s: Any, modes: dict[str, str]) -> list[Notice] | None:
    """SET TRANSACTION …: the modes of the open transaction (a warning outside one, as PostgreSQL)."""
    if s.transaction_status == "I":
        return [Notice("SET TRANSACTION can only be used in transaction blocks", severity="WARNING",
                       sqlstate="25P01")]
    for k, v in modes.items():
        s.set_setting(k, v, local=True)
    return None


def _chain(c: Cursor) -> bool:
    if c.match("AND", "NO", "CHAIN"):
        return False
    if c.match("AND", "CHAIN"):
        return True
    if not c.at_end():
        c.error()
    return False


def _begin(s: Any, modes: dict[str, str]) -> list[Notice]:
    if s.transaction_status != "I":
        return [Notice("there is already a transaction in progress", severity="WARNING", sqlstate="25001")]
    s.begin()
    for k, v in modes.items():  # BEGIN ISOLATION LEVEL … / READ ONLY: this transaction's settings
        s.set_setting(k, v, local=True)
    return []


def _commit(s: Any, chain: bool) -> Result | list[Notice]:
    if s.transaction_status == "I":
        return [Notice("there is no transaction in progress", severity="WARNING", sqlstate="25P01")]
    from engine.schema import journal

    if s.transaction_status == "E":
        s.end(False)
        journal.finish(s, False)
        if chain:
            s.begin()
        return Result(tag="ROLLBACK")
    try:
        s.end(True)
    except BaseException:
        journal.finish(s, False)
        raise
    journal.finish(s, True)
    if chain:
        s.begin()
    return []


def _rollback(s: Any, chain: bool) -> list[Notice]:
    if s.transaction_status == "I":
        return [Notice("there is no transaction in progress", severity="WARNING", sqlstate="25P01")]
    from engine.schema import journal

    s.end(False)
    journal.finish(s, False)
    if chain:
        s.begin()
    return []


def _need_txn(s: Any, what: str) -> None:
    if s.transaction_status == "I":
        raise NoActiveSqlTransaction(f"{what} can only be used in transaction blocks")


def _savepoint(s: Any, name: str) -> None:
    _need_txn(s, "SAVEPOINT")
    if s.txn is not None:
        s.txn.savepoint(name)
    s.savepoints.append(name)
    from engine.schema import journal

    journal.savepoint(s, name)


def _release(s: Any, name: str) -> None:
    _need_txn(s, "RELEASE SAVEPOINT")
    if name not in s.savepoints:
        raise InvalidSavepointSpecification(f'savepoint "{name}" does not exist')
    if s.txn is not None:
        s.txn.release(name)
    i = len(s.savepoints) - 1 - s.savepoints[::-1].index(name)
    del s.savepoints[i:]


def _rollback_to(s: Any, name: str) -> None:
    _need_txn(s, "ROLLBACK TO SAVEPOINT")
    if name not in s.savepoints:
        raise InvalidSavepointSpecification(f'savepoint "{name}" does not exist')
    if s.txn is not None:
        s.txn.rollback_to(name)
    from engine.schema import journal

    journal.rollback_to(s, name)
    i = len(s.savepoints) - 1 - s.savepoints[::-1].index(name)
    del s.savepoints[i + 1:]
    s.transaction_status = "T"


# ------------------------------------------------------------------ session resets, prepared statements
def _discard(s: Any, what: str) -> None:
    if what == "ALL":
        if s.transaction_status != "I":
            raise ActiveSqlTransaction("DISCARD ALL cannot run inside a transaction block")
        s.guc.reset("all")
        s.sql_prepared.clear()
        s.named_statements.clear()
        s.cursors.clear()
        s.listening.clear()
        s._cache.clear()
    elif what == "PLANS":
        s._cache.clear()
    from engine.sql import sequences, temp_relations

    if what in ("ALL", "TEMP"):
        temp_relations.discard(s)  # the session's temporary relations
    if what in ("ALL", "SEQUENCES"):
        sequences.discard(s)  # currval / lastval values


def _deallocate(s: Any, name: str | None) -> Result:
    if name is None:
        s.sql_prepared.clear()
        names = list(s.named_statements)
        s.named_statements.clear()
        return Result(tag="DEALLOCATE ALL", deallocate=["*"] + names) if _has_dealloc() else Result(tag="DEALLOCATE ALL")
    if name in s.sql_prepared:
        del s.sql_prepared[name]
    elif name in s.named_statements:
        del s.named_statements[name]
    else:
        raise InvalidSqlStatementName(f'prepared statement "{name}" does not exist')
    return Result(tag="DEALLOCATE", deallocate=[name]) if _has_dealloc() else Result(tag="DEALLOCATE")


def _has_dealloc() -> bool:
    return "deallocate" in Result.__dataclass_fields__


def _prepare_sql(session: Any, sql: str, c: Cursor) -> Statement:
    from engine.sql.sqltypes import parse_type_text
    from engine.sql.statements import parse_one

    c.expect("PREPARE")
    name = c.ident()
    oids: list[int] = []
    if c.cur is not None and c.cur.text == "(":
        c.next()
        start = c.cur
        depth = 0
        buf: list[str] = []
        parts: list[str] = []
        while c.cur is not None:
            t = c.next()
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                if depth == 0:
                    break
                depth -= 1
            if t.text == "," and depth == 0:
                parts.append(" ".join(buf))
                buf = []
                continue
            buf.append(t.text)
        if buf:
            parts.append(" ".join(buf))
        del start
        oids = [parse_type_text(p.replace(" ( ", "(").replace(" )", ")").replace(" ,", ","))[0] for p in parts]
    c.expect("AS")
    body = c.rest()
    if not body.strip():
        c.error()
    parse_one(body) if first_word(body) not in ("SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "WITH") else None

    def fn(s: Any) -> None:
        if name in s.sql_prepared:
            raise DuplicatePreparedStatement(f'prepared statement "{name}" already exists')
        s.sql_prepared[name] = prepare_statement(s, body, oids)
        s.sql_prepared[name].fixed_result = True
    return _simple(sql, "PREPARE", fn, cacheable=False)


def _execute_sql(session: Any, sql: str, c: Cursor) -> Statement:
    from engine.sql.compiler import Compiler
    from engine.sql.planner import Planner
    from engine.sql.scope import ExecState, Scope
    from engine.sql.statements import parse_one

    c.expect("EXECUTE")
    name = c.ident()
    target = session.sql_prepared.get(name)
    if target is None:
        raise InvalidSqlStatementName(f'prepared statement "{name}" does not exist')
    arg_fns = []
    if c.cur is not None and c.cur.text == "(":
        rest = c.rest()
        node = parse_one("SELECT " + rest)
        comp = Compiler(Scope([]), Planner.__new__(Planner), {})
        for i, e in enumerate(node.expressions):  # type: ignore[attr-defined]
            want = target.param_oids[i] if i < len(target.param_oids) else T.TEXT
            ce = comp.cast_ce(comp.compile(e, want), want)
            arg_fns.append(ce.fn)

    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        from engine.session import ExecCtx

        st = ExecState([], ExecCtx(s, txn))
        vals = [f((), st) for f in arg_fns]
        stmt = s.sql_prepared.get(name, target)
        if stmt.version != s.plan_version() and stmt.replannable:
            stmt = s._replan(stmt)  # re-planned in place; 0A000 when the result columns changed
        return s._run(stmt, vals)
    return Statement(sql, [], target.columns, run, kind="utility", cacheable=False)


# ------------------------------------------------------------------ cursors
def _declare(session: Any, sql: str, c: Cursor) -> Statement:
    from engine.sql.scope import ExecState
    from engine.sql.statements import columns_of, finish_params, parse_one, planner_for

    c.expect("DECLARE")
    name = c.ident()
    hold = False
    scroll = False
    while True:
        if c.match("BINARY"):
            raise FeatureNotSupported("DECLARE BINARY is not supported")
        if c.match("INSENSITIVE") or c.match("ASENSITIVE"):
            continue
        if c.match("NO", "SCROLL"):
            continue
        if c.match("SCROLL"):
            scroll = True
            continue
        break
    c.expect("CURSOR")
    if c.match("WITH", "HOLD"):
        hold = True
    else:
        c.match("WITHOUT", "HOLD")
    c.expect("FOR")
    body = c.rest()
    node = parse_one(body)
    params: dict[int, int] = {}
    step = planner_for(session, params).query(node)
    cols = columns_of(step)
    oids = finish_params(params, [])

    def run(s: Any, txn: Any, values: list[Any]) -> Result:
        from engine.session import Cursor as Cur
        from engine.session import ExecCtx

        if s.transaction_status == "I" and not hold:
            raise NoActiveSqlTransaction("DECLARE CURSOR can only be used in transaction blocks")
        if name in s.cursors:
            raise DuplicateCursor(f'cursor "{name}" already exists')
        rows = step.run(ExecState(values, ExecCtx(s, txn)))
        s.cursors[name] = Cur(name, cols, rows, hold, scroll)
        return Result(tag="DECLARE CURSOR")
    return Statement(sql, oids, None, run, needs_txn=True, kind="utility")


def _fetch(session: Any, sql: str, c: Cursor, word: str) -> Statement:
    c.next()
    count: int | None = 1
    absolute: int | None = None
    relative: int | None = None
    backward = False

    def num() -> int:
        t = c.next()
        sign = 1
        if t.text == "-":
            sign = -1
            t = c.next()
        elif t.text == "+":
            t = c.next()
        try:
            return sign * int(t.text)
        except ValueError:
            c.i -= 1
            c.error()
            return 0

    if c.match("NEXT"):
        count = 1
    elif c.match("PRIOR"):
        count, backward = 1, True
    elif c.match("FIRST"):
        absolute = 1
    elif c.match("LAST"):
        absolute = -1
    elif c.match("ABSOLUTE"):
        absolute = num()
    elif c.match("RELATIVE"):
        relative = num()
    elif c.match("ALL"):
        count = None
    elif c.match("FORWARD"):
        if c.match("ALL"):
            count = None
        elif c.cur is not None and c.peek_word() not in ("FROM", "IN"):
            count = num()
    elif c.match("BACKWARD"):
        backward = True
        if c.match("ALL"):
            count = None
        elif c.cur is not None and c.peek_word() not in ("FROM", "IN"):
            count = num()
    elif c.cur is not None and c.peek_word() not in ("FROM", "IN") and (c.cur.text.lstrip("-+").isdigit() or c.cur.text in "-+"):
        count = num()
        if count < 0:
            backward, count = True, -count
    c.match("FROM") or c.match("IN")
    name = c.ident()
    if not c.at_end():
        c.error()
    cur = session.cursors.get(name)
    if cur is None:
        raise InvalidCursorName(f'cursor "{name}" does not exist')
    cols = cur.columns if word == "FETCH" else None

    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        cr = s.cursors.get(name)
        if cr is None:
            raise InvalidCursorName(f'cursor "{name}" does not exist')
        n = len(cr.rows)
        if absolute is not None or relative is not None:
            target = (absolute if absolute >= 0 else n + 1 + absolute) if absolute is not None \
                else cr.pos + (relative or 0)
            cr.pos = max(0, min(n + 1, target))
            rows = [cr.rows[cr.pos - 1]] if 1 <= cr.pos <= n else []
        elif backward:
            if not cr.scroll and False:
                raise FeatureNotSupported("cursor can only scan forward")
            k = cr.pos - 1 if count is None else min(count, cr.pos - 1 if cr.pos > 0 else 0)
            if cr.pos > n:
                k = min(count if count is not None else n, n)
                start = n
            else:
                start = cr.pos - 1
            rows = [cr.rows[i] for i in range(start - 1, start - 1 - k, -1) if 0 <= i < n] if k > 0 else []
            cr.pos = max(0, start - k)
        else:
            start = cr.pos
            end = n if count is None else min(n, start + count)
            rows = cr.rows[start:end] if start < n else []
            cr.pos = end + 1 if (count is None or start + count > n) else end
            if rows:
                cr.pos = start + len(rows) if count is not None and start + count <= n else n + 1
        if word == "MOVE":
            return Result(tag=f"MOVE {len(rows)}")
        return Result(tag="FETCH", columns=cols, rows=iter(rows), tag_counts_rows=True)
    return Statement(sql, [], cols, run, kind="utility", cacheable=False)


def _close(s: Any, name: str) -> None:
    if name not in s.cursors:
        raise InvalidCursorName(f'cursor "{name}" does not exist')
    del s.cursors[name]


# ------------------------------------------------------------------ LISTEN / NOTIFY
def _listen(s: Any, ch: str) -> None:
    s.listening.add(ch)


def _notify(s: Any, ch: str, payload: str) -> None:
    queue = getattr(s, "queue_notify", None)  # the session delivers at commit (engine.session)
    if queue is not None:
        queue(ch, payload)
        return
    hub = getattr(s.db, "notify", None)
    if hub is not None:
        hub(s, ch, payload)


# ------------------------------------------------------------------ EXPLAIN
def _explain(session: Any, sql: str, c: Cursor, param_oids: list[int]) -> Statement:
    c.expect("EXPLAIN")
    analyze = False
    if c.cur is not None and c.cur.text == "(":
        c.next()
        while c.cur is not None and c.cur.text != ")":
            w = c.next().text.upper()
            if w == "ANALYZE":
                analyze = c.peek_word() not in ("FALSE", "OFF")
            if c.peek_word() in ("TRUE", "FALSE", "ON", "OFF"):
                c.next()
            if c.cur is not None and c.cur.text == ",":
                c.next()
        c.next()
    else:
        while c.peek_word() in ("ANALYZE", "VERBOSE", "ANALYSE"):
            analyze = analyze or c.peek_word().startswith("ANALY")
            c.next()
    body = c.rest()
    inner = prepare_statement(session, body, param_oids)
    if inner.explain is None:
        raise FeatureNotSupported(f"EXPLAIN {first_word(body)} is not supported")
    col = [Column("QUERY PLAN", TEXT_COL)]

    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        assert inner.explain is not None
        lines = []
        for ln in inner.explain():
            lines.extend(ln.split("\n"))
        if analyze:
            import time

            t0 = time.perf_counter()
            res = inner.run(s, txn, params)
            n = sum(1 for _ in res.rows)
            lines.append(f"Execution Time: {(time.perf_counter() - t0) * 1000:.3f} ms ({n} rows)")
        return Result(tag="EXPLAIN", columns=col, rows=iter([(ln,) for ln in lines]), tag_counts_rows=False)
    return Statement(sql, inner.param_oids, col, run, needs_txn=True, kind="utility",
                     writes=analyze and inner.writes)
