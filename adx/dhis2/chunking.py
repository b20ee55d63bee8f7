"""Split a stream of data values into push chunks of whole ADX groups.

A group is one data set x org unit x period x attribute options (what one ADX ``<group>``
holds). Chunks never split a group, so a chunk is a valid, self-contained document and a
re-sent chunk re-sends exactly the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from adx.adx_xml import GroupKey, group_key, sort_values
from adx.model import DataValue

__all__ = ["GroupKey", "group_key", "iter_chunks", "iter_groups", "sort_values"]


class UnsortedValuesError(ValueError):
    """A streamed (non-list) input was not sorted by group key."""


def iter_groups(values: Iterable[DataValue]) -> Iterator[list[DataValue]]:
    """Consecutive values with the same group key. Lists/tuples are sorted first; an iterator
    must already be sorted (checked: a group key that comes back raises UnsortedValuesError)."""
    if isinstance(values, Sequence):
        values = sort_values(values)
    done: set[GroupKey] = set()
    current: list[DataValue] = []
    key: GroupKey | None = None
    for v in values:
        k = group_key(v)
        if k != key:
            if current:
                yield current
            if k in done:
                raise UnsortedValuesError(
                    f"values are not sorted by group (data set, org unit, period, attribute "
                    f"options): group {k} appears twice; pass a list or sort with "
                    "adx.adx_xml.sort_values"
                )
            if key is not None:
                done.add(key)
            key, current = k, []
        current.append(v)
    if current:
        yield current


# (data element, category options) -> bytes of a value's fixed part
PrefixSizes = dict[tuple[str, tuple[tuple[str, str], ...]], int]


def estimate_bytes(group: Sequence[DataValue], _prefix: PrefixSizes | None = None) -> int:
    """Rough serialised size of a group (ADX or JSON), used to pack chunks under a byte cap.

    The real body is measured after serialisation; an over-size chunk is split again.
    ``_prefix`` caches the per-(element, options) part, as the writers do.
    """
    prefix = {} if _prefix is None else _prefix
    first = group[0]
    size = 60 + len(first.data_set) + len(first.org_unit) + len(first.period)
    size += sum(len(c) + len(o) + 4 for c, o in first.attribute_options)
    for v in group:
        key = (v.data_element, v.category_options)
        fixed = prefix.get(key)
        if fixed is None:
            fixed = prefix[key] = (
                60 + len(v.data_element) + sum(len(c) + len(o) + 6 for c, o in v.category_options)
            )
        size += fixed + len(v.value)
        if v.comment:
            size += len(v.comment)
    return size


def iter_chunks(
    values: Iterable[DataValue],
    *,
    max_groups: int | None = None,
    max_bytes: int | None = None,
) -> Iterator[list[list[DataValue]]]:
    """Chunks as lists of groups: at most ``max_groups`` groups and about ``max_bytes`` bytes."""
    chunk: list[list[DataValue]] = []
    size = 0
    prefix: PrefixSizes = {}
    for group in iter_groups(values):
        est = estimate_bytes(group, prefix) if max_bytes is not None else 0
        full = (max_groups is not None and len(chunk) >= max_groups) or (
            max_bytes is not None and chunk and size + est > max_bytes
        )
        if full:
            yield chunk
            chunk, size = [], 0
        chunk.append(group)
        size += est
    if chunk:
        yield chunk
