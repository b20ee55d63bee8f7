"""The target database: checks before writing, schema creation, id offsets, sequences afterwards."""

from __future__ import annotations

import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import redact_url
from synthetic_data.options import GenerationError

GENERATED_TABLES = (
    "tblLocations",
    "tblHF",
    "tblClaimAdmin",
    "tblOfficer",
    "tblPayer",
    "tblProduct",
    "tblICDCodes",
    "tblItems",
    "tblServices",
    "tblFamilies",
    "tblInsuree",
    "tblPolicy",
    "tblInsureePolicy",
    "tblPremium",
    "tblClaim",
    "tblClaimItems",
    "tblClaimServices",
)  # tblGender is base data: written only in create mode
BASE_GENDERS = [("M", "Male", None, 1), ("F", "Female", None, 2), ("O", "Other", None, 3)]


def _pk(table: sa.Table) -> sa.Column:
    return next(iter(table.primary_key.columns))


def prepare(engine: sa.Engine, mode: str) -> dict[str, int]:
    """Check the target suits ``mode``; create the tables in create mode; return max id per table."""
    insp = sa.inspect(engine)
    existing = set(insp.get_table_names())
    modeled = set(t.MODELED_TABLES)
    where = redact_url(engine.url.render_as_string(hide_password=False))
    if mode == "create":
        present = sorted(modeled & existing)
        if present:
            raise GenerationError(
                f"{where} already holds openIMIS tables ({', '.join(present[:4])}{', ...' if len(present) > 4 else ''}); "
                "create mode needs an empty database: use a new one, or --into-existing to add to these tables"
            )
        t.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                t.tblGender.insert(),
                [
                    dict(zip(("Code", "Gender", "AltLanguage", "SortOrder"), g, strict=True))
                    for g in BASE_GENDERS
                ],
            )
        return {name: 0 for name in GENERATED_TABLES}
    missing = sorted(modeled - existing)
    if missing:
        raise GenerationError(
            f"{where} has no openIMIS schema (missing {', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}); "
            "load openIMIS's schema.sql first, or use --create-schema on an empty database"
        )
    with engine.connect() as conn:
        genders = {r[0] for r in conn.execute(sa.select(t.tblGender.c.Code))}
        if not {"M", "F", "O"} <= genders:
            raise GenerationError(
                f"{where}: tblGender lacks the base codes M, F, O (has {sorted(genders)}); "
                "load openIMIS's base data first"
            )
        offsets = {}
        for name in GENERATED_TABLES:
            table = t.metadata.tables[name]
            offsets[name] = int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(_pk(table)), 0))).scalar()
            )
    return offsets


def advance_sequences(conn: sa.Connection) -> None:
    """After explicit ids: move each serial/identity sequence past the largest id so openIMIS keeps working."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's rowid allocation and SQL Server identities follow MAX(id) by themselves
    prep = conn.dialect.identifier_preparer
    for name in GENERATED_TABLES:
        table = t.metadata.tables[name]
        pk = _pk(table)
        seq = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
            {"t": prep.format_table(table), "c": pk.name},
        ).scalar()
        if seq is None:
            continue
        conn.execute(
            sa.text(
                f"SELECT setval(:s, (SELECT COALESCE(MAX({prep.quote(pk.name)}), 0) + 1 FROM "
                f"{prep.format_table(table)}), false)"
            ),
            {"s": seq},
        )


def suspend_foreign_keys(conn: sa.Connection) -> list[tuple[str, str, str]]:
    """PostgreSQL: drop the FKs declared on the generated tables, inside the load transaction.

    A deferred FK queues one trigger event per inserted row and checks them one by one at commit,
    which dominates a multi-million-row load. Re-adding the constraint (``restore_foreign_keys``)
    validates all rows in one set-based query instead. Both happen in the same transaction, so the
    schema is never seen without its constraints and a violation still aborts everything.
    Returns (table, constraint name, definition) for restore.
    """
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        sa.text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
            "WHERE c.contype = 'f' AND n.nspname = current_schema() AND r.relname = ANY(:names) "
            "ORDER BY r.relname, c.conname"
        ),
        {"names": list(GENERATED_TABLES)},
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    for table, name, _ in rows:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    return [tuple(r) for r in rows]


def restore_foreign_keys(conn: sa.Connection, saved: list[tuple[str, str, str]]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for table, name, definition in saved:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
