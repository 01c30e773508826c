"""A small local HTTP server speaking OpenAI's ``POST /v1/embeddings`` (deterministic vectors), for tests."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

GOOD_KEY = "sk-test-good"
DIM = 16


def fake_vector(text: str, dim: int = DIM) -> list[float]:
    """The deterministic (unnormalised) vector the server returns for ``text``."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32).tolist()


class FakeOpenAI:
    """Serve on 127.0.0.1:<free port>; ``fail_429`` / ``fail_500`` make the next N requests fail."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_429 = 0
        self.fail_500 = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def _send(self, code: int, body: dict, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                if self.headers.get("authorization") != f"Bearer {GOOD_KEY}":
                    return self._send(401, {"error": {"message": "Incorrect API key provided",
                                                      "type": "invalid_request_error", "code": "invalid_api_key"}})
                owner.requests.append(body)
                if owner.fail_429 > 0:
                    owner.fail_429 -= 1
                    return self._send(429, {"error": {"message": "Rate limit reached", "type": "requests",
                                                      "code": "rate_limit_exceeded"}}, {"retry-after": "0"})
                if owner.fail_500 > 0:
                    owner.fail_500 -= 1
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}},
                                      {"retry-after": "0"})
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                dim = int(body.get("dimensions") or DIM)
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, dim)}
                        for i, t in enumerate(inputs)]
                self._send(200, {"object": "list", "data": data, "model": body["model"],
                                 "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
