"""``rem schema add | list | show | templates``: JSON Schemas in, tables out (``SELECT rem_register_schema``)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from engine import coreschemas
from engine.errors import InvalidParameterValue, UndefinedFile, UndefinedTable
from remwire.cli_commands.common import CliError, DsnOpt, FormatOpt, PathOpt, cli_errors, database
from remwire.cli_commands.output import emit, emit_document, message

app = typer.Typer(help="Register and inspect schemas (tables defined by JSON Schema).", no_args_is_help=True)


def load_schema_source(source: str) -> dict[str, Any]:
    """A JSON Schema from ``FILE.json``, ``FILE.yaml`` or ``models.py::Model`` (Pydantic), normalized."""
    if "::" in source:
        file, _, model = source.rpartition("::")
        doc = _pydantic_schema(Path(file), model)
    else:
        p = Path(source)
        try:
            text = p.read_text()
        except FileNotFoundError:
            raise UndefinedFile(f'could not open file "{source}": No such file or directory') from None
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidParameterValue(f'could not read "{source}": {e}') from None
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            try:
                doc = yaml.safe_load(text)
            except yaml.YAMLError as e:
                raise InvalidParameterValue(f'"{source}" is not valid YAML: {str(e).splitlines()[0]}') from None
        else:
            try:
                doc = json.loads(text)
            except ValueError as e:
                raise InvalidParameterValue(f'"{source}" is not valid JSON: {e}') from None
    doc = coreschemas.normalize(doc)
    doc["short_name"] = coreschemas.table_name(doc)
    return doc


def _pydantic_schema(file: Path, model: str) -> dict[str, Any]:
    if not file.is_file():
        raise UndefinedFile(f'could not open file "{file}": No such file or directory')
    spec = importlib.util.spec_from_file_location(f"_rem_models_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise InvalidParameterValue(f'"{file}" is not a Python module')
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - user code: report, never a traceback
        raise InvalidParameterValue(f'could not import "{file}": {type(e).__name__}: {e}') from None
    finally:
        sys.path.pop(0)
    cls = getattr(module, model, None)
    if cls is None or not hasattr(cls, "model_json_schema"):
        raise InvalidParameterValue(f'"{file}" has no Pydantic model "{model}"')
    return cls.model_json_schema()


@app.command("add")
@cli_errors
def add(
    source: Annotated[str | None, typer.Argument(metavar="[FILE.json|FILE.yaml|models.py::Model]",
                                                 help="Schema to register.", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", help="New schema name (with --template).",
                                             show_default=False)] = None,
    template: Annotated[str | None, typer.Option("--template", help="Clone this template (rem schema templates).",
                                                 show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the schema here (.json/.yaml) "
                                                "instead of registering it.", show_default=False)] = None,
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Register a schema from a file, or create one from a template.

    Examples: rem schema add article.json; rem schema add models.py::Article;
    rem schema add --name my_docs --template resources [--output my_docs.yaml]
    """
    if (source is None) == (template is None):
        raise CliError("give a schema file, or --name and --template")
    if template is not None:
        if not name:
            raise CliError("--template needs --name")
        doc = coreschemas.from_template(template, name)
    else:
        doc = load_schema_source(source or "")
    if output is not None:
        if output.suffix.lower() in (".yaml", ".yml"):
            import yaml

            output.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        else:
            output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        message(f"wrote {output} (not registered; edit it, then `rem schema add {output}`)")
        return
    with database(path, dsn) as db:
        r = db.run("SELECT rem_register_schema($1) AS name", [json.dumps(doc)])
        emit(["table", "fully_qualified_name"], [(r.rows[0][0], doc.get("fully_qualified_name"))], fmt)


@app.command("list")
@cli_errors
def list_(path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None) -> None:
    """List registered schemas (tables).

    Example: rem schema list
    """
    with database(path, dsn) as db:
        r = db.run("SELECT name, version, key_field, embedding_fields, indexed_fields, description "
                   "FROM rem_schemas ORDER BY name")
        emit(r.columns, r.rows, fmt, r.type_oids)


@app.command("show")
@cli_errors
def show(
    name: Annotated[str, typer.Argument(help="Table name.")],
    path: PathOpt = None, dsn: DsnOpt = None,
    fmt: Annotated[Literal["json", "yaml"], typer.Option("--format", "-f", help="Document format.")] = "json",
) -> None:
    """Print a schema's JSON Schema (re-registrable with `rem schema add`).

    Example: rem schema show articles > articles.json
    """
    with database(path, dsn) as db:
        r = db.run("SELECT json_schema FROM rem_schemas WHERE name = $1", [name])
    if not r.rows:
        raise UndefinedTable(f'relation "{name}" does not exist')
    emit_document(r.rows[0][0], fmt)


@app.command("templates")
@cli_errors
def templates_(fmt: FormatOpt = None) -> None:
    """List the built-in templates for `rem schema add --template`.

    Example: rem schema templates
    """
    rows = [
        (n, d.get("description"), d.get("key_field"), d.get("embedding_fields", []), d.get("indexed_fields", []))
        for n, d in coreschemas.templates().items()
    ]
    emit(["template", "description", "key_field", "embedding_fields", "indexed_fields"], rows, fmt)


def register(root: typer.Typer) -> None:
    """Add ``rem schema …`` to ``root``."""
    root.add_typer(app, name="schema")
