"""Pushing to the DHIS2 emulator: import summary as metadata, stale values, conflicts, pre-flight."""

from __future__ import annotations

import json

import dagster as dg
import pytest
from sqlalchemy import text

from adx.dhis2.metadata import OrgUnit, build_bundle
from aggregations import build_catalogue, load_config, org_units, product_codes
from openimis_db.engine import make_engine
from pipelines.automation import MONTHLY_JOB
from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.resources import DHIS2Resource
from pipelines.settings import Settings
from tests.aggregations.snap import reference_snapshot

CLAIMS_KEYS = [
    dg.AssetKey(k) for k in ("claims_snapshot", "claims_dataset", "claims_export", "claims_push")
]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for name in ("OPENIMIS_DB_URL", "DHIS2_URL", "DHIS2_TOKEN", "DHIS2_USERNAME", "DHIS2_PASSWORD",
                 "OPENIMIS_DHIS2_CONFIG", "DAGSTER_HOME", "DHIS2_CONFLICT_TOLERANCE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def load_dhis2_metadata(emulator, db_url: str, *, drop: str | None = None) -> list[OrgUnit]:
    """Our catalogue + every org unit of the database (except ``drop``) into the emulator."""
    engine = make_engine(db_url)
    try:
        config = load_config(None)
        ref = reference_snapshot(engine)
        catalogue = build_catalogue(config, product_codes(ref))
        codes = sorted(set(org_units(ref, config)["org_unit"].dropna()) - {drop})
    finally:
        engine.dispose()
    units = [OrgUnit(c, f"Org unit {c}") for c in codes]
    emulator.load_metadata(build_bundle(catalogue, org_units=units))
    return units


def _push(defs, month: str):
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def(MONTHLY_JOB).execute_in_process(
            instance=instance,
            partition_key=month,
            asset_selection=CLAIMS_KEYS,
            raise_on_error=False,
        )


def _json_values(path) -> list[dict]:
    return json.loads(path.read_text())["dataValues"]


def test_push_records_summary_and_removes_stale_values(
    generated_pg_url, dhis2_emulator, tmp_path, monkeypatch
):
    units = {u.code: u.id for u in load_dhis2_metadata(dhis2_emulator, generated_pg_url)}
    monkeypatch.setenv("OPENIMIS_DB_URL", generated_pg_url)
    dhis2 = DHIS2Resource(
        url=dhis2_emulator.url, token=dhis2_emulator.admin_token, async_import=True
    )
    defs = build_definitions(Settings(start="202301", out_dir=str(tmp_path), retries=0), dhis2)

    result = _push(defs, "202402")
    assert result.success
    sent = _json_values(tmp_path / "OI_CLAIMS_202402.json")
    (mat,) = result.asset_materializations_for_node("claims_push")
    meta = {k: v.value for k, v in mat.metadata.items()}
    # 2.43's DataEntrySummary.toImportSummary counts every written value as updated, none imported.
    written = (0, len(sent)) if dhis2_emulator.profile.pipeline == "entry" else (len(sent), 0)
    assert (meta["status"], meta["imported"], meta["updated"], meta["conflicts"]) == (
        "SUCCESS", *written, 0
    )  # fmt: skip
    assert meta["stale_values_removed"] == 0 and "imported" in meta["summary"]
    # Every org unit pushed is registered complete (DHIS2's reporting rates count these).
    sent_units = {v["orgUnit"] for v in sent}
    assert meta["completeness_registered"] == len(sent_units) and meta["completeness_removed"] == 0
    assert {r for r in dhis2_emulator.registrations() if r[:2] == ("OI_CLAIMS", "202402")} == {
        ("OI_CLAIMS", "202402", u) for u in sent_units
    }
    stored = [v for v in dhis2_emulator.data_values() if v["period"] == "202402"]
    assert len(stored) == len(sent)
    (check,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "conflicts_within_tolerance"
    ]
    assert check.passed

    # Correction in openIMIS: every claim of one facility turns out to be void. Its values
    # vanish from the output and must not stay behind in DHIS2.
    facility = sent[0]["orgUnit"]
    vanished = [v for v in sent if v["orgUnit"] == facility]
    engine = make_engine(generated_pg_url)
    with engine.begin() as conn:
        n = conn.execute(
            text(
                'UPDATE "tblClaim" SET "ValidityTo" = now() WHERE "ValidityTo" IS NULL AND "HFID" IN '
                '(SELECT "HfID" FROM "tblHF" WHERE "HFCode" = :code)'
            ),  # fmt: skip
            {"code": facility},
        ).rowcount
    engine.dispose()
    assert n > 0
    result = _push(defs, "202402")
    assert result.success
    (mat,) = result.asset_materializations_for_node("claims_push")
    assert mat.metadata["stale_values_removed"].value == len(vanished)
    # The facility has no value left: its registration goes with them.
    assert mat.metadata["completeness_removed"].value == 1
    assert ("OI_CLAIMS", "202402", facility) not in dhis2_emulator.registrations()
    stored = [v for v in dhis2_emulator.data_values() if v["period"] == "202402"]
    assert not [v for v in stored if v["orgUnit"] == units[facility]]
    assert len(stored) == len(sent) - len(vanished)


def test_cli_push_conflicts_beyond_tolerance_exit_1(
    small_sqlite_url, dhis2_emulator, tmp_path, monkeypatch, capsys
):
    units = load_dhis2_metadata(dhis2_emulator, small_sqlite_url)
    # A user who may write to one org unit only: DHIS2 answers E7617 conflicts for the others
    # (2.43: E8011, the group rejected), which the pre-flight (metadata only) cannot foresee.
    dhis2_emulator.add_user("clerk", "Clerk123!", ("F_DATAVALUE_ADD",), org_units=[units[0].id])
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.create_token("clerk"))
    argv = ["push", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path),
            "--dataset", "OI_CLAIMS"]  # fmt: skip
    assert main(argv) == 1
    captured = capsys.readouterr()
    # 2.39-2.42: value conflicts E7617; 2.43: the group of other org units is rejected whole (E8011)
    code = "E8011" if dhis2_emulator.profile.pipeline == "entry" else "E7617"
    assert code in captured.out and "conflict" in captured.out, (captured.out, captured.err)
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith(
        "openimis-dhis2 push: error: check conflicts_within_tolerance on claims_push failed"
    )

    monkeypatch.setenv("DHIS2_CONFLICT_TOLERANCE", "1000000")
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.admin_token)
    stored_before = dhis2_emulator.data_values()
    assert main([*argv, "--dry-run"]) == 0
    assert "DRY RUN" in capsys.readouterr().out
    assert dhis2_emulator.data_values() == stored_before  # a dry run stores nothing
    assert main([*argv, "--async"]) == 0
    assert "SUCCESS" in capsys.readouterr().out


def test_cli_validate_lists_every_problem(
    small_sqlite_url, dhis2_emulator, tmp_path, monkeypatch, capsys
):
    engine = make_engine(small_sqlite_url)
    facilities = sorted(
        set(
            org_units(reference_snapshot(engine), load_config(None))
            .query("side == 'facility'")["org_unit"]
            .dropna()
        )
    )
    engine.dispose()
    load_dhis2_metadata(dhis2_emulator, small_sqlite_url, drop=facilities[0])
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_USERNAME", "admin")
    monkeypatch.setenv("DHIS2_PASSWORD", "district")
    argv = ["validate", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path),
            "--dataset", "OI_CLAIMS"]  # fmt: skip
    assert main(argv) == 1
    captured = capsys.readouterr()
    problems = [x for x in captured.out.splitlines() if x.startswith("claims_export: ")]
    sent = _json_values(tmp_path / "OI_CLAIMS_202402.json")
    missing = [v for v in sent if v["orgUnit"] == facilities[0]]
    assert missing, "the dropped facility has values in 202402"
    assert all(facilities[0] in p for p in problems)
    assert len(problems) >= 1
    assert captured.err.strip().splitlines()[-1].endswith("problem(s) found (listed above)")
    # No push happened: the emulator holds nothing.
    assert dhis2_emulator.data_values() == []


def test_cli_metadata_writes_and_pushes(dhis2_emulator, tmp_path, monkeypatch, capsys):
    out = tmp_path / "bundle.json"
    assert main(["metadata", "--out", str(out)]) == 0
    bundle = json.loads(out.read_text())
    assert sorted(d["code"] for d in bundle["dataSets"]) == [
        "OI_CLAIMS",
        "OI_ENROLMENT",
        "OI_POPULATION",
    ]
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", dhis2_emulator.admin_token)
    assert main(["metadata", "--push"]) == 0
    assert "metadata import OK" in capsys.readouterr().out
    assert sorted(d["code"] for d in dhis2_emulator.store.objects["dataSets"].values()) == [
        "OI_CLAIMS", "OI_ENROLMENT", "OI_POPULATION"
    ]  # fmt: skip
    stored = dhis2_emulator.store.objects
    assert {v["code"] for v in stored["visualizations"].values()} >= {
        "OI_VIZ_COVERAGE", "OI_VIZ_CLAIMS_STATUS", "OI_VIZ_REPORTING_RATE", "OI_VIZ_SETTLEMENT"
    }  # fmt: skip
    (dashboard,) = stored["dashboards"].values()
    assert len(dashboard["dashboardItems"]) == len(stored["visualizations"])
    # A second push changes nothing: every object is matched by its UID, none is created.
    assert main(["metadata", "--push"]) == 0
    assert "created 0," in capsys.readouterr().out
    assert len(stored["dashboards"]) == 1


def test_cli_bad_dhis2_credentials_one_line(
    small_sqlite_url, dhis2_emulator, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_TOKEN", "d2pat_not_a_real_token_0000000000000000000")
    argv = ["push", "--db", small_sqlite_url, "--period", "202402", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("openimis-dhis2 push: error: DHIS2 at http://127.0.0.1:")
    assert "refused the credentials (HTTP 401)" in err[-1] and "d2pat_not" not in "\n".join(err)


def test_cli_report_writes_one_offline_page(small_sqlite_url, tmp_path, capsys):
    argv = ["report", "--db", small_sqlite_url, "--period", "202401:202403", "--out", str(tmp_path)]
    assert main(argv) == 0
    path = capsys.readouterr().out.strip().splitlines()[-1]
    assert path == str(tmp_path / "report_202401_202403.html")
    html = open(path, encoding="utf-8").read()
    assert html.count('<svg class="chart"') >= 7 and "<script" not in html
    assert "totals reconcile" in html and "Nothing was pushed" in html
