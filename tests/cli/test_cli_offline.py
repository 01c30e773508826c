"""CLI behaviour that needs no database: templates, schema files, bad input caught before connecting,
output formats, value adaptation and SQL building."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from engine import types as T
from engine.errors import InvalidTextRepresentation
from remwire.cli_commands import make_app
from remwire.cli_commands.client import adapt, running_server
from remwire.cli_commands.common import ident, literal, table_ident
from remwire.cli_commands.output import emit
from remwire.cli_commands.upsert import upsert_sql

runner = CliRunner()
app = make_app()


def run(*args: str, input: str | None = None):  # noqa: A002
    return runner.invoke(app, list(args), input=input)


def test_help_lists_commands_with_examples() -> None:
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("init", "schema", "insert", "get", "lookup", "query", "search", "traverse", "ingest"):
        assert cmd in r.stdout
    assert "Examples" in r.stdout and "rem insert articles --batch" in r.stdout


def test_schema_templates_json() -> None:
    r = run("schema", "templates")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [x["template"] for x in rows] == ["agentlets", "entities", "moments", "resources"]
    assert rows[3]["key_field"] == "uri"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_template_to_file(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"my_docs{suffix}"
    r = run("schema", "add", "--name", "my_docs", "--template", "resources", "--output", str(out))
    assert r.exit_code == 0, r.output
    doc = (json.loads if suffix == ".json" else yaml.safe_load)(out.read_text())
    assert doc["short_name"] == "my_docs" and doc["fully_qualified_name"] == "user.my_docs"
    assert doc["embedding_fields"] == ["content"]


def _fails(r, fragment: str) -> None:
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("ERROR:  ") and fragment in lines[0], r.stderr


def test_bad_schema_files(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    _fails(run("schema", "add", str(tmp_path / "bad.json")), "is not valid JSON")
    (tmp_path / "bad2.json").write_text('{"title": "x", "type": "object", "properties": {"a": {"type": 5}}}')
    _fails(run("schema", "add", str(tmp_path / "bad2.json")), "invalid JSON Schema")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    _fails(run("schema", "add", str(tmp_path / "bad.yaml")), "is not valid YAML")
    _fails(run("schema", "add", str(tmp_path / "missing.json")), "No such file")
    (tmp_path / "m.py").write_text("X = 1\n")
    _fails(run("schema", "add", f"{tmp_path / 'm.py'}::Article"), 'no Pydantic model "Article"')
    (tmp_path / "boom.py").write_text("raise RuntimeError('boom')\n")
    _fails(run("schema", "add", f"{tmp_path / 'boom.py'}::A"), "boom")
    _fails(run("schema", "add", "--name", "x", "--template", "nope"), 'template "nope" does not exist')
    _fails(run("schema", "add"), "give a schema file")


def test_bad_insert_arguments() -> None:
    _fails(run("insert", "articles", "{oops"), "argument: invalid JSON")
    _fails(run("insert", "articles", "[1, 2]"), "expected a JSON object")
    _fails(run("insert", "articles", "{}"), "non-empty JSON object")
    _fails(run("insert", "articles"), "give either a JSON argument or --batch")


def test_bad_ingest_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    _fails(run("ingest", str(tmp_path / "empty.txt")), "the file is empty")
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\x02binary")
    _fails(run("ingest", str(tmp_path / "bin.dat")), "binary file")
    _fails(run("ingest", str(tmp_path / "nope.md")), "No such file")
    (tmp_path / "ok.txt").write_text("fine.")
    _fails(run("ingest", str(tmp_path / "ok.txt"), "--chunk-size", "10", "--overlap", "10"), "overlap")


def test_bad_options_are_usage_errors() -> None:
    r = run("traverse", "x", "--direction", "sideways")
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = run("query", "select 1", "--format", "xml")
    assert r.exit_code == 2


def test_emit_formats(capsys: pytest.CaptureFixture[str]) -> None:
    cols = ["id", "name", "data", "embedding"]
    u = uuid.UUID(int=1)
    rows = [(u, "a,b", {"k": [1, 2]}, [0.1, 0.2]), (u, None, None, None)]
    oids = [T.UUID, T.TEXT, T.JSONB, T.VECTOR]
    emit(cols, rows, "json", oids)
    assert json.loads(capsys.readouterr().out) == [
        {"id": str(u), "name": "a,b", "data": {"k": [1, 2]}},
        {"id": str(u), "name": None, "data": None},
    ]
    emit(cols, rows, "jsonl", oids)
    assert [json.loads(x)["name"] for x in capsys.readouterr().out.splitlines()] == ["a,b", None]
    emit(cols, rows, "csv", oids)
    parsed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert parsed[0] == ["id", "name", "data"] and parsed[1][1] == "a,b" and parsed[1][2] == '{"k": [1, 2]}'
    emit(cols, rows, "table", oids)
    out = capsys.readouterr().out
    assert "a,b" in out and "(2 rows)" in out


def test_adapt() -> None:
    assert adapt("2025-01-02T03:04:05Z", T.TIMESTAMPTZ).year == 2025
    assert adapt({"a": 1}, T.TEXT) == '{"a": 1}'
    assert adapt({"a": 1}, T.JSONB) == {"a": 1}
    assert adapt(["x", "y"], T.array_of(T.TEXT)) == ["x", "y"]
    assert adapt(3, T.FLOAT8) == 3.0 and adapt(3.0, T.INT8) == 3 and adapt("7", T.INT4) == 7
    assert adapt(str(uuid.UUID(int=5)), T.UUID) == uuid.UUID(int=5)
    assert adapt(True, T.TEXT) == "true" and adapt(None, T.INT4) is None
    with pytest.raises(InvalidTextRepresentation):
        adapt(1.5, T.INT4)


def test_sql_building() -> None:
    assert ident("content") == "content" and ident("Title") == '"Title"' and ident('a"b') == '"a""b"'
    assert table_ident("Articles") == "Articles" and table_ident("my table") == '"my table"'
    assert literal("it's") == "'it''s'"
    sql = upsert_sql("docs", ["id", "title", "order"], 2, returning="id")
    assert sql == (
        'INSERT INTO docs (id, title, "order") VALUES ($1, $2, $3), ($4, $5, $6) '
        'ON CONFLICT (id) DO UPDATE SET title = excluded.title, "order" = excluded."order" RETURNING id'
    )


def test_running_server_detection(tmp_path: Path) -> None:
    assert running_server(tmp_path) is None
    (tmp_path / "server.json").write_text(json.dumps({"host": "127.0.0.1", "port": 5999, "pid": 2 ** 22 + 7}))
    assert running_server(tmp_path) is None  # no such process
    import os

    (tmp_path / "server.json").write_text(json.dumps({"host": "127.0.0.1", "port": 5999, "pid": os.getpid()}))
    assert running_server(tmp_path)["port"] == 5999


def test_plain_insert_sql() -> None:
    assert upsert_sql("docs", ["uri", "content"], 1, upsert=False) == "INSERT INTO docs (uri, content) VALUES ($1, $2)"


def test_docs_cover_every_command_and_schema() -> None:
    from engine import coreschemas

    root = Path(__file__).resolve().parents[2] / "docs"
    cli_doc, schema_doc = (root / "cli.md").read_text(), (root / "schemas.md").read_text()
    for cmd in ("init", "schema add", "schema list", "schema show", "schema templates", "insert", "get", "lookup",
                "query", "search", "traverse", "ingest"):
        assert f"`rem {cmd}" in cli_doc, cmd
    for name in [*coreschemas.CORE_SCHEMAS, *coreschemas.templates()]:
        assert f"`{name}`" in schema_doc, name
    for doc in coreschemas.core_schemas():
        for field in doc["properties"]:
            assert f"`{field}`" in schema_doc, field
