"""Range runs, the complete option grid, period checks, org unit id rules and unmapped org units."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from adx.periods import month_range, monthly, yearly
from aggregations import (
    FACT_COLUMNS,
    CatalogueConfig,
    PeriodMismatchError,
    UnmappedOrgUnitsError,
    compute_facts,
    org_units,
)
from openimis_db import tables as t
from openimis_db.engine import make_engine

from . import scenario
from .rows import create_schema
from .snap import compute_dataset, reconcile, snapshot_for

MONTHS = month_range("202401", "202403")


@pytest.mark.parametrize("dataset", ["OI_ENROLMENT", "OI_CLAIMS"])
def test_range_run_equals_single_month_runs(scenario_engine, dataset):
    cfg = CatalogueConfig()
    whole = compute_dataset(scenario_engine, dataset, MONTHS, cfg)
    parts = pd.concat(
        [compute_dataset(scenario_engine, dataset, [m], cfg) for m in MONTHS], ignore_index=True
    )
    key = ["period", "org_unit", "data_element", "category_options"]
    pd.testing.assert_frame_equal(
        whole.sort_values(key, ignore_index=True), parts.sort_values(key, ignore_index=True)
    )


def test_fact_frames_are_parquet_friendly(scenario_engine, tmp_path):
    cfg = CatalogueConfig()
    snap = snapshot_for(scenario_engine, ["OI_ENROLMENT", "OI_CLAIMS"], MONTHS, cfg)
    facts = ("insurees", "policies", "contributions", "claims", "claim_lines")
    frame = compute_facts(snap, facts, MONTHS, cfg, org_units(snap, cfg))
    assert tuple(frame.columns) == FACT_COLUMNS
    assert str(frame["value"].dtype) == "int64" and str(frame["divisor"].dtype) == "int64"
    assert all(str(frame[c].dtype) == "string" for c in ("measure", "period", "dim1", "dim2"))
    frame.to_parquet(tmp_path / "facts.parquet")
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "facts.parquet"), frame, check_dtype=False
    )


@pytest.mark.parametrize(
    ("dataset", "periods", "message"),
    [
        ("OI_ENROLMENT", [yearly(2024)], "is Monthly; period 2024 is Yearly"),
        ("OI_POPULATION", [monthly(2024, 1)], "is Yearly; period 202401 is Monthly"),
        ("OI_CLAIMS", [], "no period"),
        ("OI_CLAIMS", [monthly(2024, 1), monthly(2024, 1)], "given twice"),
    ],
)
def test_wrong_periods_are_errors(scenario_engine, dataset, periods, message):
    with pytest.raises(PeriodMismatchError, match=message):
        compute_dataset(scenario_engine, dataset, periods, CatalogueConfig())


def test_uuid_org_unit_ids(scenario_engine):
    frame = compute_dataset(
        scenario_engine, "OI_CLAIMS", MONTHS, CatalogueConfig(org_unit_id="uuid")
    )
    with scenario_engine.connect() as conn:
        uuids = {
            str(u).lower()
            for u in conn.execute(t.tblHF.select().with_only_columns(t.tblHF.c.HfUUID)).scalars()
        }
    assert set(frame.org_unit) <= uuids and len(set(frame.org_unit)) == 2


def test_mapping_file_and_unmapped_codes_listed_and_written(scenario_engine, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "openimis_code,dhis2_id,kind\nHF1,DhisUid0001,facility\nW1,WardUid0001,location\n"
    )
    cfg = CatalogueConfig(org_unit_id="mapping", mapping_file=mapping)
    claims_frame = compute_dataset(
        scenario_engine, "OI_CLAIMS", month_range("202402", "202403"), cfg
    )
    assert set(claims_frame.org_unit) == {"DhisUid0001"}
    unmapped = tmp_path / "unmapped.txt"
    cfg = CatalogueConfig(org_unit_id="mapping", mapping_file=mapping, unmapped_file=unmapped)
    with pytest.raises(UnmappedOrgUnitsError) as err:
        compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, cfg)  # HF2 has a claim in January
    assert err.value.codes == ["HF2"] and "HF2" in str(err.value)
    with pytest.raises(UnmappedOrgUnitsError) as err:
        compute_dataset(scenario_engine, "OI_ENROLMENT", MONTHS, cfg)  # W2 holds family 2
    assert err.value.codes == ["W2"]
    assert unmapped.read_text().split() == ["W2"]


def test_family_without_location_is_an_error_not_a_drop(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    create_schema(engine)
    rows = scenario.build()
    next(f for f in rows.rows["tblFamilies"] if f["FamilyID"] == 2)["LocationId"] = None
    rows.write(engine)
    with pytest.raises(UnmappedOrgUnitsError, match="LocationId=NULL"):
        compute_dataset(engine, "OI_ENROLMENT", MONTHS, CatalogueConfig())


def test_reconcile_reports_a_tampered_value(scenario_engine):
    cfg = CatalogueConfig()
    frame = compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, cfg)
    assert reconcile(scenario_engine, "OI_CLAIMS", frame, MONTHS, cfg) == []
    bad = frame.copy()
    i = bad.index[(bad.data_element == "OI_CLAIMS") & (bad.value == "1")][0]
    bad = bad.drop(index=i)  # a dropped category option row
    problems = reconcile(scenario_engine, "OI_CLAIMS", bad, MONTHS, cfg)
    assert len(problems) == 1 and problems[0].data_element == "OI_CLAIMS"
    assert Decimal(problems[0].expected) - Decimal(problems[0].actual) == 1


def test_option_grid_comes_from_the_catalogue_and_tblproduct(tmp_path):
    """v1.1 complete option grid: a current product without any policy is an option of every
    written cell (zero), a non-current one is not; every element x option combo is written for
    each (period, org unit) with a value, and an org unit without any value is not written."""
    engine = make_engine(f"sqlite:///{tmp_path / 'grid.db'}")
    create_schema(engine)
    rows = scenario.build()
    rows.add(t.tblProduct, ProdID=90, ProductCode="UNUSED")
    rows.add(t.tblProduct, ProdID=91, ProductCode="GONE", ValidityTo=scenario.GONE)
    rows.write(engine)
    frame = compute_dataset(engine, "OI_ENROLMENT", MONTHS[:1], CatalogueConfig())
    products = set(frame[frame.data_element == "OI_POLICIES_ACTIVE"].category_options)
    assert "PRODUCT=PRODUCT_UNUSED" in products and "PRODUCT=PRODUCT_GONE" not in products
    per_cell = frame.groupby(["period", "org_unit"]).size()
    assert per_cell.nunique() == 1  # the same complete grid in every written cell
    with_value = frame[frame.value != "0"].groupby(["period", "org_unit"]).size()
    assert set(per_cell.index) == set(with_value.index)


def test_amount_tolerance_is_half_a_cent_per_cell(scenario_engine):
    """Amount cells are rounded one by one, so reconciliation allows half a cent per cell of an
    (element, period) and no more: the scenario's amounts are whole cents (the cells sum exactly),
    so a shift of exactly n/2 cents over n cells passes and one a tenth of a cent larger fails."""
    cfg = CatalogueConfig()
    frame = compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, cfg)
    amounts = frame[frame.data_element == "OI_CLAIMED_AMOUNT"]
    (de, period), cells = next(iter(amounts.groupby(["data_element", "period"]).groups.items()))
    n = len(cells)
    for shift, reported in (
        (Decimal("0.005") * n, False),
        (Decimal("0.005") * n + Decimal("0.001"), True),
    ):
        bad = frame.copy()
        bad.loc[cells[0], "value"] = str(Decimal(bad.loc[cells[0], "value"]) + shift)
        problems = reconcile(scenario_engine, "OI_CLAIMS", bad, MONTHS, cfg)
        want = [("OI_CLAIMS", de, period)] if reported else []
        assert [(p.data_set, p.data_element, p.period) for p in problems] == want


def test_counts_have_no_tolerance_however_many_cells(scenario_engine):
    """A count one short is reported even among 400 (zero) cells: only amounts get half a cent
    per cell."""
    cfg = CatalogueConfig()
    frame = compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, cfg)
    i = frame.index[(frame.data_element == "OI_CLAIMS") & (frame.value == "1")][0]
    period = frame.loc[i, "period"]
    zeros = pd.DataFrame([frame.loc[i]] * 400).assign(value="0")
    bad = pd.concat([frame.drop(index=i), zeros], ignore_index=True)
    problems = reconcile(scenario_engine, "OI_CLAIMS", bad, MONTHS, cfg)
    assert [(p.data_set, p.data_element, p.period) for p in problems] == [
        ("OI_CLAIMS", "OI_CLAIMS", period)
    ]
    assert Decimal(problems[0].expected) - Decimal(problems[0].actual) == 1


def test_a_snapshot_folder_with_a_quote_in_its_name(scenario_engine, tmp_path):
    """The Parquet paths go into DuckDB SQL as string literals: a ``'`` in a folder name (an
    operator's home such as /home/o'brien) must be escaped, and the values stay the same."""
    import aggregations

    cfg = CatalogueConfig()
    plain = compute_dataset(scenario_engine, "OI_ENROLMENT", MONTHS, cfg)
    snap = snapshot_for(scenario_engine, ["OI_ENROLMENT"], MONTHS, cfg, tmp_path / "o'brien")
    quoted = aggregations.compute_dataset(snap, "OI_ENROLMENT", MONTHS, cfg)
    pd.testing.assert_frame_equal(quoted, plain)
