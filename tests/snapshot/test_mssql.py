"""SQL Server (no server runs here): the statements the snapshot reader sends are plain column
SELECTs, rendered with SQLAlchemy's mssql dialect, parsed as T-SQL by sqlglot, and every column they
name exists in the SQL Server edition's DDL with a type that lands in the column's Arrow type."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from openimis_db import tables as t
from openimis_db.ddl import parse_mssql
from openimis_db.snapshot import DateWindow, TableRead, arrow_type, render_statements
from openimis_db.snapshot.mssql import SNAPSHOT_STATE_SQL

from .helpers import READS

WINDOW = DateWindow(date(2024, 1, 1), date(2025, 1, 1))

# SQL Server types (as the DDL spells them) that read into each Arrow type family without loss
COMPATIBLE = {
    "int": {"int", "smallint", "tinyint", "bigint"},
    "bool": {"bit"},
    "date": {"date", "datetime", "smalldatetime", "datetime2"},
    "timestamp": {"datetime", "smalldatetime", "datetime2", "datetimeoffset"},
    # tblLocations.RowId is text in PostgreSQL, a rowversion (``timestamp``) in SQL Server: hex text
    "string": {
        "nvarchar",
        "varchar",
        "nchar",
        "char",
        "ntext",
        "text",
        "uniqueidentifier",
        "timestamp",
    },
    "binary": {"varbinary", "binary", "timestamp", "rowversion", "image"},
}

# Only these expressions may appear: columns, literals, comparisons, AND/OR, IS NULL, IN (subquery).
ALLOWED = (
    exp.Select,
    exp.From,
    exp.Where,
    exp.Table,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.And,
    exp.Or,
    exp.Paren,
    exp.GTE,
    exp.LT,
    exp.Is,
    exp.In,
    exp.Subquery,
    exp.TableAlias,
)


@pytest.fixture(scope="module")
def ddl(shared):
    text = (shared / "openimis-db/mssql/schema_tables.sql").read_text(encoding="utf-8-sig")
    return {name.lower(): td for name, td in parse_mssql(text).items()}


def _family(typ: pa.DataType) -> str:
    for name, test in (
        ("int", pa.types.is_integer),
        ("bool", pa.types.is_boolean),
        ("date", pa.types.is_date32),
        ("timestamp", pa.types.is_timestamp),
        ("decimal", pa.types.is_decimal),
        ("binary", pa.types.is_binary),
        ("string", pa.types.is_string),
        ("float", pa.types.is_floating),
    ):
        if test(typ):
            return name
    raise AssertionError(typ)


def full_reads() -> list[TableRead]:
    """Every modeled column of every modeled table, with the window and claim-line restrictions."""
    out = []
    for name in t.MODELED_TABLES:
        cols = tuple(c.name for c in t.metadata.tables[name].c)
        if name == "tblClaim":
            out.append(
                TableRead(
                    name,
                    cols,
                    any_date_in=("DateFrom", "DateTo", "DateClaimed", "DateProcessed"),
                    window=WINDOW,
                )
            )
        elif name in ("tblClaimItems", "tblClaimServices"):
            out.append(TableRead(name, cols, through_claim=True, window=WINDOW))
        else:
            out.append(TableRead(name, cols, current_only="ValidityTo" in cols))
    return out


def check_statement(sql: str, read: TableRead, ddl) -> None:
    tree = sqlglot.parse_one(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    for node in tree.walk():
        assert isinstance(node, ALLOWED), (
            f"{type(node).__name__} in the T-SQL of {read.table}: {sql}"
        )
    for column in tree.find_all(exp.Column):
        table = column.table or read.table
        assert table.lower() in ddl, f"table {table} is not in the SQL Server DDL"
        assert column.name.lower() in {c.lower() for c in ddl[table.lower()].columns}, (
            f"column {table}.{column.name} is not in the SQL Server DDL"
        )


@pytest.mark.parametrize("reads", [READS, full_reads()], ids=["catalogue-like", "every-column"])
def test_statements_parse_as_tsql_and_name_only_ddl_columns(reads, ddl):
    statements = render_statements(reads, "mssql")
    assert len(statements) == len(reads)
    for read, sql in zip(reads, statements, strict=True):
        check_statement(sql, read, ddl)
        assert "'20240101'" in sql or not (
            read.any_date_in or read.through_claim
        )  # DATEFORMAT-proof


def test_every_read_column_lands_in_its_arrow_type(ddl):
    for read in full_reads():
        columns = {c.lower(): c for c in ddl[read.table.lower()].columns}
        for name in read.columns:
            col = ddl[read.table.lower()].columns[columns[name.lower()]]
            family = _family(arrow_type(read.table, name))
            if family == "decimal":
                typ = arrow_type(read.table, name)
                assert col.type in ("decimal", "numeric", "money"), (read.table, name, col.type)
                scale = 4 if col.type == "money" else col.precision[1]
                assert scale <= typ.scale, (
                    f"{read.table}.{name}: {col.type} scale {scale} > {typ.scale}"
                )
            else:
                assert col.type.lower() in COMPATIBLE[family], (read.table, name, col.type, family)


def test_source_spelling_is_used_on_sql_server(ddl):
    read = TableRead(
        "tblLocations", ("LocationId", "LegacyID"), source_columns=("LocationId", "LegacyId")
    )
    (sql,) = render_statements([read], "mssql")
    assert "[LegacyId]" in sql and "[LegacyID]" not in sql
    check_statement(sql, read, ddl)


def test_the_isolation_probe_parses_as_tsql():
    sqlglot.parse_one(SNAPSHOT_STATE_SQL, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
