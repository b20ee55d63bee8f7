"""``openimis-dhis2 export``: compute the data sets for a period and write ADX / JSON files."""

from __future__ import annotations

import argparse

from pipelines.commands._common import add_run_options, progress


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write <CODE>_<PERIOD>.adx.xml / .json for a month or a range (no push)",
        description="Materialise the extract, data set and export assets for a period in "
        "process (the same Dagster assets as the UI; runs show in its history when "
        "DAGSTER_HOME is set) and write DIR/<DATASET_CODE>_<PERIOD>.adx.xml and .json, "
        "validated against the ADX XSD. OI_POPULATION is written for every complete year "
        "the period touches.",
    )
    add_run_options(parser)
    parser.add_argument(
        "--format",
        choices=("adx", "json", "both"),
        default="both",
        help="files to write (default both)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.commands._run import exported_files, raise_on_failure, run_datasets

    outcomes = run_datasets(args, args.period, push=False, formats=args.format)
    raise_on_failure(outcomes)
    files = exported_files(outcomes)
    for path in files:
        print(path)
    progress(f"{len(files)} file(s) written")
    return 0
