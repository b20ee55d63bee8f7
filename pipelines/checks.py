"""Asset checks, as pure functions from what a step computed to an ``AssetCheckResult``.

The blocking ones run inside the data set and export steps (they need what the step has in
memory: the engine, the frame, the files) and stop the DHIS2 push when they fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg
import numpy as np
import pandas as pd

from pipelines.previews import bullet_list

RECONCILES = "totals_reconcile"
ORG_UNITS_MAPPED = "org_units_mapped"
VALUES_VALID = "values_finite_non_negative"
ADX_VALID = "adx_valid_against_xsd"
PREFLIGHT = "dhis2_preflight"
CONFLICTS = "conflicts_within_tolerance"
# Metadata key of every check result: all its problems, as a JSON list of plain strings.
PROBLEM_LIST = "all_problems"
# Checks that must pass before a data set's values may be read by anything downstream.
DATASET_BLOCKING_CHECKS = (RECONCILES, ORG_UNITS_MAPPED, VALUES_VALID)


def dataset_check_specs(asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            RECONCILES,
            asset=asset,
            blocking=True,
            description="For every element, the sum over category options equals the "
            "undisaggregated total counted directly in the database.",
        ),
        dg.AssetCheckSpec(
            ORG_UNITS_MAPPED,
            asset=asset,
            blocking=True,
            description="Every openIMIS location / facility with data maps to a DHIS2 org unit.",
        ),
        dg.AssetCheckSpec(
            VALUES_VALID,
            asset=asset,
            blocking=True,
            description="Every value is a finite, non-negative number.",
        ),
    ]


def export_check_specs(asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            ADX_VALID,
            asset=asset,
            blocking=True,
            description="Every ADX file validates against DHIS2's adx_loose.xsd.",
        ),
        dg.AssetCheckSpec(
            PREFLIGHT,
            asset=asset,
            blocking=True,
            description="When DHIS2 is configured: every data set, element, option and org "
            "unit exists in DHIS2 and the org units are assigned to the data set.",
        ),
    ]


def push_check_specs(asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            CONFLICTS,
            asset=asset,
            description="DHIS2 reported no more conflicts than the configured tolerance.",
        )
    ]


def _result(
    asset: dg.AssetKey,
    name: str,
    problems: Sequence[str],
    extra: Mapping[str, object] | None = None,
) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {"problems": len(problems), **(extra or {})}
    if problems:
        metadata["details"] = bullet_list(list(problems))
        metadata[PROBLEM_LIST] = dg.MetadataValue.json([str(p) for p in problems])
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def values_valid(asset: dg.AssetKey, frame: pd.DataFrame) -> dg.AssetCheckResult:
    """No negative, non-numeric or non-finite value; each problem names its data value."""
    numbers = pd.to_numeric(frame["value"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    bad = ~np.isfinite(numbers) | (numbers < 0)
    problems = [
        f"{r.data_element} [{r.category_options}] org unit {r.org_unit} period {r.period}: "
        f"value {r.value!r}"
        for r in frame[bad].itertuples(index=False)
    ]
    return _result(asset, VALUES_VALID, problems, {"values": len(frame)})


def reconciliation(asset: dg.AssetKey, problems: Sequence[object]) -> dg.AssetCheckResult:
    return _result(asset, RECONCILES, [str(p) for p in problems])


def org_units_mapped(
    asset: dg.AssetKey, unmapped: Sequence[str], mapped_count: int
) -> dg.AssetCheckResult:
    return _result(
        asset, ORG_UNITS_MAPPED, [f"unmapped: {u}" for u in unmapped], {"org_units": mapped_count}
    )


def adx_valid(asset: dg.AssetKey, errors: Mapping[str, Sequence[str]]) -> dg.AssetCheckResult:
    problems = [f"{path}: {err}" for path, errs in errors.items() for err in errs]
    return _result(asset, ADX_VALID, problems, {"files": len(errors)})


def preflight(
    asset: dg.AssetKey, problems: Sequence[object] | None, skipped_reason: str = ""
) -> dg.AssetCheckResult:
    """Fails on pre-flight errors; warnings (e.g. a zero DHIS2 will not store) are only listed.

    ``problems=None`` means the check could not run (DHIS2 not configured): it passes, saying so.
    """
    if problems is None:
        return dg.AssetCheckResult(
            asset_key=asset,
            check_name=PREFLIGHT,
            passed=True,
            metadata={"skipped": skipped_reason or "DHIS2 not configured"},
        )
    errors = [str(p) for p in problems if getattr(p, "severity", "error") == "error"]
    warnings = [str(p) for p in problems if getattr(p, "severity", "error") != "error"]
    return _result(
        asset,
        PREFLIGHT,
        errors,
        {
            "warnings": len(warnings),
            "warning_details": bullet_list(warnings),
        },
    )


def conflicts(
    asset: dg.AssetKey, passed: bool, conflict_texts: Sequence[str], tolerance: int
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=CONFLICTS,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "problems": len(conflict_texts),
            "conflicts": len(conflict_texts),
            "tolerance": tolerance,
            "details": bullet_list(list(conflict_texts)),
            PROBLEM_LIST: dg.MetadataValue.json(list(conflict_texts)),
        },
    )
