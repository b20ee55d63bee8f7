"""``anonymise --country``: replacements from a country profile's pools, never a source value."""

from __future__ import annotations

import re

import pytest

from synthetic_data import GenerationOptions, generate
from synthetic_data.anonymise import AnonymiseError, AnonymiseOptions, anonymise

from .conftest import SEED
from .helpers import all_text_values, fk_violations, leaks, source_identifiers, table_rows

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
NP_PHONE = re.compile(r"(\+977 )?9[78]\d{8}|01-4\d{6}")


def _pairs(source: str, target: str, table: str, pk: str, column: str) -> list[tuple]:
    s = table_rows(source, table).set_index(pk)[column]
    t = table_rows(target, table).set_index(pk)[column]
    return [(s[k], t[k]) for k in s.index if isinstance(s[k], str) and s[k].strip()]


@pytest.fixture(scope="module")
def np_copy(tmp_path_factory, small_sqlite_url):
    """The generated (international) small database anonymised with the Nepal profile."""
    url = f"sqlite:///{tmp_path_factory.mktemp('anon_np') / 'np.db'}"
    report = anonymise(small_sqlite_url, url, AnonymiseOptions(seed=SEED, country="np"))
    return url, report


def test_profile_copy_leaks_nothing_and_looks_nepali(small_sqlite_url, np_copy):
    url, report = np_copy
    assert leaks(small_sqlite_url, url) == {}
    assert fk_violations(url) == []
    assert any("NP country profile" in n for n in report.notes)
    names = _pairs(small_sqlite_url, url, "tblInsuree", "InsureeID", "LastName")
    assert sum(bool(DEVANAGARI.search(t)) for _, t in names) / len(names) > 0.8
    phones = _pairs(small_sqlite_url, url, "tblInsuree", "InsureeID", "Phone")
    assert len(phones) > 100 and all(NP_PHONE.fullmatch(t) for _, t in phones)
    # consistent within the run: one source value, one fake value
    for column in ("LastName", "OtherNames", "Phone"):
        fakes: dict[str, set[str]] = {}
        for s, t in _pairs(small_sqlite_url, url, "tblInsuree", "InsureeID", column):
            fakes.setdefault(s, set()).add(t)
        assert all(len(v) == 1 for v in fakes.values()), column


def test_same_country_source_gets_no_source_value_back(tmp_path):
    """A Nepali-profile source anonymised with the Nepal profile: Faker's Nepali names are mostly in
    the source, so the pools shrink (or names are compounded); still no fake equals a source value."""
    source = f"sqlite:///{tmp_path / 'src.db'}"
    target = f"sqlite:///{tmp_path / 'dst.db'}"
    generate(source, GenerationOptions(insurees=600, seed=9, country="NP"))
    anonymise(source, target, AnonymiseOptions(seed=4, country="NP"))
    identifying = set().union(*source_identifiers(source).values())
    identifying -= {"M", "F"}  # not identifiers
    folded = {v.casefold() for v in identifying}
    target_values = {v.strip().casefold() for v in all_text_values(target)}
    replaced = set()
    for column in ("LastName", "OtherNames", "Phone"):
        replaced |= {
            t.casefold() for _, t in _pairs(source, target, "tblInsuree", "InsureeID", column)
        }
    assert replaced and replaced <= target_values
    assert replaced & folded == set()


def test_unknown_country_is_refused():
    with pytest.raises(AnonymiseError, match="unknown country profile"):
        AnonymiseOptions(seed=1, country="ZZ")
