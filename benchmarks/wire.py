"""Wire protocol: round-trip latency and throughput of REM next to PostgreSQL 15, same clients, same run.

Latency (psycopg, one connection): ``SELECT 1`` (simple query) and a parameterised one-row select
(``select $1::int4`` as a server-side prepared statement: Bind/Execute/Sync). Throughput (asyncpg, prepared
``SELECT 1``) with 1, 8 and 32 concurrent connections. Prints a table with the REM/PostgreSQL ratio, writes
benchmarks/results/wire.json and the "Wire" section of docs/benchmarks.md.

    .venv/bin/python -m benchmarks.wire [--n 2000] [--seconds 2] [--clients 1,8,32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
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

import asyncpg  # noqa: E402
import psycopg  # noqa: E402

from benchmarks.docsection import write_section  # noqa: E402
from tests.fix_pg import ReferencePostgres  # noqa: E402
from tests.fix_server import RemServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "wire.json"
BEGIN, END = "<!-- BEGIN wire (benchmarks/wire.py) -->", "<!-- END wire -->"


def latency(dsn: str, n: int) -> dict[str, float]:
    """Median and mean round trip in µs of the two single-client statements."""
    out: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as c:
        for name, sql, args in (("select1", "select 1", None), ("param", "select %s::int4", (7,))):
            prep = True if args else None
            for _ in range(max(200, n // 10)):
                c.execute(sql, args, prepare=prep).fetchone()
            samples = []
            for i in range(n):
                a = (i,) if args else None
                t0 = time.perf_counter()
                c.execute(sql, a, prepare=prep).fetchone()
                samples.append(time.perf_counter() - t0)
            out[f"{name}_median_us"] = statistics.median(samples) * 1e6
            out[f"{name}_mean_us"] = statistics.fmean(samples) * 1e6
    return out


async def _throughput(url: str, clients: int, seconds: float) -> float:
    conns = [await asyncpg.connect(url) for _ in range(clients)]
    stop = False
    counts = [0] * clients

    async def worker(i: int) -> None:
        st = await conns[i].prepare("select 1")
        while not stop:
            await st.fetchval()
            counts[i] += 1

    tasks = [asyncio.create_task(worker(i)) for i in range(clients)]
    await asyncio.sleep(0.5)  # warm-up
    base = sum(counts)
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    done = sum(counts) - base
    elapsed = time.perf_counter() - t0
    stop = True
    await asyncio.gather(*tasks)
    for c in conns:
        await c.close()
    return done / elapsed


def throughput(url: str, clients: list[int], seconds: float) -> dict[str, float]:
    return {f"tps_{c}": asyncio.run(_throughput(url, c, seconds)) for c in clients}


def render(rem: dict[str, float], pg: dict[str, float], clients: list[int]) -> str:
    rows = [
        ("`SELECT 1` round trip, median (µs)", "select1_median_us", False),
        ("`select $1::int4` prepared, median (µs)", "param_median_us", False),
    ] + [(f"prepared `SELECT 1`, {c} client{'s' if c > 1 else ''} (queries/s)", f"tps_{c}", True)
         for c in clients]
    lines = ["| measure | REM | PostgreSQL 15 | REM/PG |", "|---|---:|---:|---:|"]
    for label, key, _higher in rows:
        r, p = rem[key], pg[key]
        lines.append(f"| {label} | {r:,.0f} | {p:,.0f} | {r / p:.2f}x |")
    return "\n".join(lines)


def write_doc(text: str, meta: str) -> None:
    write_section(BEGIN, END, f"## Wire\n\n`make bench` → `benchmarks/wire.py`. {meta}\n\n{text}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="round trips per latency measure")
    ap.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput measure")
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved REM/PostgreSQL rounds; best of each kept")
    args = ap.parse_args(argv)
    clients = [int(x) for x in args.clients.split(",")]
    load = os.getloadavg()[0]
    rem_srv, pg = RemServer(), ReferencePostgres()
    rem_srv.start()
    pg.start()
    rem: dict[str, float] = {}
    ref: dict[str, float] = {}
    try:
        pg_url = f"postgresql://rem@127.0.0.1:{pg.port}/postgres"
        for _ in range(args.rounds):  # interleaved rounds; keep each side's best (the machine is shared)
            for out, dsn, url in ((rem, rem_srv.dsn, rem_srv.url), (ref, pg.dsn, pg_url)):
                got = {**latency(dsn, args.n), **throughput(url, clients, args.seconds)}
                for k, v in got.items():
                    better = max if k.startswith("tps_") else min
                    out[k] = better(out[k], v) if k in out else v
    finally:
        rem_srv.cleanup()
        pg.stop()
    table = render(rem, ref, clients)
    meta = (f"{platform.machine()}, {os.cpu_count()} CPUs shared by client and server, Python "
            f"{platform.python_version()}; psycopg for latency ({args.n} round trips), asyncpg for throughput "
            f"({args.seconds:g} s each); {args.rounds} interleaved REM/PostgreSQL rounds, best of each kept (the "
            f"machine is shared with other work; load average {load:.1f} at the start). Lower µs and higher "
            "queries/s are better; the goal is a single-client round trip within 1.5x of PostgreSQL.")
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {"rem": rem, "postgres": ref, "clients": clients, "n": args.n, "seconds": args.seconds,
              "rounds": args.rounds}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_doc(table, meta)
    return result


if __name__ == "__main__":
    main()
