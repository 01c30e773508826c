"""pgjdbc's DatabaseMetaData against REM and PostgreSQL 15: the same Java program, the same printed answers.

The program (compiled with javac against the Debian ``libpostgresql-jdbc-java`` jar, installed by ``.ci/run``)
lists getTables, getColumns, getPrimaryKeys, getIndexInfo and getTypeInfo for a table created identically on
both servers; only the catalog name (the database: ``rem`` vs ``postgres``) and the planner statistics
(CARDINALITY, PAGES of getIndexInfo) are left out of the output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import psycopg
import pytest

from tests.fix_pg import ReferencePostgres
from tests.fix_server import RemServer

DDL = [
    "DROP TABLE IF EXISTS jdbc_meta_t",
    "CREATE TABLE jdbc_meta_t (id int PRIMARY KEY, name varchar(20) NOT NULL, price numeric(10,2) DEFAULT 0,"
    " note text, seen timestamptz, flag boolean, doc jsonb, uid uuid)",
    "CREATE INDEX jdbc_meta_t_name_idx ON jdbc_meta_t (name)",
]

TYPES = ("int4", "int8", "text", "varchar", "bool", "numeric", "float8", "timestamptz", "uuid", "jsonb", "bytea")

JAVA = r"""
import java.sql.*;
import java.util.*;
public class RemMeta {
  static void dump(String title, ResultSet rs, Set<String> skip) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<String> rows = new ArrayList<>();
    while (rs.next()) {
      StringBuilder b = new StringBuilder();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        String col = md.getColumnLabel(i);
        if (skip.contains(col.toUpperCase())) continue;
        b.append(col).append('=').append(rs.getString(i)).append(' ');
      }
      rows.add(b.toString());
    }
    System.out.println("## " + title + " " + rows.size());
    for (String r : rows) System.out.println(r);
  }
  public static void main(String[] a) throws Exception {
    Set<String> types = new HashSet<>(Arrays.asList(a).subList(1, a.length));
    try (Connection c = DriverManager.getConnection(a[0], "rem", "")) {
      DatabaseMetaData md = c.getMetaData();
      // the database name differs (rem vs postgres); CARDINALITY/PAGES are planner statistics
      Set<String> cat = new HashSet<>(Arrays.asList("TABLE_CAT", "PKTABLE_CAT", "FKTABLE_CAT", "CARDINALITY", "PAGES"));
      dump("tables", md.getTables(null, "public", "jdbc_meta_t", new String[] {"TABLE"}), cat);
      dump("columns", md.getColumns(null, "public", "jdbc_meta_t", "%"), cat);
      dump("primary keys", md.getPrimaryKeys(null, "public", "jdbc_meta_t"), cat);
      dump("indexes", md.getIndexInfo(null, "public", "jdbc_meta_t", false, false), cat);
      ResultSet ti = md.getTypeInfo();
      List<String> rows = new ArrayList<>();
      while (ti.next()) {
        if (!types.contains(ti.getString("TYPE_NAME"))) continue;
        rows.add(ti.getString("TYPE_NAME") + " " + ti.getInt("DATA_TYPE") + " " + ti.getInt("PRECISION") + " "
                 + ti.getShort("NULLABLE") + " " + ti.getBoolean("CASE_SENSITIVE") + " " + ti.getShort("SEARCHABLE")
                 + " " + ti.getBoolean("UNSIGNED_ATTRIBUTE"));
      }
      Collections.sort(rows);
      System.out.println("## types " + rows.size());
      for (String r : rows) System.out.println(r);
      System.out.println("## product " + md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
    }
  }
}
"""


def _jdbc_jar() -> str:
    for p in ("/usr/share/java/postgresql.jar", "/usr/share/java/postgresql-jdbc4.jar"):
        if os.path.exists(p):
            return p
    raise RuntimeError("pgjdbc not installed: apt-get install libpostgresql-jdbc-java (done by .ci/run)")


@pytest.fixture(scope="module")
def program() -> Iterator[tuple[str, str]]:
    jar = _jdbc_jar()
    assert shutil.which("javac"), "javac missing (default-jdk-headless, installed by .ci/run)"
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "RemMeta.java")
        with open(src, "w") as f:
            f.write(JAVA)
        subprocess.run(["javac", "-d", d, src], check=True, capture_output=True, timeout=180)
        yield d, jar


def _run(program: tuple[str, str], dsn: str, host: str, port: int, db: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as c:
        for stmt in DDL:
            c.execute(stmt)
    d, jar = program
    url = f"jdbc:postgresql://{host}:{port}/{db}?sslmode=disable"
    out = subprocess.run(["java", "-cp", f"{d}:{jar}", "RemMeta", url, *TYPES], capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_database_metadata_matches_postgres(program: tuple[str, str], rem_server: RemServer,
                                            pg: ReferencePostgres) -> None:
    try:
        rem = _run(program, rem_server.dsn, rem_server.host, rem_server.port, "rem")
        ref = _run(program, pg.dsn, "127.0.0.1", pg.port, "postgres")
    finally:  # both servers are shared with other test modules that compare whole catalogs
        for dsn in (rem_server.dsn, pg.dsn):
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute(DDL[0])
    assert "## columns 8" in ref and "## types 11" in ref  # the program saw what it should on PostgreSQL
    assert rem.split("\n") == ref.split("\n")
