"""No secret anywhere (issue 11.1): CLI runs and a Dagster materialization with a secret in every
accepted place, succeeding and failing, then stdout, stderr, every output file and everything
under ``DAGSTER_HOME`` (run and event storage, compute logs) are searched for them: 0 occurrences.

Accepted places: the database URL's user-info password and its ``?password=`` query parameter,
``DHIS2_TOKEN``, ``DHIS2_PASSWORD``, and credentials inside ``DHIS2_URL``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.pipelines.test_push import load_dhis2_metadata

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "201902"  # a month with claims in the openIMIS demo data


def _secret(tag: str) -> str:
    return f"S3cr3t{tag}{secrets.token_hex(6)}"


def _with_userinfo_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _cli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *argv],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def _leaks(haystacks: dict[str, bytes], needles: list[str]) -> list[str]:
    return [
        f"{secret!r} in {where}"
        for where, data in haystacks.items()
        for secret in needles
        if secret.encode() in data
    ]


@pytest.mark.slow
def test_no_secret_in_output_logs_files_or_dagster_home(
    openimis_demo_url, dhis2_emulator, tmp_path
):
    load_dhis2_metadata(dhis2_emulator, openimis_demo_url)
    db_pw, query_pw, dhis2_pw, url_pw, bad_token = (
        _secret(t) for t in ("UserInfo", "Query", "Dhis2Pw", "InUrl", "BadToken")
    )
    dhis2_emulator.add_user("pusher", dhis2_pw, ("ALL",))
    dhis2_emulator.add_user("urluser", url_pw, ("ALL",))
    token = dhis2_emulator.create_token("pusher")
    needles = [db_pw, query_pw, dhis2_pw, url_pw, bad_token, token]

    home = tmp_path / "dagster_home"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DHIS2_", "OPENIMIS_"))}
    base["DAGSTER_HOME"] = str(home)
    db_userinfo = _with_userinfo_password(openimis_demo_url, db_pw)  # trust auth: accepted
    db_query = f"{openimis_demo_url}?password={query_pw}"
    closed = _with_userinfo_password(openimis_demo_url, db_pw).replace(
        f":{urlsplit(openimis_demo_url).port}/", ":9/"
    )
    host = urlsplit(dhis2_emulator.url)
    dhis2_in_url = urlunsplit(host._replace(netloc=f"urluser:{url_pw}@{host.netloc}"))
    out = tmp_path / "out"
    run = ["--period", PERIOD, "--out", str(out), "--dataset", "OI_CLAIMS"]
    cases = {
        "export, password in user-info": (["export", "--db", db_userinfo, *run], {}, 0),
        "export, ?password=": (["export", "--db", db_query, *run], {}, 0),
        "push, token": (
            ["push", "--db", db_query, *run],
            {"DHIS2_URL": dhis2_emulator.url, "DHIS2_TOKEN": token},
            0,
        ),
        "push, user + password": (
            ["push", "--db", db_userinfo, *run],
            {
                "DHIS2_URL": dhis2_emulator.url,
                "DHIS2_USERNAME": "pusher",
                "DHIS2_PASSWORD": dhis2_pw,
            },  # fmt: skip
            0,
        ),
        "push, credentials in DHIS2_URL": (
            ["push", "--db", db_userinfo, *run],
            {"DHIS2_URL": dhis2_in_url},
            None,  # accepted or refused: either way, never shown
        ),
        "export, database unreachable (fails)": (["export", "--db", closed, *run], {}, 1),
        "push, refused token (fails)": (
            ["push", "--db", db_query, *run],
            {"DHIS2_URL": dhis2_emulator.url, "DHIS2_TOKEN": bad_token},
            1,
        ),
        "push, verbose, token": (
            ["--verbose", "push", "--db", db_query, *run],
            {"DHIS2_URL": dhis2_emulator.url, "DHIS2_TOKEN": token},
            0,
        ),
    }
    haystacks: dict[str, bytes] = {}
    for name, (argv, extra, code) in cases.items():
        done = _cli(argv, {**base, **extra})
        if code is not None:
            assert done.returncode == code, f"{name}: {done.stderr[-2000:]}"
        haystacks[f"{name}: stdout"] = done.stdout.encode()
        haystacks[f"{name}: stderr"] = done.stderr.encode()

    # A Dagster materialization as the code location runs it (definitions from the environment,
    # secrets through EnvVar), recorded in DAGSTER_HOME: one succeeding, one failing.
    for name, db, ok in (("materialize", db_query, True), ("materialize, fails", closed, False)):
        done = _materialize(base, db, token, dhis2_emulator.url, out, expect_success=ok)
        haystacks[f"{name}: stdout"] = done.stdout.encode()
        haystacks[f"{name}: stderr"] = done.stderr.encode()

    for folder in (out, home):
        for path in folder.rglob("*"):
            if path.is_file():
                haystacks[str(path.relative_to(tmp_path))] = path.read_bytes()
    assert any("OI_CLAIMS_201902.json" in k for k in haystacks)  # the outputs were searched
    assert any(k.startswith("dagster_home/") for k in haystacks)  # and the run storage
    assert _leaks(haystacks, needles) == []


def _materialize(
    base: dict[str, str],
    db_url: str,
    token: str,
    dhis2_url: str,
    out: Path,
    *,
    expect_success: bool,
) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, dagster as dg\n"
        "from pipelines.definitions import build_definitions\n"
        "defs = build_definitions()\n"
        "keys = [dg.AssetKey(k) for k in ('claims_snapshot', 'claims_dataset', 'claims_export', 'claims_push')]\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    result = defs.resolve_job_def('monthly_indicators').execute_in_process(\n"
        f"        instance=instance, partition_key='{PERIOD}', asset_selection=keys,\n"
        "        raise_on_error=False)\n"
        "sys.exit(0 if result.success else 1)\n"
    )
    env = {
        **base,
        "PYTHONPATH": str(ROOT),
        "OPENIMIS_DB_URL": db_url,
        "OPENIMIS_DHIS2_OUT": str(out),
        "OPENIMIS_DHIS2_START": "201801",
        "OPENIMIS_DHIS2_RETRIES": "0",
        "DHIS2_URL": dhis2_url,
        "DHIS2_TOKEN": token,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert (done.returncode == 0) == expect_success, done.stderr[-3000:]
    return done
