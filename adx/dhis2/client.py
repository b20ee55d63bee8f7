"""The DHIS2 Web API client for aggregate data: one facade over the modules that do the work.

- ``connection``: base URL, auth, one request with retries (``http``), error mapping;
- ``push``: chunked data value imports (``PushOptions``), ``jobs``: async import polling;
- ``readback``: values read back by code; ``metadata_api``: metadata reads and imports.

Built to CONTRACT.md (DHIS2 2.38-2.41). Settings come from :class:`DHIS2Settings`
(``DHIS2Client.from_env()`` / ``from_settings()``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from adx.dhis2 import metadata_api, readback
from adx.dhis2.completeness import CompletenessResult, Registration, send_registrations
from adx.dhis2.connection import Connection
from adx.dhis2.http import (
    DHIS2AuthError,
    DHIS2ConnectionError,
    DHIS2Error,
    DHIS2VersionError,
    RetryPolicy,
)
from adx.dhis2.import_summary import ImportResult, MetadataImportResult
from adx.dhis2.push import DEFAULT_MAX_BYTES, PushError, PushOptions, PushProgress, push
from adx.dhis2.settings import DHIS2Settings
from adx.dhis2.snapshot import MetadataSnapshot
from adx.json_types import JsonObject
from adx.model import DataValue

log = logging.getLogger("adx.dhis2")

# Checked against dhis2-core at 2.39.10.1, 2.40.12, 2.41.9.1, 2.42.5.2 and 2.43.1 (docs/dhis2.md).
SUPPORTED_VERSIONS = ((2, 39), (2, 43))
OLDEST_ACCEPTED = (2, 38)  # WebMessage envelope and DATAVALUE_IMPORT tasks exist; not checked

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DHIS2AuthError",
    "DHIS2Client",
    "DHIS2ConnectionError",
    "DHIS2Error",
    "DHIS2Settings",
    "DHIS2VersionError",
    "PushError",
    "PushOptions",
    "PushProgress",
    "RetryPolicy",
]


def parse_version(text: str) -> tuple[int, int, int]:
    m = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not m:
        raise DHIS2VersionError(f"cannot read the DHIS2 version from {text!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


class DHIS2Client(Connection):
    """Talks to one DHIS2 instance. Use as a context manager or call ``close()``."""

    _version: tuple[int, int, int] | None = None

    # --- system ---------------------------------------------------------------------------

    def system_info(self, *, check_version: bool = True, strict: bool = False) -> JsonObject:
        """``GET /api/system/info``; checks the version against the supported 2.39-2.43.

        Older than 2.38 is refused (no WebMessage envelope, other task categories). 2.38 and
        newer than 2.43 log a warning (not checked against their source), or are refused with
        ``strict=True``. The requests the client sends work unchanged on 2.39-2.43 (explicit
        ``idScheme=CODE`` for ADX, ``format=adx+xml`` and input id schemes on read-back).
        """
        info: JsonObject = self.get_json("system/info")
        version = str(info.get("version", ""))
        self._version = parse_version(version)
        if check_version:
            major_minor = self._version[:2]
            low, high = SUPPORTED_VERSIONS
            if major_minor < OLDEST_ACCEPTED:
                raise DHIS2VersionError(
                    f"DHIS2 {version} is not supported: this client needs 2.39-2.43 "
                    "(upgrade DHIS2 or pass check_version=False at your own risk)"
                )
            if major_minor < low or major_minor > high:
                message = (
                    f"DHIS2 {version} is outside the checked 2.39-2.43 (newer than the tested "
                    "versions or older): run `validate`, then `push --dry-run` first"
                )
                if strict:
                    raise DHIS2VersionError(message)
                log.warning(message)
        return info

    # --- data values ----------------------------------------------------------------------

    def push(
        self,
        values: Iterable[DataValue],
        options: PushOptions | None = None,
        *,
        data_sets: Any = None,
        metadata: MetadataSnapshot | None = None,
        progress: Callable[[PushProgress], None] | None = None,
    ) -> ImportResult:
        """Send data values (see :func:`adx.dhis2.push.push`)."""
        return push(
            self,
            values,
            options or PushOptions(),
            data_sets=data_sets,
            metadata=metadata,
            progress=progress,
        )

    def read_values(
        self,
        data_set: str,
        periods: Iterable[str],
        org_units: Iterable[str],
        format: str = "adx",
        *,
        include_deleted: bool = False,
        batch: int = 100,
        data_sets: Mapping[str, Any] | None = None,
    ) -> list[DataValue]:
        """Current values of a data set (by code) for periods and org units (by code)."""
        return readback.read_values(
            self, data_set, periods, org_units, format,
            include_deleted=include_deleted, batch=batch, data_sets=data_sets,
        )  # fmt: skip

    def register_complete(
        self, registrations: Iterable[Registration], *, dry_run: bool = False
    ) -> CompletenessResult:
        """Register (data set, period, org unit) as complete (DHIS2's reporting rates)."""
        return send_registrations(self, registrations, dry_run=dry_run)

    def remove_registrations(
        self, registrations: Iterable[Registration], *, dry_run: bool = False
    ) -> CompletenessResult:
        """Remove complete data set registrations (missing ones are ``ignored`` by DHIS2)."""
        return send_registrations(self, registrations, delete=True, dry_run=dry_run)

    # --- metadata -------------------------------------------------------------------------

    def get_list(
        self,
        endpoint: str,
        key: str,
        params: Sequence[tuple[str, str]] = (),
        page_size: int | None = None,
    ) -> list[JsonObject]:
        return metadata_api.get_list(self, endpoint, key, params, page_size)

    def get_data_sets(self, codes: Iterable[str]) -> list[JsonObject]:
        return metadata_api.get_data_sets(self, codes)

    def get_category_option_combos(self, combo_ids: Iterable[str]) -> list[JsonObject]:
        return metadata_api.get_category_option_combos(self, combo_ids)

    def get_org_units(
        self, codes: Iterable[str], *, page_size: int | None = None
    ) -> list[JsonObject]:
        return metadata_api.get_org_units(self, codes, page_size=page_size)

    def metadata_snapshot(
        self, data_sets: Iterable[str], org_units: Iterable[str] | None = None
    ) -> MetadataSnapshot:
        return metadata_api.metadata_snapshot(self, data_sets, org_units)

    def post_metadata(
        self,
        bundle: Mapping[str, Any],
        import_mode: str = "COMMIT",
        *,
        atomic_mode: str = "ALL",
        import_strategy: str = "CREATE_AND_UPDATE",
        update_option_combos: bool = True,
    ) -> MetadataImportResult:
        return metadata_api.post_metadata(
            self, bundle, import_mode, atomic_mode=atomic_mode,
            import_strategy=import_strategy, update_option_combos=update_option_combos,
        )  # fmt: skip

    def update_category_option_combos(self, combo_ids: Iterable[str]) -> list[str]:
        """Per-combo option combo maintenance; returns 409 WARNINGs instead of raising them."""
        return metadata_api.update_category_option_combos(self, combo_ids)
