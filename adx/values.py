"""Value rules shared by the writers and pre-flight validation.

The ADX schema types ``dataValue/@value`` as xs:decimal; DHIS2 checks each value against its
data element's value type (``ValidationUtils.valueIsValid`` / ``MathUtils``, CONTRACT.md §3.5).
One set of rules, used by ``adx_xml`` (numeric or annotation) and ``adx.dhis2.preflight``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from adx.model import NUMERIC_VALUE_TYPES

# xs:decimal lexical space (the ADX schema types ``dataValue/@value`` as xs:decimal).
XS_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def is_numeric_type(value_type: str) -> bool:
    return value_type in NUMERIC_VALUE_TYPES


# DHIS2's value type rules (ValidationUtils.valueIsValid / MathUtils).
_INT = re.compile(r"^(0|-?[1-9]\d*)$")
_INT_POS = re.compile(r"^[1-9]\d*$")
_INT_ZERO_POS = re.compile(r"(^0$)|(^[1-9]\d*$)")
_INT_NEG = re.compile(r"^-[1-9]\d*$")
_NUMBER = re.compile(r"^(-?0|-?[1-9]\d*)(\.\d+)?$")
_BOOLEAN = {"true", "false", "1", "0", "t", "f"}
_LETTER = re.compile(r"^[^\W\d_]$")


def is_number(v: str) -> bool:
    return len(v) < 250 and bool(_NUMBER.match(v))


def value_type_error(value: str, value_type: str) -> str | None:
    """DHIS2's complaint about ``value`` for ``value_type``, or None if it is acceptable."""
    check = _VALUE_CHECKS.get(value_type.upper())
    if check is None:
        return None  # LONG_TEXT and types we do not emit: DHIS2 accepts any text
    ok, message = check
    return None if ok(value) else message


def _is_date(v: str) -> bool:
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return len(v) == 10


def _is_datetime(v: str) -> bool:
    try:
        datetime.fromisoformat(v)
    except ValueError:
        return False
    return True


_VALUE_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "INTEGER": (lambda v: bool(_INT.match(v)), "Data value is not an integer"),
    "INTEGER_POSITIVE": (
        lambda v: bool(_INT_POS.match(v)),
        "Data value is not a positive integer",
    ),
    "INTEGER_ZERO_OR_POSITIVE": (
        lambda v: bool(_INT_ZERO_POS.match(v)),
        "Data value is not zero or positive integer",
    ),
    "INTEGER_NEGATIVE": (
        lambda v: bool(_INT_NEG.match(v)),
        "Data value is not a negative integer",
    ),
    "NUMBER": (is_number, "Data value is not numeric"),
    "PERCENTAGE": (
        lambda v: is_number(v) and 0 <= float(v) <= 100,
        "Data value is not a percentage",
    ),
    "UNIT_INTERVAL": (
        lambda v: is_number(v) and 0 <= float(v) <= 1,
        "Data value is not a unit interval",
    ),
    "BOOLEAN": (lambda v: v.lower() in _BOOLEAN, "Data value is not a boolean"),
    "TRUE_ONLY": (
        lambda v: v.lower() == "true",
        "Data value is not true (true-only value type)",
    ),
    "TEXT": (lambda v: len(v) <= 50_000, "Text value exceeds the maximum length of 50000"),
    "LETTER": (lambda v: bool(_LETTER.match(v)), "Data value is not a letter"),
    "DATE": (_is_date, "Data value is not a valid date"),
    "DATETIME": (_is_datetime, "Data value is not a valid datetime"),
}
