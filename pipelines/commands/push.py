"""``openimis-dhis2 push``: export a period and import it into DHIS2."""

from __future__ import annotations

import argparse

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


def dhis2_settings():
    """``DHIS2Settings.from_env()``, with a bad value reported in one line."""
    from adx.dhis2.settings import DHIS2Settings, DHIS2SettingsError

    try:
        return DHIS2Settings.from_env()
    except DHIS2SettingsError as exc:
        raise CommandError(str(exc)) from None


def dhis2_client(*, check: bool = True):
    """A client from the environment (outside Dagster runs, where the resource's EnvVars are
    not resolved), after the same one-line checks as :func:`require_dhis2`."""
    from adx.dhis2.client import DHIS2Client

    require_dhis2(check=check)
    return DHIS2Client.from_settings(dhis2_settings())


def require_dhis2(*, check: bool = True, **overrides):
    """The DHIS2 resource from the environment, after a quick ``/api/system/info`` call.

    Fails in one line, before any export, when DHIS2 is not configured, not reachable, refuses
    the credentials or runs a version this client does not support.
    """
    from pipelines.resources import dhis2_from_env

    settings = dhis2_settings()
    if not settings.configured:
        raise CommandError("DHIS2 is not configured: set DHIS2_URL (and DHIS2_TOKEN)")
    if not settings.has_credentials:
        raise CommandError(
            "no DHIS2 credentials: set DHIS2_TOKEN, or DHIS2_USERNAME and DHIS2_PASSWORD"
        )
    if check:
        check_dhis2(settings)
    return dhis2_from_env(**overrides)


def check_dhis2(settings) -> None:
    from adx.dhis2.client import DHIS2Client
    from adx.dhis2.http import DHIS2ConnectionError, DHIS2Error
    from redaction import redact_url

    where = redact_url(settings.url)
    try:
        with DHIS2Client.from_settings(settings) as client:
            client.system_info()
    except DHIS2ConnectionError as exc:
        raise CommandError(f"cannot reach DHIS2 at {where}: {exc.reason}") from None
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
                if meta.get("completeness"):
                    print(f"{asset}: {meta['completeness']}")


def run(args: argparse.Namespace) -> int:
    from pipelines.commands._run import raise_on_failure, run_datasets

    dhis2 = require_dhis2(dry_run=args.dry_run or None, async_import=args.async_ or None)
    outcomes = run_datasets(args, args.period, push=True, dhis2=dhis2, stored=args.stored)
    print_push_summaries(outcomes)
    raise_on_failure(outcomes)
    progress("pushed" if not dhis2.dry_run else "dry run done, nothing stored")
    return 0
