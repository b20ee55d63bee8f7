"""Stale-value removal: after a push, delete what DHIS2 still holds but we no longer compute.

A correction can make a value disappear (a claim re-dated to another month, an org unit
merged away). Re-pushing the new cube updates what exists in it but leaves the vanished
value in DHIS2. So, for an explicit scope (data set x org units x periods that the run was
responsible for), read back DHIS2's values and delete (``importStrategy=DELETE``) every one
whose key the new output lacks. The scope is passed by the caller, not inferred from the
new values, so an org unit that vanished from the output entirely is still cleaned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from adx.dhis2.import_summary import ImportResult
from adx.dhis2.push import PushOptions
from adx.model import DataSetDefinition, DataValue

# a value's identity in DHIS2: data set, period, org unit, element, category and attribute options
Identity = tuple[str, str, str, str, frozenset[tuple[str, str]], frozenset[tuple[str, str]]]


@dataclass(frozen=True)
class Scope:
    """What one run is responsible for in DHIS2: a data set, org units and periods (codes/ids)."""

    data_set: str
    org_units: tuple[str, ...]
    periods: tuple[str, ...]

    @classmethod
    def of(cls, data_set: str, org_units: Iterable[str], periods: Iterable[str]) -> Scope:
        return cls(data_set, tuple(sorted(set(org_units))), tuple(sorted(set(periods))))

    def contains(self, v: DataValue) -> bool:
        return (
            v.data_set == self.data_set
            and v.org_unit in self.org_units
            and v.period in self.periods
        )


def identity(v: DataValue) -> Identity:
    """A value's key in DHIS2, independent of the order category options are listed in."""
    return (
        v.data_set,
        v.period,
        v.org_unit,
        v.data_element,
        frozenset(v.category_options),
        frozenset(v.attribute_options),
    )


def find_stale(
    current: Iterable[DataValue], existing: Iterable[DataValue], scope: Scope
) -> list[DataValue]:
    """Values of ``existing`` inside ``scope`` whose key is not produced by ``current``."""
    keep = {identity(v) for v in current if scope.contains(v)}
    return [v for v in existing if scope.contains(v) and identity(v) not in keep]


class _Client(Protocol):
    def read_values(
        self,
        data_set: str,
        periods: Iterable[str],
        org_units: Iterable[str],
        format: str = "adx",
        *,
        data_sets: Mapping[str, DataSetDefinition] | None = None,
    ) -> list[DataValue]: ...

    def push(
        self,
        values: Iterable[DataValue],
        options: PushOptions | None = None,
        *,
        data_sets: Mapping[str, DataSetDefinition] | None = None,
    ) -> ImportResult: ...


@dataclass(frozen=True)
class SyncResult:
    """What stale-value removal found and what DHIS2 said about deleting it."""

    stale: tuple[DataValue, ...]
    result: ImportResult | None  # None when nothing was stale
    dry_run: bool = False

    @property
    def deleted(self) -> int:
        return self.result.deleted if self.result else 0

    def ok(self) -> bool:
        """Every stale value was deleted (a dry run counts DHIS2's would-be deletions)."""
        if self.result is None:
            return True
        return self.result.ok() and self.result.deleted == len(self.stale)

    def summary(self) -> str:
        if not self.stale:
            return "stale values: none"
        head = f"stale values: {len(self.stale)} found, {self.deleted} deleted"
        if self.dry_run:
            head += " (dry run)"
        if not self.ok() and self.result is not None:
            head += f"; DHIS2: {self.result.summary()}"
        return head


def remove_stale(
    client: _Client,
    current: Iterable[DataValue],
    scopes: Scope | Sequence[Scope],
    *,
    dry_run: bool = False,
    data_sets: Mapping[str, DataSetDefinition] | None = None,
    options: PushOptions | None = None,
) -> SyncResult:
    """Read back every scope, delete the values ``current`` no longer has, report them.

    ``scopes``: one :class:`Scope` or several (``Scope.of(data_set, org_units, periods)``). Call it
    after a successful push of ``current``: a failed push must not delete anything.
    ``data_sets`` (code -> DataSetDefinition) goes to the ADX reader and writer (text values
    need their annotation on delete too). ``options`` shape the delete push (its strategy
    and dry-run flag are set here).
    """
    scope_list = [scopes] if isinstance(scopes, Scope) else list(scopes)
    cur = current if isinstance(current, Sequence) else list(current)
    stale: list[DataValue] = []
    for scope in scope_list:
        if not scope.org_units or not scope.periods:
            continue
        # without data sets, the client's own default (fakes in tests need not take the keyword)
        if data_sets is not None:
            existing = client.read_values(
                scope.data_set, scope.periods, scope.org_units, data_sets=data_sets
            )
        else:
            existing = client.read_values(scope.data_set, scope.periods, scope.org_units)
        stale += find_stale(cur, existing, scope)
    if not stale:
        return SyncResult((), None, dry_run)
    delete = (options or PushOptions()).with_(import_strategy="DELETE", dry_run=dry_run)
    result = client.push(stale, delete, data_sets=data_sets)
    return SyncResult(tuple(stale), result, dry_run)
