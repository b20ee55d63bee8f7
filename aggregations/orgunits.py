"""openIMIS locations and health facilities (from the snapshot) -> DHIS2 org unit ids.

Residence side: every location (current or deleted, never history copies; a current row with
``LegacyID = PK`` is current, SCHEMA.md §1 quirk) with its ancestor-or-self at the configured
level, found by walking ``ParentLocationId`` and checking ``LocationType``. Facility side: every
health facility. ``org_unit`` is the DHIS2 id of the roll-up target (NA when unmapped).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from adx.model import check_code

from .config import LEVEL_TYPE, CatalogueConfig, ConfigError
from .duck import SnapshotLike

ORG_UNIT_COLUMNS = ("side", "key", "type", "code", "uuid", "rollup_key", "org_unit")
MAX_DEPTH = 16  # guards against a cycle in ParentLocationId


def _not_history(path: Path, pk: str, columns: list[str]) -> list[tuple]:
    """Rows of a snapshot table that are current or deleted, never history copies (a current
    row with ``LegacyID = PK`` is current: SCHEMA.md §1 quirk)."""
    frame = pq.read_table(path, columns=[*columns, "ValidityTo", "LegacyID"]).to_pandas()
    legacy = frame["LegacyID"]
    keep = frame["ValidityTo"].isna() | legacy.isna() | (legacy == frame[pk])
    kept = frame.loc[keep, columns].astype(object).where(frame.loc[keep, columns].notna(), None)
    return [tuple(r) for r in kept.itertuples(index=False, name=None)]


def load_mapping(path: Path) -> dict[tuple[str, str], str]:
    """CSV ``openimis_code,dhis2_id[,kind]`` -> {(kind or '*', code): dhis2 id}."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"mapping_file: cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"mapping_file {path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    cols = set(reader.fieldnames or ())
    if not {"openimis_code", "dhis2_id"} <= cols:
        raise ConfigError(
            f"mapping_file {path}: header must have openimis_code,dhis2_id[,kind], got {sorted(cols)}"
        )
    out: dict[tuple[str, str], str] = {}
    for n, row in enumerate(reader, start=2):
        code, target = (
            (row.get("openimis_code") or "").strip(),
            (row.get("dhis2_id") or "").strip(),
        )
        kind = (row.get("kind") or "").strip() or "*"
        if kind not in ("*", "location", "facility"):
            raise ConfigError(
                f"mapping_file {path} line {n}: kind must be location or facility, got {kind!r}"
            )
        if not code or not target:
            raise ConfigError(f"mapping_file {path} line {n}: empty openimis_code or dhis2_id")
        if (kind, code) in out and out[(kind, code)] != target:
            raise ConfigError(f"mapping_file {path} line {n}: {code!r} is mapped twice")
        out[(kind, code)] = target
    return out


def org_units(snapshot: SnapshotLike, config: CatalogueConfig) -> pd.DataFrame:
    """Frame of ``ORG_UNIT_COLUMNS``: every location and facility with its DHIS2 id."""
    locs = _not_history(
        snapshot.path("tblLocations"),
        "LocationId",
        ["LocationId", "LocationCode", "LocationUUID", "LocationType", "ParentLocationId"],
    )
    hfs = _not_history(snapshot.path("tblHF"), "HfID", ["HfID", "HFCode", "HfUUID"])
    mapping = load_mapping(config.mapping_file) if config.org_unit_id == "mapping" else {}

    def dhis2_id(kind: str, code: str | None, uuid: str | None) -> str | None:
        if config.org_unit_id == "code":
            return code.strip() if code and code.strip() else None
        if config.org_unit_id == "uuid":
            return str(uuid).lower() if uuid else None
        if not code:
            return None
        code = code.strip()
        return mapping.get((kind, code), mapping.get(("*", code)))

    by_id = {r[0]: r for r in locs}
    want = LEVEL_TYPE[config.residence_level]
    rows = []
    for lid, code, uuid, ltype, _parent in locs:
        target, cur = None, by_id.get(lid)
        for _ in range(MAX_DEPTH):
            if cur is None:
                break
            if (cur[3] or "").strip() == want:
                target = cur
                break
            cur = by_id.get(cur[4]) if cur[4] is not None else None
        rows.append(
            (
                "residence",
                lid,
                (ltype or "").strip(),
                code,
                uuid,
                target[0] if target else None,
                dhis2_id("location", target[1], target[2]) if target else None,
            )
        )
    for hid, code, uuid in hfs:
        rows.append(("facility", hid, "HF", code, uuid, hid, dhis2_id("facility", code, uuid)))
    for side, _key, _type, _code, _uuid, rollup, org_unit in rows:
        if org_unit is not None:  # the DHIS2 org unit id must travel unchanged to ADX / JSON
            table = "tblHF HfID" if side == "facility" else "tblLocations LocationId"
            check_code(org_unit, f"org unit of {table}={rollup}")
    frame = pd.DataFrame(rows, columns=list(ORG_UNIT_COLUMNS))
    for col in ("side", "type", "code", "uuid", "org_unit"):
        frame[col] = frame[col].astype("string")
    for col in ("key", "rollup_key"):
        frame[col] = frame[col].astype("Int64")
    return frame


def residence_keys(org_units_frame: pd.DataFrame) -> pd.DataFrame:
    """``location_id`` -> ``res_key`` (its ancestor at the configured level), for the SQL."""
    res = org_units_frame[org_units_frame["side"] == "residence"]
    return pd.DataFrame(
        {"location_id": res["key"].to_numpy(), "res_key": res["rollup_key"].to_numpy()}
    )
