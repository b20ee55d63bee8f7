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
