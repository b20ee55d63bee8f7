"""SQL Server as a source, statically (no server runs here): the probe accepts the SQL Server edition's
layout (its own column spelling, e.g. ``LegacyId``), and every query the anonymiser sends to the
source compiles with SQLAlchemy's mssql dialect, parses as T-SQL (sqlglot) and names only columns of
the SQL Server DDL."""

from __future__ import annotations

import re

import sqlglot
from sqlalchemy.dialects import mssql

from openimis_db import tables as t
from synthetic_data.anonymise.probe import layout_from_columns
from synthetic_data.anonymise.source import avoid_queries, chunk_query, latest_month_queries


def mssql_layout(shared) -> dict[str, list[str]]:
    ddl = (shared / "openimis-db/mssql/schema_tables.sql").read_text(encoding="utf-8-sig")
    return {
        m.group(1): re.findall(r"^\s*\[(\w+)\]", m.group(2), re.M)
        for m in re.finditer(r"CREATE TABLE \[dbo\]\.\[(\w+)\]\((.*?)\n\)", ddl, re.S)
    }


def render(stmt) -> str:
    return str(stmt.compile(dialect=mssql.dialect(), compile_kwargs={"literal_binds": True}))


def test_every_source_query_is_valid_tsql_on_the_sql_server_edition(shared):
    columns = mssql_layout(shared)
    lower = {tb.lower(): {c.lower() for c in cols} for tb, cols in columns.items()}
    layout = layout_from_columns(columns)
    # SQL Server's own spelling is what gets selected (case-insensitive match)
    assert layout["tblInsureePolicy"].columns["InsureePolicyID"] == "InsureePolicyId"
    assert (
        "RenewalOrder" in layout["tblPolicy"].extra
    )  # SQL Server-only column: reported, not copied
    queries = [chunk_query(layout[n], 1000, after) for n in t.MODELED_TABLES for after in (None, 7)]
    queries[2 * t.MODELED_TABLES.index("tblGender") + 1] = chunk_query(layout["tblGender"], 10, "F")
    queries += [q for _, q in avoid_queries(layout)] + latest_month_queries(layout)
    for q in queries:
        sql = render(q)
        sqlglot.parse_one(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
        used = re.findall(r"\[(tbl\w+)\]\.\[?(\w+)\]?", sql)
        assert used
        for table, col in used:
            assert col.lower() in lower[table.lower()], f"{table}.{col} not in the SQL Server DDL"
        assert " LIMIT " not in sql.upper()
