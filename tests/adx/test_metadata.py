"""Metadata bundle invariants (CONTRACT.md §4) checked from the bundle's own JSON."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from adx.dhis2.metadata import OrgUnit, build_bundle, coc_code, coc_uid, options_resolver
from adx.dhis2.uids import UidCollisionError, UidRegistry, uid_for
from adx.model import (
    Catalogue,
    Category,
    CategoryOption,
    DataElement,
    DataSetDefinition,
    DefinitionError,
)

from .catalogue import CATALOGUE, CLAIMS, ENROLMENT

UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
DEFAULTS = {"bjDvmb4bfuf", "HllvX50cXC0", "xYerKDKCefk", "GLevLNI9wkl"}
OUS = (
    OrgUnit("OU_ROOT", "Country", None),
    OrgUnit("OU_D1", "District 1", "OU_ROOT"),
    OrgUnit("OU_W1", "Ward 1", "OU_D1"),
    OrgUnit("OU_W2", "Ward 2", "OU_D1", uid="AbCdEfGhIj1"),
)


@pytest.fixture(scope="module")
def bundle():
    b = build_bundle(
        CATALOGUE,
        org_units=OUS,
        data_set_org_units={
            "OI_ENROLMENT": ["OU_W1", "OU_W2"],
            "OI_CLAIMS": ["OU_W1"],
            "OI_POPULATION": ["OU_D1"],
        },
    )
    json.dumps(b)  # plain JSON
    return b


def _objects(bundle):
    return [(kind, o) for kind, objs in bundle.items() for o in objs]


def test_uids_valid_unique_and_codes_unique_per_type(bundle):
    ids = [o["id"] for _, o in _objects(bundle)]
    assert all(UID.match(i) for i in ids)
    assert len(ids) == len(set(ids))
    for kind, objs in bundle.items():
        codes = [o["code"] for o in objs]
        assert len(codes) == len(set(codes)), kind
        assert all(0 < len(c) <= 50 for c in codes)


def test_names_and_short_names(bundle):
    for kind in ("dataElements", "dataSets", "indicators", "categories", "categoryOptions"):
        shorts = [o["shortName"] for o in bundle[kind]]
        assert all(0 < len(s) <= 50 for s in shorts), kind
        assert len(set(shorts)) == len(shorts), kind
        names = [o["name"] for o in bundle[kind]]
        assert len(set(names)) == len(names), kind
    # "Unknown" is an option of two categories: names disambiguated, not dropped
    assert {"Unknown", "Unknown (AGE_UNKNOWN)"} <= {o["name"] for o in bundle["categoryOptions"]}


def test_every_reference_resolves(bundle):
    ids = {o["id"] for _, o in _objects(bundle)} | DEFAULTS
    refs = []

    def walk(x):
        if isinstance(x, dict):
            if set(x) == {"id"}:
                refs.append(x["id"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(bundle)
    assert refs
    assert set(refs) <= ids


def test_data_elements_and_combos(bundle):
    combos = {c["id"]: c for c in bundle["categoryCombos"]}
    cats = {c["id"]: c for c in bundle["categories"]}
    by_code = {d["code"]: d for d in bundle["dataElements"]}
    for ds in CATALOGUE.data_sets:
        for de in ds.data_elements:
            obj = by_code[de.code]
            assert obj["id"] == uid_for("dataElement", de.code)
            assert (obj["valueType"], obj["aggregationType"], obj["domainType"]) == (
                de.value_type,
                de.aggregation_type,
                "AGGREGATE",
            )
            assert obj["zeroIsSignificant"] is True
            if de.categories:
                combo = combos[obj["categoryCombo"]["id"]]
                assert [cats[c["id"]]["code"] for c in combo["categories"]] == [
                    c.code for c in de.categories
                ]
            else:
                assert obj["categoryCombo"]["id"] == "bjDvmb4bfuf"
    for cat in bundle["categories"]:
        assert re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*$", cat["code"])
        assert cat["dataDimensionType"] == "DISAGGREGATION" and cat["shortName"]
    for opt in bundle["categoryOptions"]:
        assert opt["sharing"] == {"public": "rwrw----"}


def test_cocs_are_the_cartesian_product(bundle):
    opt_code = {o["id"]: o["code"] for o in bundle["categoryOptions"]}
    cats = {
        c["id"]: [opt_code[r["id"]] for r in c["categoryOptions"]] for c in bundle["categories"]
    }
    for combo in bundle["categoryCombos"]:
        expected = {
            tuple(p) for p in itertools.product(*(cats[c["id"]] for c in combo["categories"]))
        }
        got = [tuple(opt_code[r["id"]] for r in coc["categoryOptions"])
               for coc in bundle["categoryOptionCombos"] if coc["categoryCombo"]["id"] == combo["id"]]  # fmt: skip
        assert len(got) == len(set(got)) == len(expected)
        assert set(got) == expected
    sample = next(c for c in bundle["categoryOptionCombos"] if c["code"] == "SEX_F__AGE_0_5")
    assert sample["name"] == "Female, 0-5"
    assert (
        sample["id"]
        == coc_uid((("SEX", "SEX_F"), ("AGE", "AGE_0_5")))
        == coc_uid(["SEX_F", "AGE_0_5"])
    )
    assert coc_code(()) == "default" and coc_uid(()) == "HllvX50cXC0"


def test_data_sets_and_org_units(bundle):
    ds = {d["code"]: d for d in bundle["dataSets"]}
    assert ds["OI_ENROLMENT"]["openFuturePeriods"] == 1
    assert ds["OI_POPULATION"]["periodType"] == "Yearly"
    assert len(ds["OI_CLAIMS"]["dataSetElements"]) == 3
    ou = {o["code"]: o for o in bundle["organisationUnits"]}
    assert [o["code"] for o in bundle["organisationUnits"]].index("OU_ROOT") < [
        o["code"] for o in bundle["organisationUnits"]
    ].index("OU_W1")
    assert ou["OU_W2"]["id"] == "AbCdEfGhIj1"
    assert ou["OU_W1"]["parent"] == {"id": ou["OU_D1"]["id"]} and "parent" not in ou["OU_ROOT"]
    assert {r["id"] for r in ds["OI_ENROLMENT"]["organisationUnits"]} == {
        ou["OU_W1"]["id"],
        "AbCdEfGhIj1",
    }
    assert ds["OI_ENROLMENT"]["sharing"] == {"public": "rwrw----"}


def test_indicator_expressions(bundle):
    de = {d["code"]: d["id"] for d in bundle["dataElements"]}
    coc_by_code = {c["code"]: c["id"] for c in bundle["categoryOptionCombos"]}
    types = {t["id"]: t["factor"] for t in bundle["indicatorTypes"]}
    ind = {i["code"]: i for i in bundle["indicators"]}
    cov = ind["OI_IND_COVERAGE"]
    assert cov["numerator"] == "#{" + de["OI_INSUREES_COVERED"] + "}"
    assert cov["denominator"] == "#{" + de["OI_POPULATION"] + "}"
    assert types[cov["indicatorType"]["id"]] == 100
    rej = ind["OI_IND_REJECTION"]
    assert (
        rej["numerator"]
        == "#{" + de["OI_CLAIMS"] + "." + coc_by_code["CLAIM_STATUS_REJECTED"] + "}"
    )
    girls = ind["OI_IND_FEMALE_CHILD_CLAIMS"]
    terms = set(girls["numerator"].split(" + "))
    assert terms == {
        "#{" + de["OI_CLAIMS_PATIENT"] + "." + coc_by_code[f"SEX_F__{a}"] + "}"
        for a in ("AGE_0_5", "AGE_6_12")
    }
    # every #{de.coc} references existing objects
    every = {c["id"] for c in bundle["categoryOptionCombos"]}
    for i in bundle["indicators"]:
        for expr in (i["numerator"], i["denominator"]):
            for d, _, c in re.findall(r"#\{(\w{11})(\.(\w{11}))?\}", expr):
                assert d in de.values()
                assert not c or c in every
    assert types[girls["indicatorType"]["id"]] == 1000


def test_deterministic():
    assert build_bundle(CATALOGUE, org_units=OUS) == build_bundle(CATALOGUE, org_units=OUS)
    assert uid_for("dataElement", "X") == uid_for("dataElement", "X") != uid_for("dataSet", "X")


def test_options_resolver_inverts_cocs(bundle):
    resolve = options_resolver(bundle)
    pairs = (("SEX", "SEX_M"), ("AGE", "AGE_76P"))
    assert resolve("OI_INSUREES_COVERED", coc_uid(pairs)) == pairs
    assert resolve("x", "SEX_M__AGE_76P") == pairs
    assert resolve("x", "HllvX50cXC0") == ()
    with pytest.raises(DefinitionError):
        resolve("x", "nope")


def test_errors_name_the_problem():
    with pytest.raises(DefinitionError, match="OU_X"):
        build_bundle(CATALOGUE, org_units=OUS, data_set_org_units={"OI_CLAIMS": ["OU_X"]})
    with pytest.raises(DefinitionError, match="OU_GONE"):
        build_bundle(CATALOGUE, org_units=(OrgUnit("A", "A", "OU_GONE"),))
    with pytest.raises(DefinitionError, match="cycle"):
        build_bundle(CATALOGUE, org_units=(OrgUnit("A", "A", "B"), OrgUnit("B", "B", "A")))
    long_code = "X" * 51
    with pytest.raises(DefinitionError, match="1 to 50"):
        build_bundle(Catalogue((DataSetDefinition(long_code, "n", "Monthly", ()),)))
    shared_opt = CategoryOption("UNKNOWN", "Unknown")
    a = Category("A", "A", (shared_opt,))
    b = Category("B", "B", (shared_opt,))
    bad = DataSetDefinition(
        "D", "D", "Monthly", (DataElement("E1", "E1", (a,)), DataElement("E2", "E2", (b,)))
    )
    with pytest.raises(DefinitionError, match="UNKNOWN"):
        build_bundle(Catalogue((bad,)))
    with pytest.raises(DefinitionError, match="include_category_option_combos"):
        build_bundle(CATALOGUE, include_category_option_combos=False)


def test_without_cocs_and_long_coc_codes():
    b = build_bundle(Catalogue((ENROLMENT, CLAIMS)), include_category_option_combos=False)
    assert "categoryOptionCombos" not in b
    opts = tuple((f"C{i}", f"OPTION_WITH_A_LONG_CODE_{i}") for i in range(3))
    code = coc_code(opts)
    assert len(code) == 50 and code != coc_code(opts[:2] + (("C2", "OPTION_WITH_A_LONG_CODE_X"),))


def test_registry_refuses_collisions():
    reg = UidRegistry()
    reg.claim("AbCdEfGhIj1", "dataElement", "A")
    assert reg.claim("AbCdEfGhIj1", "dataElement", "A") == "AbCdEfGhIj1"
    with pytest.raises(UidCollisionError, match="dataSet 'B'"):
        reg.claim("AbCdEfGhIj1", "dataSet", "B")
    with pytest.raises(ValueError, match="not a valid"):
        reg.claim("1bad", "dataSet", "B")
