"""Asset factories, one module per stage: extract, data sets, exports, DHIS2 push."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class DatasetSpec:
    """One DHIS2 data set and the assets built for it."""

    code: str  # DHIS2 data set code, e.g. OI_CLAIMS
    stem: str  # asset name stem: <stem>_dataset, <stem>_export, <stem>_push
    facts: tuple[str, ...]  # extract assets it is built from (aggregations.DATASET_FACTS)
    side: str  # org units: "residence" (family location) or "facility" (health facility)
    yearly: bool = False

    @property
    def dataset_key(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.stem}_dataset")

    @property
    def export_key(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.stem}_export")

    @property
    def push_key(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.stem}_push")

    @property
    def keys(self) -> list[dg.AssetKey]:
        facts = [dg.AssetKey(f) for f in self.facts]
        return [*facts, self.dataset_key, self.export_key, self.push_key]


# Mirrors aggregations.DATASET_FACTS (a test keeps them equal); written out here so that the
# definitions load, and the asset graph is readable, without importing the aggregation code.
DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        "OI_ENROLMENT", "enrolment", ("insurees", "policies", "contributions"), "residence"
    ),
    DatasetSpec("OI_CLAIMS", "claims", ("claims",), "facility"),
    DatasetSpec("OI_POPULATION", "population", ("population",), "residence", yearly=True),
)


def dataset_spec(code: str) -> DatasetSpec:
    for spec in DATASETS:
        if spec.code == code:
            return spec
    raise KeyError(f"unknown data set {code!r}; known: {', '.join(s.code for s in DATASETS)}")
