"""Parsing of the real openIMIS DDL scripts (PostgreSQL dump and SQL Server scripts).

Used by tests and tools to check that ``openimis_db.tables`` matches openIMIS; careful regexes over
the two known script layouts (pg_dump output; SSMS-generated T-SQL), not a general SQL parser.
"""

from __future__ import annotations

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
    parts, depth, cur = [], 0, []
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


def parse_postgresql(sql: str) -> dict[str, TableDef]:
    """Tables of a pg_dump script: columns, NOT NULL, primary keys, UNIQUE and FOREIGN KEY constraints."""
    tables: dict[str, TableDef] = {}
    for m in re.finditer(r'CREATE TABLE (?:"public"\.)?"(\w+)" \((.*?)\n\);', sql, re.S):
        table = TableDef(m.group(1))
        for item in _split_columns(m.group(2)):
            cm = re.match(r'"(\w+)"\s+(.+)$', item, re.S)
            if not cm:
                uq = re.match(r"CONSTRAINT \S+ UNIQUE \((.+)\)", item)
                if uq:
                    table.unique.add(tuple(c.strip().strip('"') for c in uq.group(1).split(",")))
                continue
            name, rest = cm.group(1), " ".join(cm.group(2).split())
            nullable = "NOT NULL" not in rest.upper()
            rest = re.sub(r"\s+(NOT NULL|NULL|DEFAULT .*|PRIMARY KEY.*)$", "", rest, flags=re.I)
            rest = re.sub(r"\s+(NOT NULL|NULL)\b.*$", "", rest, flags=re.I)
            tm = re.match(r'"?([A-Za-z ]+?)"?\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?$', rest.strip())
            if not tm:
                raise ValueError(f"cannot parse PostgreSQL column {m.group(1)}.{name}: {rest!r}")
            base = tm.group(1).strip().lower()
            kind = _PG_TYPES.get(base)
            if kind is None:
                raise ValueError(f"unknown PostgreSQL type {base!r} for {m.group(1)}.{name}")
            length = int(tm.group(2)) if tm.group(2) and kind in ("varchar", "char") else None
            precision = (
                (int(tm.group(2)), int(tm.group(3) or 0))
                if tm.group(2) and kind == "numeric"
                else None
            )
            identity = base in ("serial", "bigserial")
            table.columns[name] = ColumnDef(
                name, kind, length, precision, nullable and not identity, identity
            )
        tables[table.name] = table
    alter = r'ALTER TABLE ONLY (?:"public"\.)?"(\w+)"\s+ADD CONSTRAINT "?([^"\s]+)"? '
    for m in re.finditer(alter + r"PRIMARY KEY \(([^)]*)\)", sql):
        if m.group(1) in tables:
            tables[m.group(1)].primary_key = tuple(
                c.strip().strip('"') for c in m.group(3).split(",")
            )
    for m in re.finditer(alter + r"UNIQUE \(([^)]*)\)", sql):
        if m.group(1) in tables:
            tables[m.group(1)].unique.add(
                tuple(c.strip().strip('"') for c in m.group(3).split(","))
            )
    fk = alter + r'FOREIGN KEY \("(\w+)"\) REFERENCES (?:"public"\.)?"(\w+)"\s*\("(\w+)"\)([^;]*);'
    for m in re.finditer(fk, sql):
        if m.group(1) in tables:
            tables[m.group(1)].foreign_keys.add((m.group(3), m.group(4), m.group(5)))
            if "DEFERRABLE INITIALLY DEFERRED" in m.group(6):
                tables[m.group(1)].deferrable_fks.add(m.group(3))
    # columns whose default is nextval() are serial-like identities
    for m in re.finditer(
        r'ALTER TABLE ONLY (?:"public"\.)?"(\w+)" ALTER COLUMN "(\w+)" SET DEFAULT "?nextval', sql
    ):
        t, c = m.group(1), m.group(2)
        if t in tables and c in tables[t].columns:
            col = tables[t].columns[c]
            tables[t].columns[c] = ColumnDef(
                col.name, col.type, col.length, col.precision, col.nullable, True
            )
    return tables


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
