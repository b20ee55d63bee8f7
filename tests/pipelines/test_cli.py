"""The command line: help, exit codes, one-line errors, and the same files as the assets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.automation import MONTHLY_JOB
from pipelines.cli import main
from pipelines.commands._common import last_complete_month
from pipelines.definitions import build_definitions
from pipelines.resources import DHIS2Resource
from pipelines.settings import Settings

COMMANDS = ("export", "push", "validate", "metadata", "demo")


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for name in ("OPENIMIS_DB_URL", "DHIS2_URL", "DHIS2_TOKEN", "DHIS2_USERNAME",
                 "DHIS2_PASSWORD", "OPENIMIS_DHIS2_CONFIG", "OPENIMIS_DHIS2_OUT", "DAGSTER_HOME"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "no error printed"
    assert "Traceback" not in "\n".join(err)
    return err[-1]


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: openimis-dhis2 {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["export", "--period", "202413", "--out", "x"], "Monthly number must be 1..12"),
        (["export", "--period", "202405:202401", "--out", "x"], "ends before it starts"),
        (["export", "--out", "x"], "--period"),
        (["export", "--period", "202401", "--format", "csv"], "invalid choice"),
        (["push", "--period", "202401", "--dataset", "OI_NOPE"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert needle in capsys.readouterr().err


def test_unreachable_database_is_one_line_without_password(tmp_path, capsys):
    url = "postgresql://reader:s3cr3t@127.0.0.1:1/openimis"
    assert main(["export", "--db", url, "--period", "202401", "--out", str(tmp_path)]) == 1
    line = _error_line(capsys)
    assert line.startswith("openimis-dhis2 export: error: cannot connect to the openIMIS database")
    assert "127.0.0.1:1" in line and "s3cr3t" not in line


def test_missing_sqlite_file_and_missing_db(tmp_path, capsys):
    assert main(["export", "--db", f"sqlite:///{tmp_path}/none.db", "--period", "202401"]) == 1
    assert "does not exist" in _error_line(capsys)
    assert main(["export", "--period", "202401"]) == 1
    assert "pass --db URL or set OPENIMIS_DB_URL" in _error_line(capsys)


def test_unfinished_month_is_refused(small_sqlite_url, capsys):
    month = str(int(last_complete_month()) + 1)
    month = month if month[4:] != "13" else f"{int(month[:4]) + 1}01"
    assert main(["export", "--db", small_sqlite_url, "--period", month]) == 1
    assert "is not complete yet" in _error_line(capsys)


def test_push_needs_dhis2(small_sqlite_url, capsys):
    assert main(["push", "--db", small_sqlite_url, "--period", "202401"]) == 1
    assert "DHIS2 is not configured: set DHIS2_URL" in _error_line(capsys)


def test_unreachable_dhis2_is_one_line(small_sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DHIS2_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DHIS2_TOKEN", "d2pat_secret_token")
    monkeypatch.setenv("DHIS2_HTTP_ATTEMPTS", "1")
    argv = ["push", "--db", small_sqlite_url, "--period", "202401", "--out", str(tmp_path),
            "--dataset", "OI_CLAIMS"]  # fmt: skip
    assert main(argv) == 1
    line = _error_line(capsys)
    assert (
        line
        == "openimis-dhis2 push: error: cannot reach DHIS2 at http://127.0.0.1:9: Connection refused"
    )
    # Checked before anything else: no export was made.
    assert not list(tmp_path.glob("OI_*"))


def test_subprocess_error_is_one_line_and_verbose_shows_traceback(tmp_path, capsys):
    exe = Path(sys.executable).with_name("openimis-dhis2")
    argv = [str(exe), "export", "--db", "postgresql://u:pw@127.0.0.1:1/x", "--period", "202401"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stderr.startswith("openimis-dhis2 export: error: cannot connect")
    # --verbose re-raises (the console entry point then prints the traceback).
    with pytest.raises(Exception, match="cannot connect"):
        main(["--verbose", *argv[1:]])


def test_cli_and_direct_materialisation_write_identical_files(
    small_sqlite_url, tmp_path, monkeypatch, capsys
):
    """Same files from the CLI and from the job; the CLI run is recorded in DAGSTER_HOME."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # fixed ADX `exported` timestamp
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    cli_dir, direct_dir = tmp_path / "cli", tmp_path / "direct"
    argv = ["export", "--db", small_sqlite_url, "--period", "202402", "--out", str(cli_dir),
            "--dataset", "OI_CLAIMS", "--dataset", "OI_ENROLMENT"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == [
        "OI_CLAIMS_202402.adx.xml", "OI_CLAIMS_202402.json",
        "OI_ENROLMENT_202402.adx.xml", "OI_ENROLMENT_202402.json",
    ]  # fmt: skip

    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "monthly_indicators" and run.tags["openimis_dhis2/source"] == "cli"
        mats = instance.fetch_materializations(dg.AssetKey("claims_export"), limit=10).records
        assert [m.partition_key for m in mats] == ["202402"]

    monkeypatch.setenv("OPENIMIS_DB_URL", small_sqlite_url)
    defs = build_definitions(
        Settings(start="202301", out_dir=str(direct_dir), retries=0), DHIS2Resource()
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(MONTHLY_JOB).execute_in_process(
            instance=instance, partition_key="202402"
        )
    assert result.success
    names = sorted(p.name for p in cli_dir.glob("OI_*"))
    assert names == sorted(p.name for p in direct_dir.glob("OI_*"))
    for name in names:
        assert (cli_dir / name).read_bytes() == (direct_dir / name).read_bytes(), name


def test_export_format_and_dataset_selection(small_sqlite_url, tmp_path, capsys):
    argv = ["export", "--db", small_sqlite_url, "--period", "202403:202404", "--out", str(tmp_path),
            "--format", "adx", "--dataset", "OI_CLAIMS"]  # fmt: skip
    assert main(argv) == 0
    assert sorted(p.name for p in tmp_path.glob("OI_*")) == [
        "OI_CLAIMS_202403.adx.xml", "OI_CLAIMS_202404.adx.xml"
    ]  # fmt: skip
    assert "2 file(s) written" in capsys.readouterr().err


def test_unmapped_org_units_fail_the_blocking_check(small_sqlite_url, tmp_path, capsys):
    """Mapping mode with one facility mapped: the others are named, nothing is exported."""
    import sqlite3

    db = small_sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        codes = sorted(r[0].strip() for r in conn.execute(
            'SELECT "HFCode" FROM "tblHF" WHERE "ValidityTo" IS NULL'))  # fmt: skip
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"openimis_code,dhis2_id,kind\n{codes[0]},OU_FIRST,facility\n")
    config = tmp_path / "catalogue.toml"
    config.write_text(f'[catalogue]\norg_unit_id = "mapping"\nmapping_file = "{mapping}"\n')
    argv = ["export", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path / "o"),
            "--dataset", "OI_CLAIMS", "--config", str(config)]  # fmt: skip
    assert main(argv) == 1
    line = _error_line(capsys)
    assert "check org_units_mapped on claims_dataset failed" in line
    assert codes[1] in line
    assert not list((tmp_path / "o").glob("OI_CLAIMS_*"))


def test_non_monthly_configuration_is_refused(small_sqlite_url, tmp_path, capsys):
    config = tmp_path / "quarterly.toml"
    config.write_text('[catalogue]\nclaims_period_type = "Quarterly"\n')
    argv = ["export", "--db", small_sqlite_url, "--period", "202402", "--config", str(config)]
    assert main(argv) == 1
    assert "OI_CLAIMS is configured Quarterly" in _error_line(capsys)


def test_bad_dhis2_setting_is_one_line(small_sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DHIS2_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DHIS2_TOKEN", "d2pat_secret_token")
    monkeypatch.setenv("DHIS2_HTTP_ATTEMPTS", "abc")
    assert main(["push", "--db", small_sqlite_url, "--period", "202401"]) == 1
    assert _error_line(capsys) == (
        "openimis-dhis2 push: error: DHIS2_HTTP_ATTEMPTS='abc' is not valid: expected an "
        "integer >= 1"
    )


def test_tls_failure_reason_and_url_credentials_never_printed(
    small_sqlite_url, dhis2_emulator, monkeypatch, capsys
):
    # https:// to a plain-HTTP server: a real TLS handshake failure.
    host = dhis2_emulator.url.removeprefix("http://")
    monkeypatch.setenv("DHIS2_URL", f"https://etl:Pa55-w0rd@{host}")
    monkeypatch.setenv("DHIS2_HTTP_ATTEMPTS", "1")
    assert main(["push", "--db", small_sqlite_url, "--period", "202401"]) == 1
    captured = capsys.readouterr()
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith(
        f"openimis-dhis2 push: error: cannot reach DHIS2 at https://{host}: TLS: "
    )
    assert "wrong version number" in line.lower() or "record layer" in line.lower(), line
    assert "Pa55-w0rd" not in captured.err + captured.out


def test_credentials_in_dhis2_url_are_accepted(dhis2_emulator, monkeypatch, capsys):
    user, password = dhis2_emulator.admin_auth
    host = dhis2_emulator.url.removeprefix("http://")
    monkeypatch.setenv("DHIS2_URL", f"http://{user}:{password}@{host}")
    assert main(["metadata", "--push"]) == 0
    captured = capsys.readouterr()
    assert "metadata import OK" in captured.out or "metadata import" in captured.out
    assert password not in captured.out + captured.err
