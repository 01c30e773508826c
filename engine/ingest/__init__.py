"""Document ingest: read files (text, Markdown, PDF) and cut them into overlapping chunks."""

from __future__ import annotations

from engine.ingest.chunker import chunk_text
from engine.ingest.readers import Document, read_document

__all__ = ["Document", "chunk_text", "read_document"]
