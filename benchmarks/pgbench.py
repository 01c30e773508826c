"""pgbench against REM and a throwaway PostgreSQL 15 in the same run: TPS, average latency, REM/PG ratio.

Workloads (each ``pgbench -n -f script`` for ``--seconds``): ``SELECT 1`` with ``-M prepared`` at 1 client and
at 8 clients (``-j 2``), ``-M extended`` and ``-M simple`` at 1 client, and a point read
(``\\set id random(1, N)`` / ``SELECT * FROM t WHERE id = :id``) on an N-row table (100k by default)
created the same way on both servers. Prints a table, writes benchmarks/results/pgbench.json and the
"pgbench" section of docs/benchmarks.md. Goal (issue 4): ≥ 5k TPS for prepared ``SELECT 1`` at one client.

    .venv/bin/python -m benchmarks.pgbench [--seconds 5] [--rows 100000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.docsection import write_section  # noqa: E402
from tests.external.pgbench_run import SELECT1, make_table, point_read, run_pgbench  # noqa: E402
from tests.fix_pg import ReferencePostgres  # noqa: E402
from tests.fix_server import RemServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "pgbench.json"
BEGIN, END = "<!-- BEGIN pgbench (benchmarks/pgbench.py) -->", "<!-- END pgbench -->"
TABLE = "bench_point"
GOAL_TPS = 5000.0

# (key, label, script, mode, clients, threads)
WORKLOADS: list[tuple[str, str, str, str, int, int]] = [
    ("select1_prepared_c1", "`SELECT 1`, -M prepared, 1 client", "select1", "prepared", 1, 1),
    ("select1_extended_c1", "`SELECT 1`, -M extended, 1 client", "select1", "extended", 1, 1),
    ("select1_simple_c1", "`SELECT 1`, -M simple, 1 client", "select1", "simple", 1, 1),
    ("select1_prepared_c8", "`SELECT 1`, -M prepared, 8 clients -j 2", "select1", "prepared", 8, 2),
    ("point_prepared_c1", "point read, -M prepared, 1 client", "point", "prepared", 1, 1),
    ("point_simple_c1", "point read, -M simple, 1 client", "point", "simple", 1, 1),
    ("point_prepared_c8", "point read, -M prepared, 8 clients -j 2", "point", "prepared", 8, 2),
]


def measure(targets: dict[str, tuple[str, int, str]], scripts: dict[str, Path], seconds: int,
            rounds: int = 1) -> dict[str, dict]:
    """Run every workload on each target (name → host, port, db) back to back, so load drift hits both alike;
    with ``rounds`` > 1 the pairs are repeated and each side's best run is kept (the machine is shared).

    Returns ``{target: {key: {tps, latency_ms, processed, failed}}}``.
    """
    out: dict[str, dict] = {name: {} for name in targets}
    for key, _label, script, mode, clients, threads in WORKLOADS * rounds:
        for name, (host, port, dbname) in targets.items():
            res = run_pgbench(host, port, dbname, scripts[script], mode=mode, clients=clients, threads=threads,
                              seconds=seconds, timeout=seconds * 10 + 60)
            if res.returncode != 0 or res.failed:
                raise RuntimeError(f"pgbench {key} on {name} failed:\n{res.stderr}\n{res.stdout}")
            if key not in out[name] or res.tps > out[name][key]["tps"]:
                out[name][key] = {"tps": res.tps, "latency_ms": res.latency_ms, "processed": res.processed,
                                  "failed": res.failed}
            print(f"  {name:8s} {key}: {res.tps:,.0f} tps, {res.latency_ms * 1000:,.0f} µs", flush=True)
    return out


def render(rem: dict[str, dict], pg: dict[str, dict]) -> str:
    lines = ["| workload | REM TPS | REM latency (µs) | PG 15 TPS | PG 15 latency (µs) | REM/PG TPS |",
             "|---|---:|---:|---:|---:|---:|"]
    for key, label, *_ in WORKLOADS:
        r, p = rem[key], pg[key]
        ratio = r["tps"] / p["tps"] if p["tps"] else 0.0
        lines.append(f"| {label} | {r['tps']:,.0f} | {r['latency_ms'] * 1000:,.0f} | {p['tps']:,.0f} | "
                     f"{p['latency_ms'] * 1000:,.0f} | {ratio:.2f}x |")
    return "\n".join(lines)


def write_doc(text: str) -> None:
    """Replace (or append) only the pgbench section; the file is re-read right before writing."""
    write_section(BEGIN, END, f"## pgbench\n\n{text}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=5, help="duration of each pgbench run")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the point-read table")
    ap.add_argument("--rounds", type=int, default=2, help="REM/PostgreSQL pairs per workload; best of each kept")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rem-pgbench-"))
    scripts = {"select1": work / "select1.sql", "point": work / "point.sql"}
    scripts["select1"].write_text(SELECT1)
    scripts["point"].write_text(point_read(TABLE, args.rows))
    load = os.getloadavg()[0]
    rem_srv, pg = RemServer(), ReferencePostgres()
    rem_srv.start()
    pg.start()
    try:
        make_table(rem_srv.dsn, TABLE, args.rows)
        make_table(pg.dsn, TABLE, args.rows)
        got = measure({"REM": (rem_srv.host, rem_srv.port, "rem"), "PG15": ("127.0.0.1", pg.port, "postgres")},
                      scripts, args.seconds, args.rounds)
        rem, ref = got["REM"], got["PG15"]
    finally:
        rem_srv.cleanup()
        pg.stop()
        for p in scripts.values():
            p.unlink(missing_ok=True)
        work.rmdir()
    table = render(rem, ref)
    goal = rem["select1_prepared_c1"]["tps"]
    verdict = "met" if goal >= GOAL_TPS else "not met"
    meta = (f"`make bench` → `benchmarks/pgbench.py`. {platform.machine()}, {os.cpu_count()} CPUs shared by "
            f"pgbench and the server, Python {platform.python_version()}; each row is `pgbench -n -f script -T "
            f"{args.seconds}` against a fresh `rem serve` and a throwaway PostgreSQL 15 (fsync off), the two "
            f"back to back per row, {args.rounds} rounds, best of each kept; point read = `\\set id random(1, {args.rows})` + "
            f"`SELECT * FROM {TABLE} WHERE id = :id` on a {args.rows:,}-row table (`id integer PRIMARY KEY, name text, score float8`). Latency is pgbench's "
            f"average; load average {load:.1f} at the start (the machine is shared). Goal ≥ {GOAL_TPS:,.0f} TPS for prepared `SELECT 1` at one client: {verdict} "
            f"({goal:,.0f}).")
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {"rem": rem, "postgres": ref, "seconds": args.seconds, "rows": args.rows,
              "goal_select1_prepared_c1_tps": GOAL_TPS, "goal_met": goal >= GOAL_TPS}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_doc(meta + "\n\n" + table)
    return result


if __name__ == "__main__":
    main()
