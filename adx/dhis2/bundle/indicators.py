"""Bundle step: indicator types and indicators (expressions on our data element / COC UIDs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adx.dhis2.bundle.categories import coc_uid, combo_options
from adx.dhis2.bundle.common import BuildContext, unique_name, unique_short
from adx.dhis2.uids import uid_for
from adx.json_types import JsonObject
from adx.model import Catalogue, DataElement, DefinitionError, IndicatorDefinition, Operand

_FACTOR_NAMES = {1: "Number", 100: "Per cent", 1000: "Per thousand", 10000: "Per ten thousand",
                 100000: "Per hundred thousand"}  # fmt: skip


def indicator_objects(
    ctx: BuildContext,
    catalogue: Catalogue,
    elements: Mapping[str, DataElement],
    *,
    with_cocs: bool,
) -> tuple[list[JsonObject], list[JsonObject]]:
    """(indicator types, indicators) of the catalogue."""
    type_objs: dict[int, JsonObject] = {}
    out: list[JsonObject] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for ind in catalogue.indicators:
        ctx.check("indicator", ind.code)
        if ind.factor not in type_objs:
            type_objs[ind.factor] = _indicator_type(ctx, ind.factor)
        out.append(
            {
                "id": ctx.reg.uid("indicator", ind.code),
                "code": ind.code,
                "name": unique_name(ind.name, ind.code, names),
                "shortName": unique_short(ind.name, ind.code, shorts),
                "indicatorType": {"id": type_objs[ind.factor]["id"]},
                "numerator": _expression(ind, ind.numerator, elements, with_cocs),
                "numeratorDescription": _describe(ind.numerator),
                "denominator": _expression(ind, ind.denominator, elements, with_cocs),
                "denominatorDescription": _describe(ind.denominator),
                "annualized": False,
                **({"description": ind.description} if ind.description else {}),
            }
        )
    return list(type_objs.values()), out


def _indicator_type(ctx: BuildContext, factor: int) -> JsonObject:
    code = f"FACTOR_{factor}"
    return {
        "id": ctx.reg.uid("indicatorType", code),
        "code": code,
        "name": _FACTOR_NAMES.get(factor, f"Factor {factor}"),
        "factor": factor,
        "number": factor == 1,
    }


def operand_expressions(
    operand: Operand, elements: Mapping[str, DataElement], *, with_cocs: bool = True
) -> list[str]:
    """DHIS2 expression terms for one operand: ``#{de}`` or one ``#{de.coc}`` per matching COC."""
    de = elements.get(operand.data_element)
    if de is None:
        raise DefinitionError(
            f"indicator operand refers to unknown data element {operand.data_element!r}"
        )
    de_uid = uid_for("dataElement", de.code)
    if not operand.category_options:
        return [f"#{{{de_uid}}}"]
    cats = {c.code: c for c in de.categories}
    wanted: dict[str, set[str]] = {}
    for cat_code, opt_code in operand.category_options:
        cat = cats.get(cat_code)
        if cat is None:
            raise DefinitionError(
                f"indicator operand on {de.code!r} restricts category {cat_code!r}, which the element "
                f"does not have (it has {sorted(cats)})"
            )
        if opt_code not in cat.option_codes():
            raise DefinitionError(
                f"indicator operand on {de.code!r}: {opt_code!r} is not an option of category {cat_code!r}"
            )
        wanted.setdefault(cat_code, set()).add(opt_code)
    if not with_cocs:
        raise DefinitionError(
            f"indicator operand on {de.code!r} restricts category options and needs category option "
            "combo UIDs; build the bundle with include_category_option_combos=True"
        )
    terms = []
    for options in combo_options(de.categories):
        if all(opt in wanted[cat] for cat, opt in options if cat in wanted):
            terms.append(f"#{{{de_uid}.{coc_uid(options)}}}")
    return terms


def _expression(
    ind: IndicatorDefinition,
    operands: Sequence[Operand],
    elements: Mapping[str, DataElement],
    with_cocs: bool,
) -> str:
    if not operands:
        return "1"
    try:
        terms = [
            t for op in operands for t in operand_expressions(op, elements, with_cocs=with_cocs)
        ]
    except DefinitionError as exc:
        raise DefinitionError(f"indicator {ind.code!r}: {exc}") from None
    return " + ".join(terms)


def _describe(operands: Sequence[Operand]) -> str:
    if not operands:
        return "1"
    parts = []
    for op in operands:
        if op.category_options:
            parts.append(
                f"{op.data_element} [{', '.join(f'{c}={o}' for c, o in op.category_options)}]"
            )
        else:
            parts.append(op.data_element)
    return " + ".join(parts)
