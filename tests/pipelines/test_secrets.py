"""No secret anywhere (issue 11.1): CLI runs and a Dagster materialization with a secret in every
accepted place, succeeding and failing, then stdout, stderr, every output file and everything
under ``DAGSTER_HOME`` (run and event storage, compute logs) are searched for them: 0 occurrences.

Accepted places: the database URL's user-info password and its ``?password=`` query parameter,
``DHIS2_TOKEN``, ``DHIS2_PASSWORD``, and credentials inside ``DHIS2_URL``.

A search that finds nothing proves little unless the URL reached the searched places: the snapshot
step's log line and its ``database`` metadata must carry the URL in redacted form, and the same runs
with the redaction switched off (``redaction.redact_url`` as identity, in the child process only)
must be caught by the very same search.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.dhis2_emulator import profiles
from tests.pipelines.test_push import load_dhis2_metadata

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "201902"  # a month with claims in the openIMIS demo data
NEWEST = max(profiles.PROFILES, key=lambda name: tuple(int(x) for x in name.split(".")))
# In a child process, before anything else: every URL shown as it is (the sanity check).
REDACTION_OFF = "import redaction\nredaction.redact_url = lambda url: url\n"


def _secret(tag: str) -> str:
    return f"S3cr3t{tag}{secrets.token_hex(6)}"


def _with_userinfo_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _cli(
    argv: list[str], env: dict[str, str], *, redaction_off: bool = False
) -> subprocess.CompletedProcess[str]:
    code = (REDACTION_OFF if redaction_off else "") + (
        "import sys\nfrom pipelines.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], check=False,
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def _files_under(folder: Path, root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def _leaks(haystacks: dict[str, bytes], needles: list[str]) -> list[str]:
    return [
        f"{secret!r} in {where}"
        for where, data in haystacks.items()
        for secret in needles
        if secret.encode() in data
    ]


@pytest.mark.slow
@pytest.mark.dhis2_profiles(NEWEST)  # redaction is the same for every DHIS2 version
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
    # The snapshot step's progress line named the database, in redacted form.
    masked_query = f"{openimis_demo_url}?password=***"
    assert masked_query in haystacks["export, ?password=: stderr"].decode()
    assert _with_userinfo_password(openimis_demo_url, "***") in (
        haystacks["export, password in user-info: stderr"].decode()
    )

    # A Dagster materialization as the code location runs it (definitions from the environment,
    # secrets through EnvVar), recorded in DAGSTER_HOME: one succeeding, one failing.
    seen = {}
    for name, db, ok in (("materialize", db_query, True), ("materialize, fails", closed, False)):
        done, seen[name] = _materialize(base, db, token, dhis2_emulator.url, out, expect_success=ok)
        haystacks[f"{name}: stdout"] = done.stdout.encode()
        haystacks[f"{name}: stderr"] = done.stderr.encode()
    # What the run storage holds for the snapshot step: metadata and log, redacted.
    assert seen["materialize"]["database"] == [masked_query]
    assert any(masked_query in line for line in seen["materialize"]["logs"])

    for folder in (out, home):
        haystacks.update(_files_under(folder, tmp_path))
    assert any("OI_CLAIMS_201902.json" in k for k in haystacks)  # the outputs were searched
    assert any(k.startswith("dagster_home/") for k in haystacks)  # and the run storage
    assert _leaks(haystacks, needles) == []

    # Sanity check of the search itself: with the redaction switched off, the same places carry
    # the secret and the same search finds it (so a redaction that breaks fails this test).
    home_off, out_off = tmp_path / "dagster_home_off", tmp_path / "out_off"
    home_off.mkdir()
    off = {**base, "DAGSTER_HOME": str(home_off)}
    argv = ["export", "--db", db_query, "--period", PERIOD, "--out", str(out_off),
            "--dataset", "OI_CLAIMS"]  # fmt: skip
    done = _cli(argv, off, redaction_off=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _leaks({"stderr": done.stderr.encode()}, [query_pw]), "the log line is not searched"
    _, leaked = _materialize(
        off, db_query, token, dhis2_emulator.url, out_off, expect_success=True, redaction_off=True
    )
    assert query_pw in leaked["database"][0]
    assert _leaks(_files_under(home_off, tmp_path), [query_pw]), "the run storage is not searched"


def _materialize(
    base: dict[str, str],
    db_url: str,
    token: str,
    dhis2_url: str,
    out: Path,
    *,
    expect_success: bool,
    redaction_off: bool = False,
) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    """Run the job in a child process on ``DAGSTER_HOME``'s instance; return the process and what
    the instance recorded for the snapshot step: its ``database`` metadata and its log lines."""
    code = (REDACTION_OFF if redaction_off else "") + (
        "import json, sys, dagster as dg\n"
        "from pipelines.definitions import build_definitions\n"
        "defs = build_definitions()\n"
        "keys = [dg.AssetKey(k) for k in\n"
        "        ('claims_snapshot', 'claims_dataset', 'claims_export', 'claims_push')]\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    result = defs.resolve_job_def('monthly_indicators').execute_in_process(\n"
        f"        instance=instance, partition_key='{PERIOD}', asset_selection=keys,\n"
        "        raise_on_error=False)\n"
        "    seen = {'database': [str(m.metadata['database'].value) for m in\n"
        "                         result.asset_materializations_for_node('claims_snapshot')],\n"
        "            'logs': [e.user_message for e in instance.all_logs(result.run_id)\n"
        "                     if e.step_key == 'claims_snapshot' and e.user_message]}\n"
        "print('SEEN ' + json.dumps(seen))\n"
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
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert (done.returncode == 0) == expect_success, done.stderr[-3000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("SEEN ")]
    return done, json.loads(line.removeprefix("SEEN "))
