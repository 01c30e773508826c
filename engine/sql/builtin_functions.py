"""Registers every built-in SQL function (import once; the executor does).

Each implementation is wrapped so that a Python arithmetic/overflow failure surfaces as PostgreSQL's error
(22003 for numbers, 22008 for dates/times) instead of an internal error.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from engine import types as T
from engine.functions import FunctionDef, all_functions, register
from engine.sql import (  # noqa: F401 - imported for their registrations
    functions_array,
    functions_datetime,
    functions_json,
    functions_math,
    functions_misc,
    functions_string,
)
from engine.sql.operators import out_of_range

_OURS = ("engine.sql.functions_",)


def _guarded(fd: FunctionDef) -> Callable[..., Any]:
    impl = fd.impl
    res = fd.return_oid if isinstance(fd.return_oid, int) else T.NUMERIC

    @functools.wraps(impl)
    def call(*args: Any, **kw: Any) -> Any:
        try:
            out = impl(*args, **kw)
        except (OverflowError, ValueError, ArithmeticError) as e:
            raise out_of_range(res) from e
        return out

    call.__rem_guarded__ = True  # type: ignore[attr-defined]
    return call


def _install() -> None:
    for fds in list(all_functions().values()):
        for fd in list(fds):
            mod = getattr(fd.impl, "__module__", "") or ""
            if mod.startswith(_OURS) and not getattr(fd.impl, "__rem_guarded__", False) and not fd.set_returning:
                register(dataclasses.replace(fd, impl=_guarded(fd)))


_install()
