"""Engine paths that clients reach over the wire: server-side cursors, COPY in/out (all-or-nothing),
executemany with prepared statements, and the dialect's REM statements round-tripping through sqlglot."""

from __future__ import annotations

import psycopg
import pytest

from engine.sql.dialect import DIALECT


def test_server_side_cursor_and_copy(rem_dsn):
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        c.execute("drop table if exists wp_items")
        c.execute("create table wp_items (id int primary key, name text, qty int)")
        with c.cursor() as cur:
            with cur.copy("copy wp_items (id, name, qty) from stdin") as cp:
                for i in range(50):
                    cp.write_row((i, f"n{i}", i * 2))
        assert c.execute("select count(*), sum(qty) from wp_items").fetchone() == (50, 2450)
        with pytest.raises(psycopg.errors.UniqueViolation):
            with c.cursor() as cur:
                with cur.copy("copy wp_items from stdin with (format csv)") as cp:
                    cp.write(b"100,a,1\n101,b,2\n1,dup,3\n")
        assert c.execute("select count(*) from wp_items").fetchone() == (50,)
        out = []
        with c.cursor() as cur:
            with cur.copy("copy (select id, name from wp_items where id < 3 order by id) to stdout") as cp:
                for r in cp.rows():
                    out.append(r)
        assert out == [("0", "n0"), ("1", "n1"), ("2", "n2")]
        with c.cursor() as cur:
            cur.executemany("insert into wp_items values (%s, %s, %s)", [(200 + i, "m", i) for i in range(20)])
        assert c.execute("select count(*) from wp_items where id >= 200").fetchone() == (20,)
    with psycopg.connect(rem_dsn) as c:  # psycopg opens a transaction: DECLARE / FETCH / CLOSE
        with c.cursor("wp_cur") as cur:
            cur.itersize = 7
            cur.execute("select id from wp_items where id < 30 order by id")
            assert [r[0] for r in cur] == list(range(30))
        c.rollback()
        c.execute("drop table wp_items")
        c.commit()


@pytest.mark.parametrize("sql", [
    "SEARCH articles 'what is a vector db' LIMIT 10",
    "SEARCH 'vector' IN articles WHERE lang = 'en' LIMIT 5",
    "TRAVERSE FROM $1 DEPTH 3 DIRECTION both TYPE 'cites' LIMIT 100",
    "TRAVERSE cites, authored WITH LOOKUP 'k' DEPTH 2 LIMIT 5",
    "LOOKUP 'a', 'b'",
    "FUZZY 'helo' IN t THRESHOLD 0.3 LIMIT 4",
    "SELECT id FROM t ORDER BY emb <=> $1 LIMIT 5",
    "SELECT a <#> b, a <-> b FROM t",
])
def test_dialect_round_trip(sql):
    node = DIALECT.parse(sql)[0]
    again = DIALECT.parse(node.sql(dialect=DIALECT))[0]
    assert again == node
