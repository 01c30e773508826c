"""The catalog modules' doctests (examples in docstrings stay true)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["engine.catalog.names", "engine.catalog.oids", "engine.catalog.regvalue", "engine.catalog.exprs"]


@pytest.mark.parametrize("mod", MODULES)
def test_doctests(mod: str) -> None:
    result = doctest.testmod(importlib.import_module(mod))
    assert result.attempted > 0 and result.failed == 0
