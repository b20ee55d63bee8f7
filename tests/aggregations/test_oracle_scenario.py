"""Every data element on the hand-made database equals the plain-Python oracle (both engines)."""

from __future__ import annotations

import pytest

from adx.periods import month_range, quarterly, yearly
from aggregations import CatalogueConfig

from . import oracle
from .snap import compute_dataset, reconcile

MONTHS = month_range("202401", "202403")


@pytest.mark.parametrize("level", ["village", "ward", "district", "region"])
def test_enrolment_matches_oracle(scenario_engine, level):
    cfg = CatalogueConfig(residence_level=level)
    frame = compute_dataset(scenario_engine, "OI_ENROLMENT", MONTHS, cfg)
    expected = oracle.compute(oracle.read(scenario_engine), "OI_ENROLMENT", MONTHS, level=level)
    assert oracle.frame_values(frame) == expected
    assert reconcile(scenario_engine, "OI_ENROLMENT", frame, MONTHS, cfg) == []


@pytest.mark.parametrize("rule", ["coalesce", "date_from", "date_claimed", "date_processed"])
def test_claims_match_oracle(scenario_engine, rule):
    cfg = CatalogueConfig(claim_date=rule)
    frame = compute_dataset(scenario_engine, "OI_CLAIMS", MONTHS, cfg)
    expected = oracle.compute(oracle.read(scenario_engine), "OI_CLAIMS", MONTHS, claim_date=rule)
    assert oracle.frame_values(frame) == expected
    assert reconcile(scenario_engine, "OI_CLAIMS", frame, MONTHS, cfg) == []


@pytest.mark.parametrize("level", ["village", "ward", "district", "region"])
def test_population_matches_oracle(scenario_engine, level):
    cfg = CatalogueConfig(residence_level=level)
    periods = [yearly(2024)]
    frame = compute_dataset(scenario_engine, "OI_POPULATION", periods, cfg)
    expected = oracle.compute(oracle.read(scenario_engine), "OI_POPULATION", periods, level=level)
    assert expected  # the scenario has population figures at every level
    assert oracle.frame_values(frame) == expected
    assert reconcile(scenario_engine, "OI_POPULATION", frame, periods, cfg) == []


def test_quarter_computes_over_its_own_range(scenario_engine):
    cfg = CatalogueConfig(enrolment_period_type="Quarterly", claims_period_type="Quarterly")
    q1 = [quarterly(2024, 1)]
    raw = oracle.read(scenario_engine)
    for ds in ("OI_ENROLMENT", "OI_CLAIMS"):
        frame = compute_dataset(scenario_engine, ds, q1, cfg)
        assert oracle.frame_values(frame) == oracle.compute(raw, ds, q1)
        assert reconcile(scenario_engine, ds, frame, q1, cfg) == []
