"""Fixtures of the fault suite, its seed and its closing summary (cases run / converged).

Seed: ``FAULTS_SEED=<n>`` replays a run; without it a random seed is drawn and printed in the
header, in every failure message and in the summary.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import text

SEED = int(os.environ.get("FAULTS_SEED") or random.SystemRandom().randrange(1, 2**31))
INSUREES = 60  # small: the suite must stay within ~3 minutes on 2 cores


def pytest_report_header(config) -> str:
    return f"fault suite seed: FAULTS_SEED={SEED}"


def pytest_terminal_summary(terminalreporter) -> None:
    cases: dict[str, bool] = {}
    seeds: set[str] = set()
    for key in ("passed", "failed", "error"):
        for rep in terminalreporter.stats.get(key, []):
            nodeid = getattr(rep, "nodeid", "")
            if "tests/faults/" not in nodeid or not nodeid.split("::")[-1].startswith("test_"):
                continue
            if rep.when == "call" or rep.failed:
                cases[nodeid] = cases.get(nodeid, True) and rep.passed and rep.when == "call"
            seeds.update(str(v) for k, v in getattr(rep, "user_properties", []) if k == "seed")
    if not cases:
        return
    converged = sum(cases.values())
    terminalreporter.write_sep("=", "fault suite")
    terminalreporter.write_line(
        f"fault cases run: {len(cases)}, converged: {converged}, "
        f"seed(s): {', '.join(sorted(seeds)) or SEED} (replay with FAULTS_SEED=<seed>)"
    )
    for nodeid, ok in sorted(cases.items()):
        if not ok:
            terminalreporter.write_line(f"  NOT converged: {nodeid}")


@pytest.fixture
def rng(request, record_property) -> random.Random:
    """The case's own random stream, derived from the suite seed and the case id."""
    record_property("seed", SEED)
    return random.Random(f"{SEED}:{request.node.name}")


@pytest.fixture(scope="session")
def faults_db_template(pg_server, openimis_schema_template) -> Iterator[str]:
    """A small generated openIMIS database (real schema), 24 months, claims on 2 facilities."""
    from synthetic_data import GenerationOptions, generate

    name = pg_server.create_database(template=openimis_schema_template, prefix="tpl_faults")
    url = pg_server.url(name)
    generate(
        url, GenerationOptions(insurees=INSUREES, seed=5, start="2023-01", mode="into_existing")
    )
    from openimis_db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # Two facilities keep every claim: fewer org units, so fewer (zero-filled) values.
            hfs = (
                conn.execute(
                    text(
                        'SELECT "HFID" FROM "tblClaim" GROUP BY "HFID" ORDER BY count(*) DESC LIMIT 2'
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(
                text(
                    'UPDATE "tblClaim" SET "HFID" = CASE WHEN "ClaimID" % 2 = 0 THEN :a ELSE :b END'
                ),
                {"a": hfs[0], "b": hfs[-1]},
            )
    finally:
        engine.dispose()
    yield name
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def faults_db(pg_server, faults_db_template) -> str:
    """URL of the suite's source database (read-only for every case but the correction one)."""
    return pg_server.url(faults_db_template)


@pytest.fixture(scope="session")
def faults_bundle(faults_db) -> dict:
    """The DHIS2 metadata bundle: our catalogue and every org unit of the database."""
    from adx.dhis2.metadata import OrgUnit, build_bundle
    from aggregations import build_catalogue, load_config, org_units, product_codes
    from openimis_db.engine import make_engine
    from tests.aggregations.snap import reference_snapshot

    engine = make_engine(faults_db)
    try:
        config = load_config(None)
        reference = reference_snapshot(engine)  # products and org units, as a run reads them
        catalogue = build_catalogue(config, product_codes(reference))
        codes = sorted(set(org_units(reference, config)["org_unit"].dropna()))
    finally:
        engine.dispose()
    return build_bundle(catalogue, org_units=[OrgUnit(c, f"Org unit {c}") for c in codes])


@pytest.fixture
def dhis2(dhis2_emulator, faults_bundle, monkeypatch):
    """A fresh emulator holding the metadata, and the environment the CLI reads."""
    dhis2_emulator.load_metadata(faults_bundle)
    for name in list(os.environ):
        if name.startswith(("DHIS2_", "OPENIMIS_")) or name == "DAGSTER_HOME":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.admin_token)
    monkeypatch.setenv("DHIS2_HTTP_ATTEMPTS", "2")  # bounded retries keep the suite short
    monkeypatch.setenv("DHIS2_POLL_INTERVAL", "0.05")  # the emulator's async jobs finish at once
    return dhis2_emulator
