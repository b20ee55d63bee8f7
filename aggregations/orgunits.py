"""openIMIS locations and health facilities -> DHIS2 org unit ids, per configuration.

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
from sqlalchemy import Engine, or_, select

from openimis_db import tables as t

from .config import LEVEL_TYPE, CatalogueConfig, ConfigError

ORG_UNIT_COLUMNS = ("side", "key", "type", "code", "uuid", "rollup_key", "org_unit")
MAX_DEPTH = 16  # guards against a cycle in ParentLocationId


def _not_history(table, pk) -> object:
    return or_(table.c.ValidityTo.is_(None), table.c.LegacyID.is_(None), table.c.LegacyID == pk)


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


def extract_org_units(engine: Engine, config: CatalogueConfig) -> pd.DataFrame:
    loc, hf = t.tblLocations, t.tblHF
    with engine.connect() as conn:
        locs = conn.execute(
            select(
                loc.c.LocationId,
                loc.c.LocationCode,
                loc.c.LocationUUID,
                loc.c.LocationType,
                loc.c.ParentLocationId,
            ).where(_not_history(loc, loc.c.LocationId))
        ).all()
        hfs = conn.execute(
            select(hf.c.HfID, hf.c.HFCode, hf.c.HfUUID).where(_not_history(hf, hf.c.HfID))
        ).all()
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
    frame = pd.DataFrame(rows, columns=list(ORG_UNIT_COLUMNS))
    for col in ("side", "type", "code", "uuid", "org_unit"):
        frame[col] = frame[col].astype("string")
    for col in ("key", "rollup_key"):
        frame[col] = frame[col].astype("Int64")
    return frame
