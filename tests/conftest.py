"""Fixtures live in topic modules (fix_*.py)."""

pytest_plugins = ("tests.fix_pg", "tests.fix_server")
