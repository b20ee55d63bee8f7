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

import redaction
from openimis_db.engine import make_engine, redact_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adx.dhis2.client import DHIS2Client
    from adx.dhis2.push import PushOptions
    from adx.dhis2.settings import DHIS2Settings
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
    """The DHIS2 instance to push to. Without a URL, pushes are skipped with a clear message.

    Built from :class:`adx.dhis2.settings.DHIS2Settings` (``dhis2_from_env``): the same
    variables, defaults and validation as the command line and ``DHIS2Client.from_env``.
    """

    url: str | None = Field(default=None, description="DHIS2 base URL (DHIS2_URL)")
    token: str | None = Field(default=None, description="personal access token (DHIS2_TOKEN)")
    username: str | None = Field(default=None, description="DHIS2_USERNAME, if no token")
    password: str | None = Field(default=None, description="DHIS2_PASSWORD, if no token")
    dry_run: bool = Field(default=False, description="validate only; DHIS2 stores nothing")
    async_import: bool = Field(default=False, description="import as a DHIS2 job and poll it")
    conflict_tolerance: int = Field(
        default=0, description="rejected values accepted before the push counts as failed"
    )
    http_attempts: int = Field(
        default=5, description="tries per HTTP request on transient errors (DHIS2_HTTP_ATTEMPTS)"
    )
    verify: str = Field(
        default="true",
        description="TLS verification: true, false (tests only) or a CA bundle path (DHIS2_VERIFY)",
    )
    connect_timeout: float = Field(default=10.0, description="seconds (DHIS2_CONNECT_TIMEOUT)")
    read_timeout: float = Field(default=300.0, description="seconds (DHIS2_READ_TIMEOUT)")
    max_retry_after: float = Field(
        default=300.0, description="cap on a server's Retry-After, seconds (DHIS2_RETRY_AFTER_MAX)"
    )
    async_timeout: float = Field(
        default=3600.0, description="wait for an async import job, seconds (DHIS2_ASYNC_TIMEOUT)"
    )
    poll_interval: float = Field(
        default=1.0, description="first wait between job polls, seconds (DHIS2_POLL_INTERVAL)"
    )
    complete: bool = Field(
        default=True, description="register pushed data sets complete in DHIS2 (DHIS2_COMPLETE)"
    )
    ledger_path: str | None = Field(
        default=None,
        description="push ledger SQLite file (DHIS2_LEDGER; default: dhis2_push_ledger.sqlite "
        "in the output directory)",
    )

    def _verify(self) -> bool | str:
        from adx.dhis2.settings import parse_verify

        return parse_verify(self.verify)

    def to_settings(self) -> DHIS2Settings:
        from adx.dhis2.settings import DHIS2Settings

        return DHIS2Settings(
            url=self.url,
            token=self.token,
            username=self.username,
            password=self.password,
            verify=self._verify(),
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            attempts=max(1, self.http_attempts),
            max_retry_after=self.max_retry_after,
            async_timeout=self.async_timeout,
            poll_interval=self.poll_interval,
            dry_run=self.dry_run,
            async_import=self.async_import,
            conflict_tolerance=self.conflict_tolerance,
            complete=self.complete,
            ledger_path=self.ledger_path,
        )

    @property
    def configured(self) -> bool:
        return bool(self.url)

    @property
    def redacted_url(self) -> str:
        return redaction.redact_url(self.url) if self.url else "<DHIS2 not configured>"

    def push_options(self) -> PushOptions:
        from adx.dhis2.push import PushOptions

        return PushOptions(dry_run=self.dry_run, async_import=self.async_import)

    def client(self) -> DHIS2Client:
        """A client for this DHIS2; raises ``dg.Failure`` when DHIS2 is not configured or has
        no credentials."""
        from adx.dhis2.client import DHIS2Client

        settings = self.to_settings()
        if not settings.configured:
            raise dg.Failure("DHIS2 is not configured: set DHIS2_URL", allow_retries=False)
        if not settings.has_credentials:
            raise dg.Failure(
                f"no DHIS2 credentials for {self.redacted_url}: set DHIS2_TOKEN, or "
                "DHIS2_USERNAME and DHIS2_PASSWORD",
                allow_retries=False,
            )
        return DHIS2Client.from_settings(settings)


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


def dhis2_from_env(
    env: Mapping[str, str] | None = None,
    *,
    dry_run: bool | None = None,
    async_import: bool | None = None,
) -> DHIS2Resource:
    """DHIS2 resource reading secrets through EnvVar, only for the variables that are set.

    Non-secret values come from ``DHIS2Settings.from_env`` (validated there: a bad value raises
    ``DHIS2SettingsError`` naming the variable). Unset secrets stay ``None`` (not an EnvVar), so
    definitions load and runs that do not push work without any DHIS2 configuration.
    """
    from adx.dhis2.settings import DHIS2Settings

    env = os.environ if env is None else env
    settings = DHIS2Settings.from_env(env)

    def secret(name: str) -> str | None:
        return dg.EnvVar(name) if env.get(name) else None

    return DHIS2Resource(
        url=secret("DHIS2_URL"),
        token=secret("DHIS2_TOKEN"),
        username=secret("DHIS2_USERNAME"),
        password=secret("DHIS2_PASSWORD"),
        dry_run=settings.dry_run if dry_run is None else dry_run,
        async_import=settings.async_import if async_import is None else async_import,
        conflict_tolerance=settings.conflict_tolerance,
        http_attempts=settings.attempts,
        verify=str(settings.verify).lower()
        if isinstance(settings.verify, bool)
        else settings.verify,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_retry_after=settings.max_retry_after,
        async_timeout=settings.async_timeout,
        poll_interval=settings.poll_interval,
        complete=settings.complete,
        ledger_path=settings.ledger_path,
    )
