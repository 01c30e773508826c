"""The only converter of exceptions to ErrorResponse/NoticeResponse fields.

RemError → its SQLSTATE and fields; framing faults → 08P01 (or 54000 for oversized messages); anything else →
XX000, logged with its traceback.
"""

from __future__ import annotations

import logging

from engine.api import Notice
from engine.errors import InternalError, ProgramLimitExceeded, ProtocolViolation, RemError
from remwire.protocol.codec import FramingError
from remwire.protocol.messages import ErrorResponse, NoticeResponse

log = logging.getLogger("remwire")

Fields = tuple[tuple[str, str], ...]


def _rem_fields(e: RemError, severity: str | None = None) -> Fields:
    sev = severity or e.severity or "ERROR"
    out = [("S", sev), ("V", sev), ("C", e.sqlstate), ("M", e.message)]
    if e.detail:
        out.append(("D", e.detail))
    if e.hint:
        out.append(("H", e.hint))
    if e.position:
        out.append(("P", str(e.position)))
    where = getattr(e, "where", None)
    if where:
        out.append(("W", str(where)))
    return tuple(out)


def as_rem_error(exc: BaseException) -> RemError:
    """The client-visible error for any exception (unknown ones logged with traceback as XX000)."""
    if isinstance(exc, RemError):
        return exc
    if isinstance(exc, FramingError):
        if exc.too_large:
            return ProgramLimitExceeded(exc.message)
        return ProtocolViolation(exc.message)
    log.error("internal error: %r", exc, exc_info=exc)
    return InternalError(f"internal error: {type(exc).__name__}: {exc}")


def error_response(exc: BaseException, *, fatal: bool = False) -> ErrorResponse:
    """ErrorResponse for an exception; ``fatal`` marks errors that end the connection."""
    e = as_rem_error(exc)
    sev = "FATAL" if fatal else (e.severity if e.severity in ("ERROR", "FATAL", "PANIC") else "ERROR")
    return ErrorResponse(_rem_fields(e, sev))


def notice_response(n: Notice) -> NoticeResponse:
    """NoticeResponse for an engine Notice."""
    out = [("S", n.severity), ("V", n.severity), ("C", n.sqlstate), ("M", n.message)]
    if n.detail:
        out.append(("D", n.detail))
    if n.hint:
        out.append(("H", n.hint))
    return NoticeResponse(tuple(out))
