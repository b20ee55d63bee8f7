"""Data element value types: validity rules and zero significance (CONTRACT.md §3.5, §3.1)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

NUMERIC_TYPES = frozenset(
    {
        "INTEGER",
        "INTEGER_POSITIVE",
        "INTEGER_NEGATIVE",
        "INTEGER_ZERO_OR_POSITIVE",
        "NUMBER",
        "UNIT_INTERVAL",
        "PERCENTAGE",
    }  # fmt: skip
)
VALUE_TYPES = NUMERIC_TYPES | {
    "TEXT", "LONG_TEXT", "LETTER", "BOOLEAN", "TRUE_ONLY", "DATE", "DATETIME", "TIME",
    "PHONE_NUMBER", "EMAIL", "URL", "USERNAME", "FILE_RESOURCE", "IMAGE", "COORDINATE",
    "ORGANISATION_UNIT", "AGE", "TRACKER_ASSOCIATE", "REFERENCE", "GEOJSON", "MULTI_TEXT",
}  # fmt: skip

_INT = re.compile(r"^(0|-?[1-9]\d*)$")
_INT_POS = re.compile(r"^[1-9]\d*$")
_INT_ZERO_POS = re.compile(r"(^0$)|(^[1-9]\d*$)")
_INT_NEG = re.compile(r"^-[1-9]\d*$")
_NUMBER = re.compile(r"^(-?0|-?[1-9]\d*)(\.\d+)?$")
_ZERO = re.compile(r"^0(\.0*)?$")
_BOOLEAN = {"true", "false", "1", "0", "t", "f"}
MAX_TEXT = 50_000


def is_numeric(value_type: str) -> bool:
    return value_type in NUMERIC_TYPES


def normalize_boolean(value: str | None, value_type: str) -> str | None:
    """BOOLEAN/TRUE_ONLY values are stored as ``true``/``false`` (``ValidationUtils.normalizeBoolean``)."""
    if value is None or value_type not in ("BOOLEAN", "TRUE_ONLY"):
        return value
    low = value.lower()
    if low in ("true", "1", "t"):
        return "true"
    if low in ("false", "0", "f"):
        return "false"
    return value


def invalid_reason(value: str | None, value_type: str) -> str | None:
    """None if ``value`` fits ``value_type``, else DHIS2's i18n reason text
    (``ValidationUtils.valueIsValid``: length first, then the type's own rule)."""
    if value is None:
        return None
    if len(value) > MAX_TEXT:
        return "Data value is too long"
    if value_type in _INTEGER_RULES:
        pattern, reason = _INTEGER_RULES[value_type]
        return None if pattern.match(value) else reason
    if value_type in ("NUMBER", "PERCENTAGE", "UNIT_INTERVAL"):
        return _invalid_number(value, value_type)
    rule = _OTHER_RULES.get(value_type)
    return rule(value) if rule is not None else None


_INTEGER_RULES = {
    "INTEGER": (_INT, "Data value is not an integer"),
    "INTEGER_POSITIVE": (_INT_POS, "Data value is not a positive integer"),
    "INTEGER_ZERO_OR_POSITIVE": (_INT_ZERO_POS, "Data value is not zero or positive integer"),
    "INTEGER_NEGATIVE": (_INT_NEG, "Data value is not a negative integer"),
}


def _invalid_number(value: str, value_type: str) -> str | None:
    if len(value) >= 250 or not _NUMBER.match(value):
        return "Data value is not numeric"
    number = float(value)
    if value_type == "PERCENTAGE" and not 0 <= number <= 100:
        return "Data value is not a percentage"
    if value_type == "UNIT_INTERVAL" and not 0 <= number <= 1:
        return "Data value is not a unit interval"
    return None


def _invalid_boolean(value: str) -> str | None:
    return None if value.lower() in _BOOLEAN else "Data value is not a boolean"


def _invalid_true_only(value: str) -> str | None:
    return None if value == "true" else "Data value is not true (true-only value type)"


def _invalid_letter(value: str) -> str | None:
    return None if len(value) == 1 and value.isalpha() else "Data value is not a letter"


def _invalid_date(value: str) -> str | None:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "Data value is not a valid date"
    return None


def _invalid_datetime(value: str) -> str | None:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "Data value is not a valid datetime"
    return None


# The other checked types; the rest (TEXT, ...) only have the length limit.
_OTHER_RULES: dict[str, Callable[[str], str | None]] = {
    "BOOLEAN": _invalid_boolean,
    "TRUE_ONLY": _invalid_true_only,
    "LETTER": _invalid_letter,
    "DATE": _invalid_date,
    "DATETIME": _invalid_datetime,
}


def is_zero_and_insignificant(value: str | None, data_element: dict) -> bool:
    """Numeric zero on a DE with ``zeroIsSignificant`` false and a non-AVERAGE aggregation (§3.1)."""
    if value is None or data_element.get("zeroIsSignificant"):
        return False
    if str(data_element.get("aggregationType", "")).startswith("AVERAGE"):
        return False
    return is_numeric(data_element["valueType"]) and bool(_ZERO.match(value))
