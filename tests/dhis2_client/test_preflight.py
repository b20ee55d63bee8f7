"""Pre-flight validation from a metadata snapshot (no HTTP). The snapshot is built from JSON
shaped like DHIS2's API answers for CONTRACT.md §4's minimal bundle."""

from __future__ import annotations

from datetime import date

import pytest

from adx.dhis2 import preflight as pf
from adx.dhis2.snapshot import MetadataSnapshot
from adx.model import Category, CategoryOption, DataElement, DataSetDefinition, DataValue

SEX = {
    "id": "CatSex00001",
    "code": "SEX",
    "categoryOptions": [{"id": "CoF", "code": "F"}, {"id": "CoM", "code": "M"}],
}
AGE = {"id": "CatAge00001", "code": "AGE_GROUP",
       "categoryOptions": [{"id": "CoL", "code": "LT5"}, {"id": "CoG", "code": "GE5"}]}  # fmt: skip
SEX_AGE = {"id": "CcSexAge001", "code": "SEX_AGE", "categories": [SEX, AGE]}
DEFAULT = {"id": "bjDvmb4bfuf", "code": "default", "categories": []}

DATA_SET = {
    "id": "DsMalaria01",
    "code": "DS_MAL",
    "periodType": "Monthly",
    "openFuturePeriods": 0,
    "expiryDays": 0,
    "categoryCombo": DEFAULT,
    "dataSetElements": [
        {"dataElement": {"id": "DeMalCase01", "code": "MAL_CASES", "valueType": "INTEGER_ZERO_OR_POSITIVE",
                         "zeroIsSignificant": True, "categoryCombo": SEX_AGE}},
        {"dataElement": {"id": "DeMalNote01", "code": "MAL_NOTE", "valueType": "TEXT", "categoryCombo": DEFAULT}},
        {"dataElement": {"id": "DeMalRate01", "code": "MAL_RATE", "valueType": "PERCENTAGE",
                         "zeroIsSignificant": False, "categoryCombo": DEFAULT}},
    ],
    "organisationUnits": [{"id": "OuFacil0001", "code": "OU_123"}],
}  # fmt: skip
# Three of the four combinations exist: (M, GE5) was never generated.
COCS = [
    {"id": f"Coc{n}", "categoryCombo": {"id": "CcSexAge001"},
     "categoryOptions": [{"code": s}, {"code": a}]}
    for n, (s, a) in enumerate([("F", "LT5"), ("F", "GE5"), ("M", "LT5")])
]  # fmt: skip
ORG_UNITS = [{"id": "OuFacil0001", "code": "OU_123"}, {"id": "OuFacil0002", "code": "OU_456"}]
TODAY = date(2024, 3, 15)


@pytest.fixture
def snapshot() -> MetadataSnapshot:
    return MetadataSnapshot.from_dhis2([DATA_SET], COCS, ORG_UNITS)


def cases(de="MAL_CASES", value="5", opts=(("SEX", "F"), ("AGE_GROUP", "LT5")), ou="OU_123",
          pe="202402", ds="DS_MAL", aoc=()):  # fmt: skip
    return DataValue(ds, pe, ou, de, value, tuple(opts), tuple(aoc))


def kinds(problems):
    return [p.kind for p in problems]


def test_clean_values_have_no_problem(snapshot):
    values = [
        cases(),
        cases(opts=(("AGE_GROUP", "GE5"), ("SEX", "F"))),  # order of attributes does not matter
        cases(de="MAL_NOTE", value="stock-out in week 2", opts=()),
        cases(de="MAL_RATE", value="12.5", opts=()),
    ]
    assert pf.preflight(values, snapshot, today=TODAY) == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (cases(ds="DS_OTHER"), pf.DATA_SET_UNKNOWN),
        (cases(de="MAL_DEATHS"), pf.DATA_ELEMENT_NOT_IN_DATA_SET),
        (cases(opts=(("SEX", "F"),)), pf.CATEGORY_OPTIONS_INVALID),  # a category missing
        (
            cases(opts=(("SEX", "X"), ("AGE_GROUP", "LT5"))),
            pf.CATEGORY_OPTIONS_INVALID,
        ),  # unknown option
        (
            cases(opts=(("sex", "F"), ("AGE_GROUP", "LT5"))),
            pf.CATEGORY_OPTIONS_INVALID,
        ),  # case matters
        (
            cases(de="MAL_NOTE", value="x", opts=(("SEX", "F"),)),
            pf.CATEGORY_OPTIONS_INVALID,
        ),  # default combo
        (cases(opts=(("SEX", "M"), ("AGE_GROUP", "GE5"))), pf.CATEGORY_OPTION_COMBO_MISSING),
        (cases(aoc=(("FUNDER", "GOV"),)), pf.ATTRIBUTE_OPTIONS_INVALID),
        (cases(ou="OU_999"), pf.ORG_UNIT_UNKNOWN),
        (cases(ou="OU_456"), pf.ORG_UNIT_NOT_ASSIGNED),
        (cases(pe="2024Q1"), pf.PERIOD_WRONG_TYPE),
        (cases(pe="202413"), pf.PERIOD_INVALID),
        (cases(pe="2024W1"), pf.PERIOD_WRONG_TYPE),
        (cases(pe="202403"), pf.PERIOD_NOT_OPEN),  # the current month, openFuturePeriods=0
        (cases(pe="202501"), pf.PERIOD_NOT_OPEN),
        (cases(value=""), pf.VALUE_MISSING),
        (cases(value="-1"), pf.VALUE_TYPE),
        (cases(value="01"), pf.VALUE_TYPE),
        (cases(value="1.0"), pf.VALUE_TYPE),
        (cases(de="MAL_RATE", value="100.5", opts=()), pf.VALUE_TYPE),
        (cases(de="MAL_RATE", value="1e2", opts=()), pf.VALUE_TYPE),
    ],
)
def test_each_problem_kind_is_reported_and_names_the_value(snapshot, value, kind):
    problems = pf.preflight([value], snapshot, today=TODAY)
    assert kinds(problems) == [kind]
    assert problems[0].value == value
    text = str(problems[0])
    assert f"{value.data_set}/{value.period}/{value.org_unit}/{value.data_element}" in text


def test_current_month_is_open_with_one_future_period():
    ds = dict(DATA_SET, openFuturePeriods=1)
    snap = MetadataSnapshot.from_dhis2([ds], COCS, ORG_UNITS)
    assert pf.preflight([cases(pe="202403")], snap, today=TODAY) == []
    assert kinds(pf.preflight([cases(pe="202404")], snap, today=TODAY)) == [pf.PERIOD_NOT_OPEN]


def test_expiry_days_lock_old_periods():
    snap = MetadataSnapshot.from_dhis2([dict(DATA_SET, expiryDays=10)], COCS, ORG_UNITS)
    # 202402 ends 2024-02-29; locked from 2024-03-11 on.
    assert pf.preflight([cases(pe="202402")], snap, today=date(2024, 3, 10)) == []
    assert kinds(pf.preflight([cases(pe="202402")], snap, today=date(2024, 3, 11))) == [
        pf.PERIOD_LOCKED
    ]


def test_zero_of_non_significant_element_is_a_warning_and_duplicates_are_errors(snapshot):
    problems = pf.preflight(
        [cases(de="MAL_RATE", value="0", opts=()), cases(), cases(value="6")], snapshot, today=TODAY
    )
    assert [(p.kind, p.severity) for p in problems] == [
        (pf.ZERO_NOT_STORED, "warning"),
        (pf.DUPLICATE_VALUE, "error"),
    ]
    assert len(pf.errors(problems)) == 1
    assert "1 duplicate_value, 1 zero_not_stored" in pf.summarise(problems)


def test_every_problem_of_every_value_is_reported(snapshot):
    values = [cases(ou="OU_999", value="x"), cases(de="NOPE"), cases(pe="2024")]
    assert kinds(pf.preflight(values, snapshot, today=TODAY)) == [
        pf.ORG_UNIT_UNKNOWN,
        pf.VALUE_TYPE,
        pf.DATA_ELEMENT_NOT_IN_DATA_SET,
        pf.PERIOD_WRONG_TYPE,
    ]


@pytest.mark.parametrize(
    ("value_type", "good", "bad"),
    [
        ("INTEGER", ["0", "-5", "12"], ["01", "+1", "1.0", "-0", ""]),
        ("INTEGER_POSITIVE", ["1", "42"], ["0", "-1"]),
        ("INTEGER_NEGATIVE", ["-1"], ["0", "1"]),
        ("NUMBER", ["0", "-0", "1.5", "-12.25"], ["1e5", ".5", "1.", "01", "1" * 250]),
        ("UNIT_INTERVAL", ["0", "0.5", "1"], ["1.01", "-0.1"]),
        ("BOOLEAN", ["true", "FALSE", "1", "0", "t", "F"], ["yes", "2"]),
        ("TRUE_ONLY", ["true"], ["false"]),
        ("DATE", ["2024-02-29"], ["2023-02-29", "20240101"]),
        ("LETTER", ["a"], ["ab", "1"]),
    ],
)
def test_dhis2_value_type_rules(value_type, good, bad):
    for v in good:
        assert pf.value_type_error(v, value_type) is None, (value_type, v)
    for v in bad:
        assert pf.value_type_error(v, value_type) is not None, (value_type, v)


def test_offline_snapshot_from_our_definitions():
    sex = Category("SEX", "Sex", (CategoryOption("F", "Female"), CategoryOption("M", "Male")))
    ds = DataSetDefinition(
        "DS_INS",
        "Insurance",
        "Monthly",
        (DataElement("INS_NEW", "New", (sex,)),),
        open_future_periods=1,
    )
    snap = MetadataSnapshot.from_definitions([ds], ["OU_1"])
    ok = DataValue("DS_INS", "202403", "OU_1", "INS_NEW", "3", (("SEX", "M"),))
    assert pf.preflight([ok], snap, today=TODAY) == []
    bad = DataValue("DS_INS", "202403", "OU_2", "INS_NEW", "3", (("SEX", "U"),))
    assert kinds(pf.preflight([bad], snap, today=TODAY)) == [
        pf.ORG_UNIT_UNKNOWN,
        pf.CATEGORY_OPTIONS_INVALID,
    ]


def test_a_client_is_asked_for_the_snapshot_of_the_values_data_sets_and_org_units(snapshot):
    calls = []

    class FakeClient:
        def metadata_snapshot(self, data_sets, org_units=None):
            calls.append((list(data_sets), list(org_units)))
            return snapshot

    pf.preflight(iter([cases(), cases(ou="OU_456")]), FakeClient(), today=TODAY)
    assert calls == [(["DS_MAL"], ["OU_123", "OU_456"])]


def test_metadata_cache_asks_dhis2_once_for_a_range_and_again_for_what_is_new():
    """The export pre-flights every period; DHIS2 is asked once for the whole scope, and again
    (for everything asked so far) only when a period names an org unit or data set not fetched."""
    asked: list[tuple[list[str], list[str]]] = []

    class Source:
        def metadata_snapshot(self, data_sets, org_units=None):
            asked.append((list(data_sets), list(org_units or [])))
            return MetadataSnapshot({})

    cache = pf.MetadataCache(Source(), ["OU_1", "OU_2"])
    first = cache.metadata_snapshot(["DS_MAL"], ["OU_1"])
    assert cache.metadata_snapshot(["DS_MAL"], ["OU_2", "OU_1"]) is first
    assert asked == [(["DS_MAL"], ["OU_1", "OU_2"])]
    cache.metadata_snapshot(["DS_MAL"], ["OU_3"])
    cache.metadata_snapshot(["DS_OTHER"], [])
    assert asked[1:] == [
        (["DS_MAL"], ["OU_1", "OU_2", "OU_3"]),
        (["DS_MAL", "DS_OTHER"], ["OU_1", "OU_2", "OU_3"]),
    ]
    assert cache.fetches == 3
