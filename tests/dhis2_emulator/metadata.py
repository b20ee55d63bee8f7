"""``POST /api/metadata`` (ImportReport, atomicMode ALL) and the COC maintenance/PATCH endpoints (§4)."""

from __future__ import annotations

import copy
import datetime as dt
import itertools

from .analytics import check_dashboard, check_visualization
from .responses import web_message
from .schema import DEFAULTS, EMBEDDED_REFS, IMPORT_ORDER, PERIOD_TYPE_NAMES, TYPES, UID_RE, Ref
from .store import Store
from .valuetypes import VALUE_TYPES

ERROR_MESSAGE = "One or more errors occurred, please see full details in import report."


class BadRequestError(ValueError):
    """A payload DHIS2 cannot even deserialise (HTTP 400)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _simple(klass: str) -> str:
    return klass.rsplit(".", 1)[1]


def _display(obj: dict, plural: str) -> str:
    return f"{obj.get('name') or obj.get('code') or ''} [{obj.get('id')}] ({_simple(TYPES[plural].klass)})"


def _error(
    code: str, message: str, plural: str, prop: str | None, value=None, main_id: str | None = None
) -> dict:
    report = {"message": message, "mainKlass": TYPES[plural].klass, "errorCode": code}
    if main_id:
        report["mainId"] = main_id
    if prop is not None:
        report["errorProperty"] = prop
        report["errorProperties"] = [prop] + ([value] if value is not None else [])
    if value is not None:
        report["value"] = value
    return report


def _check_enums(plural: str, obj: dict) -> None:
    checks = dict(TYPES[plural].enums)
    if plural == "dataElements":
        checks["valueType"] = VALUE_TYPES
    if plural == "dataSets":
        checks["periodType"] = PERIOD_TYPE_NAMES
    for prop, allowed in checks.items():
        value = obj.get(prop)
        if value is not None and value not in allowed:
            # Jackson rejects unknown enum constants before any validation runs.
            raise BadRequestError(f"Cannot deserialize value of type `{prop}` from String \"{value}\": not one of the "
                             f"values accepted for Enum class: [{', '.join(sorted(allowed))}]")  # fmt: skip


class _Resolver:
    """Resolves references against the payload first, then the store (identifier UID|CODE|AUTO)."""

    def __init__(self, store: Store, payload_objs: dict[str, list[dict]], identifier: str):
        self.store = store
        self.identifier = identifier
        self.ids = {p: {o["id"] for o in objs if o.get("id")} for p, objs in payload_objs.items()}
        self.codes = {p: {o["code"]: o["id"] for o in objs if o.get("code") and o.get("id")}
                      for p, objs in payload_objs.items()}  # fmt: skip

    def resolve(self, target: str, ref) -> str | None:
        if not isinstance(ref, dict):
            return None
        rid = ref.get("id")
        if rid and (rid in self.ids.get(target, ()) or self.store.get(target, rid)):
            return rid
        code = ref.get("code")
        if code and self.identifier in ("CODE", "AUTO"):
            if code in self.codes.get(target, {}):
                return self.codes[target][code]
            found = self.store.lookup(target, "CODE", code)
            return found["id"] if found else None
        return None


def import_metadata(store: Store, payload: dict, params: dict[str, list[str]]) -> tuple[int, dict]:
    """Validate and (unless VALIDATE or errors) commit a metadata bundle; returns (HTTP status, WebMessage).

    The steps of ``DefaultMetadataImportService.importMetadata`` (dhis-service-dxf2
    ``org/hisp/dhis/dxf2/metadata/``): deserialise and preheat the bundle, validate each type in import
    order, drop every plan under atomicMode ALL when anything failed, commit, and sum the type reports.
    """
    strategy = params.get("importStrategy", ["CREATE_AND_UPDATE"])[0].upper()
    mode = params.get("importMode", ["COMMIT"])[0].upper()
    atomic = params.get("atomicMode", ["ALL"])[0].upper()
    identifier = params.get("identifier", ["UID"])[0].upper()
    if not isinstance(payload, dict):
        raise BadRequestError("Metadata payload must be a JSON object")
    with store.lock:
        payload_objs = _preheat(store, payload, identifier)
        resolver = _Resolver(store, payload_objs, identifier)
        type_reports: list[dict] = []
        plans: list[tuple[str, dict, str]] = []  # (plural, object, action)
        errors_total = 0
        for plural in IMPORT_ORDER:
            if payload_objs[plural]:
                report, errors = _type_report(
                    store, resolver, plural, payload_objs[plural], strategy, plans
                )
                type_reports.append(report)
                errors_total += errors
        if errors_total and atomic == "ALL":
            plans = []
            _ignore_all(type_reports)
        if mode == "COMMIT":
            _commit(store, plans)
        status = "ERROR" if errors_total else "OK"
        import_report = {"responseType": "ImportReport", "status": status, "stats": _total_stats(type_reports),
                         "typeReports": type_reports}  # fmt: skip
    if errors_total:
        return 409, web_message(409, "WARNING", ERROR_MESSAGE, import_report)
    return 200, web_message(200, "OK", None, import_report)


def _new_stats() -> dict[str, int]:
    return {"created": 0, "updated": 0, "deleted": 0, "ignored": 0, "total": 0}


def _preheat(store: Store, payload: dict, identifier: str) -> dict[str, list[dict]]:
    """Copies of the payload's objects by type, enums checked (Jackson), ids assigned, defaults filled."""
    payload_objs: dict[str, list[dict]] = {}
    for plural in IMPORT_ORDER:
        objs = payload.get(plural) or []
        if not isinstance(objs, list):
            raise BadRequestError(f"Property `{plural}` must be a list")
        payload_objs[plural] = [copy.deepcopy(o) for o in objs]
        for obj in payload_objs[plural]:
            _check_enums(plural, obj)
            _assign_id(store, plural, obj, identifier)
            _fill_defaults(plural, obj)
    return payload_objs


def _assign_id(store: Store, plural: str, obj: dict, identifier: str) -> None:
    """An object without an id takes the id of the stored object with its code (identifier CODE|AUTO),
    else a new UID."""
    if not obj.get("id") and identifier in ("CODE", "AUTO") and obj.get("code"):
        found = store.lookup(plural, "CODE", obj["code"])
        if found:
            obj["id"] = found["id"]
    if not obj.get("id"):
        obj["id"] = store.new_uid()


def _fill_defaults(plural: str, obj: dict) -> None:
    """A required reference left out points at the default object (e.g. the default category combo)."""
    for prop, default in DEFAULTS.items():
        if prop in TYPES[plural].refs and prop in TYPES[plural].required and not obj.get(prop):
            obj[prop] = {"id": default}


def _type_report(
    store: Store,
    resolver: _Resolver,
    plural: str,
    objs: list[dict],
    strategy: str,
    plans: list[tuple[str, dict, str]],
) -> tuple[dict, int]:
    """Validate one type's objects; valid ones are planned (appended to ``plans``). Returns the
    TypeReport and its number of errors."""
    otype = TYPES[plural]
    object_reports = []
    stats = _new_stats()
    errors_total = 0
    seen = _unique_values(plural, objs)
    for index, obj in enumerate(objs):
        errors = _validate(store, resolver, plural, obj, seen, strategy)
        if not errors:
            action = _action(strategy, store.get(plural, obj["id"]) is not None)
            plans.append((plural, obj, action))
            stats[action] += 1
        else:
            errors_total += len(errors)
            stats["ignored"] += 1
            object_reports.append({"klass": otype.klass, "index": index, "uid": obj["id"],
                                   "errorReports": errors})  # fmt: skip
        stats["total"] += 1
    return {"klass": otype.klass, "stats": stats, "objectReports": object_reports}, errors_total


def _unique_values(plural: str, objs: list[dict]) -> dict[tuple[str, str], list[str]]:
    """(unique property, value) -> ids of the payload objects holding it."""
    seen: dict[tuple[str, str], list[str]] = {}
    for obj in objs:
        for prop in TYPES[plural].unique:
            if obj.get(prop):
                seen.setdefault((prop, obj[prop]), []).append(obj["id"])
    return seen


def _action(strategy: str, exists: bool) -> str:
    if strategy == "DELETE":
        return "deleted" if exists else "ignored"
    return "updated" if exists else "created"


def _ignore_all(type_reports: list[dict]) -> None:
    """atomicMode ALL with errors: nothing is written, every object counts as ignored."""
    for report in type_reports:
        total = report["stats"]["total"]
        report["stats"] = {**_new_stats(), "ignored": total, "total": total}


def _total_stats(type_reports: list[dict]) -> dict[str, int]:
    stats_total = _new_stats()
    for report in type_reports:
        for key in stats_total:
            stats_total[key] += report["stats"][key]
    return stats_total


def _validate(
    store: Store, resolver: _Resolver, plural: str, obj: dict, seen: dict, strategy: str
) -> list[dict]:
    """The object's ErrorReports in the order of dhis2-core's checks
    (``org/hisp/dhis/dxf2/metadata/objectbundle/validation/``): ``UidFormatCheck``, ``CreationCheck`` /
    ``UpdateCheck``, ``SchemaCheck``, ``UniquenessCheck``, ``ReferencesCheck``; DELETE stops after the first."""
    errors = _check_identity(store, plural, obj, strategy)
    if strategy == "DELETE":
        return errors
    errors += _check_schema(plural, obj)
    errors += _check_unique(store, plural, obj, seen)
    errors += _check_refs(resolver, plural, obj, TYPES[plural].refs, obj["id"])
    errors += _check_embedded(resolver, plural, obj)
    errors += _check_analytics(resolver, plural, obj, obj["id"])
    return errors


def _check_identity(store: Store, plural: str, obj: dict, strategy: str) -> list[dict]:
    """A valid UID (E4014), new under CREATE (E5000), existing under UPDATE (E5001)."""
    errors: list[dict] = []
    uid = obj["id"]
    exists = store.get(plural, uid) is not None
    if not UID_RE.match(str(uid)):
        errors.append(_error("E4014", f"Invalid UID `{uid}` for property `{_simple(TYPES[plural].klass)}`", plural,
                             "id", uid, uid))  # fmt: skip
    if strategy == "CREATE" and exists:
        errors.append(_error("E5000", f"Found matching object for reference, but import mode is CREATE. "
                                      f"Identifier was {uid}, and object was {_display(obj, plural)}.",
                             plural, "id", uid, uid))  # fmt: skip
    if strategy in ("UPDATE", "DELETE") and not exists and strategy != "DELETE":
        errors.append(_error("E5001", f"No matching object for reference. Identifier was {uid}, and object was "
                                      f"{_display(obj, plural)}.", plural, "id", uid, uid))  # fmt: skip
    return errors


def _check_schema(plural: str, obj: dict) -> list[dict]:
    """Required properties (E4000) and maximum lengths (E4001)."""
    otype = TYPES[plural]
    errors: list[dict] = []
    uid = obj["id"]
    for prop in otype.required:
        value = obj.get(prop)
        if value is None or value in ("", []):
            errors.append(
                _error("E4000", f"Missing required property `{prop}`.", plural, prop, None, uid)
            )
    for prop, limit in otype.max_len.items():
        value = obj.get(prop)
        if isinstance(value, str) and len(value) > limit:
            errors.append(_error("E4001", f"Maximum length of property `{prop}`is {limit}, but given length was "
                                          f"{len(value)}.", plural, prop, value, uid))  # fmt: skip
    return errors


def _check_unique(store: Store, plural: str, obj: dict, seen: dict) -> list[dict]:
    """Unique properties: unique within the payload (E5005), then against the stored objects (E5003)."""
    errors: list[dict] = []
    uid = obj["id"]
    for prop in TYPES[plural].unique:
        value = obj.get(prop)
        if not value:
            continue
        if len(seen.get((prop, value), [])) > 1:
            ids = ", ".join(seen[(prop, value)])
            errors.append(_error("E5005", f"Properties `{prop}` in objects `{ids}` must be unique within the payload",
                                 plural, prop, value, uid))  # fmt: skip
            continue
        clash = store.lookup(plural, "CODE" if prop == "code" else "NAME", value) if prop in ("code", "name") else \
            next((o for o in store.objects[plural].values() if o.get(prop) == value), None)  # fmt: skip
        if clash is not None and clash["id"] != uid:
            errors.append(_error("E5003", f"Property `{prop}` with value `{value}` on object {_display(obj, plural)} "
                                          f"already exists on object {clash['id']}.", plural, prop, value, uid))  # fmt: skip
    return errors


def _check_embedded(resolver: _Resolver, plural: str, obj: dict) -> list[dict]:
    """References inside embedded objects (data set elements: a data element each, E4000)."""
    errors: list[dict] = []
    uid = obj["id"]
    for prop, kind in TYPES[plural].embedded.items():
        for element in obj.get(prop) or []:
            refs = dict(EMBEDDED_REFS[kind])
            if kind == "dataSetElements":
                refs.pop("dataSet")  # the owning data set, filled in on commit
                if not element.get("dataElement"):
                    errors.append(_error("E4000", "Missing required property `dataElement`.", plural,
                                         "dataElement", None, uid))  # fmt: skip
            errors += _check_refs(resolver, plural, element, refs, uid)
    return errors


def _check_analytics(resolver: _Resolver, plural: str, obj: dict, uid: str) -> list[dict]:
    """Visualizations' and dashboards' embedded parts (analytics.py)."""
    check = {"visualizations": check_visualization, "dashboards": check_dashboard}.get(plural)
    if check is None:
        return []

    def error(code: str, message: str, prop: str | None, value) -> dict:
        return _error(code, message, plural, prop, value, uid)

    def refs(part: dict, spec: dict[str, Ref]) -> list[dict]:
        return _check_refs(resolver, plural, part, spec, uid)

    return check(obj, error, refs)


def _check_refs(
    resolver: _Resolver, plural: str, obj: dict, refs: dict[str, Ref], uid: str
) -> list[dict]:
    errors = []
    for prop, ref in refs.items():
        value = obj.get(prop)
        if value is None:
            continue
        items = value if ref.many else [value]
        if ref.many and not isinstance(value, list):
            items = []
        for item in items:
            rid = resolver.resolve(ref.target, item)
            if rid is None:
                shown = item.get("id") or item.get("code") if isinstance(item, dict) else item
                target = _simple(TYPES[ref.target].klass)
                errors.append(_error("E5002", f"Invalid reference [{shown}] ({target}) on object "
                                              f"{obj.get('name') or uid} [{uid}] ({_simple(TYPES[plural].klass)}) "
                                              f"for association `{prop}`.", plural, prop, shown, uid))  # fmt: skip
            elif isinstance(item, dict):
                item.clear()
                item["id"] = rid
    return errors


def _commit(store: Store, plans: list[tuple[str, dict, str]]) -> None:
    now = _now()
    for plural, obj, action in plans:
        if action == "deleted":
            store.objects[plural].pop(obj["id"], None)
            continue
        if action == "ignored":
            continue
        previous = store.objects[plural].get(obj["id"])
        obj.setdefault("sharing", {"public": "rw------"})
        obj["created"] = (previous or {}).get("created", now)
        obj["lastUpdated"] = now
        if plural == "dataSets":
            obj.setdefault("openFuturePeriods", 0)
            obj.setdefault("expiryDays", 0)
            for element in obj.get("dataSetElements") or []:
                element["dataSet"] = {"id": obj["id"]}
        if plural == "dataElements":
            obj.setdefault("zeroIsSignificant", False)
        if plural == "categoryOptionCombos" and not obj.get("name"):
            obj["name"] = coc_name(store, obj)
        store.objects[plural][obj["id"]] = obj
    store.changed()


def coc_name(store: Store, coc: dict) -> str:
    """DHIS2 names a generated COC by its options' names joined with ", " (in category order)."""
    names = []
    for ref in coc.get("categoryOptions", []):
        option = store.get("categoryOptions", ref.get("id")) or {}
        names.append(option.get("name", ref.get("id")))
    return ", ".join(names)


def generate_option_combos(store: Store, combo_uid: str | None = None) -> int:
    """``/api/maintenance/categoryOptionComboUpdate[/categoryCombo/{uid}]``: add missing COCs, keep others.

    The cartesian product of the combo's categories' options, in category order. Returns the number created.
    """
    created = 0
    with store.lock:
        combos = (
            [store.get("categoryCombos", combo_uid)]
            if combo_uid
            else list(store.objects["categoryCombos"].values())
        )
        for combo in combos:
            if combo is None:
                continue
            options_per_category = []
            for ref in combo.get("categories", []):
                category = store.get("categories", ref["id"]) or {}
                options_per_category.append([o["id"] for o in category.get("categoryOptions", [])])
            existing = {
                frozenset(r["id"] for r in c.get("categoryOptions", []))
                for c in store.option_combos(combo["id"])
            }
            for combination in itertools.product(*options_per_category):
                if frozenset(combination) in existing:
                    continue
                coc = {"id": store.new_uid(), "categoryCombo": {"id": combo["id"]},
                       "categoryOptions": [{"id": o} for o in combination], "ignoreApproval": False,
                       "created": _now(), "lastUpdated": _now()}  # fmt: skip
                coc["name"] = coc_name(store, coc)
                store.objects["categoryOptionCombos"][coc["id"]] = coc
                existing.add(frozenset(combination))
                created += 1
        store.changed()
    return created


def patch_object(store: Store, plural: str, uid: str, operations: list) -> tuple[int, dict | None]:
    """RFC 6902 JSON Patch (``add``/``replace``/``remove`` of top-level properties) on one object."""
    with store.lock:
        obj = store.get(plural, uid)
        if obj is None:
            return 404, web_message(
                404, "ERROR", f"{_simple(TYPES[plural].klass)} with id {uid} could not be found."
            )
        updated = copy.deepcopy(obj)
        for op in operations:
            path = str(op.get("path", ""))
            prop = path.lstrip("/")
            if not prop or "/" in prop or op.get("op") not in ("add", "replace", "remove"):
                return 400, web_message(
                    400, "ERROR", f"Patch path `{path}` is not supported.", errorCode="E4032"
                )
            if op["op"] == "remove":
                updated.pop(prop, None)
            else:
                updated[prop] = op.get("value")
        code = updated.get("code")
        if code is not None:
            if len(str(code)) > 50:
                return 409, web_message(409, "ERROR", f"Maximum length of property `code`is 50, but given length "
                                                      f"was {len(str(code))}.", errorCode="E4001")  # fmt: skip
            clash = store.lookup(plural, "CODE", code)
            if clash is not None and clash["id"] != uid:
                return 409, web_message(409, "ERROR", f"Property `code` with value `{code}` on object "
                                                      f"{_display(updated, plural)} already exists on object "
                                                      f"{clash['id']}.", errorCode="E5003")  # fmt: skip
        updated["lastUpdated"] = _now()
        store.objects[plural][uid] = updated
        store.changed()
    return 200, None
