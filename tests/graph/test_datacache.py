"""The data cache of GraphService: a reader sees the rows of its own snapshot, never a stale or a newer one."""

from __future__ import annotations

import uuid

from engine.graph.datacache import DataCache


def _note(g, start: str, target: str, **kw) -> str:
    return next(r.data["note"] for r in g.traverse(start, 1, **kw) if r.key == target)


def test_readers_see_their_snapshot_through_the_cache(golden) -> None:
    store, tables, ids, g = golden
    people = tables["people"]
    assert _note(g, "dave", "alice") == "about alice"  # read and cached
    old = store.begin()
    assert _note(g, "dave", "alice", txn=old) == "about alice"  # old's snapshot taken here
    tx = store.begin()
    [row] = tx.get(people, [ids["alice"]])
    tx.update(people, [dict(row, note="changed")])
    tx.commit()
    assert _note(g, "dave", "alice") == "changed"  # the commit dropped the entry
    assert _note(g, "dave", "alice", txn=old) == "about alice"  # the old snapshot still reads the old row
    assert _note(g, "dave", "alice") == "changed"  # … without putting it back into the cache
    old.rollback()
    [r] = g.lookup(["alice"])
    assert r.data["note"] == "changed"
    tx = store.begin()
    tx.delete(people, [ids["alice"]])
    assert [r.key for r in g.traverse("dave", 1, txn=tx)] == []  # own writes: read through the transaction
    tx.rollback()
    assert _note(g, "dave", "alice") == "changed"


def test_stale_puts_are_ignored() -> None:
    c = DataCache(floor=10)
    a, b = uuid.uuid4(), uuid.uuid4()
    c.put(a, 10, (1, 1), {"v": 1})
    assert c.get(a, 10, (1, 1)) == {"v": 1} and c.get(a, 9, (1, 1)) is None  # older snapshot: unknown
    assert c.get(a, 10, (1, 2)) is None  # another table version
    c.changed_at([a], 12)
    assert c.get(a, 20, (1, 1)) is None
    c.put(a, 11, (1, 1), {"v": "read before the change"})  # raced with commit 12: not kept
    assert c.get(a, 20, (1, 1)) is None
    c.put(a, 12, (1, 1), {"v": 2})
    assert c.get(a, 11, (1, 1)) is None and c.get(a, 12, (1, 1)) == {"v": 2}
    c.put(b, 10, (1, 1), {"v": 3})
    assert c.get(b, 15, (1, 1)) == {"v": 3}
