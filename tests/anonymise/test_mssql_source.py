"""SQL Server as a source, statically (no server runs here): the probe accepts the SQL Server edition's
layout (its own column spelling, e.g. ``LegacyId``), and every statement the anonymiser sends to the
source (the snapshot reader's plain SELECTs, one per table) compiles with SQLAlchemy's mssql
dialect, parses as T-SQL (sqlglot) and names only columns of the SQL Server DDL."""

from __future__ import annotations

import re

import sqlglot

from openimis_db import tables as t
from openimis_db.snapshot import render_statements
from synthetic_data.anonymise.probe import layout_from_columns
from synthetic_data.anonymise.source import source_reads


def mssql_layout(shared) -> dict[str, list[str]]:
    ddl = (shared / "openimis-db/mssql/schema_tables.sql").read_text(encoding="utf-8-sig")
    return {
        m.group(1): re.findall(r"^\s*\[(\w+)\]", m.group(2), re.M)
        for m in re.finditer(r"CREATE TABLE \[dbo\]\.\[(\w+)\]\((.*?)\n\)", ddl, re.S)
    }


def test_every_source_query_is_valid_tsql_on_the_sql_server_edition(shared):
    columns = mssql_layout(shared)
    lower = {tb.lower(): {c.lower() for c in cols} for tb, cols in columns.items()}
    layout = layout_from_columns(columns)
    # SQL Server's own spelling is what gets selected (case-insensitive match)
    assert layout["tblInsureePolicy"].columns["InsureePolicyID"] == "InsureePolicyId"
    assert (
        "RenewalOrder" in layout["tblPolicy"].extra
    )  # SQL Server-only column: reported, not copied
    statements = render_statements(source_reads(layout), "mssql")
    assert len(statements) == len(t.MODELED_TABLES)
    assert "[InsureePolicyId]" in statements[t.MODELED_TABLES.index("tblInsureePolicy")]
    for sql in statements:
        sqlglot.parse_one(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
        used = re.findall(r"\[(tbl\w+)\]\.\[?(\w+)\]?", sql)
        assert used
        for table, col in used:
            assert col.lower() in lower[table.lower()], f"{table}.{col} not in the SQL Server DDL"
        assert " LIMIT " not in sql.upper()
