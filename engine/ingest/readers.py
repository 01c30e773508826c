"""Read a document file into text: plain text, Markdown, PDF (pypdf).

Every failure is a one-line :class:`engine.errors.RemError`: missing or unreadable file (58P01/58030), binary
content (22021, as PostgreSQL reports invalid UTF-8), an empty file or a PDF without text (22023).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.errors import CharacterNotInRepertoire, InvalidParameterValue, IOError_, UndefinedFile

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
PDF_SUFFIXES = {".pdf"}


@dataclass(frozen=True)
class Document:
    """A file's extracted text and its MIME type."""

    path: Path
    text: str
    content_type: str


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UndefinedFile(f'could not open file "{path}": No such file or directory') from None
    except IsADirectoryError:
        raise IOError_(f'could not read file "{path}": Is a directory') from None
    except OSError as e:
        raise IOError_(f'could not read file "{path}": {e.strerror or e}') from None


def _decode_text(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise CharacterNotInRepertoire(f'could not ingest "{path}": binary file (contains NUL bytes)')
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[e.start:e.start + 1].hex()
        raise CharacterNotInRepertoire(
            f'could not ingest "{path}": invalid byte sequence for encoding "UTF8": 0x{bad} at byte {e.start}'
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pdf_text(path: Path, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InvalidParameterValue(f'could not ingest "{path}": the PDF is encrypted')
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except InvalidParameterValue:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise InvalidParameterValue(f'could not ingest "{path}": not a readable PDF ({e})') from None
    return "\n\n".join(p for p in pages if p)


def read_document(path: str | Path) -> Document:
    """Read ``path`` and return its text; raises RemError when it cannot be ingested."""
    p = Path(path)
    data = _read_bytes(p)
    suffix = p.suffix.lower()
    if not data.strip():
        raise InvalidParameterValue(f'could not ingest "{p}": the file is empty')
    if suffix in PDF_SUFFIXES or data[:5] == b"%PDF-":
        text, ctype = _pdf_text(p, data), "application/pdf"
        if not text.strip():
            raise InvalidParameterValue(f'could not ingest "{p}": the PDF has no extractable text')
    else:
        text = _decode_text(p, data)
        ctype = "text/markdown" if suffix in MARKDOWN_SUFFIXES else "text/plain"
        if not text.strip():
            raise InvalidParameterValue(f'could not ingest "{p}": the file is empty')
    return Document(path=p, text=text, content_type=ctype)
