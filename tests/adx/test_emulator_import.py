"""Contract check: our bundle, ADX and JSON import into the DHIS2 emulator and land on the same
values (the emulator follows CONTRACT.md; expected UIDs are read from the bundle JSON itself)."""

from __future__ import annotations

import io

import pytest
import requests

from adx.dhis2.metadata import OrgUnit, build_bundle
from adx.dvs_json import write_json

from .catalogue import CATALOGUE, ENROLMENT
from .helpers import write_valid_adx
from .test_dvs_json import _values


def _post(emulator, body: bytes, content_type: str, **params) -> dict:
    r = requests.post(
        f"{emulator.url}/api/dataValueSets",
        data=body,
        params=params,
        headers={"Content-Type": content_type, "Accept": "application/json"},
        auth=emulator.admin_auth,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    summary = r.json()["response"]
    assert summary["conflicts"] == [], summary["conflicts"]
    return summary["importCount"]


@pytest.mark.dhis2_profiles("2.39", "2.40", "2.41", "2.42")  # ADX CODE default, re-post ignored
def test_bundle_adx_and_json_import_to_the_same_values(dhis2_emulator):
    ous = (
        OrgUnit("OU_ROOT", "Country"),
        OrgUnit("OU_W1", "Ward 1", "OU_ROOT"),
        OrgUnit("OU_W2", "Ward 2", "OU_ROOT"),
    )
    bundle = build_bundle(
        CATALOGUE, org_units=ous, data_set_org_units={"OI_ENROLMENT": ["OU_W1", "OU_W2"]}
    )
    dhis2_emulator.load_metadata(bundle, generate_option_combos=False)
    values = _values()

    # ADX with DHIS2's default ADX schemes (CODE everywhere, our COCs have codes).
    adx = write_valid_adx(values, data_sets={"OI_ENROLMENT": ENROLMENT})
    assert _post(dhis2_emulator, adx, "application/adx+xml")["imported"] == len(values)
    stored = dhis2_emulator.data_values()

    de = {d["code"]: d["id"] for d in bundle["dataElements"]}
    ou = {o["code"]: o["id"] for o in bundle["organisationUnits"]}
    coc = {c["code"]: c["id"] for c in bundle["categoryOptionCombos"]} | {"default": "HllvX50cXC0"}
    expected = sorted(
        (de[v.data_element], v.period, ou[v.org_unit], coc["__".join(o for _, o in v.category_options) or "default"], v.value)
        for v in values
    )  # fmt: skip
    got = sorted(
        (r["dataElement"], r["period"], r["orgUnit"], r["categoryOptionCombo"], r["value"])
        for r in stored
    )
    assert got == expected

    # The same values as JSON: nothing new, all identical -> ignored.
    out = io.BytesIO()
    write_json(values, out, data_set="OI_ENROLMENT")
    counts = _post(dhis2_emulator, out.getvalue(), "application/json")
    assert counts["ignored"] == len(values) and counts["imported"] == counts["updated"] == 0
    assert dhis2_emulator.data_values() == stored
