"""Target preparation (create tables, or check an existing empty openIMIS schema) and finishing."""

from __future__ import annotations

import sqlalchemy as sa

from openimis_db import tables as t

from .options import AnonymiseError

__all__ = ["prepare_target", "advance_sequences", "BASE_DATA_TABLES"]

# Modeled tables that a real, empty openIMIS schema ships filled (genders; a default region, district,
# ward and village). They may hold rows in an "empty" target; source rows with the same key replace
# them, the others stay.
BASE_DATA_TABLES = frozenset({"tblGender", "tblLocations"})


def prepare_target(engine: sa.Engine, mode: str) -> str:
    """Create the modeled tables or validate an existing empty schema; return the mode applied."""
    if engine.dialect.name not in ("postgresql", "sqlite"):
        raise AnonymiseError(
            f"target {engine.url.render_as_string(hide_password=True)}: only PostgreSQL and "
            "SQLite targets are supported"
        )
    inspector = sa.inspect(engine)
    present = set(inspector.get_table_names())
    modeled = set(t.MODELED_TABLES)
    found = sorted(modeled & present)
    if mode == "auto":
        mode = "into_existing" if found else "create"
    if mode == "create":
        if found:
            raise AnonymiseError(
                f"target already has openIMIS table(s) {', '.join(found)}: use an empty database, or "
                "target mode into_existing/auto for an empty openIMIS schema"
            )
        _fresh_metadata().create_all(engine)
        return mode
    missing = sorted(modeled - present)
    if missing:
        raise AnonymiseError(
            f"target is not a complete openIMIS schema: table(s) {', '.join(missing)} missing; "
            "use an empty database (target mode create) or load the real openIMIS schema first"
        )
    for name in t.MODELED_TABLES:
        cols = {c["name"] for c in inspector.get_columns(name)}
        lacking = [c.name for c in t.metadata.tables[name].c if c.name not in cols]
        if lacking:
            raise AnonymiseError(f"target table {name} lacks column(s) {', '.join(lacking)}")
    with engine.connect() as conn:
        filled = []
        for name in t.MODELED_TABLES:
            if name in BASE_DATA_TABLES:
                continue
            n = conn.execute(
                sa.select(sa.func.count()).select_from(t.metadata.tables[name])
            ).scalar_one()
            if n:
                filled.append(f"{name} ({n} rows)")
    if filled:
        raise AnonymiseError(
            f"target is not empty: {', '.join(filled)}; anonymise only into an empty database or an empty "
            "openIMIS schema (nothing is overwritten)"
        )
    return mode


def _fresh_metadata() -> sa.MetaData:
    """A copy of the modeled tables. SQLAlchemy marks the ``use_alter`` foreign keys of a MetaData
    once it has created them on PostgreSQL (as ALTER statements), and a later ``create_all`` of the
    same MetaData on SQLite then leaves every foreign key out: a copy per target avoids that."""
    copy = sa.MetaData()
    for table in t.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def advance_sequences(conn: sa.Connection) -> None:
    """PostgreSQL: move each serial/identity sequence past the copied keys (new rows get fresh ids)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY takes max(rowid) + 1 by itself
    for name in t.MODELED_TABLES:
        table = t.metadata.tables[name]
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        qt = conn.dialect.identifier_preparer.format_table(table)
        col = pk[0].name
        seq = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qt, "c": col}
        ).scalar()
        if seq is None:
            continue
        qc = conn.dialect.identifier_preparer.quote(col)
        conn.execute(
            sa.text(f"SELECT setval(:s, COALESCE((SELECT MAX({qc}) FROM {qt}), 0) + 1, false)"),
            {"s": seq},
        )
