"""Placeholder: filled in next."""

from __future__ import annotations

from typing import Any

from engine.errors import FeatureNotSupported


def prepare(session: Any, sql: str, node: Any, params: Any, given: Any) -> Any:
    raise FeatureNotSupported("ddl statements are not supported yet")


def prepare_copy(session: Any, sql: str, c: Any, given: Any) -> Any:
    raise FeatureNotSupported("COPY is not supported yet")


def copy_in(session: Any, txn: Any, spec: Any, rows: Any) -> Any:
    raise FeatureNotSupported("COPY is not supported yet")
