"""The ``openimis-dhis2`` command line.

Each subcommand lives in its own module under ``pipelines/commands/`` and exposes
``register(subparsers)``; modules are discovered automatically, and import their heavy
dependencies (dagster, pandas) lazily inside the command so ``--help`` stays fast.
Exit codes: 0 success, 1 failure (one-line reason on stderr), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from pipelines import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openimis-dhis2",
        description="openIMIS -> DHIS2 monthly indicators: generate, export, push, validate.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show tracebacks and debug logs"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue  # shared helpers, not commands
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("openimis-dhis2: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for operators; the traceback with --verbose
        if args.verbose:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__  # always one line
        print(f"openimis-dhis2 {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
