"""Per-chunk transformation: the column policy applied to rows read from the source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import types as sat

from openimis_db import tables as t

from .dates import add_months, jitter_day, shift_timestamp
from .policy import Action, action_of
from .pseudonym import Pseudonymiser
from .report import TableReport

__all__ = ["TableTransformer"]


class TableTransformer:
    """Turns source rows of one table into a frame ready for ``bulk_insert``."""

    def __init__(self, table: str, pseudo: Pseudonymiser, shift_months: int) -> None:
        self.table = t.metadata.tables[table]
        self.pseudo = pseudo
        self.shift = shift_months
        self.pk = next(iter(self.table.primary_key.columns)).name
        self.has_legacy = "LegacyID" in self.table.c or "LegacyId" in self.table.c
        self._plan: dict[str, Callable[[list, dict], list]] = {}
        self.report = TableReport()
        for col in self.table.c:
            action = action_of(table, col.name)
            is_date = isinstance(col.type, (sat.Date, sat.DateTime))
            if action is Action.KEEP:
                if is_date and shift_months:
                    self.report.date_shifted.append(col.name)
                else:
                    self.report.kept.append(col.name)
            elif action is Action.DROP:
                self.report.dropped.append(col.name)
            else:
                self.report.replaced[col.name] = action.value
            self._plan[col.name] = self._column_function(col, action)

    def _column_function(self, col, action: Action) -> Callable[[list, dict], list]:
        p, n = self.pseudo, self.shift
        if action is Action.DROP:
            return lambda values, cols: [None] * len(values)
        if action is Action.DOB:
            return lambda values, cols: self._dobs(col.name, values, cols)
        if action is Action.KEEP:
            if isinstance(col.type, sat.DateTime) and n:
                return lambda values, cols: [
                    None if v is None else shift_timestamp(v, n) for v in values
                ]
            if isinstance(col.type, sat.Date) and n:
                return lambda values, cols: [
                    None if v is None else add_months(v, n) for v in values
                ]
            return lambda values, cols: values
        fake: Callable[[str], str] = {
            Action.UUID: p.uuid,
            Action.FIRST_NAME: p.first_name,
            Action.LAST_NAME: p.last_name,
            Action.ORG_NAME: p.org_name,
            Action.ADDRESS: p.address,
            Action.EMAIL: p.email,
            Action.PHONE: p.phone,
            Action.IDENTIFIER: lambda v: p.identifier("identifier", v),
        }[action]
        cache: dict[str, str] = {}

        def replace(values: list, cols: dict) -> list:
            out = []
            for v in values:
                if v is None or not str(v).strip():
                    out.append(v)  # NULL and blank carry no identity
                    continue
                v = str(v)
                r = cache.get(v)
                if r is None:
                    r = fake(v)
                    if len(cache) < 100_000:  # bounded memo: history rows repeat values
                        cache[v] = r
                out.append(r)
            return out

        return replace

    def _dobs(self, column: str, values: list, columns: dict[str, Sequence]) -> list:
        """Day drawn per entity (stable id = LegacyID or own key), so history rows agree."""
        legacy = columns["LegacyID" if "LegacyID" in self.table.c else "LegacyId"]
        keys = columns[self.pk]
        out = []
        for v, leg, key in zip(values, legacy, keys, strict=True):
            if v is None:
                out.append(None)
                continue
            if isinstance(v, dt.datetime):
                v = v.date()
            stable = leg if leg is not None else key
            draw = self.pseudo.draw(
                "dob", f"{self.table.name}\0{stable}\0{column}\0{v.isoformat()}"
            )
            out.append(add_months(jitter_day(v, draw), self.shift))
        return out

    def frame(self, rows: Sequence) -> pd.DataFrame:
        """``rows`` are tuples in the table's column order (as ``source.iter_chunks`` yields them)."""
        columns = dict(zip(self.table.c.keys(), zip(*rows, strict=True), strict=True))
        data = {}
        for name, fn in self._plan.items():
            data[name] = pd.Series(fn(list(columns[name]), columns), dtype=object)
        self.report.rows += len(rows)
        return pd.DataFrame(data)
