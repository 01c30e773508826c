"""Prepared statements: parse one statement (utility statements by hand, the rest with the Rem dialect) into a
:class:`Statement` whose ``run(session, txn, params)`` returns an engine.api.Result."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError

from engine import types as T
from engine.api import Column, Result
from engine.errors import FeatureNotSupported, IndeterminateDatatype, SyntaxError_

Runner = Callable[[Any, Any, list[Any]], Result]


@dataclass
class Statement:
    """One prepared statement (implements engine.api.Prepared)."""

    sql: str
    param_oids: list[int]
    columns: list[Column] | None
    run: Runner = field(repr=False, default=lambda s, t, p: Result(tag=""))
    is_empty: bool = False
    needs_txn: bool = False  # reads or writes tables: runs inside a store transaction
    writes: bool = False
    allowed_in_failed: bool = False  # ROLLBACK / COMMIT / ROLLBACK TO in an aborted transaction
    cacheable: bool = True
    replannable: bool = True
    version: int = 0
    given_oids: list[int] = field(default_factory=list)
    kind: str = "query"
    explain: Callable[[], list[str]] | None = field(default=None, repr=False)
    fixed_result: bool = False  # a named prepared statement: re-planning must not change its result columns


_UTILITY = {"SET", "SHOW", "RESET", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT",
            "RELEASE", "DISCARD", "DEALLOCATE", "DECLARE", "FETCH", "MOVE", "CLOSE", "LISTEN", "UNLISTEN",
            "NOTIFY", "PREPARE", "EXECUTE", "EXPLAIN", "COPY", "CHECKPOINT", "VACUUM", "ANALYZE", "LOCK",
            "GRANT", "REVOKE", "COMMENT", "CREATE", "DROP", "ALTER", "TRUNCATE", "DO", "REFRESH", "REINDEX",
            "CLUSTER", "SECURITY", "IMPORT", "LOAD"}
_FIRST_WORD = re.compile(r"^\s*(?:(?:--[^\n]*\n)|(?:/\*.*?\*/)|\s)*([A-Za-z]+)", re.S)


def first_word(sql: str) -> str:
    m = _FIRST_WORD.match(sql)
    return m.group(1).upper() if m else ""


def prepare_statement(session: Any, sql: str, param_oids: list[int]) -> Statement:
    """Parse and plan ``sql`` (one statement) for ``session``."""
    from engine.sql import utility
    from engine.sql.casts import set_session_datestyle, set_session_timezone

    guc = getattr(session, "guc", None)
    set_session_timezone(guc.get("TimeZone", missing_ok=True) if guc is not None else None)
    set_session_datestyle(guc.get("DateStyle", missing_ok=True) if guc is not None else None)

    word = first_word(sql)
    if not word:
        from engine.sql.lexer import tokenize

        if not tokenize(sql):
            return Statement(sql, [], None, is_empty=True)
    if word in _UTILITY:
        st = utility.prepare(session, sql, word, param_oids)
        if st is not None:
            st.given_oids = list(param_oids)
            return st
    node = None
    if word == "INSERT" and len(sql) > 200:
        from engine.sql.fastinsert import parse_insert_values

        node = parse_insert_values(sql)
    if node is None:
        node = parse_one(sql)
    st = prepare_ast(session, sql, node, param_oids)
    st.given_oids = list(param_oids)
    if len(sql) > 4096 and (not st.param_oids or len(sql) > 1 << 20):
        st.cacheable = False  # big literal statements are rarely repeated (big $n templates are: batch writers)
    return st


def parse_one(sql: str) -> exp.Expression:
    """The single statement in ``sql`` parsed with the Rem dialect; 42601 with a position on errors."""
    from engine.sql.dialect import DIALECT
    from engine.sql.lexer import tokenize
    from engine.sql.pgsyntax import rewrite_tokens

    tokens = rewrite_tokens(tokenize(sql))
    try:
        nodes = DIALECT.parser(error_level=None).parse(tokens, sql)
    except ParseError as e:
        err = syntax_error(sql, e)
        err.hint = getattr(e, "hint", None)  # the grammar of a REM statement (engine.sql.dialect.GRAMMAR)
        raise err from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise SyntaxError_("syntax error at end of input", position=len(sql) + 1)
    if len(nodes) > 1:
        raise SyntaxError_("cannot insert multiple commands into a prepared statement")
    node = nodes[0]
    if isinstance(node, exp.Command):
        raise FeatureNotSupported(f"{node.this} is not supported")
    from engine.sql.idents import fold_identifiers
    from engine.sql.pgsyntax import fix_arrows

    if "->" in sql:
        fix_arrows(node)  # col -> 'k' inside a call's arguments (sqlglot reads it as a lambda)
    return fold_identifiers(node)  # unquoted names are case-insensitive (PostgreSQL lower-cases them)


def syntax_error(sql: str, e: ParseError) -> SyntaxError_:
    """PostgreSQL's rendering of a sqlglot parse error: 'syntax error at or near "x"' with a 1-based position."""
    errs = e.errors or []
    if not errs:
        return SyntaxError_("syntax error at end of input", position=len(sql) + 1)
    err = errs[0]
    line, col = err.get("line") or 1, err.get("col") or 1
    hl = err.get("highlight") or ""
    lines = sql.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - len(hl)
    desc = err.get("description") or ""
    end_ctx = err.get("end_context") or ""
    if not end_ctx.strip() and ("Required keyword" in desc or "Expected" in desc or "Expecting" in desc
                                or "end of input" in desc):
        return SyntaxError_("syntax error at end of input", position=len(sql.rstrip().rstrip(";")) + 1)
    if not hl:
        return SyntaxError_("syntax error at end of input", position=len(sql) + 1)
    return SyntaxError_(f'syntax error at or near "{hl}"', position=max(1, offset + 1))


def columns_of(step: Any) -> list[Column]:
    return [Column(c.name, c.oid if c.oid != T.UNKNOWN else T.TEXT, c.typmod, c.table_oid, c.attnum)
            for c in step.cols]


def finish_params(params: dict[int, int], given: list[int]) -> list[int]:
    n = max(list(params) + [len(given)], default=0)
    out = []
    for i in range(1, n + 1):
        o = given[i - 1] if i <= len(given) and given[i - 1] else params.get(i, 0)
        out.append(o or T.TEXT)
    return out


def prepare_ast(session: Any, sql: str, node: exp.Expression, param_oids: list[int]) -> Statement:
    """Plan a parsed statement: queries here, DML in engine.sql.dml, DDL in engine.sql.ddl."""
    from engine.sql import ddl, dml, temp_relations
    from engine.sql.dialect import Fuzzy, Lookup, Search, Traverse

    node = temp_relations.qualify(session, sql, node)  # the pg_temp schema alias, others' temporary tables
    params = {i + 1: o for i, o in enumerate(param_oids) if o}
    if isinstance(node, (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)):
        return prepare_query(session, sql, node, params, param_oids)
    if isinstance(node, (exp.Insert, exp.Update, exp.Delete)):
        return dml.prepare(session, sql, node, params, param_oids)
    if isinstance(node, (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)):
        return ddl.prepare(session, sql, node, params, param_oids)
    if isinstance(node, (Search, Traverse, Lookup, Fuzzy)):
        from engine.sql import remstmt

        return remstmt.prepare(session, sql, node, params, param_oids)
    if isinstance(node, exp.Transaction | exp.Commit | exp.Rollback):
        from engine.sql import utility

        st = utility.prepare(session, sql, first_word(sql), param_oids)
        if st is not None:
            return st
    raise FeatureNotSupported(f"statement not supported: {type(node).__name__.upper()}")


def planner_for(session: Any, params: dict[int, int]) -> Any:
    from engine.sql.planner import Env, Planner

    return Planner(Env(getattr(session.db, "registry", None), search_path(session), session.user), params)


def search_path(session: Any) -> list[str]:
    raw = session.guc.get("search_path", missing_ok=True) or "public"
    out = []
    for part in raw.split(","):
        p = part.strip()
        if p.startswith('"') and p.endswith('"'):
            p = p[1:-1]
        else:
            p = p.lower()
        if p:
            out.append(p)
    temp = getattr(session, "temp_schema", None)
    if temp and temp not in out:
        out.insert(0, temp)  # the session's temporary relations first (engine/sql/temp_relations.py)
    return out


def prepare_query(session: Any, sql: str, node: exp.Expression, params: dict[int, int],
                  given: list[int]) -> Statement:
    from engine.sql import dml_cte
    from engine.sql.scope import ExecState

    planner = planner_for(session, params)
    first = dml_cte.install(planner, session, sql, node, params, given) if dml_cte.has_dml_cte(node) else []
    step = planner.query(node)
    cols = columns_of(step)
    oids = finish_params(params, given)
    batch = getattr(step, "run_columns", None)  # a projection of a function's column batch (engine.sql.plan)

    def run(sess: Any, txn: Any, values: list[Any]) -> Result:
        from engine.session import ExecCtx

        st = ExecState(values, ExecCtx(sess, txn))
        for f in first:
            f.reset()
        for f in first:
            f.run(st)
        rows = batch(st) if batch is not None else None
        if rows is None:
            rows = step.run(st)
        return Result(tag="SELECT", columns=cols, rows=iter(rows), tag_counts_rows=True)

    if first:
        return Statement(sql, oids, cols, run, needs_txn=True, writes=True, kind="select", cacheable=False,
                         explain=lambda: step.explain())
    needs = not constant_select(node)
    return Statement(sql, oids, cols, run, needs_txn=needs, kind="select", explain=lambda: step.explain())


# node types of a SELECT that reads nothing but its literals and parameters (``SELECT 1``, ``SELECT $1::int4``)
_CONSTANT_NODES = (exp.Select, exp.Literal, exp.Parameter, exp.Placeholder, exp.Alias, exp.Paren, exp.Identifier,
                   exp.Boolean, exp.Null, exp.Neg, exp.Not, exp.And, exp.Or, exp.Add, exp.Sub, exp.Mul, exp.Div,
                   exp.Mod, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Cast, exp.DataType)
_CONSTANT_CASTS = frozenset({"INT", "SMALLINT", "BIGINT", "TEXT", "VARCHAR", "BOOLEAN", "DECIMAL", "DOUBLE",
                             "FLOAT"})


def constant_select(node: exp.Expression) -> bool:
    """True for a SELECT without FROM, subqueries or function calls: it needs no store transaction."""
    if not isinstance(node, exp.Select) or any(v for k, v in node.args.items() if k != "expressions"):
        return False
    for n in node.walk():
        if type(n) not in _CONSTANT_NODES and not isinstance(n, exp.DataType):
            return False
        if isinstance(n, exp.Select) and n is not node:
            return False
        if isinstance(n, exp.Cast):
            to = n.args.get("to")
            if (not isinstance(to, exp.DataType) or getattr(to.this, "name", None) not in _CONSTANT_CASTS
                    or to.expressions):
                return False
    return True


def check_params(oids: list[int]) -> None:
    for i, o in enumerate(oids):
        if o == T.UNKNOWN:
            raise IndeterminateDatatype(f"could not determine data type of parameter ${i + 1}")
