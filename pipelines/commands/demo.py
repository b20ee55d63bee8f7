"""``openimis-dhis2 demo``: a synthetic openIMIS database, twelve months exported, a summary."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipelines.commands._common import PeriodSpan, progress

DEMO_DB = "openimis_demo.sqlite"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate a small synthetic openIMIS database and export 2024 through Dagster",
        description="On a fresh machine, without configuration: generate a 'small' synthetic "
        "openIMIS SQLite database in DIR, materialise the Dagster assets for the twelve months "
        "2024-01..2024-12 (one run) and the 2024 population, write DIR/exports/*.adx.xml and "
        "*.json, and print a summary with a few headline indicators. Pushes to DHIS2 only if "
        "DHIS2_URL is set. Runs show in the Dagster UI's history when DAGSTER_HOME is set.",
    )
    parser.add_argument(
        "--dir", default="demo", metavar="DIR", help="working directory (default ./demo)"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--country",
        type=_country,
        default="international",
        metavar="CODE",
        help="country profile of the generated people (NP, TZ, CM, CD, NE, GM; default international)",
    )
    parser.set_defaults(func=run)


def _country(text: str) -> str:
    from synthetic_data.profiles import ProfileError, load_profile

    try:
        return load_profile(text).code
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from pipelines.assets import DATASETS
    from pipelines.commands._run import (
        exported_files,
        raise_on_failure,
        report_path_of,
        run_datasets,
    )
    from pipelines.commands.push import dhis2_settings, print_push_summaries, require_dhis2
    from pipelines.headlines import headline_indicators
    from synthetic_data import GenerationOptions, generate

    started = time.perf_counter()
    push = dhis2_settings().configured
    if push:
        require_dhis2()  # unreachable DHIS2 or bad credentials: fail before any work
    root = Path(args.dir).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    db = root / DEMO_DB
    db.unlink(missing_ok=True)  # the demo always starts from a fresh, deterministic database
    url = f"sqlite:///{db}"
    progress(f"generating a small synthetic openIMIS database in {db}")
    report = generate(
        url,
        GenerationOptions(
            preset="small",
            seed=args.seed,
            start="2023-01",
            months=24,
            mode="create",
            country=args.country,
        ),
    )
    progress(f"generated {sum(report.rows.values()):,} rows in {report.seconds:.1f}s")

    if push:
        _post_demo_metadata(url)
    span = PeriodSpan("202401", "202412")
    run_args = argparse.Namespace(
        period=span,
        db=url,
        out=str(root / "exports"),
        config=None,
        dataset=None,
        retries=0,
        verbose=args.verbose,
    )
    outcomes = run_datasets(
        run_args,
        span,
        push=push,
        dhis2=require_dhis2(check=False) if push else None,
        check_db=False,
        report=True,
    )
    if push:
        print_push_summaries(outcomes)
    raise_on_failure(outcomes)

    files = exported_files(outcomes)
    print(f"openIMIS demo database: {db}")
    print(f"exports: {root / 'exports'} ({len(files)} files: ADX XML + dataValueSets JSON)")
    codes = {s.dataset_key.to_user_string(): s.code for s in DATASETS}
    print("values per data set:")
    for outcome in outcomes:
        for asset, meta in sorted(outcome.materialized.items()):
            if asset in codes:
                print(
                    f"  {codes[asset]:<14} {meta.get('values', 0):>8,} values, "
                    f"{meta.get('org_units', 0)} org units"
                )
    print("headline indicators:")
    months = [f"2024{m:02d}" for m in range(1, 13)]
    for name, value in headline_indicators(root / "exports", months, "2024").items():
        print(f"  {name:<48} {value}")
    print(f"run report: {report_path_of(outcomes)}")
    if not push:
        print("DHIS2_URL is not set: nothing pushed (set DHIS2_URL and DHIS2_TOKEN to push)")
    print(f"done in {time.perf_counter() - started:.1f}s")
    return 0


def _post_demo_metadata(db_url: str) -> None:
    """Give the (sandbox) DHIS2 the catalogue and the demo's org units, so the push can land.

    The synthetic org units exist in no real DHIS2: point DHIS2_URL at a sandbox for the demo.
    """
    import tempfile

    from adx.dhis2.metadata import OrgUnit, build_bundle
    from aggregations import build_catalogue, load_config, org_units, product_codes, reference_reads
    from openimis_db.snapshot import read_snapshot
    from pipelines.commands._common import CommandError
    from pipelines.commands.push import dhis2_client

    config = load_config(None)
    with tempfile.TemporaryDirectory(prefix="openimis-dhis2-ref-") as tmp:
        snap = read_snapshot(db_url, reference_reads(), Path(tmp))
        catalogue = build_catalogue(config, product_codes(snap))
        codes = sorted(set(org_units(snap, config)["org_unit"].dropna()))
    bundle = build_bundle(catalogue, org_units=[OrgUnit(c, f"Demo {c}") for c in codes])
    progress(f"posting the metadata bundle and {len(codes)} demo org units to DHIS2")
    with dhis2_client(check=False) as client:
        result = client.post_metadata(bundle)
    if not result.ok():
        first = str(result.errors[0]) if result.errors else result.status
        raise CommandError(f"DHIS2 refused the demo metadata: {first}")
