"""Drive ``pgbench -n -f script`` against a server and read its summary (shared by the test and the benchmark).

pgbench with ``-n`` sends nothing but the script (report §3.7), so it runs against REM unmodified.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

SELECT1 = "SELECT 1;\n"


def point_read(table: str, rows: int) -> str:
    """A pgbench script reading one random row of ``table`` by its integer key."""
    return f"\\set id random(1, {rows})\nSELECT * FROM {table} WHERE id = :id;\n"


@dataclass
class PgbenchResult:
    """The parts of pgbench's summary a caller needs."""

    returncode: int
    processed: int
    planned: int | None
    failed: int
    tps: float
    latency_ms: float
    stdout: str
    stderr: str


def _num(pattern: str, text: str, default: float = 0.0) -> float:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else default


def parse(stdout: str, stderr: str, returncode: int) -> PgbenchResult:
    """Parse pgbench 15's summary lines."""
    m = re.search(r"number of transactions actually processed: (\d+)(?:/(\d+))?", stdout)
    processed = int(m.group(1)) if m else 0
    planned = int(m.group(2)) if m and m.group(2) else None
    return PgbenchResult(
        returncode=returncode,
        processed=processed,
        planned=planned,
        failed=int(_num(r"number of failed transactions: (\d+)", stdout)),
        tps=_num(r"tps = ([\d.]+)", stdout),
        latency_ms=_num(r"latency average = ([\d.]+) ms", stdout),
        stdout=stdout,
        stderr=stderr,
    )


def run_pgbench(host: str, port: int, dbname: str, script: Path, *, mode: str = "prepared", clients: int = 1,
                threads: int = 1, transactions: int | None = None, seconds: int | None = None,
                user: str = "rem", timeout: float = 300.0) -> PgbenchResult:
    """``pgbench -n -f script -M mode -c clients -j threads (-t N | -T s)`` and its parsed summary."""
    exe = shutil.which("pgbench") or "/usr/local/bin/pgbench"
    cmd = [exe, "-n", "-h", host, "-p", str(port), "-U", user, "-M", mode, "-f", str(script),
           "-c", str(clients), "-j", str(threads)]
    cmd += ["-t", str(transactions)] if transactions is not None else ["-T", str(seconds or 5)]
    proc = subprocess.run([*cmd, dbname], capture_output=True, text=True, timeout=timeout)
    return parse(proc.stdout, proc.stderr, proc.returncode)


def make_table(dsn: str, table: str, rows: int, batch: int = 10_000) -> None:
    """(Re)create ``table(id int primary key, name text, score float8)`` holding ids 1..rows."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, name text, score float8)")
        for lo in range(1, rows + 1, batch):
            hi = min(rows, lo + batch - 1)
            c.execute(f"INSERT INTO {table} SELECT g, 'name ' || g, g * 0.5 FROM generate_series({lo}, {hi}) AS g")
