"""A ``TableTransformer``'s policy applied to an Arrow record batch, column by column.

Kept columns pass through as Arrow arrays; replaced, shifted and DOB columns are computed on whole
columns (``vectorised``), with the same values as the per-value functions of ``TableTransformer``
(tests compare the two).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openimis_db.snapshot import arrow_type

from .policy import Action, action_of
from .transform import TableTransformer
from .vectorised import combine, map_unique, shift_days, shift_micros

__all__ = ["transform_batch"]

_CACHE_LIMIT = 200_000  # per column: names and addresses repeat, identifiers and UUIDs do not


def transform_batch(transformer: TableTransformer, batch: pa.RecordBatch) -> pa.Table:
    table = transformer.table
    arrays, names = [], []
    for col in table.c:
        typ = arrow_type(table.name, col.name)
        action = action_of(table.name, col.name)
        column = batch.column(col.name)
        if action is Action.KEEP:
            out = _shifted(column, typ, transformer.shift) if transformer.shift else column
        elif action is Action.DROP:
            out = pa.nulls(batch.num_rows, typ)
        elif action is Action.DOB:
            out = _dobs(transformer, col.name, batch)
        else:
            out = map_unique(column, _replacer(transformer, col.name, action))
        arrays.append(out)
        names.append(col.name)
    transformer.report.rows += batch.num_rows
    return pa.Table.from_arrays(arrays, names=names)


def _replacer(
    transformer: TableTransformer, column: str, action: Action
) -> Callable[[pa.Array], pa.Array]:
    p = transformer.pseudo
    if action is Action.UUID:
        return p.uuid_many
    if action is Action.IDENTIFIER:
        return lambda values: p.identifier_many("identifier", values)
    if action is Action.PHONE and p._profile is None:
        return lambda values: p.identifier_many("phone", values)
    fake: Callable[[str], str] = {
        Action.FIRST_NAME: p.first_name,
        Action.LAST_NAME: p.last_name,
        Action.ORG_NAME: p.org_name,
        Action.ADDRESS: p.address,
        Action.EMAIL: p.email,
        Action.PHONE: p.phone,
    }[action]
    caches: dict[str, dict[str, str]] = transformer.__dict__.setdefault("_caches", {})
    cache = caches.setdefault(column, {})

    def replace(values: pa.Array) -> pa.Array:
        out = []
        for v in values.to_pylist():
            r = cache.get(v)
            if r is None:
                r = fake(v)
                if len(cache) < _CACHE_LIMIT:
                    cache[v] = r
            out.append(r)
        return pa.array(out, type=pa.string())

    return replace


def _shifted(column: pa.Array | pa.ChunkedArray, typ: pa.DataType, n: int):
    """Dates and timestamps moved by ``n`` whole months (``dates.add_months`` / ``shift_timestamp``)."""
    if not (pa.types.is_date32(typ) or pa.types.is_timestamp(typ)):
        return column
    column = combine(column)
    if column.null_count == len(column):
        return column
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_date32(typ):
        days = column.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64)
        return pa.array(shift_days(days, valid, n).astype(np.int32), mask=~valid).cast(typ)
    micros = column.cast(pa.timestamp("us", tz=typ.tz)).cast(pa.int64()).fill_null(0).to_numpy()
    moved = shift_micros(micros, valid, n)
    return pa.array(moved, mask=~valid).cast(pa.timestamp("us", tz=typ.tz)).cast(typ)


def _dobs(transformer: TableTransformer, column: str, batch: pa.RecordBatch) -> pa.Array:
    """Day drawn per entity (stable id = LegacyID, else the row's key), so history rows agree: the
    same draw as ``TableTransformer._dobs`` (``draw("dob", "<table>\\0<id>\\0<column>\\0<iso>")``)."""
    table = transformer.table
    dates = combine(batch.column(column))
    if dates.null_count == len(dates):
        return dates
    legacy = batch.column("LegacyID" if "LegacyID" in table.c else "LegacyId")
    stable = pc.coalesce(legacy, batch.column(transformer.pk)).cast(pa.string())
    valid = dates.is_valid().to_numpy(zero_copy_only=False)
    rows = pa.array(np.nonzero(valid)[0])
    days = dates.take(rows)
    # normalise(): casefold of the ASCII names; ids and ISO dates have no case or whitespace
    messages = pc.binary_join_element_wise(
        table.name.casefold(), stable.take(rows), column.casefold(), days.cast(pa.string()), "\0"
    )
    draws = transformer.pseudo.draws("dob", [m.encode() for m in messages.to_pylist()])
    day_counts = days.cast(pa.int32()).to_numpy().astype(np.int64)
    month_start = day_counts.astype("datetime64[D]").astype("datetime64[M]")
    month_start = month_start.astype("datetime64[D]").astype(np.int64)
    jittered = month_start + (draws % np.uint64(28)).astype(
        np.int64
    )  # jitter_day: day 1 + draw % 28
    if transformer.shift:
        jittered = shift_days(jittered, np.ones(jittered.size, dtype=bool), transformer.shift)
    out = np.zeros(len(dates), dtype=np.int32)
    out[valid] = jittered
    return pa.array(out, mask=~valid).cast(pa.date32())
