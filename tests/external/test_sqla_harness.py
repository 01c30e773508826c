"""The SQLAlchemy-suite harness itself: JUnit parsing, id normalisation, list comparison and regeneration."""

from __future__ import annotations

from pathlib import Path

from tests.external.sqla_suite import (
    EXPECTED,
    MANUAL,
    Outcomes,
    compare,
    load_expected,
    normalise_id,
    parse_junit,
    write_expected,
)

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="5">
<testcase classname="test.dialect.test_suite.CTETest_postgresql+psycopg_15_0" name="test_a" time="0.1"/>
<testcase classname="test.dialect.test_suite.CTETest_postgresql+psycopg_15_0" name="test_b[x-1]" time="0.1">
  <failure message="AssertionError: 1 != 2">tb</failure></testcase>
<testcase classname="test.dialect.test_suite.JoinTest_postgresql+psycopg2_15_0" name="test_c" time="0.1">
  <error message="failed on setup with &quot;CREATE SEQUENCE is not supported&quot;">tb</error></testcase>
<testcase classname="test.dialect.test_suite.JoinTest_postgresql+psycopg2_15_0" name="test_d" time="0.1">
  <skipped message="no"/></testcase>
<testcase classname="test.dialect.test_suite.JoinTest_postgresql+psycopg2_15_0" name="test_e" time="0.1"/>
<testcase classname="test.dialect.test_suite.JoinTest_postgresql+psycopg2_15_0" name="test_e" time="0.1">
  <error message="failed on teardown with &quot;boom&quot;">tb</error></testcase>
</testsuite></testsuites>
"""


def test_normalise_id_drops_backend_suffix() -> None:
    assert normalise_id("test.dialect.test_suite.CTETest_postgresql+psycopg_15_0", "t[1]") == "CTETest::t[1]"
    assert normalise_id("x.ReturningTest_postgresql+psycopg2_15_0", "t") == "ReturningTest::t"


def test_parse_junit_and_compare(tmp_path: Path) -> None:
    path = tmp_path / "j.xml"
    path.write_text(JUNIT)
    out = parse_junit(path)
    assert out.status == {"CTETest::test_a": "passed", "CTETest::test_b[x-1]": "failed",
                          "JoinTest::test_c": "error", "JoinTest::test_d": "skipped", "JoinTest::test_e": "error"}
    assert out.summary() == "5 tests: 1 passed, 1 failed, 2 errors, 1 skipped"
    new, fixed, stale = compare(out, {"CTETest::test_b[x-1]", "CTETest::test_a", "Gone::test"})
    assert new == ["JoinTest::test_c", "JoinTest::test_e"]
    assert fixed == ["CTETest::test_a"] and stale == ["Gone::test"]


def test_write_expected_groups_and_keeps_manual_section(tmp_path: Path) -> None:
    path = tmp_path / "expected.txt"
    path.write_text(f"# old\nOld::t\n\n{MANUAL}\n# by hand\nArrayTest::x\n")
    out = Outcomes(status={"A::t": "failed", "B::t": "error", "ArrayTest::x": "failed", "C::t": "passed"},
                   message={"A::t": "AssertionError: 1 != 2", "B::t": "expression indexes are not supported"})
    write_expected(out, path, header="head")
    text = path.read_text()
    assert load_expected(path) == {"A::t", "B::t", "ArrayTest::x"}
    assert text.startswith("# head\n") and "Old::t" not in text and text.count("ArrayTest::x") == 1
    assert text.index("# expression indexes") < text.index("B::t") < text.index(MANUAL) < text.index("ArrayTest::x")


def test_checked_in_list_is_well_formed() -> None:
    ids = load_expected(EXPECTED)
    assert len(ids) > 20
    assert all("::" in t and "_postgresql+" not in t for t in ids)
