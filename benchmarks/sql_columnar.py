"""Columnar ORDER BY/LIMIT, DISTINCT and joins: REM next to PostgreSQL 15 on the same tables, same client, same run.

Loads ``orders`` (1M rows by default: customer, kind, price numeric(10,2), qty, created timestamptz; no index but
the primary key) and ``customers`` (10,000 rows) into both servers with server-side ``INSERT … SELECT FROM
generate_series``, then runs each measure on REM and immediately after on PostgreSQL: top-10 by a numeric column
over the whole table, a filtered top-10 by timestamp, a top-10 after a 1,000-row OFFSET on three keys, SELECT
DISTINCT over two columns, a filtered equi-join returning a few hundred rows, and a join followed by GROUP BY.
Prints a table with REM/PostgreSQL ratios, writes benchmarks/results/sql_columnar.json and the "SQL: columnar
sort, distinct, join" section of docs/benchmarks.md (not with ``--no-doc``).

    .venv/bin/python -m benchmarks.sql_columnar [--rows 1000000] [--n 7] [--no-doc]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks.docsection import write_section  # noqa: E402
from benchmarks.pair import run_pair  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "sql_columnar.json"
BEGIN, END = "<!-- BEGIN sql_columnar (benchmarks/sql_columnar.py) -->", "<!-- END sql_columnar -->"
CUSTOMERS = 10_000
CHUNK = 100_000
CACHE_ROWS = 3_000_000  # the row (and column) cache budget: the default 1M rows would not hold orders + customers

DDL = [
    "drop table if exists orders",
    "drop table if exists customers",
    "create table orders (id int primary key, customer int, name text, kind text, price numeric(10,2), qty int, "
    "created timestamptz)",
    "create table customers (id int primary key, name text, region text)",
]
LOAD_ORDERS = ("insert into orders select i, (i::bigint * 7919) % {c}, 'item ' || i, 'k' || (i % 10), "
               "((i::bigint * 104729) % 100000) / 100.0, (i * 31) % 1000, timestamptz '2024-01-01 00:00+00' + "
               "((i * 613) % 500000) * interval '1 minute' from generate_series({a}, {b}) s(i)")
LOAD_CUSTOMERS = "insert into customers select i, 'customer ' || i, 'r' || (i % 4) from generate_series(0, {b}) s(i)"

MEASURES = [
    ("topk_ms", "top-10 `order by price desc, id limit 10`",
     "select id, name, price from orders order by price desc, id limit 10"),
    ("topk_filtered_ms", "filtered top-10 `where kind = $1 order by created desc, id limit 10`",
     "select id, name, created from orders where kind = 'k3' order by created desc, id limit 10"),
    ("topk_offset_ms", "`order by qty, price desc, id limit 10 offset 1000`",
     "select id, price from orders order by qty, price desc, id limit 10 offset 1000"),
    ("distinct_ms", "`select distinct kind, qty` (10,000 rows out)",
     "select distinct kind, qty from orders"),
    ("join_ms", "join, filtered both sides (~250 rows out)",
     "select o.id, c.name from orders o join customers c on o.customer = c.id where o.qty = 7 and c.region = 'r1'"),
    ("join_group_ms", "join then `group by region` (~50,000 joined rows)",
     "select c.region, count(*), sum(o.price) from orders o join customers c on o.customer = c.id "
     "where o.qty < 50 group by c.region"),
    ("left_join_group_ms", "left join of all rows then `group by region`",
     "select c.region, count(*), count(o.id), max(o.price) from customers c left join orders o "
     "on o.customer = c.id group by c.region"),
]


def load(conn: psycopg.Connection, rows: int) -> float:
    """Create and fill both tables; returns seconds."""
    t0 = time.perf_counter()
    for d in DDL:
        conn.execute(d)
    for a in range(0, rows, CHUNK):
        conn.execute(LOAD_ORDERS.format(c=CUSTOMERS, a=a, b=min(rows, a + CHUNK) - 1))
    conn.execute(LOAD_CUSTOMERS.format(b=CUSTOMERS - 1))
    return time.perf_counter() - t0


def timed(conn: psycopg.Connection, sql: str, n: int) -> float:
    """Median latency in ms over ``n`` runs after two warm-up runs (the first builds REM's Arrow columns)."""
    for _ in range(2):
        conn.execute(sql, prepare=True).fetchall()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.execute(sql, prepare=True).fetchall()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def measure_both(rem_dsn: str, pg_dsn: str, rows: int, n: int) -> tuple[dict[str, float], dict[str, float]]:
    rem: dict[str, float] = {}
    pg: dict[str, float] = {}
    with psycopg.connect(rem_dsn, autocommit=True) as r, psycopg.connect(pg_dsn, autocommit=True) as p:
        rem["load_s"] = load(r, rows)
        pg["load_s"] = load(p, rows)
        p.execute("vacuum analyze orders")
        p.execute("vacuum analyze customers")
        for key, _, sql in MEASURES:
            a, b = r.execute(sql).fetchall(), p.execute(sql).fetchall()
            same = sorted(map(repr, a)) == sorted(map(repr, b))
            rem[key] = timed(r, sql, n)
            pg[key] = timed(p, sql, n)
            print(f"{key}: REM {rem[key]:,.1f}  PostgreSQL {pg[key]:,.1f}  same rows: {same}", flush=True)
            if not same:
                raise AssertionError(f"{key}: REM and PostgreSQL answers differ")
    return rem, pg


def render(rem: dict[str, float], pg: dict[str, float]) -> str:
    lines = ["| measure (ms, median) | REM | PostgreSQL 15 | REM/PG |", "|---|---:|---:|---:|"]
    for key, label, _ in MEASURES:
        r, p = rem[key], pg[key]
        lines.append(f"| {label} | {r:,.1f} | {p:,.1f} | {r / p:.2f}x |")
    return "\n".join(lines)


NOTE = ("ORDER BY … [LIMIT/OFFSET], SELECT DISTINCT and inner/left equi-joins of (filtered) table scans run on the "
        "Arrow column cache (`engine/sql/columnar_sort.py`, `engine/sql/columnar_join.py`; docs/architecture.md, "
        "Execution): `select_k_unstable`/`sort_indices`, `Table.group_by`, and Acero's hash join compute view "
        "positions in C++, and only the answer's rows become Python tuples; a GROUP BY straight above such a join "
        "aggregates columns taken at the joined positions, materializing no joined row (a WHERE/ON conjunct over "
        "two tables, left above the join, puts the joined rows back on the row path).")


def write_doc(text: str, meta: str, before: str) -> None:
    write_section(BEGIN, END, (f"## SQL: columnar sort, distinct, join\n\n`make bench` → `benchmarks/sql_columnar.py`. "
               f"{meta}\n\n{text}\n\n{NOTE}{before}"))


def describe(rows: int, n: int, load0: Any, load1: Any) -> str:
    loads = ", ".join(f"{x:.1f}" for x in (load0[0], load1[0], load1[2]))
    return (f"{rows:,} rows of `orders(id int primary key, customer, name, kind, price numeric(10,2), qty, "
            f"created timestamptz)` and {CUSTOMERS:,} `customers(id int primary key, name, region)`; no other "
            f"index on either server; REM started with `P8_ROW_CACHE_ROWS={CACHE_ROWS}` (the default budget, "
            f"1M rows over all tables, would not keep both tables cached, and an uncached table takes the row "
            f"path); {platform.machine()}, {os.cpu_count()} CPUs shared by client and servers, "
            f"Python {platform.python_version()}; psycopg, prepared statements, median of {n} runs after 2 "
            f"warm-ups; each measure runs on REM then at once on PostgreSQL, and both answers are checked equal. "
            f"Load average (1-min at start, at end; 15-min at end): {loads} — the machine is shared, figures "
            "are noisy.")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in orders")
    ap.add_argument("--n", type=int, default=7, help="timed runs per measure")
    ap.add_argument("--no-doc", action="store_true", help="print only (no docs/benchmarks.md, no results json)")
    ap.add_argument("--before", default="", help="a sentence appended to the docs note (e.g. row-path figures)")
    args = ap.parse_args(argv)
    rem, ref, load0, load1 = run_pair(lambda r, p: measure_both(r, p, args.rows, args.n),
                                      {"P8_ROW_CACHE_ROWS": str(CACHE_ROWS)})
    table = render(rem, ref)
    print(table)
    if not args.no_doc:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"rem": rem, "postgres": ref, "rows": args.rows, "n": args.n,
                                       "load_average": [load0, load1]}, indent=2) + "\n")
        write_doc(table, describe(args.rows, args.n, load0, load1), (" " + args.before) if args.before else "")
    return {"rem": rem, "postgres": ref}


if __name__ == "__main__":
    main()
