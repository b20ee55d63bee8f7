"""Parsing of the real openIMIS DDL scripts (PostgreSQL dump and SQL Server scripts).

Used by tests and tools to check that ``openimis_db.tables`` matches openIMIS; careful regexes over
the two known script layouts (pg_dump output; SSMS-generated T-SQL), not a general SQL parser.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ColumnDef:
    name: str
    type: str  # normalised: varchar, char, text, integer, smallint, tinyint, bigint, boolean, bit, date,
    #            timestamptz, timestamp, datetime, smalldatetime, numeric, bytea, uuid, uniqueidentifier, ...
    length: int | None  # varchar/char length; None for unlimited or MAX
    precision: tuple[int, int] | None  # numeric (precision, scale)
    nullable: bool
    identity: bool = False


@dataclass(frozen=True, slots=True)
class ForeignKeyDef:
    """One named FOREIGN KEY constraint, as the script declares it."""

    name: str
    column: str
    ref_table: str
    ref_column: str
    deferrable: bool  # DEFERRABLE INITIALLY DEFERRED


@dataclass
class TableDef:
    name: str
    columns: dict[str, ColumnDef] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    unique: set[tuple[str, ...]] = field(default_factory=set)
    foreign_keys: set[tuple[str, str, str]] = field(
        default_factory=set
    )  # (column, ref table, ref column)
    deferrable_fks: set[str] = field(
        default_factory=set
    )  # columns whose FK is DEFERRABLE INITIALLY DEFERRED
    # the named constraints in script order (PostgreSQL only): what tools/gen_tables.py writes out
    unique_constraints: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    foreign_key_constraints: list[ForeignKeyDef] = field(default_factory=list)


_PG_TYPES = {
    "character varying": "varchar",
    "varchar": "varchar",
    "character": "char",
    "char": "char",
    "text": "text",
    "integer": "integer",
    "int": "integer",
    "serial": "integer",
    "smallint": "smallint",
    "bigint": "bigint",
    "bigserial": "bigint",
    "boolean": "boolean",
    "date": "date",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "timestamp": "timestamp",
    "numeric": "numeric",
    "decimal": "numeric",
    "bytea": "bytea",
    "uuid": "uuid",
    "bit": "bit",
    "double precision": "double",
    "real": "real",
}


def _split_columns(body: str) -> list[str]:
    """Top-level comma split of a CREATE TABLE body (commas inside parentheses are kept)."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [re.sub(r"--[^\n]*", "", p).strip() for p in parts if re.sub(r"--[^\n]*", "", p).strip()]


def _columns_of(text: str) -> tuple[str, ...]:
    """Column names of a constraint's ``("A", "B")`` list, quotes removed."""
    return tuple(c.strip().strip('"') for c in text.split(","))


def parse_postgresql(sql: str) -> dict[str, TableDef]:
    """Tables of a pg_dump script: columns, NOT NULL, primary keys, UNIQUE and FOREIGN KEY constraints."""
    tables: dict[str, TableDef] = {}
    for m in re.finditer(r'CREATE TABLE (?:"public"\.)?"(\w+)" \((.*?)\n\);', sql, re.S):
        tables[m.group(1)] = _pg_table(m.group(1), m.group(2))
    _pg_primary_keys(sql, tables)
    _pg_unique_constraints(sql, tables)
    _pg_foreign_keys(sql, tables)
    _pg_identities(sql, tables)
    return tables


def _pg_table(name: str, body: str) -> TableDef:
    """One CREATE TABLE body: its columns in order and its inline UNIQUE constraints."""
    table = TableDef(name)
    for item in _split_columns(body):
        cm = re.match(r'"(\w+)"\s+(.+)$', item, re.S)
        if cm:
            column = _pg_column(name, cm.group(1), cm.group(2))
            table.columns[column.name] = column
            continue
        uq = re.match(r"CONSTRAINT (\S+) UNIQUE \((.+)\)", item)
        if uq:
            columns = _columns_of(uq.group(2))
            table.unique.add(columns)
            table.unique_constraints.append((uq.group(1).strip('"'), columns))
    return table


def _pg_column(table: str, name: str, definition: str) -> ColumnDef:
    """One column definition (type, length or precision, NOT NULL, serial) of ``table``."""
    rest = " ".join(definition.split())
    nullable = "NOT NULL" not in rest.upper()
    rest = re.sub(r"\s+(NOT NULL|NULL|DEFAULT .*|PRIMARY KEY.*)$", "", rest, flags=re.I)
    rest = re.sub(r"\s+(NOT NULL|NULL)\b.*$", "", rest, flags=re.I)
    tm = re.match(r'"?([A-Za-z ]+?)"?\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?$', rest.strip())
    if not tm:
        raise ValueError(f"cannot parse PostgreSQL column {table}.{name}: {rest!r}")
    base = tm.group(1).strip().lower()
    kind = _PG_TYPES.get(base)
    if kind is None:
        raise ValueError(f"unknown PostgreSQL type {base!r} for {table}.{name}")
    size, scale = tm.group(2), tm.group(3)
    length = int(size) if size and kind in ("varchar", "char") else None
    precision = (int(size), int(scale or 0)) if size and kind == "numeric" else None
    identity = base in ("serial", "bigserial")
    return ColumnDef(name, kind, length, precision, nullable and not identity, identity)


_PG_ALTER = r'ALTER TABLE ONLY (?:"public"\.)?"(\w+)"\s+ADD CONSTRAINT "?([^"\s]+)"? '


def _pg_primary_keys(sql: str, tables: dict[str, TableDef]) -> None:
    for m in re.finditer(_PG_ALTER + r"PRIMARY KEY \(([^)]*)\)", sql):
        if m.group(1) in tables:
            tables[m.group(1)].primary_key = _columns_of(m.group(3))


def _pg_unique_constraints(sql: str, tables: dict[str, TableDef]) -> None:
    for m in re.finditer(_PG_ALTER + r"UNIQUE \(([^)]*)\)", sql):
        if m.group(1) in tables:
            columns = _columns_of(m.group(3))
            tables[m.group(1)].unique.add(columns)
            tables[m.group(1)].unique_constraints.append((m.group(2), columns))


def _pg_foreign_keys(sql: str, tables: dict[str, TableDef]) -> None:
    fk = (
        _PG_ALTER
        + r'FOREIGN KEY \("(\w+)"\) REFERENCES (?:"public"\.)?"(\w+)"\s*\("(\w+)"\)([^;]*);'
    )
    for m in re.finditer(fk, sql):
        if m.group(1) not in tables:
            continue
        table = tables[m.group(1)]
        name, column, ref_table, ref_column = m.group(2), m.group(3), m.group(4), m.group(5)
        deferred = "DEFERRABLE INITIALLY DEFERRED" in m.group(6)
        table.foreign_keys.add((column, ref_table, ref_column))
        table.foreign_key_constraints.append(
            ForeignKeyDef(name, column, ref_table, ref_column, deferred)
        )
        if deferred:
            table.deferrable_fks.add(column)


def _pg_identities(sql: str, tables: dict[str, TableDef]) -> None:
    """Columns whose default is nextval() are serial-like identities."""
    for m in re.finditer(
        r'ALTER TABLE ONLY (?:"public"\.)?"(\w+)" ALTER COLUMN "(\w+)" SET DEFAULT "?nextval', sql
    ):
        t, c = m.group(1), m.group(2)
        if t in tables and c in tables[t].columns:
            tables[t].columns[c] = dataclasses.replace(tables[t].columns[c], identity=True)


def parse_mssql(tables_sql: str, constraints_sql: str = "") -> dict[str, TableDef]:
    """Tables of the SQL Server scripts: columns, NULL/NOT NULL, IDENTITY, PK; FKs from the constraints."""
    tables: dict[str, TableDef] = {}
    for m in re.finditer(
        r"CREATE TABLE \[dbo\]\.\[(\w+)\]\s*\((.*?)\)\s*(?:ON \[PRIMARY\].*?)?\nGO",
        tables_sql,
        re.S,
    ):
        table = TableDef(m.group(1))
        body = m.group(2)
        for cm in re.finditer(
            r"^\s*\[(\w+)\]\s+\[(\w+)\](?:\s*\(\s*(\d+|max)\s*(?:,\s*(\d+)\s*)?\))?(.*?),?\s*$",
            body,
            re.M | re.I,
        ):
            name, base, size, scale, rest = cm.groups()
            base = base.lower()
            length = (
                int(size)
                if size and size.isdigit() and base in ("nvarchar", "varchar", "char", "nchar")
                else None
            )
            precision = (
                (int(size), int(scale or 0)) if size and base in ("decimal", "numeric") else None
            )
            table.columns[name] = ColumnDef(
                name,
                base,
                length,
                precision,
                "NOT NULL" not in rest.upper(),
                "IDENTITY" in rest.upper(),
            )
        pk = re.search(r"PRIMARY KEY (?:CLUSTERED|NONCLUSTERED)?\s*\((.*?)\)", body, re.S)
        if pk:
            table.primary_key = tuple(re.findall(r"\[(\w+)\]", pk.group(1)))
        tables[table.name] = table
    fk = r"ALTER TABLE \[dbo\]\.\[(\w+)\]\s+WITH (?:NO)?CHECK ADD\s+CONSTRAINT \[[^\]]+\] FOREIGN KEY\(\[(\w+)\]\)\s*REFERENCES \[dbo\]\.\[(\w+)\] \(\[(\w+)\]\)"
    for m in re.finditer(fk, constraints_sql):
        if m.group(1) in tables:
            tables[m.group(1)].foreign_keys.add((m.group(2), m.group(3), m.group(4)))
    return tables
