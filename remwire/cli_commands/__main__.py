"""``python -m remwire.cli_commands …``: the admin commands without the server's CLI module."""

from __future__ import annotations

from remwire.cli_commands import make_app

make_app()(prog_name="rem")
