"""Bundle step: data elements, the optional org unit hierarchy, and data sets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adx.dhis2.bundle.categories import combo_uid
from adx.dhis2.bundle.common import (
    MAX_SHORT_NAME,
    PUBLIC_DATA_WRITE,
    BuildContext,
    unique_name,
    unique_short,
)
from adx.dhis2.uids import DEFAULT_CATEGORY_COMBO, UidRegistry, uid_for
from adx.json_types import JsonObject
from adx.model import Catalogue, DataElement, DefinitionError


@dataclass(frozen=True)
class OrgUnit:
    """An organisation unit for the optional hierarchy in the bundle.

    ``uid`` pins an existing DHIS2 UID; otherwise one is derived from the code.
    """

    code: str
    name: str
    parent_code: str | None = None
    uid: str | None = None
    opening_date: str = "2000-01-01"

    @property
    def id(self) -> str:
        return self.uid or uid_for("organisationUnit", self.code)


def data_element_objects(
    ctx: BuildContext, elements: Mapping[str, DataElement]
) -> list[JsonObject]:
    out: list[JsonObject] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for de in elements.values():
        ctx.check("dataElement", de.code)
        obj = {
            "id": ctx.reg.uid("dataElement", de.code),
            "code": de.code,
            "name": unique_name(de.name, de.code, names),
            "shortName": unique_short(de.short_name or de.name, de.code, shorts),
            "valueType": de.value_type,
            "aggregationType": de.aggregation_type,
            "domainType": "AGGREGATE",
            "zeroIsSignificant": de.zero_is_significant,
            "categoryCombo": {"id": combo_uid(de)},
        }
        if de.description:
            obj["description"] = de.description
        out.append(obj)
    return out


def org_unit_objects(
    ctx: BuildContext, org_units: Sequence[OrgUnit]
) -> tuple[dict[str, OrgUnit], list[JsonObject]]:
    """Org units by code, and their objects with parents before children."""
    by_code: dict[str, OrgUnit] = {}
    for ou in org_units:
        ctx.check("organisationUnit", ou.code)
        by_code[ou.code] = ou
    return by_code, _ordered_org_units(by_code, ctx.reg)


def _ordered_org_units(ou_by_code: Mapping[str, OrgUnit], reg: UidRegistry) -> list[JsonObject]:
    """Org unit objects with parents before children; refuses unknown parents and cycles."""
    out: list[JsonObject] = []
    done: set[str] = set()

    def emit(code: str, chain: tuple[str, ...]) -> None:
        if code in done:
            return
        if code in chain:
            raise DefinitionError(f"org unit hierarchy has a cycle: {' -> '.join((*chain, code))}")
        ou = ou_by_code[code]
        if ou.parent_code is not None:
            if ou.parent_code not in ou_by_code:
                raise DefinitionError(
                    f"org unit {ou.code!r} has parent {ou.parent_code!r}, which is not in org_units"
                )
            emit(ou.parent_code, (*chain, code))
        obj: JsonObject = {
            "id": reg.claim(ou.id, "organisationUnit", ou.code),
            "code": ou.code,
            "name": ou.name,
            "shortName": ou.name[:MAX_SHORT_NAME].strip() or ou.code,
            "openingDate": ou.opening_date,
        }
        if ou.parent_code is not None:
            obj["parent"] = {"id": ou_by_code[ou.parent_code].id}
        out.append(obj)
        done.add(code)

    for code in ou_by_code:
        emit(code, ())
    return out


def data_set_objects(
    ctx: BuildContext,
    catalogue: Catalogue,
    ou_by_code: Mapping[str, OrgUnit],
    data_set_org_units: Mapping[str, Sequence[str]] | None,
) -> list[JsonObject]:
    """Data sets with their elements and assigned org units (all of ``ou_by_code`` when ``None``)."""
    out: list[JsonObject] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for ds in catalogue.data_sets:
        ctx.check("dataSet", ds.code)
        ds_uid = ctx.reg.uid("dataSet", ds.code)
        if data_set_org_units is None:
            assigned = list(ou_by_code)
        else:
            assigned = list(data_set_org_units.get(ds.code, ()))
        for code in assigned:
            if code not in ou_by_code:
                raise DefinitionError(
                    f"data set {ds.code!r} is assigned org unit {code!r}, which is not in org_units; "
                    "add it (with uid= if it already exists in DHIS2)"
                )
        obj = {
            "id": ds_uid,
            "code": ds.code,
            "name": unique_name(ds.name, ds.code, names),
            "shortName": unique_short(ds.name, ds.code, shorts),
            "periodType": ds.period_type,
            "categoryCombo": {"id": DEFAULT_CATEGORY_COMBO},
            "openFuturePeriods": ds.open_future_periods,
            "expiryDays": 0,
            "sharing": dict(PUBLIC_DATA_WRITE),
            "dataSetElements": [
                {"dataSet": {"id": ds_uid}, "dataElement": {"id": uid_for("dataElement", de.code)}}
                for de in ds.data_elements
            ],
            "organisationUnits": [{"id": ou_by_code[c].id} for c in dict.fromkeys(assigned)],
        }
        if ds.description:
            obj["description"] = ds.description
        out.append(obj)
    if data_set_org_units is not None:
        unknown = set(data_set_org_units) - {ds.code for ds in catalogue.data_sets}
        if unknown:
            raise DefinitionError(f"data_set_org_units names unknown data sets {sorted(unknown)}")
    return out
