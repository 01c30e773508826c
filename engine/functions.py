"""The SQL function registry: every function callable from SQL, built-in or REM's (``rem_*``).

Modules register functions at import time with :func:`register`; the executor resolves calls through
:func:`lookup`. Scalar functions are called with Python values (see :mod:`engine.types`), once per row unless
``vectorized`` (then with lists of values, one list per argument, returning a list). Set-returning functions
return an iterable of tuples matching ``columns``. ``needs_ctx`` functions get an
:class:`engine.context.ExecContext` as their first argument (session, database, transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FunctionDef:
    """One SQL function overload."""

    name: str  # lower case, without schema
    impl: Callable[..., Any]
    return_oid: int | Callable[[list[int]], int]  # fixed, or computed from the argument type OIDs
    arg_oids: tuple[int, ...] | None = None  # None: any arguments (impl checks them)
    strict: bool = True  # any NULL argument → NULL result without calling impl
    volatile: bool = False  # e.g. random(), now() is stable (per statement)
    set_returning: bool = False
    columns: tuple[tuple[str, int], ...] | None = None  # set-returning: (name, type OID) of each output column
    needs_ctx: bool = False
    vectorized: bool = False
    aggregate: bool = False  # impl(values: list) -> value, or a class with step/final
    variadic: bool = False
    arg_names: tuple[str, ...] | None = None  # for named arguments (``depth => 2``)
    description: str = ""
    prunes_columns: bool = False  # set-returning, yields tuples: impl takes ``columns=`` (output names used; None = all)


_FUNCTIONS: dict[str, list[FunctionDef]] = {}


def register(fn: FunctionDef) -> FunctionDef:
    """Add an overload (a later registration with the same arg_oids replaces the earlier one)."""
    overloads = _FUNCTIONS.setdefault(fn.name, [])
    overloads[:] = [f for f in overloads if f.arg_oids != fn.arg_oids]
    overloads.append(fn)
    return fn


def function(name: str, return_oid: int | Callable[[list[int]], int], **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator form of :func:`register`."""

    def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
        register(FunctionDef(name=name.lower(), impl=impl, return_oid=return_oid, **kw))
        return impl

    return deco


def lookup(name: str) -> list[FunctionDef]:
    """Every overload of ``name`` (lower case, schema stripped); empty when unknown."""
    return _FUNCTIONS.get(name.lower().removeprefix("pg_catalog."), [])


def all_functions() -> dict[str, list[FunctionDef]]:
    """The registry (for pg_proc)."""
    return _FUNCTIONS
