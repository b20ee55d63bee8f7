"""The DHIS2 metadata API: lists, data sets by code, option combos, org units, the snapshot
pre-flight needs, ``POST /api/metadata`` and the option combo maintenance.

``/api/metadata`` does not generate category option combos in 2.38-2.41: after a committed
import the per-combo maintenance call does (never the instance-wide one, CONTRACT.md §7.3).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from adx.dhis2.connection import JSON_CONTENT_TYPE, Connection
from adx.dhis2.http import DHIS2Error
from adx.dhis2.import_summary import (
    ImportSummaryError,
    MetadataImportResult,
    parse_metadata_report,
)
from adx.dhis2.snapshot import MetadataSnapshot
from adx.dhis2.uids import DEFAULT_CATEGORY_COMBO
from adx.json_types import JsonObject

_COMBO_FIELDS = "id,code,categories[id,code,categoryOptions[id,code]]"
_DATA_SET_FIELDS = (
    "id,code,name,periodType,openFuturePeriods,expiryDays,"
    f"categoryCombo[{_COMBO_FIELDS}],"
    "dataSetElements[dataElement[id,code,valueType,zeroIsSignificant,"
    f"categoryCombo[{_COMBO_FIELDS}]],categoryCombo[id]],"
    "organisationUnits[id,code]"
)


log = logging.getLogger("adx.dhis2")


def get_list(
    conn: Connection,
    endpoint: str,
    key: str,
    params: Sequence[tuple[str, str]] = (),
    page_size: int | None = None,
) -> list[JsonObject]:
    """All objects of a metadata list: ``paging=false``, or a pager loop with ``page_size``."""
    if page_size is None:
        body = conn.get_json(endpoint, [*params, ("paging", "false")])
        return list(body.get(key) or [])
    out: list[JsonObject] = []
    page = 1
    while True:
        body = conn.get_json(endpoint, [*params, ("page", str(page)), ("pageSize", str(page_size))])
        out.extend(body.get(key) or [])
        pager = body.get("pager") or {}
        if page >= int(pager.get("pageCount") or 1) or not body.get(key):
            return out
        page += 1


def get_data_sets(conn: Connection, codes: Iterable[str]) -> list[JsonObject]:
    """Data sets by code with elements, their combos, attribute combo and org units."""
    out: list[JsonObject] = []
    for flt in code_filters(sorted(set(codes)), 50):
        out += get_list(
            conn, "dataSets", "dataSets", [("filter", flt), ("fields", _DATA_SET_FIELDS)]
        )
    return out


def get_category_option_combos(conn: Connection, combo_ids: Iterable[str]) -> list[JsonObject]:
    """Option combos of category combos (by UID), with their options' codes."""
    out: list[JsonObject] = []
    for combo_id in sorted(set(combo_ids)):
        out += get_list(
            conn,
            "categoryOptionCombos",
            "categoryOptionCombos",
            [
                ("filter", f"categoryCombo.id:eq:{combo_id}"),
                ("fields", "id,code,name,categoryCombo[id],categoryOptions[id,code]"),
            ],
        )
    for coc in out:  # older servers may not echo categoryCombo: it is implied by the filter
        coc.setdefault("categoryCombo", {})
    return out


def get_org_units(
    conn: Connection, codes: Iterable[str], *, page_size: int | None = None
) -> list[JsonObject]:
    out: list[JsonObject] = []
    for flt in code_filters(sorted(set(codes)), 100):
        out += get_list(
            conn,
            "organisationUnits",
            "organisationUnits",
            [("filter", flt), ("fields", "id,code,name,path,openingDate,closedDate")],
            page_size=page_size,
        )
    return out


def metadata_snapshot(
    conn: Connection, data_sets: Iterable[str], org_units: Iterable[str] | None = None
) -> MetadataSnapshot:
    """What pre-flight validation and JSON pushes need, read from DHIS2."""
    ds_json = get_data_sets(conn, data_sets)
    found: set[str | None] = set()
    for ds in ds_json:
        found.add((ds.get("categoryCombo") or {}).get("id"))
        for dse in ds.get("dataSetElements") or ():
            found.add(((dse.get("dataElement") or {}).get("categoryCombo") or {}).get("id"))
    combo_ids = {c for c in found if c is not None and c != DEFAULT_CATEGORY_COMBO}
    cocs: list[JsonObject] = []
    for combo_id in sorted(combo_ids):
        for coc in get_category_option_combos(conn, [combo_id]):
            coc["categoryCombo"] = {"id": combo_id}
            cocs.append(coc)
    ou_json = None if org_units is None else get_org_units(conn, org_units)
    return MetadataSnapshot.from_dhis2(ds_json, cocs, ou_json)


def post_metadata(
    conn: Connection,
    bundle: Mapping[str, Any],
    import_mode: str = "COMMIT",
    *,
    atomic_mode: str = "ALL",
    import_strategy: str = "CREATE_AND_UPDATE",
    update_option_combos: bool = True,
) -> MetadataImportResult:
    """``POST /api/metadata``, then (on a successful COMMIT) the option combo maintenance for
    the bundle's category combos."""
    if import_mode not in ("COMMIT", "VALIDATE"):
        raise ValueError(f"import_mode must be COMMIT or VALIDATE, not {import_mode!r}")
    response = conn.request(
        "POST",
        "metadata",
        params={
            "importMode": import_mode,
            "atomicMode": atomic_mode,
            "importStrategy": import_strategy,
        },
        data=json.dumps(bundle).encode(),
        headers={"Content-Type": JSON_CONTENT_TYPE},
    )
    if response.status_code not in (200, 409):
        raise DHIS2Error(
            f"POST metadata failed: HTTP {response.status_code} {conn.message(response)}",
            status=response.status_code,
        )
    body = conn.json(response, "POST metadata")
    try:
        result = parse_metadata_report(
            body, http_status=response.status_code, import_mode=import_mode
        )
    except ImportSummaryError as exc:
        raise DHIS2Error(
            f"POST metadata: {conn.redact(exc)}", status=response.status_code
        ) from None
    if import_mode == "COMMIT" and result.ok() and update_option_combos:
        combos = _changed_combos(bundle, result)
        if combos:
            warnings = update_category_option_combos(conn, combos)
            if warnings:
                result = dataclasses.replace(result, option_combo_warnings=tuple(warnings))
    return result


_CATEGORY_TYPES = ("CategoryCombo", "Category", "CategoryOption")


def _changed_combos(bundle: Mapping[str, Any], result: MetadataImportResult) -> list[str]:
    """The bundle's own category combos, when the import created or updated category metadata.

    Never the instance-wide maintenance: without a combo id DHIS2 regenerates the option combos of
    *every* combo of the instance, deleting obsolete ones and renaming others
    (``MaintenanceController.updateCategoryOptionCombos`` → ``addAndPruneAllOptionCombos``, 2.39-2.43).
    """
    combos = [c["id"] for c in bundle.get("categoryCombos") or () if c.get("id")]
    if not combos:
        return []
    stats = result.type_stats or {}
    if stats and not any(
        int((stats.get(t) or {}).get("created", 0)) + int((stats.get(t) or {}).get("updated", 0))
        for t in _CATEGORY_TYPES
    ):
        return []  # nothing of the combos changed: their option combos are as DHIS2 left them
    return combos


def update_category_option_combos(conn: Connection, combo_ids: Iterable[str]) -> list[str]:
    """``POST /api/maintenance/categoryOptionComboUpdate/categoryCombo/{id}`` for each combo.

    Returns the warnings (a 409 WARNING: an obsolete option combo could not be deleted) instead of
    raising them: the metadata they follow is already committed. Other failures raise DHIS2Error.
    The instance-wide form (no combo id) is never sent.
    """
    if combo_ids is None or isinstance(combo_ids, str):
        raise ValueError("combo_ids must list category combo ids: the instance-wide maintenance "
                         "regenerates every combo of the DHIS2 instance and is never called")  # fmt: skip
    warnings: list[str] = []
    for combo_id in combo_ids:
        if not combo_id:
            raise ValueError("empty category combo id")
        path = f"maintenance/categoryOptionComboUpdate/categoryCombo/{combo_id}"
        response = conn.request("POST", path)
        if response.status_code == 409 and _is_warning(response):
            warnings.append(f"{combo_id}: {conn.message(response)}")
            log.warning("option combo maintenance of %s: %s", combo_id, conn.message(response))
            continue
        if response.status_code >= 300:
            raise DHIS2Error(
                f"POST {path} failed: HTTP {response.status_code} {conn.message(response)}",
                status=response.status_code,
            )
    return warnings


def _is_warning(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    inner = body.get("response") if isinstance(body, Mapping) else None
    statuses = {body.get("status") if isinstance(body, Mapping) else None}
    if isinstance(inner, Mapping):
        statuses.add(inner.get("status"))
    return "WARNING" in statuses


def code_filters(codes: Sequence[str], size: int) -> Iterator[str]:
    """``code:in:[a,b]`` filters of at most ``size`` codes; a code holding ``,[]`` (which the
    ``in`` operator cannot carry) gets its own ``code:eq:`` filter."""
    plain = [c for c in codes if not any(ch in c for ch in ",[]")]
    for i in range(0, len(plain), size):
        yield f"code:in:[{','.join(plain[i : i + size])}]"
    for c in codes:
        if any(ch in c for ch in ",[]"):
            yield f"code:eq:{c}"
