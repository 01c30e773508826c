"""SQL engine: REM next to PostgreSQL 15 on the same realistic table, same client (psycopg), same run.

Measures get by key, indexed equality select, range select (indexed), full-scan aggregate, filtered scans (an
aggregate and a row select on non-indexed columns), single-row INSERT latency, and bulk insert throughput
(multi-row INSERT of 1,000 rows per statement, and executemany). Both servers are loaded first; then each latency
measure alternates between REM and PostgreSQL every 100 executions (throughputs run on REM, then PostgreSQL).
Prints a table with REM/PostgreSQL ratios, writes benchmarks/results/sql.json and the "SQL" section of docs/benchmarks.md (not with ``--no-doc``).

    .venv/bin/python -m benchmarks.sql [--rows 1000000] [--n 2000] [--no-doc]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks.docsection import write_section  # noqa: E402
from benchmarks.pair import run_pair  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "sql.json"
BEGIN, END = "<!-- BEGIN sql (benchmarks/sql.py) -->", "<!-- END sql -->"
CATEGORIES = 10_000  # ~100 rows per category at 1M rows
KINDS = ("book", "film", "game", "song", "paper", "post", "talk", "tool", "toy", "map")

REM_DDL = ("create table bench (id int primary key, name text not null, category text, kind text, "
           "price numeric(10,2), qty int, created timestamptz) with (indexed_fields = 'category,price')")
PG_DDL = [REM_DDL.split(" with (")[0], "create index on bench (category)", "create index on bench (price)"]


def row(i: int) -> tuple[Any, ...]:
    r = random.Random(i)
    return (i, f"item {i}", f"cat{r.randrange(CATEGORIES)}", KINDS[i % len(KINDS)],
            Decimal(r.randrange(100_000)) / 100, r.randrange(1000), "2024-01-01T00:00:00+00:00")


def literal(v: Any) -> str:
    return f"'{v}'" if isinstance(v, str) else str(v)


def load(conn: psycopg.Connection, rows: int, batch: int = 1000) -> float:
    """Insert ``rows`` rows with multi-row INSERTs; returns rows/s."""
    t0 = time.perf_counter()
    for start in range(0, rows, batch):
        values = ", ".join("(" + ", ".join(literal(v) for v in row(i)) + ")"
                           for i in range(start, min(rows, start + batch)))
        conn.execute("insert into bench values " + values)
    return rows / (time.perf_counter() - t0)


def samples(conn: psycopg.Connection, sql: str, args: list[tuple[Any, ...]], fetch: bool) -> list[float]:
    """Seconds per execution of ``sql`` (server-side prepared) for each of ``args``."""
    out = []
    for a in args:
        t0 = time.perf_counter()
        cur = conn.execute(sql, a, prepare=True)
        if fetch:
            cur.fetchall()
        out.append(time.perf_counter() - t0)
    return out


class Latency:
    """A latency measure: median ms of ``sql`` over ``args``, REM and PostgreSQL alternating every ``CHUNK``
    executions (the machine's load drifts; both sides of the ratio see the same drift)."""

    CHUNK = 100

    def __init__(self, sql: str, args: list[tuple[Any, ...]], fetch: bool = True, warm: bool = True) -> None:
        self.sql, self.args, self.fetch, self.warm = sql, args, fetch, warm

    def run(self, rem: psycopg.Connection, pg: psycopg.Connection) -> tuple[float, float]:
        if self.warm:
            for c in (rem, pg):
                samples(c, self.sql, self.args[:20], self.fetch)
        r: list[float] = []
        p: list[float] = []
        for i in range(0, len(self.args), self.CHUNK):
            part = self.args[i:i + self.CHUNK]
            r += samples(rem, self.sql, part, self.fetch)
            p += samples(pg, self.sql, part, self.fetch)
        return statistics.median(r) * 1000, statistics.median(p) * 1000


def setup(conn: psycopg.Connection, ddl: list[str], rows: int) -> float:
    """Create and load the table; returns the bulk multi-row INSERT rate (rows/s)."""
    conn.execute("drop table if exists bench")
    for d in ddl:
        conn.execute(d)
    return load(conn, rows)


def measures(rows: int, n: int) -> list[tuple[str, Any]]:
    """(key, Latency | fn(conn) -> value) of every read/write measure after the load, in run order."""
    rnd = random.Random(7)
    gets = [(rnd.randrange(rows),) for _ in range(n)]
    cats = [(f"cat{rnd.randrange(CATEGORIES)}",) for _ in range(max(50, n // 10))]
    span = Decimal(1000) * 100 / max(rows, 1)  # ~100 rows per range
    lows = [Decimal(rnd.randrange(99_000)) / 100 for _ in range(max(50, n // 10))]
    base = rows + 10
    singles = [row(base + i) for i in range(n)]
    many = [row(base + n + 100 + i) for i in range(min(5000, max(500, rows // 20)))]

    def executemany(c: psycopg.Connection) -> float:
        t0 = time.perf_counter()
        with c.cursor() as cur:
            cur.executemany("insert into bench values (%s, %s, %s, %s, %s, %s, %s)", many)
        return len(many) / (time.perf_counter() - t0)

    return [
        ("get_ms", Latency("select * from bench where id = %s", gets)),
        ("eq_ms", Latency("select * from bench where category = %s", cats)),
        ("range_ms", Latency("select * from bench where price between %s and %s", [(lo, lo + span) for lo in lows])),
        ("agg_ms", Latency("select kind, count(*), sum(qty), max(price) from bench group by kind", [()] * 5)),
        ("filter_agg_ms", Latency("select kind, count(*), avg(price) from bench where qty < %s and name like %s "
                                  "group by kind", [(500, "item 1%")] * 5)),
        ("filter_rows_ms", Latency("select * from bench where qty = %s and kind = %s", [(7, "book")] * 5)),
        ("insert_ms", Latency("insert into bench values (%s, %s, %s, %s, %s, %s, %s)", singles, fetch=False,
                              warm=False)),
        ("executemany_rows_s", executemany),
    ]


def measure_both(rem_dsn: str, pg_dsn: str, rows: int, n: int) -> tuple[dict[str, float], dict[str, float]]:
    """Load both servers, then run each measure on both (latencies alternate between the servers every 100
    executions; the machine's load drifts, interleaving keeps each ratio's two sides close in time)."""
    rem: dict[str, float] = {}
    pg: dict[str, float] = {}
    with psycopg.connect(rem_dsn, autocommit=True) as r, psycopg.connect(pg_dsn, autocommit=True) as p:
        rem["bulk_rows_s"] = setup(r, [REM_DDL], rows)
        pg["bulk_rows_s"] = setup(p, PG_DDL, rows)
        p.execute("vacuum analyze bench")
        for key, m in measures(rows, n):
            if isinstance(m, Latency):
                rem[key], pg[key] = m.run(r, p)
            else:
                rem[key] = m(r)
                pg[key] = m(p)
            print(f"{key}: REM {rem[key]:,.3f}  PostgreSQL {pg[key]:,.3f}", flush=True)
    return rem, pg


ROWS = [
    ("get by key `where id = $1` (ms, median)", "get_ms"),
    ("indexed equality, ~100 rows (ms, median)", "eq_ms"),
    ("indexed range, ~100 rows (ms, median)", "range_ms"),
    ("full-scan aggregate `group by kind` (ms, median)", "agg_ms"),
    ("filtered scan aggregate `where qty < $1 and name like $2 group by kind` (ms, median)", "filter_agg_ms"),
    ("filtered scan, ~100 rows `where qty = $1 and kind = $2` (ms, median)", "filter_rows_ms"),
    ("single-row INSERT (ms, median)", "insert_ms"),
    ("bulk multi-row INSERT, 1,000 rows/statement (rows/s)", "bulk_rows_s"),
    ("executemany INSERT (rows/s)", "executemany_rows_s"),
]


def render(rem: dict[str, float], pg: dict[str, float]) -> str:
    lines = ["| measure | REM | PostgreSQL 15 | REM/PG |", "|---|---:|---:|---:|"]
    for label, key in ROWS:
        r, p = rem[key], pg[key]
        fmt = "{:,.0f}" if key.endswith("_s") else "{:,.3f}"
        lines.append(f"| {label} | {fmt.format(r)} | {fmt.format(p)} | {r / p:.2f}x |")
    return "\n".join(lines)


NOTE = ("Scans, filtered scans and GROUP BY run on the Arrow column cache (`engine/storage/columns.py`, "
        "`engine/sql/columnar.py`; design in docs/architecture.md and docs/storage.md): the statement's mask and "
        "hash aggregation run in C++ and only matching rows or groups become Python values. The first such query "
        "after the load builds the columns it needs (about 0.1–0.5 s per column per million rows; inside the "
        "warm-up here); later commits extend them incrementally. A prepared get by primary key runs on the "
        "point-get path (`engine/sql/pointget.py`, planned once at Parse): the row id is derived from the key "
        "(blake3, as inserts derive it) and read with one RocksDB get (or the row cache) through the transaction, "
        "checked against the key, the general plan answering any miss; the wire layer serves libpq's Bind/Describe/"
        "Execute/Sync batch of such a statement outside a transaction without portal, implicit transaction or "
        "message loop (`remwire/connection.py`); before it, the general plan (index seek, Filter, Project, portal, "
        "implicit transaction) took 0.285 ms against PostgreSQL's 0.068 ms (4.2x) in this benchmark. Its server "
        "time is ~15 µs in process (~40 µs cold, between "
        "requests on this shared machine); the rest of the round trip is the client and the kernel (psycopg against "
        "a Python server that answers canned bytes: ~34 µs). Single-row INSERT time is the write path "
        "(validation, key/index entries, msgpack encoding, the commit hooks, the RocksDB write); neither REM "
        "(synchronous_commit off by default) nor the reference (fsync off) waits for a flush. Bulk writes: "
        "executemany (psycopg pipelines Bind/Execute … "
        "Sync) runs up to Sync in one implicit transaction with one commit, as PostgreSQL does (an error rolls "
        "back the pipeline); a multi-row INSERT is parsed by the regex front end (`engine/sql/fastinsert.py`), "
        "skips the simple-query literal cache, and converts each distinct literal of a column once; what remains "
        "per row is the assignment casts, validation, index/key entries and the msgpack row encoding of the "
        "write path.")


def write_doc(text: str, meta: str) -> None:
    write_section(BEGIN, END, f"## SQL\n\n`make bench` → `benchmarks/sql.py`. {meta}\n\n{text}\n\n{NOTE}")


def describe(rows: int, n: int, load0: Any, load1: Any) -> str:
    loads = ", ".join(f"{x:.1f}" for x in (load0[0], load1[0], load1[2]))
    return (f"{rows:,} rows of `bench(id int primary key, name, category (10,000 values, indexed), kind, "
            f"price numeric (indexed), qty, created)`; {platform.machine()}, {os.cpu_count()} CPUs shared by client "
            f"and server, Python {platform.python_version()}; psycopg, server-side prepared statements, "
            f"{n} samples per point query, REM and PostgreSQL alternating every {Latency.CHUNK}. Load average "
            f"(1-min at start, at end; 15-min at end): {loads} — the machine is shared, figures are noisy. "
            "Lower ms and higher rows/s are better. Goals: point get ≤ 1.5x PostgreSQL, indexed select < 10 ms, "
            "scan aggregate within 3x.")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the table")
    ap.add_argument("--n", type=int, default=2000, help="samples per point-query measure")
    ap.add_argument("--no-doc", action="store_true", help="print only (no docs/benchmarks.md, no results json)")
    ap.add_argument("--doc-only", action="store_true", help="rewrite the docs section from the results json")
    args = ap.parse_args(argv)
    if args.doc_only:
        res = json.loads(RESULTS.read_text())
        load0, load1 = res.get("load_average") or [(0, 0, 0), (0, 0, 0)]
        write_doc(render(res["rem"], res["postgres"]), describe(res["rows"], res["n"], load0, load1))
        return {"rem": res["rem"], "postgres": res["postgres"]}
    rem, ref, load0, load1 = run_pair(lambda r, p: measure_both(r, p, args.rows, args.n))
    table = render(rem, ref)
    print(table)
    if not args.no_doc:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"rem": rem, "postgres": ref, "rows": args.rows, "n": args.n,
                                       "load_average": [load0, load1]}, indent=2) + "\n")
        write_doc(table, describe(args.rows, args.n, load0, load1))
    return {"rem": rem, "postgres": ref}


if __name__ == "__main__":
    main()
