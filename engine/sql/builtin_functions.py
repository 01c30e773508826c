"""Registers every built-in SQL function (import once; the executor does)."""

from __future__ import annotations

from engine.sql import (  # noqa: F401 - imported for their registrations
    functions_array,
    functions_datetime,
    functions_json,
    functions_math,
    functions_misc,
    functions_string,
)
