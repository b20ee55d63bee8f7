"""One period of a data set pushed to DHIS2: ledger, import, stale values, completeness.

Kept out of the asset so the order of the steps reads in one place:
1. record the org units about to be pushed in the push ledger (not for dry runs);
2. push the values;
3. if DHIS2 accepted them (within the tolerance): remove stale values over the scope = the
   mapped org units + every org unit the ledger knows for this data set and period;
4. register (data set, period, org unit) complete for the org units pushed, and remove the
   registrations of ledger org units that no longer have any value.
A refused or unclean push skips 3 and 4: nothing is deleted or registered after a failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adx.dhis2.client import DHIS2Client
from adx.dhis2.completeness import CompletenessResult, Registration, registrations_of
from adx.dhis2.import_summary import ImportResult, combine
from adx.dhis2.ledger import PushLedger
from adx.dhis2.push import PushOptions
from adx.dhis2.sync import Scope, SyncResult, remove_stale
from adx.model import DataValue


@dataclass(frozen=True)
class PeriodPush:
    """What happened to one period."""

    result: ImportResult
    sync: SyncResult | None  # None: stale-value removal skipped (push not clean)
    registered: CompletenessResult | None = None
    unregistered: CompletenessResult | None = None

    @property
    def refused(self) -> bool:
        """DHIS2 refused the import as a whole (an ERROR chunk and nothing counted)."""
        return any(c.status == "ERROR" for c in self.result.chunks) and not self.result.counts.total


def push_period(
    client: DHIS2Client,
    values: Sequence[DataValue],
    options: PushOptions,
    *,
    data_set: str,
    period: str,
    scope_org_units: Sequence[str],
    ledger: PushLedger,
    run_id: str,
    tolerance: int,
    complete: bool,
) -> PeriodPush:
    pushed = sorted({v.org_unit for v in values})
    if not options.dry_run and pushed:
        ledger.record(
            instance=client.base_url, data_set=data_set, period=period, org_units=pushed,
            run_id=run_id,
        )  # fmt: skip
    result = client.push(values, options)
    if not result.ok(tolerance) or (
        any(c.status == "ERROR" for c in result.chunks) and not result.counts.total
    ):
        return PeriodPush(result, None)
    known = ledger.org_units(instance=client.base_url, data_set=data_set, period=period)
    scope = Scope.of(data_set, set(scope_org_units) | known, [period])
    sync = remove_stale(client, values, scope, dry_run=options.dry_run, options=options)
    if not complete:
        return PeriodPush(result, sync)
    registered = client.register_complete(registrations_of(values), dry_run=options.dry_run)
    emptied = sorted(known - set(pushed))
    unregistered = client.remove_registrations(
        [Registration(data_set, period, ou) for ou in emptied], dry_run=options.dry_run
    )
    return PeriodPush(result, sync, registered, unregistered)


@dataclass(frozen=True)
class PushTotals:
    """The periods of one asset run added up, with the lines the metadata shows."""

    result: ImportResult
    stale_found: int
    stale_removed: int
    registered: int
    unregistered: int
    problems: list[str]
    stale_summary: str
    completeness_summary: str

    @classmethod
    def of(cls, outcomes: Sequence[PeriodPush], *, dry_run: bool) -> PushTotals:
        syncs = [o.sync for o in outcomes if o.sync is not None]
        regs = [r for o in outcomes for r in (o.registered, o.unregistered) if r is not None]
        found = sum(len(s.stale) for s in syncs)
        removed = sum(s.deleted for s in syncs)
        registered = sum(o.registered.registered for o in outcomes if o.registered)
        unregistered = sum(o.unregistered.removed for o in outcomes if o.unregistered)
        skipped = len(outcomes) - len(syncs)
        dry = " (dry run)" if dry_run else ""
        stale = f"stale values: {found} found, {removed} deleted{dry}"
        if skipped:
            stale += f"; skipped for {skipped} period(s)"
        completeness = (
            f"complete registrations: {registered} registered, {unregistered} removed{dry}"
            if any(o.registered is not None for o in outcomes)
            else "complete registrations: off (DHIS2_COMPLETE=0) or skipped"
        )
        problems = [s.summary() for s in syncs if not s.ok()]
        problems += [f"completeness: {p}" for r in regs if not r.ok() for p in r.problems()]
        return cls(
            combine(o.result for o in outcomes), found, removed, registered, unregistered,
            problems, stale, completeness,
        )  # fmt: skip
