"""Value checks shared by the writers (CONTRACT.md §3.5 value-type rules)."""

from __future__ import annotations

import re

from adx.model import NUMERIC_VALUE_TYPES

# xs:decimal lexical space (the ADX schema types ``dataValue/@value`` as xs:decimal).
XS_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

# DHIS2 2.41 ValidationUtils / MathUtils patterns for the numeric types we emit.
_TYPE_PATTERNS = {
    "INTEGER": re.compile(r"0|-?[1-9]\d*"),
    "INTEGER_POSITIVE": re.compile(r"[1-9]\d*"),
    "INTEGER_ZERO_OR_POSITIVE": re.compile(r"0|[1-9]\d*"),
    "INTEGER_NEGATIVE": re.compile(r"-[1-9]\d*"),
    "NUMBER": re.compile(r"(?:-?0|-?[1-9]\d*)(?:\.\d+)?"),
}


def is_numeric_type(value_type: str) -> bool:
    return value_type in NUMERIC_VALUE_TYPES


def is_xs_decimal(value: str) -> bool:
    return XS_DECIMAL.fullmatch(value) is not None


def matches_value_type(value: str, value_type: str) -> bool:
    """Whether DHIS2 2.41 would accept ``value`` for ``value_type`` (numeric types and text)."""
    pattern = _TYPE_PATTERNS.get(value_type)
    if pattern is not None:
        return pattern.fullmatch(value) is not None and (value_type != "NUMBER" or len(value) < 250)
    if value_type in ("PERCENTAGE", "UNIT_INTERVAL"):
        if not _TYPE_PATTERNS["NUMBER"].fullmatch(value):
            return False
        upper = 100 if value_type == "PERCENTAGE" else 1
        return 0 <= float(value) <= upper
    if value_type in ("BOOLEAN",):
        return value.lower() in ("true", "false", "1", "0", "t", "f")
    if value_type == "TRUE_ONLY":
        return value.lower() in ("true",)
    if value_type in ("TEXT", "LONG_TEXT"):
        return len(value) <= 50_000
    return True  # other types are not emitted by this project; DHIS2 checks them
