"""Non-secret settings of the Dagster code location, read from the environment at load time.

Secrets (database URL, DHIS2 credentials) are NOT read here: resources read them through
``dagster.EnvVar`` at run time, so they never appear in definitions, run config or logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_START = "201801"


class SettingsError(ValueError):
    """An environment setting has an invalid value."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _month(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    m = re.fullmatch(r"(\d{4})-?(\d{2})", raw)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise SettingsError(f"{name}={raw!r} is not a month: expected YYYYMM or YYYY-MM")
    return m.group(1) + m.group(2)


def _config_start(config_path: str | None) -> str | None:
    """``start_period`` of the catalogue configuration file, as the ``YYYYMM`` it starts in."""
    if not config_path:
        return None
    from adx.periods import parse_period
    from aggregations import load_config

    start_period = load_config(config_path).start_period
    if not start_period:
        return None
    first = parse_period(start_period).start
    return f"{first.year:04d}{first.month:02d}"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the pipeline that is not a secret.

    Environment variables (all optional):
    ``OPENIMIS_DHIS2_START`` first monthly partition (``YYYYMM``; default: the configuration
    file's ``start_period``, else 201801);
    ``OPENIMIS_DHIS2_OUT`` output directory (default ``./exports``);
    ``OPENIMIS_DHIS2_CONFIG`` catalogue/mapping TOML file (default: built-in catalogue);
    ``OPENIMIS_DHIS2_SCHEDULE_CRON`` monthly export time (default ``0 2 5 * *``: 02:00 on the 5th);
    ``OPENIMIS_DHIS2_RERUN_CRON`` re-run of past months (default ``0 3 20 * *``);
    ``OPENIMIS_DHIS2_RERUN_MONTHS`` how many past months the re-run covers (default 3);
    ``OPENIMIS_DHIS2_TIMEZONE`` timezone of partitions and schedules (default UTC);
    ``OPENIMIS_DHIS2_RETRIES`` retries of database and DHIS2 steps (default 3, exponential backoff);
    ``OPENIMIS_DHIS2_PUSH_POOL`` Dagster concurrency pool of DHIS2 pushes (default ``dhis2``).
    """

    start: str = DEFAULT_START
    out_dir: str = "exports"
    config_path: str | None = None
    schedule_cron: str = "0 2 5 * *"
    rerun_cron: str = "0 3 20 * *"
    rerun_months: int = 3
    timezone: str = "UTC"
    retries: int = 3
    retry_delay_seconds: int = 10
    push_pool: str = "dhis2"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        d = cls()
        config_path = env.get("OPENIMIS_DHIS2_CONFIG", "").strip() or None
        return cls(
            start=_month(env, "OPENIMIS_DHIS2_START", _config_start(config_path) or d.start),
            out_dir=env.get("OPENIMIS_DHIS2_OUT", "").strip() or d.out_dir,
            config_path=config_path,
            schedule_cron=env.get("OPENIMIS_DHIS2_SCHEDULE_CRON", "").strip() or d.schedule_cron,
            rerun_cron=env.get("OPENIMIS_DHIS2_RERUN_CRON", "").strip() or d.rerun_cron,
            rerun_months=_int(env, "OPENIMIS_DHIS2_RERUN_MONTHS", d.rerun_months, minimum=1),
            timezone=env.get("OPENIMIS_DHIS2_TIMEZONE", "").strip() or d.timezone,
            retries=_int(env, "OPENIMIS_DHIS2_RETRIES", d.retries),
            retry_delay_seconds=_int(env, "OPENIMIS_DHIS2_RETRY_DELAY", d.retry_delay_seconds),
            push_pool=env.get("OPENIMIS_DHIS2_PUSH_POOL", "").strip() or d.push_pool,
        )
