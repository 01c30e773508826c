"""schema/*.json and engine.coreschemas: the files are valid, complete, and normalized as documented."""

from __future__ import annotations

import pytest

from engine import coreschemas as cs
from engine.errors import InvalidParameterValue, UndefinedObject


def test_core_schemas_valid_and_named() -> None:
    docs = cs.core_schemas()
    assert [cs.table_name(d) for d in docs] == list(cs.CORE_SCHEMAS)
    for d in docs:
        assert cs.normalize(d) == d
        for key in ("fully_qualified_name", "short_name", "version", "description"):
            assert d.get(key), (d["short_name"], key)


def test_core_configuration() -> None:
    by = {d["short_name"]: d for d in cs.core_schemas()}
    assert by["messages"]["embedding_fields"] == ["content"]
    assert by["moments"]["embedding_fields"] == ["summary"]
    assert by["moments"]["properties"]["moment_type"]["enum"] == [
        "work_session", "learning", "planning", "communication", "reflection", "creation", "other",
    ]
    assert {"start_time", "end_time"} <= set(by["moments"]["indexed_fields"])
    assert by["resources"]["key_field"] == "uri" and "chunk_ordinal" in by["resources"]["properties"]
    assert by["resources"]["embedding_fields"] == ["content"]
    assert by["entities"]["key_field"] == "name" and by["entities"]["properties"]["properties"]["type"] == "object"
    assert by["agentlets"]["embedding_fields"] == ["description"]
    assert {"tools", "resources"} <= set(by["agentlets"]["properties"])


def test_templates() -> None:
    assert sorted(cs.templates()) == ["agentlets", "entities", "moments", "resources"]
    doc = cs.from_template("resources", "my_docs")
    assert doc["short_name"] == "my_docs" and doc["fully_qualified_name"] == "user.my_docs"
    assert doc["embedding_fields"] == ["content"] and doc["key_field"] == "uri"
    assert cs.templates()["resources"]["short_name"] == "resources"  # the template itself is untouched
    with pytest.raises(UndefinedObject):
        cs.from_template("nope", "x")


def test_nested_json_schema_extra_lifted() -> None:
    doc = {
        "title": "Article",
        "type": "object",
        "properties": {"title": {"type": "string", "json_schema_extra": {"key_field": True}}, "body": {"type": "string"}},
        "json_schema_extra": {"embedding_fields": ["body"], "short_name": "articles"},
    }
    out = cs.normalize(doc)
    assert out["embedding_fields"] == ["body"] and out["short_name"] == "articles"
    assert out["properties"]["title"]["key_field"] is True and "json_schema_extra" not in out


def test_pydantic_model_schema_accepted() -> None:
    from pydantic import BaseModel, ConfigDict, Field

    class Article(BaseModel):
        model_config = ConfigDict(json_schema_extra={"embedding_fields": ["content"], "key_field": "title"})
        title: str = Field(description="Article title")
        content: str

    out = cs.normalize(Article.model_json_schema())
    assert cs.table_name(out) == "article" and out["key_field"] == "title"
    assert cs.table_name({"title": "MyDoc"}) == "my_doc"


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"type": "object"},
        {"type": "array", "properties": {"a": {"type": "string"}}, "title": "x"},
        {"title": "x", "type": "object", "properties": {"a": {"type": "strin"}}},
        {"title": "x", "type": "object", "properties": {"a": {"type": "string"}}, "embedding_fields": ["b"]},
        {"title": "x", "type": "object", "properties": {"a": {"type": "string"}}, "key_field": "zz"},
        {"type": "object", "properties": {"a": {"type": "string"}}},
    ],
)
def test_invalid_schemas(doc: object) -> None:
    with pytest.raises(InvalidParameterValue, match="invalid JSON Schema"):
        cs.normalize(doc)


def test_derived_table_names_are_snake_case() -> None:
    assert cs.table_name({"fully_qualified_name": "x.models.MyNote"}) == "my_note"
    assert cs.table_name({"title": "Article"}) == "article"
    assert cs.table_name({"short_name": "Keep_As_Given", "title": "Other"}) == "Keep_As_Given"
