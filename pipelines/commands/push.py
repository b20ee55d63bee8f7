"""``openimis-dhis2 push``: export a period and import it into DHIS2."""

from __future__ import annotations

import argparse
import os
import re

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
    parser.add_argument(
        "--stored",
        action="store_true",
        help="push the values an earlier export or push computed under --out, without "
        "recomputing them (no database needed); refused unless their blocking checks passed",
    )
    parser.set_defaults(func=run)


def require_dhis2(*, check: bool = True, **overrides):
    """The DHIS2 resource from the environment, after a quick ``/api/system/info`` call.

    Fails in one line, before any export, when DHIS2 is not configured, not reachable, refuses
    the credentials or runs a version this client does not support.
    """
    from pipelines.resources import dhis2_from_env

    if not os.environ.get("DHIS2_URL"):
        raise CommandError("DHIS2 is not configured: set DHIS2_URL (and DHIS2_TOKEN)")
    if not os.environ.get("DHIS2_TOKEN") and not (
        os.environ.get("DHIS2_USERNAME") and os.environ.get("DHIS2_PASSWORD")
    ):
        raise CommandError(
            "no DHIS2 credentials: set DHIS2_TOKEN, or DHIS2_USERNAME and DHIS2_PASSWORD"
        )
    if check:
        check_dhis2()
    return dhis2_from_env(**overrides)


def check_dhis2() -> None:
    from adx.dhis2.client import DHIS2Client
    from adx.dhis2.http import DHIS2ConnectionError, DHIS2Error, RetryPolicy
    from openimis_db.engine import redact_url

    where = redact_url(os.environ["DHIS2_URL"])
    attempts = int(os.environ.get("DHIS2_HTTP_ATTEMPTS", "") or 5)
    try:
        with DHIS2Client.from_env(retries=RetryPolicy(attempts=max(1, attempts))) as client:
            client.system_info()
    except DHIS2ConnectionError as exc:
        found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
        reason = found.group(1).strip() if found else str(exc).split(":")[-1].strip()
        raise CommandError(f"cannot reach DHIS2 at {where}: {reason}") from None
    except DHIS2Error as exc:
        if exc.status in (401, 403):
            raise CommandError(
                f"DHIS2 at {where} refused the credentials (HTTP {exc.status}): check DHIS2_TOKEN "
                "or DHIS2_USERNAME / DHIS2_PASSWORD"
            ) from None
        raise CommandError(f"DHIS2 at {where}: {exc}") from None


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
    outcomes = run_datasets(args, args.period, push=True, dhis2=dhis2, stored=args.stored)
    print_push_summaries(outcomes)
    raise_on_failure(outcomes)
    progress("pushed" if not dhis2.dry_run else "dry run done, nothing stored")
    return 0
