"""Differential test: each expression in tests/types/cases/*.txt is evaluated by the reference PostgreSQL 15
(``SELECT <expr>``, text format) and by REM's types layer in Python (tests/types/evaluator.py); the printed
value, the result type OID and the SQLSTATE of errors must agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from engine import types as T
from engine.errors import RemError
from engine.textio import format_text
from tests.types.evaluator import evaluate

CASES_DIR = Path(__file__).parent / "cases"


def load_cases() -> list[tuple[str, str, str]]:
    """(id, session settings, expression) for every non-comment line of cases/*.txt.

    Lines ``# timezone: Zone/Name`` and ``# datestyle: SQL, DMY`` set the session TimeZone/DateStyle for the
    rest of the file (default UTC and ISO, MDY); settings travel as ``"timezone|datestyle"``."""
    out = []
    for f in sorted(CASES_DIR.glob("*.txt")):
        tz, ds = "UTC", "ISO, MDY"
        for i, line in enumerate(f.read_text().splitlines(), 1):
            s = line.strip()
            if s.lower().startswith("# timezone:"):
                tz = s.split(":", 1)[1].strip()
            elif s.lower().startswith("# datestyle:"):
                ds = s.split(":", 1)[1].strip()
            elif s and not s.startswith("#"):
                out.append((f"{f.stem}:{i}", f"{tz}|{ds}", s))
    return out


CASES = load_cases()


@pytest.fixture(scope="module")
def pg_conn(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'; SET extra_float_digits = 1; SET DateStyle = 'ISO, MDY'")
        yield conn


def pg_eval(conn: psycopg.Connection, expr: str, settings: str = "UTC|ISO, MDY") -> tuple[str, object]:
    """('ok', (type oid, [text of each row])) or ('err', sqlstate)."""
    timezone, datestyle = settings.split("|")
    conn.execute("SELECT set_config('TimeZone', %s, false), set_config('DateStyle', %s, false)",
                 (timezone, datestyle))
    try:
        cur = conn.execute(f"SELECT {expr}")
    except psycopg.Error as e:
        return "err", e.sqlstate
    res = cur.pgresult
    assert res is not None
    vals = []
    for r in range(res.ntuples):
        v = res.get_value(r, 0)
        vals.append(None if v is None else v.decode())
    return "ok", (res.ftype(0), vals)


def rem_eval(expr: str, settings: str = "UTC|ISO, MDY") -> tuple[str, object]:
    timezone, datestyle = settings.split("|")
    try:
        oid, val = evaluate(expr, timezone)
        rows = val[1] if isinstance(val, tuple) and val and val[0] == "rows" else [val]
        return "ok", (oid, [None if v is None else format_text(oid, v, timezone=timezone, datestyle=datestyle)
                            for v in rows])
    except RemError as e:
        return "err", e.sqlstate


@pytest.mark.pg_reference
@pytest.mark.parametrize(("case_id", "settings", "expr"), CASES, ids=[c[0] for c in CASES])
def test_matches_postgres(pg_conn: psycopg.Connection, case_id: str, settings: str, expr: str) -> None:
    expected = pg_eval(pg_conn, expr, settings)
    got = rem_eval(expr, settings)
    if expected[0] == "ok" and got[0] == "ok":
        (eoid, evals), (goid, gvals) = expected[1], got[1]  # type: ignore[misc]
        assert gvals == evals, f"{expr}: REM {gvals!r} != PostgreSQL {evals!r}"
        assert goid == eoid, f"{expr}: REM type {T.by_oid(goid)} != PostgreSQL type {T.by_oid(eoid)}"
    else:
        assert got == expected, f"{expr}: REM {got!r} != PostgreSQL {expected!r}"


def test_case_files_are_large() -> None:
    assert len(CASES) >= 300
