"""DHIS2 metadata bundle: kept as the public import path; the steps live in :mod:`adx.dhis2.bundle`."""

from __future__ import annotations

from adx.dhis2.bundle import (
    KIND_COC,
    MAX_CODE,
    MAX_SHORT_NAME,
    PUBLIC_DATA_WRITE,
    OrgUnit,
    build_bundle,
    coc_code,
    coc_uid,
    combo_options,
    combo_uid,
    dashboard_item_uid,
    operand_expressions,
    options_resolver,
)

__all__ = [
    "KIND_COC",
    "MAX_CODE",
    "MAX_SHORT_NAME",
    "PUBLIC_DATA_WRITE",
    "OrgUnit",
    "build_bundle",
    "coc_code",
    "coc_uid",
    "combo_options",
    "combo_uid",
    "dashboard_item_uid",
    "operand_expressions",
    "options_resolver",
]
