"""SQLAlchemy's own dialect compliance suite against a fresh REM server, diffed with the expected failures.

The whole ``test/dialect/test_suite.py`` runs (~1.9k tests, 30-60 s each here) through ``postgresql+psycopg``
and ``postgresql+psycopg2``, each against a fresh server. The test fails only on a failing test that is not in
``sqlalchemy_expected_failures.txt``; unexpected passes are printed. See docs/external-suites.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.external.sqla_suite import compare, load_expected, run_suite, sdist_tree
from tests.fix_server import RemServer

MIN_TESTS = 1500  # a run that collects fewer tests is broken, not green


@pytest.fixture
def suite_server() -> Iterator[RemServer]:
    """A REM server of its own: the suite creates and drops many tables and may leave some behind."""
    srv = RemServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.cleanup()


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy_dialect_suite(suite_server: RemServer, driver: str, tmp_path: Path) -> None:
    tree = sdist_tree()
    url = f"postgresql+{driver}://rem@{suite_server.host}:{suite_server.port}/rem"
    out = run_suite(url, tmp_path / "junit.xml", tree=tree)
    assert out.returncode in (0, 1), f"suite run broke (exit {out.returncode}):\n{out.tail}"
    assert len(out.status) >= MIN_TESTS, f"only {len(out.status)} tests ran:\n{out.tail}"
    new, fixed, stale = compare(out, load_expected())
    print(f"\nSQLAlchemy suite on REM via {driver}: {out.summary()}")
    if fixed:
        print(f"{len(fixed)} unexpected passes (remove them from sqlalchemy_expected_failures.txt):")
        print("\n".join(f"  {t}" for t in fixed))
    if stale:
        print(f"{len(stale)} listed tests did not run:")
        print("\n".join(f"  {t}" for t in stale))
    detail = "\n".join(f"  {t}: {out.message.get(t, '')[:300]}" for t in new)
    assert not new, f"{len(new)} new failures (not in sqlalchemy_expected_failures.txt):\n{detail}"
