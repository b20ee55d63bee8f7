"""Hand-made openIMIS rows: insert with every NOT NULL column defaulted, so a test names only
what matters. Creates the modeled tables from ``openimis_db.tables.metadata``."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, SmallInteger, String, Text

from openimis_db import tables as t

T0 = datetime(2015, 1, 1, tzinfo=UTC)
_counter = itertools.count(1)


def _default(col):
    typ = col.type
    if isinstance(typ, DateTime):
        return T0
    if isinstance(typ, Date):
        return date(2015, 1, 1)
    if isinstance(typ, Boolean):
        return False
    if isinstance(typ, Integer | SmallInteger):
        return 0
    if isinstance(typ, Numeric):
        return Decimal("0")
    if isinstance(typ, String | Text):
        if "UUID" in col.name.upper():
            return str(uuid.uuid4())
        n = getattr(typ, "length", None) or 8
        return f"X{next(_counter)}"[:n]
    raise TypeError(col)


class Rows:
    """Collects rows per table; ``write(engine)`` inserts them in one transaction."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}

    def add(self, table, **values) -> dict:
        row = dict(values)
        for col in table.columns:
            if col.name in row:
                continue
            if col.primary_key and col.autoincrement:
                raise ValueError(f"{table.name}: give the primary key {col.name}")
            if not col.nullable and col.server_default is None:
                row[col.name] = _default(col)
        self.rows.setdefault(table.name, []).append(row)
        return row

    def write(self, engine) -> None:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
            elif engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in t.metadata.sorted_tables:
                if table.name in self.rows:
                    rows = self.rows[table.name]
                    keys = {k for row in rows for k in row}  # executemany needs uniform keys
                    conn.execute(table.insert(), [{k: row.get(k) for k in keys} for row in rows])


def create_schema(engine) -> None:
    t.metadata.create_all(engine)


def base_geography(r: Rows) -> None:
    """R1 > D1 > W1 > V1, V2 and W2 > V3; HF1 and HF2 in D1 (HF2 with the LegacyID = PK quirk)."""
    loc = t.tblLocations
    r.add(loc, LocationId=1, LocationCode="R1", LocationType="R", ParentLocationId=None)
    r.add(loc, LocationId=2, LocationCode="D1", LocationType="D", ParentLocationId=1)
    r.add(loc, LocationId=3, LocationCode="W1", LocationType="W", ParentLocationId=2)
    r.add(loc, LocationId=4, LocationCode="V1", LocationType="V", ParentLocationId=3)
    r.add(loc, LocationId=5, LocationCode="V2", LocationType="V", ParentLocationId=3)
    r.add(loc, LocationId=6, LocationCode="W2", LocationType="W", ParentLocationId=2)
    r.add(loc, LocationId=7, LocationCode="V3", LocationType="V", ParentLocationId=6)
    r.add(t.tblHF, HfID=1, HFCode="HF1", LocationId=2, HFLevel="D", HFCareType="B")
    r.add(t.tblHF, HfID=2, HFCode="HF2", LocationId=2, HFLevel="H", HFCareType="B", LegacyID=2)
    for code in ("M", "F", "O", "X"):  # X: a scheme-specific code (catch-all UNKNOWN)
        r.add(t.tblGender, Code=code)
