"""Asset factories, one module per stage: extract, data sets, exports, DHIS2 push."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class DatasetSpec:
    """One DHIS2 data set and the assets built for it."""

    code: str  # DHIS2 data set code, e.g. OI_CLAIMS
    stem: str  # asset name stem: <stem>_dataset, <stem>_export, <stem>_push
    facts: tuple[str, ...]  # extract assets it is built from: its snapshot
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


def _specs() -> tuple[DatasetSpec, ...]:
    """One spec per data set of the catalogue registry; its extract asset is its snapshot."""
    from aggregations.registry import DATASETS as REGISTRY

    return tuple(
        DatasetSpec(d.code, d.stem, (f"{d.stem}_snapshot",), d.side, yearly=d.yearly)
        for d in REGISTRY.values()
    )


DATASETS: tuple[DatasetSpec, ...] = _specs()


def dataset_spec(code: str) -> DatasetSpec:
    for spec in DATASETS:
        if spec.code == code:
            return spec
    raise KeyError(f"unknown data set {code!r}; known: {', '.join(s.code for s in DATASETS)}")
