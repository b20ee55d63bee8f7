"""Materialising the assets writes valid files equal to ``aggregations.compute_dataset``."""

from __future__ import annotations

import dataclasses

import dagster as dg
import pytest

from adx.periods import parse_period
from aggregations import load_config
from openimis_db.engine import make_engine
from pipelines.automation import MONTHLY_JOB, RANGE_END, RANGE_START
from pipelines.definitions import build_definitions
from pipelines.resources import DHIS2Resource
from pipelines.settings import Settings
from tests.aggregations.snap import compute_dataset
from tests.pipelines.helpers import frame_as_adx_set, frame_as_json_counter, read_adx, read_json


def _run(defs, job, *, first, last, selection=None):
    tags = {RANGE_START: first, RANGE_END: last} if first != last else {}
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def(job).execute_in_process(
            instance=instance,
            partition_key=first if first == last else None,
            tags=tags,
            asset_selection=selection,
            raise_on_error=False,
        )


def _assert_files_match(url, out, shared, months):
    engine = make_engine(url)
    config = load_config(None)
    try:
        for code in ("OI_ENROLMENT", "OI_CLAIMS"):
            for month in months:
                expected = compute_dataset(engine, code, [parse_period(month)], config)
                adx_file = out / f"{code}_{month}.adx.xml"
                json_file = out / f"{code}_{month}.json"
                if len(expected) == 0:
                    assert not adx_file.exists() and not json_file.exists()
                    continue
                assert read_adx(adx_file, shared) == frame_as_adx_set(expected)
                assert read_json(json_file) == frame_as_json_counter(expected)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "months", [("202402",), ("202311", "202312", "202401")], ids=["month", "range"]
)
def test_generated_pg_month_and_range_runs(generated_pg_url, tmp_path, shared, monkeypatch, months):
    monkeypatch.setenv("OPENIMIS_DB_URL", generated_pg_url)
    out = tmp_path / "out"
    defs = build_definitions(Settings(start="202301", out_dir=str(out), retries=0), DHIS2Resource())
    result = _run(defs, MONTHLY_JOB, first=months[0], last=months[-1])
    assert result.success
    # A range is one run in which every extract step ran once, for all its months.
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert sorted(steps) == sorted(set(steps))
    mats = result.asset_materializations_for_node("claims_snapshot")
    assert sorted(m.partition for m in mats) == list(months)
    _assert_files_match(generated_pg_url, out, shared, months)
    # Push is skipped (no DHIS2): its check says so, and nothing is materialised for it.
    assert not result.asset_materializations_for_node("claims_push")
    evals = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
    }
    assert evals[("claims_push", "conflicts_within_tolerance")].metadata["skipped"].value
    assert all(e.passed for e in evals.values())


def test_failing_blocking_check_stops_the_push(openimis_demo_url, tmp_path, monkeypatch):
    """A negative value fails a blocking check: no export, no push request (DHIS2 is configured)."""
    import aggregations

    real = aggregations.compute_dataset

    def corrupted(*args, **kwargs):
        frame = real(*args, **kwargs)
        frame.loc[0, "value"] = "-3"
        return frame

    monkeypatch.setattr(aggregations, "compute_dataset", corrupted)
    monkeypatch.setenv("OPENIMIS_DB_URL", openimis_demo_url)
    # Port 9 (discard) is closed: a push attempt would fail the push step, not skip it.
    dhis2 = DHIS2Resource(url="http://127.0.0.1:9", token="d2pat_x")
    settings = Settings(start="201801", out_dir=str(tmp_path), retries=0)
    defs = build_definitions(settings, dhis2)
    result = _run(defs, MONTHLY_JOB, first="201902", last="201902",
                  selection=[dg.AssetKey(k) for k in ("claims_snapshot", "claims_dataset", "claims_export", "claims_push")])  # fmt: skip
    assert not result.success
    failed = {e.check_name: e for e in result.get_asset_check_evaluations() if not e.passed}
    # The negative value is named; the totals no longer reconcile either.
    assert set(failed) == {"values_finite_non_negative", "totals_reconcile"}
    assert all(e.asset_key.to_user_string() == "claims_dataset" for e in failed.values())
    assert "'-3'" in failed["values_finite_non_negative"].metadata["details"].value
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert started == {"claims_snapshot", "claims_dataset"}
    assert not list(tmp_path.glob("OI_CLAIMS_*"))


def test_json_only_format_keeps_validating_adx(openimis_demo_url, tmp_path, monkeypatch, shared):
    monkeypatch.setenv("OPENIMIS_DB_URL", openimis_demo_url)
    settings = dataclasses.replace(Settings(start="201801", retries=0), out_dir=str(tmp_path))
    defs = build_definitions(settings, DHIS2Resource(), formats="json")
    result = _run(defs, MONTHLY_JOB, first="201902", last="201902",
                  selection=[dg.AssetKey(k) for k in ("claims_snapshot", "claims_dataset", "claims_export")])  # fmt: skip
    assert result.success
    assert sorted(p.name for p in tmp_path.glob("OI_CLAIMS_*")) == ["OI_CLAIMS_201902.json"]
    (xsd,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "adx_valid_against_xsd"
    ]
    assert xsd.passed and xsd.metadata["files"].value == 1
