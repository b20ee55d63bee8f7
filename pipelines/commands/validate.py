"""``openimis-dhis2 validate``: pre-flight a period's values against the DHIS2 metadata."""

from __future__ import annotations

import argparse

from pipelines.commands._common import CommandError, add_run_options, progress


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="pre-flight a period against DHIS2's metadata and print every problem",
        description="Export the period (XSD validation included) and check every data set, "
        "data element, category option and org unit against the DHIS2 metadata, without "
        "pushing. Prints every problem; exits 1 when there is any.",
    )
    add_run_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.checks import ADX_VALID, PREFLIGHT
    from pipelines.commands._run import failure_message, run_datasets
    from pipelines.commands.push import require_dhis2

    dhis2 = require_dhis2()
    outcomes = run_datasets(args, args.period, push=False, dhis2=dhis2)
    problems = 0
    for outcome in outcomes:
        for check in outcome.checks:
            if check.name not in (PREFLIGHT, ADX_VALID) or check.passed:
                continue
            for problem in check.problems:
                print(f"{check.asset}: {problem}")
                problems += 1
    failed_runs = [o for o in outcomes if not o.success]
    if problems:
        raise CommandError(f"{problems} problem(s) found (listed above)")
    if failed_runs:
        raise CommandError(failure_message(failed_runs))
    progress("no problems: DHIS2 knows every data set, element, option and org unit")
    return 0
