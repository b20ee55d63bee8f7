"""The push ledger: what each run pushed, per DHIS2 instance, data set and period."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from adx.dhis2.ledger import PushLedger


def test_records_accumulate_per_instance_data_set_and_period(tmp_path):
    ledger = PushLedger(tmp_path / "sub" / "ledger.sqlite")
    when = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)
    ledger.record(instance="https://a", data_set="DS", period="202401", org_units=["OU1", "OU2"],
                  run_id="run-1", when=when)  # fmt: skip
    ledger.record(instance="https://a", data_set="DS", period="202401", org_units=["OU3", "OU3"],
                  run_id="run-2", when=when)  # fmt: skip
    ledger.record(instance="https://a", data_set="DS", period="202402", org_units=["OU9"],
                  run_id="run-2")  # fmt: skip
    ledger.record(instance="https://b", data_set="DS", period="202401", org_units=["OU8"],
                  run_id="run-3")  # fmt: skip
    ledger.record(instance="https://a", data_set="DS2", period="202401", org_units=["OU7"],
                  run_id="run-3")  # fmt: skip
    # The same run recorded twice (a retried step) does not duplicate rows.
    ledger.record(instance="https://a", data_set="DS", period="202401", org_units=["OU1"],
                  run_id="run-1", when=when)  # fmt: skip
    assert ledger.org_units(instance="https://a", data_set="DS", period="202401") == {
        "OU1", "OU2", "OU3",
    }  # fmt: skip
    assert ledger.org_units(instance="https://b", data_set="DS", period="202401") == {"OU8"}
    assert ledger.org_units(instance="https://a", data_set="DS", period="202403") == set()
    assert ledger.runs(instance="https://a", data_set="DS", period="202401") == [
        ("run-1", "OU1", "2024-03-05T02:00:00+00:00"),
        ("run-1", "OU2", "2024-03-05T02:00:00+00:00"),
        ("run-2", "OU3", "2024-03-05T02:00:00+00:00"),
    ]
    # A plain SQLite file any operator can inspect.
    with sqlite3.connect(ledger.path) as conn:
        assert conn.execute("SELECT count(*) FROM pushes").fetchone() == (6,)
