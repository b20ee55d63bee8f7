"""Metadata list/read queries: ``fields=`` selection, ``filter=`` / ``rootJunction``, ordering, paging."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .schema import EMBEDDED_REFS, TYPES, Ref
from .store import Store

FieldTree = list[tuple[str, "FieldTree | None"]]

DEFAULT_LIST_FIELDS = "id,displayName"


class QueryError(ValueError):
    """A malformed ``fields``/``filter`` parameter (HTTP 400/409 in DHIS2)."""


def parse_fields(text: str) -> FieldTree:
    """Parse ``a,b[c,d[e]],:owner`` (also ``a(b,c)``) into a tree."""
    pos = 0

    def parse_list(closing: str | None) -> FieldTree:
        nonlocal pos
        items: FieldTree = []
        name = ""
        while pos < len(text):
            ch = text[pos]
            pos += 1
            if ch in "[(":
                sub = parse_list("]" if ch == "[" else ")")
                items.append((name.strip(), sub))
                name = ""
                if pos < len(text) and text[pos] == ",":
                    pos += 1
            elif ch == ",":
                if name.strip():
                    items.append((name.strip(), None))
                name = ""
            elif closing and ch == closing:
                if name.strip():
                    items.append((name.strip(), None))
                return items
            elif ch in "])":
                raise QueryError(f"Unbalanced brackets in fields: {text}")
            else:
                name += ch
        if closing:
            raise QueryError(f"Unbalanced brackets in fields: {text}")
        if name.strip():
            items.append((name.strip(), None))
        return items

    return parse_list(None)


def _computed(store: Store, plural: str, obj: dict, name: str):
    """Properties DHIS2 derives rather than stores (inverse collections, display names, paths)."""
    if name == "displayName":
        return obj.get("name")
    if name == "displayShortName":
        return obj.get("shortName", obj.get("name"))
    derive = _DERIVED.get((plural, name))
    return derive(store, obj.get("id"), obj) if derive is not None else None


def _referring(store: Store, kind: str, prop: str, uid) -> list[dict]:
    """References to the ``kind`` objects whose ``prop`` collection holds ``uid`` (an inverse collection)."""
    return [{"id": o["id"]} for o in store.objects[kind].values()
            if any(r.get("id") == uid for r in o.get(prop, []))]  # fmt: skip


def _option_combos_of_combo(store: Store, uid, obj: dict) -> list[dict]:
    return [{"id": c["id"]} for c in store.option_combos(uid)]


def _categories_of_option(store: Store, uid, obj: dict) -> list[dict]:
    return _referring(store, "categories", "categoryOptions", uid)


def _option_combos_of_option(store: Store, uid, obj: dict) -> list[dict]:
    return _referring(store, "categoryOptionCombos", "categoryOptions", uid)


def _combos_of_category(store: Store, uid, obj: dict) -> list[dict]:
    return _referring(store, "categoryCombos", "categories", uid)


def _org_unit_path(store: Store, uid, obj: dict) -> str:
    return "/" + "/".join(store.path_of(uid))


def _org_unit_level(store: Store, uid, obj: dict) -> int:
    return len(store.path_of(uid))


def _org_unit_children(store: Store, uid, obj: dict) -> list[dict]:
    return [{"id": o["id"]} for o in store.objects["organisationUnits"].values()
            if (o.get("parent") or {}).get("id") == uid]  # fmt: skip


def _data_sets_of_org_unit(store: Store, uid, obj: dict) -> list[dict]:
    return _referring(store, "dataSets", "organisationUnits", uid)


def _data_set_elements_of_element(store: Store, uid, obj: dict) -> list[dict]:
    return [e for ds in store.data_sets_of(uid) for e in ds.get("dataSetElements", [])
            if (e.get("dataElement") or {}).get("id") == uid]  # fmt: skip


def _data_sets_of_element(store: Store, uid, obj: dict) -> list[dict]:
    return [{"id": d["id"]} for d in store.data_sets_of(uid)]


def _data_dimension_type(store: Store, uid, obj: dict):
    cc = store.get("categoryCombos", (obj.get("categoryCombo") or {}).get("id")) or {}
    return cc.get("dataDimensionType")


# (type, property) -> how the property is derived from (store, uid, object).
_DERIVED: dict[tuple[str, str], Callable[[Store, Any, dict], Any]] = {
    ("categoryCombos", "categoryOptionCombos"): _option_combos_of_combo,
    ("categoryOptions", "categories"): _categories_of_option,
    ("categoryOptions", "categoryOptionCombos"): _option_combos_of_option,
    ("categories", "categoryCombos"): _combos_of_category,
    ("organisationUnits", "path"): _org_unit_path,
    ("organisationUnits", "level"): _org_unit_level,
    ("organisationUnits", "children"): _org_unit_children,
    ("organisationUnits", "dataSets"): _data_sets_of_org_unit,
    ("dataElements", "dataSetElements"): _data_set_elements_of_element,
    ("dataElements", "dataSets"): _data_sets_of_element,
    ("categoryOptionCombos", "dataDimensionType"): _data_dimension_type,
}


_COMPUTED_ALL = {
    "categoryCombos": ("categoryOptionCombos",),
    "categoryOptions": ("categories", "categoryOptionCombos"),
    "categories": ("categoryCombos",),
    "organisationUnits": ("path", "level", "children"),
    "dataElements": ("dataSetElements",),
}
# Types of computed reference properties, so nested selection can resolve them.
_COMPUTED_REFS = {
    ("categoryCombos", "categoryOptionCombos"): Ref("categoryOptionCombos", True),
    ("categoryOptions", "categories"): Ref("categories", True),
    ("categoryOptions", "categoryOptionCombos"): Ref("categoryOptionCombos", True),
    ("categories", "categoryCombos"): Ref("categoryCombos", True),
    ("organisationUnits", "children"): Ref("organisationUnits", True),
    ("organisationUnits", "dataSets"): Ref("dataSets", True),
    ("dataElements", "dataSets"): Ref("dataSets", True),
}


def _ref_of(kind: str, prop: str) -> Ref | None:
    if kind in TYPES:
        ref = TYPES[kind].refs.get(prop)
        return ref or _COMPUTED_REFS.get((kind, prop))
    return EMBEDDED_REFS.get(kind, {}).get(prop)


def _embedded_of(kind: str, prop: str) -> str | None:
    if kind in TYPES:
        if kind == "dataElements" and prop == "dataSetElements":
            return "dataSetElements"
        return TYPES[kind].embedded.get(prop)
    return None


def get_property(store: Store, kind: str, obj: dict, name: str):
    if name in obj:
        return obj[name]
    if kind in TYPES:
        return _computed(store, kind, obj, name)
    return None


def _expand(store: Store, kind: str, obj: dict, tree: FieldTree) -> FieldTree:
    out: FieldTree = []
    for name, sub in tree:
        if name in (":owner", ":all", "*", ":identifiable", ":nameable", ":simple"):
            keys = list(obj)
            if name in (":all", "*"):
                keys += [k for k in _COMPUTED_ALL.get(kind, ()) if k not in obj]
            if name in (":identifiable", ":nameable"):
                keys = [
                    k
                    for k in ("id", "code", "name", "created", "lastUpdated", "shortName")
                    if k in obj
                ]
            out += [(k, None) for k in keys if k not in {n for n, _ in out}]
        elif name.startswith("!"):
            out = [(n, s) for n, s in out if n != name[1:]]
        else:
            out = [(n, s) for n, s in out if n != name] + [(name, sub)]
    return out


def render(store: Store, kind: str, obj: dict, tree: FieldTree) -> dict:
    """Apply a field tree to an object of ``kind`` (a type plural or an embedded kind)."""
    result: dict = {}
    for name, sub in _expand(store, kind, obj, tree):
        value = get_property(store, kind, obj, name)
        if value is None:
            continue
        ref = _ref_of(kind, name)
        embedded = _embedded_of(kind, name)
        if ref is not None:
            result[name] = _render_ref(store, ref, value, sub)
        elif embedded is not None:
            result[name] = [render(store, embedded, e, sub or [(":owner", None)]) for e in value]
        else:
            result[name] = value
    return result


def _render_ref(store: Store, ref: Ref, value, sub: FieldTree | None):
    def one(r: dict) -> dict:
        if sub is None:
            return {"id": r.get("id")}
        target = store.get(ref.target, r.get("id"))
        return render(store, ref.target, target, sub) if target else {"id": r.get("id")}

    if ref.many:
        return [one(r) for r in value]
    return one(value)


# ---- filters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    path: tuple[str, ...]
    op: str
    value: str | None


_OPS = {"eq", "!eq", "ne", "neq", "like", "!like", "ilike", "!ilike", "$like", "!$like", "$ilike", "!$ilike",
        "like$", "!like$", "ilike$", "!ilike$", "in", "!in", "null", "!null", "empty", "gt", "ge", "lt", "le",
        "token", "!token"}  # fmt: skip


def parse_filter(text: str) -> Filter:
    parts = text.split(":", 2)
    if len(parts) < 2 or parts[1] not in _OPS:
        raise QueryError(f"Unable to parse filter `{text}`")
    value = parts[2] if len(parts) == 3 else None
    return Filter(tuple(parts[0].split(".")), parts[1], value)


def _values_at(store: Store, kind: str, obj: dict, path: tuple[str, ...]) -> list:
    """All values reached by walking ``path`` (references resolved, collections flattened)."""
    if not path:
        return [obj]
    head, rest = path[0], path[1:]
    value = get_property(store, kind, obj, head)
    if value is None:
        return [None] if not rest else []
    ref = _ref_of(kind, head)
    embedded = _embedded_of(kind, head)
    items = value if isinstance(value, list) else [value]
    if not rest:
        if ref is not None:
            return [i.get("id") for i in items]
        return items if isinstance(value, list) else [value]
    out: list = []
    for item in items:
        if ref is not None:
            target = store.get(ref.target, item.get("id"))
            if target is not None:
                out += _values_at(store, ref.target, target, rest)
        elif embedded is not None:
            out += _values_at(store, embedded, item, rest)
        elif isinstance(item, dict):
            out += _values_at(store, "", item, rest)
    return out


def _in_list(text: str, exp: str) -> bool:
    inner = exp[1:-1] if exp.startswith("[") and exp.endswith("]") else exp
    return text in inner.split(",")


# Filter operators on the value's text (``_compare``); ``!`` before one negates it.
_TEXT_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda text, exp: text == exp,
    "token": lambda text, exp: text == exp,
    "ne": lambda text, exp: text != exp,
    "neq": lambda text, exp: text != exp,
    "like": lambda text, exp: exp in text,
    "ilike": lambda text, exp: exp.lower() in text.lower(),
    "$like": lambda text, exp: text.startswith(exp),
    "$ilike": lambda text, exp: text.lower().startswith(exp.lower()),
    "like$": lambda text, exp: text.endswith(exp),
    "ilike$": lambda text, exp: text.lower().endswith(exp.lower()),
    "in": _in_list,
}
# Ordering operators: numbers when both sides parse as numbers, else text.
_ORDER_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _compare(actual, op: str, expected: str | None) -> bool:
    negate = op.startswith("!") and op != "!null"
    base = op[1:] if negate else op
    if op == "null":
        return actual is None
    if op == "!null":
        return actual is not None
    if op == "empty":
        return actual in (None, [], "")
    if actual is None:
        return negate
    text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    exp = expected or ""
    if base in _TEXT_OPERATORS:
        ok = _TEXT_OPERATORS[base](text, exp)
    elif base in _ORDER_OPERATORS:
        try:
            a, b = float(text), float(exp)
        except ValueError:
            a, b = text, exp  # type: ignore[assignment]
        ok = _ORDER_OPERATORS[base](a, b)
    else:
        ok = False
    return not ok if negate else ok


def matches(store: Store, kind: str, obj: dict, flt: Filter) -> bool:
    values = _values_at(store, kind, obj, flt.path)
    if flt.op in ("null", "empty"):
        return not values or all(_compare(v, flt.op, flt.value) for v in values)
    if flt.op.startswith("!"):
        return all(_compare(v, flt.op, flt.value) for v in values) if values else True
    return any(_compare(v, flt.op, flt.value) for v in values)


def list_objects(store: Store, kind: str, params: dict[str, list[str]], base_url: str) -> dict:
    """``GET /api/<kind>``: filter, order, page and select fields like DHIS2."""
    filters = [parse_filter(f) for f in params.get("filter", [])]
    junction = (params.get("rootJunction", ["AND"])[0] or "AND").upper()
    fields = parse_fields(",".join(params.get("fields", [])) or DEFAULT_LIST_FIELDS)
    with store.lock:
        objs = list(store.objects[kind].values())
        if filters:
            test = any if junction == "OR" else all
            objs = [o for o in objs if test(matches(store, kind, o, f) for f in filters)]
        order = params.get("order", [])
        if order:
            for spec in reversed(order[0].split(",")):
                prop, _, direction = spec.partition(":")
                objs.sort(
                    key=lambda o, p=prop: str(o.get(p) or ""), reverse=direction.lower() == "desc"
                )
        else:
            objs.sort(key=lambda o: (str(o.get("name") or ""), o["id"]))
        paging = (params.get("paging", ["true"])[0]).lower() != "false"
        result: dict = {}
        if paging:
            page = max(1, int(params.get("page", ["1"])[0]))
            size = max(1, int(params.get("pageSize", ["50"])[0]))
            total = len(objs)
            page_count = max(1, math.ceil(total / size))
            pager = {"page": page, "total": total, "pageSize": size, "pageCount": page_count}
            query = "&".join(f"{k}={v}" for k, vs in params.items() if k != "page" for v in vs)
            sep = "&" if query else ""
            if page < page_count:
                pager["nextPage"] = f"{base_url}/api/{kind}?{query}{sep}page={page + 1}"
            if page > 1:
                pager["prevPage"] = f"{base_url}/api/{kind}?{query}{sep}page={page - 1}"
            result["pager"] = pager
            objs = objs[(page - 1) * size : page * size]
        result[kind] = [render(store, kind, o, fields) for o in objs]
    return result


def get_object(store: Store, kind: str, uid: str, params: dict[str, list[str]]) -> dict | None:
    fields = parse_fields(",".join(params.get("fields", [])) or ":all")
    with store.lock:
        obj = store.get(kind, uid)
        return render(store, kind, obj, fields) if obj else None
