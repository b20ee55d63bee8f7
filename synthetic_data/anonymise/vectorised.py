"""Whole-column versions of the per-value replacements, giving exactly the same values.

The per-value functions of ``pseudonym`` and ``dates`` stay the reference (and the unit tests' subject);
these apply them to an Arrow column at once:
- every column is dictionary-encoded first, so a value repeated in a batch (history rows, names) is
  replaced once;
- keyed BLAKE2b digests are taken from a keyed state copied per value (the key block is hashed once),
  and their results are decoded with numpy instead of per-value Python;
- the identifier permutation runs its Feistel rounds on numpy arrays of whole shape groups (fixed-length
  ASCII values of one shape), with round-function tables filled once per round and shape;
- date shifts and birth-date jitter are numpy arithmetic on day / microsecond counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "combine",
    "normalise_array",
    "hash_array",
    "keyed_digests",
    "map_unique",
    "uuid_strings",
    "shift_days",
    "shift_micros",
    "fixed_width_strings",
    "strings_matrix",
]

# Python's str.split() whitespace among ASCII characters (RE2's \s lacks \x0b and \x1c-\x1f)
_ASCII_SPACE = "[ \\t\\n\\r\\x0b\\x0c\\x1c-\\x1f]+"
_US_PER_DAY = 86_400_000_000
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def combine(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def normalise_array(values: pa.Array) -> np.ndarray:
    """``pseudonym.normalise`` of every (non-null) value, as an object array of str.

    ASCII values are normalised in Arrow (same result: ASCII casefold is lower-casing); the others in
    Python, one by one.
    """
    from .pseudonym import normalise  # the reference

    values = combine(values).cast(pa.string())
    ascii_ = pc.string_is_ascii(values).to_numpy(zero_copy_only=False)
    fast = pc.ascii_lower(
        pc.utf8_trim(pc.replace_substring_regex(values, _ASCII_SPACE, " "), " ")
    ).to_numpy(zero_copy_only=False)
    if not ascii_.all():
        slow = np.nonzero(~ascii_)[0]
        raw = values.take(pa.array(slow)).to_pylist()
        fast[slow] = [normalise(v) for v in raw]
    return fast


def hash_array(normalised: np.ndarray) -> np.ndarray:
    """64-bit hashes (SipHash-2-4, pandas' fixed key) of normalised values: set membership only."""
    if normalised.size == 0:
        return np.empty(0, dtype=np.uint64)
    return pd.util.hash_array(normalised, categorize=False)


def keyed_digests(base: hashlib.blake2b, messages: list[bytes]) -> bytes:
    """The digests of ``base`` (a keyed BLAKE2b state, maybe with a prefix) extended by each message,
    concatenated: equal to ``blake2b(prefix + message, key=...)`` per message, without re-hashing the
    key block each time."""
    out = []
    append = out.append
    for message in messages:
        h = base.copy()
        h.update(message)
        append(h.digest())
    return b"".join(out)


def map_unique(
    column: pa.Array | pa.ChunkedArray, fake_many: Callable[[pa.Array], pa.Array]
) -> pa.Array:
    """Replace every non-blank value of a string column through ``fake_many`` (called once with the
    distinct non-blank values, returns their fakes in the same order); NULL and blank values are kept
    (they carry no identity)."""
    column = combine(column)
    if column.null_count == len(column):
        return column
    encoded = pc.dictionary_encode(column)
    dictionary = encoded.dictionary.cast(pa.string())
    real = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(dictionary)), 0)
    if pc.any(real).as_py():
        fakes = fake_many(dictionary.filter(real))
        dictionary = pc.replace_with_mask(dictionary, real, fakes.cast(pa.string()))
    return dictionary.take(encoded.indices)


def strings_matrix(values: pa.Array, width: int) -> np.ndarray:
    """The UTF-8 bytes of string values that all have ``width`` bytes, as an (n, width) uint8 matrix."""
    values = combine(values).cast(pa.string())
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + n + 1
    ]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(n, width).copy()


def fixed_width_strings(matrix: np.ndarray) -> pa.Array:
    """An Arrow string array from an (n, width) matrix of UTF-8 bytes (no copy per value)."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(matrix).tobytes())],
    )


def uuid_strings(digests: bytes, upper: np.ndarray) -> pa.Array:
    """``str(uuid.UUID(bytes=d[:16], version=4))`` for each 16-byte digest, upper-cased where asked."""
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = np.empty((raw.shape[0], 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    if upper.any():
        hexed[upper] = np.where(hexed[upper] >= ord("a"), hexed[upper] - 32, hexed[upper])
    out = np.full((raw.shape[0], 36), ord("-"), dtype=np.uint8)
    for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        out[:, at : at + stop - start] = hexed[:, start:stop]
    return fixed_width_strings(out)


def _months(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(month index since 1970-01, 0-based day of month) of day counts since 1970-01-01."""
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    day0 = days - month.astype("datetime64[D]").astype(np.int64)
    return month.astype(np.int64), day0


def _month_start(month: np.ndarray) -> np.ndarray:
    return month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _check_calendar(month: np.ndarray, valid: np.ndarray, original: np.ndarray, n: int, unit: str):
    year = np.floor_divide(month, 12) + 1970
    bad = valid & ((year < 1) | (year > 9999))
    if bad.any():
        first = original[np.nonzero(bad)[0][0]]
        day = np.datetime64(int(first), unit).astype("datetime64[D]")
        raise ValueError(f"shifting {day} by {n} months leaves the calendar; use a smaller shift")


def shift_days(days: np.ndarray, valid: np.ndarray, n: int) -> np.ndarray:
    """``dates.add_months`` on day counts since 1970-01-01 (entries where ``valid`` is False ignored)."""
    month, day0 = _months(days)
    target = month + n
    _check_calendar(target, valid, days, n, "D")
    start = _month_start(target)
    length = _month_start(target + 1) - start
    return start + np.minimum(day0, length - 1)


def shift_micros(micros: np.ndarray, valid: np.ndarray, n: int) -> np.ndarray:
    """``dates.shift_timestamp`` on microsecond counts: a clamped day goes to the month's last
    microsecond, the others keep their time of day."""
    days = np.floor_divide(micros, _US_PER_DAY)
    time_of_day = micros - days * _US_PER_DAY
    month, day0 = _months(days)
    target = month + n
    _check_calendar(target, valid, days, n, "D")
    start = _month_start(target)
    length = _month_start(target + 1) - start
    clamped = day0 > length - 1
    kept = (start + day0) * _US_PER_DAY + time_of_day
    last = (start + length) * _US_PER_DAY - 1
    return np.where(clamped, last, kept)
