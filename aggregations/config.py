"""Catalogue configuration: a dataclass with defaults, loaded from an optional TOML file.

The TOML file may be shared with other parts of the pipeline: the catalogue options live in its
``[catalogue]`` table (a file without that table is read as if it were the table itself).
Unknown keys and invalid values fail with a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from adx.model import CodeError, check_code


class ConfigError(ValueError):
    """The catalogue configuration is invalid; the message names the offending key."""


RESIDENCE_LEVELS = ("village", "ward", "district", "region")
# openIMIS LocationType of each residence level (SCHEMA.md §2).
LEVEL_TYPE = {"village": "V", "ward": "W", "district": "D", "region": "R"}
ORG_UNIT_ID_RULES = ("code", "uuid", "mapping")
CLAIM_DATE_RULES = ("coalesce", "date_from", "date_claimed", "date_processed")
PERIOD_TYPES = ("Monthly", "Quarterly", "Yearly")

# openIMIS's own DHIS2 module bands (INDICATORS.md "Age").
DEFAULT_AGE_BANDS = ("0-5", "6-12", "13-18", "19-25", "26-35", "36-55", "56-75", "76+")


@dataclass(frozen=True)
class AgeBand:
    """Completed years ``low`` to ``high`` inclusive; ``high is None`` means open-ended."""

    label: str
    low: int
    high: int | None

    @property
    def code_suffix(self) -> str:
        return f"{self.low}PLUS" if self.high is None else f"{self.low}_{self.high}"


@dataclass(frozen=True)
class DiagnosisGroup:
    """ICD-code prefix ranges, e.g. ``(("B50", "B54"),)``; prefixes compare case-insensitively."""

    code: str
    name: str
    ranges: tuple[tuple[str, str], ...]

    def width(self) -> int:
        """How many 3-character prefixes the group spans (the narrowest matching group wins)."""
        total = 0
        for lo, hi in self.ranges:
            total += max(1, _prefix_ordinal(hi) - _prefix_ordinal(lo) + 1)
        return total


def _prefix_ordinal(p: str) -> int:
    p = (p.upper() + "   ")[:3]
    return (ord(p[0]) * 256 + ord(p[1])) * 256 + ord(p[2])


DEFAULT_DIAGNOSIS_GROUPS = (
    DiagnosisGroup("MALARIA", "Malaria", (("B50", "B54"),)),
    DiagnosisGroup("ANTENATAL", "Antenatal care", (("Z34", "Z36"),)),
    DiagnosisGroup("DELIVERY", "Delivery", (("O80", "O84"),)),
    DiagnosisGroup("CAESAREAN", "Caesarean section", (("O82", "O82"),)),
    DiagnosisGroup("RESPIRATORY", "Respiratory infection", (("J00", "J22"),)),
    DiagnosisGroup("DIARRHOEA", "Diarrhoea", (("A00", "A09"),)),
)


@dataclass(frozen=True)
class CatalogueConfig:
    """Every option of the indicator catalogue (docs/indicators.md lists them with examples)."""

    residence_level: str = "ward"
    org_unit_id: str = "code"  # code | uuid | mapping
    mapping_file: Path | None = None  # CSV openimis_code,dhis2_id[,kind]
    unmapped_file: Path | None = None  # where to write unmapped org unit codes before failing
    codes: dict[str, str] = field(default_factory=dict)  # default code -> override
    age_bands: tuple[AgeBand, ...] = field(
        default_factory=lambda: tuple(parse_age_band(b, "age_bands") for b in DEFAULT_AGE_BANDS)
    )
    diagnosis_groups: tuple[DiagnosisGroup, ...] = DEFAULT_DIAGNOSIS_GROUPS
    claim_date: str = "coalesce"
    open_future_periods: int = 0
    start_period: str | None = None  # first period the pipeline computes (e.g. "202301")
    enrolment_period_type: str = "Monthly"
    claims_period_type: str = "Monthly"
    products: tuple[str, ...] = ()  # product codes declared as options when the DB is not read
    # DuckDB (the local compute engine): memory cap before spilling, spill directory (default:
    # beside the snapshot), threads (0 = DuckDB's default, the machine's cores).
    duckdb_memory_limit: str = "1GB"
    duckdb_temp_directory: Path | None = None
    duckdb_threads: int = 0

    def __post_init__(self) -> None:
        _check_choice("residence_level", self.residence_level, RESIDENCE_LEVELS)
        _check_choice("org_unit_id", self.org_unit_id, ORG_UNIT_ID_RULES)
        _check_choice("claim_date", self.claim_date, CLAIM_DATE_RULES)
        _check_choice("enrolment_period_type", self.enrolment_period_type, PERIOD_TYPES)
        _check_choice("claims_period_type", self.claims_period_type, PERIOD_TYPES)
        if self.org_unit_id == "mapping" and self.mapping_file is None:
            raise ConfigError(
                "org_unit_id = 'mapping' needs mapping_file (a CSV openimis_code,dhis2_id)"
            )
        if not re.fullmatch(
            r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", str(self.duckdb_memory_limit)
        ):
            raise ConfigError(
                f"duckdb_memory_limit: {self.duckdb_memory_limit!r} is not a size like '1GB' or '512MB'"
            )
        if not isinstance(self.duckdb_threads, int) or self.duckdb_threads < 0:
            raise ConfigError(f"duckdb_threads: expected 0 or more, got {self.duckdb_threads!r}")
        if not isinstance(self.open_future_periods, int) or self.open_future_periods < 0:
            raise ConfigError(
                f"open_future_periods must be a non-negative integer, got {self.open_future_periods!r}"
            )
        _check_bands(self.age_bands)
        codes = [g.code for g in self.diagnosis_groups]
        if len(set(codes)) != len(codes) or "OTHER" in codes:
            raise ConfigError(f"diagnosis_groups: codes must be unique and not OTHER, got {codes}")
        for key, val in self.codes.items():
            if not isinstance(val, str) or not val.strip():
                raise ConfigError(f"codes.{key}: override must be a non-empty string, got {val!r}")
            from .catalogue import CATEGORY_NAMES  # lazy: catalogue imports this module

            try:  # category codes become ADX attribute names: they must be XML names
                check_code(val, f"codes.{key}", xml_name=key in CATEGORY_NAMES)
            except CodeError as exc:
                raise ConfigError(str(exc)) from None
        if self.start_period is not None:
            from adx.periods import PeriodError, parse_period

            try:
                parse_period(self.start_period)
            except PeriodError as exc:
                raise ConfigError(f"start_period: {exc}") from exc

    def code(self, default: str) -> str:
        """The DHIS2 code to use for an object whose default code is ``default``."""
        return self.codes.get(default, default)


def _check_choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(choices)}")


_BAND = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)|\+)\s*$")


def parse_age_band(text: str, key: str = "age_bands") -> AgeBand:
    """Parse ``"6-12"`` or ``"76+"``."""
    m = _BAND.match(str(text))
    if not m:
        raise ConfigError(f"{key}: {text!r} is not an age band like '6-12' or '76+'")
    low = int(m.group(1))
    high = int(m.group(2)) if m.group(2) is not None else None
    if high is not None and high < low:
        raise ConfigError(f"{key}: band {text!r} ends before it starts")
    return AgeBand(str(text).strip().replace(" ", ""), low, high)


def _check_bands(bands: tuple[AgeBand, ...]) -> None:
    """Bands must start at 0, be contiguous and end open-ended, so every age has one band."""
    if not bands:
        raise ConfigError("age_bands: at least one band is needed")
    expected = 0
    for b in bands:
        if b.low != expected:
            raise ConfigError(
                f"age_bands: band {b.label!r} starts at {b.low}, expected {expected} "
                "(bands must be contiguous from 0 so that no age falls in a gap)"
            )
        if b.high is None and b is not bands[-1]:
            raise ConfigError(f"age_bands: open band {b.label!r} must be the last one")
        expected = (b.high or 0) + 1
    if bands[-1].high is not None:
        raise ConfigError(
            f"age_bands: the last band must be open-ended like '76+', got {bands[-1].label!r}"
        )


_ICD_RANGE = re.compile(r"^\s*([A-Za-z0-9]{1,3})\s*(?:-\s*([A-Za-z0-9]{1,3}))?\s*$")


def _parse_group(item: Any, idx: int) -> DiagnosisGroup:
    key = f"diagnosis_groups[{idx}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{key}: expected a table with code, name, icd")
    unknown = set(item) - {"code", "name", "icd"}
    if unknown:
        raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown key (expected code, name, icd)")
    code = item.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z0-9_]+", code or ""):
        raise ConfigError(f"{key}.code: expected letters, digits or _, got {code!r}")
    icd = item.get("icd")
    if isinstance(icd, str):
        icd = [icd]
    if not isinstance(icd, list) or not icd:
        raise ConfigError(f"{key}.icd: expected a list of ICD prefixes or ranges like 'B50-B54'")
    ranges = []
    for r in icd:
        m = _ICD_RANGE.match(str(r))
        if not m:
            raise ConfigError(f"{key}.icd: {r!r} is not an ICD prefix or range like 'B50-B54'")
        lo, hi = m.group(1).upper(), (m.group(2) or m.group(1)).upper()
        if len(lo) != len(hi) or hi < lo:
            raise ConfigError(f"{key}.icd: range {r!r} is inverted or mixes prefix lengths")
        ranges.append((lo, hi))
    return DiagnosisGroup(code.upper(), str(item.get("name", code)), tuple(ranges))


def load_config(path: str | Path | None) -> CatalogueConfig:
    """Read the catalogue configuration; ``None`` gives the defaults."""
    if path is None:
        return CatalogueConfig()
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"configuration file {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
            f"offset {exc.start}); TOML files must be UTF-8"
        ) from exc
    table = doc.get("catalogue", doc)
    if not isinstance(table, dict):
        raise ConfigError("catalogue: expected a table")
    # Without a [catalogue] table the file is read top-level; other tools' tables are skipped.
    return config_from_mapping(
        table, base_dir=path.parent, skip_foreign_tables="catalogue" not in doc
    )


def config_from_mapping(
    table: dict[str, Any], base_dir: Path | None = None, skip_foreign_tables: bool = False
) -> CatalogueConfig:
    """Build a config from a plain mapping (the ``[catalogue]`` table of the TOML file)."""
    known = {f.name for f in fields(CatalogueConfig)}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if skip_foreign_tables and isinstance(value, dict) and key not in known:
            continue
        if key not in known:
            raise ConfigError(
                f"{key}: unknown catalogue option (known: {', '.join(sorted(known))})"
            )
        kwargs[key] = value
    for key in ("mapping_file", "unmapped_file", "duckdb_temp_directory"):
        if kwargs.get(key) is not None:
            p = Path(str(kwargs[key]))
            if base_dir is not None and not p.is_absolute():
                p = base_dir / p
            kwargs[key] = p
    if "codes" in kwargs:
        if not isinstance(kwargs["codes"], dict):
            raise ConfigError("codes: expected a table of default code = override code")
        kwargs["codes"] = {str(k): v for k, v in kwargs["codes"].items()}
    if "age_bands" in kwargs:
        bands = kwargs["age_bands"]
        if not isinstance(bands, list):
            raise ConfigError("age_bands: expected a list like ['0-5', '6-12', '13+']")
        kwargs["age_bands"] = tuple(parse_age_band(b) for b in bands)
    if "diagnosis_groups" in kwargs:
        groups = kwargs["diagnosis_groups"]
        if not isinstance(groups, list):
            raise ConfigError("diagnosis_groups: expected an array of tables")
        kwargs["diagnosis_groups"] = tuple(_parse_group(g, i) for i, g in enumerate(groups))
    if "products" in kwargs:
        if not isinstance(kwargs["products"], list):
            raise ConfigError("products: expected a list of product codes")
        kwargs["products"] = tuple(str(p) for p in kwargs["products"])
    for key in ("open_future_periods", "duckdb_threads"):
        if key in kwargs and (not isinstance(kwargs[key], int) or isinstance(kwargs[key], bool)):
            raise ConfigError(f"{key}: expected an integer, got {kwargs[key]!r}")
    return CatalogueConfig(**kwargs)
