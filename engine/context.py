"""What running code can reach: the session, the database, the current transaction.

Passed to functions registered with ``needs_ctx=True`` and to virtual tables' ``rows``.
"""

from __future__ import annotations

from typing import Any, Protocol

from engine.store import Registry, Store, Txn


class EngineDatabase(Protocol):
    """The engine-side database object (engine.database.RemDatabase)."""

    registry: Registry
    store: Store
    settings: Any  # engine.settings.Settings
    vectors: Any  # engine.vector service, or None until built
    graph: Any  # engine.graph service, or None until built


class ExecContext(Protocol):
    """Per-statement execution context."""

    db: EngineDatabase
    txn: Txn
    session: Any  # engine.session.RemSession: get_setting(name), set_setting(name, value), user, database

    def check_interrupts(self) -> None:
        """Raise QueryCanceled if the statement was cancelled or timed out."""

    def notice(self, message: str, **kw: Any) -> None:
        """Queue a NoticeResponse for the client."""
