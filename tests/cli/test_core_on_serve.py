"""Issue 7: a server's first start registers the core schemas; a later start leaves a dropped one dropped."""

from __future__ import annotations

import psycopg

from engine.coreschemas import CORE_SCHEMAS
from tests.fix_server import RemServer


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn, autocommit=True) as c:
        return {r[0] for r in c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_first_start_registers_core_schemas(tmp_path) -> None:
    data = str(tmp_path / "data")
    with RemServer(data_dir=data, env={"P8_CORE_SCHEMAS": "on"}) as srv:
        assert set(CORE_SCHEMAS) <= _tables(srv.dsn)
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            c.execute("INSERT INTO entities (name, properties) VALUES ('ada', '{\"born\": 1815}')")
            c.execute("DROP TABLE agentlets")
    with RemServer(data_dir=data, env={"P8_CORE_SCHEMAS": "on"}) as srv:
        tables = _tables(srv.dsn)
        assert "agentlets" not in tables and "entities" in tables
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            assert c.execute("SELECT properties->>'born' FROM entities WHERE name = 'ada'").fetchone() == ("1815",)
            names = {r[0] for r in c.execute("SELECT name FROM rem_init()")}
            assert "agentlets" in names
        assert "agentlets" in _tables(srv.dsn)


def test_core_schemas_can_be_turned_off(tmp_path) -> None:
    with RemServer(data_dir=str(tmp_path / "data"), env={"P8_CORE_SCHEMAS": "off"}) as srv:
        assert not set(CORE_SCHEMAS) & _tables(srv.dsn)
