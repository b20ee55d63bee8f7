"""Checks that gate: values whose blocking checks failed (or never ran) are never pushed.

Issue 11.2: the data set used to write its values before its checks ran, and the push read them
without re-checking, so a push-only or retried run sent values whose ``totals_reconcile`` failed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.values_store import (
    CheckVerdict,
    UncheckedValuesError,
    open_periods,
    rejected_path,
    write_period,
)
from tests.pipelines.test_push import load_dhis2_metadata

CHECKS = ("totals_reconcile", "org_units_mapped", "values_finite_non_negative")


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for name in ("OPENIMIS_DB_URL", "DHIS2_URL", "DHIS2_TOKEN", "DHIS2_USERNAME", "DHIS2_PASSWORD",
                 "OPENIMIS_DHIS2_CONFIG", "DAGSTER_HOME", "DHIS2_CONFLICT_TOLERANCE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def _inflate_one_value(monkeypatch) -> None:
    """A wrong (but finite, positive) value: only ``totals_reconcile`` can catch it."""
    import aggregations

    real = aggregations.compute_dataset  # what the data set asset calls (looked up per run)

    def wrong(*args, **kwargs):
        frame = real(*args, **kwargs)
        frame.loc[0, "value"] = str(Decimal(str(frame.loc[0, "value"])) + 1000)
        return frame

    monkeypatch.setattr(aggregations, "compute_dataset", wrong)


def _posts(emulator) -> list:
    return [r for r in emulator.requests if r.method == "POST"]


def test_push_only_run_refuses_values_that_failed_totals_reconcile(
    small_sqlite_url, dhis2_emulator, tmp_path, monkeypatch, capsys
):
    load_dhis2_metadata(dhis2_emulator, small_sqlite_url)
    common = ["--period", "202402", "--out", str(tmp_path), "--dataset", "OI_CLAIMS"]
    # 1. A good export: its values are published (checked).
    assert main(["export", "--db", small_sqlite_url, *common]) == 0
    published = tmp_path / "parquet" / "claims_dataset" / "202402.parquet"
    assert published.exists()

    # 2. The same month recomputed with a wrong value: totals_reconcile fails, exit 1, and the
    #    earlier (good) values are withdrawn as well: the latest computation is the bad one.
    with monkeypatch.context() as m:
        _inflate_one_value(m)
        assert main(["export", "--db", small_sqlite_url, *common]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "check totals_reconcile on claims_dataset failed" in err[-1]
    assert not published.exists() and rejected_path(published).exists()

    # 3. A push-only run on those values refuses, in one line, and sends nothing.
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.admin_token)
    dhis2_emulator.requests.clear()
    assert main(["push", "--stored", *common]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 1 and err[-1].startswith("openimis-dhis2 push: error: ")
    assert "claims_dataset" in err[-1] and "totals_reconcile" in err[-1], err[-1]
    assert "\n" not in err[-1]
    assert _posts(dhis2_emulator) == [] and dhis2_emulator.data_values() == []

    # 4. Once recomputed correctly, the same push-only run pushes (the gate is not a blanket no).
    assert main(["export", "--db", small_sqlite_url, *common]) == 0
    assert main(["push", "--stored", *common]) == 0
    assert dhis2_emulator.data_values()


def test_push_only_run_refuses_values_never_materialised(
    dhis2_emulator, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.admin_token)
    argv = ["push", "--stored", "--period", "202402", "--out", str(tmp_path),
            "--dataset", "OI_CLAIMS"]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "claims_dataset" in err and "202402 is not materialised" in err, err
    assert _posts(dhis2_emulator) == []


def _frame(period: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "data_set": ["OI_CLAIMS"],
            "period": [period],
            "org_unit": ["HF1"],
            "data_element": ["OI_CLAIMS"],
            "category_options": [""],
            "attribute_options": [""],
            "value": ["3"],
        }  # fmt: skip
    )


def test_store_refuses_unchecked_partial_and_failed_verdicts(tmp_path: Path):
    path = tmp_path / "202402.parquet"
    # Written by hand (no verdict): the checks never ran on these values.
    _frame("202402").to_parquet(path)
    with pytest.raises(UncheckedValuesError, match="no check verdict"):
        open_periods({"202402": path}, CHECKS, "asset 'claims_dataset'")
    # A verdict that lacks one required check.
    write_period(path, _frame("202402"), ["HF1"], CheckVerdict("r1", dict.fromkeys(CHECKS[:2], True)), CHECKS[:2])  # fmt: skip
    with pytest.raises(UncheckedValuesError, match=r"values_finite_non_negative \(not run\)"):
        open_periods({"202402": path}, CHECKS, "asset 'claims_dataset'")
    # Every check passed: readable, with its scope.
    write_period(path, _frame("202402"), ["HF1", "HF2"], CheckVerdict("r2", dict.fromkeys(CHECKS, True)), CHECKS)  # fmt: skip
    stored = open_periods({"202402": path}, CHECKS, "asset 'claims_dataset'")
    assert stored.read("202402")["value"].tolist() == ["3"]
    assert stored.org_units() == ["HF1", "HF2"]
    # A failed check: published file withdrawn, values kept aside, the refusal names the run.
    verdict = CheckVerdict("r3", {**dict.fromkeys(CHECKS, True), "totals_reconcile": False})
    write_period(path, _frame("202402"), ["HF1"], verdict, CHECKS)
    assert not path.exists() and rejected_path(path).exists()
    with pytest.raises(UncheckedValuesError, match="totals_reconcile in run r3"):
        open_periods({"202402": path}, CHECKS, "asset 'claims_dataset'")
    # The lazy reader re-checks: values replaced by failed ones after opening are refused.
    write_period(path, _frame("202402"), [], CheckVerdict("r4", dict.fromkeys(CHECKS, True)), CHECKS)  # fmt: skip
    stored = open_periods({"202402": path}, CHECKS, "asset 'claims_dataset'")
    write_period(path, _frame("202402"), [], verdict, CHECKS)
    with pytest.raises(UncheckedValuesError):
        stored.read("202402")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["202402.rejected.parquet"]
