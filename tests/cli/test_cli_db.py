"""The CLI end to end, in both modes: in-process store (--path) and a running server (--dsn)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import Cli
from tests.cli.pdfgen import write_pdf

DATA = Path(__file__).resolve().parents[1] / "data"


def rows(r) -> list[dict]:
    return json.loads(r.stdout)


def failed(r, fragment: str) -> None:
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    first = r.stderr.strip().splitlines()[0]
    assert first.startswith("ERROR:  ") and fragment in first, r.stderr


def name_for(request: pytest.FixtureRequest, stem: str) -> str:
    return f"{stem}_{abs(hash(request.node.name)) % 10**8}"


ARTICLE = {
    "title": "Article", "type": "object",
    "properties": {
        "title": {"type": "string", "key_field": True},
        "category": {"type": "string", "indexed": True},
        "tags": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object"},
        "score": {"type": "number"},
    },
    "required": ["title"],
}


def make_schema(tmp_path: Path, table: str, suffix: str = ".json") -> Path:
    doc = dict(ARTICLE, short_name=table)
    p = tmp_path / f"{table}{suffix}"
    p.write_text(json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc))
    return p


def test_init_is_idempotent_and_lists_core_schemas(cli: Cli) -> None:
    first = rows(cli.ok("init"))
    assert {r["name"] for r in first} == {"sessions", "messages", "moments", "resources", "entities", "agentlets"}
    again = rows(cli.ok("init"))
    assert {r["status"] for r in again} == {"present"}
    listed = {r["name"]: r for r in rows(cli.ok("schema", "list"))}
    assert listed["resources"]["key_field"] == "uri" and listed["resources"]["embedding_fields"] == ["content"]
    assert set(listed["moments"]["indexed_fields"]) >= {"start_time", "end_time"}


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_schema_add_show_and_readd(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest, suffix: str) -> None:
    table = name_for(request, "articles")
    out = rows(cli.ok("schema", "add", str(make_schema(tmp_path, table, suffix))))
    assert out == [{"table": table, "fully_qualified_name": None}]
    shown = json.loads(cli.ok("schema", "show", table).stdout)
    assert shown["properties"]["title"]["key_field"] is True
    (tmp_path / "again.json").write_text(json.dumps(shown))
    cli.ok("schema", "add", str(tmp_path / "again.json"))  # re-registering is a new version, not an error
    assert table in {r["name"] for r in rows(cli.ok("schema", "list"))}
    failed(cli("schema", "show", "no_such_table"), 'relation "no_such_table" does not exist')


def test_schema_from_pydantic_model(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    table = name_for(request, "notes")
    (tmp_path / "models.py").write_text(
        "from pydantic import BaseModel, ConfigDict, Field\n"
        "class Note(BaseModel):\n"
        f"    model_config = ConfigDict(json_schema_extra={{'short_name': '{table}', 'key_field': 'title'}})\n"
        "    title: str = Field(description='Title')\n"
        "    body: str = ''\n"
    )
    assert rows(cli.ok("schema", "add", f"{tmp_path / 'models.py'}::Note"))[0]["table"] == table
    cli.ok("insert", table, '{"title": "n1", "body": "hello"}')
    assert rows(cli.ok("query", f"SELECT title, body FROM {table}")) == [{"title": "n1", "body": "hello"}]


def test_schema_from_template(cli: Cli, request: pytest.FixtureRequest) -> None:
    table = name_for(request, "my_docs")
    out = rows(cli.ok("schema", "add", "--name", table, "--template", "resources"))
    assert out == [{"table": table, "fully_qualified_name": f"user.{table}"}]
    shown = json.loads(cli.ok("schema", "show", table).stdout)
    assert shown["short_name"] == table and shown["embedding_fields"] == ["content"]


def test_insert_get_upsert(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    table = name_for(request, "articles")
    cli.ok("schema", "add", str(make_schema(tmp_path, table)))
    row = {"title": "Hello", "category": "intro", "tags": ["a", "b"], "meta": {"x": 1}, "score": 2.5}
    [first] = rows(cli.ok("insert", table, json.dumps(row)))
    uuid.UUID(first["id"])
    [again] = rows(cli.ok("insert", table, json.dumps(dict(row, category="changed"))))
    assert again["id"] == first["id"]  # same key → same row
    got = rows(cli.ok("get", first["id"]))
    assert got[0]["entity_type"] == table
    assert got[0]["data"]["category"] == "changed" and got[0]["data"]["tags"] == ["a", "b"]
    assert got[0]["data"]["meta"] == {"x": 1}
    assert rows(cli.ok("query", f"SELECT count(*) AS n FROM {table}")) == [{"n": 1}]
    failed(cli("get", str(uuid.UUID(int=12345))), "no entity with id")
    failed(cli("get", "not-a-uuid"), "uuid")


def test_insert_batch_and_bad_line(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    table = name_for(request, "articles")
    cli.ok("schema", "add", str(make_schema(tmp_path, table)))
    lines = [json.dumps({"title": f"t{i}", "category": "c" if i % 2 else "d", "score": i}) for i in range(25)]
    out = rows(cli.ok("insert", table, "--batch", "--batch-size", "10", input="\n".join(lines) + "\n"))
    assert out == [{"table": table, "written": 25}]
    cli.ok("insert", table, "--batch", "--batch-size", "10", input="\n".join(lines) + "\n")  # idempotent
    assert rows(cli.ok("query", f"SELECT count(*) AS n FROM {table}")) == [{"n": 25}]
    bad = [json.dumps({"title": f"u{i}"}) for i in range(6)] + ["{broken", json.dumps({"title": "after"})]
    r = cli("insert", table, "--batch", "--batch-size", "4", input="\n".join(bad) + "\n")
    failed(r, "line 7: invalid JSON")
    assert "6 rows before it were written" in r.stderr
    n = rows(cli.ok("query", f"SELECT count(*) AS n FROM {table} WHERE title LIKE 'u%' OR title = 'after'"))
    assert n == [{"n": 6}]
    failed(cli("insert", table, "--batch", input='{"title": "ok"}\n[1]\n'), "line 2: expected a non-empty JSON object")


def test_sql_errors_are_one_line(cli: Cli) -> None:
    failed(cli("insert", "no_such_table", '{"a": 1}'), 'relation "no_such_table" does not exist')
    failed(cli("query", "SELECT * FROM no_such_table"), 'relation "no_such_table" does not exist')
    failed(cli("query", "SELEC 1"), "syntax error")
    failed(cli("insert", "no_such_table", "--batch", input='{"a": 1}\n'), 'relation "no_such_table" does not exist')


def test_query_formats(cli: Cli) -> None:
    assert rows(cli.ok("query", "SELECT 1 AS a, 'x' AS b")) == [{"a": 1, "b": "x"}]
    assert cli.ok("query", "SELECT 1 AS a, 'x,y' AS b", "--format", "csv").stdout == 'a,b\n1,"x,y"\n'
    assert cli.ok("query", "SELECT 1 AS a UNION ALL SELECT 2", "-f", "jsonl").stdout == '{"a": 1}\n{"a": 2}\n'
    assert "(1 row)" in cli.ok("query", "SELECT 1 AS a", "-f", "table").stdout


def test_lookup_and_traverse(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("insert", "entities", json.dumps([{"name": "carol-cli"}, {"name": "bob-cli"}, {"name": "alice-cli"}]))
    cli.ok("query", "SELECT rem_add_edge('alice-cli', 'bob-cli', 'knows'); "
           "SELECT rem_add_edge('alice-cli', 'carol-cli', 'likes')")
    found = rows(cli.ok("lookup", "alice-cli", "bob-cli"))
    assert {r["key"] for r in found} == {"alice-cli", "bob-cli"}
    reached = rows(cli.ok("traverse", "alice-cli", "--depth", "1"))
    assert {r["key"] for r in reached} >= {"bob-cli", "carol-cli"}
    only = rows(cli.ok("traverse", "alice-cli", "--type", "knows"))
    assert "carol-cli" not in {r["key"] for r in only} and "bob-cli" in {r["key"] for r in only}
    back = rows(cli.ok("traverse", "bob-cli", "--direction", "in"))
    assert "alice-cli" in {r["key"] for r in back}


def _resources(cli: Cli, uri_prefix: str) -> list[dict]:
    return rows(cli.ok("query", "SELECT uri, chunk_ordinal, name, content, content_type FROM resources "
                       f"WHERE uri LIKE '{uri_prefix}%' ORDER BY uri, chunk_ordinal"))


def test_ingest_text_markdown_pdf_and_reingest(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "guide.md").write_text((DATA / "guide.md").read_text())
    (docs / "sub" / "notes.txt").write_text((DATA / "notes.txt").read_text())
    write_pdf(docs / "sub" / "paper.pdf", [["Vectors live in FAISS.", "Rows live in RocksDB."], ["Page two."]])
    (docs / ".hidden.md").write_text("hidden file, skipped")
    (docs / "image.png").write_bytes(b"\x89PNG\x00\x00")  # not a document suffix: skipped in directories
    report = rows(cli.ok("ingest", str(docs), "--chunk-size", "200", "--overlap", "50"))
    assert len(report) == 3 and all(r["written"] == r["chunks"] and r["removed"] == 0 for r in report)
    stored = _resources(cli, f"file://{docs.resolve()}")
    assert len(stored) == sum(r["chunks"] for r in report)
    by_type = {r["content_type"] for r in stored}
    assert by_type == {"text/markdown", "text/plain", "application/pdf"}
    guide = [r for r in stored if r["uri"] == f"file://{(docs / 'guide.md').resolve()}"]
    assert [r["chunk_ordinal"] for r in guide] == list(range(len(guide)))
    assert guide[0]["name"] == "guide.md (chunk 0)" and all(len(r["content"]) <= 200 for r in guide)
    pdf = [r for r in stored if r["content_type"] == "application/pdf"]
    assert "Vectors live in FAISS." in pdf[0]["content"]

    again = rows(cli.ok("ingest", str(docs), "--chunk-size", "200", "--overlap", "50"))
    assert all(r["written"] == 0 and r["unchanged"] == r["chunks"] for r in again)
    assert _resources(cli, f"file://{docs.resolve()}") == stored

    (docs / "guide.md").write_text("# REM guide\n\nShorter now. Only one chunk.\n")
    edited = rows(cli.ok("ingest", str(docs / "guide.md"), "--chunk-size", "200", "--overlap", "50"))
    assert edited[0]["chunks"] == 1 and edited[0]["removed"] == len(guide) - 1
    now = [r for r in _resources(cli, f"file://{docs.resolve()}") if r["uri"] == guide[0]["uri"]]
    assert [(r["chunk_ordinal"], r["content"]) for r in now] == [(0, "# REM guide\n\nShorter now. Only one chunk.")]


def test_ingest_bad_file_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    (tmp_path / "good.txt").write_text("A good file.")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00binary")
    failed(cli("ingest", str(tmp_path / "good.txt"), str(tmp_path / "bad.txt")), "binary file")
    assert _resources(cli, f"file://{tmp_path.resolve()}") == []


def test_nested_extras_and_new_version(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    table = name_for(request, "papers")
    doc = {"title": "Paper", "type": "object",
           "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
           "json_schema_extra": {"short_name": table, "key_field": "title", "indexed_fields": ["year"]}}
    (tmp_path / "p.json").write_text(json.dumps(doc))
    cli.ok("schema", "add", str(tmp_path / "p.json"))
    listed = {r["name"]: r for r in rows(cli.ok("schema", "list"))}
    assert listed[table]["key_field"] == "title" and listed[table]["indexed_fields"] == ["year"]
    a = rows(cli.ok("insert", table, '{"title": "REM", "year": 2024}'))
    b = rows(cli.ok("insert", table, '{"title": "REM", "year": 2025}'))
    assert a == b  # key_field from the nested extras: same title, same row
    doc["properties"]["venue"] = {"type": "string"}
    doc["json_schema_extra"]["version"] = 2
    (tmp_path / "p.json").write_text(json.dumps(doc))
    cli.ok("schema", "add", str(tmp_path / "p.json"))
    cli.ok("insert", table, '{"title": "Other", "year": 2020, "venue": "VLDB"}')
    got = rows(cli.ok("query", f"SELECT title, year, venue FROM {table} ORDER BY title"))
    assert got == [{"title": "Other", "year": 2020, "venue": "VLDB"}, {"title": "REM", "year": 2025, "venue": None}]
