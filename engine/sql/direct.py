"""Direct readers of prepared statements: shapes answered without the general plan's machinery.

:func:`attach` (called for every statement a session prepares) sets ``st.direct`` to the first recognizer's
reader: a point get by key (:mod:`engine.sql.pointget`) or a traversal (:mod:`engine.graph.direct`). A reader's
``rows(session, txn, params)`` gives the statement's rows or None (then the general plan runs it);
``Session.read_direct`` calls it.
"""

from __future__ import annotations

from typing import Any

from engine.sql import pointget


def attach(session: Any, st: Any) -> Any:
    """``st``, with a direct reader when one recognizes it."""
    pointget.attach(session, st)
    if getattr(st, "direct", None) is None:
        from engine.graph import direct

        direct.attach(session, st)
    return st
