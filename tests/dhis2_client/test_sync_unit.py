"""Stale-value detection and removal with an in-memory stand-in for DHIS2."""

from __future__ import annotations

from adx.dhis2.import_summary import ChunkSummary, ImportCount, ImportResult
from adx.dhis2.sync import Scope, find_stale, remove_stale
from adx.model import DataValue


def v(ou, pe, de, value="1", opts=()):
    return DataValue("DS", pe, ou, de, value, tuple(opts))


HELD = [
    v("OU1", "202401", "A", "5", (("SEX", "F"), ("AGE", "Y"))),
    v("OU1", "202401", "B", "2"),
    v("OU2", "202401", "A", "7"),  # OU2 vanished from the new output entirely
    v("OU1", "202402", "A", "1"),
    v("OU3", "202401", "A", "9"),  # outside the scope: never touched
]


class FakeDHIS2:
    def __init__(self, held):
        self.held = list(held)
        self.reads, self.pushes = [], []

    def read_values(self, data_set, periods, org_units, format="adx"):
        self.reads.append((data_set, tuple(periods), tuple(org_units)))
        return [
            x
            for x in self.held
            if x.data_set == data_set and x.period in periods and x.org_unit in org_units
        ]

    def push(self, values, options, *, data_sets=None):
        values = list(values)
        self.pushes.append((values, options))
        gone = {x.key for x in values}
        before = len(self.held)
        if not options.dry_run:
            self.held = [x for x in self.held if x.key not in gone]
        deleted = before - len(self.held) if not options.dry_run else len(values)
        return ImportResult(
            (ChunkSummary(0, "SUCCESS", ImportCount(deleted=deleted), values_sent=len(values)),)
        )


def test_find_stale_ignores_category_order_and_scope_outside():
    scope = Scope.of("DS", ["OU1", "OU2"], ["202401", "202402"])
    current = [
        v("OU1", "202401", "A", "6", (("AGE", "Y"), ("SEX", "F"))),
        v("OU1", "202402", "A", "1"),
    ]
    stale = find_stale(current, HELD, scope)
    assert [(x.org_unit, x.period, x.data_element) for x in stale] == [
        ("OU1", "202401", "B"),
        ("OU2", "202401", "A"),
    ]


def test_remove_stale_deletes_and_reports():
    dhis2 = FakeDHIS2(HELD)
    current = [
        v("OU1", "202401", "A", "6", (("SEX", "F"), ("AGE", "Y"))),
        v("OU1", "202402", "A", "1"),
    ]
    result = remove_stale(dhis2, current, Scope.of("DS", ["OU2", "OU1"], ["202401", "202402"]))
    assert dhis2.reads == [("DS", ("202401", "202402"), ("OU1", "OU2"))]
    (pushed, options), = dhis2.pushes  # fmt: skip
    assert options.import_strategy == "DELETE" and options.dry_run is False
    assert {(x.org_unit, x.data_element) for x in pushed} == {("OU1", "B"), ("OU2", "A")}
    assert result.deleted == 2 and result.ok()
    assert "2 found, 2 deleted" in result.summary()
    assert {(x.org_unit, x.period, x.data_element) for x in dhis2.held} == {
        ("OU1", "202401", "A"), ("OU1", "202402", "A"), ("OU3", "202401", "A"),
    }  # fmt: skip


def test_nothing_stale_sends_nothing_and_dry_run_deletes_nothing():
    dhis2 = FakeDHIS2(HELD)
    result = remove_stale(dhis2, HELD, Scope.of("DS", ["OU1", "OU2", "OU3"], ["202401", "202402"]))
    assert result.stale == () and result.result is None and dhis2.pushes == [] and result.ok()
    result = remove_stale(dhis2, [], Scope.of("DS", ["OU2"], ["202401"]), dry_run=True)
    assert len(result.stale) == 1 and dhis2.held == HELD
    assert dhis2.pushes[0][1].dry_run is True


def test_incomplete_deletion_is_not_ok():
    class Stubborn(FakeDHIS2):
        def push(self, values, options, *, data_sets=None):
            return ImportResult(
                (ChunkSummary(0, "SUCCESS", ImportCount(ignored=len(list(values)))),)
            )

    result = remove_stale(Stubborn(HELD), [], Scope.of("DS", ["OU1"], ["202401"]))
    assert len(result.stale) == 2 and result.deleted == 0 and not result.ok()


def test_one_option_combination_vanishing_is_stale_while_the_element_keeps_the_others():
    """The blind spot of issue 11.8: identity must include category and attribute options."""
    f_y, m_y = (("SEX", "F"), ("AGE", "Y")), (("SEX", "M"), ("AGE", "Y"))
    held = [v("OU1", "202401", "A", "5", f_y), v("OU1", "202401", "A", "3", m_y)]
    held.append(DataValue("DS", "202401", "OU1", "A", "2", f_y, (("FUND", "X"),)))
    current = [v("OU1", "202401", "A", "5", tuple(reversed(f_y)))]  # option order differs
    dhis2 = FakeDHIS2(held)
    result = remove_stale(dhis2, current, Scope.of("DS", ["OU1"], ["202401"]))
    assert {(x.category_options, x.attribute_options) for x in result.stale} == {
        (m_y, ()),
        (f_y, (("FUND", "X"),)),
    }
    assert [(x.category_options, x.attribute_options) for x in dhis2.held] == [(f_y, ())]
