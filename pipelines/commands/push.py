"""``openimis-dhis2 push``: export a period and import it into DHIS2."""

from __future__ import annotations

import argparse
import os

from pipelines.commands._common import CommandError, add_run_options, progress


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "push",
        help="export a period and push it to DHIS2 (DHIS2_URL + DHIS2_TOKEN or user/password)",
        description="Export, validate and import into DHIS2, then remove values DHIS2 still "
        "holds for the same data sets, org units and periods that are no longer computed. "
        "DHIS2 comes from the environment: DHIS2_URL, and DHIS2_TOKEN (personal access token) "
        "or DHIS2_USERNAME / DHIS2_PASSWORD; DHIS2_CONFLICT_TOLERANCE (default 0). Exits 1 "
        "when a blocking check fails or DHIS2 reports more conflicts than tolerated.",
    )
    add_run_options(parser)
    parser.add_argument("--dry-run", action="store_true", help="DHIS2 validates but stores nothing")
    parser.add_argument(
        "--async", dest="async_", action="store_true", help="import as a DHIS2 job and poll it"
    )
    parser.set_defaults(func=run)


def require_dhis2(**overrides):
    from pipelines.resources import dhis2_from_env

    if not os.environ.get("DHIS2_URL"):
        raise CommandError("DHIS2 is not configured: set DHIS2_URL (and DHIS2_TOKEN)")
    if not os.environ.get("DHIS2_TOKEN") and not (
        os.environ.get("DHIS2_USERNAME") and os.environ.get("DHIS2_PASSWORD")
    ):
        raise CommandError(
            "no DHIS2 credentials: set DHIS2_TOKEN, or DHIS2_USERNAME and DHIS2_PASSWORD"
        )
    return dhis2_from_env(**overrides)


def print_push_summaries(outcomes) -> None:
    for outcome in outcomes:
        for asset, meta in outcome.materialized.items():
            if asset.endswith("_push"):
                summary = str(meta.get("summary", "")).strip().strip("`").strip()
                print(f"{asset}: {summary}")
                if meta.get("stale_values_removed"):
                    print(f"{asset}: {meta['stale_values_removed']} stale value(s) removed")


def run(args: argparse.Namespace) -> int:
    from pipelines.commands._run import raise_on_failure, run_datasets

    dhis2 = require_dhis2(dry_run=args.dry_run or None, async_import=args.async_ or None)
    outcomes = run_datasets(args, args.period, push=True, dhis2=dhis2)
    print_push_summaries(outcomes)
    raise_on_failure(outcomes)
    progress("pushed" if not dhis2.dry_run else "dry run done, nothing stored")
    return 0
