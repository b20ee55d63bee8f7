"""Bundle step: category options, categories, category combos and their option combos (COCs).

COCs are included explicitly with codes like ``SEX_F__AGE_0_5`` because DHIS2 2.38-2.41 does not
generate them on ``/api/metadata`` and indicators need their UIDs (CONTRACT.md §4).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from adx.dhis2.bundle.common import (
    MAX_CODE,
    PUBLIC_DATA_WRITE,
    BuildContext,
    check_code,
    unique_name,
    unique_short,
)
from adx.dhis2.uids import DEFAULT_CATEGORY_COMBO, DEFAULT_CATEGORY_OPTION_COMBO, uid_for
from adx.json_types import JsonObject
from adx.model import Catalogue, Category, DataElement, DefinitionError

KIND_COC = "categoryOptionCombo"


def _option_codes(options: Iterable[tuple[str, str] | str]) -> list[str]:
    return [o[1] if isinstance(o, tuple) else o for o in options]


def coc_code(options: Iterable[tuple[str, str] | str]) -> str:
    """Code of the COC of these options: option codes in category order joined by ``__``.

    Accepts ``(category, option)`` pairs or bare option codes; ``()`` is DHIS2's ``default``.
    Codes longer than 50 characters (DHIS2's limit) are cut and suffixed with a hash of the full
    code so they stay unique.
    """
    codes = _option_codes(options)
    if not codes:
        return "default"
    code = "__".join(codes)
    if len(code) > MAX_CODE:
        digest = hashlib.sha256(code.encode()).hexdigest()[:10]
        code = f"{code[: MAX_CODE - 11]}_{digest}"
    return code


def coc_uid(options: Iterable[tuple[str, str] | str]) -> str:
    """UID our bundle gives the COC of these options; the default COC for ``()``."""
    codes = _option_codes(options)
    if not codes:
        return DEFAULT_CATEGORY_OPTION_COMBO
    return uid_for(KIND_COC, "__".join(codes))


def combo_uid(element: DataElement) -> str:
    if not element.categories:
        return DEFAULT_CATEGORY_COMBO
    return uid_for("categoryCombo", element.category_combo_code)


def combo_options(categories: Sequence[Category]) -> list[tuple[tuple[str, str], ...]]:
    """Every option combination of ``categories`` (cartesian product, category order)."""
    return [
        tuple((c.code, o.code) for c, o in zip(categories, combo, strict=True))
        for combo in itertools.product(*(c.options for c in categories))
    ]


def collect(catalogue: Catalogue) -> tuple[dict[str, DataElement], dict[str, Category]]:
    """Elements and categories across data sets; the same code must mean the same thing."""
    elements: dict[str, DataElement] = {}
    categories: dict[str, Category] = {}
    for ds in catalogue.data_sets:
        for de in ds.data_elements:
            if elements.setdefault(de.code, de) != de:
                raise DefinitionError(
                    f"data element {de.code!r} is defined differently in two data sets"
                )
            for cat in de.categories:
                if categories.setdefault(cat.code, cat) != cat:
                    raise DefinitionError(
                        f"category {cat.code!r} is defined twice with different options"
                    )
    option_owner: dict[str, str] = {}
    for cat in categories.values():
        for opt in cat.options:
            if option_owner.setdefault(opt.code, cat.code) != cat.code:
                raise DefinitionError(
                    f"category option code {opt.code!r} is used by categories {option_owner[opt.code]!r} "
                    f"and {cat.code!r}; option codes must be unique across categories"
                )
    return elements, categories


def category_option_objects(
    ctx: BuildContext, categories: Mapping[str, Category]
) -> list[JsonObject]:
    out: list[JsonObject] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for cat in categories.values():
        for opt in cat.options:
            ctx.check("categoryOption", opt.code)
            out.append(
                {
                    "id": ctx.reg.uid("categoryOption", opt.code),
                    "code": opt.code,
                    "name": unique_name(opt.name, opt.code, names),
                    "shortName": unique_short(opt.name, opt.code, shorts),
                    "sharing": dict(PUBLIC_DATA_WRITE),
                }
            )
    return out


def category_objects(ctx: BuildContext, categories: Mapping[str, Category]) -> list[JsonObject]:
    out: list[JsonObject] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for cat in categories.values():
        ctx.check("category", cat.code)
        if not cat.options:
            raise DefinitionError(f"category {cat.code!r} has no options")
        out.append(
            {
                "id": ctx.reg.uid("category", cat.code),
                "code": cat.code,
                "name": unique_name(cat.name, cat.code, names),
                "shortName": unique_short(cat.name, cat.code, shorts),
                "dataDimensionType": "DISAGGREGATION",
                "dataDimension": True,
                "categoryOptions": [{"id": uid_for("categoryOption", o.code)} for o in cat.options],
            }
        )
    return out


def combo_objects(
    ctx: BuildContext, elements: Mapping[str, DataElement], *, with_cocs: bool
) -> tuple[list[JsonObject], list[JsonObject]]:
    """Category combos of the elements, and (``with_cocs``) every option combo of each."""
    combo_objs: list[JsonObject] = []
    coc_objs: list[JsonObject] = []
    combos: dict[str, tuple[Category, ...]] = {}
    for de in elements.values():
        if de.categories:
            combos.setdefault(de.category_combo_code, de.categories)
    names: set[str] = set()
    coc_codes: dict[str, str] = {}
    for cc_code, cats in combos.items():
        ctx.check("categoryCombo", cc_code)
        cc_uid = ctx.reg.uid("categoryCombo", cc_code)
        combo_objs.append(
            {
                "id": cc_uid,
                "code": cc_code,
                "name": unique_name(" and ".join(c.name for c in cats), cc_code, names),
                "dataDimensionType": "DISAGGREGATION",
                "skipTotal": False,
                "categories": [{"id": uid_for("category", c.code)} for c in cats],
            }
        )
        if not with_cocs:
            continue
        opt_names = {o.code: o.name for c in cats for o in c.options}
        for options in combo_options(cats):
            code = coc_code(options)
            check_code(KIND_COC, code, coc_codes)
            coc_objs.append(
                {
                    "id": ctx.reg.claim(
                        coc_uid(options), KIND_COC, "__".join(o for _, o in options)
                    ),
                    "code": code,
                    "name": ", ".join(opt_names[o] for _, o in options),
                    "categoryCombo": {"id": cc_uid},
                    "categoryOptions": [{"id": uid_for("categoryOption", o)} for _, o in options],
                }
            )
    return combo_objs, coc_objs


def options_resolver(
    bundle: Mapping[str, Any],
) -> Callable[[str, str], tuple[tuple[str, str], ...]]:
    """Reverse of the JSON writer's COC resolution for a bundle: ``(de, coc id) -> options``.

    Accepts COC UIDs or codes (and ``default`` / ``HllvX50cXC0`` -> ``()``). The first argument
    (data element or data set) is unused: COC ids are unique on their own.
    """
    option_pair: dict[str, tuple[str, str]] = {}
    for cat in bundle.get("categories", ()):
        for ref in cat.get("categoryOptions", ()):
            option_pair[ref["id"]] = (cat["code"], "")
    option_code = {o["id"]: o["code"] for o in bundle.get("categoryOptions", ())}
    index: dict[str, tuple[tuple[str, str], ...]] = {
        DEFAULT_CATEGORY_OPTION_COMBO: (),
        "default": (),
    }
    for coc in bundle.get("categoryOptionCombos", ()):
        options = tuple(
            (option_pair[ref["id"]][0], option_code[ref["id"]]) for ref in coc["categoryOptions"]
        )
        index[coc["id"]] = options
        if coc.get("code"):
            index[coc["code"]] = options

    def resolve(_owner: str, combo_id: str) -> tuple[tuple[str, str], ...]:
        try:
            return index[combo_id]
        except KeyError:
            raise DefinitionError(
                f"category option combo {combo_id!r} is not in the metadata bundle"
            ) from None

    return resolve
