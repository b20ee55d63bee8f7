"""Country profiles: what a profile file states, read and checked once.

A profile is a TOML file beside this module (``np.toml``, ``tz.toml`` ...). It names the Faker
locales of given names, family names and places with their shares, the national formats the
generator writes (phones, national ID, insurance number, e-mail domains, facility names, addresses)
and the demographics it draws from (age pyramid, household size, sex ratio, urban share), each figure
with its public source in the file. See docs/generator.md, "Country profiles".
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "AgeBand",
    "DEFAULT_PROFILE",
    "Demographics",
    "LocaleShare",
    "Pattern",
    "Profile",
    "ProfileError",
    "Tolerances",
    "load_profile",
    "profile_codes",
]

HERE = Path(__file__).resolve().parent
DEFAULT_PROFILE = "international"
FACILITY_LEVELS = ("D", "C", "H")  # dispensary, health centre, hospital (tblHF.HFLevel)
PLACE_SOURCES = ("address", "family_names", "international")


class ProfileError(ValueError):
    """A profile code that does not exist, or a profile file that is not well formed."""


@dataclass(frozen=True, slots=True)
class LocaleShare:
    locale: str
    share: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A text shape: every ``#`` becomes a random digit (phones, national ID numbers)."""

    pattern: str
    share: float


@dataclass(frozen=True, slots=True)
class AgeBand:
    low: int  # years, inclusive
    high: int  # years, exclusive
    share: float


@dataclass(frozen=True, slots=True)
class Demographics:
    age_bands: tuple[AgeBand, ...]
    household_size: float  # mean persons per household
    sex_ratio: float  # males per 100 females
    urban_share: float  # share of the population living in urban areas
    sources: dict[str, str]  # figure -> its public source

    @property
    def male_share(self) -> float:
        return self.sex_ratio / (100.0 + self.sex_ratio)


@dataclass(frozen=True, slots=True)
class Tolerances:
    """How far a generated database may stray from the profile's figures (tests use these)."""

    age_band: float  # absolute, per band share
    household_size: float  # absolute, persons
    male_share: float  # absolute


@dataclass(frozen=True, slots=True)
class Profile:
    code: str
    name: str
    given_names: tuple[LocaleShare, ...]
    family_names: tuple[LocaleShare, ...]
    places: str  # one of PLACE_SOURCES
    place_locale: str | None  # the locale with an address provider, when places == "address"
    phones: tuple[Pattern, ...]
    national_ids: tuple[Pattern, ...]
    insurance_prefix: str
    insurance_digits: int
    email_domains: tuple[Pattern, ...]  # Pattern.pattern holds the domain
    facility_names: dict[str, str]  # HFLevel -> format with one {}
    addresses: tuple[str, ...]  # formats with {n} (house number) and {place}
    demographics: Demographics
    tolerances: Tolerances
    notes: str = ""


def profile_codes() -> list[str]:
    """Codes of the shipped profiles, ``international`` first."""
    codes = sorted(p.stem.upper() for p in HERE.glob("*.toml") if p.stem != DEFAULT_PROFILE)
    return [DEFAULT_PROFILE, *codes]


@cache
def load_profile(code: str) -> Profile:
    """The profile of ``code`` (case-insensitive: ``NP``, ``np``, ``international``)."""
    key = str(code).strip().lower()
    path = HERE / f"{key}.toml"
    if not re.fullmatch(r"[a-z]{2}|international", key) or not path.is_file():
        raise ProfileError(
            f"unknown country profile {code!r}: use one of {', '.join(profile_codes())}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _parse(data, path.name)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        if isinstance(exc, ProfileError):
            raise
        raise ProfileError(f"{path.name}: {exc.__class__.__name__}: {exc}") from exc


def _shares(items: list[dict[str, Any]], key: str, where: str) -> tuple[Pattern, ...]:
    out = tuple(Pattern(str(i[key]), float(i["share"])) for i in items)
    _check_sum([p.share for p in out], where)
    return out


def _locales(items: list[dict[str, Any]], where: str) -> tuple[LocaleShare, ...]:
    out = tuple(LocaleShare(i["locale"], float(i["share"]), i.get("note", "")) for i in items)
    _check_sum([x.share for x in out], where)
    return out


def _check_sum(shares: list[float], where: str) -> None:
    if (
        not shares
        or any(s <= 0 for s in shares)
        or not math.isclose(sum(shares), 1.0, abs_tol=1e-6)
    ):
        raise ProfileError(f"{where}: shares must be positive and sum to 1, got {shares}")


def _parse(d: dict[str, Any], fname: str) -> Profile:
    names, fmt, demo, tol = d["names"], d["formats"], d["demographics"], d["tolerances"]
    bands = tuple(AgeBand(int(lo), int(hi), float(s)) for lo, hi, s in demo["age_bands"])
    _check_sum([b.share for b in bands], f"{fname} demographics.age_bands")
    if any(a.high != b.low for a, b in zip(bands, bands[1:], strict=False)) or bands[0].low != 0:
        raise ProfileError(f"{fname}: age bands must start at 0 and be contiguous")
    sources = {k: str(v) for k, v in demo["sources"].items()}
    for figure in ("age_bands", "household_size", "sex_ratio", "urban_share"):
        if not sources.get(figure, "").strip():
            raise ProfileError(
                f"{fname}: demographics.sources.{figure} (its public source) is missing"
            )
    places = names["places"]
    if places not in PLACE_SOURCES:
        raise ProfileError(f"{fname}: names.places must be one of {PLACE_SOURCES}")
    facilities = {k: str(v) for k, v in fmt["facility_names"].items()}
    if set(facilities) != set(FACILITY_LEVELS) or any(
        v.count("{}") != 1 for v in facilities.values()
    ):
        raise ProfileError(f"{fname}: formats.facility_names needs D, C and H, each with one {{}}")
    for group in ("phones", "national_ids"):
        for item in fmt[group]:
            if not str(item["pattern"]).isascii() or "#" not in item["pattern"]:
                raise ProfileError(
                    f"{fname}: {group} pattern {item['pattern']!r} must be ASCII with #"
                )
    digits = int(fmt["insurance_number"]["digits"])
    prefix = str(fmt["insurance_number"].get("prefix", ""))
    if len(prefix) + digits > 12:  # tblInsuree.CHFID is varchar(12)
        raise ProfileError(f"{fname}: insurance numbers longer than 12 characters do not fit CHFID")
    return Profile(
        code=str(d["code"]),
        name=str(d["name"]),
        given_names=_locales(names["given"], f"{fname} names.given"),
        family_names=_locales(names["family"], f"{fname} names.family"),
        places=places,
        place_locale=names.get("place_locale"),
        phones=_shares(fmt["phones"], "pattern", f"{fname} formats.phones"),
        national_ids=_shares(fmt["national_ids"], "pattern", f"{fname} formats.national_ids"),
        insurance_prefix=prefix,
        insurance_digits=digits,
        email_domains=_shares(fmt["email_domains"], "domain", f"{fname} formats.email_domains"),
        facility_names=facilities,
        addresses=tuple(str(a) for a in fmt["addresses"]),
        demographics=Demographics(
            age_bands=bands,
            household_size=float(demo["household_size"]),
            sex_ratio=float(demo["sex_ratio"]),
            urban_share=float(demo["urban_share"]),
            sources=sources,
        ),
        tolerances=Tolerances(
            age_band=float(tol["age_band"]),
            household_size=float(tol["household_size"]),
            male_share=float(tol["male_share"]),
        ),
        notes=str(d.get("notes", "")),
    )
