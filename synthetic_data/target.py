"""The target database: checks before writing, schema creation, id offsets, sequences afterwards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.codes import Gender
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
BASE_GENDERS = [
    (Gender.MALE.value, "Male", None, 1),
    (Gender.FEMALE.value, "Female", None, 2),
    (Gender.OTHER.value, "Other", None, 3),
]


def _pk(table: sa.Table) -> sa.Column[Any]:
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
        if not set(Gender) <= genders:
            raise GenerationError(
                f"{where}: tblGender lacks the base codes M, F, O (has {sorted(genders)}); "
                "load openIMIS's base data first"
            )
        offsets: dict[str, int] = {}
        for name in GENERATED_TABLES:
            table = t.metadata.tables[name]
            offsets[name] = int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(_pk(table)), 0))).scalar_one()
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
        # identifiers of the model, quoted by the dialect; the sequence name is a bound value
        conn.execute(
            sa.text(
                f"SELECT setval(:s, (SELECT COALESCE(MAX({prep.quote(pk.name)}), 0) + 1 FROM "  # noqa: S608
                f"{prep.format_table(table)}), false)"
            ),
            {"s": seq},
        )


def suspend_constraints(conn: sa.Connection) -> list[str]:
    """PostgreSQL: drop the FKs, UNIQUE constraints and plain indexes of the generated tables, inside the
    load transaction; returns the statements that re-create them (``restore_constraints``).

    This is pg_restore's bulk-load order. A deferred FK queues one trigger event per inserted row and
    checks them one by one at commit, and random UUID keys make every inserted row a random B-tree
    insert; re-adding the constraint validates all rows in one set-based query and builds each index
    by sorting. Both happen in the same transaction, so no other session ever sees the tables without
    their constraints, and a violation still aborts everything. Primary keys stay in place.
    """
    if conn.dialect.name != "postgresql":
        return []
    names = {"names": list(GENERATED_TABLES)}
    scope = (
        "JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
        "WHERE n.nspname = current_schema() AND r.relname = ANY(:names)"
    )
    # `scope` is the constant above; the table names are bound (:names)
    fks = _text_rows(
        conn.execute(
            sa.text(
                f"SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "  # noqa: S608
                f"{scope} AND c.contype = 'f' ORDER BY r.relname, c.conname"
            ),
            names,
        )
    )
    # UNIQUE constraints nobody references (an FK elsewhere would depend on their index)
    uniques = _text_rows(
        conn.execute(
            sa.text(
                f"SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "  # noqa: S608
                f"{scope} AND c.contype = 'u' AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                "AND f.conindid = c.conindid) ORDER BY r.relname, c.conname"
            ),
            names,
        )
    )
    indexes = conn.execute(
        sa.text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class r ON r.oid = i.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
            "WHERE n.nspname = current_schema() AND r.relname = ANY(:names) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1"
        ),
        names,
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    restore: list[str] = []
    for table, name, _ in fks:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for table, name, definition in uniques:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
    for name, definition, *_ in _text_rows(indexes):
        conn.exec_driver_sql(f"DROP INDEX {name}")
        restore.append(definition)
    restore += [
        f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
        for table, name, definition in fks
    ]
    return restore


def _text_rows(result: Iterable[Sequence[object]]) -> list[tuple[str, ...]]:
    """Rows of catalogue text (names, definitions) as plain strings."""
    return [tuple(str(v) for v in row) for row in result]


def restore_constraints(conn: sa.Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.exec_driver_sql(statement)
