"""Codes with separators, quotes and markup travel unchanged; codes that cannot travel are refused.

Issue 11.4: option sets were encoded ``a=b;c=d`` without escaping, so a product code ``PL;SEX=M`` was
exported as two categories. Hostile codes are put in every place a code enters (product, location
and facility codes and ICD codes in the database; option and category overrides in the
configuration), exported through the CLI as ADX and JSON, and read back with plain lxml / json and
the project's readers. The expected option codes are written out here, not derived from the code.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from adx.adx_xml import read_adx
from adx.dhis2.metadata import build_bundle, options_resolver
from adx.dvs_json import read_json
from aggregations import build_catalogue, load_config, product_codes
from openimis_db.engine import make_engine
from pipelines.cli import main
from tests.aggregations.snap import reference_snapshot

NS = "{urn:ihe:qrph:adx:2015}"
PRODUCT = "PL;SEX=M"  # was split into PRODUCT="PRODUCT_PL" SEX="M"
HF_CODE = 'H;=\\"<&'
WARD_CODE = "W=1;A\\"
ICD_CODE = "B50;SEX"  # a malaria code with a payload: must still count as malaria
OVERRIDES = {
    "SEX_M": "M;AGE=X",  # option override with separators
    "CLAIM_STATUS_REJECTED": "R=1\\",
    "AGE": "AGE.GROUP",  # category override: a valid XML name other than the default
}
CONFIG = "[catalogue]\n[catalogue.codes]\n" + "".join(
    f"{k} = {json.dumps(v)}\n" for k, v in OVERRIDES.items()
)
PERIODS = "202401:202402"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    from synthetic_data import GenerationOptions, generate

    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    generate(f"sqlite:///{path}", GenerationOptions(insurees=120, seed=11, start="2023-01"))
    with sqlite3.connect(path) as con:
        (prod_id,) = con.execute("SELECT min(ProdID) FROM tblProduct").fetchone()
        con.execute("UPDATE tblProduct SET ProductCode = ? WHERE ProdID = ?", (PRODUCT, prod_id))
        (hf_id,) = con.execute(  # the facility with the most claims: it has data every month
            "SELECT HFID FROM tblClaim GROUP BY HFID ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        con.execute("UPDATE tblHF SET HFCode = ? WHERE HfID = ?", (HF_CODE, hf_id))
        (ward_id,) = con.execute(  # the ward with the most families: it has insurees every month
            "SELECT v.ParentLocationId FROM tblFamilies f JOIN tblLocations v "
            "ON v.LocationId = f.LocationId WHERE f.ValidityTo IS NULL "
            "GROUP BY v.ParentLocationId ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        con.execute(
            "UPDATE tblLocations SET LocationCode = ? WHERE LocationId = ?", (WARD_CODE, ward_id)
        )
        con.execute("UPDATE tblICDCodes SET ICDCode = ? WHERE ICDCode = 'B50'", (ICD_CODE,))
    return path


def _export(db: Path, out: Path, config: Path | None = None, *extra: str) -> int:
    args = ["export", "--db", f"sqlite:///{db}", "--period", PERIODS, "--out", str(out), *extra]
    return main([*args, *(["--config", str(config)] if config else [])])


def _plain_adx(path: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(org unit, element, category attributes) per value, read with lxml only."""
    out = []
    for group in etree.parse(str(path)).getroot().iter(f"{NS}group"):
        for dv in group.iter(f"{NS}dataValue"):
            cats = {k: v for k, v in dv.attrib.items() if k not in ("dataElement", "value")}
            out.append((group.get("orgUnit"), dv.get("dataElement"), cats))
    return out


def test_hostile_codes_travel_unchanged_to_adx_and_json(hostile_db, tmp_path, shared):
    config = tmp_path / "codes.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert _export(hostile_db, out, config) == 0

    engine = make_engine(f"sqlite:///{hostile_db}")
    try:
        catalogue = build_catalogue(load_config(config), product_codes(reference_snapshot(engine)))
    finally:
        engine.dispose()
    categories_of = {
        de.code: sorted(c.code for c in de.categories)
        for ds in catalogue.data_sets
        for de in ds.data_elements
    }
    enrol = _plain_adx(out / "OI_ENROLMENT_202402.adx.xml")
    claims = _plain_adx(out / "OI_CLAIMS_202402.adx.xml")
    for _ou, de, cats in enrol + claims:
        # no injected category: exactly the element's categories, each once
        assert sorted(cats) == categories_of[de], (de, cats)
    products = {cats["PRODUCT"] for _ou, _de, cats in enrol if "PRODUCT" in cats}
    assert "PRODUCT_PL;SEX=M" in products and "PRODUCT_PL" not in products
    sexes = {cats["SEX"] for _ou, _de, cats in enrol + claims if "SEX" in cats}
    assert sexes == {"M;AGE=X", "SEX_F", "SEX_O", "SEX_UNKNOWN"}
    assert any("AGE.GROUP" in cats for _ou, _de, cats in enrol)
    statuses = {cats["CLAIM_STATUS"] for _ou, _de, cats in claims if "CLAIM_STATUS" in cats}
    assert "R=1\\" in statuses and "CLAIM_STATUS_REJECTED" not in statuses
    assert HF_CODE in {ou for ou, _de, _c in claims}
    assert WARD_CODE in {ou for ou, _de, _c in enrol}

    # The ICD code with separators still lands in its group (prefix B50 = malaria), never as a code.
    with sqlite3.connect(hostile_db) as con:
        malaria_claims = con.execute(
            "SELECT count(*) FROM tblClaim WHERE ValidityTo IS NULL AND ICDID IN "
            "(SELECT ICDID FROM tblICDCodes WHERE ICDCode = ?)",
            (ICD_CODE,),
        ).fetchone()[0]
    assert malaria_claims > 0
    diag = {cats["DIAGNOSIS"] for _ou, _de, cats in claims if "DIAGNOSIS" in cats}
    assert all(d.startswith("DIAGNOSIS_") and ";" not in d for d in diag)

    # The project's readers give back the same values from ADX and from JSON (COC UIDs resolved
    # through the metadata bundle of the same catalogue).
    resolver = options_resolver(build_bundle(catalogue))
    for name in ("OI_ENROLMENT_202402", "OI_CLAIMS_202401"):
        from_adx = Counter(
            (v.org_unit, v.period, v.data_element, tuple(sorted(v.category_options)), v.value)
            for v in read_adx(out / f"{name}.adx.xml")
        )
        from_json = Counter(
            (v.org_unit, v.period, v.data_element, tuple(sorted(v.category_options)), v.value)
            for v in read_json(out / f"{name}.json", options_for=resolver)
        )
        assert from_adx == from_json and sum(from_adx.values()) > 0


@pytest.mark.parametrize(
    ("sql", "config", "message"),
    [
        (
            "UPDATE tblProduct SET ProductCode = 'P' || char(1) WHERE ProdID = "
            "(SELECT min(ProdID) FROM tblProduct)",
            None,
            "tblProduct.ProductCode",
        ),
        (
            "UPDATE tblHF SET HFCode = 'H' || char(7) WHERE HfID = (SELECT min(HfID) FROM tblHF)",
            None,
            "tblHF HfID=",
        ),
        (
            "UPDATE tblLocations SET LocationCode = 'W' || char(27) WHERE LocationId = "
            "(SELECT min(LocationId) FROM tblLocations WHERE LocationType = 'W')",
            None,
            "tblLocations LocationId=",
        ),
        (None, 'SEX = "SEX X"', "codes.SEX"),  # category code: not an XML name
        (None, 'PRODUCT = "1PRODUCT"', "codes.PRODUCT"),
        (None, 'SEX_F = "F\\u0000"', "codes.SEX_F"),
        (None, f'SEX_O = "{"O" * 51}"', "codes.SEX_O"),
    ],
)
def test_codes_that_cannot_travel_are_refused_naming_the_source(
    hostile_db, tmp_path, capsys, sql, config, message
):
    db = tmp_path / "db.sqlite"
    db.write_bytes(hostile_db.read_bytes())
    if sql:
        with sqlite3.connect(db) as con:
            con.execute(sql)
    cfg = None
    if config:
        cfg = tmp_path / "codes.toml"
        cfg.write_text("[catalogue.codes]\n" + config + "\n")
    assert _export(db, tmp_path / "out", cfg) == 1
    err = capsys.readouterr().err
    assert message in err, err
