"""In-memory DHIS2 state: metadata objects, data values, users and tokens, behind one lock."""

from __future__ import annotations

import datetime as dt
import random
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from .schema import DEFAULT_COC, TYPES, default_dimension

DataKey = tuple[str, str, str, str, str]  # (dataElement, period iso, orgUnit, COC, AOC) — all UIDs


@dataclass
class StoredValue:
    """One row of DHIS2's ``datavalue`` table (soft delete via ``deleted``)."""

    data_element: str
    period: str
    org_unit: str
    category_option_combo: str
    attribute_option_combo: str
    value: str | None
    comment: str | None
    stored_by: str
    created: dt.datetime
    last_updated: dt.datetime
    followup: bool = False
    deleted: bool = False

    @property
    def key(self) -> DataKey:
        return (self.data_element, self.period, self.org_unit, self.category_option_combo,
                self.attribute_option_combo)  # fmt: skip

    def as_dict(self) -> dict:
        """UID-based plain form (what tests compare against)."""
        return {
            "dataElement": self.data_element, "period": self.period, "orgUnit": self.org_unit,
            "categoryOptionCombo": self.category_option_combo,
            "attributeOptionCombo": self.attribute_option_combo, "value": self.value,
            "comment": self.comment, "storedBy": self.stored_by, "followup": self.followup,
            "deleted": self.deleted, "created": self.created, "lastUpdated": self.last_updated,
        }  # fmt: skip


@dataclass
class User:
    username: str
    password: str
    uid: str
    authorities: frozenset[str]
    # Capture org units (UIDs); None = every root, i.e. the whole hierarchy.
    org_units: tuple[str, ...] | None = None
    disabled: bool = False

    @property
    def superuser(self) -> bool:
        return "ALL" in self.authorities

    def has(self, *authorities: str) -> bool:
        return self.superuser or any(a in self.authorities for a in authorities)


@dataclass
class Token:
    key: str
    username: str
    expires: dt.datetime | None = None


@dataclass
class Store:
    """All emulator state. Callers take ``lock`` around multi-step reads/writes."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    values: dict[DataKey, StoredValue] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    completions: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    # seeded on purpose: the emulator's generated UIDs are reproducible, not secrets
    rng: random.Random = field(default_factory=lambda: random.Random(20410))  # noqa: S311
    _index: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to an empty DHIS2: only the default category dimension, no values, users kept."""
        with self.lock:
            self.objects = {t: {} for t in TYPES}
            for plural, objs in default_dimension().items():
                self.objects[plural].update(objs)
            self.values.clear()
            self.completions.clear()
            self.changed()

    # ---- identifiers -------------------------------------------------------------------------
    def new_uid(self) -> str:
        alnum = string.ascii_letters + string.digits
        with self.lock:
            while True:
                uid = self.rng.choice(string.ascii_letters) + "".join(self.rng.choices(alnum, k=10))
                if not any(uid in objs for objs in self.objects.values()):
                    return uid

    def changed(self) -> None:
        """Invalidate lookup indexes after a metadata write."""
        self._index.clear()

    def get(self, plural: str, uid: str | None) -> dict | None:
        return self.objects[plural].get(uid) if uid else None

    def lookup(self, plural: str, scheme: str, ident: str | None) -> dict | None:
        """Find an object by identifier under an id scheme (UID, CODE, NAME, ATTRIBUTE:x); trims ``ident``."""
        if ident is None:
            return None
        ident = ident.strip()
        if not ident:
            return None
        if scheme not in {"UID", "CODE"}:
            scheme = normalize_scheme(scheme)
        if scheme == "UID":
            return self.objects[plural].get(ident)
        with self.lock:
            index = self._index.get((plural, scheme))
            if index is None:
                index = {}
                for uid, obj in self.objects[plural].items():
                    key = property_value(obj, scheme)
                    if key is not None:
                        index.setdefault(key, uid)
                self._index[(plural, scheme)] = index
            uid = index.get(ident)
        return self.objects[plural].get(uid) if uid else None

    # ---- derived metadata ---------------------------------------------------------------------
    def option_combos(self, combo_uid: str) -> list[dict]:
        """The COCs of a category combo (DHIS2's inverse ``categoryCombo.optionCombos``)."""
        return [c for c in self.objects["categoryOptionCombos"].values()
                if (c.get("categoryCombo") or {}).get("id") == combo_uid]  # fmt: skip

    def data_sets_of(self, de_uid: str) -> list[dict]:
        return [ds for ds in self.objects["dataSets"].values()
                if any((e.get("dataElement") or {}).get("id") == de_uid for e in ds.get("dataSetElements", []))]  # fmt: skip

    def path_of(self, ou_uid: str) -> list[str]:
        """Ancestors then the unit itself (DHIS2 ``path`` split)."""
        chain: list[str] = []
        uid: str | None = ou_uid
        while uid and uid not in chain:
            chain.append(uid)
            uid = ((self.objects["organisationUnits"].get(uid) or {}).get("parent") or {}).get("id")
        return list(reversed(chain))

    def descendants(self, ou_uid: str) -> set[str]:
        return {uid for uid in self.objects["organisationUnits"] if ou_uid in self.path_of(uid)}

    def in_hierarchy(self, user: User, ou_uid: str) -> bool:
        return user.org_units is None or bool(set(self.path_of(ou_uid)) & set(user.org_units))

    # ---- data values --------------------------------------------------------------------------
    def iter_values(self, include_deleted: bool = False) -> Iterator[StoredValue]:
        with self.lock:
            rows = list(self.values.values())
        return (v for v in rows if include_deleted or not v.deleted)

    def default_coc(self) -> dict:
        return self.objects["categoryOptionCombos"][DEFAULT_COC]


def normalize_scheme(scheme: str | None) -> str:
    """``uid``/``id`` → UID, ``code`` → CODE, ``attribute:X`` → ATTRIBUTE:X (case-insensitive)."""
    if not scheme:
        return "UID"
    upper = scheme.strip()
    if upper.upper().startswith("ATTRIBUTE:"):
        return "ATTRIBUTE:" + upper.split(":", 1)[1]
    upper = upper.upper()
    return "UID" if upper == "ID" else upper


def property_value(obj: dict, scheme: str) -> str | None:
    """``IdentifiableObject.getPropertyValue(idScheme)``."""
    scheme = normalize_scheme(scheme)
    if scheme == "UID":
        return obj.get("id")
    if scheme == "CODE":
        return obj.get("code")
    if scheme == "NAME":
        return obj.get("name")
    if scheme.startswith("ATTRIBUTE:"):
        attr = scheme.split(":", 1)[1]
        for av in obj.get("attributeValues", []):
            if (av.get("attribute") or {}).get("id") == attr:
                return av.get("value")
        return None
    return None
