"""Keyed, deterministic replacement values: same source value -> same fake value within a run.

Every replacement is a keyed BLAKE2b (a PRF) under a key derived from the run's seed by HMAC-SHA256, so
- the same seed and source give the same output (reproducible demos), a different seed different output;
- nobody without the seed can recompute the mapping (it is not a plain hash of the value; keep the seed
  secret when the source is sensitive).

Identifiers (insurance numbers, passports, phones, codes, receipts) go through a keyed permutation of
strings of the same shape: every digit stays a digit, every ASCII letter a letter of the same case,
every other character stays in place. A permutation is injective, so unique values stay unique. On
top, the fake value is steered away from every value present in the source (``AvoidSet``), so a fake
never coincides with somebody's real number; the rare detours are kept injective too (see
``_IdentifierPermutation.map``).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic_data._util import rng_for
from synthetic_data.profiles import load_profile
from synthetic_data.profiles.pools import build_pools

from . import fakes
from .vectorised import (
    fixed_width_strings,
    hash_array,
    keyed_digests,
    normalise_array,
    strings_matrix,
    uuid_strings,
)

__all__ = ["AvoidSet", "Pseudonymiser", "value_hash", "normalise"]

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ROUNDS = 8
_MAX_DETOUR = 10_000
# Vectorised permutation: shape groups smaller than this go value by value; round functions of at
# most this many bits get a table (filled lazily, kept for the run) when a group is large enough.
_MIN_GROUP = 16
_TABLE_BITS = 18
# With a country profile, a source from the same country holds most of Faker's names for it: when
# fewer than this many single names are left once the source's are removed, fake names become two
# pool names joined (checked against the source as a whole).
MIN_SINGLE_NAMES = 30
PROFILE_STREAM = 92  # numpy stream of the weighted name lists


def normalise(value: str) -> str:
    """Comparison form of a text value: case-folded, inner whitespace collapsed."""
    return " ".join(value.split()).casefold()


def value_hash(value: str) -> int:
    """64-bit unkeyed hash of ``normalise(value)``, used only for set membership (SipHash with
    pandas' fixed key: the same function, vectorised, hashes whole columns in ``AvoidSet``)."""
    return int(hash_array(np.array([normalise(value)], dtype=object))[0])


def value_hashes(values: pa.Array) -> np.ndarray:
    """``value_hash`` of every (non-null) value of a string array, at once."""
    return hash_array(normalise_array(values))


class AvoidSet:
    """Hashes of source values (8 bytes each, sorted numpy array): memory-light membership tests."""

    def __init__(self, hashes: Iterable[int] | np.ndarray = ()) -> None:
        if isinstance(hashes, np.ndarray):
            self._hashes = np.unique(hashes.astype(np.uint64))
        else:
            self._hashes = np.unique(np.fromiter(hashes, dtype=np.uint64))

    @classmethod
    def of_values(cls, values: Iterable[str]) -> AvoidSet:
        return cls(value_hash(v) for v in values)

    def __len__(self) -> int:
        return int(self._hashes.size)

    def __contains__(self, value: str) -> bool:
        h = np.uint64(value_hash(value))
        i = int(np.searchsorted(self._hashes, h))
        return i < self._hashes.size and self._hashes[i] == h

    def contains_array(self, values: pa.Array) -> np.ndarray:
        """``value in self`` for every value of a (null-free) string array, as a bool array."""
        if len(values) == 0 or self._hashes.size == 0:
            return np.zeros(len(values), dtype=bool)
        h = value_hashes(values)
        i = np.minimum(np.searchsorted(self._hashes, h), self._hashes.size - 1)
        return self._hashes[i] == h


class _IdentifierPermutation:
    """Keyed bijection on strings of one shape (Feistel network + cycle walking over mixed radix)."""

    def __init__(self, key: bytes, kind: str, avoid: AvoidSet) -> None:
        self._key = key
        self._kind = kind
        self._avoid = avoid
        self._keyed = hashlib.blake2b(key=key, digest_size=64)
        # (shape, round) -> (F values, filled flags) for round functions of <= _TABLE_BITS bits
        self._tables: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        self._detours: dict[
            str, str
        ] = {}  # source value -> fake, only for the rare detoured values
        self._detour_outputs: set[str] = set()
        self.unavoidable = (
            0  # values whose shape has too few possibilities to dodge every source value
        )

    # -- shape <-> integer ------------------------------------------------------------------------
    @staticmethod
    def _alphabets(value: str) -> list[str | None]:
        out: list[str | None] = []
        for ch in value:
            if ch in _DIGITS:
                out.append(_DIGITS)
            elif ch in _UPPER:
                out.append(_UPPER)
            elif ch in _LOWER:
                out.append(_LOWER)
            else:
                out.append(None)
        return out

    @staticmethod
    def _to_int(value: str, alphabets: list[str | None]) -> tuple[int, int]:
        x, size = 0, 1
        for ch, alpha in zip(value, alphabets, strict=True):
            if alpha is not None:
                x = x * len(alpha) + alpha.index(ch)
                size *= len(alpha)
        return x, size

    @staticmethod
    def _from_int(x: int, template: str, alphabets: list[str | None]) -> str:
        chars = list(template)
        for i in range(len(chars) - 1, -1, -1):
            alpha = alphabets[i]
            if alpha is not None:
                x, r = divmod(x, len(alpha))
                chars[i] = alpha[r]
        return "".join(chars)

    # -- Feistel permutation of [0, size) ---------------------------------------------------------
    def _round(self, shape: str, rnd: int, half: int, bits: int) -> int:
        # keyed BLAKE2b is a PRF (like HMAC) and much cheaper per call in CPython
        h = self._keyed.copy()
        h.update(f"{self._kind}\0{shape}\0{rnd}\0{half}".encode())
        return int.from_bytes(h.digest(), "big") & ((1 << bits) - 1)

    def _round_many(self, shape: str, rnd: int, halves: np.ndarray, bits: int) -> np.ndarray:
        """``_round`` of many halves (uint64); only the digests' last 8 bytes matter (bits <= 32)."""
        base = self._keyed.copy()
        base.update(f"{self._kind}\0{shape}\0{rnd}\0".encode())
        digests = keyed_digests(base, [str(h).encode() for h in halves.tolist()])
        tails = np.frombuffer(digests, dtype=">u8").reshape(-1, 8)[:, 7]
        return tails.astype(np.uint64) & np.uint64((1 << bits) - 1)

    def _round_values(self, shape: str, rnd: int, halves: np.ndarray, bits: int) -> np.ndarray:
        table = self._tables.get((shape, rnd))
        if table is None and bits <= _TABLE_BITS and halves.size * 64 >= (1 << bits):
            table = self._tables[(shape, rnd)] = (
                np.zeros(1 << bits, dtype=np.uint64),
                np.zeros(1 << bits, dtype=bool),
            )
        if table is None:
            distinct, inverse = np.unique(halves, return_inverse=True)
            return self._round_many(shape, rnd, distinct, bits)[inverse]
        values, filled = table
        missing = np.unique(halves[~filled[halves]])
        if missing.size:
            values[missing] = self._round_many(shape, rnd, missing, bits)
            filled[missing] = True
        return values[halves]

    def _permute_many(self, x: np.ndarray, size: int, shape: str) -> np.ndarray:
        """``_permute`` (forward) of a uint64 array, all of one shape; ``size`` < 2**63."""
        half_bits = max(1, ((size - 1).bit_length() + 1) // 2)
        hb, mask = np.uint64(half_bits), np.uint64((1 << half_bits) - 1)
        out = np.empty_like(x)
        pending = np.arange(x.size)
        current = x
        while pending.size:  # cycle walking, as in _permute
            left, right = current >> hb, current & mask
            for rnd in range(_ROUNDS):
                left, right = right, left ^ self._round_values(shape, rnd, right, half_bits)
            current = (left << hb) | right
            done = current < np.uint64(size)
            out[pending[done]] = current[done]
            pending, current = pending[~done], current[~done]
        return out

    def _feistel(self, x: int, shape: str, half_bits: int, inverse: bool) -> int:
        mask = (1 << half_bits) - 1
        left, right = x >> half_bits, x & mask
        rounds = range(_ROUNDS - 1, -1, -1) if inverse else range(_ROUNDS)
        for rnd in rounds:
            if inverse:
                left, right = right ^ self._round(shape, rnd, left, half_bits), left
            else:
                left, right = right, left ^ self._round(shape, rnd, right, half_bits)
        return (left << half_bits) | right

    def _permute(self, x: int, size: int, shape: str, inverse: bool = False) -> int:
        half_bits = max(1, ((size - 1).bit_length() + 1) // 2)
        while True:  # cycle walking: the domain is at most 4x size, so few steps on average
            x = self._feistel(x, shape, half_bits, inverse)
            if x < size:
                return x

    # -- public -------------------------------------------------------------------------------------
    def map_many(self, values: pa.Array) -> pa.Array:
        """``map`` of every value of a null-free string array (distinct values, typically), at once:
        fixed-length ASCII values are grouped by shape and permuted as numpy arrays; a value whose
        first image is a source value, and every other value, goes through ``map`` itself."""
        values = values.cast(pa.string())
        n = len(values)
        out = np.empty(n, dtype=object)
        todo = np.ones(n, dtype=bool)  # left for the scalar map
        ascii_ = pc.string_is_ascii(values).to_numpy(zero_copy_only=False)
        widths = pc.binary_length(values).to_numpy(zero_copy_only=False)
        for width in np.unique(widths[ascii_]).tolist():
            rows = np.nonzero(ascii_ & (widths == width))[0]
            if rows.size < _MIN_GROUP or width == 0:
                continue
            matrix = strings_matrix(values.take(pa.array(rows)), width)
            shapes = matrix.copy()
            digit = (matrix >= 48) & (matrix <= 57)
            upper = (matrix >= 65) & (matrix <= 90)
            lower = (matrix >= 97) & (matrix <= 122)
            shapes[digit], shapes[upper], shapes[lower] = ord("9"), ord("A"), ord("a")
            keys = np.ascontiguousarray(shapes).view(np.dtype((np.void, width))).ravel()
            distinct, inverse = np.unique(keys, return_inverse=True)
            order = np.argsort(inverse, kind="stable")
            counts = np.bincount(inverse, minlength=distinct.size)
            for j, (start, stop) in enumerate(
                zip(np.cumsum(counts) - counts, np.cumsum(counts), strict=True)
            ):
                group = order[start:stop]
                shape = bytes(distinct[j]).decode("ascii")
                self._map_shape(shape, matrix[group], rows[group], out, todo)
        for i in np.nonzero(todo)[0].tolist():
            out[i] = self.map(values[i].as_py())
        return pa.array(out, type=pa.string())

    def _map_shape(
        self, shape: str, matrix: np.ndarray, rows: np.ndarray, out: np.ndarray, todo: np.ndarray
    ) -> None:
        """Permute one shape group (an (n, width) byte matrix) into ``out``."""
        radix = [10 if c == "9" else 26 if c in "Aa" else 0 for c in shape]
        size = 1
        for r in radix:
            size *= r or 1
        if rows.size < _MIN_GROUP or size <= 1 or size >= 1 << 63:
            return  # scalar map (it returns a value without letters or digits as is)
        base = np.array([48 if c == "9" else 65 if c == "A" else 97 for c in shape], dtype=np.uint8)
        x = np.zeros(rows.size, dtype=np.uint64)
        for p, r in enumerate(radix):
            if r:
                x = x * np.uint64(r) + (matrix[:, p] - base[p]).astype(np.uint64)
        y = self._permute_many(x, size, shape)
        fake = matrix.copy()
        for p in range(len(shape) - 1, -1, -1):
            r = radix[p]
            if r:
                fake[:, p] = (y % np.uint64(r)).astype(np.uint8) + base[p]
                y = y // np.uint64(r)
        first = fixed_width_strings(fake)
        hit = self._avoid.contains_array(first)
        out[rows[~hit]] = first.filter(pa.array(~hit)).to_numpy(zero_copy_only=False)
        todo[rows[~hit]] = False  # the hits (a source value as first image) take the detour path

    def map(self, value: str) -> str:
        """The fake of ``value``: π(value), or, when π(value) is a source value, a detour.

        A detour walks π further to the first candidate c that is not a source value, whose preimage
        π⁻¹(c) is not a source value (so no other source value has c as its own image) and that no
        earlier detour took: the mapping stays injective.
        """
        if value in self._detours:
            return self._detours[value]
        if value.isascii() and value.isdigit():  # fast path: all digits (insurance numbers, phones)
            width = len(value)
            x, size, shape = int(value), 10**width, "9" * width

            def encode(n: int) -> str:
                return f"{n:0{width}d}"

        else:
            alphabets = self._alphabets(value)
            x, size = self._to_int(value, alphabets)
            if size <= 1:
                return value  # nothing to permute (no letter or digit)
            shape = "".join(
                "9" if a is _DIGITS else "A" if a is _UPPER else "a" if a is _LOWER else c
                for c, a in zip(value, alphabets, strict=True)
            )

            def encode(n: int) -> str:
                return self._from_int(n, value, alphabets)

        y = self._permute(x, size, shape)
        first = encode(y)
        if first not in self._avoid:
            return first
        for _ in range(min(size, _MAX_DETOUR)):
            y = self._permute(y, size, shape)
            cand = encode(y)
            if cand in self._avoid or cand in self._detour_outputs:
                continue
            if encode(self._permute(y, size, shape, inverse=True)) in self._avoid:
                continue
            self._detours[value] = cand
            self._detour_outputs.add(cand)
            return cand
        self.unavoidable += 1
        return first


class Pseudonymiser:
    """All replacement kinds of one run, keyed by the seed."""

    def __init__(
        self, seed: int, avoid: AvoidSet | None = None, country: str | None = None
    ) -> None:
        self._key = hmac.new(
            b"openimis-dhis2/anonymise/v1", str(int(seed)).encode(), hashlib.sha256
        ).digest()
        self._avoid = avoid if avoid is not None else AvoidSet()
        self._profile = None if country is None else load_profile(country)
        if self._profile is None:
            first_pool, last_pool = list(fakes.FIRST_NAMES), list(fakes.LAST_NAMES)
        else:
            pools = build_pools(self._profile, int(seed))
            # weighted lists (a name as often as the profile's shares and Faker's frequencies say)
            rng = rng_for(int(seed), PROFILE_STREAM)
            first_pool = [*pools.male.sample(rng, 2000), *pools.female.sample(rng, 2000)]
            last_pool = list(pools.family.sample(rng, 4000))
            self._places = pools.localities
            self._streets = list(self._profile.addresses)
        self._first_all, self._last_all = first_pool, last_pool
        self._first = [n for n in first_pool if n not in self._avoid]
        self._last = [n for n in last_pool if n not in self._avoid]
        if self._profile is None and (not self._first or not self._last):
            raise ValueError(
                "every fake name of the pool occurs in the source: extend synthetic_data/anonymise/fakes.py"
            )
        self._ids: dict[str, _IdentifierPermutation] = {}

    def _draw(self, kind: str, value: str, attempt: int = 0) -> int:
        msg = f"{kind}\0{attempt}\0{normalise(value)}".encode()
        return int.from_bytes(hashlib.blake2b(msg, key=self._key, digest_size=8).digest(), "big")

    def _avoiding(self, kind: str, value: str, make) -> str:
        """First ``make(draw)`` over attempts 0, 1, ... that is not a source value."""
        for attempt in range(100):
            fake = make(self._draw(kind, value, attempt))
            if fake not in self._avoid:
                return fake
        return make(self._draw(kind, value, 0)) + " " + str(self._draw(kind, value, 1) % 1000)

    def draw(self, kind: str, value: str) -> int:
        """A keyed 64-bit number for ``(kind, value)``: seeded randomness tied to a value."""
        return self._draw(kind, value)

    def first_name(self, value: str) -> str:
        return self._name("first", value, self._first, self._first_all)

    def last_name(self, value: str) -> str:
        return self._name("last", value, self._last, self._last_all)

    def _name(self, kind: str, value: str, single: list[str], whole: list[str]) -> str:
        if self._profile is None or len(single) >= MIN_SINGLE_NAMES:
            return single[self._draw(kind, value) % len(single)]
        return self._avoiding(
            kind, value, lambda d: f"{whole[d % len(whole)]} {whole[(d >> 24) % len(whole)]}"
        )

    def org_name(self, value: str) -> str:
        last = self._last or self._last_all
        return self._avoiding(
            "org",
            value,
            lambda d: (
                f"{last[d % len(last)]} {fakes.ORG_SUFFIXES[(d >> 16) % len(fakes.ORG_SUFFIXES)]}"
            ),
        )

    def address(self, value: str) -> str:
        if self._profile is None:
            return self._avoiding(
                "address",
                value,
                lambda d: f"{1 + d % 250} {fakes.STREETS[(d >> 16) % len(fakes.STREETS)]}",
            )
        streets, places = self._streets, self._places
        return self._avoiding(
            "address",
            value,
            lambda d: streets[(d >> 40) % len(streets)].format(
                n=1 + d % 250, place=places[(d >> 16) % len(places)]
            ),
        )

    def phone(self, value: str) -> str:
        """With a profile: a number of the profile's shapes (not injective, never a source value);
        without: the shape-keeping permutation of ``identifier``."""
        if self._profile is None:
            return self.identifier("phone", value)
        patterns = self._profile.phones
        cumulative = np.cumsum([p.share for p in patterns])

        def make(d: int) -> str:
            k = min(
                int(np.searchsorted(cumulative, (d % 10_000) / 10_000, side="right")),
                len(patterns) - 1,
            )
            digest = hashlib.blake2b(d.to_bytes(8, "big"), key=self._key, digest_size=32).digest()
            digits = iter(str(int.from_bytes(digest, "big")).zfill(78))
            return "".join(next(digits) if ch == "#" else ch for ch in patterns[k].pattern)

        return self._avoiding("phone", value, make)

    def email(self, value: str) -> str:
        return f"user.{self._draw('email', value):016x}"[:15] + "@example.org"

    def uuid(self, value: str) -> str:
        """A new version-4 UUID for ``value`` (case of the source kept)."""
        digest = hashlib.blake2b(
            b"uuid\0" + value.strip().lower().encode(), key=self._key, digest_size=16
        ).digest()
        new = str(uuid.UUID(bytes=digest[:16], version=4))
        return new.upper() if value.isupper() else new

    # -- whole columns (same values as the per-value methods) ------------------------------------
    def uuid_many(self, values: pa.Array) -> pa.Array:
        """``uuid`` of every value of a null-free string array."""
        raw = values.to_pylist()
        base = hashlib.blake2b(key=self._key, digest_size=16)
        base.update(b"uuid\0")
        digests = keyed_digests(base, [v.strip().lower().encode() for v in raw])
        return uuid_strings(digests, np.array([v.isupper() for v in raw], dtype=bool))

    def identifier_many(self, kind: str, values: pa.Array) -> pa.Array:
        """``identifier(kind, v)`` of every value of a null-free string array."""
        perm = self._ids.get(kind)
        if perm is None:
            perm = self._ids[kind] = _IdentifierPermutation(self._key, kind, self._avoid)
        return perm.map_many(values)

    def draws(self, kind: str, normalised: list[bytes]) -> np.ndarray:
        """``draw(kind, v)`` (uint64) for values already in ``normalise``d form, UTF-8 encoded."""
        base = hashlib.blake2b(key=self._key, digest_size=8)
        base.update(f"{kind}\0{0}\0".encode())
        return np.frombuffer(keyed_digests(base, normalised), dtype=">u8").astype(np.uint64)

    def identifier(self, kind: str, value: str) -> str:
        perm = self._ids.get(kind)
        if perm is None:
            perm = self._ids[kind] = _IdentifierPermutation(self._key, kind, self._avoid)
        return perm.map(value)

    @property
    def unavoidable(self) -> int:
        """Identifiers too short to be steered away from every source value (reported)."""
        return sum(p.unavoidable for p in self._ids.values())
