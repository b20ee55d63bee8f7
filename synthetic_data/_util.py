"""Vectorised helpers for the generator: seeded RNG streams, UUIDs, codes, dates, text columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# byte index -> position of its two hex characters in the 36-character UUID text
_UUID_POS = np.array([0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34])


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator per (seed, table, chunk): output never depends on chunk scheduling."""
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def uuids(rng: np.random.Generator, n: int) -> pd.arrays.ArrowStringArray:
    """``n`` random version-4 UUIDs (lower-case text) drawn from ``rng``, not from the clock."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, _UUID_POS] = _HEX[raw >> 4]
    out[:, _UUID_POS + 1] = _HEX[raw & 0x0F]
    arr = pa.array(out.view("S36").ravel(), type=pa.binary(36)).cast(pa.string())
    return text(arr)


def text(arr: pa.Array | pa.ChunkedArray | list[str | None]) -> pd.arrays.ArrowStringArray:
    """A pandas string array backed by Arrow (cheap to build, cheap to COPY).

    Helpers return arrays, not Series, so assigning them to a slice of a frame is positional.
    """
    if not isinstance(arr, pa.Array | pa.ChunkedArray):
        arr = pa.array(arr, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.arrays.ArrowStringArray(arr.cast(pa.string()))


def codes(prefix: str, numbers: np.ndarray, width: int) -> pd.arrays.ArrowStringArray:
    """``prefix`` + zero-padded number, e.g. codes('C', [7], 7) -> 'C0000007'."""
    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0"
    )
    return text(pc.binary_join_element_wise(prefix, digits, ""))


def pick(values: Sequence[str], idx: np.ndarray) -> pd.arrays.ArrowStringArray:
    """values[idx] as a text column; idx < 0 gives NULL."""
    idx = np.asarray(idx)
    arr = pa.array(values, type=pa.string()).take(pa.array(np.where(idx < 0, 0, idx)))
    if (idx < 0).any():
        arr = pc.if_else(pa.array(idx < 0), pa.scalar(None, pa.string()), arr)
    return text(arr)


def join_text(
    *parts: pd.Series | pd.arrays.ArrowStringArray | str, sep: str = " "
) -> pd.arrays.ArrowStringArray:
    arrays = [
        p if isinstance(p, str) else pa.array(p, type=pa.string(), from_pandas=True) for p in parts
    ]
    return text(pc.binary_join_element_wise(*arrays, sep))


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def dates(days: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    """Day numbers -> datetime64[D]; ``null`` marks NULLs (NaT)."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    if null is not None:
        out = np.where(null, np.datetime64("NaT"), out)
    return out


def stamps(
    days: np.ndarray, rng: np.random.Generator, null: np.ndarray | None = None
) -> np.ndarray:
    """Timestamps on the given days at a random office-hours time, for ValidityFrom/To.

    Naive ``datetime64[s]`` meaning UTC (bulk_insert localises them): numpy arithmetic stays fast.
    """
    days = np.asarray(days, dtype=np.int64)
    secs = days * 86400 + rng.integers(7 * 3600, 18 * 3600, size=days.size)
    values = secs.astype("datetime64[s]")
    if null is not None:
        values = np.where(null, np.datetime64("NaT"), values)
    return values


def add_months(day_numbers: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Same day-of-month ``months`` later, clipped to the month's end (Jan 31 + 1 -> Feb 28/29)."""
    d = np.asarray(day_numbers, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month).astype(np.int64)
    target = month + np.asarray(months)
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    ) - 1
    days: np.ndarray = (
        target.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, last)
    ).astype(np.int64)
    return days


def month_start(year: int, month: int) -> int:
    return day_number(dt.date(year, month, 1))


def nullable_int(values: np.ndarray, null: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.asarray(null, dtype=bool))


def nullable_bool(values: np.ndarray, null: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.asarray(null, dtype=bool))


def nullable_float(values: np.ndarray, null: np.ndarray) -> np.ndarray:
    return np.where(null, np.nan, np.round(np.asarray(values, dtype=np.float64), 2))


def blank(frame: pd.DataFrame, *columns: str) -> None:
    """Set columns to NULL keeping their dtype (assigning None would make slow object columns)."""
    keep = np.zeros(len(frame), dtype=bool)
    for c in columns:
        frame[c] = frame[c].where(keep)
