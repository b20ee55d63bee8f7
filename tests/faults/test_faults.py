"""Standing fault-injection suite (issue 11.9): after every fault, a re-run converges.

Each case runs ``openimis-dhis2 push`` for 24 months against a fresh DHIS2 emulator, injects one
fault (SIGKILL at each step boundary and mid-push, each DHIS2 fault class, the source database
connection terminated, the output disk full), then re-runs without the fault and asserts that
DHIS2 holds exactly the exported values (none lost, duplicated, different or stale) and that no
partial file remains. The moment of each fault is drawn from the case's seeded stream; the seed
is printed (``FAULTS_SEED=<n>`` replays it).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.dhis2_emulator import profiles

from .conftest import SEED
from .world import (
    REPO,
    child_env,
    cli_args,
    convergence_problems,
    kill_cli_when,
    partial_files,
    run_cli,
    when_requests,
)

MONTHS = 24
# No case here asserts version-specific DHIS2 behaviour (the client and emulator tests do, per
# profile): the suite runs against the newest profile only, which keeps it within ~3 minutes.
NEWEST = max(profiles.PROFILES, key=lambda name: tuple(int(x) for x in name.split(".")))
pytestmark = pytest.mark.dhis2_profiles(NEWEST)


def converge(dhis2, db_url: str, out, shared, case: str) -> None:
    """Re-run without faults; DHIS2 must equal the export and no partial file may remain."""
    dhis2.faults.clear()
    rc = run_cli(db_url, out)
    where = f"[{case}, FAULTS_SEED={SEED}]"
    assert rc == 0, f"{where} the re-run after the fault failed"
    assert convergence_problems(dhis2, out) == [], where
    assert partial_files(out, shared) == [], where


# --- SIGKILL at each Dagster step boundary and mid-push ------------------------------------

BOUNDARIES = {
    # the step's progress line is printed when the step's output is stored: kill right after
    "after_extract": lambda line: "] claims_snapshot: " in line,
    "after_dataset": lambda line: "] claims_dataset: " in line,
    "after_export": lambda line: "] claims_export: " in line,
}


@pytest.mark.parametrize("boundary", [*BOUNDARIES, "mid_push"])
def test_sigkill_then_rerun_converges(boundary, dhis2, faults_db, tmp_path, shared, rng):
    if boundary == "mid_push":
        k = rng.randrange(1, MONTHS)  # after the k-th period's import line
        seen = [0]

        def trigger(line: str) -> bool:
            seen[0] += "] claims_push: OI_CLAIMS 20" in line
            return seen[0] >= k

    else:
        trigger = BOUNDARIES[boundary]
    delay = rng.uniform(0.0, 0.4)
    out = tmp_path / "out"
    killed, stderr = kill_cli_when(faults_db, out, child_env(dhis2), trigger, delay)
    assert killed, f"[{boundary}, FAULTS_SEED={SEED}] the run ended before the kill:\n{stderr}"
    # After a SIGKILL nothing can clean up, but no file under a final name may be partial.
    finals = [p for p in partial_files(out, shared) if not p.startswith("stray")]
    assert finals == [], f"[{boundary}, FAULTS_SEED={SEED}] after SIGKILL"
    converge(dhis2, faults_db, out, shared, f"sigkill {boundary} +{delay:.2f}s")


# --- DHIS2 fault classes, injected mid-push -------------------------------------------------


def _conflicts_under_200(dhis2, rng):
    """A category option loses its code in DHIS2: its values come back as ADX conflicts (200)."""
    options = [
        o for o in dhis2.store.objects["categoryOptions"].values() if str(o.get("code", "")).startswith("CLAIM_STATUS_")
    ]  # fmt: skip
    victim = rng.choice(sorted(options, key=lambda o: o["code"]))
    original = victim["code"]

    def break_it() -> None:
        victim["code"] = original + "_RENAMED"
        dhis2.store.changed()

    def restore() -> None:
        victim["code"] = original
        dhis2.store.changed()

    return break_it, restore


DHIS2_FAULTS = {
    "http_5xx": lambda d, r: (
        lambda: d.faults.fail_next(
            3, r.choice([500, 502, 503, 504]), method="POST", path="/dataValueSets"
        )
    ),
    "http_429": lambda d, r: (
        lambda: d.faults.rate_limit_next(3, retry_after=1, method="POST", path="/dataValueSets")
    ),
    "dropped_connection": lambda d, r: (
        lambda: d.faults.drop_next(3, method="POST", path="/dataValueSets")
    ),
    "failed_async_job": lambda d, r: lambda: d.faults.fail_next_job(1),
}


@pytest.mark.parametrize("fault", [*DHIS2_FAULTS, "conflicts_under_200"])
def test_dhis2_fault_then_rerun_converges(
    fault, dhis2, faults_db, tmp_path, shared, rng, monkeypatch
):
    if fault == "failed_async_job":
        monkeypatch.setenv("DHIS2_ASYNC", "true")
    restore = None
    if fault == "conflicts_under_200":
        arm, restore = _conflicts_under_200(dhis2, rng)
    else:
        arm = DHIS2_FAULTS[fault](dhis2, rng)
    k = rng.randrange(0, MONTHS)  # the fault hits the push of the (k+1)-th period
    stop = when_requests(dhis2, k, arm)
    out = tmp_path / "out"
    try:
        rc = run_cli(faults_db, out)
    finally:
        stop.set()
    # Every fault here is beyond the retries (3 faults > 2 attempts) or is not retried: the run
    # must say so, not report success.
    assert rc == 1, f"[{fault} at push {k + 1}, FAULTS_SEED={SEED}] the faulty run exited {rc}"
    if restore:
        restore()
    converge(dhis2, faults_db, out, shared, f"{fault} at push {k + 1}")


# --- the source database connection is terminated mid-extract -------------------------------


def test_database_connection_terminated_then_rerun_converges(
    dhis2, faults_db, tmp_path, shared, rng
):
    dbname = faults_db.rsplit("/", 1)[-1]
    admin = create_engine(
        faults_db.replace("postgresql://", "postgresql+psycopg2://", 1).rsplit("/", 1)[0]
        + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    # The moment: a drawn delay after the run's first connection to the database (a fixed delay
    # from the start could fall after the snapshot, when nothing is left to terminate).
    start = rng.uniform(0.0, 0.05)
    stop = threading.Event()
    terminated = [0]
    others = "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"

    def terminator() -> None:
        with admin.connect() as conn:
            while (
                not stop.is_set()
                and not conn.execute(text(f"SELECT count(*) {others}"), {"db": dbname}).scalar()
            ):
                time.sleep(0.002)
            time.sleep(start)
            while not stop.is_set():
                terminated[0] += len(
                    conn.execute(
                        text(f"SELECT pg_terminate_backend(pid) {others}"), {"db": dbname}
                    ).all()
                )
                time.sleep(0.002)

    thread = threading.Thread(target=terminator, daemon=True)
    thread.start()
    out = tmp_path / "out"
    try:
        run_cli(faults_db, out)  # fails or not, depending on when the connection died
    finally:
        stop.set()
        thread.join(10)
        admin.dispose()
    assert terminated[0] > 0, f"[FAULTS_SEED={SEED}] no backend was terminated"
    finals = [p for p in partial_files(out, shared) if not p.startswith("stray")]
    assert finals == [], f"[db restart, FAULTS_SEED={SEED}]"
    converge(dhis2, faults_db, out, shared, f"pg_terminate_backend +{start:.3f}s after connect")


# --- the output disk fills up ---------------------------------------------------------------


def test_disk_full_leaves_no_partial_file_then_rerun_converges(
    dhis2, faults_db, tmp_path, shared, rng
):
    limit = rng.randrange(1_000, 8_000)  # bytes per file (RLIMIT_FSIZE): every export exceeds it

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *cli_args(faults_db, out)],
        check=False,
        cwd=REPO,
        env=child_env(dhis2),
        preexec_fn=limit_file_size,
        capture_output=True,
        text=True,
        timeout=150,
    )
    where = f"[disk full at {limit} B/file, FAULTS_SEED={SEED}]"
    assert proc.returncode == 1, f"{where} exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert partial_files(out, shared) == [], where  # atomic writes: nothing partial, no temp file
    converge(dhis2, faults_db, out, shared, f"disk full {limit} B")


# --- a correction (stale values) pushed through a fault ------------------------------------


def test_correction_through_a_fault_removes_stale_values(
    dhis2, pg_server, faults_db_template, tmp_path, shared, rng
):
    name = pg_server.create_database(template=faults_db_template, prefix="faults_fix")
    url = pg_server.url(name)
    try:
        out = tmp_path / "out"
        assert run_cli(url, out) == 0
        month = f"2024{rng.randrange(1, 13):02d}"
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
        with engine.begin() as conn:  # one facility's claims of that month are voided
            voided = conn.execute(
                text(
                    'UPDATE "tblClaim" SET "ValidityTo" = now() WHERE "ValidityTo" IS NULL AND '
                    '"HFID" = (SELECT min("HFID") FROM "tblClaim") AND '
                    'to_char(coalesce("DateFrom", "DateClaimed"), \'YYYYMM\') = :m'
                ),
                {"m": month},
            ).rowcount
        engine.dispose()
        assert voided > 0
        stop = when_requests(
            dhis2,
            len(dhis2.requests.matching("POST", "/dataValueSets")) + rng.randrange(0, MONTHS),
            lambda: dhis2.faults.fail_next(3, 503, method="POST", path="/dataValueSets"),
        )
        try:
            run_cli(url, out)
        finally:
            stop.set()
        converge(dhis2, url, out, shared, f"correction of {month} through a 503")
    finally:
        pg_server.drop_database(name)
