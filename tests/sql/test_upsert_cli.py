"""`rem insert --batch` and `rem ingest` as real processes on an in-process store: both write through the
engine's set-at-a-time ``INSERT … ON CONFLICT DO UPDATE`` (upsert semantics, edges merged, embeddings only for
new or changed text)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REM = str(Path(sys.executable).parent / "rem")


def rem(data: Path, *args: str, stdin: str | None = None) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("P8_")}
    r = subprocess.run([REM, *args, "--path", str(data), "--format", "json"], input=stdin, capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else []


def test_batch_insert_is_an_upsert_and_merges_edges(tmp_path):
    data = tmp_path / "db"
    rem(data, "init")
    rem(data, "query", "CREATE TABLE kin (name text PRIMARY KEY, age int, city text)")
    first = [{"name": n, "age": 30, "city": "x"} for n in ("ann", "bob", "cy")]
    first[0]["edges"] = [{"dst": "bob", "rel_type": "knows"}]
    rem(data, "insert", "kin", "--batch", stdin="\n".join(json.dumps(r) for r in first[1:] + first[:1]) + "\n")
    again = [{"name": "ann", "age": 31, "edges": [{"dst": "bob", "rel_type": "knows", "weight": 0.5},
                                                  {"dst": "cy", "rel_type": "knows"}]},
             {"name": "dee", "age": 5}]
    out = rem(data, "insert", "kin", "--batch", stdin="\n".join(json.dumps(r) for r in again) + "\n")
    assert out == [{"table": "kin", "written": 2}]
    assert rem(data, "query", "SELECT name, age, city FROM kin ORDER BY name") == [
        {"name": "ann", "age": 31, "city": "x"}, {"name": "bob", "age": 30, "city": "x"},
        {"name": "cy", "age": 30, "city": "x"}, {"name": "dee", "age": 5, "city": None}]
    edges = rem(data, "query", "SELECT d.name AS dst, e.rel_type, e.weight FROM rem_edges e "
                               "JOIN kin d ON d.id = e.dst ORDER BY 1")
    assert edges == [{"dst": "bob", "rel_type": "knows", "weight": 0.5},
                     {"dst": "cy", "rel_type": "knows", "weight": 1.0}]


def test_ingest_of_an_edited_file_replaces_changed_chunks_only(tmp_path):
    data = tmp_path / "db"
    rem(data, "init")
    doc = tmp_path / "story.txt"
    paras = ["The lighthouse keeper climbed the stairs every evening at dusk.",
             "Ships passed far out at sea, their lights blinking in the fog.",
             "In winter the island was quiet and the keeper read old letters."]
    doc.write_text("\n\n".join(paras))
    opts = ["--chunk-size", "70", "--overlap", "0"]
    [rep] = rem(data, "ingest", str(doc), *opts)
    assert rep["chunks"] == 3 and rep["written"] == 3
    q = "SELECT chunk_ordinal AS o, content, embedding::text AS v FROM resources WHERE uri = '%s' ORDER BY 1"
    before = rem(data, "query", q % f"file://{doc.resolve()}")
    assert [r["content"] for r in before] == paras
    paras[1] = "A storm broke the antenna, and the radio went silent for three days."
    doc.write_text("\n\n".join(paras))
    [rep] = rem(data, "ingest", str(doc), *opts)
    assert (rep["written"], rep["unchanged"], rep["removed"]) == (1, 2, 0)
    after = rem(data, "query", q % f"file://{doc.resolve()}")
    assert [r["content"] for r in after] == paras
    assert after[0]["v"] == before[0]["v"] and after[2]["v"] == before[2]["v"]  # untouched chunks keep vectors
    assert after[1]["v"] != before[1]["v"]
    hit = rem(data, "search", "radio silence after a storm", "--schema", "resources", "--top-k", "1")
    assert hit[0]["chunk_ordinal"] == 1
    doc.write_text(paras[0])
    [rep] = rem(data, "ingest", str(doc), *opts)
    assert (rep["chunks"], rep["written"], rep["removed"]) == (1, 0, 2)
    assert [r["o"] for r in rem(data, "query", q % f"file://{doc.resolve()}")] == [0]
