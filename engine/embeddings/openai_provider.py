"""``openai:<model>[@dims]``: embeddings from the OpenAI API or any OpenAI-compatible server.

Uses the real ``openai`` client (``Settings.openai_api_key`` / ``openai_base_url``). Texts go in batches of
``batch_size`` per request; 429 and 5xx answers (and connection errors) are retried with exponential backoff
(honouring ``Retry-After``) up to ``max_retries`` times; a 401/403 or exhausted retries raise
:class:`engine.errors.ExternalRoutineException` (SQLSTATE 38000) with a message saying which.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from engine.embeddings.base import in_batches, l2_normalize
from engine.errors import ExternalRoutineException, InvalidParameterValue

KNOWN_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def _retry_after(exc: Exception) -> float | None:
    resp = getattr(exc, "response", None)
    if resp is None:
        return None
    v = resp.headers.get("retry-after")
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


class OpenAIProvider:
    """Provider for ``openai:<model>`` specs (``openai:<model>@<dims>`` asks for shortened vectors)."""

    def __init__(self, model: str, *, api_key: str | None, base_url: str | None = None, batch_size: int = 64,
                 max_retries: int = 5, backoff: float = 0.5, max_backoff: float = 8.0, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import openai

        dims: int | None = None
        if "@" in model:
            model, _, d = model.partition("@")
            if not d.isdigit() or int(d) <= 0:
                raise InvalidParameterValue(f"invalid embedding dimension {d!r} in openai:{model}@{d}")
            dims = int(d)
        self.model = model
        self.name = f"openai:{model}" + (f"@{dims}" if dims else "")
        self._dims_arg = dims
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._openai = openai
        if not api_key:
            raise ExternalRoutineException(
                f"embedding provider {self.name}: no API key", hint="set P8_OPENAI_API_KEY or OPENAI_API_KEY")
        # retries are ours (below), so the client's own are off
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
        known = dims or KNOWN_DIMS.get(model)
        self.dim = known if known else int(self._request(["dimension probe"]).shape[1])

    def _request(self, texts: list[str]) -> np.ndarray:
        oa = self._openai
        kw = {"dimensions": self._dims_arg} if self._dims_arg else {}
        attempt = 0
        while True:
            try:
                resp = self._client.embeddings.create(model=self.model, input=texts, encoding_format="float", **kw)
                break
            except (oa.AuthenticationError, oa.PermissionDeniedError) as e:
                raise ExternalRoutineException(
                    f"embedding provider {self.name}: authentication failed ({e.status_code})",
                    detail=str(e), hint="check P8_OPENAI_API_KEY / OPENAI_API_KEY") from e
            except (oa.RateLimitError, oa.InternalServerError, oa.APIConnectionError) as e:
                if attempt >= self.max_retries:
                    what = "rate limit" if isinstance(e, oa.RateLimitError) else "server error"
                    raise ExternalRoutineException(
                        f"embedding provider {self.name}: {what}, gave up after {attempt + 1} attempts",
                        detail=str(e)) from e
                delay = _retry_after(e)
                if delay is None:
                    delay = min(self.max_backoff, self.backoff * (2 ** attempt))
                self._sleep(max(0.0, delay))
                attempt += 1
            except oa.APIStatusError as e:
                raise ExternalRoutineException(
                    f"embedding provider {self.name}: request failed ({e.status_code})", detail=str(e)) from e
        data = sorted(resp.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise ExternalRoutineException(
                f"embedding provider {self.name}: asked for {len(texts)} vectors, got {len(data)}")
        return l2_normalize(np.asarray([d.embedding for d in data], dtype=np.float32))

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        v = self._request(texts)
        if v.shape[1] != self.dim:
            raise ExternalRoutineException(
                f"embedding provider {self.name}: expected {self.dim} dimensions, got {v.shape[1]}")
        return v

    def embed(self, texts: list[str]) -> np.ndarray:
        """``float32[n, dim]`` unit vectors, one request per ``batch_size`` texts."""
        clean = [" " if not t else str(t) for t in texts]  # the API rejects empty strings
        return in_batches(clean, self.batch_size, self._embed_batch, self.dim)
