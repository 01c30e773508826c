"""Prepared traversals answered by their direct reader (engine.graph.direct): the same bytes as the general plan.

Two connections of one database run the same prepared statements: one is fed each Bind/Describe/Execute/Sync
batch whole (the direct path may answer it), the other in two pieces (the message loop and the general plan
always do). Every answer must be byte-identical: rows, RowDescription, tags, NOTICEs, errors. A wire test then
checks psycopg's view, prepared against unprepared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.database import open_database
from engine.settings import Settings
from remwire.connection import Connection
from remwire.protocol import messages as m
from tests.graph.golden import EDGES, NODES

STATEMENTS = {
    "ids": ("SELECT id, depth FROM rem_traverse($1, 1)", (0,)),
    "star": ("SELECT * FROM rem_traverse($1, 2, direction => 'both', types => ARRAY['attended', 'knows'])", (0,)),
    "alias": ("SELECT t.key AS k, t.depth, t.path, t.rel_type, t.weight FROM rem_traverse($1, $2) AS t", (0, 23)),
    "limit": ("SELECT key, data FROM rem_traverse($1, 3, 'out', NULL, 2)", (0,)),
    "dialect": ("TRAVERSE FROM $1 DEPTH 2 DIRECTION both", (25,)),
    "dialect_types": ("TRAVERSE FROM $1 DEPTH 3 TYPE 'attended', 'discussed' LIMIT 3", (25,)),
    "with_lookup": ("TRAVERSE discussed, attended WITH LOOKUP $1 DEPTH 2", (25,)),
    "lookup": ("LOOKUP $1, 'bob', 'spec'", (25,)),
    "filtered": ("SELECT key, depth FROM rem_traverse($1, 2) WHERE depth = 2", (0,)),  # general plan only
}
TRAVERSALS = {"ids", "star", "alias", "limit", "dialect", "dialect_types", "with_lookup"}
DIRECT = TRAVERSALS | {"lookup"}


def _batch(stmt: str, params: list[bytes | None], rfmts: tuple[int, ...] = (0,)) -> bytes:
    return (m.Bind("", stmt, (0,), tuple(params), rfmts).encode() + m.Describe("P", "").encode()
            + m.Execute("", 0).encode() + m.Sync().encode())


class Pair:
    """Two sessions of one database: ``run`` feeds a batch to both (whole / split) and compares the answers."""

    def __init__(self, db: Any) -> None:
        self.fast, self.loop = Connection(db), Connection(db)
        self.taken: list[bool] = []
        real = self.fast._direct_batch

        def counted(p: Any, parts: Any) -> bool:
            self.taken.append(real(p, parts))
            return self.taken[-1]

        self.fast._direct_batch = counted  # type: ignore[method-assign]
        for c in (self.fast, self.loop):
            c.feed(m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem", "database": "rem"}).encode())

    def both(self, data: bytes) -> bytes:
        fast, loop = self.fast.feed(data), self.loop.feed(data[:3]) + self.loop.feed(data[3:])
        assert fast == loop
        return fast

    def query(self, sql: str) -> bytes:
        """Run ``sql`` in both sessions (a statement of both, e.g. BEGIN)."""
        return self.both(m.Query(sql).encode())

    def once(self, sql: str) -> bytes:
        """Run ``sql`` once (a change of the shared database) in the first session."""
        out = self.fast.feed(m.Query(sql).encode())
        assert b"SERROR\x00" not in out, out
        return out

    def close(self) -> None:
        self.fast.close()
        self.loop.close()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    db = open_database(Settings(data_dir=tmp_path / "db", core_schemas=False))
    p = Pair(db)
    try:
        for t in sorted(set(NODES.values())):
            p.once(f"CREATE TABLE {t} (name text, note text)")
        for n, t in NODES.items():
            p.once(f"INSERT INTO {t} (name, note) VALUES ('{n}', 'about {n}')")
        for s, d, rel, w in EDGES:
            p.once(f"SELECT rem_add_edge('{s}', '{d}', '{rel}', {w})")
        for name, (sql, oids) in STATEMENTS.items():
            p.both(m.Parse(name, sql, oids).encode() + m.Sync().encode())
        yield p
    finally:
        p.close()
        db.close()


def test_direct_answers_equal_the_general_plan(pair: Pair) -> None:
    alice = pair.query("SELECT id FROM people WHERE name = 'alice'").split(b"D\x00\x00\x00", 1)[1][7:43]
    for start in (b"alice", b"standup", b"spec", alice):
        for name in DIRECT | {"filtered"}:
            params = [start, b"3"] if name == "alias" else [start]
            for rfmts in ((0,), (1,)):
                out = pair.both(_batch(name, params, rfmts))
                assert out.endswith(b"Z\x00\x00\x00\x05I") and b"SERROR\x00" not in out
    assert len(pair.taken) == 4 * len(DIRECT) * 2 and all(pair.taken)  # ('filtered' is not even offered)


def test_the_general_plan_answers_what_the_reader_declines(pair: Pair) -> None:
    """Unknown start (a NOTICE), NULL start, a bad depth (22023), a transaction block with its own edges."""
    for name in TRAVERSALS:
        params = [b"nobody", b"1"] if name == "alias" else [b"nobody"]
        out = pair.both(_batch(name, params))
        assert b'no entity with id or key "nobody"' in out and b"SELECT 0" in out
        assert pair.taken[-1] is False
    pair.both(_batch("ids", [None]))
    assert b"22023" in pair.both(_batch("alias", [b"alice", b"11"]))
    pair.query("BEGIN")
    pair.query("SELECT rem_add_edge('alice', 'roadmap', 'reads')")
    out = pair.both(_batch("ids", [b"alice"]))
    assert out.count(b"D\x00") == 3 and pair.taken[-1] is False  # standup, carol and the new roadmap
    pair.query("ROLLBACK")
    for _ in range(2):  # (the first after a simple query re-reads statement_timeout on the general path)
        assert pair.both(_batch("ids", [b"alice"])).count(b"D\x00") == 2
    assert pair.taken[-1] is True


def test_changes_are_seen_at_once(pair: Pair) -> None:
    """Edges added, removed and nodes deleted between executions; a table dropped under the statement."""
    def rows(name: str, start: bytes) -> int:
        for _ in range(2):  # (the first after a simple query re-reads statement_timeout on the general path)
            out = pair.both(_batch(name, [start]))
        assert pair.taken[-1] is True
        return out.count(b"D\x00")

    assert rows("ids", b"alice") == 2  # standup, carol
    pair.once("SELECT rem_add_edge('alice', 'roadmap', 'reads')")
    assert rows("ids", b"alice") == 3
    rows("dialect", b"alice")
    pair.once("DELETE FROM meetings WHERE name = 'standup'")
    assert rows("ids", b"alice") == 2  # carol and roadmap: standup is gone
    pair.once("SELECT rem_remove_edge('alice', 'roadmap', 'reads')")
    assert rows("ids", b"alice") == 1
    assert rows("lookup", b"alice") == 3
    pair.once("DROP TABLE documents")
    assert rows("lookup", b"alice") == 2
    rows("star", b"bob")
    rows("dialect_types", b"bob")


def test_recognized_shapes() -> None:
    from engine.graph.direct import _recognize

    class St:
        def __init__(self, sql: str, kind: str = "select", n: int = 1) -> None:
            self.sql, self.kind, self.param_oids = sql, kind, [25] * n
            self.columns = [type("C", (), {"type_oid": 2950})()]

        def explain(self) -> list[str]:
            return ["Function Scan on rem_traverse"]

    assert _recognize(St("SELECT id FROM rem_traverse($1)")) is not None
    assert _recognize(St("select ID from REM_TRAVERSE($1, 2) as x")) is not None
    for sql in ("SELECT id FROM rem_traverse($1) ORDER BY id", "SELECT id FROM rem_traverse($1) LIMIT 1",
                "SELECT id FROM other.rem_traverse($1)", "SELECT id::text FROM rem_traverse($1)",
                "SELECT id FROM rem_traverse(upper($1))", "SELECT id FROM rem_traverse($1) t(a)",
                "SELECT DISTINCT id FROM rem_traverse($1)", "SELECT id FROM rem_traverse($1), rem_traverse($1) b"):
        assert _recognize(St(sql)) is None, sql
    assert _recognize(St("TRAVERSE FROM $1 WHERE depth = 1", "rem")) is None
    assert _recognize(St("LOOKUP $1, 'b'", "rem")) is not None
    assert _recognize(St("LOOKUP upper($1)", "rem")) is None
    assert _recognize(St("FUZZY $1", "rem")) is None


def test_prepared_and_unprepared_agree_over_the_wire(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        tag = "dx"
        c.execute(f"DROP TABLE IF EXISTS {tag}_n")
        c.execute(f"CREATE TABLE {tag}_n (name text) WITH (key_field = 'name')")
        for i in range(60):  # a hub with 59 spokes: more rows than the small-result framing
            c.execute(f"INSERT INTO {tag}_n (name) VALUES (%s)", (f"{tag}:{i}",))
        for i in range(1, 60):
            c.execute("SELECT rem_add_edge(%s, %s, 'spoke')", (f"{tag}:0", f"{tag}:{i}"))
        for sql in ("SELECT id, depth FROM rem_traverse(%s, 2)", "TRAVERSE FROM %s DEPTH 2",
                    "SELECT key, path FROM rem_traverse(%s, 1, 'in')", "LOOKUP %s"):
            for start in (f"{tag}:0", f"{tag}:7"):
                for binary in (False, True):
                    with c.cursor(binary=binary) as cur:
                        general = cur.execute(sql, (start,)).fetchall()
                        desc = [(d.name, d.type_code) for d in cur.description or []]
                        for _ in range(2):
                            assert cur.execute(sql, (start,), prepare=True).fetchall() == general
                            assert [(d.name, d.type_code) for d in cur.description or []] == desc
        c.execute(f"DROP TABLE {tag}_n")
