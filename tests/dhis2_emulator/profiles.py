"""Version profiles: what differs between DHIS2 2.39 and 2.43, read from dhis2-core at each version's tag.

Each flag names the dhis2-core source it reproduces (paths under ``dhis-2/``; the table with every row is in
``docs/dhis2.md``). A profile follows the *latest patch* of its minor version (tags 2.39.10.1, 2.40.12,
2.41.9.1, 2.42.5.2, 2.43.1 in the mirror read on 2026-08); early-patch behaviour that the latest patch no longer
has is kept as a flag that a test can switch on with ``dataclasses.replace`` (``EARLY_2_40``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Behaviour switches of one DHIS2 version."""

    name: str
    version: str  # what /api/system/info reports
    # --- data value import ---------------------------------------------------------------------
    # "dxf": DefaultDataValueSetService (E76xx, 2.39-2.42); "entry": DataEntryPipeline (E80xx/E81xx, 2.43)
    pipeline: str = "dxf"
    # ADX-level problems: "conflicts" (merged object/value conflicts, status unchanged; 2.39-2.41),
    # "fatal" (whole request ERROR "The import process failed: …"; 2.42), or handled by the 2.43 pipeline
    adx_errors: str = "conflicts"
    adx_default_scheme: str = "CODE"  # 2.43 DataEntryInput.fromAdxXml no longer sets CODE: UID
    adx_group_comment_fanout: bool = (
        True  # 2.42 AdxDataValueSetReader reads comment from the value only
    )
    # identical re-post counted as "updated" (no dataValueUpdateShouldBeIgnored: 2.39.0-2.39.4.1, 2.40.0-2.40.2.1)
    identical_repost_updated: bool = False
    # malformed ADX answered without a 409 summary (XMLException not caught: same early patches)
    malformed_adx_unhandled: bool = False
    # --- async jobs ----------------------------------------------------------------------------
    async_name_with_millis: bool = (
        True  # 2.41+: "DATAVALUE_IMPORT (<ms>)"; 2.39/2.40: "dataValueImport"
    )
    task_messages: tuple[str, ...] = ()  # notifications before the completion one, oldest first
    task_done_message: str = "Import complete with status {status}, {imported} created, {updated} updated, {deleted} deleted, {ignored} ignored"  # noqa: E501
    # every version marks the job completed before it stores the summary; seconds between the two
    summary_lag: float = 0.05
    # --- read-back ------------------------------------------------------------------------------
    readback_format_from_accept: bool = True  # 2.43 GET decides by ?format= or path suffix only
    # --- maintenance ---------------------------------------------------------------------------
    coc_update_all_status: int = 204  # 2.43 answers the instance-wide call with 200 + WebMessage
    # 403 text: "Access is denied" (2.39-2.41) or "…, requires one Authority from [X]" (2.42+, @RequiresAuthority)
    forbidden_names_authority: bool = False


P239 = Profile(
    "2.39",
    "2.39.10.1",
    async_name_with_millis=False,
    task_messages=("Process started", "Importing data values"),
    task_done_message="Import done",
)
P240 = Profile(
    "2.40",
    "2.40.12",
    async_name_with_millis=False,
    task_messages=("Process started", "Importing data values"),
    task_done_message="Import done",
)
P241 = Profile(
    "2.41",
    "2.41.9.1",
    task_messages=(
        "Data value set import",
        "Loading file resource",
        "Loading file content",
        "Importing data...",
    ),
)
P242 = Profile(
    "2.42",
    "2.42.5.2",
    adx_errors="fatal",
    forbidden_names_authority=True,
    adx_group_comment_fanout=False,
    task_messages=(
        "Data value set import",
        "Loading file resource",
        "Loading file content",
        "Reading data set header",
        "Importing values (iterator)",
    ),  # fmt: skip
)
P243 = Profile(
    "2.43",
    "2.43.1",
    pipeline="entry",
    adx_errors="entry",
    adx_default_scheme="UID",
    adx_group_comment_fanout=False,
    task_messages=(
        "Data value set import",
        "Loading file resource",
        "Loading file content",
        "Deserializing XML data",
        "Decoding group",
    ),  # fmt: skip
    readback_format_from_accept=False,
    coc_update_all_status=200,
    forbidden_names_authority=True,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (P239, P240, P241, P242, P243)}
DEFAULT = "2.43"
# 2.40.0-2.40.2.1 (and 2.39.0-2.39.4.1): identical re-posts "updated", malformed ADX without a summary.
EARLY_2_40 = Profile(
    "2.40.2",
    "2.40.2",
    async_name_with_millis=False,
    task_messages=P240.task_messages,
    task_done_message="Import done",
    identical_repost_updated=True,
    malformed_adx_unhandled=True,
)


def get(name: str | Profile | None) -> Profile:
    """The profile called ``name`` (``"2.41"``), a profile as is, or the default (newest)."""
    if isinstance(name, Profile):
        return name
    return PROFILES[name or DEFAULT]
