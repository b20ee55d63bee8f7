"""Smaller findings of issue 11.6 in the pipelines, each with a test that failed before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.commands._run import failure_message
from pipelines.runner import CheckOutcome, RunOutcome

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for name in ("OPENIMIS_DB_URL", "DHIS2_URL", "DHIS2_TOKEN", "OPENIMIS_DHIS2_CONFIG",
                 "DAGSTER_HOME"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def _last_err(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_non_utf8_toml_names_the_file(small_sqlite_url, tmp_path, capsys):
    config = tmp_path / "catalogue.toml"
    config.write_bytes('start_period = "201801"\n# région\n'.encode("latin-1"))
    argv = ["export", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path),
            "--config", str(config)]  # fmt: skip
    assert main(argv) == 1
    err = _last_err(capsys)
    assert str(config) in err and "not UTF-8" in err, err


def test_non_utf8_mapping_file_in_a_run_keeps_the_project_message(
    small_sqlite_url, tmp_path, capsys
):
    """The ConfigError raised inside the Dagster run names the mapping file; its cause (the
    codec error) used to replace it in the one-line message."""
    mapping = tmp_path / "map.csv"
    mapping.write_bytes("openimis_code,dhis2_id\nRÉG01,OU1\n".encode("latin-1"))
    config = tmp_path / "catalogue.toml"
    config.write_text('org_unit_id = "mapping"\nmapping_file = "map.csv"\n', encoding="utf-8")
    argv = ["export", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path),
            "--config", str(config), "--dataset", "OI_CLAIMS"]  # fmt: skip
    assert main(argv) == 1
    err = _last_err(capsys)
    assert str(mapping) in err and "not UTF-8" in err, err
    assert "codec" not in err


def test_failure_message_never_prints_an_empty_count():
    outcome = RunOutcome(run_id="r", success=False)
    outcome.checks = [
        CheckOutcome("claims_push", "conflicts_within_tolerance", False),
        CheckOutcome("claims_dataset", "totals_reconcile", False, ("OI_CLAIMS 202402: 3 != 4",)),
    ]
    message = failure_message([outcome])
    assert "( problem" not in message and "()" not in message
    assert message == (
        "check conflicts_within_tolerance on claims_push failed; check totals_reconcile on "
        "claims_dataset failed (1 problem): OI_CLAIMS 202402: 3 != 4"
    )


def test_sigint_during_a_run_exits_130(small_sqlite_url, tmp_path):
    """Ctrl-C while a Dagster step runs: Dagster turns it into a step failure; the command must
    still exit 130 (interrupted), not 1."""
    code = (
        "import os, signal, sys\n"
        "import aggregations\n"
        "def interrupted(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    import time; time.sleep(5)\n"
        "aggregations.compute_dataset = interrupted\n"
        "from pipelines.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    argv = ["export", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path),
            "--dataset", "OI_CLAIMS"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DHIS2_", "DAGSTER_HOME"))}
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], check=False, capture_output=True, text=True, cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 128 + signal.SIGINT, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == "openimis-dhis2: interrupted"
