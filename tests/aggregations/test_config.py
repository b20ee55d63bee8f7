"""Configuration: defaults, TOML loading, errors naming the key, code overrides end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from adx.periods import month_range
from aggregations import CatalogueConfig, ConfigError, build_catalogue, load_config
from aggregations.config import DEFAULT_DIAGNOSIS_GROUPS

from .snap import compute_dataset, reconcile

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "cfg.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_example_file():
    default = load_config(None)
    assert (default.residence_level, default.org_unit_id, default.claim_date) == (
        "ward",
        "code",
        "coalesce",
    )
    assert [b.label for b in default.age_bands] == [
        "0-5",
        "6-12",
        "13-18",
        "19-25",
        "26-35",
        "36-55",
        "56-75",
        "76+",
    ]
    example = load_config(REPO / "examples/catalogue.toml")
    assert example.age_bands == default.age_bands
    assert [g.code for g in example.diagnosis_groups] == [g.code for g in DEFAULT_DIAGNOSIS_GROUPS]
    assert [g.ranges for g in example.diagnosis_groups] == [
        g.ranges for g in DEFAULT_DIAGNOSIS_GROUPS
    ]


def test_top_level_file_skips_other_tools_tables(tmp_path):
    cfg = load_config(write(tmp_path, 'residence_level = "district"\n[dhis2]\nurl = "https://x"\n'))
    assert cfg.residence_level == "district"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[catalogue]\nresidence_level = "province"', "residence_level"),
        ('[catalogue]\norg_unit_id = "name"', "org_unit_id"),
        ('[catalogue]\norg_unit_id = "mapping"', "mapping_file"),
        ('[catalogue]\nclaim_date = "date_to"', "claim_date"),
        ('[catalogue]\nage_bands = ["0-5", "7-12", "13+"]', "age_bands"),  # gap at 6
        ('[catalogue]\nage_bands = ["0-5", "6-12"]', "age_bands"),  # no open last band
        ('[catalogue]\nage_bands = ["0-five"]', "age_bands"),
        ('[catalogue]\ncolour = "blue"', "colour"),
        ("[catalogue]\nopen_future_periods = -1", "open_future_periods"),
        ('[catalogue]\nstart_period = "2024-13"', "start_period"),
        ('[catalogue]\nenrolment_period_type = "Weekly"', "enrolment_period_type"),
        (
            '[[catalogue.diagnosis_groups]]\ncode = "X"\nicd = ["B54-B50"]',
            "diagnosis_groups[0].icd",
        ),
        (
            '[[catalogue.diagnosis_groups]]\ncode = "X"\nicd = ["B50"]\ncolor = 1',
            "diagnosis_groups[0].color",
        ),
        ('[catalogue.codes]\nSEX = ""', "codes.SEX"),
        ("[catalogue\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, text))


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("/nonexistent/cfg.toml")


def test_catalogue_shape_and_unique_option_codes():
    cat = build_catalogue(CatalogueConfig(), product_codes=["P1", "P2"])
    assert [d.code for d in cat.data_sets] == ["OI_ENROLMENT", "OI_CLAIMS", "OI_POPULATION"]
    assert [d.period_type for d in cat.data_sets] == ["Monthly", "Monthly", "Yearly"]
    # v1.1: + OI_DQ_INSUREES; + OI_CLAIMS_SETTLED and OI_DQ_CLAIMS
    assert len(cat.data_sets[0].data_elements) == 12 and len(cat.data_sets[1].data_elements) == 12
    assert len(cat.indicators) == 8
    categories = {c.code: c for ds in cat.data_sets for c in ds.categories()}
    options = [o.code for c in categories.values() for o in c.options]
    assert len(options) == len(set(options))  # unique across categories
    assert {
        "SEX_F",
        "AGE_0_5",
        "AGE_76PLUS",
        "CLAIM_STATUS_REJECTED",
        "PRODUCT_P2",
        "PRODUCT_UNKNOWN",
        "DIAGNOSIS_OTHER",
        "LINE_STATUS_OTHER",
        "VISIT_TYPE_UNKNOWN",
        "ITEM_TYPE_UNKNOWN",
    } <= set(options)


def test_code_overrides_reach_catalogue_frame_and_reconcile(scenario_engine, tmp_path):
    codes = {
        "OI_CLAIMS": "NHIS_CLAIMS_DS",
        "OI_CLAIMS_PATIENT": "NHIS_PATIENTS",
        "SEX": "GENDER",
        "SEX_F": "FEMALE",
        "OI_CLAIM_REJECTION_RATE": "NHIS_REJ",
    }
    cfg = CatalogueConfig(codes=codes)
    cat = build_catalogue(cfg)
    ds = cat.data_set("NHIS_CLAIMS_DS")
    assert ds.element("NHIS_PATIENTS").categories[0].code == "GENDER"
    assert "FEMALE" in ds.element("NHIS_PATIENTS").categories[0].option_codes()
    assert any(i.code == "NHIS_REJ" for i in cat.indicators)
    months = month_range("202402", "202402")
    frame = compute_dataset(scenario_engine, "NHIS_CLAIMS_DS", months, cfg)
    assert set(frame.data_set) == {"NHIS_CLAIMS_DS"}
    rows = frame[(frame.data_element == "NHIS_PATIENTS") & (frame.value != "0")]
    assert "GENDER=FEMALE;AGE=AGE_56_75" in set(rows.category_options)
    assert reconcile(scenario_engine, "NHIS_CLAIMS_DS", frame, months, cfg) == []


def test_reconcile_refuses_periods_of_another_type_naming_the_data_set():
    """Checked before any data is read (no snapshot needed); the message is written by hand."""
    import pandas as pd

    from adx.periods import quarterly
    from aggregations.periods import PeriodMismatchError
    from aggregations.reconcile import reconcile

    empty = pd.DataFrame(columns=["data_element", "period", "value"])
    with pytest.raises(PeriodMismatchError) as e:
        reconcile(None, "OI_ENROLMENT", empty, [quarterly(2024, 1)], CatalogueConfig())
    assert str(e.value) == (
        "data set OI_ENROLMENT is Monthly; period 2024Q1 is Quarterly: "
        "pass monthly periods (or configure the data set's period type)"
    )
