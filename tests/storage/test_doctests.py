"""The storage modules' doctests (examples in docstrings stay true)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("mod", ["engine.storage.keys", "engine.storage.codec", "engine.ids",
                                 "engine.schema.typemap", "engine.schema.validate"])
def test_doctests(mod: str) -> None:
    res = doctest.testmod(importlib.import_module(mod))
    assert res.failed == 0
