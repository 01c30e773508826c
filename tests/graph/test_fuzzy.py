"""The trigram index: incremental updates, table filter, several texts per entity, binary-safe keys."""

from __future__ import annotations

import uuid

from engine.graph.fuzzy import TrigramIndex, similarity, trigrams


def u(s: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, s)


def test_trigrams_like_pg_trgm() -> None:
    assert trigrams("") == frozenset()
    assert trigrams("a") == {"  a", " a "}
    assert trigrams("Hello, World") == trigrams("hello world")
    assert similarity("word", "word") == 1.0
    assert similarity("", "") == 0.0
    assert similarity("abc", "xyz") == 0.0


def test_search_update_remove_and_filter() -> None:
    idx = TrigramIndex()
    idx.set(u("a"), "people", ["Alice Smith", "alice"])
    idx.set(u("b"), "people", ["Bob Smith"])
    idx.set(u("c"), "docs", ["https://example.com/a:b/alice notes"])
    hits = idx.search("alice", 0.3, 10)
    assert [h.id for h in hits] == [u("a")]
    assert [h.id for h in idx.search("alice", 0.1, 10)] == [u("a"), u("c")]
    assert hits[0].text == "alice" and hits[0].similarity == 1.0  # best text of the entity
    assert [h.id for h in idx.search("alice", 0.1, 10, tables={"docs"})] == [u("c")]
    assert idx.search("smith", 0.3, 1)[0].similarity == idx.search("smith", 0.3, 10)[0].similarity
    assert len(idx.search("smith", 0.3, 1)) == 1
    idx.set(u("a"), "people", ["Alicia Keys"])  # replaces the old texts
    assert u("a") not in {h.id for h in idx.search("alice smith", 0.5, 10)}
    idx.remove(u("c"))
    assert idx.search("example", 0.1, 10) == []
    assert len(idx) == 2


def test_unicode_and_punctuation_keys() -> None:
    idx = TrigramIndex()
    idx.set(u("z"), "t", ["Zürich café/naïve:key"])
    hit = idx.search("zürich", 0.3, 10)
    assert [h.id for h in hit] == [u("z")]
    assert hit[0].similarity == similarity("zürich", "Zürich café/naïve:key")
    assert idx.search("zürich", 0.5, 10) == []
    assert idx.search("   ", 0.3, 10) == []
