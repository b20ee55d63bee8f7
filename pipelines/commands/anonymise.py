"""``openimis-dhis2 anonymise``: an anonymised copy of a real openIMIS database (issue 6)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

_ENV_SEED = "OPENIMIS_ANONYMISE_SEED"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "anonymise",
        help="copy an openIMIS database to PostgreSQL/SQLite with people's data replaced",
        description=(
            "Copy the openIMIS tables from SOURCE (PostgreSQL, SQL Server, SQLite) to TARGET (PostgreSQL "
            "or SQLite: an empty database, or an empty real openIMIS schema) keeping every key, history "
            "and deleted row; names, phones, e-mails, addresses, identification and insurance numbers, "
            "claim codes and UUIDs are replaced consistently, free text and photos dropped, dates of birth "
            "moved within their month. Indicators stay the same."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--source", required=True, metavar="URL", help="source database URL")
    p.add_argument("--target", required=True, metavar="URL", help="target database URL")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"key of the replacements (same seed, same output); default ${_ENV_SEED} or random. "
        "Keep it secret: with it, a guessed name can be checked against the fake one",
    )
    shift = p.add_mutually_exclusive_group()
    shift.add_argument(
        "--shift-months", type=int, default=0, metavar="N", help="shift every date by N months"
    )
    shift.add_argument(
        "--shift-to",
        type=_month,
        default=None,
        metavar="YYYY-MM",
        help="shift every date so that the latest claim/policy month becomes YYYY-MM",
    )
    p.add_argument(
        "--k",
        type=_k,
        default=None,
        metavar="N",
        help="report village x sex x age band x product cells with fewer than N insurees",
    )
    p.add_argument(
        "--suppress",
        action="store_true",
        help="with --k: set the sex of insurees in those cells to unknown",
    )
    p.add_argument(
        "--target-mode",
        choices=("auto", "create", "into_existing"),
        default="auto",
        help="create the tables, fill an existing empty openIMIS schema, or decide from the target",
    )
    p.add_argument(
        "--chunk-rows", type=int, default=20_000, metavar="N", help="rows per streamed chunk"
    )
    p.add_argument(
        "--report", type=Path, default=None, metavar="FILE", help="write the JSON report here"
    )
    p.add_argument(
        "--country",
        type=_country,
        default=None,
        metavar="CODE",
        help="replace names, phones and addresses with this country profile's pools "
        "(NP, TZ, CM, CD, NE, GM, international); default: the built-in international pools",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM")
    return text


def _country(text: str) -> str:
    from synthetic_data.profiles import ProfileError, load_profile

    try:
        return load_profile(text).code
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _k(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if k < 2:
        raise argparse.ArgumentTypeError("k must be at least 2")
    return k


def run(args: argparse.Namespace) -> int:
    from synthetic_data.anonymise import AnonymiseOptions, anonymise

    if args.suppress and args.k is None:
        raise ValueError("--suppress needs --k N")
    seed = args.seed
    if seed is None and os.environ.get(_ENV_SEED):
        seed = int(os.environ[_ENV_SEED])
    options = AnonymiseOptions(
        seed=seed,
        shift_months=args.shift_months,
        shift_to=args.shift_to,
        k=args.k,
        suppress=args.suppress,
        target_mode=args.target_mode,
        chunk_rows=args.chunk_rows,
        country=args.country,
    )

    def progress(table: str, done: int, total: int) -> None:
        if not args.quiet:
            print(f"  {table}: {done}/{total} rows", file=sys.stderr)

    report = anonymise(args.source, args.target, options, progress=progress)
    if args.report is not None:
        from atomic_files import write_text

        write_text(args.report, report.to_json() + "\n")
    print(report.summary())
    return 0
