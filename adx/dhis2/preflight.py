"""Pre-flight validation: find what DHIS2 would reject before anything is sent.

Checks every value against a metadata snapshot of the target (CONTRACT.md §3.5, §6): data
element in the data set, category options forming one of the element's option combos (by
option codes), org unit known and assigned, period of the data set's type and open (future
periods, expiry), value matching the element's value type (DHIS2's own regexes). Some of
these DHIS2 only checks in ``strict*`` mode, or silently "fixes" (category attributes on a
default-combo element land on the default combo), which is why they are checked here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from adx.dhis2.snapshot import ComboInfo, DataSetInfo, ElementInfo, MetadataSnapshot
from adx.model import NUMERIC_VALUE_TYPES, DataValue
from adx.periods import PeriodError, add_months, parse_period
from adx.values import is_number, value_type_error

# Problem kinds.
DATA_SET_UNKNOWN = "data_set_unknown"
DATA_ELEMENT_NOT_IN_DATA_SET = "data_element_not_in_data_set"
CATEGORY_OPTIONS_INVALID = "category_options_invalid"
CATEGORY_OPTION_COMBO_MISSING = "category_option_combo_missing"
ATTRIBUTE_OPTIONS_INVALID = "attribute_options_invalid"
ORG_UNIT_UNKNOWN = "org_unit_unknown"
ORG_UNIT_NOT_ASSIGNED = "org_unit_not_assigned"
PERIOD_INVALID = "period_invalid"
PERIOD_WRONG_TYPE = "period_wrong_type"
PERIOD_NOT_OPEN = "period_not_open"
PERIOD_LOCKED = "period_locked"
VALUE_MISSING = "value_missing"
VALUE_TYPE = "value_type"
DUPLICATE_VALUE = "duplicate_value"
ZERO_NOT_STORED = "zero_not_stored"  # warning


def describe(v: DataValue) -> str:
    """A value as an operator can find it: data set/period/org unit/element[options]=value."""
    opts = ",".join(f"{c}={o}" for c, o in v.category_options)
    aoc = ",".join(f"{c}={o}" for c, o in v.attribute_options)
    return (
        f"{v.data_set}/{v.period}/{v.org_unit}/{v.data_element}"
        + (f"[{opts}]" if opts else "")
        + (f"{{{aoc}}}" if aoc else "")
        + f"={v.value!r}"
    )


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    value: DataValue | None = None
    severity: str = "error"  # error: DHIS2 rejects or misfiles it; warning: accepted but surprising

    def __str__(self) -> str:
        where = f" (value {describe(self.value)})" if self.value is not None else ""
        return f"{self.severity} {self.kind}: {self.message}{where}"


class _SnapshotSource(Protocol):
    def metadata_snapshot(
        self, data_sets: Iterable[str], org_units: Iterable[str] | None = None
    ) -> MetadataSnapshot: ...


class MetadataCache:
    """A ``metadata_snapshot`` source that asks DHIS2 once for many pre-flights (one per period of
    a range) instead of once each: it fetches again only when asked about a data set or org unit
    it has not fetched yet, and then for everything asked so far."""

    def __init__(self, source: _SnapshotSource, org_units: Iterable[str] = ()) -> None:
        self.source = source
        self._data_sets: set[str] = set()
        self._org_units: set[str] = set(org_units)  # e.g. every org unit of the run's scope
        self._snapshot: MetadataSnapshot | None = None
        self.fetches = 0

    def metadata_snapshot(
        self, data_sets: Iterable[str], org_units: Iterable[str] | None = None
    ) -> MetadataSnapshot:
        wanted_ds, wanted_ou = set(data_sets), set(org_units or ())
        if (
            self._snapshot is None
            or not wanted_ds <= self._data_sets
            or not wanted_ou <= self._org_units
        ):
            self._data_sets |= wanted_ds
            self._org_units |= wanted_ou
            self._snapshot = self.source.metadata_snapshot(
                sorted(self._data_sets), sorted(self._org_units)
            )
            self.fetches += 1
        return self._snapshot


_MONTHS_PER_TYPE = {"Monthly": 1, "BiMonthly": 2, "Quarterly": 3, "SixMonthly": 6, "Yearly": 12}


def latest_open_start(period_type: str, open_future_periods: int, today: date) -> date | None:
    """Start of the latest period DHIS2 accepts data for (E7641), None if the type is unknown.

    DHIS2: ``PeriodType.getFuturePeriod(n)`` = the previous period + n, so with
    ``openFuturePeriods = 0`` even the current, unfinished period is closed.
    """
    months = _MONTHS_PER_TYPE.get(period_type)
    if months is None:
        return None
    first_month = (today.month - 1) // months * months + 1 if months < 12 else 1
    current = date(today.year, first_month, 1)
    return add_months(current, months * (open_future_periods - 1))


def _check_options(
    pairs: tuple[tuple[str, str], ...], combo: ComboInfo, what: str
) -> tuple[str, str] | None:
    """(kind, message) if ``pairs`` do not name exactly one option combo of ``combo``."""
    bad_kind = CATEGORY_OPTIONS_INVALID if what == "category" else ATTRIBUTE_OPTIONS_INVALID
    if combo.is_default:
        if pairs:
            return bad_kind, (
                f"{what} options {dict(pairs)} given, but the combo is the default one (no "
                "categories); DHIS2 would silently store the value on the default option combo"
            )
        return None
    given = dict(pairs)
    if len(given) != len(pairs):
        return bad_kind, f"a category appears twice in {what} options {list(pairs)}"
    expected = combo.category_codes()
    missing = [c for c in expected if c not in given]
    extra = [c for c in given if c not in expected]
    if missing or extra:
        return bad_kind, (
            f"{what} options must name exactly the categories {list(expected)} of combo "
            f"{combo.code!r}; missing {missing}, not in the combo {extra}"
        )
    for cat, options in combo.categories:
        if given[cat] not in options:
            return bad_kind, (
                f"option {given[cat]!r} is not an option of category {cat!r} (allowed: {list(options)})"
            )
    if combo.cocs is not None and frozenset(given.values()) not in combo.cocs:
        return CATEGORY_OPTION_COMBO_MISSING, (
            f"combo {combo.code!r} has no option combination {sorted(given.values())} in DHIS2; "
            "run the category option combo maintenance (POST /api/maintenance/categoryOptionComboUpdate)"
        )
    return None


def preflight(
    values: Iterable[DataValue],
    client_or_metadata: MetadataSnapshot | _SnapshotSource,
    *,
    data_sets: Iterable[str] | None = None,
    today: date | None = None,
) -> list[Problem]:
    """Every problem DHIS2 would have with ``values``, each naming the value.

    ``client_or_metadata``: a ``MetadataSnapshot`` or anything with ``metadata_snapshot``
    (a ``DHIS2Client``), which is then asked about ``data_sets`` (default: those the values
    use) and the org units the values use.
    """
    vals: Sequence[DataValue] = values if isinstance(values, Sequence) else list(values)
    if isinstance(client_or_metadata, MetadataSnapshot):
        snapshot = client_or_metadata
    else:
        ds_codes = sorted(set(data_sets) if data_sets is not None else {v.data_set for v in vals})
        ou_codes = sorted({v.org_unit for v in vals})
        snapshot = client_or_metadata.metadata_snapshot(ds_codes, ou_codes)
    allowed = set(data_sets) if data_sets is not None else None
    today = today or date.today()
    problems: list[Problem] = []
    seen: set[ValueKey] = set()
    # Most checks depend on a few fields only: cache their findings (1M values, few cells).
    ou_cache: dict[tuple[str, str], list[Finding]] = {}
    period_cache: dict[tuple[str, str], list[Finding]] = {}
    option_cache: dict[tuple[str, str, Options, Options], list[Finding]] = {}

    for v in vals:
        key = (v.data_set, v.period, v.org_unit, v.data_element,
               frozenset(v.category_options), frozenset(v.attribute_options))  # fmt: skip
        if key in seen:
            problems.append(Problem(DUPLICATE_VALUE, _DUPLICATE, v))
        seen.add(key)

        ds = snapshot.data_sets.get(v.data_set)
        if ds is None or (allowed is not None and v.data_set not in allowed):
            problems.append(Problem(DATA_SET_UNKNOWN, _unknown_data_set(v.data_set), v))
            continue

        found = ou_cache.get((ds.code, v.org_unit))
        if found is None:
            found = ou_cache[ds.code, v.org_unit] = _org_unit_findings(snapshot, ds, v.org_unit)
        found2 = period_cache.get((ds.code, v.period))
        if found2 is None:
            found2 = period_cache[ds.code, v.period] = _period_findings(ds, v.period, today)
        okey = (ds.code, v.data_element, v.category_options, v.attribute_options)
        found3 = option_cache.get(okey)
        if found3 is None:
            found3 = option_cache[okey] = _option_findings(ds, v)
        for kind, message, severity in (*found, *found2, *found3):
            problems.append(Problem(kind, message, v, severity))
        de = ds.elements.get(v.data_element)
        if de is None:
            continue

        problem = _value_problem(v, de)
        if problem is not None:
            problems.append(problem)
    return problems


def _value_problem(v: DataValue, de: ElementInfo) -> Problem | None:
    """What DHIS2 would say about the value itself (missing, wrong type, an unstored zero)."""
    if v.value is None or v.value == "":
        return Problem(VALUE_MISSING, f"no value for data element {de.code!r} (E7618)", v)
    err = value_type_error(v.value, de.value_type)
    if err:
        return Problem(
            VALUE_TYPE, f"{err}: {v.value!r} for {de.code!r} ({de.value_type}) (E7619)", v
        )
    if (
        not de.zero_is_significant
        and de.value_type in NUMERIC_VALUE_TYPES
        and is_number(v.value)
        and float(v.value) == 0
    ):
        return Problem(
            ZERO_NOT_STORED,
            f"zero for {de.code!r} (zeroIsSignificant=false) is not stored; an existing "
            "value is deleted",
            v,
            "warning",
        )
    return None


Finding = tuple[str, str, str]  # kind, message, severity
Options = tuple[tuple[str, str], ...]
# data set, period, org unit, data element, category options, attribute options (any order)
ValueKey = tuple[str, str, str, str, frozenset[tuple[str, str]], frozenset[tuple[str, str]]]
_DUPLICATE = "the same value key appears more than once; DHIS2 would keep only the last"


def _unknown_data_set(code: str) -> str:
    return f"data set {code!r} does not exist in the target DHIS2 (by code)"


def _org_unit_findings(snapshot: MetadataSnapshot, ds: DataSetInfo, org_unit: str) -> list[Finding]:
    if snapshot.org_units is not None and org_unit not in snapshot.org_units:
        return [
            (
                ORG_UNIT_UNKNOWN,
                f"org unit {org_unit!r} does not exist in the target DHIS2 (by code)",
                "error",
            )
        ]
    if org_unit not in ds.org_units:
        return [
            (
                ORG_UNIT_NOT_ASSIGNED,
                f"org unit {org_unit!r} is not assigned to data set {ds.code!r}; add it to the "
                "data set's organisation units",
                "error",
            )
        ]
    return []


def _period_findings(ds: DataSetInfo, pid: str, today: date) -> list[Finding]:
    try:
        period = parse_period(pid)
    except PeriodError as exc:
        return [(PERIOD_INVALID, f"period {pid!r} is not a DHIS2 period id: {exc}", "error")]
    if period.period_type != ds.period_type:
        return [
            (
                PERIOD_WRONG_TYPE,
                f"period {pid!r} is {period.period_type}, data set {ds.code!r} is {ds.period_type}",
                "error",
            )
        ]
    out: list[Finding] = []
    latest = latest_open_start(ds.period_type, ds.open_future_periods, today)
    if latest is None:
        out.append(
            (PERIOD_NOT_OPEN, f"cannot check future periods for type {ds.period_type}", "warning")
        )
    elif period.start > latest:
        out.append(
            (
                PERIOD_NOT_OPEN,
                f"period {pid!r} is after the latest open period of data set {ds.code!r} "
                f"(openFuturePeriods={ds.open_future_periods}, today {today}); DHIS2 rejects it "
                "(E7641). The current period needs openFuturePeriods >= 1",
                "error",
            )
        )
    if ds.expiry_days > 0 and today > period.last_day + timedelta(days=ds.expiry_days):
        out.append(
            (
                PERIOD_LOCKED,
                f"period {pid!r} is locked: data set {ds.code!r} expires data "
                f"{ds.expiry_days} days after the period ends (E7640)",
                "error",
            )
        )
    return out


def _option_findings(ds: DataSetInfo, v: DataValue) -> list[Finding]:
    out: list[Finding] = []
    bad = _check_options(v.attribute_options, ds.attribute_combo, "attribute")
    if bad:
        out.append((*bad, "error"))
    de = ds.elements.get(v.data_element)
    if de is None:
        out.append(
            (
                DATA_ELEMENT_NOT_IN_DATA_SET,
                f"data element {v.data_element!r} is not in data set {ds.code!r}",
                "error",
            )
        )
        return out
    bad = _check_options(v.category_options, de.combo, "category")
    if bad:
        out.append((*bad, "error"))
    return out


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def summarise(problems: Sequence[Problem], limit: int = 10) -> str:
    """Counts per kind plus the first few problems, for logs and CLI output."""
    if not problems:
        return "pre-flight: no problems"
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    head = "pre-flight: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    lines = [head] + [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)
