"""``openimis-dhis2 demo`` end to end: fresh directory, no configuration, valid files, summary."""

from __future__ import annotations

import json
import sqlite3

import pytest

from adx.periods import parse_period
from aggregations import load_config
from openimis_db.engine import make_engine
from pipelines.cli import main
from tests.aggregations.snap import compute_dataset
from tests.pipelines.helpers import frame_as_adx_set, frame_as_json_counter, read_adx, read_json


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for name in (
        "OPENIMIS_DB_URL",
        "DHIS2_URL",
        "DHIS2_TOKEN",
        "OPENIMIS_DHIS2_CONFIG",
        "DAGSTER_HOME",
    ):
        monkeypatch.delenv(name, raising=False)


def test_demo_end_to_end(tmp_path, shared, capsys, dhis2_emulator, monkeypatch):
    """The demo, with DHIS2_URL set to the emulator: metadata posted, every value imported."""
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.admin_token)
    demo = tmp_path / "demo"
    assert main(["demo", "--dir", str(demo)]) == 0
    out = capsys.readouterr().out
    exports = demo / "exports"
    months = [f"2024{m:02d}" for m in range(1, 13)]
    expected_names = {f"{code}_{m}{ext}" for code in ("OI_ENROLMENT", "OI_CLAIMS") for m in months
                      for ext in (".adx.xml", ".json")}  # fmt: skip
    expected_names |= {"OI_POPULATION_2024.adx.xml", "OI_POPULATION_2024.json"}
    assert {p.name for p in exports.glob("OI_*")} == expected_names
    for path in exports.glob("*.adx.xml"):
        assert read_adx(path, shared)  # XSD-valid (lxml, DHIS2's adx_loose.xsd) and not empty
    for path in exports.glob("*.json"):
        assert json.loads(path.read_text())["dataValues"]

    # The range run's files equal a per-month computation on the same SQLite database.
    db = demo / "openimis_demo.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    try:
        config = load_config(None)
        for code, period in (
            ("OI_CLAIMS", "202406"),
            ("OI_ENROLMENT", "202412"),
            ("OI_POPULATION", "2024"),
        ):
            frame = compute_dataset(engine, code, [parse_period(period)], config)
            assert read_adx(exports / f"{code}_{period}.adx.xml", shared) == frame_as_adx_set(frame)
            assert read_json(exports / f"{code}_{period}.json") == frame_as_json_counter(frame)
    finally:
        engine.dispose()

    # Headline: the claim rejection rate, recomputed with plain SQL (INDICATORS.md definitions).
    with sqlite3.connect(db) as conn:
        rejected, total = conn.execute(
            """SELECT SUM(ClaimStatus = 1), COUNT(*) FROM tblClaim
               WHERE ValidityTo IS NULL
                 AND date(COALESCE(DateTo, DateFrom)) >= '2024-01-01'
                 AND date(COALESCE(DateTo, DateFrom)) < '2025-01-01'"""
        ).fetchone()
    assert total > 0
    assert "claims (202401..202412)" in out
    line = next(x for x in out.splitlines() if "claim rejection rate %" in x)
    assert line.split()[-1] == f"{100 * rejected / total:.1f}"
    assert f"{total:,}" in next(x for x in out.splitlines() if "claims (202401..202412)" in x)
    assert "coverage rate %" in out and "nothing pushed" not in out
    sent = sum(len(json.loads(p.read_text())["dataValues"]) for p in exports.glob("*.json"))
    assert len(dhis2_emulator.data_values()) == sent
    assert out.count("SUCCESS") == 3  # one import summary per data set
