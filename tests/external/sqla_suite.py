"""Run SQLAlchemy's dialect compliance suite against a database URL and compare with an expected-failures list.

The suite (``test/dialect/test_suite.py``) comes from the SQLAlchemy sdist of the installed version, fetched
with ``pip download`` into ``.venv/cache/`` on first use. Outcomes are read from pytest's JUnit XML; test ids
are normalised to ``Class::test[params]`` (the ``_postgresql+driver_15_0`` suffix that SQLAlchemy adds to
class names is dropped) so one list serves every driver.

Manual use (also regenerates the expected-failures list from a run against a fresh REM server):

    .venv/bin/python -m tests.external.sqla_suite [--driver psycopg2] [--url URL] [--write-expected]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "cache"
EXPECTED = Path(__file__).with_name("sqlalchemy_expected_failures.txt")
PLUGIN = "tests.external.sqla_suite_plugin"
MANUAL = "# --- kept by --write-expected: driver-specific or flaky entries, edited by hand ---"
_SUFFIX = re.compile(r"_postgresql\+\w+?_[\d_]+$")


@dataclass
class Outcomes:
    """Per-test outcome of one suite run: ``status[test_id]`` in passed/failed/error/skipped."""

    status: dict[str, str] = field(default_factory=dict)
    message: dict[str, str] = field(default_factory=dict)
    returncode: int = 0
    tail: str = ""

    def count(self, kind: str) -> int:
        return sum(1 for s in self.status.values() if s == kind)

    @property
    def failing(self) -> set[str]:
        return {t for t, s in self.status.items() if s in ("failed", "error")}

    @property
    def passed(self) -> set[str]:
        return {t for t, s in self.status.items() if s == "passed"}

    def summary(self) -> str:
        return (f"{len(self.status)} tests: {self.count('passed')} passed, {self.count('failed')} failed, "
                f"{self.count('error')} errors, {self.count('skipped')} skipped")


def sdist_tree(cache: Path = CACHE) -> Path:
    """The unpacked sdist of the installed SQLAlchemy (downloaded and extracted once into ``cache``)."""
    ver = version("sqlalchemy")
    tree = cache / f"sqlalchemy-{ver}"
    if (tree / "test" / "dialect" / "test_suite.py").exists():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        # --no-binary for SQLAlchemy only and no build isolation: pip prepares the sdist's metadata with the
        # venv's setuptools instead of building Cython from source.
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", "sqlalchemy",
             "--no-build-isolation", f"sqlalchemy=={ver}", "-d", tmp],
            check=True, timeout=600,
        )
        archive = next(Path(tmp).glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        unpacked = next(p for p in Path(tmp).iterdir() if p.is_dir())
        if not tree.exists():
            unpacked.rename(tree)
    return tree


def normalise_id(classname: str, name: str) -> str:
    """``test.dialect.test_suite.CTETest_postgresql+psycopg_15_0`` + ``test_x`` → ``CTETest::test_x``."""
    cls = _SUFFIX.sub("", classname.rsplit(".", 1)[-1])
    return f"{cls}::{name}"


def parse_junit(path: Path) -> Outcomes:
    """Outcomes from a pytest JUnit XML file (a teardown error marks the test as ``error``)."""
    out = Outcomes()
    for tc in ET.parse(path).getroot().iter("testcase"):
        tid = normalise_id(tc.get("classname", ""), tc.get("name", ""))
        status, msg = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                status = "failed" if child.tag == "failure" else "error"
                msg = (child.get("message") or child.text or "").strip()
                break
            if child.tag == "skipped":
                status = "skipped"
        if out.status.get(tid) in ("failed", "error"):
            continue
        out.status[tid] = status
        if msg:
            out.message[tid] = msg
    return out


def run_suite(url: str, junit: Path, *, tree: Path | None = None, timeout: float = 840.0,
              extra: list[str] | None = None) -> Outcomes:
    """Run the whole compliance suite against ``url`` (a SQLAlchemy URL) and return the outcomes."""
    tree = tree or sdist_tree()
    cmd = [sys.executable, "-m", "pytest", "test/dialect/test_suite.py", "--dburi", url,
           "-p", PLUGIN, "-p", "no:randomly", "-p", "no:cacheprovider", "-o", "addopts=",
           "-q", "--tb=line", "--maxfail=1000000", "--timeout=120", "--junitxml", str(junit), *(extra or [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    out = parse_junit(junit) if junit.exists() else Outcomes()
    out.returncode = proc.returncode
    out.tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]).strip()
    return out


def load_expected(path: Path = EXPECTED) -> set[str]:
    """Test ids listed in the expected-failures file (``#`` comments and blank lines ignored)."""
    return load_expected_text(path.read_text())


def load_expected_text(text: str) -> set[str]:
    """Test ids in the text of an expected-failures list."""
    ids = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            ids.add(line)
    return ids


_CAUSES: list[tuple[str, str]] = [
    (r"rem_edges|rem_jobs|rem_schemas|rem_vector_indexes",
     "REM's own views (rem_edges, rem_jobs, rem_schemas, rem_vector_indexes) are listed in public"),
    (r"no_constraints|UUID\(\)|\{'id': |Column\('id', UUID|'name': 'id', 'type': UUID",
     "reflection shows REM's implicit 'id' uuid column (and its primary key) on tables declared without one"),
    (r"^TableNoColumnsTest::", "reflection shows REM's implicit 'id' uuid column on a table declared without columns"),
    (r"unnest\(\)", "unnest() in the SELECT list (SQLAlchemy's pk/unique/index reflection query)"),
    (r"^JSONTest::", "JSON numbers lose precision (stored as float, not numeric)"),
    (r"WITH on INSERT", "WITH (CTE) on INSERT/UPDATE/DELETE not supported"),
    (r"window frame", "window functions: ROWS/RANGE BETWEEN with bound parameters"),
    (r"INTERVAL|makeinterval", "interval precision / make_interval"),
    (r"current transaction is aborted", "follow-on error after an unsupported statement in the same transaction"),
    (r"READ COMMITTED|SERIALIZABLE|isolation", "isolation levels: SET SESSION CHARACTERISTICS not reflected by SHOW"),
    (r"expression indexes", "expression indexes not supported"),
    (r"reflect_covering_index|INCLUDE", "covering indexes (INCLUDE) not reflected"),
    (r"POSIX|collation", "column collations not reflected"),
    (r"already exists|does not exist", "DDL state: objects left or missing after an earlier unsupported DDL"),
    (r"AssertionError", "wrong result (values or reflected metadata differ from PostgreSQL)"),
]


def cause(tid: str, message: str) -> str:
    """A short reason for a failing test (first pattern matching ``tid`` + message, else the message)."""
    for pattern, reason in _CAUSES:
        if re.search(pattern, message) or re.search(pattern, tid):
            return reason
    first = message.splitlines()[0] if message else "?"
    return first[:120]


def write_expected(out: Outcomes, path: Path = EXPECTED, header: str = "") -> None:
    """Write the failing tests of ``out`` as the expected-failures list, grouped by cause."""
    groups: dict[str, list[str]] = defaultdict(list)
    for tid in sorted(out.failing):
        groups[cause(tid, out.message.get(tid, ""))].append(tid)
    old = path.read_text() if path.exists() else ""
    manual = old[old.index(MANUAL):].rstrip("\n").splitlines() if MANUAL in old else [MANUAL]
    kept = load_expected_text("\n".join(manual))
    lines = [f"# {ln}" if ln else "#" for ln in header.splitlines()]
    for reason, ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        ids = [t for t in ids if t not in kept]
        if ids:
            lines += ["", f"# {reason} ({len(ids)})", *ids]
    path.write_text("\n".join([*lines, "", *manual]) + "\n")


def merge(into: Outcomes, other: Outcomes) -> None:
    """Fold ``other`` into ``into``: a test failing in either run counts as failing."""
    for tid, st in other.status.items():
        if into.status.get(tid) not in ("failed", "error"):
            into.status[tid] = st
            if tid in other.message:
                into.message[tid] = other.message[tid]
    into.returncode = max(into.returncode, other.returncode)
    into.tail = other.tail


def compare(out: Outcomes, expected: set[str]) -> tuple[list[str], list[str], list[str]]:
    """(new failures, unexpected passes, listed ids that did not run)."""
    new = sorted(out.failing - expected)
    fixed = sorted(out.passed & expected)
    stale = sorted(expected - set(out.status))
    return new, fixed, stale


HEADER = """SQLAlchemy dialect compliance suite (test/dialect/test_suite.py from the sdist of the installed
SQLAlchemy) against REM: tests expected to fail. tests/external/test_sqlalchemy_suite.py fails only on a
failing test that is NOT listed here; listed tests that pass are printed as unexpected passes.
Policy: docs/external-suites.md. Regenerate: .venv/bin/python -m tests.external.sqla_suite --write-expected
(then check the diff: a test leaving the list is progress, a test joining it is a regression to explain)."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--driver", default="psycopg", help="psycopg | psycopg2 | asyncpg")
    ap.add_argument("--url", help="SQLAlchemy URL of a running server (default: start a fresh REM server)")
    ap.add_argument("--write-expected", action="store_true", help="rewrite the expected-failures list")
    ap.add_argument("--runs", type=int, default=1, help="runs on fresh servers; a test failing in any is failing")
    args = ap.parse_args(argv)
    from tests.fix_server import RemServer

    workdir = Path(tempfile.mkdtemp(prefix="rem-sqla-"))
    out = Outcomes()
    for i in range(args.runs):
        srv = None if args.url else RemServer()
        try:
            if srv is not None:
                srv.start()
            url = args.url or f"postgresql+{args.driver}://rem@{srv.host}:{srv.port}/rem"  # type: ignore[union-attr]
            merge(out, run_suite(url, workdir / f"junit{i}.xml"))
        finally:
            if srv is not None:
                srv.cleanup()
    print(out.summary())
    new, fixed, stale = compare(out, load_expected())
    print(f"new failures: {len(new)}, unexpected passes: {len(fixed)}, listed but not run: {len(stale)}")
    for tid in new:
        print(f"NEW  {tid}: {out.message.get(tid, '')[:200]}")
    for tid in fixed:
        print(f"PASS {tid}")
    if args.write_expected:
        write_expected(out, header=HEADER)
        print(f"wrote {EXPECTED}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if new and not args.write_expected else 0


if __name__ == "__main__":
    sys.exit(main())
