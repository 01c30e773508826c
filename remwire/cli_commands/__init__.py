"""The ``rem`` admin commands beyond ``serve``: init, schema, insert, get, lookup, query, search, traverse, ingest.

``remwire.cli`` calls :func:`register` on its typer app. Every command is SQL (or a REM dialect statement)
through :mod:`remwire.cli_commands.client`, against a running server or the data dir opened in-process.
"""

from __future__ import annotations

import typer

EXAMPLES = """Examples:

  rem init --path ./data

  rem schema add article.json | models.py::Article | --name my_docs --template resources

  cat articles.jsonl | rem insert articles --batch

  rem ingest ./docs --schema resources --chunk-size 1000 --overlap 200

  rem search "fast programming languages" --schema articles --top-k 5

  rem query "SELECT name FROM resources WHERE content_type = 'text/markdown'"

  rem lookup "Python Guide";  rem get <uuid>;  rem traverse Alice --depth 2 --direction both
"""


def register(app: typer.Typer) -> None:
    """Add every admin command to ``app`` (and the examples to its help, unless it has an epilog)."""
    from remwire.cli_commands import data, ingest, schema

    if not app.info.epilog:
        app.info.epilog = EXAMPLES

    data.register(app)
    schema.register(app)
    ingest.register(app)


def make_app() -> typer.Typer:
    """A stand-alone app with just these commands (``python -m remwire.cli_commands``)."""
    app = typer.Typer(help="REM admin commands.", no_args_is_help=True, add_completion=False)
    register(app)
    return app
