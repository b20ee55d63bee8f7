"""The aggregate data model: data set definitions and data values. No openIMIS knowledge.

Everything is identified by DHIS2 *codes* here; UIDs are derived when a metadata bundle is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

# DHIS2 value types this project emits (CONTRACT.md §3.5 lists the rules).
NUMERIC_VALUE_TYPES = frozenset(
    {
        "INTEGER",
        "INTEGER_POSITIVE",
        "INTEGER_NEGATIVE",
        "INTEGER_ZERO_OR_POSITIVE",
        "NUMBER",
        "UNIT_INTERVAL",
        "PERCENTAGE",
    }
)

# A valid XML Name, restricted to ASCII (DHIS2 requires category codes to be XML names: they
# become ADX attribute names). Colons are excluded: they would be namespace prefixes.
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class DefinitionError(ValueError):
    """A data set definition is inconsistent (duplicate or invalid codes, unknown options)."""


def is_xml_name(code: str) -> bool:
    return bool(_XML_NAME.match(code))


@dataclass(frozen=True)
class CategoryOption:
    code: str
    name: str


@dataclass(frozen=True)
class Category:
    """A disaggregation dimension. Its code must be a valid XML name (ADX attribute name)."""

    code: str
    name: str
    options: tuple[CategoryOption, ...]

    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class DataElement:
    code: str
    name: str
    categories: tuple[Category, ...] = ()
    value_type: str = "INTEGER_ZERO_OR_POSITIVE"
    aggregation_type: str = "SUM"
    # Our zeros are real (a corrected month may drop to 0): DHIS2 must store them.
    zero_is_significant: bool = True
    description: str = ""
    short_name: str | None = None

    @property
    def category_combo_code(self) -> str:
        """Code of the element's category combo; ``default`` when it has no categories."""
        if not self.categories:
            return "default"
        return "CC_" + "_".join(c.code for c in self.categories)


@dataclass(frozen=True)
class DataSetDefinition:
    code: str
    name: str
    period_type: str  # DHIS2 period type name: Monthly, Quarterly, Yearly, ...
    data_elements: tuple[DataElement, ...]
    open_future_periods: int = 0
    description: str = ""

    def element(self, code: str) -> DataElement:
        for de in self.data_elements:
            if de.code == code:
                return de
        raise KeyError(f"data element {code!r} is not in data set {self.code!r}")

    def categories(self) -> tuple[Category, ...]:
        """Every distinct category used by the data set's elements, in first-use order."""
        seen: dict[str, Category] = {}
        for de in self.data_elements:
            for cat in de.categories:
                seen.setdefault(cat.code, cat)
        return tuple(seen.values())

    def validate(self) -> None:
        """Raise DefinitionError on duplicate codes or category codes that are not XML names."""
        de_codes = [de.code for de in self.data_elements]
        dupes = {c for c in de_codes if de_codes.count(c) > 1}
        if dupes:
            raise DefinitionError(
                f"data set {self.code}: duplicate data element codes {sorted(dupes)}"
            )
        option_owner: dict[str, str] = {}
        cats: dict[str, Category] = {}
        for de in self.data_elements:
            for cat in de.categories:
                if not is_xml_name(cat.code):
                    raise DefinitionError(
                        f"category code {cat.code!r} (data element {de.code}) is not a valid XML "
                        "name; ADX uses category codes as attribute names"
                    )
                if cat.code in cats and cats[cat.code] != cat:
                    raise DefinitionError(
                        f"category {cat.code!r} is defined twice with different options"
                    )
                cats[cat.code] = cat
        for cat in cats.values():
            for opt in cat.options:
                owner = option_owner.setdefault(opt.code, cat.code)
                if owner != cat.code:
                    raise DefinitionError(
                        f"category option code {opt.code!r} is used by categories {owner!r} and "
                        f"{cat.code!r}; option codes must be unique across categories"
                    )


@dataclass(frozen=True)
class Operand:
    """A reference to a data element, optionally restricted to some category options."""

    data_element: str
    category_options: tuple[tuple[str, str], ...] = ()  # (category code, option code)


@dataclass(frozen=True)
class IndicatorDefinition:
    """A DHIS2 indicator: factor × sum(numerator operands) / sum(denominator operands)."""

    code: str
    name: str
    numerator: tuple[Operand, ...]
    denominator: tuple[Operand, ...]
    factor: int = 1  # 1 = number/ratio, 100 = per cent, 1000 = per thousand
    description: str = ""


@dataclass(frozen=True, slots=True)
class DataValue:
    """One aggregate value, identified by codes.

    ``category_options`` holds (category code, option code) pairs in the element's category
    order; empty for the default category combo. ``value`` is already formatted as DHIS2
    expects (no exponent, at most the decimals the value type allows).
    """

    data_set: str
    period: str  # DHIS2 period id, e.g. 202401, 2024Q1, 2024
    org_unit: str
    data_element: str
    value: str
    category_options: tuple[tuple[str, str], ...] = ()
    attribute_options: tuple[tuple[str, str], ...] = ()
    comment: str | None = None

    @property
    def key(self) -> tuple:
        """Identity of the value in DHIS2 (everything but the value itself)."""
        return (
            self.data_set,
            self.period,
            self.org_unit,
            self.data_element,
            self.category_options,
            self.attribute_options,
        )


# Tabular form of data values (Parquet on disk, previews in Dagster). Category and attribute
# options are encoded as "CAT=OPT;CAT2=OPT2" so the frame stays flat and sortable.
FRAME_COLUMNS = (
    "data_set",
    "period",
    "org_unit",
    "data_element",
    "category_options",
    "attribute_options",
    "value",
)


def encode_options(pairs: tuple[tuple[str, str], ...]) -> str:
    return ";".join(f"{c}={o}" for c, o in pairs)


def decode_options(text: str | None) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    out = []
    for part in text.split(";"):
        cat, _, opt = part.partition("=")
        out.append((cat, opt))
    return tuple(out)


def frame_to_values(frame: pd.DataFrame) -> Iterator[DataValue]:
    cols = [frame[c].astype("string").fillna("") for c in FRAME_COLUMNS]
    for ds, pe, ou, de, co, ao, val in zip(*cols, strict=True):
        yield DataValue(
            data_set=ds,
            period=pe,
            org_unit=ou,
            data_element=de,
            value=val,
            category_options=decode_options(co),
            attribute_options=decode_options(ao),
        )


@dataclass
class Catalogue:
    """A set of data set definitions plus the DHIS2 indicators built on them."""

    data_sets: tuple[DataSetDefinition, ...]
    indicators: tuple[IndicatorDefinition, ...] = field(default_factory=tuple)

    def data_set(self, code: str) -> DataSetDefinition:
        for ds in self.data_sets:
            if ds.code == code:
                return ds
        raise KeyError(f"unknown data set {code!r}; known: {[d.code for d in self.data_sets]}")
