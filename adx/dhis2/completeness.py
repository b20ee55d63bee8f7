"""Complete data set registrations: what DHIS2's reporting rates and timeliness count.

``POST /api/completeDataSetRegistrations`` (JSON ``{"completeDataSetRegistrations": [...]}``,
read in dhis2-core 2.39.0-2.43.1 ``CompleteDataSetRegistrationController`` and
``DefaultCompleteDataSetRegistrationExchangeService``, same logic at every tag):

- each registration names ``dataSet``, ``period``, ``organisationUnit`` (and optionally
  ``attributeOptionCombo``, default: the default combo) and ``completed`` (default true),
  resolved with ``dataSetIdScheme`` / ``orgUnitIdScheme`` (else ``idScheme``, default UID):
  we send codes, as for data values;
- ``importStrategy`` CREATE_AND_UPDATE registers (an existing one counts ``updated``);
  ``DELETE`` removes existing ones (``deleted``; a missing one is ``ignored``);
- unknown data set / bad period / unknown org unit are per-registration conflicts ("Data set
  not found or not accessible", "Period not valid", "Organisation unit not found or not
  accessible"); status ERROR (HTTP 409) only when every registration was ignored.

The ``DELETE /api/completeDataSetRegistrations?ds=&pe=&ou=`` form takes UIDs only
(``manager.getByUid``, ``getOrganisationUnit(uid)``) in every version 2.39-2.43, one org unit
per call: removal uses the POST with ``importStrategy=DELETE`` instead, which takes codes and
batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from adx.dhis2.connection import JSON_CONTENT_TYPE, Connection
from adx.dhis2.http import DHIS2Error
from adx.dhis2.import_summary import ChunkSummary, ImportSummaryError, parse_import_summary
from adx.model import DataValue

ENDPOINT = "completeDataSetRegistrations"


@dataclass(frozen=True, order=True)
class Registration:
    """One (data set, period, org unit) registered complete, on the default attribute combo."""

    data_set: str
    period: str
    org_unit: str

    def as_json(self) -> dict[str, object]:
        return {
            "dataSet": self.data_set,
            "period": self.period,
            "organisationUnit": self.org_unit,
            "completed": True,
        }


def registrations_of(values: Iterable[DataValue]) -> list[Registration]:
    """The (data set, period, org unit) of values on the default attribute combo, sorted.

    Values with attribute options are left out: their registration would need the attribute
    option combo's UID, which ADX pushes never resolve.
    """
    return sorted(
        {Registration(v.data_set, v.period, v.org_unit) for v in values if not v.attribute_options}
    )


@dataclass(frozen=True)
class CompletenessResult:
    """What DHIS2 answered to one registration (or removal) request."""

    requested: int
    summary: ChunkSummary | None  # None when there was nothing to send

    @property
    def registered(self) -> int:
        return self.summary.counts.imported + self.summary.counts.updated if self.summary else 0

    @property
    def removed(self) -> int:
        return self.summary.counts.deleted if self.summary else 0

    def ok(self) -> bool:
        return self.summary is None or (
            self.summary.status != "ERROR" and not self.summary.conflicts
        )

    def problems(self) -> list[str]:
        return [str(c) for c in self.summary.conflicts] if self.summary else []


def send_registrations(
    conn: Connection,
    registrations: Iterable[Registration],
    *,
    delete: bool = False,
    dry_run: bool = False,
) -> CompletenessResult:
    """Register (or, with ``delete``, remove) registrations by code, in one request."""
    items = sorted(set(registrations))
    if not items:
        return CompletenessResult(0, None)
    params = {
        "dataSetIdScheme": "CODE",
        "orgUnitIdScheme": "CODE",
        "importStrategy": "DELETE" if delete else "CREATE_AND_UPDATE",
        "dryRun": "true" if dry_run else "false",
    }
    body = json.dumps({"completeDataSetRegistrations": [r.as_json() for r in items]}).encode()
    response = conn.request(
        "POST", ENDPOINT, params=params, data=body, headers={"Content-Type": JSON_CONTENT_TYPE}
    )
    what = f"POST {ENDPOINT} ({'removal' if delete else 'registration'} of {len(items)})"
    if response.status_code not in (200, 409):
        raise DHIS2Error(
            f"{what} failed: HTTP {response.status_code} {conn.message(response)}",
            status=response.status_code,
        )
    payload = conn.json(response, what)
    try:
        summary = parse_import_summary(
            payload, http_status=response.status_code, values_sent=len(items)
        )
    except ImportSummaryError as exc:
        raise DHIS2Error(f"{what}: {conn.redact(exc)}", status=response.status_code) from None
    return CompletenessResult(len(items), summary)
