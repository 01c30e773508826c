"""CREATE TYPE … AS ENUM / DROP TYPE (not supported yet: clear 0A000)."""

from __future__ import annotations

from sqlglot import exp

from engine.errors import FeatureNotSupported
from engine.sql.statements import Statement


def create_type(sql: str, node: exp.Create) -> Statement:
    raise FeatureNotSupported("CREATE TYPE is not supported")


def drop_type(sql: str, node: exp.Drop) -> Statement:
    raise FeatureNotSupported("DROP TYPE is not supported")
