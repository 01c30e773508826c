"""engine.ingest.chunker: size limit, paragraph/sentence boundaries, overlap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InvalidParameterValue
from engine.ingest.chunker import chunk_text

TEXT = (
    "REM stores resources. It also stores entities! Does it store moments? Yes.\n\n"
    "A second paragraph starts here. It has two sentences.\n\n"
    "Third paragraph."
)


def test_small_text_is_one_chunk() -> None:
    assert chunk_text("Hello world.", size=100, overlap=10) == ["Hello world."]


def test_paragraphs_kept_whole_when_they_fit() -> None:
    chunks = chunk_text(TEXT, size=80, overlap=0)
    assert chunks[0] == "REM stores resources. It also stores entities! Does it store moments? Yes."
    assert chunks[1] == "A second paragraph starts here. It has two sentences.\n\nThird paragraph."


def test_sentence_boundaries_when_paragraph_too_long() -> None:
    chunks = chunk_text(TEXT, size=50, overlap=0)
    assert chunks[:2] == ["REM stores resources. It also stores entities!", "Does it store moments? Yes."]
    for c in chunks:
        assert len(c) <= 50
        assert c[-1] in ".!?"


def test_overlap_repeats_whole_trailing_sentences() -> None:
    chunks = chunk_text("Aa one. Bb two. Cc three. Dd four. Ee five.", size=25, overlap=10)
    assert chunks == ["Aa one. Bb two. Cc three.", "Cc three. Dd four.", "Dd four. Ee five."]


def test_long_sentence_falls_back_to_words() -> None:
    text = "word " * 100
    chunks = chunk_text(text, size=42, overlap=0)
    assert all(len(c) <= 42 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_giant_word_is_cut_hard() -> None:
    chunks = chunk_text("x" * 25, size=10, overlap=0)
    assert chunks == ["x" * 10, "x" * 10, "x" * 5]


def test_empty_text_has_no_chunks() -> None:
    assert chunk_text("  \n\n  ", size=10, overlap=0) == []


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (-1, 0), (10, 10), (10, -1)])
def test_bad_parameters(size: int, overlap: int) -> None:
    with pytest.raises(InvalidParameterValue):
        chunk_text("text", size=size, overlap=overlap)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcdefghij.!? \n", min_size=1, max_size=30), min_size=1, max_size=60),
    size=st.integers(5, 120),
    overlap_frac=st.floats(0, 0.9),
)
def test_properties(words: list[str], size: int, overlap_frac: float) -> None:
    text = " ".join(words)
    overlap = min(int(size * overlap_frac), size - 1)
    chunks = chunk_text(text, size=size, overlap=overlap)
    assert all(0 < len(c) <= size for c in chunks)
    # every character of the text (whitespace aside) appears, in order; overlap only repeats
    source, seen = "".join(text.split()), "".join("".join(chunks).split())
    if overlap == 0:
        assert seen == source
    it = iter(seen)
    assert all(ch in it for ch in source)
