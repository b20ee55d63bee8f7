"""SQL Server: every catalogue query compiles with SQLAlchemy's mssql dialect, the rendered T-SQL
(literal binds) parses with sqlglot's tsql dialect, and every column it names exists in the SQL
Server edition's DDL (case-insensitively). No SQL Server runs here; this is the static check."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlglot
from sqlalchemy.dialects import mssql
from sqlalchemy.sql import Select, visitors
from sqlalchemy.sql.elements import BindParameter

from adx.periods import month_range, quarterly, yearly
from aggregations import CatalogueConfig
from aggregations.facts import FACT_QUERIES, fact_query
from aggregations.reconcile import totals

MONTHS = month_range("202312", "202403")


def mssql_columns(shared) -> dict[str, set[str]]:
    ddl = (shared / "openimis-db/mssql/schema_tables.sql").read_text(encoding="utf-8-sig")
    out: dict[str, set[str]] = {}
    for m in re.finditer(r"CREATE TABLE \[dbo\]\.\[(\w+)\]\((.*?)\n\)", ddl, re.S):
        out[m.group(1).lower()] = {
            c.lower() for c in re.findall(r"^\s*\[(\w+)\]", m.group(2), re.M)
        }
    return out


def render(stmt) -> str:
    return str(stmt.compile(dialect=mssql.dialect(), compile_kwargs={"literal_binds": True}))


def check(sql: str, columns: dict[str, set[str]]) -> None:
    sqlglot.parse_one(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    used = set(re.findall(r"\[(tbl\w+)\]\.\[(\w+)\]", sql))
    assert used, "no table column found in the rendered SQL"
    for table, col in used:
        assert table.lower() in columns, f"table {table} is not in the SQL Server DDL"
        assert col.lower() in columns[table.lower()], (
            f"column {table}.{col} is not in the SQL Server DDL"
        )
    # Portable-SQL rules of SCHEMA.md §4: none of PG's or SQLite's spellings leaked in.
    for bad in ("::", " LIMIT ", "julianday", "STRFTIME", " ILIKE ", "= true", "= false"):
        assert bad.lower() not in sql.lower(), f"{bad!r} in T-SQL: {sql[:200]}"


CONFIGS = [
    CatalogueConfig(claim_date=rule)
    for rule in ("coalesce", "date_from", "date_claimed", "date_processed")
]


@pytest.mark.parametrize("fact", sorted(FACT_QUERIES))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.claim_date)
def test_fact_queries_compile_and_parse_as_tsql(shared, fact, config):
    periods = [yearly(2024)] if fact == "population" else MONTHS
    check(render(fact_query(fact, periods, config)), mssql_columns(shared))


def test_single_and_quarterly_periods_parse(shared):
    cols = mssql_columns(shared)
    for periods in (month_range("202402", "202402"), [quarterly(2024, 1)]):
        for fact in ("insurees", "policies", "contributions", "claims"):
            check(render(fact_query(fact, periods, CatalogueConfig())), cols)


class _RecordingEngine:
    """Stands in for an engine: renders every statement as T-SQL instead of running it."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    @contextmanager
    def connect(self):
        yield self

    def execute(self, stmt):
        self.sql.append(render(stmt))

        class _Empty:
            def all(self):
                return []

        return _Empty()


@pytest.mark.parametrize("dataset", ["OI_ENROLMENT", "OI_CLAIMS", "OI_POPULATION"])
def test_reconciliation_queries_compile_and_parse_as_tsql(shared, dataset):
    engine = _RecordingEngine()
    periods = [yearly(2024)] if dataset == "OI_POPULATION" else MONTHS
    totals(engine, dataset, periods, CatalogueConfig())
    assert engine.sql
    cols = mssql_columns(shared)
    for sql in engine.sql:
        check(sql, cols)


def test_column_check_can_fail(shared):
    """The DDL check is not vacuous: a misspelt column is caught."""
    with pytest.raises(AssertionError, match="not in the SQL Server DDL"):
        check("SELECT [tblClaim].[ClaimIdentifier] FROM [tblClaim]", mssql_columns(shared))


@pytest.mark.parametrize("fact", sorted(FACT_QUERIES))
def test_no_bound_parameter_in_group_by(fact):
    """SQL Server (pyodbc sends real parameters) rejects SELECT CASE ... ? ... GROUP BY CASE ... ?
    because two parameters never compare equal: grouped expressions must be parameter-free."""
    periods = [yearly(2024)] if fact == "population" else MONTHS
    stmt = fact_query(fact, periods, CatalogueConfig())
    grouped = 0
    for node in visitors.iterate(stmt):
        if isinstance(node, Select):
            for expr in node._group_by_clauses:
                grouped += 1
                binds = [b for b in visitors.iterate(expr) if isinstance(b, BindParameter)]
                assert not binds, f"{fact}: GROUP BY {expr} has parameters {[b.key for b in binds]}"
    assert grouped
