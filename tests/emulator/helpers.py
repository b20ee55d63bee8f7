"""Small HTTP helpers shared by the emulator tests."""

from __future__ import annotations

import requests

ADX_CT = {"Content-Type": "application/adx+xml"}


def post_json(emulator, payload: dict, auth=None, **params) -> requests.Response:
    return requests.post(emulator.url + "/api/dataValueSets", json=payload, params=params,
                         auth=auth or emulator.admin_auth)  # fmt: skip


def post_adx(emulator, body: bytes | str, auth=None, **params) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(emulator.url + "/api/dataValueSets", data=data, params=params, headers=ADX_CT,
                         auth=auth or emulator.admin_auth)  # fmt: skip


def counts(response: requests.Response) -> dict:
    return response.json()["response"]["importCount"]


def count(imported=0, updated=0, ignored=0, deleted=0) -> dict:
    return {"imported": imported, "updated": updated, "ignored": ignored, "deleted": deleted}


def stored(emulator, include_deleted: bool = False) -> dict[tuple, str | None]:
    """{(dataElement, period, orgUnit, COC, AOC): value} of what the emulator holds."""
    return {(v["dataElement"], v["period"], v["orgUnit"], v["categoryOptionCombo"], v["attributeOptionCombo"]):
            v["value"] for v in emulator.data_values(include_deleted)}  # fmt: skip
