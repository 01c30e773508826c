"""Functions that belong to the session: pg_sleep (interruptible), current_setting, set_config."""

from __future__ import annotations

from typing import Any

from engine import types as T
from engine.errors import UndefinedObject
from engine.functions import FunctionDef, register


def _pg_sleep(ctx: Any, seconds: float) -> None:
    ctx.session.sleep(float(seconds))


def _current_setting(ctx: Any, name: str, missing_ok: bool = False) -> str | None:
    try:
        return ctx.session.get_setting(name)
    except UndefinedObject:
        if missing_ok:
            return None
        raise


def _set_config(ctx: Any, name: str, value: str | None, is_local: bool) -> str:
    ctx.session.set_setting(name, value, local=bool(is_local))
    return ctx.session.get_setting(name)


def _pg_notify(ctx: Any, channel: str | None, payload: str | None) -> None:
    if not channel:
        from engine.errors import InvalidParameterValue

        raise InvalidParameterValue("channel name cannot be empty")
    queue = getattr(ctx.session, "queue_notify", None)  # delivered at commit (engine.session)
    if queue is not None:
        queue(channel, payload or "")


register(FunctionDef("pg_notify", _pg_notify, T.VOID, (T.TEXT, T.TEXT), needs_ctx=True, strict=False,
                     volatile=True))
register(FunctionDef("pg_sleep", _pg_sleep, T.VOID, (T.FLOAT8,), needs_ctx=True, volatile=True))
register(FunctionDef("current_setting", _current_setting, T.TEXT, (T.TEXT,), needs_ctx=True))
register(FunctionDef("current_setting", _current_setting, T.TEXT, (T.TEXT, T.BOOL), needs_ctx=True))
register(FunctionDef("set_config", _set_config, T.TEXT, (T.TEXT, T.TEXT, T.BOOL), needs_ctx=True,
                     strict=False, volatile=True))
