"""DHIS2 metadata bundle (``POST /api/metadata`` JSON) for a catalogue, built in named steps.

Deterministic: UIDs come from :func:`adx.dhis2.uids.uid_for` on each object's code, so a re-built
bundle updates the same objects. Steps, in DHIS2's import order: categories (options, categories,
combos, COCs), data sets (elements, org units, data sets), indicators, visualizations and dashboards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adx.dhis2.bundle.categories import (
    KIND_COC,
    category_objects,
    category_option_objects,
    coc_code,
    coc_uid,
    collect,
    combo_objects,
    combo_options,
    combo_uid,
    options_resolver,
)
from adx.dhis2.bundle.common import MAX_CODE, MAX_SHORT_NAME, PUBLIC_DATA_WRITE, BuildContext
from adx.dhis2.bundle.datasets import (
    OrgUnit,
    data_element_objects,
    data_set_objects,
    org_unit_objects,
)
from adx.dhis2.bundle.indicators import indicator_objects, operand_expressions
from adx.dhis2.bundle.visualizations import analytics_objects, dashboard_item_uid
from adx.json_types import JsonObject
from adx.model import Catalogue

__all__ = [
    "KIND_COC", "MAX_CODE", "MAX_SHORT_NAME", "PUBLIC_DATA_WRITE", "OrgUnit", "build_bundle",
    "coc_code", "coc_uid", "combo_options", "combo_uid", "dashboard_item_uid",
    "operand_expressions", "options_resolver",
]  # fmt: skip

# Bundle keys in DHIS2's import order (referenced types before the types referencing them).
BUNDLE_ORDER = (
    "organisationUnits", "categoryOptions", "categories", "categoryCombos", "categoryOptionCombos",
    "dataElements", "dataSets", "indicatorTypes", "indicators", "visualizations", "dashboards",
)  # fmt: skip


def build_bundle(
    catalogue: Catalogue,
    *,
    org_units: Sequence[OrgUnit] = (),
    data_set_org_units: Mapping[str, Sequence[str]] | None = None,
    include_category_option_combos: bool = True,
) -> JsonObject:
    """The ``/api/metadata`` payload for ``catalogue`` (CONTRACT.md §4).

    ``data_set_org_units`` maps a data set code to the org unit codes assigned to it; when
    ``None`` every org unit of ``org_units`` is assigned to every data set. Every referenced org
    unit code must be in ``org_units`` (give ``uid=`` for units that already exist in DHIS2).
    Raises DefinitionError on inconsistent definitions, naming the offending code.
    """
    for ds in catalogue.data_sets:
        ds.validate()
    ctx = BuildContext()
    elements, categories = collect(catalogue)
    objects: dict[str, list[JsonObject]] = {
        "categoryOptions": category_option_objects(ctx, categories),
        "categories": category_objects(ctx, categories),
    }
    objects["categoryCombos"], objects["categoryOptionCombos"] = combo_objects(
        ctx, elements, with_cocs=include_category_option_combos
    )
    objects["dataElements"] = data_element_objects(ctx, elements)
    ou_by_code, objects["organisationUnits"] = org_unit_objects(ctx, org_units)
    objects["dataSets"] = data_set_objects(ctx, catalogue, ou_by_code, data_set_org_units)
    objects["indicatorTypes"], objects["indicators"] = indicator_objects(
        ctx, catalogue, elements, with_cocs=include_category_option_combos
    )
    objects["visualizations"], objects["dashboards"] = analytics_objects(ctx, catalogue, categories)
    return {key: objects[key] for key in BUNDLE_ORDER if objects[key]}
