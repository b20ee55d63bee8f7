"""The column policy table, date arithmetic and the identifier permutation, in isolation."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import types as sat

from openimis_db import tables as t
from synthetic_data.anonymise import OTHER_COLUMNS, TEXT_COLUMNS, Action
from synthetic_data.anonymise.dates import add_months, jitter_day, shift_timestamp
from synthetic_data.anonymise.pseudonym import AvoidSet, Pseudonymiser


def test_every_text_column_of_every_modeled_table_is_classified():
    text_columns = {
        (name, c.name)
        for name in t.MODELED_TABLES
        for c in t.metadata.tables[name].c
        if isinstance(c.type, (sat.String, sat.Text))
    }
    assert text_columns - TEXT_COLUMNS.keys() == set(), "classify these in anonymise/policy.py"
    assert TEXT_COLUMNS.keys() - text_columns == set(), "stale entries in anonymise/policy.py"


def test_policy_entries_are_sound():
    for (table, column), action in {**TEXT_COLUMNS, **OTHER_COLUMNS}.items():
        col = t.metadata.tables[table].c[column]
        if action is Action.DROP:
            assert col.nullable, f"{table}.{column} is NOT NULL and cannot be dropped"
        if action is Action.DOB:
            assert isinstance(col.type, sat.Date)
    # every column that names a person, a contact or an identity number is replaced, not kept
    for (table, column), action in TEXT_COLUMNS.items():
        lowered = column.lower()
        if any(
            w in lowered for w in ("lastname", "othernames", "phone", "email", "passport", "chfid")
        ):
            assert action not in (Action.KEEP,), f"{table}.{column}"
    # every foreign key to a table that is not copied (photos, users, price lists, ...) is dropped,
    # except codes of base-data lists that a real openIMIS schema ships
    base_lists = {
        "tblLegalForms",
        "tblHFSublevel",
        "tblConfirmationTypes",
        "tblFamilyTypes",
        "tblEducations",
        "tblProfessions",
        "tblRelations",
    }
    for table, column, ref, _ in t.EXTERNAL_FOREIGN_KEYS:
        if ref not in base_lists:
            assert OTHER_COLUMNS.get((table, column)) is Action.DROP, f"{table}.{column} -> {ref}"


def test_add_months_clamps_to_month_end_and_keeps_the_month():
    assert add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2023, 11, 15), 3) == dt.date(2024, 2, 15)
    assert add_months(dt.date(2023, 3, 31), -1) == dt.date(2023, 2, 28)
    day = dt.date(2019, 1, 1)
    while day < dt.date(2021, 1, 1):  # every day of two years, for a few shifts
        for n in (-13, -1, 1, 5, 48):
            moved = add_months(day, n)
            assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
            assert (
                moved.day == day.day
                or moved.day < day.day
                and (moved + dt.timedelta(days=1)).day == 1
            )
        day += dt.timedelta(days=1)


def test_shifted_timestamps_keep_their_order():
    utc = dt.UTC
    stamps = [
        dt.datetime(2023, 1, d, h, tzinfo=utc) for d in (27, 28, 29, 30, 31) for h in (0, 9, 23)
    ]
    moved = [shift_timestamp(s, 1) for s in stamps]
    assert moved == sorted(moved)
    assert moved[-1] == dt.datetime(2023, 2, 28, 23, 59, 59, 999999, tzinfo=utc)
    assert shift_timestamp(stamps[0], 1) == dt.datetime(2023, 2, 27, 0, tzinfo=utc)


def test_jitter_stays_in_month_and_days_1_to_28():
    days = {jitter_day(dt.date(2000, 2, 29), draw).day for draw in range(100)}
    assert days == set(range(1, 29))


def test_identifier_permutation_is_a_bijection_on_a_small_shape():
    p = Pseudonymiser(seed=1)
    values = [f"{i:03d}" for i in range(1000)]
    fakes = [p.identifier("identifier", v) for v in values]
    assert sorted(fakes) == values  # a permutation of all 3-digit strings
    assert sum(a == b for a, b in zip(values, fakes, strict=True)) < 20


def test_identifiers_avoid_source_values_and_stay_unique():
    source = [f"AB{i:02d}" for i in range(0, 100, 2)]  # many values of one shape (AA99)
    p = Pseudonymiser(seed=7, avoid=AvoidSet.of_values(source))
    fakes = [p.identifier("identifier", v) for v in source]
    assert len(set(fakes)) == len(fakes)
    assert not set(fakes) & set(source)
    assert all(len(f) == 4 and f[:2].isupper() and f[2:].isdigit() for f in fakes)
    # same value, same fake (also after the detours)
    assert fakes == [p.identifier("identifier", v) for v in source]


def test_small_shapes_fully_used_by_the_source_are_counted_not_looped():
    source = [str(d) for d in range(10)]  # every 1-digit value exists: nothing to dodge to
    p = Pseudonymiser(seed=3, avoid=AvoidSet.of_values(source))
    fakes = [p.identifier("identifier", v) for v in source]
    assert sorted(fakes) == source and p.unavoidable == 10


def test_seeds_and_kinds_give_different_fakes():
    a, b = Pseudonymiser(seed=1), Pseudonymiser(seed=2)
    names = [f"Name{i}" for i in range(50)]
    assert [a.last_name(n) for n in names] != [b.last_name(n) for n in names]
    assert [a.last_name(n) for n in names] == [Pseudonymiser(seed=1).last_name(n) for n in names]
    uuids = {a.uuid(f"00000000-0000-0000-0000-{i:012d}") for i in range(200)}
    assert len(uuids) == 200
    assert all(u[14] == "4" for u in uuids)
    emails = {a.email(f"x{i}@y.org") for i in range(200)}
    assert len(emails) == 200 and all(e.endswith("@example.org") for e in emails)


def test_fake_names_never_equal_a_source_name():
    from synthetic_data.anonymise import fakes

    taken = list(itertools.islice(fakes.LAST_NAMES, 0, 60))  # the source uses most of the pool
    p = Pseudonymiser(seed=5, avoid=AvoidSet.of_values([*taken, fakes.FIRST_NAMES[0]]))
    for i in range(300):
        assert p.last_name(f"person {i}") not in taken
        assert p.first_name(f"person {i}") != fakes.FIRST_NAMES[0]
