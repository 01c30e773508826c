"""REM statements SEARCH / TRAVERSE / LOOKUP / FUZZY: parsed by the dialect, served by the vector and graph
services when they are attached to the database (0A000 until then)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine.errors import FeatureNotSupported
from engine.sql.statements import Statement


def prepare(session: Any, sql: str, node: exp.Expression, params: dict[int, int], given: list[int]) -> Statement:
    name = type(node).__name__.upper()
    raise FeatureNotSupported(f"{name} is not supported yet")
