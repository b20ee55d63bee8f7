"""Value pools of a profile, built once per seed: Faker makes the values, numpy samples them.

Faker is slow per call (tens of microseconds) but a pool needs only a few thousand calls; the
generator then draws millions of rows from the pools with one vectorised numpy call per column. The
pools depend on the profile, the seed and Faker's data (hence the pinned Faker version range in
pyproject.toml): same seed and profile, same pools, same database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from synthetic_data._util import rng_for, text
from synthetic_data.profiles import international_names as intl
from synthetic_data.profiles.model import LocaleShare, Pattern, Profile

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["Pool", "Pools", "build_pools", "fill_patterns"]

DRAWS_PER_LOCALE = 1000  # Faker draws per locale and list: keeps Faker's own name frequencies
RATE_UPPER = 0.03  # mess: names typed in capitals (only changes cased scripts)
RATE_DECOMPOSED = 0.02  # mess: names stored decomposed (NFD: base letter + combining accent)
MESS_STREAM = 90  # numpy stream of the pool-level mess


@dataclass(frozen=True)
class Pool:
    """Values with sampling probabilities; ``sample`` draws a text column in one numpy call."""

    values: tuple[str, ...]
    cumulative: np.ndarray  # cumulative probabilities, last == 1

    @classmethod
    def of(cls, values: list[str], weights: np.ndarray | None = None) -> Pool:
        if not values:
            raise ValueError("an empty pool")
        w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=np.float64)
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        return cls(tuple(values), cum)

    def __len__(self) -> int:
        return len(self.values)

    def indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(
            np.searchsorted(self.cumulative, rng.random(n), side="right"), len(self) - 1
        )

    def sample(self, rng: np.random.Generator, n: int) -> pd.arrays.ArrowStringArray:
        idx = self.indices(rng, n)
        return text(pa.array(self.values, type=pa.string()).take(pa.array(idx)))

    def distinct(self) -> list[str]:
        """The values without repeats, in first-seen order."""
        return list(dict.fromkeys(self.values))


@dataclass(frozen=True)
class Pools:
    male: Pool  # given names of men
    female: Pool  # given names of women
    family: Pool  # family names
    regions: list[str]  # place names per level of the location tree
    districts: list[str]
    localities: list[str]  # wards, villages, facility names
    usernames: list[str]  # ASCII local parts of e-mail addresses
    phones: tuple[Pattern, ...]
    national_ids: tuple[Pattern, ...]
    email_domains: Pool

    def phone(self, rng: np.random.Generator, n: int) -> pd.arrays.ArrowStringArray:
        return fill_patterns(self.phones, rng, n)

    def national_id(self, rng: np.random.Generator, n: int) -> pd.arrays.ArrowStringArray:
        return fill_patterns(self.national_ids, rng, n)

    def email(self, rng: np.random.Generator, n: int) -> pd.arrays.ArrowStringArray:
        user = pa.array(self.usernames, type=pa.string()).take(
            pa.array(rng.integers(0, len(self.usernames), n))
        )
        number = pa.array(rng.integers(1, 100, n)).cast(pa.string())
        number = pc.if_else(pa.array(rng.random(n) < 0.5), number, "")
        domain = pa.array(self.email_domains.sample(rng, n)).cast(pa.string())
        return text(pc.binary_join_element_wise(user, number, "@", domain, ""))


def fill_patterns(
    patterns: tuple[Pattern, ...], rng: np.random.Generator, n: int
) -> pd.arrays.ArrowStringArray:
    """``n`` texts, each from a pattern chosen by share with every ``#`` a random digit (vectorised)."""
    which = Pool.of([p.pattern for p in patterns], np.array([p.share for p in patterns])).indices(
        rng, n
    )
    order = np.argsort(which, kind="stable")
    parts = []
    for k, p in enumerate(patterns):
        m = int(np.count_nonzero(which == k))
        tmpl = np.frombuffer(p.pattern.encode("ascii"), dtype=np.uint8)
        holes = np.flatnonzero(tmpl == ord("#"))
        chars = np.tile(tmpl, (m, 1))
        chars[:, holes] = ord("0") + rng.integers(0, 10, (m, holes.size), dtype=np.uint8)
        parts.append(
            pa.array(chars.view(f"S{tmpl.size}").ravel(), type=pa.binary(tmpl.size)).cast(
                pa.string()
            )
        )
    grouped = pa.concat_arrays(parts)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return text(grouped.take(pa.array(inverse)))


_CACHE: dict[tuple[str, int], Pools] = {}
_CACHE_SIZE = 16


def build_pools(profile: Profile, seed: int) -> Pools:
    """The pools of ``profile`` for ``seed`` (cached: a run builds them once)."""
    key = (repr(profile), int(seed))  # a profile holds dicts: not hashable, its repr is
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _build(profile, int(seed))
    return _CACHE[key]


def _build(profile: Profile, seed: int) -> Pools:
    if profile.places == "international":
        return _international(profile)
    male = _faker_pool(profile.given_names, "first_name_male", seed)
    female = _faker_pool(profile.given_names, "first_name_female", seed)
    family = _faker_pool(profile.family_names, "last_name", seed)
    male, female, family = (_messy(p, seed, i) for i, p in enumerate((male, female, family)))
    if profile.places == "address":
        fake = _faker(profile.place_locale, seed, "places")
        regions = _distinct(fake.province for _ in range(200))
        districts = _distinct(fake.district for _ in range(2000))
        localities = _distinct(fake.city for _ in range(4000))
    else:  # no place data in Faker for these languages: villages carry family names, as many do
        regions = districts = localities = _unmessy(family)
    users = []
    for loc in profile.given_names:
        fake = _faker(loc.locale, seed, "users")
        users += [u for u in (fake.user_name() for _ in range(300)) if u.isascii()]
    if not users:
        fake = _faker("en", seed, "users")
        users = [fake.user_name() for _ in range(300)]
    return Pools(
        male=male,
        female=female,
        family=family,
        regions=regions,
        districts=districts,
        localities=localities,
        usernames=users,
        phones=profile.phones,
        national_ids=profile.national_ids,
        email_domains=_pattern_pool(profile.email_domains),
    )


def _international(profile: Profile) -> Pools:
    """The hand-written pools, weighted so 88% of names are plain Latin, 10% accented, 2% non-Latin."""

    def mixed(latin: list[str], accented: list[str], non_latin: list[str]) -> Pool:
        plain = 1.0 - intl.RATE_ACCENTED - intl.RATE_NON_LATIN
        weights = np.r_[
            np.full(len(latin), plain / len(latin)),
            np.full(len(accented), intl.RATE_ACCENTED / len(accented)),
            np.full(len(non_latin), intl.RATE_NON_LATIN / len(non_latin)),
        ]
        return Pool.of(latin + accented + non_latin, weights)

    places = list(intl.PLACE_NAMES)
    return Pools(
        male=mixed(intl.MALE_NAMES, intl.OTHER_NAMES_ACCENTED, intl.OTHER_NAMES_NON_LATIN),
        female=mixed(intl.FEMALE_NAMES, intl.OTHER_NAMES_ACCENTED, intl.OTHER_NAMES_NON_LATIN),
        family=mixed(intl.LAST_NAMES_LATIN, intl.LAST_NAMES_ACCENTED, intl.LAST_NAMES_NON_LATIN),
        regions=places,
        districts=places,
        localities=places,
        usernames=[n.lower() for n in intl.LAST_NAMES_LATIN],
        phones=profile.phones,
        national_ids=profile.national_ids,
        email_domains=_pattern_pool(profile.email_domains),
    )


def _faker(locale: str | None, seed: int, purpose: str) -> Faker:
    from faker import Faker  # imported here: only the country profiles need it

    fake = Faker(locale)
    # a string seed is hashed by random.seed itself (not by PYTHONHASHSEED): stable across runs
    fake.seed_instance(f"{seed}/{locale}/{purpose}")
    return fake


def _faker_pool(locales: tuple[LocaleShare, ...], method: str, seed: int) -> Pool:
    values: list[str] = []
    weights: list[np.ndarray] = []
    for loc in locales:
        fake = _faker(loc.locale, seed, method)
        draw = getattr(fake, method)
        values += [draw() for _ in range(DRAWS_PER_LOCALE)]
        weights.append(np.full(DRAWS_PER_LOCALE, loc.share / DRAWS_PER_LOCALE))
    return Pool.of(values, np.concatenate(weights))


def _messy(pool: Pool, seed: int, which: int) -> Pool:
    """Some pool entries in capitals or decomposed (NFD), the mess real registers hold."""
    rng = rng_for(seed, MESS_STREAM, which)
    u = rng.random(len(pool))
    values = [
        v.upper()
        if x < RATE_UPPER
        else unicodedata.normalize("NFD", v)
        if x < RATE_UPPER + RATE_DECOMPOSED
        else v
        for v, x in zip(pool.values, u, strict=True)
    ]
    return Pool(tuple(values), pool.cumulative)


def _unmessy(pool: Pool) -> list[str]:
    return [v for v in pool.distinct() if v == unicodedata.normalize("NFC", v) and not v.isupper()]


def _distinct(draws: Iterable[Callable[[], str]]) -> list[str]:
    return list(dict.fromkeys(d() for d in draws))


def _pattern_pool(patterns: tuple[Pattern, ...]) -> Pool:
    return Pool.of([p.pattern for p in patterns], np.array([p.share for p in patterns]))
