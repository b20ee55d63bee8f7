"""Dagster resources: the openIMIS database, DHIS2, the output directory, the catalogue file.

Secrets come only from environment variables through ``dagster.EnvVar`` (resolved when a run
starts, never stored in definitions or run config); URLs are redacted wherever they are shown.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from openimis_db.engine import make_engine, redact_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adx.dhis2.client import DHIS2Client
    from aggregations.config import CatalogueConfig as Catalogue


class OpenIMISDatabase(dg.ConfigurableResource):
    """The openIMIS database (PostgreSQL, SQL Server or SQLite), used read-only."""

    url: str = Field(description="SQLAlchemy URL; set OPENIMIS_DB_URL (a read-only user is enough)")

    @property
    def redacted_url(self) -> str:
        return redact_url(self.url)

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """A fresh engine for one step, disposed afterwards (steps may run in other processes)."""
        engine = make_engine(self.url)
        if engine.dialect.name == "postgresql":
            # Belt and braces on top of a read-only database user: every transaction read-only.
            engine = engine.execution_options(postgresql_readonly=True)
        try:
            yield engine
        finally:
            engine.dispose()


class DHIS2Resource(dg.ConfigurableResource):
    """The DHIS2 instance to push to. Without a URL, pushes are skipped with a clear message."""

    url: str | None = Field(default=None, description="DHIS2 base URL (DHIS2_URL)")
    token: str | None = Field(default=None, description="personal access token (DHIS2_TOKEN)")
    username: str | None = Field(default=None, description="DHIS2_USERNAME, if no token")
    password: str | None = Field(default=None, description="DHIS2_PASSWORD, if no token")
    dry_run: bool = Field(default=False, description="validate only; DHIS2 stores nothing")
    async_import: bool = Field(default=False, description="import as a DHIS2 job and poll it")
    conflict_tolerance: int = Field(
        default=0, description="conflicts accepted before the push counts as failed"
    )
    http_attempts: int = Field(
        default=5, description="tries per HTTP request on transient errors (DHIS2_HTTP_ATTEMPTS)"
    )
    verify: str = Field(
        default="true",
        description="TLS verification: true, false (tests only) or a CA bundle path (DHIS2_VERIFY)",
    )

    def _verify(self) -> bool | str:
        return {"true": True, "1": True, "false": False, "0": False}.get(
            self.verify.lower(), self.verify
        )

    @property
    def configured(self) -> bool:
        return bool(self.url)

    @property
    def redacted_url(self) -> str:
        return redact_url(self.url) if self.url else "<DHIS2 not configured>"

    def client(self) -> DHIS2Client:
        """A client for this DHIS2; raises ``dg.Failure`` when DHIS2 is not configured."""
        from adx.dhis2.client import DHIS2Client
        from adx.dhis2.http import RetryPolicy

        if not self.url:
            raise dg.Failure("DHIS2 is not configured: set DHIS2_URL", allow_retries=False)
        options = {
            "retries": RetryPolicy(attempts=max(1, self.http_attempts)),
            "verify": self._verify(),
        }
        if self.token:
            return DHIS2Client(self.url, token=self.token, **options)
        if self.username and self.password:
            return DHIS2Client(self.url, username=self.username, password=self.password, **options)
        raise dg.Failure(
            f"no DHIS2 credentials for {self.redacted_url}: set DHIS2_TOKEN, or DHIS2_USERNAME "
            "and DHIS2_PASSWORD",
            allow_retries=False,
        )


class OutputDirectory(dg.ConfigurableResource):
    """Where exports (``<CODE>_<PERIOD>.adx.xml`` / ``.json``) and Parquet working files go."""

    path: str = Field(description="output directory (OPENIMIS_DHIS2_OUT)")
    formats: str = Field(default="both", description="files to keep: adx, json or both")

    @property
    def keep_adx(self) -> bool:
        return self.formats in ("adx", "both")

    @property
    def keep_json(self) -> bool:
        return self.formats in ("json", "both")

    @property
    def root(self) -> Path:
        return Path(self.path).expanduser().resolve()


class CatalogueConfig(dg.ConfigurableResource):
    """The optional TOML file with mapping and catalogue options (org unit level, codes, ...)."""

    path: str | None = Field(default=None, description="TOML file (OPENIMIS_DHIS2_CONFIG)")

    def load(self) -> Catalogue:
        from aggregations import load_config

        return load_config(self.path)


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def dhis2_from_env(
    env: Mapping[str, str] | None = None,
    *,
    dry_run: bool | None = None,
    async_import: bool | None = None,
) -> DHIS2Resource:
    """DHIS2 resource reading secrets through EnvVar, only for the variables that are set.

    Unset variables stay ``None`` (not an EnvVar), so definitions load and runs that do not
    push work without any DHIS2 configuration.
    """
    env = os.environ if env is None else env

    def secret(name: str) -> str | None:
        return dg.EnvVar(name) if env.get(name) else None

    def count(name: str, default: str) -> int:
        raw = env.get(name, "").strip() or default
        if not raw.isdigit():
            raise ValueError(f"{name}={raw!r} is not a non-negative integer")
        return int(raw)

    return DHIS2Resource(
        url=secret("DHIS2_URL"),
        token=secret("DHIS2_TOKEN"),
        username=secret("DHIS2_USERNAME"),
        password=secret("DHIS2_PASSWORD"),
        dry_run=_flag(env, "DHIS2_DRY_RUN") if dry_run is None else dry_run,
        async_import=_flag(env, "DHIS2_ASYNC") if async_import is None else async_import,
        conflict_tolerance=count("DHIS2_CONFLICT_TOLERANCE", "0"),
        http_attempts=count("DHIS2_HTTP_ATTEMPTS", "5"),
        verify=env.get("DHIS2_VERIFY", "").strip() or "true",
    )
