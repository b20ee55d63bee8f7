"""A small catalogue, its metadata bundle and data values for the emulator tests.

Expected state is derived from these plain lists, and stored values are read straight from
the emulator's store (UIDs mapped to codes here), not through the client under test.
"""

from __future__ import annotations

from adx.dhis2.metadata import OrgUnit, build_bundle
from adx.model import Catalogue, Category, CategoryOption, DataElement, DataSetDefinition, DataValue

SEX = Category("SEX", "Sex", (CategoryOption("F", "Female"), CategoryOption("M", "Male")))
AGE = Category(
    "AGE", "Age", (CategoryOption("LT5", "Under 5"), CategoryOption("GE5", "5 and over"))
)
CASES = DataElement("T_CASES", "Test cases", (SEX, AGE))
AMOUNT = DataElement("T_AMOUNT", "Test amount", value_type="NUMBER")
NOTE = DataElement("T_NOTE", "Test note", value_type="TEXT", aggregation_type="NONE")
DATA_SET = DataSetDefinition("DS_T", "Test data set", "Monthly", (CASES, AMOUNT, NOTE))
DEFINITIONS = {DATA_SET.code: DATA_SET}
ORG_UNITS = ("OU_A", "OU_B", "OU_C")
PERIODS = ("202401", "202402")


def bundle() -> dict:
    ous = [OrgUnit("OU_ROOT", "Root")] + [OrgUnit(c, f"Facility {c}", "OU_ROOT") for c in ORG_UNITS]
    return build_bundle(
        Catalogue((DATA_SET,)), org_units=ous, data_set_org_units={"DS_T": list(ORG_UNITS)}
    )


def cube(
    *, org_units=ORG_UNITS, periods=PERIODS, bump: int = 0, text: bool = False
) -> list[DataValue]:
    """Every cell: 4 disaggregated T_CASES and one T_AMOUNT per org unit x period (+ T_NOTE)."""
    out = []
    for i, ou in enumerate(org_units):
        for j, pe in enumerate(periods):
            n = 0
            for sex in ("F", "M"):
                for age in ("LT5", "GE5"):
                    n += 1
                    out.append(DataValue("DS_T", pe, ou, "T_CASES", str(10 * i + j + n + bump),
                                         (("SEX", sex), ("AGE", age))))  # fmt: skip
            out.append(DataValue("DS_T", pe, ou, "T_AMOUNT", f"{i}.{j}5"))
            if text:
                out.append(DataValue("DS_T", pe, ou, "T_NOTE", f"note <{ou}> & {pe}"))
    return out


def stored(emulator, include_deleted: bool = False) -> dict[tuple, str]:
    """The emulator's stored values as {(period, org unit, element, option codes): value}."""
    objects = emulator.store.objects
    out = {}
    for row in emulator.data_values(include_deleted):
        coc = objects["categoryOptionCombos"][row["categoryOptionCombo"]]
        options = frozenset(
            objects["categoryOptions"][o["id"]]["code"] for o in coc.get("categoryOptions", [])
        )
        options -= {"default"}
        key = (
            row["period"],
            objects["organisationUnits"][row["orgUnit"]]["code"],
            objects["dataElements"][row["dataElement"]]["code"],
            options,
        )
        out[key] = row["value"]
    return out


def expected(values) -> dict[tuple, str]:
    return {(v.period, v.org_unit, v.data_element, frozenset(o for _, o in v.category_options)): v.value
            for v in values}  # fmt: skip
