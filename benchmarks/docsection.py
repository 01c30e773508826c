"""The one place that writes a benchmark's own section of docs/benchmarks.md (between its BEGIN/END markers)."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(begin: str, end: str, body: str, doc_path: Path = DOC) -> None:
    """Replace the text between ``begin`` and ``end`` (markers included) by ``begin``, ``body``, ``end``; append
    the section when the file has none. The file is re-read right before writing (other benchmarks write theirs)."""
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc = doc_path.read_text() if doc_path.exists() else "# Benchmarks\n"
    section = f"{begin}\n{body.strip(chr(10))}\n{end}"
    if begin in doc and end in doc:
        a, b = doc.index(begin), doc.index(end) + len(end)
        doc = doc[:a] + section + doc[b:]
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    doc_path.write_text(doc)
