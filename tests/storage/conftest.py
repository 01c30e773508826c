"""Fixtures of the storage tests: a real RocksDB store in a temporary directory, always closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.settings import Settings
from engine.storage import RemStore, open_store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "db")


@pytest.fixture
def store(settings: Settings) -> Iterator[RemStore]:
    st = open_store(settings)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def users(store: RemStore) -> TableDef:
    """users(id int primary key, name text not null, age int indexed, email text unique)."""
    from engine.schema.model import ConstraintDef
    return store.registry.create(TableDef(
        name="users",
        columns=[ColumnDef("id", T.INT4), ColumnDef("name", T.TEXT, not_null=True),
                 ColumnDef("age", T.INT4, indexed=True), ColumnDef("email", T.TEXT)],
        primary_key=["id"],
        constraints=[ConstraintDef(name="users_email_key", kind="u", columns=["email"])],
    ))
