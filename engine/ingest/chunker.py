"""Cut text into chunks of at most ``size`` characters that respect paragraph and sentence boundaries.

Text is split into paragraphs (blank lines), paragraphs into sentences; pieces longer than ``size`` fall back to
lines, then words, then hard cuts. Pieces are packed greedily; each new chunk starts with the last whole
sentences of the previous one (at most ``overlap`` characters), so context carries over.

>>> chunk_text("One. Two. Three.", size=10, overlap=0)
['One. Two.', 'Three.']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import InvalidParameterValue

_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*\s+")
_LINE = re.compile(r"\n+")
_WORD = re.compile(r"\s+")


@dataclass(frozen=True)
class _Piece:
    text: str
    para: int  # index of the paragraph it belongs to (decides the separator)


def _split_long(text: str, size: int) -> list[str]:
    """Split ``text`` into parts of at most ``size`` characters at the coarsest boundary that works."""
    if len(text) <= size:
        return [text]
    for pattern in (_SENTENCE, _LINE, _WORD):
        parts = [p for p in (s.strip() for s in _split_keep(pattern, text)) if p]
        if len(parts) > 1:
            out: list[str] = []
            for p in parts:
                out.extend(_split_long(p, size))
            return out
    return [text[i:i + size] for i in range(0, len(text), size)]


def _split_keep(pattern: re.Pattern[str], text: str) -> list[str]:
    """Split at ``pattern`` keeping the punctuation consumed by the lookbehind-free part on the left."""
    out, start = [], 0
    for m in pattern.finditer(text):
        out.append(text[start:m.start()] + m.group(0).rstrip())
        start = m.end()
    out.append(text[start:])
    return out


def _pieces(text: str, size: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for i, para in enumerate(p.strip() for p in _PARAGRAPH.split(text)):
        if not para:
            continue
        sentences = [s.strip() for s in _split_keep(_SENTENCE, para)]
        for s in sentences:
            if s:
                pieces.extend(_Piece(part, i) for part in _split_long(s, size))
    return pieces


def _sep(a: _Piece, b: _Piece) -> int:
    return 2 if a.para != b.para else 1


def _join(pieces: list[_Piece]) -> str:
    out = []
    for k, p in enumerate(pieces):
        if k:
            out.append("\n\n" if p.para != pieces[k - 1].para else " ")
        out.append(p.text)
    return "".join(out)


def chunk_text(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Chunks of ``text`` of at most ``size`` characters, overlapping by up to ``overlap`` characters."""
    if size <= 0:
        raise InvalidParameterValue(f"chunk size must be positive, got {size}")
    if overlap < 0 or overlap >= size:
        raise InvalidParameterValue(f"overlap must be between 0 and chunk size - 1 ({size - 1}), got {overlap}")
    chunks: list[str] = []
    current: list[_Piece] = []
    length = 0  # joined length of ``current``
    fresh = 0  # pieces in ``current`` not carried over from the previous chunk
    for piece in _pieces(text, size):
        if current and length + _sep(current[-1], piece) + len(piece.text) > size:
            if fresh:
                chunks.append(_join(current))
                current = _tail(current, overlap)
                length = len(_join(current))
            while current and length + _sep(current[-1], piece) + len(piece.text) > size:
                length -= len(current[0].text) + (_sep(current[0], current[1]) if len(current) > 1 else 0)
                current = current[1:]
            fresh = 0
        length += (_sep(current[-1], piece) if current else 0) + len(piece.text)
        current.append(piece)
        fresh += 1
    if fresh:
        chunks.append(_join(current))
    return chunks


def _tail(pieces: list[_Piece], overlap: int) -> list[_Piece]:
    """The longest run of trailing pieces whose joined length is at most ``overlap``."""
    total, k = 0, len(pieces)
    while k > 0:
        add = len(pieces[k - 1].text) + (_sep(pieces[k - 1], pieces[k]) if k < len(pieces) else 0)
        if total + add > overlap:
            break
        total += add
        k -= 1
    return pieces[k:]
