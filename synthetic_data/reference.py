"""Master data: location tree with populations, health facilities, claim admins, officers, payers,
products, ICD codes, items and services. Small tables, generated in one go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from openimis_db.codes import CareType, HFLevel, LocationType
from synthetic_data import catalogue as cat
from synthetic_data._util import (
    codes,
    dates,
    join_text,
    nullable_int,
    pick,
    rng_for,
    stamps,
    text,
    uuids,
)
from synthetic_data.context import AUDIT_USER, Context
from synthetic_data.profiles import Pools

STREAM = 1  # RNG stream id of the master data
IDENTITY_STREAM = 3  # names and phones of places, facilities and staff: never move other draws
SHARE_TOWNS = 0.15  # share of villages that are towns (they hold the profile's urban share)


def tree_shape(n_insurees: int) -> tuple[int, int, int, int]:
    """(regions, districts per region, wards per district, villages per ward) for a scheme size."""
    if n_insurees <= 10_000:
        return 2, 2, 3, 3
    if n_insurees <= 300_000:
        return 4, 4, 5, 6
    return 8, 5, 8, 10


@dataclass
class Reference:
    """Frames of the master tables plus the lookups the people/claims generators need."""

    frames: dict[str, pd.DataFrame]
    village_ids: np.ndarray  # current village LocationIds
    village_district: np.ndarray  # index into district_ids, per village
    village_region: np.ndarray  # index into region_ids, per village
    village_cumulative: np.ndarray  # cumulative share of families per village (towns weigh more)
    district_ids: np.ndarray
    hf_ids: np.ndarray
    hf_district: np.ndarray  # index into district_ids, per HF
    hf_level: np.ndarray  # 'D' / 'C' / 'H'
    hf_admin: np.ndarray  # ClaimAdminId per HF
    officer_ids: np.ndarray
    officer_district: np.ndarray
    product_ids: np.ndarray  # [basic national, plus national, regional ...]
    product_region: np.ndarray  # region index or -1 for national
    product_premium: np.ndarray  # (adult, child) per product
    payer_ids: np.ndarray
    icd_ids: np.ndarray
    icd_group: np.ndarray
    item_ids: np.ndarray
    item_price: np.ndarray
    item_type: np.ndarray
    service_ids: np.ndarray
    service_price: np.ndarray
    service_cat: np.ndarray  # category code, '' for NULL


def build_reference(ctx: Context) -> Reference:
    rng = rng_for(ctx.seed, STREAM)
    id_rng = rng_for(ctx.seed, IDENTITY_STREAM)
    frames: dict[str, pd.DataFrame] = {}
    loc = _locations(ctx, rng, id_rng)
    frames["tblLocations"] = loc.pop("frame")
    hf = _health_facilities(ctx, rng, loc, id_rng)
    frames["tblHF"] = hf.pop("frame")
    frames["tblClaimAdmin"] = hf.pop("admins")
    off = _officers(ctx, rng, loc, id_rng)
    frames["tblOfficer"] = off.pop("frame")
    frames["tblPayer"], payer_ids = _payers(ctx, rng, loc)
    prod = _products(ctx, rng, loc)
    frames["tblProduct"] = prod.pop("frame")
    frames["tblICDCodes"], icd_ids, icd_group = _icd(ctx, rng)
    frames["tblItems"], items = _items(ctx, rng)
    frames["tblServices"], services = _services(ctx, rng)
    return Reference(
        frames=frames,
        **loc,
        **hf,
        **off,
        **prod,
        payer_ids=payer_ids,
        icd_ids=icd_ids,
        icd_group=icd_group,
        item_ids=items["ids"],
        item_price=items["price"],
        item_type=items["type"],
        service_ids=services["ids"],
        service_price=services["price"],
        service_cat=services["cat"],
    )


# one reference table's frame and the arrays later steps draw from (ids, districts, levels, ...)
_Parts = dict[str, Any]


# a column of the old versions computed from the copied rows (an older name, an older price)
_Change = Callable[[pd.DataFrame], pd.Series | pd.arrays.ArrowStringArray]


def _history_copies(
    ctx: Context,
    table: str,
    frame: pd.DataFrame,
    pk: str,
    rows: np.ndarray,
    rng: np.random.Generator,
    changes: Mapping[str, str | _Change],
) -> pd.DataFrame:
    """Old versions of ``rows``: a new PK, LegacyID = stable id, ValidityTo = the current ValidityFrom."""
    old = frame.iloc[rows].copy()
    old["LegacyID"] = nullable_int(old[pk].to_numpy(), np.zeros(len(old), bool))
    old[pk] = ctx.ids(table, len(old))
    vf = old["ValidityFrom"]
    old["ValidityTo"] = vf
    old["ValidityFrom"] = vf - pd.to_timedelta(rng.integers(30, 400, len(old)), unit="D")
    for col, value in changes.items():
        old[col] = value(old) if callable(value) else value
    uuid_cols = [c for c in old.columns if c.endswith("UUID")]
    for c in uuid_cols:
        old[c] = uuids(rng, len(old)).to_numpy()
    return old


def _place_names(
    id_rng: np.random.Generator, names: list[str], n: int
) -> pd.arrays.ArrowStringArray:
    return pick(names, id_rng.integers(0, len(names), n))


def _staff_names(
    pools: Pools, id_rng: np.random.Generator, n: int, share_male: float
) -> tuple[pd.arrays.ArrowStringArray, np.ndarray]:
    """(LastName, OtherNames) of ``n`` officers or claim administrators."""
    male = id_rng.random(n) < share_male
    last = pools.family.sample(id_rng, n)
    given = np.where(
        male, pools.male.sample(id_rng, n).to_numpy(), pools.female.sample(id_rng, n).to_numpy()
    )
    return last, given


def _locations(ctx: Context, rng: np.random.Generator, id_rng: np.random.Generator) -> _Parts:
    n_r, n_d, n_w, n_v = tree_shape(ctx.options.n_insurees)
    counts = [n_r, n_r * n_d, n_r * n_d * n_w, n_r * n_d * n_w * n_v]
    kinds = [
        t.value
        for t in (
            LocationType.REGION,
            LocationType.DISTRICT,
            LocationType.WARD,
            LocationType.VILLAGE,
        )
    ]
    prefixes = ["R", "D", "W", "V"]
    widths = [2, 3, 5, 7]
    parts, ids_by_level = [], []
    for level, (n, kind) in enumerate(zip(counts, kinds, strict=True)):
        ids = ctx.ids("tblLocations", n)
        ids_by_level.append(ids)
        parent = (
            np.zeros(n, np.int64)
            if level == 0
            else np.repeat(ids_by_level[level - 1], n // counts[level - 1])
        )
        pools = ctx.pools
        level_names = (pools.regions, pools.districts, pools.localities, pools.localities)[level]
        names = _place_names(id_rng, level_names, n)
        parts.append(
            pd.DataFrame(
                {
                    "LocationId": ids,
                    "LocationUUID": uuids(rng, n),
                    "LocationCode": codes(prefixes[level], np.arange(1, n + 1), widths[level]),
                    "LocationName": join_text(names, codes("", np.arange(1, n + 1), 1)),
                    "ParentLocationId": nullable_int(parent, np.full(n, level == 0)),
                    "LocationType": kind,
                    "ValidityFrom": stamps(np.full(n, ctx.span_start - 3 * 365), rng),
                    "ValidityTo": stamps(np.zeros(n), rng, null=np.ones(n, bool)),
                    "AuditUserId": AUDIT_USER,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    # Population at village level only (as openIMIS keeps it); a few villages lack figures.
    n_villages = counts[3]
    # Towns (a fixed share of villages) hold the profile's urban share of the people.
    urban = ctx.profile.demographics.urban_share
    n_towns = max(1, round(SHARE_TOWNS * n_villages))
    town = np.zeros(n_villages, bool)
    town[rng.choice(n_villages, n_towns, replace=False)] = True
    weight = np.where(town, urban / n_towns, (1 - urban) / (n_villages - n_towns))
    cumulative = np.cumsum(weight / weight.sum())
    cumulative[-1] = 1.0
    pop = rng.gamma(4.0, weight * ctx.options.n_insurees / 0.45 / 4.0)  # ~45% insured
    male = np.round(pop * 0.49).astype(np.int64)
    female = np.round(pop * 0.505).astype(np.int64)
    other = rng.binomial(3, 0.2, n_villages)
    fams = np.round(pop / rng.uniform(4.5, 5.5, n_villages)).astype(np.int64)
    missing = rng.random(n_villages) < 0.03
    v = frame["LocationType"] == LocationType.VILLAGE
    for col, val in (
        ("MalePopulation", male),
        ("FemalePopulation", female),
        ("OtherPopulation", other),
        ("Families", fams),
    ):
        full = np.zeros(len(frame), np.int64)
        null = np.ones(len(frame), bool)
        full[v.to_numpy()] = val
        null[v.to_numpy()] = missing
        frame[col] = nullable_int(full, null)
    # Mess: renamed locations keep history copies; one extra village was deleted (no one lives there).
    hist_rows = rng.choice(len(frame), size=max(2, len(frame) // 50), replace=False)
    history = _history_copies(
        ctx,
        "tblLocations",
        frame,
        "LocationId",
        np.sort(hist_rows),
        rng,
        {"LocationName": lambda f: join_text(f["LocationName"], "(old name)")},
    )
    deleted = frame.iloc[[len(frame) - 1]].copy()
    deleted["LocationId"] = ctx.ids("tblLocations", 1)
    deleted["LocationUUID"] = uuids(rng, 1).to_numpy()
    deleted["LocationCode"] = "VDEL01"
    deleted["ValidityTo"] = deleted["ValidityFrom"] + pd.Timedelta(days=200)
    frame = pd.concat([frame, history, deleted], ignore_index=True)
    frame["LegacyID"] = frame["LegacyID"].astype("Int64") if "LegacyID" in frame else None
    n_w_total = counts[2]
    village_ward = np.repeat(np.arange(n_w_total), n_v)
    ward_district = np.repeat(np.arange(counts[1]), n_w)
    district_region = np.repeat(np.arange(n_r), n_d)
    village_district = ward_district[village_ward]
    return {
        "frame": frame,
        "village_ids": ids_by_level[3],
        "village_district": village_district,
        "village_region": district_region[village_district],
        "village_cumulative": cumulative,
        "district_ids": ids_by_level[1],
    }


def _health_facilities(
    ctx: Context, rng: np.random.Generator, loc: _Parts, id_rng: np.random.Generator
) -> _Parts:
    n_d = len(loc["district_ids"])
    per = 2 + ctx.options.n_insurees // (n_d * 8000)  # more facilities in bigger schemes
    levels: list[str] = []
    districts: list[int] = []
    for d in range(n_d):
        k = int(per + rng.integers(0, 3))
        lv = (
            ["H"] * (1 if d % 2 == 0 or per > 3 else 0)
            + ["C"] * max(1, k // 3)
            + ["D"] * max(1, k - k // 3)
        )
        levels += lv
        districts += [d] * len(lv)
    n = len(levels)
    level = np.array(levels)
    district = np.array(districts)
    ids = ctx.ids("tblHF", n)
    hospital, centre = level == HFLevel.HOSPITAL, level == HFLevel.HEALTH_CENTRE
    care = np.where(hospital | centre, CareType.BOTH.value, CareType.OUT_PATIENT.value)
    care = np.where(hospital & (rng.random(n) < 0.3), CareType.IN_PATIENT.value, care)
    names = _place_names(id_rng, ctx.pools.localities, n).to_numpy()
    formats = ctx.profile.facility_names
    hf_names = text([formats[lv].format(name) for lv, name in zip(level, names, strict=True)])
    sub = rng.integers(-1, 3, n)
    frame = pd.DataFrame(
        {
            "HfID": ids,
            "HfUUID": uuids(rng, n),
            "HFCode": codes("HF", np.arange(1, n + 1), 5),
            "HFName": hf_names,
            "AccCode": codes("ACC", np.arange(1, n + 1), 5),
            "HFLevel": level,
            "HFAddress": pd.Series([None] * n, dtype="str"),
            "Phone": ctx.pools.phone(id_rng, n),
            "HFCareType": care,
            "OffLine": False,
            "AuditUserID": AUDIT_USER,
            "LegalForm": np.array(["G", "C", "P", "D"])[rng.choice(4, n, p=[0.6, 0.2, 0.15, 0.05])],
            "LocationId": loc["district_ids"][district],
            "HFSublevel": pick(["I", "N", "R"], sub),
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 2 * 365), rng),
            "ValidityTo": stamps(np.zeros(n), rng, null=np.ones(n, bool)),
            "LegacyID": nullable_int(ids, np.ones(n, bool)),
        }
    )
    # Quirk seen in openIMIS's demo data: current HFs whose LegacyID equals their own HfID.
    quirk = rng.choice(n, size=max(1, n // 25), replace=False)
    legacy = frame["LegacyID"].copy()
    legacy.iloc[quirk] = frame["HfID"].iloc[quirk].to_numpy()
    frame["LegacyID"] = legacy
    history = _history_copies(
        ctx,
        "tblHF",
        frame,
        "HfID",
        np.sort(rng.choice(n, max(1, n // 10), replace=False)),
        rng,
        {"HFName": lambda f: join_text(f["HFName"], "(old)")},
    )
    history["LegacyID"] = history["LegacyID"].astype("Int64")
    admins_ids = ctx.ids("tblClaimAdmin", n)
    admin_last, admin_given = _staff_names(ctx.pools, id_rng, n, 0.5)
    admins = pd.DataFrame(
        {
            "ClaimAdminId": admins_ids,
            "ClaimAdminUUID": uuids(rng, n),
            "ClaimAdminCode": codes("CA", np.arange(1, n + 1), 5),
            "LastName": admin_last,
            "OtherNames": admin_given,
            "DOB": dates(ctx.span_start - rng.integers(25 * 365, 60 * 365, n)),
            "HasLogin": True,
            "HFId": ids,
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 2 * 365), rng),
            "AuditUserId": AUDIT_USER,
        }
    )
    return {
        "frame": pd.concat([frame, history], ignore_index=True),
        "admins": admins,
        "hf_ids": ids,
        "hf_district": district,
        "hf_level": level,
        "hf_admin": admins_ids,
    }


def _officers(
    ctx: Context, rng: np.random.Generator, loc: _Parts, id_rng: np.random.Generator
) -> _Parts:
    n_d = len(loc["district_ids"])
    district = np.repeat(np.arange(n_d), 2 + ctx.options.n_insurees // (n_d * 20000))
    n = len(district)
    ids = ctx.ids("tblOfficer", n)
    last, given = _staff_names(ctx.pools, id_rng, n, 0.6)
    frame = pd.DataFrame(
        {
            "OfficerID": ids,
            "OfficerUUID": uuids(rng, n),
            "Code": codes("EO", np.arange(1, n + 1), 5),
            "LastName": last,
            "OtherNames": given,
            "LocationId": loc["district_ids"][district],
            "AuditUserID": AUDIT_USER,
            "DOB": dates(ctx.span_start - rng.integers(22 * 365, 55 * 365, n)),
            "Phone": ctx.pools.phone(id_rng, n),
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 2 * 365), rng),
        }
    )
    return {"frame": frame, "officer_ids": ids, "officer_district": district}


def _payers(ctx: Context, rng: np.random.Generator, loc: _Parts) -> tuple[pd.DataFrame, np.ndarray]:
    spec = [
        ("G", "Ministry of Health"),
        ("D", "Health Development Fund"),
        ("L", "District Council"),
        ("C", "Farmers' Cooperative"),
        ("P", "Mining Company Ltd"),
        ("O", "Église de la Paix"),
    ]
    n = len(spec)
    ids = ctx.ids("tblPayer", n)
    frame = pd.DataFrame(
        {
            "PayerID": ids,
            "PayerUUID": uuids(rng, n),
            "PayerType": [s[0] for s in spec],
            "PayerName": [s[1] for s in spec],
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 365), rng),
            "AuditUserID": AUDIT_USER,
            "LocationId": nullable_int(
                np.r_[0, 0, loc["district_ids"][0], 0, 0, 0], np.array([1, 1, 0, 1, 1, 1], bool)
            ),
        }
    )
    return frame, ids


def _products(ctx: Context, rng: np.random.Generator, loc: _Parts) -> _Parts:
    regions = np.unique(loc["village_region"])
    spec = [
        ("BASIC", "Basic health cover", -1, 15000.0, 7500.0),
        ("PLUS", "Plus cover (with surgery)", -1, 30000.0, 15000.0),
    ]
    spec += [
        (f"REG{r + 1:02d}", f"Regional community cover {r + 1}", int(r), 10000.0, 5000.0)
        for r in regions[:2]
    ]
    n = len(spec)
    ids = ctx.ids("tblProduct", n)
    frame_region = np.array([s[2] for s in spec])
    # Region LocationIds were allocated just before the districts' ids, in region order.
    n_r = int(loc["village_region"].max()) + 1
    first_region_id = int(loc["district_ids"][0]) - n_r
    region_loc = first_region_id + np.maximum(frame_region, 0)
    frame = pd.DataFrame(
        {
            "ProdID": ids,
            "ProdUUID": uuids(rng, n),
            "ProductCode": [s[0] for s in spec],
            "ProductName": [s[1] for s in spec],
            "DateFrom": pd.Series(
                pd.to_datetime(dates(np.full(n, ctx.span_start - 5 * 365)))
            ).dt.tz_localize("UTC"),
            "DateTo": pd.Series(
                pd.to_datetime(dates(np.full(n, ctx.span_end + 5 * 365)))
            ).dt.tz_localize("UTC"),
            "LumpSum": 0.0,
            "MemberCount": 12,
            "PremiumAdult": [s[3] for s in spec],
            "PremiumChild": [s[4] for s in spec],
            "GracePeriod": 1,
            "AuditUserID": AUDIT_USER,
            "LocationId": nullable_int(region_loc, frame_region < 0),
            "InsurancePeriod": 12,
            "RegistrationFee": 2000.0,
            "GeneralAssemblyFee": 0.0,
            "StartCycle1": None,
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 5 * 365), rng),
        }
    )
    return {
        "frame": frame,
        "product_ids": ids,
        "product_region": frame_region,
        "product_premium": np.array([[s[3], s[4]] for s in spec]),
    }


def _icd(ctx: Context, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n = len(cat.ICD_CODES)
    ids = ctx.ids("tblICDCodes", n)
    frame = pd.DataFrame(
        {
            "ICDID": ids,
            "ICDCode": [c[0] for c in cat.ICD_CODES],
            "ICDName": [c[1] for c in cat.ICD_CODES],
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 5 * 365), rng),
            "AuditUserID": AUDIT_USER,
        }
    )
    # Mess: an obsolete, deleted code (never used by current claims) and a renamed one with history.
    deleted = pd.DataFrame(
        {
            "ICDID": ctx.ids("tblICDCodes", 1),
            "ICDCode": ["B54.0"],
            "ICDName": ["Malaria (obsolete)"],
            "ValidityFrom": stamps(np.array([ctx.span_start - 6 * 365]), rng),
            "ValidityTo": stamps(np.array([ctx.span_start - 4 * 365]), rng),
            "AuditUserID": AUDIT_USER,
        }
    )
    hist = _history_copies(
        ctx,
        "tblICDCodes",
        frame.assign(ValidityTo=None, LegacyID=None),
        "ICDID",
        np.array([0]),
        rng,
        {"ICDName": "Falciparum malaria (old label)"},
    )
    frame = pd.concat([frame, deleted, hist], ignore_index=True)
    frame["LegacyID"] = frame["LegacyID"].astype("Int64")
    return frame, ids, np.array([c[2] for c in cat.ICD_CODES])


def _items(ctx: Context, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(cat.ITEMS)
    ids = ctx.ids("tblItems", n)
    frame = pd.DataFrame(
        {
            "ItemID": ids,
            "ItemUUID": uuids(rng, n),
            "ItemCode": [c[0] for c in cat.ITEMS],
            "ItemName": [c[1] for c in cat.ITEMS],
            "ItemType": [c[2] for c in cat.ITEMS],
            "ItemPackage": "unit",
            "ItemPrice": [c[3] for c in cat.ITEMS],
            "ItemCareType": [c[4] for c in cat.ITEMS],
            "ItemPatCat": [c[5] for c in cat.ITEMS],
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 3 * 365), rng),
            "AuditUserID": AUDIT_USER,
        }
    )
    hist = _history_copies(
        ctx,
        "tblItems",
        frame.assign(ValidityTo=None, LegacyID=None),
        "ItemID",
        np.array([0, 4, 12]),
        rng,
        {"ItemPrice": lambda f: f["ItemPrice"] * 0.9},
    )
    frame = pd.concat([frame, hist], ignore_index=True)
    frame["LegacyID"] = frame["LegacyID"].astype("Int64")
    return frame, {
        "ids": ids,
        "price": np.array([c[3] for c in cat.ITEMS]),
        "type": np.array([c[2] for c in cat.ITEMS]),
    }


def _services(ctx: Context, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(cat.SERVICES)
    ids = ctx.ids("tblServices", n)
    frame = pd.DataFrame(
        {
            "ServiceID": ids,
            "ServiceUUID": uuids(rng, n),
            "ServCategory": text([c[2] for c in cat.SERVICES]),
            "ServCode": [c[0] for c in cat.SERVICES],
            "ServName": [c[1] for c in cat.SERVICES],
            "ServType": [c[3] for c in cat.SERVICES],
            "ServLevel": [c[4] for c in cat.SERVICES],
            "ServPrice": [c[5] for c in cat.SERVICES],
            "ServCareType": [c[6] for c in cat.SERVICES],
            "ServPatCat": [c[7] for c in cat.SERVICES],
            "ValidityFrom": stamps(np.full(n, ctx.span_start - 3 * 365), rng),
            "AuditUserID": AUDIT_USER,
        }
    )
    hist = _history_copies(
        ctx,
        "tblServices",
        frame.assign(ValidityTo=None, LegacyID=None),
        "ServiceID",
        np.array([0, 8]),
        rng,
        {"ServPrice": lambda f: f["ServPrice"] * 0.8},
    )
    frame = pd.concat([frame, hist], ignore_index=True)
    frame["LegacyID"] = frame["LegacyID"].astype("Int64")
    cats = np.array([c[2] or "" for c in cat.SERVICES])
    return frame, {"ids": ids, "price": np.array([c[5] for c in cat.SERVICES]), "cat": cats}


__all__ = ["Reference", "build_reference", "tree_shape"]
