"""The shipped instance configuration example is valid Dagster instance configuration."""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster._config import validate_config
from dagster._core.instance.config import (
    dagster_instance_config_schema,
    validate_concurrency_config,
)

ROOT = Path(__file__).resolve().parents[2]


def test_example_dagster_yaml_is_valid_instance_config():
    doc = yaml.safe_load((ROOT / "examples/dagster.yaml").read_text())
    result = validate_config(dagster_instance_config_schema(), doc)
    assert result.success, [e.message for e in result.errors]
    validate_concurrency_config(doc)  # raises on conflicting run-queue / pool settings
    assert doc["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert doc["concurrency"]["pools"]["default_limit"] == 1


def test_example_instance_loads_with_sqlite_standing_in_for_postgres(tmp_path, monkeypatch):
    """Everything but the PostgreSQL storage (dagster-postgres is an optional extra) is loaded."""
    import dagster as dg

    doc = yaml.safe_load((ROOT / "examples/dagster.yaml").read_text())
    doc["storage"] = {"sqlite": {"base_dir": str(tmp_path / "storage")}}
    doc["compute_logs"]["config"]["base_dir"] = str(tmp_path / "logs")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert type(instance.compute_log_manager).__name__ == "LocalComputeLogManager"
