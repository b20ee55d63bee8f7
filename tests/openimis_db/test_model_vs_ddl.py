"""openimis_db.tables against the two real openIMIS DDLs, table by table and column by column.

The PostgreSQL comparison is exact (spelling, type, length, precision, NOT NULL, PK, UNIQUE, FKs incl.
deferrability). The SQL Server comparison is case-insensitive on names (SCHEMA.md §4) and uses the
explicit compatibility table below; known edition differences are listed with their SCHEMA.md reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import types as sat

from openimis_db import tables as t
from openimis_db.ddl import ColumnDef, TableDef, parse_mssql, parse_postgresql


@pytest.fixture(scope="module")
def pg(shared: Path) -> dict[str, TableDef]:
    return parse_postgresql(
        (shared / "openimis-db/postgresql/schema.sql").read_text(encoding="utf-8")
    )


@pytest.fixture(scope="module")
def ms(shared: Path) -> dict[str, TableDef]:
    base = shared / "openimis-db/mssql"
    return parse_mssql(
        (base / "schema_tables.sql").read_text(encoding="utf-8"),
        (base / "schema_constraints.sql").read_text(encoding="utf-8"),
    )


# model types with neither length nor precision; subclasses before their bases
# (SmallInteger and BigInteger are Integers)
_PLAIN_TYPES: list[tuple[type, str]] = [
    (sat.Text, "text"),
    (sat.SmallInteger, "smallint"),
    (sat.BigInteger, "bigint"),
    (sat.Integer, "integer"),
    (sat.Boolean, "boolean"),
    (sat.Date, "date"),
    (sat.LargeBinary, "bytea"),
    (sat.Uuid, "uuid"),
]


def model_pg_type(col) -> tuple[str, int | None, tuple[int, int] | None]:
    """The PostgreSQL type a model column stands for (independent of the DDL parser's output)."""
    ty = col.type
    if isinstance(ty, sat.CHAR):
        return "char", ty.length, None
    if isinstance(ty, sat.String) and not isinstance(ty, sat.Text):
        return "varchar", ty.length, None
    if isinstance(ty, sat.DateTime):
        return ("timestamptz" if ty.timezone else "timestamp"), None, None
    if isinstance(ty, sat.Numeric) and not isinstance(ty, sat.Float):
        return "numeric", None, (ty.precision, ty.scale)
    for kind, name in _PLAIN_TYPES:
        if isinstance(ty, kind):
            return name, None, None
    raise AssertionError(
        f"{col.table.name}.{col.name}: model type {ty!r} has no mapping in this test"
    )


# PostgreSQL type -> SQL Server types accepted as the same data (SCHEMA.md §4 and §8).
MS_COMPATIBLE: dict[str, set[str]] = {
    "varchar": {"nvarchar", "varchar", "nchar", "char"},
    "char": {"nchar", "char"},
    "text": {"ntext", "nvarchar", "text"},
    "integer": {"int"},
    "smallint": {
        "smallint",
        "tinyint",
        "int",
    },  # MS tinyint for codes; tblProduct.MemberCount is int in MS
    "bigint": {"bigint"},
    "boolean": {"bit"},
    "date": {
        "date",
        "smalldatetime",
        "datetime",
    },  # tblClaim.DateFrom/DateTo smalldatetime; tblPremium.CreatedDate datetime
    "timestamptz": {"datetime", "smalldatetime", "datetime2", "datetimeoffset"},
    "timestamp": {"datetime", "smalldatetime", "datetime2"},
    "numeric": {"decimal", "numeric"},
    "bytea": {"timestamp", "varbinary"},  # RowID: MS rowversion, PG bytea
    "uuid": {"uniqueidentifier"},
}
# varchar(36) UUID columns are uniqueidentifier in MS; RowID columns are text in some PG tables but
# rowversion (timestamp) in MS (SCHEMA.md §8 tables).
SPECIAL_PAIRS = {("varchar", 36, "uniqueidentifier"), ("text", None, "timestamp")}
# MS columns narrower than PG, documented in SCHEMA.md §8: PG widened ICDCode by the 'ICDCODE fix'.
MS_NARROWER = {("tblICDCodes", "ICDCode")}
# PG columns absent from the MS edition (none today; SCHEMA.md §4 lists only MS-only columns).
PG_ONLY: set[tuple[str, str]] = set()
# NOT NULL differs between editions (SCHEMA.md §8 'PG:Y MS:N' / 'PG:N MS:Y'); PG is authoritative for the model.
NULLABILITY_DIFFERS = {
    ("tblLocations", "ValidityFrom"),
    ("tblLocations", "RowId"),
    ("tblClaimAdmin", "ValidityFrom"),
    ("tblInsuree", "FamilyID"),
    ("tblInsuree", "Vulnerability"),
    ("tblInsureePolicy", "ValidityFrom"),
    ("tblInsureePolicy", "AuditUserID"),
}


def _model_tables():
    return [t.metadata.tables[name] for name in t.MODELED_TABLES]


@pytest.mark.parametrize("table", _model_tables(), ids=lambda tb: tb.name)
def test_model_matches_postgresql_ddl(table, pg):
    assert table.name in pg, f"{table.name} is not in postgresql/schema.sql"
    real = pg[table.name]
    assert [c.name for c in table.columns if c.name not in real.columns] == [], (
        "model columns missing in PG"
    )
    assert sorted(set(real.columns) - set(table.c.keys())) == [], "PG columns the model lacks"
    for col in table.columns:
        ddl: ColumnDef = real.columns[col.name]
        kind, length, precision = model_pg_type(col)
        assert (kind, length, precision) == (ddl.type, ddl.length, ddl.precision), (
            f"{table.name}.{col.name} type"
        )
        assert col.nullable == ddl.nullable, (
            f"{table.name}.{col.name}: NOT NULL differs from the PG DDL"
        )
    assert tuple(c.name for c in table.primary_key.columns) == real.primary_key
    model_unique = {
        tuple(c.name for c in uc.columns)
        for uc in table.constraints
        if type(uc).__name__ == "UniqueConstraint"
    }
    assert model_unique == real.unique


@pytest.mark.parametrize("table", _model_tables(), ids=lambda tb: tb.name)
def test_model_foreign_keys_match_postgresql_ddl(table, pg):
    real = pg[table.name]
    modeled = set(t.MODELED_TABLES)
    model_fks = {
        (fk.parent.name, fk.column.table.name, fk.column.name) for fk in table.foreign_keys
    }
    external = {(c, rt, rc) for (tb, c, rt, rc) in t.EXTERNAL_FOREIGN_KEYS if tb == table.name}
    assert model_fks == {fk for fk in real.foreign_keys if fk[1] in modeled}
    assert external == {fk for fk in real.foreign_keys if fk[1] not in modeled}
    for fk in table.foreign_keys:
        assert fk.deferrable and fk.initially == "DEFERRED"
        assert fk.parent.name in real.deferrable_fks, (
            f"{table.name}.{fk.parent.name} FK is not deferred in PG"
        )


@pytest.mark.parametrize("table", _model_tables(), ids=lambda tb: tb.name)
def test_model_columns_exist_in_mssql_ddl_with_compatible_types(table, ms, pg):
    assert table.name in ms, f"{table.name} is not in mssql/schema_tables.sql"
    by_lower = {name.lower(): col for name, col in ms[table.name].columns.items()}
    for col in table.columns:
        key = (table.name, col.name)
        if key in PG_ONLY:
            assert col.name.lower() not in by_lower, f"{key} is listed as PG-only but exists in MS"
            continue
        assert col.name.lower() in by_lower, f"{table.name}.{col.name} missing in the MS DDL"
        ms_col = by_lower[col.name.lower()]
        kind, length, precision = model_pg_type(col)
        if (kind, length, ms_col.type) in SPECIAL_PAIRS:
            continue
        assert ms_col.type in MS_COMPATIBLE[kind], (
            f"{table.name}.{col.name}: PG {kind} vs MS {ms_col.type}"
        )
        if length is not None and ms_col.length is not None and key not in MS_NARROWER:
            assert ms_col.length >= length, (
                f"{table.name}.{col.name}: MS length {ms_col.length} < PG {length}"
            )
        if precision is not None:
            assert ms_col.precision == precision, (
                f"{table.name}.{col.name}: MS {ms_col.precision} vs PG {precision}"
            )
        if key not in NULLABILITY_DIFFERS and not ms_col.identity:
            assert ms_col.nullable == col.nullable, (
                f"{table.name}.{col.name}: NOT NULL differs in MS"
            )


def test_listed_edition_differences_are_real(ms, pg):
    """The exception lists must not hide anything: every entry is an actual difference."""
    for tb, c in MS_NARROWER:
        assert ms[tb].columns[c].length < pg[tb].columns[c].length
    for tb, c in NULLABILITY_DIFFERS:
        ms_col = {k.lower(): v for k, v in ms[tb].columns.items()}[c.lower()]
        assert ms_col.nullable != pg[tb].columns[c].nullable, (tb, c)


def test_mssql_foreign_keys_cover_the_model(ms):
    """Every FK of the model between modeled tables also exists in the MS edition (names case-insensitive)."""
    missing = []
    for table in _model_tables():
        real = {(c.lower(), rt.lower(), rc.lower()) for c, rt, rc in ms[table.name].foreign_keys}
        for fk in table.foreign_keys:
            key = (fk.parent.name.lower(), fk.column.table.name.lower(), fk.column.name.lower())
            if key not in real:
                missing.append((table.name, *key))
    assert sorted(missing) == sorted(KNOWN_MS_MISSING_FKS)


# FKs the PG edition declares but MS does not (SCHEMA.md §4 "FKs" row: no FK on ParentLocationId;
# §8 lists keys "as declared in either DDL": the secondary diagnoses and the claim lines' PolicyID are
# PG-only FKs, absent from mssql/schema_constraints.sql).
KNOWN_MS_MISSING_FKS: list[tuple[str, str, str, str]] = [
    ("tblLocations", "parentlocationid", "tbllocations", "locationid"),
    ("tblClaim", "icdid1", "tblicdcodes", "icdid"),
    ("tblClaim", "icdid2", "tblicdcodes", "icdid"),
    ("tblClaim", "icdid3", "tblicdcodes", "icdid"),
    ("tblClaim", "icdid4", "tblicdcodes", "icdid"),
    ("tblClaimItems", "policyid", "tblpolicy", "policyid"),
    ("tblClaimServices", "policyid", "tblpolicy", "policyid"),
]


def test_a_drifted_model_is_caught(pg):
    """The type comparison is strict enough to catch a wrong type or length."""
    col = t.tblClaim.c.ClaimCode
    ddl = pg["tblClaim"].columns["ClaimCode"]
    assert model_pg_type(col) == (ddl.type, ddl.length, ddl.precision)
    from sqlalchemy import Column, Integer, MetaData, String, Table

    drifted = Table(
        "tblClaim", MetaData(), Column("ClaimCode", String(50)), Column("ClaimStatus", Integer)
    )
    assert model_pg_type(drifted.c.ClaimCode) != (ddl.type, ddl.length, ddl.precision)
    status = pg["tblClaim"].columns["ClaimStatus"]
    assert model_pg_type(drifted.c.ClaimStatus)[0] != status.type
