"""Simple-query literal normalization (engine.sql.normalize): statements that differ only in literals reuse one
plan, and every byte a client receives is the same as with the full parse.

The differential test runs a corpus (tests/sql/cases, the client introspection corpus of ../shared/pgcompat, and
statements with varying literals) through the protocol state machine on three real stores: two with the literal
cache off (A, C) and one with it on (B). A statement whose output differs between A and C is nondeterministic
(now(), random ids) and is not compared; for every other one B must send exactly A's bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.database import open_database
from engine.session import RemSession
from engine.settings import Settings
from engine.sql.lexer import split, split_tokens
from engine.sql.normalize import normalize
from remwire.connection import Connection
from remwire.protocol import messages as m
from tests.catalog.replay import DOCS_DDL, load_corpus

CASES = Path(__file__).parents[1] / "sql" / "cases"

VARIED = [
    "create table lit_t (id int primary key, v text, n bigint, s smallint, vc varchar(10), b bool)",
    "insert into lit_t select g, 'x' || g, g::bigint * 1000000000, g % 100, 'v' || (g % 7), g % 2 = 0 "
    "from generate_series(1, 300) g",
    *[f"select * from lit_t where id = {i}" for i in (1, 2, 77, 300, 301, 0, -1, 2147483647, 2147483648)],
    *[f"select v from lit_t where v = '{v}'" for v in ("x5", "x17", "nope", "it''s", "", "x1 ")],
    *[f"select id from lit_t where id = '{v}'" for v in ("5", " 6 ", "7.0", "abc", "99999999999", "-3")],
    *[f"select id, n from lit_t where n > {v} order by id limit 3" for v in (0, 5000000000, 9223372036854775807)],
    *[f"select count(*) from lit_t where s = {v} and b = true" for v in (4, 40, 32768)],
    *[f"select id from lit_t where vc = '{v}' and id < {i} order by 1" for v, i in (("v1", 30), ("v2", 60))],
    *[f"select id from lit_t where id in ({a}, {b}, {c}) order by id desc" for a, b, c in ((1, 2, 3), (9, 8, 400))],
    *[f"select id from lit_t where v in ('x{a}', 'x{b}') order by 1" for a, b in ((1, 2), (250, 3))],
    *[f"select {a} + {b}, {a} * 2, -{a}, {a} / {b}" for a, b in ((1, 2), (7, 0), (2147483647, 1), (5, 3))],
    *[f"select id, v from lit_t where id between {a} and {b} order by 2 desc limit {c}" for a, b, c in
      ((1, 9, 3), (5, 20, 2))],
    *[f"select id::text || '-' || {a}, v < 'x{a}' from lit_t where id = {a}" for a in (3, 4)],
    "select generate_series(1, 3), substr('abcdef', 2, 3), round(2.567, 2), repeat('ab', 3)",
    *[f"select * from lit_t where id = {i} and v like 'x%'" for i in (10, 11)],
    *[f"select case when id = {i} then 'a' else 'b' end from lit_t where id <= {i + 1} order by id"
      for i in (1, 2)],
    *[f"select (select max(id) from lit_t where id < {i}), exists (select 1 from lit_t where id = {i})"
      for i in (50, 500)],
    "select pg_typeof(1), pg_typeof(2147483648), pg_typeof(-2147483648)",
    "create table lit_w (id int primary key, t text, n numeric(6,2), s smallint, b bigint, f float8, ok bool, "
    "d date, j jsonb)",
    *[f"insert into lit_w (id, t, n, s, b, f) values ({i}, {i * 3}, {i}, {i}, {i * 7}, {i})" for i in (1, 2, 3)],
    "insert into lit_w (id, s) values (4, 70000)",
    "insert into lit_w (id, n) values (5, 123456)",
    "insert into lit_w (id, ok) values (6, 1)",
    "insert into lit_w (id, j) values (7, 5)",
    "insert into lit_w (id, d) values (8, 20200101)",
    *[f"insert into lit_w (id, t) values ({i}, 'x{i}') returning id + {i}, t" for i in (10, 11)],
    *[f"insert into lit_w (id, t) values ({i}, 'dup') on conflict (id) do update set t = 'c' || {i}, s = {i} "
      f"returning *" for i in (10, 12)],
    *[f"update lit_w set n = n + {i}, s = s * {i} where id = {i} returning n, s" for i in (1, 2, 3, 4)],
    *[f"update lit_w set t = 'u' where t = 'x{i}' and id > {i - 20}" for i in (10, 11)],
    *[f"update lit_w set s = {v} where id = 1" for v in (32767, 32768)],
    *[f"delete from lit_w where id = {i} returning id" for i in (12, 99)],
    *[f"delete from lit_w where t = '{v}' and id in ({a}, {b})" for v, a, b in (("u", 10, 11), ("3", 1, 2))],
    "select * from lit_w order by id",
    *[f"insert into lit_w (id, t, s, b) values ({i}, '{v}', '{i}', '{i * 2}') returning *" for i, v in
      ((20, "a"), (21, "it''s"), (22, ""))],
    *[f"insert into lit_w values ({i}, '{v}', {i}, {i}, {i}, {i}, true, '2020-01-0{i - 29}', '{{}}')"
      for i, v in ((30, "x"), (31, "y"))],
    "insert into lit_w (id, t) values (40, 'r1'), (41, 'r2'), (42, 'r3')",
    "insert into lit_w (id, t) values (43, 'r4'), (44, 'r5'), (45, 'r6')",
    "insert into lit_w (id, s) values (46, 'x')",
    "insert into lit_w (id, s) values (47, '99999')",
    "insert into lit_w (id, ok) values (48, 'maybe')",
    "insert into lit_w (id, t) values (49, 'n' || 'm'), (50, upper('q'))",
    "insert into lit_t (id, v, vc) values (500, 'long', 'toolongvalue')",
    "insert into lit_t (id, v, vc) values (501, 'ok', 'short')",
    "select id, t, s, b, ok, d, j from lit_w where id >= 20 order by id",
]


def _corpus() -> list[str]:
    out: list[str] = []
    for f in sorted(CASES.glob("*.sql")):
        out += [s for s in split(f.read_text()) if s.strip()]
    out.append(DOCS_DDL)
    out += [sql.replace("{docs_oid}", "16384") for _id, sql in load_corpus()]
    return out + VARIED


def _connect(db: Any) -> Connection:
    c = Connection(db)
    c.feed(m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem", "database": "rem"}).encode())
    return c


@pytest.fixture
def trio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Connection]]:
    dbs = [open_database(Settings(data_dir=tmp_path / f"db{i}", core_schemas=False)) for i in range(3)]
    conns = [_connect(d) for d in dbs]
    try:
        yield conns
    finally:
        for c in conns:
            c.close()
        for d in dbs:
            d.close()


def test_literal_cache_is_byte_identical_to_the_full_parse(trio: list[Connection]) -> None:
    a, b, c = trio
    for conn, on in ((a, False), (b, True), (c, False)):
        assert isinstance(conn.session, RemSession)
        conn.session.normalize_literals = on
    compared = normalized = 0
    mismatches = []
    for sql in _corpus():
        msg = m.Query(sql).encode()
        out_a, out_b, out_c = a.feed(msg), b.feed(msg), c.feed(msg)
        if out_a != out_c:
            continue  # nondeterministic output (clock, generated ids)
        compared += 1
        normalized += normalize(sql) is not None
        if out_b != out_a:
            mismatches.append((sql, out_a[:300], out_b[:300]))
    assert not mismatches, mismatches[:3]
    sess = b.session
    assert isinstance(sess, RemSession)
    used = [k for k, st in sess._templates.items() if st.kind != "unsafe-template"]
    assert compared > 600 and normalized > 200 and len(used) > 100, (compared, normalized, len(used))


def test_templates_are_shared_by_statements_differing_in_literals(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db", core_schemas=False))
    s = db.session("rem", "rem")
    try:
        for sql in VARIED[:2]:
            s.execute(s.prepare(sql))
        got = [list(s.execute(s.prepare(f"select v from lit_t where id = {i}")).rows) for i in (3, 4, 5)]
        assert got == [[("x3",)], [("x4",)], [("x5",)]]
        assert len([k for k in s._templates if k[0] == "select v from lit_t where id = $1"]) == 1
        # a string compared with an integer column is bound through integer input; bad input is the full path's
        assert list(s.execute(s.prepare("select v from lit_t where id = ' 8'")).rows) == [("x8",)]
        with pytest.raises(Exception, match='invalid input syntax for type integer: "x"'):
            s.prepare("select v from lit_t where id = 'x'")
    finally:
        s.close()
        db.close()


def test_literal_queries_over_tcp(conn: psycopg.Connection) -> None:
    """psql/psycopg2-style inline literals through a real server (simple query protocol)."""
    conn.execute("create table lit_tcp (id int primary key, v text)")
    conn.execute("insert into lit_tcp select g, 'v' || g from generate_series(1, 50) g")
    cur = psycopg.ClientCursor(conn)
    for i in (1, 25, 50, 51):
        cur.execute(f"select v from lit_tcp where id = {i}")
        assert cur.fetchall() == ([(f"v{i}",)] if i <= 50 else [])
    cur.execute("select id from lit_tcp where v = 'v7'")
    assert cur.fetchall() == [(7,)]
    conn.execute("drop table lit_tcp")


def test_parse_in_failed_transaction_fails_at_parse(conn: psycopg.Connection) -> None:
    """A cached statement is refused at Parse in an aborted transaction (25P02), as in PostgreSQL."""
    from tests.wire.rawclient import RawClient

    info = conn.info
    c = RawClient(info.host, info.port)
    c.startup()
    c.send(m.Parse("s1", "select 1", ()), m.Sync())
    c.until()
    c.send(m.Query("begin; select 1/0"))
    c.until()
    c.send(m.Parse("s1b", "select 1", ()), m.Bind("", "s1", (), (), ()), m.Execute("", 0), m.Sync())
    msgs = c.until()
    errors = [x for x in msgs if isinstance(x, m.ErrorResponse)]
    assert not any(isinstance(x, m.ParseComplete) for x in msgs)
    assert dict(errors[0].fields)["C"] == "25P02"
    assert isinstance(msgs[-1], m.ReadyForQuery) and msgs[-1].status == "E"
    c.send(m.Query("rollback"))
    c.until()
    c.sock.close()


def test_split_fast_path_matches_the_tokenizer() -> None:
    """Texts without quotes or comments are split without the tokenizer: same statements as the general path."""
    texts = [f.read_text() for f in sorted(CASES.glob("*.sql"))]
    stmts = [s for t in texts for s in split_tokens(t)]
    samples = texts + stmts + [s + ";" for s in stmts] + [f" {s} ;\n" for s in stmts] + [
        "", " ", ";", " ; ", "select 1", "select 1;;", "select 1; select 2", "execute p(1) ;", "show all ;",
        "SELECT * FROM t WHERE id = 5;", "select 1 -- c;", "select 1 /* ; */", "begin ;", "\x0bselect 1;"]
    assert [split(s) for s in samples] == [split_tokens(s) for s in samples]


def test_bulk_insert_is_not_normalized() -> None:
    """A bulk multi-row INSERT is planned as it is (engine.sql.fastinsert): scanning its literals costs more
    than the template could save; a short one still reuses its template."""
    from engine.sql.normalize import MAX_INSERT_CHARS

    bulk = "insert into t values " + ", ".join(f"({i}, 'x')" for i in range(300))
    assert len(bulk) > MAX_INSERT_CHARS and normalize(bulk) is None
    short = normalize("insert into t values (1, 'x'), (2, 'y')")
    assert short is not None and short.values == (1, "x", 2, "y")
