"""pytest plugin loaded into SQLAlchemy's own suite run (``-p tests.external.sqla_suite_plugin``).

SQLAlchemy's PostgreSQL provisioning runs ``CREATE EXTENSION IF NOT EXISTS citext`` and ``hstore`` once per
session and aborts the whole run when that fails. REM has neither extension, so this plugin makes the step
tolerant: each extension is tried and a failure is reported on stderr; tests that need the type then fail
on their own and sit in the expected-failures list. It also creates the schemas ``test_schema`` and
``test_schema_2`` that the suite expects the test database to have.
"""

from __future__ import annotations

import sys

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    from sqlalchemy import text
    from sqlalchemy.dialects.postgresql import provision
    from sqlalchemy.testing.provision import post_configure_engine

    extensions = list(provision._extensions)

    def tolerant(url: object, engine: object, follower_ident: object) -> None:
        with engine.connect() as conn:  # type: ignore[attr-defined]
            for name, min_version in extensions:
                if conn.dialect.server_version_info < min_version:
                    continue
                try:
                    conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
                    conn.commit()
                except Exception as exc:  # noqa: BLE001 - report and go on, the suite shows what breaks
                    conn.rollback()
                    print(f"[rem] CREATE EXTENSION {name} failed: {exc}".splitlines()[0], file=sys.stderr)
            for schema in ("test_schema", "test_schema_2"):  # the suite expects them (README.unittests)
                try:
                    conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
                    conn.commit()
                except Exception as exc:  # noqa: BLE001
                    conn.rollback()
                    print(f"[rem] CREATE SCHEMA {schema} failed: {exc}".splitlines()[0], file=sys.stderr)

    post_configure_engine.fns["postgresql"] = tolerant
