"""``openimis-dhis2 report``: compute a period and write the offline HTML run report."""

from __future__ import annotations

import argparse

from pipelines.commands._common import add_run_options, progress


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="compute a month or a range and write one offline HTML report (charts, rankings)",
        description="Materialise the data sets for a period (as `export` does, no push) and "
        "write DIR/report_<FIRST>_<LAST>.html: one self-contained page (no network needed) with "
        "headline indicators, monthly trends, org units ranked for coverage, rejection rate and "
        "settlement promptness, the data-quality table and the reconciliation results. The "
        "report is written even when a check fails (it shows the failure); the exit code is "
        "then 1.",
    )
    add_run_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.commands._common import CommandError
    from pipelines.commands._run import raise_on_failure, report_path_of, run_datasets

    outcomes = run_datasets(args, args.period, push=False, report=True)
    path = report_path_of(outcomes)
    if path is None:
        raise_on_failure(outcomes)  # names the failed step or check
        raise CommandError("the run wrote no report (no monthly data set selected?)")
    print(path)
    progress(f"report written: {path}")
    raise_on_failure(outcomes)
    return 0
