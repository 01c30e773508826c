"""The ``data`` objects of recently read entities, shared by TRAVERSE / LOOKUP / FUZZY readers.

An entry is an entity's ``data`` (its visible columns as JSON) as of the current committed version. The commit
hook records, per entity, the commit sequence of its last change and drops its entry; rows not changed since
the service started count as changed at ``floor`` (the commit sequence then). A reader whose statement snapshot
is at sequence S (a transaction without writes of its own) may use an entry iff the entity's last change is
≤ S: then the row it would read equals the entry. A reader stores what it read at snapshot S only under the
same condition, so a commit racing with the read never leaves a stale entry behind.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from typing import Any

TableKey = tuple[int, int]  # (table OID, schema version): entries of an altered table are not used


class DataCache:
    """Entity id → (table key, data), with the last-change sequence per changed entity (keyed by the id's
    integer: its hash is C code, a ``uuid.UUID``'s is Python)."""

    MAX_ENTRIES = 400_000  # cleared when full (a traversal's working set is far smaller)

    def __init__(self, floor: int) -> None:
        self.floor = floor
        self.changed: dict[int, int] = {}
        self.entries: dict[int, tuple[TableKey, dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def get(self, nid: uuid.UUID, snap: int, tkey: TableKey) -> dict[str, Any] | None:
        """The entry of ``nid`` if a reader at snapshot ``snap`` of table version ``tkey`` may use it."""
        return self.get_many([nid], snap, tkey)[0]

    def get_many(self, ids: list[uuid.UUID], snap: int, tkey: TableKey) -> list[dict[str, Any] | None]:
        """:meth:`get` of each of ``ids`` (the one copy of the rule: the TRAVERSE hot path reads through it)."""
        entries, changed, floor = self.entries, self.changed, self.floor
        out: list[dict[str, Any] | None] = []
        append = out.append
        for nid in ids:
            k = nid.int
            e = entries.get(k)
            append(None if e is None or e[0] != tkey or changed.get(k, floor) > snap else e[1])
        return out

    def put(self, nid: uuid.UUID, snap: int, tkey: TableKey, data: dict[str, Any]) -> None:
        """Remember ``data`` read at snapshot ``snap`` (ignored when the entity changed after it)."""
        with self.lock:
            k = nid.int
            if self.changed.get(k, self.floor) <= snap:
                if len(self.entries) >= self.MAX_ENTRIES:
                    self.entries.clear()
                self.entries[k] = (tkey, data)

    def changed_at(self, ids: Iterable[uuid.UUID], seq: int) -> None:
        """Entities ``ids`` changed in commit ``seq`` (from the commit hook)."""
        with self.lock:
            for nid in ids:
                k = nid.int
                self.changed[k] = seq
                self.entries.pop(k, None)
