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


# DHIS2 codes are at most 50 characters (CONTRACT.md §4: hibernate `code` column).
MAX_CODE_LENGTH = 50
# Characters a code must not hold: C0/C1 controls and the non-characters XML 1.0 cannot carry.
_BAD_CODE_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


class CodeError(DefinitionError):
    """A code (from the database or the configuration) cannot be carried to DHIS2 safely."""


def check_code(code: object, where: str, *, xml_name: bool = False) -> str:
    """Return ``code`` if DHIS2, ADX and JSON can carry it unchanged, else raise :class:`CodeError`.

    ``where`` names the row or setting the code comes from. ``;``, ``=`` and ``\\`` are allowed:
    :func:`encode_options` escapes them. ``xml_name=True`` for category codes (ADX attribute names).
    """
    if not isinstance(code, str) or not code:
        raise CodeError(f"{where}: empty code {code!r}")
    if code != code.strip():
        raise CodeError(f"{where}: code {code!r} has leading or trailing white space")
    bad = _BAD_CODE_CHAR.search(code)
    if bad:
        raise CodeError(
            f"{where}: code {code!r} holds the control character {bad.group()!r}, which XML "
            "cannot carry"
        )
    if len(code) > MAX_CODE_LENGTH:
        raise CodeError(
            f"{where}: code {code!r} must have 1 to {MAX_CODE_LENGTH} characters (DHIS2's "
            f"limit), it has {len(code)}"
        )
    if xml_name and not is_xml_name(code):
        raise CodeError(
            f"{where}: category code {code!r} is not a valid XML name; ADX writes category codes "
            "as attribute names: use letters, digits, '_', '-', '.', not starting with a digit"
        )
    return code


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
        check_code(self.code, "data set")
        for de in self.data_elements:
            check_code(de.code, f"data set {self.code}: data element")
            for cat in de.categories:
                for opt in cat.options:
                    check_code(opt.code, f"data element {de.code}: option of category {cat.code!r}")
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
    def key(
        self,
    ) -> tuple[str, str, str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
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
# options are encoded as "CAT=OPT;CAT2=OPT2" so the frame stays flat and sortable; a `\`, `;`
# or `=` inside a code is escaped with a backslash, so the encoding is lossless (a product code
# `PL;SEX=M` stays one option, it never injects a category).
FRAME_COLUMNS = (
    "data_set",
    "period",
    "org_unit",
    "data_element",
    "category_options",
    "attribute_options",
    "value",
)

_ESCAPE = str.maketrans({"\\": "\\\\", ";": "\\;", "=": "\\="})


def encode_options(pairs: tuple[tuple[str, str], ...]) -> str:
    """``(("SEX", "SEX_M"), ("AGE", "AGE_0_5"))`` -> ``"SEX=SEX_M;AGE=AGE_0_5"`` (lossless)."""
    return ";".join(f"{c.translate(_ESCAPE)}={o.translate(_ESCAPE)}" for c, o in pairs)


def decode_options(text: str | None) -> tuple[tuple[str, str], ...]:
    """Inverse of :func:`encode_options`; raises ``ValueError`` on a malformed string."""
    if not text:
        return ()
    if "\\" not in text:  # fast path: nothing escaped
        out: list[tuple[str, str]] = []
        for part in text.split(";"):
            cat, sep, opt = part.partition("=")
            if not sep or "=" in opt:
                raise ValueError(f"malformed option string {text!r}: {part!r} is not CAT=OPT")
            out.append((cat, opt))
        return tuple(out)
    return _decode_escaped(text)


def _decode_escaped(text: str) -> tuple[tuple[str, str], ...]:
    """:func:`decode_options` of a string with backslash escapes, character by character."""
    pairs: list[tuple[str, str]] = []
    fields: list[str] = []
    buf: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, None)
            if nxt is None:
                raise ValueError(f"malformed option string {text!r}: ends with a lone backslash")
            buf.append(nxt)
        elif ch == "=" and not fields:
            fields.append("".join(buf))
            buf.clear()
        elif ch == ";":
            if len(fields) != 1:
                raise ValueError(f"malformed option string {text!r}: a pair is not CAT=OPT")
            pairs.append((fields[0], "".join(buf)))
            fields.clear()
            buf.clear()
        elif ch == "=":
            raise ValueError(f"malformed option string {text!r}: unescaped '=' in an option")
        else:
            buf.append(ch)
    if len(fields) != 1:
        raise ValueError(f"malformed option string {text!r}: a pair is not CAT=OPT")
    pairs.append((fields[0], "".join(buf)))
    return tuple(pairs)


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


# Kinds of chart data items: DHIS2's DataDimensionItemType names the same three.
CHART_DATA_KINDS = frozenset({"indicator", "dataElement", "reportingRate"})


@dataclass(frozen=True)
class ChartData:
    """One data item of a chart: an indicator, a data element, or a data set's reporting rate (by code)."""

    kind: str  # one of CHART_DATA_KINDS
    code: str


@dataclass(frozen=True)
class ChartDefinition:
    """A DHIS2 visualization over catalogue objects, identified by code.

    ``columns`` / ``rows`` / ``filters`` name dimensions: ``dx`` (data), ``pe`` (period),
    ``ou`` (org unit) or a category code (its options become the dimension's items).
    ``periods`` are DHIS2 relative periods (``LAST_12_MONTHS``). ``by_org_unit`` shows the
    children of the user's org unit instead of the user's org unit itself. ``optional`` charts
    drop data items the catalogue does not define (and vanish when none is left) instead of
    failing: they name elements a configuration may not have yet.
    """

    code: str
    name: str
    chart_type: str  # DHIS2 VisualizationType: LINE, COLUMN, STACKED_COLUMN, BAR, PIVOT_TABLE, ...
    data: tuple[ChartData, ...]
    columns: tuple[str, ...] = ("dx",)
    rows: tuple[str, ...] = ("pe",)
    filters: tuple[str, ...] = ("ou",)
    periods: tuple[str, ...] = ("LAST_12_MONTHS",)
    by_org_unit: bool = False
    description: str = ""
    optional: bool = False


@dataclass(frozen=True)
class DashboardDefinition:
    """A DHIS2 dashboard holding the given charts, in order."""

    code: str
    name: str
    charts: tuple[ChartDefinition, ...]
    description: str = ""


@dataclass
class Catalogue:
    """A set of data set definitions plus the DHIS2 indicators and dashboards built on them."""

    data_sets: tuple[DataSetDefinition, ...]
    indicators: tuple[IndicatorDefinition, ...] = field(default_factory=tuple)
    dashboards: tuple[DashboardDefinition, ...] = field(default_factory=tuple)

    def data_set(self, code: str) -> DataSetDefinition:
        for ds in self.data_sets:
            if ds.code == code:
                return ds
        raise KeyError(f"unknown data set {code!r}; known: {[d.code for d in self.data_sets]}")
