"""``anonymise(source_url, target_url, options)``: the whole run in one target transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa

from openimis_db import tables as t
from openimis_db.engine import make_engine, redact_url

from ..bulk_load import PreparedArrow, insert_prepared, prepare_arrow
from .batches import transform_batch
from .dates import add_months, last_day_of_month, month_index
from .kanon import k_anonymity
from .loading import (
    fast_sqlite_loading,
    foreign_keys_set_aside,
    fresh_sqlite_file,
    prefetched,
    sqlite_bulk_pragmas,
)
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
    try:
        fresh = fresh_sqlite_file(target_url)
        if fresh is None:
            target = make_engine(target_url)
            try:
                return _run(source, target, source_url, target_url, options, progress)
            finally:
                target.dispose()
        # a new SQLite file: written under a temporary name without journal, renamed when complete
        with fast_sqlite_loading(fresh) as temp_url:
            target = make_engine(temp_url)
            sqlite_bulk_pragmas(target)
            try:
                return _run(source, target, source_url, target_url, options, progress)
            finally:
                target.dispose()
    finally:
        source.dispose()


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
    null_default = _null_default_columns(target)
    if target.dialect.name == "sqlite":
        _defer_sqlite_foreign_keys(target)
    try:
        batches = prefetched(
            _prepared_batches(
                snapshot, pseudo, shift, target.dialect.name, options.chunk_rows, null_default
            )
        )
        # closing: a failed write stops the worker thread at once, not when the generator is collected
        with contextlib.closing(batches), target.begin() as tconn, foreign_keys_set_aside(tconn):
            done = 0
            for name, transformer, prepared in batches:
                total = snapshot.tables[name].rows
                if prepared is None:  # the table is done
                    transformer.report.source_columns_not_copied = list(layout[name].extra)
                    report.tables[name] = transformer.report
                    if progress is not None and done == 0:
                        progress(name, 0, total)
                    done = 0
                    continue
                if mode == "into_existing" and name in BASE_DATA_TABLES:
                    transformer.report.replaced_target_rows += _delete_keys(
                        tconn, name, prepared.data.column(transformer.pk).to_pylist()
                    )
                done += insert_prepared(tconn, prepared)
                if progress is not None:
                    progress(name, done, total)
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


def _prepared_batches(
    snapshot,
    pseudo: Pseudonymiser,
    shift: int,
    dialect: str,
    chunk_rows: int,
    null_default: dict[str, frozenset[str]],
) -> Iterator[tuple[str, TableTransformer, PreparedArrow | None]]:
    """Per table: its batches transformed and rendered for the target, then ``None`` (table done).
    Runs in the prefetch thread: nothing here touches the target connection."""
    for name in t.MODELED_TABLES:
        transformer = TableTransformer(name, pseudo, shift)
        table = t.metadata.tables[name]
        for batch in iter_batches(snapshot, name, chunk_rows):
            data = transform_batch(transformer, batch)
            yield name, transformer, prepare_arrow(dialect, table, data, null_default[name])
        yield name, transformer, None


def _null_default_columns(target: sa.Engine) -> dict[str, frozenset[str]]:
    """Per modeled table, the target columns without a default: an all-NULL batch column may be left
    out of the insert there (a real openIMIS schema has defaults that must not replace a NULL)."""
    inspector = sa.inspect(target)
    return {
        name: frozenset(
            c["name"]
            for c in inspector.get_columns(name)
            if c.get("default") is None
            and c.get("autoincrement") is not True
            and c.get("identity") is None
            and c.get("computed") is None
        )
        for name in t.MODELED_TABLES
    }


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
