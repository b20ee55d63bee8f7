"""The code location loads without secrets and exposes the graph, checks, jobs and automation."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg

from pipelines.assets import DATASETS
from pipelines.automation import MONTHLY_JOB, RANGE_END, RANGE_START, YEARLY_JOB
from pipelines.definitions import build_definitions
from pipelines.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("OPENIMIS_DB_URL", "DHIS2_URL", "DHIS2_TOKEN", "DHIS2_USERNAME", "DHIS2_PASSWORD")


def test_dagster_definitions_validate_without_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env["DAGSTER_HOME"] = str(tmp_path)
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "dagster_workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Validation successful for code location openimis_dhis2" in proc.stdout + proc.stderr


def test_graph_checks_and_groups():
    defs = build_definitions(Settings())
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {
        "enrolment_snapshot", "claims_snapshot", "population_snapshot",
        "enrolment_dataset", "claims_dataset", "population_dataset",
        "enrolment_export", "claims_export", "population_export",
        "enrolment_push", "claims_push", "population_push", "run_report",
    }  # fmt: skip
    node = graph.get(dg.AssetKey("claims_push"))
    # The push reads the data set's checked values (values IO manager) after the export ran.
    assert node.parent_keys == {dg.AssetKey("claims_export"), dg.AssetKey("claims_dataset")}
    assert graph.get(dg.AssetKey("claims_export")).parent_keys == {dg.AssetKey("claims_dataset")}
    assert graph.get(dg.AssetKey("enrolment_dataset")).parent_keys == {
        dg.AssetKey("enrolment_snapshot")
    }  # fmt: skip
    checks = {(c.asset_key.to_user_string(), c.name): c for c in graph.asset_check_keys and
              [graph.get_check_spec(k) for k in graph.asset_check_keys]}  # fmt: skip
    for stem in ("enrolment", "claims", "population"):
        for name in ("totals_reconcile", "org_units_mapped", "values_finite_non_negative"):
            assert checks[(f"{stem}_dataset", name)].blocking
        for name in ("adx_valid_against_xsd", "dhis2_preflight"):
            assert checks[(f"{stem}_export", name)].blocking
        assert (f"{stem}_push", "conflicts_within_tolerance") in checks
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["claims_snapshot"] == "extract" and groups["claims_dataset"] == "datasets"
    assert groups["claims_export"] == "exports" and groups["claims_push"] == "dhis2"


def test_partitions_are_dhis2_period_ids_and_backfills_are_single_runs():
    defs = build_definitions(Settings(start="202301"))
    graph = defs.resolve_asset_graph()
    claims = graph.get(dg.AssetKey("claims_dataset"))
    keys = claims.partitions_def.get_partition_keys(current_time=datetime(2024, 3, 10))
    assert keys == ["202301", "202302", "202303", "202304", "202305", "202306", "202307",
                    "202308", "202309", "202310", "202311", "202312", "202401", "202402"]  # fmt: skip
    population = graph.get(dg.AssetKey("population_dataset"))
    assert population.partitions_def.get_partition_keys(current_time=datetime(2025, 2, 1)) == [
        "2023", "2024"
    ]  # fmt: skip
    for key in graph.get_all_asset_keys():
        assert graph.get(key).backfill_policy == dg.BackfillPolicy.single_run(), key
    push = defs.get_assets_def(dg.AssetKey("claims_push"))
    assert push.op.pool == "dhis2"
    assert defs.get_assets_def(dg.AssetKey("claims_snapshot")).op.retry_policy.max_retries == 3


def test_jobs_schedules_sensor():
    defs = build_definitions(Settings())
    monthly = defs.resolve_job_def(MONTHLY_JOB)
    yearly = defs.resolve_job_def(YEARLY_JOB)
    assert {k.to_user_string() for k in monthly.asset_layer.executable_asset_keys} >= {
        "claims_push", "enrolment_push", "enrolment_snapshot"
    }  # fmt: skip
    assert "population_push" not in {
        k.to_user_string() for k in monthly.asset_layer.executable_asset_keys
    }
    assert {k.to_user_string() for k in yearly.asset_layer.executable_asset_keys} == {
        "population_snapshot", "population_dataset", "population_export", "population_push"
    }  # fmt: skip
    names = {s.name for s in defs.schedules}
    assert names == {"monthly_export", "rerun_recent_months", "yearly_population_export"}
    assert all(s.default_status == dg.DefaultScheduleStatus.STOPPED for s in defs.schedules)
    assert [s.name for s in defs.sensors] == ["log_run_failures"]


def test_dataset_assets_derive_from_the_catalogue_registry():
    from aggregations import DATASETS as REGISTRY

    assert [s.code for s in DATASETS] == list(REGISTRY)
    assert {s.code: (s.side, s.yearly) for s in DATASETS} == {
        c: (d.side, d.yearly) for c, d in REGISTRY.items()
    }
    assert all(s.facts == (f"{s.stem}_snapshot",) for s in DATASETS)


def _evaluate(defs: dg.Definitions, name: str, when: datetime):
    schedule = defs.resolve_schedule_def(name)
    with dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as ctx:
        return list(schedule.evaluate_tick(ctx).run_requests or [])


def test_monthly_schedule_targets_the_previous_month():
    defs = build_definitions(Settings(start="202001", schedule_cron="0 2 5 * *"))
    assert defs.resolve_schedule_def("monthly_export").cron_schedule == "0 2 5 * *"
    (req,) = _evaluate(defs, "monthly_export", datetime(2024, 3, 5, 2, 0))
    assert req.partition_key == "202402"
    (req,) = _evaluate(defs, "monthly_export", datetime(2024, 1, 5, 2, 0))
    assert req.partition_key == "202312"  # across the year boundary


def test_rerun_schedule_covers_previous_months_in_one_run():
    defs = build_definitions(Settings(start="202001", rerun_months=3))
    (req,) = _evaluate(defs, "rerun_recent_months", datetime(2024, 2, 20, 3))
    assert (req.tags[RANGE_START], req.tags[RANGE_END]) == ("202311", "202401")
    assert req.partition_key is None


def test_yearly_schedule_targets_previous_year_and_skips_before_start():
    defs = build_definitions(Settings(start="202401"))
    (req,) = _evaluate(defs, "yearly_population_export", datetime(2025, 1, 15))
    assert req.partition_key == "2024"
    assert _evaluate(defs, "monthly_export", datetime(2024, 1, 5)) == []


def test_settings_from_env_and_errors():
    s = Settings.from_env({"OPENIMIS_DHIS2_START": "2021-07", "OPENIMIS_DHIS2_RERUN_MONTHS": "6",
                           "OPENIMIS_DHIS2_TIMEZONE": "Africa/Dar_es_Salaam"})  # fmt: skip
    assert (s.start, s.rerun_months, s.timezone) == ("202107", 6, "Africa/Dar_es_Salaam")
    for env, needle in (
        ({"OPENIMIS_DHIS2_START": "2021-13"}, "OPENIMIS_DHIS2_START"),
        ({"OPENIMIS_DHIS2_RERUN_MONTHS": "0"}, "at least 1"),
        ({"OPENIMIS_DHIS2_RETRIES": "x"}, "not an integer"),
    ):
        try:
            Settings.from_env(env)
        except ValueError as exc:
            assert needle in str(exc)
        else:
            raise AssertionError(f"{env} accepted")


def test_partition_start_from_the_configuration_file(tmp_path):
    config = tmp_path / "catalogue.toml"
    config.write_text('[catalogue]\nstart_period = "2022Q2"\n')
    assert Settings.from_env({"OPENIMIS_DHIS2_CONFIG": str(config)}).start == "202204"
    env = {"OPENIMIS_DHIS2_CONFIG": str(config), "OPENIMIS_DHIS2_START": "202001"}
    assert Settings.from_env(env).start == "202001"  # the environment wins


def test_run_failure_sensor_logs_the_failed_run():
    from pipelines.automation import log_run_failures

    @dg.op
    def boom():
        raise ValueError("database went away")

    @dg.job
    def failing():
        boom()

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    with dg.DagsterInstance.ephemeral() as instance:
        result = failing.execute_in_process(
            instance=instance, raise_on_error=False, tags={"dagster/partition": "202401"}
        )
        context = dg.build_run_status_sensor_context(
            sensor_name="log_run_failures",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        context.log.addHandler(Collect())  # the sensor's own logger (not in logging's registry)
        log_run_failures(context)
    (line,) = [r for r in records if result.run_id in r]
    assert "of failing (partition 202401) failed" in line and "boom" in line


def test_dhis2_resource_from_env_reads_secrets_only_through_envvar():
    from pipelines.resources import dhis2_from_env

    env = {"DHIS2_URL": "https://dhis2.example.org", "DHIS2_TOKEN": "d2pat_abc",
           "DHIS2_CONFLICT_TOLERANCE": "5", "DHIS2_VERIFY": "/etc/ssl/ca.pem"}  # fmt: skip
    res = dhis2_from_env(env, dry_run=True)
    # Secrets stay EnvVar references (resolved when a run starts), never literal values.
    assert isinstance(res.url, dg.EnvVar) and res.url.env_var_name == "DHIS2_URL"
    assert isinstance(res.token, dg.EnvVar) and res.username is None
    assert (res.dry_run, res.conflict_tolerance, res._verify()) == (True, 5, "/etc/ssl/ca.pem")
    assert dhis2_from_env({}).url is None
    try:
        dhis2_from_env({"DHIS2_CONFLICT_TOLERANCE": "-1"})
    except ValueError as exc:
        assert "DHIS2_CONFLICT_TOLERANCE" in str(exc)
    else:
        raise AssertionError("negative tolerance accepted")
