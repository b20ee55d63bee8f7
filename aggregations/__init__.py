"""The indicator catalogue of INDICATORS.md as code: set-based SQL per source fact, then pandas.

Public API (stable; the Dagster/CLI and anonymiser code depends on it):

- ``CatalogueConfig``, ``load_config(path)``, ``ConfigError``: configuration.
- ``build_catalogue(config, product_codes=None)``: the three data sets + DHIS2 indicators.
- ``DATASET_FACTS``: data set code -> names of the extract facts that feed it.
- ``extract_fact(engine, fact, periods, config)``: one SQL query, a small long-form frame.
- ``extract_org_units(engine, config)``: openIMIS location / facility ids -> DHIS2 org unit ids.
- ``build_dataset(dataset_code, facts, periods, config, org_units)``: frame of ``FRAME_COLUMNS``.
- ``compute_dataset(engine, dataset_code, periods, config)``: extract + build.
- ``reconcile(engine, dataset_code, frame, periods, config)``: totals vs separate simple queries.
- ``UnmappedOrgUnitsError``: an org unit with data has no DHIS2 id (``.codes`` lists them).
"""

from .build import build_dataset
from .catalogue import DATASET_FACTS, build_catalogue
from .compute import compute_dataset, product_codes
from .config import CatalogueConfig, ConfigError, load_config
from .errors import UnmappedOrgUnitsError
from .facts import FACT_COLUMNS, extract_fact
from .orgunits import ORG_UNIT_COLUMNS, extract_org_units
from .periods import PeriodMismatchError
from .reconcile import ReconciliationProblem, reconcile

__all__ = [
    "DATASET_FACTS",
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
    "extract_fact",
    "extract_org_units",
    "load_config",
    "product_codes",
    "reconcile",
]
