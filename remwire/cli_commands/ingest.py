"""``rem ingest FILE…``: read text/Markdown/PDF, chunk, upsert one row per chunk; re-ingest is idempotent.

Rows: ``uri = file://<absolute path>``, ``chunk_ordinal``, ``name = "<file name> (chunk i)"``, ``content``,
``content_type``. The id derives from (uri, chunk_ordinal), so a chunk is always the same row. Chunks whose
content did not change are not written; new and changed chunks go through the same batched upsert as
``rem insert --batch`` (the engine embeds only new or changed text, one embedding call per batch); chunks past
the new count are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.errors import UndefinedFile
from engine.ingest import chunk_text, read_document
from engine.ingest.readers import MARKDOWN_SUFFIXES, PDF_SUFFIXES
from engine.settings import Settings
from remwire.cli_commands.common import DsnOpt, FormatOpt, PathOpt, cli_errors, database, table_ident
from remwire.cli_commands.output import emit
from remwire.cli_commands.progress import Progress
from remwire.cli_commands.upsert import Upserter

DOCUMENT_SUFFIXES = {".txt", ".text", ".rst", ".org"} | MARKDOWN_SUFFIXES | PDF_SUFFIXES  # not .log: RocksDB WALs


@dataclass
class Prepared:
    """One file read and chunked, ready to write."""

    path: Path
    uri: str
    content_type: str
    chunks: list[str]


def expand(paths: list[Path]) -> list[Path]:
    """Files named, plus documents (by suffix, not hidden) under directories, recursively; sorted, unique."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                f for f in sorted(p.rglob("*"))
                if f.is_file() and f.suffix.lower() in DOCUMENT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.exists():
            out.append(p)
        else:
            raise UndefinedFile(f'could not open file "{p}": No such file or directory')
    seen: set[Path] = set()
    return [f for f in out if not (f.resolve() in seen or seen.add(f.resolve()))]


def prepare(path: Path, size: int, overlap: int) -> Prepared:
    """Read and chunk one file (raises RemError for files that cannot be ingested)."""
    doc = read_document(path)
    absolute = path.resolve()
    return Prepared(absolute, f"file://{absolute}", doc.content_type, chunk_text(doc.text, size, overlap))


@cli_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Files or directories (recursive).")],
    schema: Annotated[str, typer.Option("--schema", "-s", help="Target table (resources or a clone of it).")]
    = "resources",
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Maximum characters per chunk.")] = 1000,
    overlap: Annotated[int, typer.Option("--overlap", min=0, help="Characters of trailing sentences repeated "
                                         "at the start of the next chunk.")] = 200,
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Ingest documents (text, Markdown, PDF) as chunked resources; re-ingest changes only what changed.

    Examples: rem ingest tutorial.pdf; rem ingest ./docs --schema my_docs --chunk-size 800 --overlap 100
    """
    docs = [prepare(f, chunk_size, overlap) for f in expand(files)]  # every file checked before any write
    batch_size = Settings.from_env().batch_size
    table = table_ident(schema)
    report: list[tuple[Any, ...]] = []
    with database(path, dsn) as db, Progress(f"ingest {schema}", total=sum(len(d.chunks) for d in docs),
                                             unit="chunks") as bar:
        up = Upserter(db, schema, batch_size, bar)  # new and changed chunks: one upsert path
        for d in docs:
            existing = {
                int(o): (c, n) for o, c, n in db.run(
                    f"SELECT chunk_ordinal, content, name FROM {table} WHERE uri = $1", [d.uri]).rows
            }
            written = 0
            for i, content in enumerate(d.chunks):
                name = f"{d.path.name} (chunk {i})"
                if existing.get(i) == (content, name):
                    bar.advance(1)
                    continue
                up.add({"uri": d.uri, "chunk_ordinal": i, "name": name, "content": content,
                        "content_type": d.content_type})
                written += 1
            stale = sum(1 for o in existing if o >= len(d.chunks))
            if stale:
                db.run(f"DELETE FROM {table} WHERE uri = $1 AND chunk_ordinal >= $2", [d.uri, len(d.chunks)])
            report.append((str(d.path), d.uri, len(d.chunks), written, len(d.chunks) - written, stale))
        up.flush()
    emit(["file", "uri", "chunks", "written", "unchanged", "removed"], report, fmt)


def register(app: typer.Typer) -> None:
    """Add ``rem ingest`` to ``app``."""
    app.command("ingest")(ingest)
