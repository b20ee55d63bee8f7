"""``GET /api/dataValueSets`` in JSON and ADX (CONTRACT.md §3.4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lxml import etree

from . import periods
from .responses import web_message
from .schema import DEFAULT_CATEGORY_COMBO, UID_RE
from .store import Store, StoredValue, User, normalize_scheme, property_value
from .valuetypes import is_numeric

ADX_NS = "urn:ihe:qrph:adx:2015"


class ReadError(Exception):
    def __init__(self, code: str | None, message: str, http: int = 409):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http = http

    def body(self) -> dict:
        return web_message(self.http, "ERROR", self.message, errorCode=self.code)


def _fmt(stamp: dt.datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _uid_or_code(store: Store, plural: str, ident: str) -> dict | None:
    """UID tried first when it looks like one, then code; unknown ones are dropped (§6.21)."""
    if UID_RE.match(ident):
        found = store.get(plural, ident)
        if found:
            return found
    return store.lookup(plural, "CODE", ident)


def _resolver(store: Store, params: dict[str, list[str]], adx: bool, strict_uid: bool):
    """How ``dataSet``/``dataElement``/``orgUnit`` parameters are resolved.

    ADX read-back accepts UID or code. JSON read-back resolves them by the *input* schemes
    (``inputDataSetIdScheme`` / ``inputDataElementIdScheme`` / ``inputOrgUnitIdScheme`` > ``inputIdScheme`` >
    UID): ``DataValueSetQueryParams.getInputIdSchemes`` (2.39-2.42), ``DefaultDataExportService.decodeParams``
    (2.43). Unknown ids are dropped, so a code sent under UID ends in E2001/E2006. In 2.43 a non-UID string
    under the UID scheme fails ``UID.of`` (``strict_uid``).
    """
    specific = {"dataSets": "inputDataSetIdScheme", "dataElements": "inputDataElementIdScheme",
                "organisationUnits": "inputOrgUnitIdScheme"}  # fmt: skip

    def resolve(plural: str, ident: str) -> dict | None:
        if adx:
            return _uid_or_code(store, plural, ident)
        raw = params.get(specific[plural]) or params.get("inputIdScheme")
        scheme = normalize_scheme(raw[0]) if raw else "UID"
        if scheme == "UID":
            if strict_uid and not UID_RE.match(ident):
                raise ReadError(None, f"UID must be an alphanumeric string of 11 characters starting with a letter, "
                                      f"but was: {ident}")  # fmt: skip
            return store.get(plural, ident)
        return store.lookup(plural, scheme, ident)

    return resolve


def _split(params: dict[str, list[str]], name: str) -> list[str]:
    return [p.strip() for v in params.get(name, []) for p in v.split(",") if p.strip()]


def _can_data_read(user: User, obj: dict) -> bool:
    if user.superuser:
        return True
    public = (obj.get("sharing") or {}).get("public") or obj.get("publicAccess") or "--------"
    access = (((obj.get("sharing") or {}).get("users") or {}).get(user.uid) or {}).get("access", "")
    return (len(public) > 2 and public[2] == "r") or (len(access) > 2 and access[2] == "r")


def select(
    store: Store,
    user: User,
    params: dict[str, list[str]],
    adx: bool = True,
    strict_uid: bool = False,
) -> tuple[list[dict], list[StoredValue]]:
    """Validate the query like ``DataValueSetService.validate`` and return (data sets, matching values).

    Its checks in order: data items (E2001), periods or dates (E2002-E2004), org units (E2006), read
    access (E2010, E2012), then ``lastUpdated``/``lastUpdatedDuration`` (E2005) while filtering.
    """
    resolve = _resolver(store, params, adx, strict_uid)
    data_sets, data_elements = _data_items(resolve, params)
    period_ids, start_date, end_date = _period_range(params)
    org_units = [
        o for o in (resolve("organisationUnits", i) for i in _split(params, "orgUnit")) if o
    ]
    if not org_units:
        raise ReadError(
            "E2006", "At least one organisation unit or organisation unit group must be specified"
        )
    _check_read_access(store, user, data_sets, org_units)
    children = params.get("children", ["false"])[0].lower() == "true"
    ou_ids: set[str] = set()
    for ou in org_units:
        ou_ids |= store.descendants(ou["id"]) if children else {ou["id"]}
    de_ids = {d["id"] for d in data_elements}
    for ds in data_sets:
        de_ids |= {e["dataElement"]["id"] for e in ds.get("dataSetElements", [])}
    wanted = _ValueFilter(
        de_ids=de_ids,
        ou_ids=ou_ids,
        aoc_ids={a for a in _split(params, "attributeOptionCombo")},
        by_period=bool(period_ids),
        period_isos={p.iso for p in (periods.parse_iso(i) for i in period_ids) if p},
        start_date=start_date,
        end_date=end_date,
        since=_last_updated_since(params),
    )
    include_deleted = params.get("includeDeleted", ["false"])[0].lower() == "true"
    rows = [value for value in store.iter_values(include_deleted) if wanted.keeps(value)]
    rows.sort(
        key=lambda v: (
            v.period,
            v.org_unit,
            v.data_element,
            v.category_option_combo,
            v.attribute_option_combo,
        )
    )
    return data_sets, rows


def _data_items(resolve, params: dict[str, list[str]]) -> tuple[list[dict], list[dict]]:
    """The data sets and data elements asked for, unknown ones dropped; at least one (E2001)."""
    data_sets = [d for d in (resolve("dataSets", i) for i in _split(params, "dataSet")) if d]
    data_elements = [
        d for d in (resolve("dataElements", i) for i in _split(params, "dataElement")) if d
    ]
    if not data_sets and not data_elements:
        raise ReadError(
            "E2001", "At least one data element, data set or data element group must be specified"
        )
    return data_sets, data_elements


def _period_range(
    params: dict[str, list[str]],
) -> tuple[list[str], dt.date | None, dt.date | None]:
    """Periods, or start and end dates, or a last-updated bound (E2002); not periods and dates both
    (E2003); start not after end (E2004)."""
    period_ids = _split(params, "period")
    start = params.get("startDate", [None])[0]
    end = params.get("endDate", [None])[0]
    if (
        not period_ids
        and not (start and end)
        and not params.get("lastUpdated")
        and not params.get("lastUpdatedDuration")
    ):
        raise ReadError("E2002", "At least one period, start/end dates, last updated or last updated duration must "
                                 "be specified")  # fmt: skip
    if period_ids and (start or end):
        raise ReadError("E2003", "Both periods and start/end date cannot be specified")
    start_date = dt.date.fromisoformat(start) if start else None
    end_date = dt.date.fromisoformat(end) if end else None
    if start_date and end_date and start_date > end_date:
        raise ReadError("E2004", "Start date must be before end date")
    return period_ids, start_date, end_date


def _check_read_access(
    store: Store, user: User, data_sets: list[dict], org_units: list[dict]
) -> None:
    """Data-read sharing on every data set (E2010), every org unit in the user's hierarchy (E2012)."""
    for ds in data_sets:
        if not _can_data_read(user, ds):
            raise ReadError("E2010", f"User is not allowed to read data for data set: `{ds['id']}`")
    for ou in org_units:
        if not store.in_hierarchy(user, ou["id"]):
            raise ReadError("E2012", f"User is not allowed to view org unit: `{ou['id']}`")


@dataclass(slots=True)
class _ValueFilter:
    """Which stored values a validated query returns."""

    de_ids: set[str]
    ou_ids: set[str]
    aoc_ids: set[str]
    by_period: bool  # periods were asked for (even if none of them parses)
    period_isos: set[str]
    start_date: dt.date | None
    end_date: dt.date | None
    since: dt.datetime | None

    def keeps(self, value: StoredValue) -> bool:
        if value.data_element not in self.de_ids or value.org_unit not in self.ou_ids:
            return False
        if self.since is not None and value.last_updated < self.since:
            return False
        if self.aoc_ids and value.attribute_option_combo not in self.aoc_ids:
            return False
        if self.by_period:
            return value.period in self.period_isos
        if self.start_date and self.end_date:
            p = periods.parse_iso(value.period)
            return not (p is None or p.start < self.start_date or p.last_day > self.end_date)
        return True


_DURATION = re.compile(r"^(\d+)([smhd])$")


def _last_updated_since(params: dict[str, list[str]]) -> dt.datetime | None:
    """``lastUpdated`` (a date or datetime) or ``lastUpdatedDuration`` (``10d``, ``2h``, ``30m``, ``45s``)."""
    if params.get("lastUpdated"):
        text = params["lastUpdated"][0]
        try:
            return dt.datetime.fromisoformat(text.replace("Z", ""))
        except ValueError:
            raise ReadError(None, f"Invalid lastUpdated: `{text}`") from None
    if params.get("lastUpdatedDuration"):
        text = params["lastUpdatedDuration"][0]
        match = _DURATION.match(text.strip())
        if not match:
            raise ReadError("E2005", f"Duration is not valid: `{text}`")
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return now - dt.timedelta(**{unit: int(match.group(1))})
    return None


def _out_schemes(params: dict[str, list[str]], default: str) -> dict[str, str]:
    base = normalize_scheme(params["idScheme"][0]) if params.get("idScheme") else default
    names = ("dataElementIdScheme", "orgUnitIdScheme", "categoryOptionComboIdScheme", "attributeOptionComboIdScheme",
             "dataSetIdScheme", "categoryIdScheme", "categoryOptionIdScheme")  # fmt: skip
    return {n: normalize_scheme(params[n][0]) if params.get(n) else base for n in names}


def as_json(
    store: Store, user: User, params: dict[str, list[str]], strict_uid: bool = False
) -> dict:
    _, rows = select(store, user, params, adx=False, strict_uid=strict_uid)
    schemes = _out_schemes(params, "UID")
    coc_scheme = schemes["categoryOptionComboIdScheme"]
    # The attribute option combo follows attributeOptionComboIdScheme, else idScheme -- never the COC scheme
    # (IdSchemes.getAttributeOptionComboIdScheme; 2.43 DataExportGroup.Ids.of): the default one is "default".
    aoc_scheme = schemes["attributeOptionComboIdScheme"]

    def ident(plural: str, uid: str, scheme: str) -> str | None:
        obj = store.get(plural, uid)
        return property_value(obj, scheme) if obj else uid

    out = []
    for v in rows:
        item = {
            "dataElement": ident("dataElements", v.data_element, schemes["dataElementIdScheme"]),
            "period": v.period,
            "orgUnit": ident("organisationUnits", v.org_unit, schemes["orgUnitIdScheme"]),
            "categoryOptionCombo": ident("categoryOptionCombos", v.category_option_combo, coc_scheme),
            "attributeOptionCombo": ident("categoryOptionCombos", v.attribute_option_combo, aoc_scheme),
            "value": v.value, "storedBy": v.stored_by, "created": _fmt(v.created),
            "lastUpdated": _fmt(v.last_updated), "comment": v.comment, "followup": v.followup,
        }  # fmt: skip
        if v.deleted:
            item["deleted"] = True
        out.append({k: x for k, x in item.items() if x is not None})
    return {"dataValues": out}


def _explode(store: Store, coc_uid: str, schemes: dict[str, str]) -> dict[str, str]:
    """COC → {category id: option id} (``AdxDataSetMetadata``); default combo → nothing."""
    coc = store.get("categoryOptionCombos", coc_uid) or {}
    combo = store.get("categoryCombos", (coc.get("categoryCombo") or {}).get("id")) or {}
    if combo.get("id") in (None, DEFAULT_CATEGORY_COMBO):
        return {}
    option_ids = {r["id"] for r in coc.get("categoryOptions", [])}
    out: dict[str, str] = {}
    for ref in combo.get("categories", []):
        category = store.get("categories", ref["id"]) or {}
        option_uid = next(
            (r["id"] for r in category.get("categoryOptions", []) if r["id"] in option_ids), None
        )
        option = store.get("categoryOptions", option_uid) or {}
        option_id = property_value(option, schemes["categoryOptionIdScheme"])
        if option_id is None:
            scheme = schemes["categoryOptionIdScheme"].split(":")[0]
            raise ReadError(None, f"CategoryOption {scheme} for {option.get('name')} is missing")
        out[property_value(category, schemes["categoryIdScheme"]) or category.get("id")] = option_id
    return out


def as_adx(store: Store, user: User, params: dict[str, list[str]]) -> bytes:
    """DHIS2's ADX export: no ``exported``, one group per (data set, AOC, org unit, period)."""
    data_sets, rows = select(store, user, params)
    schemes = _out_schemes(params, "CODE")
    root = etree.Element(f"{{{ADX_NS}}}adx", nsmap={None: ADX_NS})
    for ds in data_sets:
        ds_elements = {e["dataElement"]["id"] for e in ds.get("dataSetElements", [])}
        # Groups are made per AOC of the data set's attribute combo (``getAttribuetOptionCombos``).
        ds_aocs = {c["id"] for c in store.option_combos((ds.get("categoryCombo") or {}).get("id"))}
        groups: dict[tuple[str, str, str], list[StoredValue]] = {}
        for v in rows:
            if v.data_element in ds_elements and v.attribute_option_combo in ds_aocs:
                groups.setdefault((v.attribute_option_combo, v.org_unit, v.period), []).append(v)
        for (aoc, ou, period_id), values in sorted(groups.items()):
            group = etree.SubElement(root, f"{{{ADX_NS}}}group")
            group.set("dataSet", property_value(ds, schemes["dataSetIdScheme"]) or ds["id"])
            group.set("period", periods.parse_iso(period_id).adx())  # type: ignore[union-attr]
            ou_obj = store.get("organisationUnits", ou) or {"id": ou}
            group.set("orgUnit", property_value(ou_obj, schemes["orgUnitIdScheme"]) or ou)
            for key, value in _explode(store, aoc, schemes).items():
                group.set(key, value)
            for v in values:
                de = store.get("dataElements", v.data_element) or {
                    "id": v.data_element,
                    "valueType": "TEXT",
                }
                element = etree.SubElement(group, f"{{{ADX_NS}}}dataValue")
                element.set(
                    "dataElement", property_value(de, schemes["dataElementIdScheme"]) or de["id"]
                )
                for key, value in _explode(store, v.category_option_combo, schemes).items():
                    element.set(key, value)
                if is_numeric(de["valueType"]):
                    element.set("value", v.value or "")
                else:
                    element.set("value", "0")
                    etree.SubElement(element, f"{{{ADX_NS}}}annotation").text = v.value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
