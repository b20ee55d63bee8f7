"""Against the emulator: complete data set registrations, stale values under a re-mapped
facility's old org unit (push ledger), and one option combination vanishing."""

from __future__ import annotations

import pytest

from adx.dhis2.completeness import Registration, registrations_of
from adx.dhis2.ledger import PushLedger
from adx.dhis2.push import PushOptions
from adx.model import DataValue
from pipelines.push_period import push_period
from tests.dhis2_client.test_emulator import make_client
from tests.dhis2_client.world import ORG_UNITS, bundle, cube, expected, stored


@pytest.fixture
def dhis2(dhis2_emulator):
    client = make_client(dhis2_emulator)
    assert client.post_metadata(bundle()).ok()
    return dhis2_emulator, client


def test_register_and_remove_by_code(dhis2):
    emulator, client = dhis2
    regs = [Registration("DS_T", "202401", ou) for ou in ("OU_A", "OU_B")]
    result = client.register_complete(regs)
    assert (result.registered, result.ok()) == (2, True)
    assert emulator.registrations() == {("DS_T", "202401", "OU_A"), ("DS_T", "202401", "OU_B")}
    again = client.register_complete(regs)  # idempotent: counted as updates
    assert (again.summary.counts.updated, again.registered) == (2, 2)
    dry = client.remove_registrations(regs[:1], dry_run=True)
    assert dry.removed == 1 and len(emulator.registrations()) == 2
    gone = client.remove_registrations([*regs[:1], Registration("DS_T", "202402", "OU_C")])
    assert (gone.removed, gone.summary.counts.ignored) == (1, 1)
    assert emulator.registrations() == {("DS_T", "202401", "OU_B")}


def test_unknown_data_set_org_unit_or_period_are_conflicts(dhis2):
    emulator, client = dhis2
    result = client.register_complete(
        [
            Registration("DS_NOPE", "202401", "OU_A"),
            Registration("DS_T", "2024-13", "OU_A"),
            Registration("DS_T", "202401", "OU_NOPE"),
        ]  # fmt: skip
    )
    assert result.summary.status == "ERROR" and result.summary.http_status == 409
    assert not result.ok() and result.registered == 0
    assert {c.value for c in result.summary.conflicts} == {
        "Data set not found or not accessible", "Period not valid",
        "Organisation unit not found or not accessible",
    }  # fmt: skip
    assert emulator.registrations() == set()


def test_registrations_of_values_skip_attribute_combos():
    values = cube(org_units=("OU_A",), periods=("202401",))
    values.append(DataValue("DS_T", "202401", "OU_B", "T_AMOUNT", "1", (), (("FUND", "X"),)))
    assert registrations_of(values) == [Registration("DS_T", "202401", "OU_A")]


def _push(client, values, ledger, run_id, scope=ORG_UNITS, complete=True):
    return push_period(
        client, values, PushOptions(), data_set="DS_T", period="202401", scope_org_units=scope,
        ledger=ledger, run_id=run_id, tolerance=0, complete=complete,
    )  # fmt: skip


def test_remapped_facility_old_org_unit_is_cleaned_through_the_ledger(dhis2, tmp_path):
    emulator, client = dhis2
    ledger = PushLedger(tmp_path / "ledger.sqlite")
    # Run 1: the facility reports under OU_A; the mapping only knows OU_A.
    first = cube(org_units=("OU_A",), periods=("202401",))
    out = _push(client, first, ledger, "run-1", scope=("OU_A",))
    assert out.result.ok() and out.registered.registered == 1
    assert emulator.registrations() == {("DS_T", "202401", "OU_A")}
    # Run 2: re-mapped to OU_B; the current mapping no longer mentions OU_A at all.
    moved = [DataValue(v.data_set, v.period, "OU_B", v.data_element, v.value,
                       v.category_options) for v in first]  # fmt: skip
    out = _push(client, moved, ledger, "run-2", scope=("OU_B",))
    assert out.sync.deleted == len(first) and out.sync.ok()
    assert stored(emulator) == expected(moved)  # nothing left under OU_A
    assert out.unregistered.removed == 1 and out.registered.registered == 1
    assert emulator.registrations() == {("DS_T", "202401", "OU_B")}
    # Without the ledger the old values would have stayed: the scope alone misses OU_A.
    assert "OU_A" in ledger.org_units(instance=client.base_url, data_set="DS_T", period="202401")


def test_dry_run_records_nothing_and_completeness_can_be_off(dhis2, tmp_path):
    emulator, client = dhis2
    ledger = PushLedger(tmp_path / "ledger.sqlite")
    values = cube(org_units=("OU_A",), periods=("202401",))
    out = push_period(
        client, values, PushOptions(dry_run=True), data_set="DS_T", period="202401",
        scope_org_units=("OU_A",), ledger=ledger, run_id="dry", tolerance=0, complete=True,
    )  # fmt: skip
    assert out.result.ok() and emulator.data_values() == [] and emulator.registrations() == set()
    assert ledger.org_units(instance=client.base_url, data_set="DS_T", period="202401") == set()
    out = _push(client, values, ledger, "run-1", complete=False)
    assert out.registered is None and emulator.registrations() == set()


def test_one_option_combination_disappearing_is_removed(dhis2, tmp_path):
    emulator, client = dhis2
    ledger = PushLedger(tmp_path / "ledger.sqlite")
    values = cube(org_units=("OU_A",), periods=("202401",))
    _push(client, values, ledger, "run-1")
    # The element keeps three of its four option combinations.
    dropped = next(v for v in values if v.category_options == (("SEX", "M"), ("AGE", "GE5")))
    kept = [v for v in values if v is not dropped]
    out = _push(client, kept, ledger, "run-2")
    assert [(v.data_element, v.category_options) for v in out.sync.stale] == [
        ("T_CASES", dropped.category_options)
    ]
    assert stored(emulator) == expected(kept)
    assert emulator.registrations() == {("DS_T", "202401", "OU_A")}  # still has values
