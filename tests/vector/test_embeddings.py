"""Embedding providers: the real offline MiniLM model and the real openai client against a local server."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.embeddings import get_provider, parse_spec
from engine.embeddings.openai_provider import OpenAIProvider
from engine.errors import ExternalRoutineException, InvalidParameterValue, UndefinedFile
from engine.settings import Settings
from tests.vector.fake_openai import DIM, GOOD_KEY, FakeOpenAI, fake_vector

PAIRS = [
    ("How do I reset my database password?", "Steps to change the password of a Postgres user"),
    ("A man is eating food.", "Someone is having a meal."),
    ("The cat sleeps on the sofa.", "A kitten is napping on the couch."),
    ("Stock prices fell sharply this morning.", "The share market dropped a lot today."),
    ("How to bake sourdough bread at home", "Homemade sourdough loaf recipe"),
    ("The train to Paris was delayed by two hours.", "Our railway journey to Paris ran two hours late."),
    ("Python lists can be sorted with sorted().", "Use the sorted function to order a Python list."),
    ("It is raining heavily in London.", "There is a downpour in London right now."),
]


@pytest.fixture(scope="module")
def minilm():
    return get_provider("local:all-MiniLM-L6-v2", Settings())


def test_minilm_shape_and_norm(minilm):
    v = minilm.embed(["hello world", "", "a much longer sentence " * 40])
    assert minilm.name == "local:all-MiniLM-L6-v2" and minilm.dim == 384
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)


def test_minilm_paraphrase_ranks_first(minilm):
    queries = minilm.embed([a for a, _ in PAIRS])
    docs = minilm.embed([b for _, b in PAIRS])
    best = np.argmax(queries @ docs.T, axis=1)
    assert best.tolist() == list(range(len(PAIRS)))


def test_minilm_known_similarity(minilm):
    a, b = minilm.embed(["A man is eating food.", "A man is eating a piece of bread."])
    assert 0.70 < float(a @ b) < 0.80  # the fp32 original gives 0.755


def test_batching_is_invisible(minilm):
    texts = [f"sentence number {i} about vectors" for i in range(10)]
    small = get_provider("local:all-MiniLM-L6-v2", replace(Settings(), embedding_batch_size=3))
    assert small is not minilm and small.batch_size == 3
    np.testing.assert_allclose(small.embed(texts), minilm.embed(texts), atol=1e-5)


def test_provider_cache(minilm):
    assert get_provider("local:all-MiniLM-L6-v2", Settings()) is minilm


def test_missing_local_model_fails_fast(tmp_path):
    with pytest.raises(UndefinedFile) as ei:
        get_provider("local:BAAI/bge-small-en-v1.5", replace(Settings(), data_dir=tmp_path))
    assert ei.value.sqlstate == "58P01" and "bge-small-en-v1.5" in str(ei.value)


def test_bad_spec():
    assert parse_spec("all-MiniLM-L6-v2") == ("local", "all-MiniLM-L6-v2")
    with pytest.raises(InvalidParameterValue):
        parse_spec("cohere:embed-v3")


def _expected(texts, dim=DIM):
    v = np.asarray([fake_vector(t, dim) for t in texts], np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_openai_batches_and_order():
    with FakeOpenAI() as srv:
        s = replace(Settings(), openai_api_key=GOOD_KEY, openai_base_url=srv.base_url, embedding_batch_size=4)
        p = get_provider("openai:my-embedder", s)
        assert p.dim == DIM and p.name == "openai:my-embedder"  # unknown model: dimension probed once
        texts = [f"doc {i}" for i in range(10)]
        v = p.embed(texts)
        np.testing.assert_allclose(v, _expected(texts), atol=1e-6)
        assert [len(r["input"]) for r in srv.requests[1:]] == [4, 4, 2]


def test_openai_dimensions_suffix():
    with FakeOpenAI() as srv:
        p = OpenAIProvider("text-embedding-3-small@8", api_key=GOOD_KEY, base_url=srv.base_url)
        assert p.dim == 8 and srv.requests == []  # known up front, no probe
        np.testing.assert_allclose(p.embed(["x"]), _expected(["x"], 8), atol=1e-6)
        assert srv.requests[0]["dimensions"] == 8


def test_openai_retries_429_and_500():
    sleeps: list[float] = []
    with FakeOpenAI() as srv:
        p = OpenAIProvider("text-embedding-3-small@16", api_key=GOOD_KEY, base_url=srv.base_url,
                           sleep=sleeps.append)
        srv.fail_429 = 2
        srv.fail_500 = 1
        v = p.embed(["alpha", "beta"])
        np.testing.assert_allclose(v, _expected(["alpha", "beta"]), atol=1e-6)
        assert len(srv.requests) == 4 and len(sleeps) == 3


def test_openai_ratelimit_exhausted():
    with FakeOpenAI() as srv:
        p = OpenAIProvider("text-embedding-3-small@16", api_key=GOOD_KEY, base_url=srv.base_url,
                           max_retries=2, sleep=lambda s: None)
        srv.fail_429 = 10
        with pytest.raises(ExternalRoutineException) as ei:
            p.embed(["alpha"])
        assert ei.value.sqlstate == "38000" and "rate limit" in str(ei.value) and "3 attempts" in str(ei.value)


def test_openai_401():
    with FakeOpenAI() as srv:
        p = OpenAIProvider("text-embedding-3-small", api_key="sk-wrong", base_url=srv.base_url)
        with pytest.raises(ExternalRoutineException) as ei:
            p.embed(["alpha"])
        assert "authentication failed (401)" in str(ei.value)


def test_openai_without_key():
    with pytest.raises(ExternalRoutineException):
        get_provider("openai:text-embedding-3-small", replace(Settings(), openai_api_key=None))


def test_length_sorted_batches_keep_order(minilm):
    texts = ["short", "a much longer text about databases, vectors and search engines " * 8, "mid sized text"]
    together = minilm.embed(texts)
    for i, t in enumerate(texts):
        np.testing.assert_allclose(together[i], minilm.embed([t])[0], atol=1e-5)


def test_minilm_truncates_at_256_word_pieces(minilm):
    long = "database " * 600  # far beyond 256 word pieces
    tok = minilm._model.model.tokenizer
    assert len(tok.encode(long).ids) == 256
    a, b = minilm.embed([long, long + " trailing words past the cut"])
    assert float(a @ b) > 0.9999  # words after the cut do not change the vector
