"""A trigram index over entity keys and names, with pg_trgm's similarity.

Trigrams as pg_trgm makes them: the text is lower-cased and split into words of alphanumeric characters;
each word is padded with two spaces in front and one behind and cut into 3-character windows; similarity is
``|shared| / |union|`` of the two trigram sets (computed in float4, like ``similarity()``). Queries walk
posting lists only (prefix filter on the rarest trigrams), never every entity.
"""

from __future__ import annotations

import heapq
import math
import re
import struct
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")  # runs of alphanumeric characters (str.isalnum)


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigram set of ``text``.

    >>> sorted(trigrams("Cat"))
    ['  c', ' ca', 'at ', 'cat']
    """
    out: set[str] = set()
    for word in _WORD.findall(text.lower()):
        w = "  " + word + " "
        out.update([w[i:i + 3] for i in range(len(w) - 2)])
    return frozenset(out)


def similarity(a: str | frozenset[str], b: str | frozenset[str]) -> float:
    """pg_trgm ``similarity(a, b)`` (float4 precision, returned as a Python float)."""
    ta = trigrams(a) if isinstance(a, str) else a
    tb = trigrams(b) if isinstance(b, str) else b
    return _sml(len(ta & tb), len(ta), len(tb))


_F32 = struct.Struct("f")


def _sml(shared: int, la: int, lb: int) -> float:
    if la == 0 or lb == 0:
        return 0.0
    return _F32.unpack(_F32.pack(shared / (la + lb - shared)))[0]


@dataclass(frozen=True)
class Match:
    """One fuzzy hit: the entity, its table, the text that matched best and the similarity."""

    id: uuid.UUID
    table: str
    text: str
    similarity: float


class TrigramIndex:
    """Posting lists trigram → documents; a document is one (entity, text) pair."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._next = 0
        self._docs: dict[int, tuple[uuid.UUID, str, str, frozenset[str]]] = {}
        self._postings: dict[str, set[int]] = {}
        self._by_entity: dict[uuid.UUID, list[int]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def set(self, eid: uuid.UUID, table: str, texts: Iterable[str | None]) -> None:
        """Index ``texts`` (e.g. key and name) for entity ``eid``, replacing what it had."""
        with self.lock:
            self.remove(eid)
            docs: list[int] = []
            for text in dict.fromkeys(t for t in texts if t):
                tg = trigrams(text)
                if not tg:
                    continue
                d = self._next
                self._next += 1
                self._docs[d] = (eid, table, text, tg)
                for t in tg:
                    self._postings.setdefault(t, set()).add(d)
                docs.append(d)
            if docs:
                self._by_entity[eid] = docs

    def remove(self, eid: uuid.UUID) -> None:
        """Drop every text of entity ``eid``."""
        with self.lock:
            for d in self._by_entity.pop(eid, ()):
                _, _, _, tg = self._docs.pop(d)
                for t in tg:
                    p = self._postings.get(t)
                    if p is not None:
                        p.discard(d)
                        if not p:
                            del self._postings[t]

    def search(
        self, text: str, threshold: float = 0.3, limit: int | None = 10, tables: set[str] | None = None,
    ) -> list[Match]:
        """Entities with a text of similarity ≥ ``threshold`` (and at least one shared trigram), best first."""
        q = trigrams(text)
        if not q:
            return []
        with self.lock:
            # a document with similarity >= t shares at least ceil(t·|q|) trigrams with q, so it appears in
            # the postings of at least one of the |q| - need + 1 rarest query trigrams (prefix filter)
            need = max(1, math.ceil(threshold * len(q) - 1e-6))
            plists = sorted((self._postings.get(t, set()) for t in q), key=len)
            cand: set[int] = set()
            for p in plists[: len(q) - need + 1]:
                cand |= p
            nq = len(q)
            lo = threshold - 1e-6
            best: dict[uuid.UUID, tuple[float, str, bytes, str]] = {}
            docs = self._docs
            for d in cand:
                eid, table, dtext, tg = docs[d]
                if tables is not None and table not in tables:
                    continue
                c = len(q & tg)
                s = c / (nq + len(tg) - c)
                if s < lo or s == 0:
                    continue
                s = _sml(c, nq, len(tg))  # float4, as pg_trgm
                if s < threshold:
                    continue
                m = best.get(eid)
                if m is None or s > m[0] or (s == m[0] and dtext < m[1]):
                    best[eid] = (s, dtext, eid.bytes, table)
        key = lambda e: (-e[1][0], e[1][1], e[1][2])  # noqa: E731
        items = best.items()
        top = sorted(items, key=key) if limit is None else heapq.nsmallest(limit, items, key=key)
        return [Match(eid, t, text, s) for eid, (s, text, _, t) in top]
