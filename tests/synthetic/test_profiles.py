"""Country profiles: the profile files themselves, and generated databases measured with plain SQL.

Expected figures are read from the profile TOML files with ``tomllib`` (not through the code under
test); scripts and phone shapes are written here by hand from each country's numbering plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from synthetic_data import GenerationError, GenerationOptions, generate
from synthetic_data.profiles import load_profile
from synthetic_data.profiles.model import LocaleShare
from tests.synthetic.helpers import content_hashes, rows

PROFILE_DIR = Path(__file__).resolve().parents[2] / "synthetic_data" / "profiles"
COUNTRIES = ["NP", "TZ", "CM", "CD", "NE", "GM"]
ALL = [*COUNTRIES, "international"]

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# Latin letters (with Latin-1/Extended-A/B accents), combining accents (NFD), apostrophes, hyphens
LATIN_ONLY = re.compile(r"^[A-Za-z\u00C0-\u024F\u0300-\u036F\u1E00-\u1EFF'’ .\-()]+$")
ACCENTED = re.compile(r"[\u00C0-\u024F\u0300-\u036F]")
ARABIC = re.compile(r"[\u0600-\u06FF]")
PHONES = {
    "NP": r"(\+977 )?9[78]\d{8}|01-4\d{6}",
    "TZ": r"0[67]\d{8}|\+255 7\d\d \d{3} \d{3}|\+2556\d{8}",
    "CM": r"(\+237 )?6\d\d \d\d \d\d \d\d|6\d{8}|(\+237 )?2\d\d \d\d \d\d \d\d",
    "CD": r"0[89]\d{8}|\+243 [89]\d\d \d{3} \d{3}",
    "NE": r"(\+227 )?[89]\d \d\d \d\d \d\d|9\d{7}",
    "GM": r"(\+220 )?[23579]\d{6}",
    "international": r"\+255\d{9}",
}


def _toml(code: str) -> dict:
    return tomllib.loads((PROFILE_DIR / f"{code.lower()}.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", ALL)
def test_profile_files_state_their_sources_and_real_locales(code):
    import faker.config

    data = _toml(code)
    sources = data["demographics"]["sources"]
    for figure in ("age_bands", "household_size", "sex_ratio", "urban_share"):
        assert len(sources[figure]) > 20, (code, figure)
    if code != "international":
        assert all(
            "UN World" in sources[f] or "Census" in sources[f] or "DHS" in sources[f]
            for f in sources
        )
        for part in ("given", "family"):
            for loc in data["names"][part]:
                assert loc["locale"] in faker.config.AVAILABLE_LOCALES, loc
    assert sum(s for _, _, s in data["demographics"]["age_bands"]) == pytest.approx(1.0)
    assert load_profile(code).code == data["code"]


def test_unknown_country_is_refused_with_the_choices():
    with pytest.raises(GenerationError, match="unknown country profile 'XX'.*NP"):
        GenerationOptions(country="XX")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One database per profile (1,500 insurees, seed 3); generated lazily and kept per module."""
    made: dict[str, str] = {}

    def get(code: str) -> str:
        if code not in made:
            url = f"sqlite:///{tmp_path_factory.mktemp('profiles') / (code + '.db')}"
            generate(url, GenerationOptions(insurees=1500, seed=3, country=code))
            made[code] = url
        return made[code]

    return get


@pytest.mark.parametrize("code", ALL)
def test_same_seed_and_profile_same_database(generated, tmp_path, code):
    again = f"sqlite:///{tmp_path / 'again.db'}"
    generate(again, GenerationOptions(insurees=1500, seed=3, country=code))
    assert content_hashes(again) == content_hashes(generated(code))


def _names(url: str) -> list[str]:
    found = rows(
        url, 'SELECT "LastName", "OtherNames" FROM "tblInsuree" WHERE "ValidityTo" IS NULL'
    )
    return [n for pair in found for n in pair]


@pytest.mark.parametrize("code", ALL)
def test_names_are_in_the_profiles_scripts_and_phones_in_its_shapes(generated, code):
    url = generated(code)
    names = _names(url)
    share = lambda rx: sum(bool(rx.search(n)) for n in names) / len(names)  # noqa: E731
    if code == "NP":
        assert share(DEVANAGARI) > 0.80  # ne_NP, 92%
        assert 0.02 < sum(bool(LATIN_ONLY.match(n)) for n in names) / len(names) < 0.15  # romanised
        places = [n for (n,) in rows(url, 'SELECT "LocationName" FROM "tblLocations"')]
        assert all(DEVANAGARI.search(p) for p in places)
    elif code == "international":
        scripts = {
            "cyrillic": r"[\u0400-\u04FF]",
            "arabic": r"[\u0600-\u06FF]",
            "cjk": r"[\u4E00-\u9FFF]",
        }
        assert all(any(re.search(rx, n) for n in names) for rx in scripts.values())
    else:
        latin = sum(bool(LATIN_ONLY.match(n)) for n in names) / len(names)
        assert latin > (0.95 if code != "NE" else 0.9), code
        assert share(DEVANAGARI) == 0
    if code in ("CM", "CD", "NE"):
        assert share(ACCENTED) > 0.005  # French spellings
    if code == "NE":
        assert 0 < share(ARABIC) < 0.06
    phones = [p for (p,) in rows(url, 'SELECT "Phone" FROM "tblInsuree" WHERE "Phone" IS NOT NULL')]
    phones += [
        p
        for (p,) in rows(
            url, 'SELECT "Phone" FROM "tblOfficer" UNION ALL SELECT "Phone" FROM "tblHF"'
        )
    ]
    assert len(phones) > 100
    bad = [p for p in phones if not re.fullmatch(PHONES[code], p)]
    assert bad == []


def _age(dob: str, ref: dt.date) -> int:
    d = dt.date.fromisoformat(dob[:10])
    return ref.year - d.year - ((ref.month, ref.day) < (d.month, d.day))


@pytest.mark.parametrize("code", ALL)
def test_demographics_within_the_profiles_tolerances(tmp_path_factory, code):
    data = _toml(code)
    tol = data["tolerances"]
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'd.db'}"
    generate(url, GenerationOptions(insurees=12_000, seed=8, country=code, months=1))
    people = rows(url, 'SELECT "DOB", "Gender" FROM "tblInsuree" WHERE "ValidityTo" IS NULL')
    ref = dt.date(2023, 1, 1)  # the span start: ages are drawn for it
    ages = [_age(d, ref) for d, _ in people if d[:10] <= "2023-01-01"]
    for low, high, share in data["demographics"]["age_bands"]:
        got = sum(low <= a < high for a in ages) / len(ages)
        assert abs(got - share) <= tol["age_band"], (code, low, high, got, share)
    sexes = Counter(g for _, g in people)
    ratio = data["demographics"]["sex_ratio"]
    male = sexes["M"] / (sexes["M"] + sexes["F"])
    assert abs(male - ratio / (100 + ratio)) <= tol["male_share"], (code, male)
    sizes = [
        n
        for (n,) in rows(
            url,
            'SELECT count(*) FROM "tblInsuree" i JOIN "tblFamilies" f ON f."FamilyID" = i."FamilyID" '
            'WHERE i."ValidityTo" IS NULL AND f."ValidityTo" IS NULL GROUP BY i."FamilyID"',
        )
    ]
    mean = sum(sizes) / len(sizes)
    assert abs(mean - data["demographics"]["household_size"]) <= tol["household_size"], (code, mean)


def test_names_do_not_move_anything_else(tmp_path):
    """Same seed and demographics, other name locales: every non-identity value is the same."""
    np_profile = load_profile("NP")
    french = dataclasses.replace(
        np_profile,
        given_names=(LocaleShare("fr_FR", 1.0),),
        family_names=(LocaleShare("fr_FR", 1.0),),
    )
    a, b = (f"sqlite:///{tmp_path / n}" for n in ("np.db", "fr.db"))
    generate(a, GenerationOptions(insurees=1500, seed=5, country=np_profile))
    generate(b, GenerationOptions(insurees=1500, seed=5, country=french))
    ha, hb = content_hashes(a), content_hashes(b)
    assert ha["tblInsuree"] != hb["tblInsuree"]  # the names did change
    for table in (
        "tblClaim",
        "tblClaimItems",
        "tblClaimServices",
        "tblPolicy",
        "tblPremium",
        "tblInsureePolicy",
        "tblFamilies",
    ):
        assert ha[table] == hb[table], table
    keep = '"InsureeID", "FamilyID", "DOB", "Gender", "IsHead", "ValidityFrom", "ValidityTo", "LegacyID", "HFID", "CurrentVillage"'
    sql = f'SELECT {keep} FROM "tblInsuree" ORDER BY "InsureeID"'
    assert rows(a, sql) == rows(b, sql)
    from tests.anonymise.indicators import indicators

    assert indicators(a, "202301", "202412").equals(indicators(b, "202301", "202412"))
