"""Shared pieces of the export / push / validate / demo commands."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from adx.periods import PeriodError, add_months, parse_period


class CommandError(Exception):
    """A failure reported as one line (``openimis-dhis2 <cmd>: error: ...``), exit code 1."""


ALL_DATASETS = ("OI_ENROLMENT", "OI_CLAIMS", "OI_POPULATION")


@dataclass(frozen=True)
class PeriodSpan:
    """What ``--period`` asks for: a month range, and the years it touches (population)."""

    first: str  # YYYYMM
    last: str  # YYYYMM

    @property
    def years(self) -> list[str]:
        return [str(y) for y in range(int(self.first[:4]), int(self.last[:4]) + 1)]

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"


def period_arg(text: str) -> PeriodSpan:
    """argparse type: ``YYYYMM``, ``YYYYMM:YYYYMM`` or ``YYYY`` (its twelve months)."""
    text = text.strip()
    try:
        if ":" in text:
            a, _, b = text.partition(":")
            first, last = parse_period(a.strip()), parse_period(b.strip())
        else:
            first = last = parse_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc} (expected YYYYMM, YYYYMM:YYYYMM or YYYY)"
        ) from None
    if first.period_type == "Yearly" and last.period_type == "Yearly":
        return PeriodSpan(f"{first.id}01", f"{last.id}12")
    if first.period_type != "Monthly" or last.period_type != "Monthly":
        raise argparse.ArgumentTypeError(
            f"{text!r}: give months (YYYYMM or YYYYMM:YYYYMM) or one year (YYYY)"
        )
    if last.start < first.start:
        raise argparse.ArgumentTypeError(f"{text!r}: the range ends before it starts")
    return PeriodSpan(first.id, last.id)


def add_run_options(parser: argparse.ArgumentParser, *, out_required: bool = False) -> None:
    parser.add_argument(
        "--period",
        required=True,
        type=period_arg,
        metavar="YYYYMM[:YYYYMM]",
        help="a month, a range of months (one run, one scan of the database), or a year YYYY",
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="openIMIS database URL (default: $OPENIMIS_DB_URL), e.g. postgresql://reader@host/openimis",
    )
    parser.add_argument(
        "--out",
        default=None,
        required=out_required,
        metavar="DIR",
        help="output directory (default: $OPENIMIS_DHIS2_OUT or ./exports)",
    )
    parser.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="catalogue / mapping TOML file (default: $OPENIMIS_DHIS2_CONFIG or built-in defaults)",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        choices=ALL_DATASETS,
        metavar="CODE",
        help=f"only this data set (repeatable; default all: {', '.join(ALL_DATASETS)})",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=None,
        metavar="N",
        help="retries of failing database / DHIS2 steps, with backoff (default 0 here)",
    )


def progress(message: str) -> None:
    print(f"openimis-dhis2: {message}", file=sys.stderr, flush=True)


def database_url(args: argparse.Namespace) -> str:
    url = args.db or os.environ.get("OPENIMIS_DB_URL")
    if not url:
        raise CommandError("no database: pass --db URL or set OPENIMIS_DB_URL")
    return url


def check_database(url: str) -> None:
    """Fail fast, in one line, when the database cannot be reached (before any Dagster run)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from openimis_db.engine import DatabaseURLError, redact_url
    from pipelines.resources import OpenIMISDatabase
    from redaction import redact_text

    try:
        parsed = make_url(url)
    except Exception:
        raise CommandError(f"cannot parse database URL {redact_url(url)!r}") from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).is_file():
            raise CommandError(f"SQLite database file {path!r} does not exist")
    try:
        with OpenIMISDatabase(url=url).engine() as engine, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DatabaseURLError as exc:
        raise CommandError(str(exc)) from None
    except SQLAlchemyError as exc:
        text = redact_text(str(getattr(exc, "orig", None) or exc), [parsed.password])
        reason = text.strip().splitlines()
        raise CommandError(
            f"cannot connect to the openIMIS database {redact_url(url)}: "
            f"{reason[0] if reason else type(exc).__name__}"
        ) from None


def last_complete_month(now: datetime | None = None) -> str:
    month = add_months((now or datetime.now(UTC)).date(), -1)
    return f"{month.year:04d}{month.month:02d}"


def check_complete(span: PeriodSpan) -> None:
    """DHIS2 rejects the current, unfinished month; partitions end at the last complete one."""
    last_ok = last_complete_month()
    if span.last > last_ok:
        raise CommandError(
            f"period {span.last} is not complete yet (the last complete month is {last_ok}); "
            "DHIS2 rejects unfinished periods"
        )


def settings_for(args: argparse.Namespace, span: PeriodSpan):
    """The code location's settings, with this command's output dir, config and period start."""
    from pipelines.settings import Settings

    settings = Settings.from_env()
    retries = args.retries
    if retries is None:
        retries = int(os.environ.get("OPENIMIS_DHIS2_RETRIES", "0") or 0)
    if retries < 0:
        raise CommandError(f"--retries {retries}: must be 0 or more")
    return dataclasses.replace(
        settings,
        out_dir=args.out or settings.out_dir,
        config_path=args.config or settings.config_path,
        start=min(settings.start, span.first),
        retries=retries,
    )
