"""`rem search` over ingested documents, with the real embedding model, in both modes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli


def rows(r) -> list[dict]:
    return json.loads(r.stdout)


def test_search_after_ingest(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat sat on the warm windowsill in the sun.")
    (docs / "b.txt").write_text("Quarterly revenue grew because enterprise sales doubled.")
    cli.ok("ingest", str(docs))
    hits = rows(cli.ok("search", "a kitten resting in sunlight", "--schema", "resources", "--top-k", "10"))
    mine = [h for h in hits if str(h["uri"]).startswith(f"file://{docs.resolve()}")]
    assert mine and mine[0]["uri"].endswith("/a.txt")
    assert ("score" in hits[0] or "similarity" in hits[0]) and "embedding" not in hits[0]
