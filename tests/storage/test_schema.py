"""Schema registry: JSON Schema registration (REM extras nested or top level, Pydantic), system columns,
type mapping, versions, ALTER rewrites, DROP, sequences; validation errors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pydantic import BaseModel, ConfigDict, Field

from engine import errors as E
from engine import types as T
from engine.schema import typemap
from engine.schema.model import ColumnDef, TableDef
from engine.storage import RemStore, open_store


class Article(BaseModel):
    """Article resource for semantic search."""

    title: str = Field(description="Article title", json_schema_extra={"key_field": True})
    content: str
    category: str = Field(json_schema_extra={"indexed": True})
    rating: int | None = Field(default=None, ge=0, le=5)
    lang: str = Field(default="en", pattern="^[a-z]{2}$")
    published: dt.datetime | None = None

    model_config = ConfigDict(json_schema_extra={"embedding_fields": ["content"], "short_name": "articles"})


def test_pydantic_model_json_schema(store: RemStore) -> None:
    t = store.registry.register_json_schema(Article.model_json_schema())
    assert t.name == "articles" and t.key_field == "title" and t.embedding_fields == ["content"]
    assert [c.name for c in t.visible_columns] == ["id", "title", "content", "category", "rating", "lang", "published"]
    assert {c.name for c in t.columns if c.hidden} == {"entity_type", "created_at", "modified_at", "deleted_at",
                                                       "edges", "embedding"}
    assert t.column("embedding").type_oid == T.VECTOR and t.column("embedding").typmod == 384  # type: ignore[union-attr]
    assert t.column("published").type_oid == T.TIMESTAMPTZ and not t.column("published").not_null  # type: ignore[union-attr]
    assert t.column("title").not_null and t.column("rating").type_oid == T.INT8  # type: ignore[union-attr]
    assert any(ix.columns == ["category"] for ix in t.indexes)


def test_validation_errors_name_path_and_rule(store: RemStore) -> None:
    t = store.registry.register_json_schema(Article.model_json_schema())
    tx = store.begin()
    with pytest.raises(E.CheckViolation) as e:
        tx.insert(t, [{"title": "a", "content": "c", "category": "x", "rating": 9}])
    assert e.value.sqlstate == "23514" and '"maximum"' in e.value.message and '"rating"' in e.value.message
    with pytest.raises(E.CheckViolation, match='"pattern" at "lang"'):
        tx.insert(t, [{"title": "a", "content": "c", "category": "x", "lang": "english"}])
    with pytest.raises(E.NotNullViolation) as e2:
        tx.insert(t, [{"title": "a", "category": "x"}])
    assert e2.value.sqlstate == "23502"
    assert e2.value.message == 'null value in column "content" of relation "articles" violates not-null constraint'
    [r] = tx.insert(t, [{"title": "a", "content": "c", "category": "x", "published": "2024-01-02T03:04:05Z"}])
    assert r["published"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert r["embedding"] is None  # no embedder registered


def test_nested_object_schema_validated(store: RemStore) -> None:
    t = store.registry.register_json_schema({
        "title": "Profile", "type": "object", "required": ["meta"],
        "properties": {"meta": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
                                "required": ["tags"]}},
    })
    assert t.name == "profile" and t.column("meta").type_oid == T.JSONB  # type: ignore[union-attr]
    tx = store.begin()
    tx.insert(t, [{"meta": {"tags": ["a"]}}])
    with pytest.raises(E.CheckViolation, match=r'"type" at "meta\.tags\.1"'):
        tx.insert(t, [{"meta": {"tags": ["a", 2]}}])


def test_top_level_and_nested_extras(store: RemStore) -> None:
    top = store.registry.register_json_schema({
        "title": "A", "properties": {"name": {"type": "string"}, "cat": {"type": "string"}},
        "indexed_fields": ["cat"], "key_field": "name", "fully_qualified_name": "x.things_a"})
    assert top.name == "things_a" and top.key_field == "name" and top.indexed_fields == ["cat"]
    nested = store.registry.register_json_schema({
        "title": "B", "properties": {"name": {"type": "string"}, "cat": {"type": "string"}},
        "json_schema_extra": {"name": "things_b", "indexed_fields": "cat", "embedding_fields": ["name"]}})
    assert nested.name == "things_b" and nested.indexed_fields == ["cat"] and nested.embedding_fields == ["name"]


def test_reregister_creates_new_version_same_oid(store: RemStore) -> None:
    s = {"title": "Note", "properties": {"name": {"type": "string"}}}
    a = store.registry.register_json_schema(s)
    tx = store.begin()
    tx.insert(a, [{"name": "n1"}])
    tx.commit()
    b = store.registry.register_json_schema({**s, "properties": {"name": {"type": "string"},
                                                                 "body": {"type": "string"}}})
    assert b.oid == a.oid and b.version == 2 and [v.version for v in store.registry.versions(a.oid)] == [1, 2]
    assert [r.get("body", "missing") for r in store.begin().scan(b)] == [None]


def test_typemap_round_trip() -> None:
    for oid in (T.BOOL, T.INT2, T.INT4, T.INT8, T.FLOAT4, T.FLOAT8, T.NUMERIC, T.TEXT, T.UUID, T.DATE, T.TIME,
                T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL, T.BYTEA, T.JSON, T.JSONB, T.array_of(T.INT4),
                T.array_of(T.TEXT)):
        assert typemap.pg_type_of(typemap.json_schema_of(oid)) == (oid, -1), oid
    assert typemap.pg_type_of(typemap.json_schema_of(T.VECTOR, 3)) == (T.VECTOR, 3)
    assert typemap.pg_type_of(typemap.json_schema_of(T.VARCHAR, 14)) == (T.VARCHAR, 14)
    assert typemap.pg_type_of({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == (T.INT8, -1)


def test_user_declared_system_names_get_underscored(store: RemStore) -> None:
    t = store.registry.create(TableDef(name="t", columns=[ColumnDef("id", T.INT4), ColumnDef("created_at", T.DATE)]))
    assert t.id_column == "_id" and t.system_column("created_at") == "_created_at"
    assert [c.name for c in t.visible_columns] == ["id", "created_at"]
    tx = store.begin()
    [r] = tx.insert(t, [{"id": 1, "created_at": dt.date(2020, 1, 1)}])
    assert isinstance(r["_id"], uuid.UUID) and r["created_at"] == dt.date(2020, 1, 1)
    assert isinstance(r["_created_at"], dt.datetime)


def test_alter_rename_drop_add_and_index_backfill(store: RemStore) -> None:
    t = store.registry.create(TableDef(name="p", columns=[ColumnDef("a", T.INT4), ColumnDef("b", T.TEXT),
                                                         ColumnDef("c", T.TEXT)]))
    tx = store.begin()
    tx.insert(t, [{"a": i, "b": f"b{i}", "c": "c"} for i in range(10)])
    tx.commit()
    import copy
    t2 = copy.deepcopy(t)
    t2.columns = [c for c in t2.columns if c.name != "c"]
    t2.column("b").name = "bb"  # type: ignore[union-attr]
    t2.column("a").indexed = True  # type: ignore[union-attr]
    t2.columns.append(ColumnDef("d", T.INT4, attnum=5))
    t3 = store.registry.alter(t2, defaults={"d": 7})
    tx = store.begin()
    rows = list(tx.scan(t3))
    assert {frozenset(k for k in r if not k.startswith(("id", "entity", "created", "modified", "deleted", "edges")))
            for r in rows} == {frozenset({"a", "bb", "d"})}
    assert all(r["d"] == 7 and r["bb"] == f"b{r['a']}" for r in rows)
    assert len(tx.range(t3, "a", 3, 5)) == 3


def test_drop_table_removes_rows_and_entries(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    tx.insert(users, [{"id": i, "name": "n", "age": i} for i in range(20)])
    tx.commit()
    assert store.registry.drop("users")
    assert store.registry.get("users") is None
    for cf in ("entities", "indexes", "key_index"):
        assert list(store.rocks.cf[cf].keys()) == [], cf
    assert not store.registry.drop("users", if_exists=True)
    with pytest.raises(E.UndefinedTable):
        store.registry.drop("users")


def test_sequences_survive_reopen(settings) -> None:  # type: ignore[no-untyped-def]
    st = open_store(settings)
    try:
        st.registry.create(TableDef(name="s", columns=[ColumnDef("id", T.INT4, default="nextval('s_id_seq'::regclass)")],
                                    primary_key=["id"]))
        assert [st.registry.nextval("s_id_seq") for _ in range(3)] == [1, 2, 3]
    finally:
        st.close()
    st = open_store(settings)
    try:
        assert st.registry.nextval("s_id_seq") == 4 and "s_id_seq" in st.registry.sequences()
    finally:
        st.close()


def test_type_errors_are_pg_errors(store: RemStore, users: TableDef) -> None:
    tx = store.begin()
    with pytest.raises(E.InvalidTextRepresentation, match='invalid input syntax for type integer: "abc"'):
        tx.insert(users, [{"id": "abc", "name": "x"}])
    with pytest.raises(E.NumericValueOutOfRange, match="integer out of range"):
        tx.insert(users, [{"id": 1 << 40, "name": "x"}])


@pytest.mark.parametrize(("prop", "value"), [
    ({"type": "string", "enum": ["a", "b"]}, "c"), ({"type": "integer", "maximum": 5}, 9),
    ({"type": "integer", "minimum": 0}, -1), ({"type": "number", "exclusiveMaximum": 1.5}, 1.5),
    ({"type": "string", "minLength": 3}, "ab"), ({"type": "string", "maxLength": 2}, "abc"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "A1"), ({"type": "integer", "const": 3}, 4),
    ({"type": "integer", "multipleOf": 3}, 4),
])
def test_fast_checks_give_jsonschema_messages(store: RemStore, prop: dict, value: object) -> None:
    import jsonschema
    t = store.registry.register_json_schema({"title": "fc", "properties": {"f": prop}})
    expected = next(iter(jsonschema.Draft202012Validator(prop).iter_errors(value)))
    with pytest.raises(E.CheckViolation) as e:
        store.begin().insert(t, [{"f": value}])
    assert e.value.message.endswith(f'rule "{expected.validator}" at "f": {expected.message}')
    store.registry.drop("fc")


def test_drop_then_add_column_keeps_data_in_place(store: RemStore) -> None:
    import copy
    t = store.registry.create(TableDef(name="q", columns=[ColumnDef("a", T.INT4), ColumnDef("b", T.INT4),
                                                         ColumnDef("c", T.INT4)]))
    tx = store.begin()
    tx.insert(t, [{"a": 1, "b": 2, "c": 3}])
    tx.commit()
    t2 = copy.deepcopy(t)
    t2.columns = [c for c in t2.columns if c.name != "b"]
    t2 = store.registry.alter(t2)
    t3 = copy.deepcopy(t2)
    t3.columns.append(ColumnDef("d", T.INT4))
    t3 = store.registry.alter(t3, defaults={"d": 4})
    assert [(c.name, c.attnum) for c in t3.visible_columns] == [("id", 1), ("a", 2), ("c", 4), ("d", 5)]
    [r] = list(store.begin().scan(t3))
    assert (r["a"], r["c"], r["d"], "b" in r) == (1, 3, 4, False)


def test_rename_table_rederives_ids_so_keys_stay_unique(store: RemStore, users: TableDef) -> None:
    import copy
    tx = store.begin()
    tx.insert(users, [{"id": 1, "name": "a", "age": 3}])
    tx.commit()
    t2 = copy.deepcopy(users)
    t2.name = "people"
    t2 = store.registry.alter(t2)
    assert store.registry.get("users") is None and store.registry.get("people") is t2
    tx = store.begin()
    [r] = list(tx.scan(t2))
    assert r["entity_type"] == "people" and len(tx.lookup(t2, "age", [3])) == 1
    with pytest.raises(E.UniqueViolation):
        tx.insert(t2, [{"id": 1, "name": "dup"}])
    from engine.storage.check import verify
    assert verify(store) == []


def test_adding_a_primary_key_over_duplicates_fails_and_keeps_the_table(store: RemStore) -> None:
    import copy
    t = store.registry.create(TableDef(name="dups", columns=[ColumnDef("k", T.INT4)]))
    tx = store.begin()
    tx.insert(t, [{"k": 1}, {"k": 1}])
    tx.commit()
    t2 = copy.deepcopy(t)
    t2.primary_key = ["k"]
    with pytest.raises(E.UniqueViolation):
        store.registry.alter(t2)
    assert store.registry.get("dups").primary_key == [] and store.begin().count(t) == 2  # type: ignore[union-attr]


def test_reregister_without_a_field_drops_it_and_keeps_others(store: RemStore) -> None:
    props = {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}
    t = store.registry.register_json_schema({"title": "rr", "properties": props})
    tx = store.begin()
    tx.insert(t, [{"a": "A", "b": "B", "c": "C"}])
    tx.commit()
    t2 = store.registry.register_json_schema({"title": "rr", "properties": {"a": props["a"], "c": props["c"],
                                                                          "d": {"type": "integer"}}})
    [r] = list(store.begin().scan(t2))
    assert (r["a"], r["c"], r["d"], "b" in r) == ("A", "C", None, False)


def test_sequence_after_crash_skips_never_reuses(settings) -> None:  # type: ignore[no-untyped-def]
    st = open_store(settings)
    try:
        vals = [st.registry.nextval("q_seq") for _ in range(40)]
        assert vals == list(range(1, 41))
        st.registry.flush_sequences = lambda: None  # type: ignore[method-assign]  # as if killed: no clean flush
    finally:
        st.close()
    st = open_store(settings)
    try:
        v = st.registry.nextval("q_seq")
        assert 41 <= v <= 41 + 32 and st.registry.currval("q_seq") == v
        st.registry.setval("q_seq", 100)
        assert st.registry.nextval("q_seq") == 101
    finally:
        st.close()


def test_given_one_based_attnums_follow_the_visible_id(store: RemStore) -> None:
    t = store.registry.create(TableDef(name="o", columns=[ColumnDef("a", T.INT4, attnum=1),
                                                         ColumnDef("b", T.INT4, attnum=2)]))
    assert [(c.name, c.attnum) for c in t.visible_columns] == [("id", 1), ("a", 2), ("b", 3)]
