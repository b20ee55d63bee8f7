"""A ``TableTransformer`` applied to an Arrow record batch: kept columns pass through as Arrow arrays
(no Python per value); only replaced, dropped, shifted and DOB columns go through the policy's
per-value functions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa

from openimis_db.snapshot import arrow_type

from .policy import Action, action_of
from .transform import TableTransformer

__all__ = ["transform_batch"]


class _LazyColumns(Mapping):
    """Columns as Python lists, built only when a per-value function asks (DOB needs keys)."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch
        self.cache: dict[str, list] = {}

    def __getitem__(self, name: str) -> list:
        if name not in self.cache:
            self.cache[name] = self.batch.column(name).to_pylist()
        return self.cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.batch.schema.names)

    def __len__(self) -> int:
        return self.batch.num_columns


def transform_batch(transformer: TableTransformer, batch: pa.RecordBatch) -> pa.Table:
    table = transformer.table
    lazy = _LazyColumns(batch)
    arrays, names = [], []
    for col in table.c:
        typ = arrow_type(table.name, col.name)
        action = action_of(table.name, col.name)
        is_date = pa.types.is_date32(typ) or pa.types.is_timestamp(typ)
        if action is Action.KEEP and not (is_date and transformer.shift):
            arrays.append(batch.column(col.name))
        elif action is Action.DROP:
            arrays.append(pa.nulls(batch.num_rows, typ))
        else:
            values = transformer._plan[col.name](lazy[col.name], lazy)
            arrays.append(pa.array(values, typ))
        names.append(col.name)
    transformer.report.rows += batch.num_rows
    return pa.Table.from_arrays(arrays, names=names)
