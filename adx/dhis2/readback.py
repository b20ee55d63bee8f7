"""Reading data values back from DHIS2 (``GET /api/dataValueSets``), by code.

ADX read-back maps straight to DataValues through category codes; DHIS2's own ADX export has
no ``exported`` attribute, so it is parsed, not XSD-validated (CONTRACT.md §6.18). JSON
read-back maps option combo UIDs back to category options through a metadata snapshot.
Org units are asked in batches to keep URLs short.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from adx.dhis2.connection import ADX_CONTENT_TYPE, Connection
from adx.dhis2.http import DHIS2Error
from adx.dhis2.snapshot import DataSetInfo
from adx.model import DataValue


def read_values(
    conn: Connection,
    data_set: str,
    periods: Iterable[str],
    org_units: Iterable[str],
    format: str = "adx",
    *,
    include_deleted: bool = False,
    batch: int = 100,
    data_sets: Mapping[str, Any] | None = None,
) -> list[DataValue]:
    """Current values of a data set (by code) for periods and org units (by code).

    ``data_sets`` (code -> DataSetDefinition) lets the ADX reader order category options and
    read text values.
    """
    if format not in ("adx", "json"):
        raise ValueError(f"format must be 'adx' or 'json', not {format!r}")
    period_list = sorted(set(periods))
    ous = sorted(set(org_units))
    if not period_list or not ous:
        return []
    if format == "json":
        return _read_json(conn, data_set, period_list, ous, include_deleted, batch)
    out: list[DataValue] = []
    for i in range(0, len(ous), batch):
        params = _params(data_set, period_list, ous[i : i + batch], include_deleted)
        out += _read_adx_batch(conn, data_set, params, data_sets)
    return out


def _params(
    data_set: str, periods: list[str], ous: list[str], include_deleted: bool
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = [("dataSet", data_set)]
    params += [("period", p) for p in periods]
    params += [("orgUnit", o) for o in ous]
    if include_deleted:
        params.append(("includeDeleted", "true"))
    return params


def _read_adx_batch(
    conn: Connection,
    data_set: str,
    params: list[tuple[str, str]],
    data_sets: Mapping[str, Any] | None,
) -> list[DataValue]:
    from adx.adx_xml import read_adx

    # format=adx+xml as well as the Accept header: 2.43 chooses the export by ?format= (or the path
    # suffix) only (DataValueSetController.getDataValueSet at 2.43.1) and would answer JSON otherwise.
    response = conn.request(
        "GET", "dataValueSets", params=[*params, ("format", "adx+xml")],
        headers={"Accept": ADX_CONTENT_TYPE},
    )  # fmt: skip
    if response.status_code != 200:
        raise DHIS2Error(
            f"read-back of {data_set} failed: HTTP {response.status_code} "
            f"{conn.message(response)} (data set and org units are looked up by code; "
            "unknown ones are silently dropped by DHIS2, then E2001/E2006 fire)",
            status=response.status_code,
        )
    out: list[DataValue] = []
    for v in read_adx(io.BytesIO(response.content), data_sets=data_sets):
        out.append(
            v if v.data_set else DataValue(
                data_set, v.period, v.org_unit, v.data_element, v.value,
                v.category_options, v.attribute_options, v.comment,
            )
        )  # fmt: skip
    return out


def _read_json(
    conn: Connection,
    data_set: str,
    periods: list[str],
    ous: list[str],
    include_deleted: bool,
    batch: int,
) -> list[DataValue]:
    """JSON read-back: codes for elements and org units, option combo UIDs mapped back to
    category options through a metadata snapshot of the data set."""
    from adx.dhis2.metadata_api import metadata_snapshot

    ds = metadata_snapshot(conn, [data_set]).data_sets.get(data_set)
    if ds is None:
        raise DHIS2Error(f"read-back: data set {data_set!r} not found in DHIS2 (by code)")
    out: list[DataValue] = []
    for i in range(0, len(ous), batch):
        params = _params(data_set, periods, ous[i : i + batch], include_deleted)
        # dataSet/orgUnit are resolved by the *input* schemes (default UID: codes would be dropped and
        # DHIS2 answers 409 E2001); idScheme only shapes the output. DataValueSetQueryParams
        # .getInputIdSchemes (2.39-2.42), DefaultDataExportService.decodeParams (2.43).
        params[1:1] = [
            ("inputIdScheme", "CODE"),
            ("idScheme", "CODE"),
            ("categoryOptionComboIdScheme", "UID"),
            ("attributeOptionComboIdScheme", "UID"),
        ]
        body = conn.get_json("dataValueSets", params)
        out += [v for row in body.get("dataValues") or () if (v := _json_row(ds, row))]
    return out


def _json_row(ds: DataSetInfo, row: Mapping[str, Any]) -> DataValue | None:
    de = ds.elements.get(row.get("dataElement") or "")
    if de is None:
        return None  # only the data set's elements, as in DHIS2's ADX export
    cos = de.combo.options_of(row.get("categoryOptionCombo") or "")
    aos = ds.attribute_combo.options_of(row.get("attributeOptionCombo") or "")
    if cos is None or aos is None:
        raise DHIS2Error(
            f"read-back: option combo {row.get('categoryOptionCombo')!r}/"
            f"{row.get('attributeOptionCombo')!r} of {de.code} is not in its category "
            "combo; re-run the category option combo maintenance"
        )
    return DataValue(
        ds.code, row["period"], row["orgUnit"], de.code, row.get("value") or "", cos, aos,
        row.get("comment"),
    )  # fmt: skip
