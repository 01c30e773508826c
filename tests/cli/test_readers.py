"""engine.ingest.readers: text, Markdown, PDF, and every file that cannot be ingested."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import CharacterNotInRepertoire, InvalidParameterValue, IOError_, UndefinedFile
from engine.ingest import read_document
from tests.cli.pdfgen import write_pdf

DATA = Path(__file__).resolve().parents[1] / "data"


def test_markdown_and_text() -> None:
    md = read_document(DATA / "guide.md")
    assert md.content_type == "text/markdown" and md.text.startswith("# REM guide")
    txt = read_document(DATA / "notes.txt")
    assert txt.content_type == "text/plain" and "lazy dog" in txt.text


def test_pdf(tmp_path: Path) -> None:
    p = write_pdf(tmp_path / "doc.pdf", [["Hello PDF world."], ["Second page (with parens)."]])
    doc = read_document(p)
    assert doc.content_type == "application/pdf"
    assert doc.text == "Hello PDF world.\n\nSecond page (with parens)."


def test_crlf_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "w.txt"
    p.write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    assert read_document(p).text == "line one\nline two\n"


@pytest.mark.parametrize(
    ("content", "error", "fragment"),
    [
        (b"", InvalidParameterValue, "empty"),
        (b"  \n\n ", InvalidParameterValue, "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", CharacterNotInRepertoire, "binary"),
        (b"caf\xe9 au lait", CharacterNotInRepertoire, 'invalid byte sequence for encoding "UTF8": 0xe9'),
        (b"%PDF-1.4\nthis is not really a pdf", InvalidParameterValue, "PDF"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, error: type, fragment: str) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(error) as exc:
        read_document(p)
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UndefinedFile):
        read_document(tmp_path / "nope.txt")
    with pytest.raises(IOError_):
        read_document(tmp_path)


def test_pdf_without_text(tmp_path: Path) -> None:
    p = write_pdf(tmp_path / "blank.pdf", [[]])
    with pytest.raises(InvalidParameterValue, match="no extractable text"):
        read_document(p)
