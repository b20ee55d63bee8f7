"""``anonymise(source_url, target_url, options)``: the whole run in one target transaction."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import make_engine, redact_url

from ..bulk_load import bulk_insert_arrow
from .batches import transform_batch
from .dates import add_months, last_day_of_month, month_index
from .kanon import k_anonymity
from .options import AnonymiseError, AnonymiseOptions
from .probe import probe_source
from .pseudonym import Pseudonymiser
from .report import AnonymisationReport
from .source import collect_avoid_set, iter_batches, latest_month, read_source
from .target import BASE_DATA_TABLES, advance_sequences, prepare_target
from .transform import TableTransformer

__all__ = ["anonymise", "Progress"]

Progress = Callable[[str, int, int], None]  # (table, rows copied so far, rows in the source table)


def anonymise(
    source_url: str,
    target_url: str,
    options: AnonymiseOptions | None = None,
    progress: Progress | None = None,
) -> AnonymisationReport:
    """Copy the modeled openIMIS tables from ``source_url`` to ``target_url``, anonymised.

    Every key, history row and deleted row is kept; the target is written in ONE transaction, so the
    (deferred) foreign keys, including the family <-> head-insuree cycle, are checked once at commit
    and a failed run leaves no rows behind.
    """
    options = options or AnonymiseOptions()
    source = make_engine(source_url)
    target = make_engine(target_url)
    try:
        return _run(source, target, source_url, target_url, options, progress)
    finally:
        source.dispose()
        target.dispose()


def _run(source, target, source_url, target_url, options, progress) -> AnonymisationReport:
    layout = probe_source(source)
    # The source is read once, every table in one read-only snapshot (openimis_db.snapshot), into
    # local Parquet; the server is then free while the rows are transformed and loaded.
    with tempfile.TemporaryDirectory(prefix="anonymise-source-") as tmp:
        snapshot = read_source(source, layout, Path(tmp))
        return _copy(snapshot, layout, target, source_url, target_url, options, progress)


def _copy(
    snapshot, layout, target, source_url, target_url, options, progress
) -> AnonymisationReport:
    latest = latest_month(snapshot)
    shift = options.shift_months
    if options.shift_to is not None:
        if latest is None:
            raise AnonymiseError("shift_to needs at least one claim or policy date in the source")
        year, month = map(int, options.shift_to.split("-"))
        shift = year * 12 + month - 1 - month_index(latest)
    avoid = collect_avoid_set(snapshot)
    pseudo = Pseudonymiser(options.seed, avoid, options.country)
    mode = prepare_target(target, options.target_mode)
    report = AnonymisationReport(
        source=redact_url(source_url),
        target=redact_url(target_url),
        target_mode=mode,
        shift_months=shift,
        latest_source_month=latest.strftime("%Y-%m") if latest else None,
    )
    if target.dialect.name == "sqlite":
        _defer_sqlite_foreign_keys(target)
    try:
        with target.begin() as tconn:
            for name in t.MODELED_TABLES:
                src = layout[name]
                transformer = TableTransformer(name, pseudo, shift)
                transformer.report.source_columns_not_copied = list(src.extra)
                total = snapshot.tables[name].rows
                replace_base = mode == "into_existing" and name in BASE_DATA_TABLES
                done = 0
                for batch in iter_batches(snapshot, name, options.chunk_rows):
                    data = transform_batch(transformer, batch)
                    if replace_base:
                        transformer.report.replaced_target_rows += _delete_keys(
                            tconn, name, data.column(transformer.pk).to_pylist()
                        )
                    bulk_insert_arrow(tconn, t.metadata.tables[name], data)
                    done += batch.num_rows
                    if progress is not None:
                        progress(name, done, total)
                if progress is not None and done == 0:
                    progress(name, 0, total)
                report.tables[name] = transformer.report
            if options.k is not None:
                ref_month = add_months(latest, shift) if latest else dt.date.today()
                ref = last_day_of_month(ref_month.year, ref_month.month)
                report.k_anonymity = k_anonymity(
                    tconn, options.k, ref, options.age_bands, options.suppress
                )
            advance_sequences(tconn)
            _check_sqlite_foreign_keys(tconn)
    except ValueError as exc:
        if isinstance(exc, AnonymiseError):
            raise
        raise AnonymiseError(f"{exc} (no row was written)") from exc
    except sa.exc.IntegrityError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise AnonymiseError(
            f"the target rejected the copy (no row was written): {first}; the source violates a "
            "constraint of the target schema, or the target's base data lacks a code the source uses"
        ) from exc
    report.identifiers_not_steered = pseudo.unavoidable
    report.notes.append("health facility names and addresses and location names are kept (public)")
    if options.country is not None:
        report.notes.append(
            f"names, phones and addresses from the {options.country} country profile's pools"
        )
    if shift and shift % 48:
        report.notes.append(
            "day counts across month ends (settlement days, earned contributions) change with a shift "
            "that is not a multiple of 48 months"
        )
    return report


def _delete_keys(conn: sa.Connection, name: str, keys: list) -> int:
    """Base data that an empty openIMIS schema ships (genders, a default location tree) and that the
    source holds under the same keys: the source's (anonymised) rows replace them."""
    table = t.metadata.tables[name]
    pk = next(iter(table.primary_key.columns))
    deleted = 0
    for start in range(0, len(keys), 1000):
        deleted += conn.execute(sa.delete(table).where(pk.in_(keys[start : start + 1000]))).rowcount
    return deleted


def _defer_sqlite_foreign_keys(engine: sa.Engine) -> None:
    """SQLite checks a deferred foreign key per inserted parent row by scanning the child table when
    violations are pending (the family <-> head-insuree cycle): quadratic. Load with the checks off
    and run ``PRAGMA foreign_key_check`` once before the commit instead (same guarantee)."""
    sa.event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA foreign_keys=OFF"))
    engine.dispose()  # connections opened from now on get the listener (it runs after the ON)


def _check_sqlite_foreign_keys(conn: sa.Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if bad:
        table, rowid, parent, _ = bad[0]
        raise AnonymiseError(
            f"the target rejected the copy (no row was written): {len(bad)} row(s) break a foreign "
            f"key, e.g. {table} rowid {rowid} has no row in {parent}; the source violates a "
            "constraint of the target schema"
        )
