"""The indicator catalogue of INDICATORS.md v1.1 as code: one registry, DuckDB SQL over a snapshot.

Public API (the Dagster/CLI code depends on it):

- ``CatalogueConfig``, ``load_config(path)``, ``ConfigError``: configuration.
- ``DATASETS`` / ``DATASET_CODES`` (``registry``): the data sets, their facts, sides, period types.
- ``build_catalogue(config, product_codes=None)``: the data sets + DHIS2 indicators (adx model).
- ``snapshot_reads(dataset_codes, periods, config)``: the table reads a run's snapshot needs.
- ``compute_dataset(snapshot, dataset_code, periods, config)``: frame of ``FRAME_COLUMNS``.
- ``reconcile(snapshot, dataset_code, frame, periods, config)``: totals vs separate simple SQL.
- ``product_codes(snapshot)``, ``org_units(snapshot, config)``: the reference dimensions
  (``reference_reads()``: a snapshot of only those tables).
- ``UnmappedOrgUnitsError``: an org unit with data has no DHIS2 id (``.codes`` lists them).
"""

from .build import build_dataset
from .catalogue import build_catalogue
from .compute import FACT_COLUMNS, compute_dataset, compute_facts, product_codes
from .config import CatalogueConfig, ConfigError, load_config
from .errors import UnmappedOrgUnitsError
from .orgunits import ORG_UNIT_COLUMNS, org_units
from .periods import PeriodMismatchError
from .reconcile import ReconciliationProblem, reconcile
from .registry import DATASET_CODES, DATASET_FACTS, DATASETS, FACTS
from .sources import reference_reads, snapshot_reads

__all__ = [
    "DATASETS",
    "DATASET_CODES",
    "DATASET_FACTS",
    "FACTS",
    "FACT_COLUMNS",
    "ORG_UNIT_COLUMNS",
    "CatalogueConfig",
    "ConfigError",
    "PeriodMismatchError",
    "ReconciliationProblem",
    "UnmappedOrgUnitsError",
    "build_catalogue",
    "build_dataset",
    "compute_dataset",
    "compute_facts",
    "load_config",
    "org_units",
    "product_codes",
    "reconcile",
    "reference_reads",
    "snapshot_reads",
]
