"""A metadata snapshot of the target DHIS2: what pre-flight validation and JSON pushes need.

Built either from DHIS2's metadata API (``DHIS2Client.metadata_snapshot``) or offline from
our own data set definitions (``MetadataSnapshot.from_definitions``), so validation can run
and be tested without HTTP. Everything is keyed by *code*, as our data values are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adx.dhis2.uids import DEFAULT_CATEGORY_COMBO, DEFAULT_CATEGORY_OPTION_COMBO
from adx.model import DataSetDefinition, DataValue


@dataclass(frozen=True)
class ComboInfo:
    """A category combo: its categories (code, option codes) and, if read, its option combos."""

    code: str
    uid: str | None = None
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Option-code set -> COC uid. None: COCs were not read (offline snapshot). Option codes are
    # unique per object type in DHIS2, so the set identifies the combination.
    cocs: Mapping[frozenset[str], str | None] | None = None

    @property
    def is_default(self) -> bool:
        return not self.categories

    def category_codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.categories)

    def options_of(self, coc_uid: str) -> tuple[tuple[str, str], ...] | None:
        """(category, option) pairs, in category order, of one of this combo's COC uids.

        The default combo's COC is accepted by UID or by its code ``default``, which is what DHIS2 writes
        for it when the output scheme is CODE (``idScheme=CODE`` also drives the attribute option combo).
        """
        if self.is_default:
            return () if coc_uid in (DEFAULT_CATEGORY_OPTION_COMBO, "default") else None
        for options, uid in (self.cocs or {}).items():
            if uid == coc_uid:
                pairs = []
                for cat, cat_options in self.categories:
                    pairs += [(cat, o) for o in cat_options if o in options]
                return tuple(pairs)
        return None

    def coc_uid(self, options: Iterable[tuple[str, str]]) -> str | None:
        """UID of the option combo for (category, option) pairs; None if unknown/not read."""
        if self.is_default:
            return DEFAULT_CATEGORY_OPTION_COMBO
        if self.cocs is None:
            return None
        return self.cocs.get(frozenset(o for _, o in options))


DEFAULT_COMBO = ComboInfo(code="default", uid=DEFAULT_CATEGORY_COMBO)


@dataclass(frozen=True)
class ElementInfo:
    code: str
    value_type: str
    combo: ComboInfo = DEFAULT_COMBO
    uid: str | None = None
    zero_is_significant: bool = False


@dataclass(frozen=True)
class DataSetInfo:
    code: str
    period_type: str
    elements: Mapping[str, ElementInfo]
    org_units: frozenset[str]  # codes of the org units the data set is assigned to
    open_future_periods: int = 0
    expiry_days: int = 0
    attribute_combo: ComboInfo = DEFAULT_COMBO
    uid: str | None = None


@dataclass(frozen=True)
class OrgUnitInfo:
    code: str
    uid: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class MetadataSnapshot:
    data_sets: Mapping[str, DataSetInfo]
    # Org units known to exist, by code. ``None``: existence unknown, only assignment is checked.
    org_units: Mapping[str, OrgUnitInfo] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def coc_uid(self, value: DataValue) -> str | None:
        """The COC uid DHIS2 would resolve ``value``'s category options to (None if unknown)."""
        ds = self.data_sets.get(value.data_set)
        de = ds.elements.get(value.data_element) if ds else None
        return de.combo.coc_uid(value.category_options) if de else None

    @classmethod
    def from_definitions(
        cls,
        data_sets: Iterable[DataSetDefinition],
        org_units: Mapping[str, Iterable[str]] | Iterable[str],
        *,
        open_future_periods: Mapping[str, int] | None = None,
    ) -> MetadataSnapshot:
        """Offline snapshot from our own definitions.

        ``org_units``: org unit codes assigned to every data set, or a mapping data set code ->
        codes. The result has no COC uids (``cocs=None``), so only codes are checked.
        """
        defs = list(data_sets)
        if isinstance(org_units, Mapping):
            assigned = {k: frozenset(v) for k, v in org_units.items()}
        else:
            shared = frozenset(org_units)
            assigned = {d.code: shared for d in defs}
        out: dict[str, DataSetInfo] = {}
        for d in defs:
            elements = {}
            for de in d.data_elements:
                combo = (
                    ComboInfo(
                        code=de.category_combo_code,
                        categories=tuple((c.code, c.option_codes()) for c in de.categories),
                    )
                    if de.categories
                    else DEFAULT_COMBO
                )
                elements[de.code] = ElementInfo(
                    code=de.code,
                    value_type=de.value_type,
                    combo=combo,
                    zero_is_significant=de.zero_is_significant,
                )
            out[d.code] = DataSetInfo(
                code=d.code,
                period_type=d.period_type,
                elements=elements,
                org_units=assigned.get(d.code, frozenset()),
                open_future_periods=(open_future_periods or {}).get(d.code, d.open_future_periods),
            )
        all_ous = frozenset().union(*assigned.values()) if assigned else frozenset()
        return cls(data_sets=out, org_units={c: OrgUnitInfo(c) for c in all_ous})

    @classmethod
    def from_dhis2(
        cls,
        data_sets: Iterable[Mapping[str, Any]],
        option_combos: Iterable[Mapping[str, Any]] | None,
        org_units: Iterable[Mapping[str, Any]] | None,
    ) -> MetadataSnapshot:
        """Build from DHIS2 API JSON (field lists as in ``DHIS2Client``).

        ``option_combos``: COCs with ``categoryCombo[id]`` and ``categoryOptions[code]``;
        None if they were not read. ``org_units``: the org units found by code, or None.
        """
        # COCs without a categoryCombo land under None (never looked up: combos have ids)
        cocs_by_combo: dict[str | None, dict[frozenset[str], str | None]] | None = None
        if option_combos is not None:
            cocs_by_combo = {}
            for coc in option_combos:
                combo_id = (coc.get("categoryCombo") or {}).get("id")
                key = frozenset(o.get("code") for o in coc.get("categoryOptions") or ())
                cocs_by_combo.setdefault(combo_id, {})[key] = coc.get("id")

        def combo(raw: Mapping[str, Any] | None) -> ComboInfo:
            if not raw or raw.get("id") == DEFAULT_CATEGORY_COMBO or raw.get("code") == "default":
                return DEFAULT_COMBO
            cats = tuple(
                (
                    c.get("code"),
                    tuple(o.get("code") for o in c.get("categoryOptions") or ()),
                )
                for c in raw.get("categories") or ()
            )
            if not cats:
                return DEFAULT_COMBO
            uid: str = raw["id"]  # the metadata API always gives a combo's id
            cocs = None if cocs_by_combo is None else cocs_by_combo.get(uid, {})
            return ComboInfo(code=raw.get("code") or uid, uid=uid, categories=cats, cocs=cocs)

        out: dict[str, DataSetInfo] = {}
        for ds in data_sets:
            elements: dict[str, ElementInfo] = {}
            for dse in ds.get("dataSetElements") or ():
                de = dse.get("dataElement") or {}
                code = de.get("code")
                if not code:
                    continue  # an element without a code can never be addressed by ADX
                elements[code] = ElementInfo(
                    code=code,
                    uid=de.get("id"),
                    value_type=de.get("valueType") or "TEXT",
                    zero_is_significant=bool(de.get("zeroIsSignificant")),
                    combo=combo(de.get("categoryCombo")),
                )
            out[ds["code"]] = DataSetInfo(
                code=ds["code"],
                uid=ds.get("id"),
                period_type=ds.get("periodType") or "",
                elements=elements,
                org_units=frozenset(
                    o.get("code") for o in ds.get("organisationUnits") or () if o.get("code")
                ),
                open_future_periods=int(ds.get("openFuturePeriods") or 0),
                expiry_days=int(ds.get("expiryDays") or 0),
                attribute_combo=combo(ds.get("categoryCombo")),
            )
        ous = None
        if org_units is not None:
            ous = {
                o["code"]: OrgUnitInfo(code=o["code"], uid=o.get("id"), path=o.get("path"))
                for o in org_units
                if o.get("code")
            }
        return cls(data_sets=out, org_units=ous)
