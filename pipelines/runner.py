"""Run the Dagster assets in process for the command line, and summarise the outcome.

The CLI does not have its own code path: it builds the same ``Definitions`` as the UI (with
the command's settings), runs a job of it with ``execute_in_process`` on the instance at
``DAGSTER_HOME`` when set (so CLI runs appear in the UI's history) or an ephemeral one.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
from dagster_shared.error import SerializableErrorInfo  # what step failure events carry

from pipelines.automation import RANGE_END, RANGE_START
from pipelines.checks import PROBLEM_LIST


@dg.logger(description="One line per progress message on stderr; framework events are left out.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger(f"openimis_dhis2.progress.{init_context.run_id}")
    log.setLevel(logging.INFO)
    log.propagate = False

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            if meta.get("dagster_event") is not None or record.levelno < logging.INFO:
                return  # step starts, materializations, failures: summarised after the run
            if "Not executing." in record.getMessage():
                return  # Dagster skipping steps after a failure: the failure itself is reported
            step = meta.get("step_key") or "run"
            text = meta.get("orig_message") or record.getMessage()
            level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
            print(f"  [{time.strftime('%H:%M:%S')}] {step}: {level}{text}", file=sys.stderr)

    log.handlers = [_Handler()]
    return log


LOGGERS = {"console": dg.colored_console_logger, "progress": progress_logger}


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check evaluation of a run, with its problems as plain strings."""

    asset: str  # asset key, e.g. "claims_dataset"
    name: str  # check name, e.g. "totals_reconcile"
    passed: bool
    problems: tuple[str, ...] = ()  # every problem (from the check's ``all_problems`` metadata)
    metadata: Mapping[str, object] = field(default_factory=dict)


@dataclass
class RunOutcome:
    """What the CLI needs from a run: success, metadata per asset, check results, failures."""

    run_id: str
    success: bool
    materialized: dict[str, dict[str, object]] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    interrupted: bool = False  # a step was stopped by SIGINT / SIGTERM

    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]


def _plain(value: object) -> object:
    """Metadata values to plain Python (``MetadataValue.value``)."""
    return getattr(value, "value", value)


@contextmanager
def instance() -> Iterator[dg.DagsterInstance]:
    if os.environ.get("DAGSTER_HOME"):
        with dg.DagsterInstance.get() as inst:
            yield inst
    else:
        with dg.DagsterInstance.ephemeral() as inst:
            yield inst


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or unset, for None) environment variables for the duration of a run."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_job(
    defs: dg.Definitions,
    job_name: str,
    first: str,
    last: str,
    assets: Sequence[dg.AssetKey],
    *,
    verbose: bool = False,
) -> RunOutcome:
    """Materialise ``assets`` of ``job_name`` for the partition key range ``first..last``.

    A range is one run (the assets' single-run backfill policy): each table is scanned once.
    """
    job = defs.resolve_job_def(job_name)
    tags = {"openimis_dhis2/source": "cli"}
    partition_key = None
    if first == last:
        partition_key = first
    else:
        tags.update({RANGE_START: first, RANGE_END: last})
    loggers = {"console": {"config": {"log_level": "DEBUG"}}} if verbose else {"progress": {}}
    with instance() as inst:
        result = job.execute_in_process(
            run_config={"loggers": loggers},
            instance=inst,
            partition_key=partition_key,
            tags=tags,
            asset_selection=list(assets),
            raise_on_error=False,
        )
    return summarise(result)


def summarise(result: dg.ExecuteInProcessResult) -> RunOutcome:
    outcome = RunOutcome(run_id=result.run_id, success=result.success)
    for event in result.all_events:
        if event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            outcome.materialized[mat.asset_key.to_user_string()] = {
                k: _plain(v) for k, v in mat.metadata.items()
            }
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            ev = event.asset_check_evaluation_data
            metadata = {k: _plain(v) for k, v in ev.metadata.items()}
            listed = metadata.get(PROBLEM_LIST) or []
            outcome.checks.append(
                CheckOutcome(
                    asset=ev.asset_key.to_user_string(),
                    name=ev.check_name,
                    passed=bool(ev.passed),
                    problems=tuple(str(p) for p in listed) if isinstance(listed, list) else (),
                    metadata=metadata,
                )
            )
        elif event.is_step_failure:
            error = event.step_failure_data.error
            if _interrupted(error):
                outcome.interrupted = True
            outcome.failures.append(f"{event.step_key}: {_root_message(error)}")
    return outcome


def _root_message(error: SerializableErrorInfo | None) -> str:
    """The user error's first line: Dagster's own wrappers are skipped, but not the user error's
    own causes (a project error such as ``ConfigError`` names the file and key; its cause, e.g.
    a codec error, does not)."""
    while error is not None and error.cause is not None and _is_dagster_wrapper(error):
        error = error.cause
    text = (error.message if error is not None else "").strip()
    first = text.splitlines()[0] if text else "unknown error"
    # "module.ExceptionClass: message" -> "message"
    head, sep, rest = first.partition(": ")
    return rest if sep and "." in head and " " not in head else first


def _interrupted(error: SerializableErrorInfo | None) -> bool:
    while error is not None:
        if error.cls_name in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
            return True
        error = error.cause
    return False


def _is_dagster_wrapper(error: SerializableErrorInfo) -> bool:
    """Dagster's wrapper of a user exception (``DagsterExecutionStepExecutionError``, ...)."""
    return error.cls_name is not None and error.cls_name.startswith("Dagster")
