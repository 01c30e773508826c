"""The replay corpus: statements that real clients send while introspecting (captured against PostgreSQL 15,
extracted by tools/extract_corpus.py into tests/catalog/corpus/*.sql)."""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"
# The table the captured statements describe; created the same way on REM and on the reference server.
DOCS_DDL = ("create table docs (id serial primary key, title varchar(20) not null, body text,"
            " created timestamptz default now())")


def load_corpus() -> list[tuple[str, str]]:
    """(id, sql) of every corpus statement, ``{docs_oid}`` still to be filled in."""
    out = []
    for f in sorted(CORPUS_DIR.glob("*.sql")):
        parts = [p.strip() for p in f.read_text().split("-- @@\n")[1:]]
        out += [(f"{f.stem}-{i}", p) for i, p in enumerate(parts, 1) if p]
    return out
