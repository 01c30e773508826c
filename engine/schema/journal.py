"""Transactional DDL: registry changes made inside a transaction block are journaled and undone at ROLLBACK.

The registry applies DDL at once (other sessions see it before COMMIT, unlike PostgreSQL), but records how to undo
each change in the journal of the session that made it: CREATE → drop; ALTER / CREATE INDEX / COMMENT → the
previous version (values of dropped columns are restored); DROP TABLE → the table is only hidden until COMMIT, and
reappears with its rows at ROLLBACK (a crash before COMMIT also brings it back). ``ROLLBACK TO SAVEPOINT`` undoes
the changes made after the savepoint.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_CURRENT: contextvars.ContextVar[Journal | None] = contextvars.ContextVar("rem_ddl_journal", default=None)


@dataclass
class Journal:
    """Undo actions (run newest first at ROLLBACK) and commit actions (run at COMMIT) of one transaction."""

    undo: list[Callable[[], None]] = field(default_factory=list)
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)


def current() -> Journal | None:
    """The journal of the DDL statement running in this context (None: autocommit, apply for good)."""
    return _CURRENT.get()


def record(undo: Callable[[], None], on_commit: Callable[[], None] | None = None) -> None:
    """Remember how to undo a registry change (no-op outside a transaction block)."""
    j = _CURRENT.get()
    if j is None:
        return
    j.undo.append(undo)
    if on_commit is not None:
        j.on_commit.append(on_commit)


def session_journal(session: Any) -> Journal | None:
    """The session's journal while it is inside a transaction block (created on first use)."""
    if getattr(session, "transaction_status", "I") == "I":
        return None
    j = getattr(session, "_rem_ddl_journal", None)
    if j is None:
        j = Journal()
        try:
            session._rem_ddl_journal = j
        except AttributeError:
            return None
    return j  # type: ignore[no-any-return]


@contextmanager
def active(session: Any) -> Iterator[None]:
    """Run a DDL statement with the session's journal (inside a transaction block) as the current one."""
    token = _CURRENT.set(session_journal(session))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def finish(session: Any, commit: bool) -> None:
    """End of the transaction: run commit actions, or undo every change in reverse order."""
    j = getattr(session, "_rem_ddl_journal", None)
    if j is None:
        return
    session._rem_ddl_journal = None
    actions = j.on_commit if commit else list(reversed(j.undo))
    _run_all(actions)
    bump = getattr(getattr(session, "db", None), "bump_schema", None)
    if bump and (j.undo or j.on_commit):
        bump()


def savepoint(session: Any, name: str) -> None:
    j = session_journal(session)
    if j is not None:
        j.marks[name] = (len(j.undo), len(j.on_commit))


def rollback_to(session: Any, name: str) -> None:
    """ROLLBACK TO SAVEPOINT: undo the changes made since the savepoint."""
    j = getattr(session, "_rem_ddl_journal", None)
    if j is None or name not in j.marks:
        return
    nu, nc = j.marks[name]
    undo, j.undo = j.undo[nu:], j.undo[:nu]
    j.on_commit = j.on_commit[:nc]
    _run_all(list(reversed(undo)))
    bump = getattr(getattr(session, "db", None), "bump_schema", None)
    if bump and undo:
        bump()


def _run_all(actions: list[Callable[[], None]]) -> None:
    token = _CURRENT.set(None)  # undo actions apply for good
    try:
        for a in actions:
            a()
    finally:
        _CURRENT.reset(token)
