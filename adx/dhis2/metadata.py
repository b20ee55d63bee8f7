"""DHIS2 metadata bundle (``POST /api/metadata`` JSON) for a catalogue of data sets.

Deterministic: UIDs come from :func:`adx.dhis2.uids.uid_for` on each object's code, so a re-built bundle
updates the same objects. Category option combos (COCs) are included explicitly with codes like
``SEX_F__AGE_0_5`` because DHIS2 2.38-2.41 does not generate them on ``/api/metadata`` and
indicators need their UIDs (CONTRACT.md §4; see docs/adx.md for the 2.43 trade-off).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from adx.dhis2.uids import (
    DEFAULT_CATEGORY_COMBO,
    DEFAULT_CATEGORY_OPTION_COMBO,
    UidRegistry,
    uid_for,
)
from adx.model import (
    Catalogue,
    Category,
    DataElement,
    DefinitionError,
    IndicatorDefinition,
    Operand,
)

PUBLIC_DATA_WRITE = {"public": "rwrw----"}  # metadata + data read/write for everyone
MAX_CODE = 50
MAX_SHORT_NAME = 50

KIND_COC = "categoryOptionCombo"


@dataclass(frozen=True)
class OrgUnit:
    """An organisation unit for the optional hierarchy in the bundle.

    ``uid`` pins an existing DHIS2 UID; otherwise one is derived from the code.
    """

    code: str
    name: str
    parent_code: str | None = None
    uid: str | None = None
    opening_date: str = "2000-01-01"

    @property
    def id(self) -> str:
        return self.uid or uid_for("organisationUnit", self.code)


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


def _unique_short(name: str, code: str, used: set[str]) -> str:
    """A short name ≤ 50 chars, unique within ``used`` (DHIS2 requires both for many types)."""
    short = name[:MAX_SHORT_NAME].strip()
    if short in used:
        suffix = f" ({code})"
        short = name[: MAX_SHORT_NAME - len(suffix)].strip() + suffix
    if short in used or len(short) > MAX_SHORT_NAME:
        digest = hashlib.sha256(code.encode()).hexdigest()[:8]
        short = f"{name[: MAX_SHORT_NAME - 9].strip()} {digest}"
    used.add(short)
    return short


def _unique_name(name: str, code: str, used: set[str]) -> str:
    """Names of most DHIS2 object types are unique: disambiguate a repeat with its code."""
    if name in used:
        name = f"{name} ({code})"
    used.add(name)
    return name


def _check_code(kind: str, code: str, seen: dict[str, str]) -> None:
    if not code or len(code) > MAX_CODE:
        raise DefinitionError(f"{kind} code {code!r} must have 1 to {MAX_CODE} characters")
    if code in seen:
        raise DefinitionError(f"{kind} code {code!r} is used twice ({seen[code]})")
    seen[code] = kind


def build_bundle(
    catalogue: Catalogue,
    *,
    org_units: Sequence[OrgUnit] = (),
    data_set_org_units: Mapping[str, Sequence[str]] | None = None,
    include_category_option_combos: bool = True,
) -> dict:
    """The ``/api/metadata`` payload for ``catalogue`` (CONTRACT.md §4).

    ``data_set_org_units`` maps a data set code to the org unit codes assigned to it; when
    ``None`` every org unit of ``org_units`` is assigned to every data set. Every referenced org
    unit code must be in ``org_units`` (give ``uid=`` for units that already exist in DHIS2).
    Raises DefinitionError on inconsistent definitions, naming the offending code.
    """
    reg = UidRegistry()
    for ds in catalogue.data_sets:
        ds.validate()

    # Collect elements and categories across data sets (the same code must mean the same thing).
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

    codes: dict[str, dict[str, str]] = {}

    def check(kind: str, code: str) -> None:
        _check_code(kind, code, codes.setdefault(kind, {}))

    # Category options and categories.
    option_objs: list[dict] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for cat in categories.values():
        for opt in cat.options:
            check("categoryOption", opt.code)
            option_objs.append(
                {
                    "id": reg.uid("categoryOption", opt.code),
                    "code": opt.code,
                    "name": _unique_name(opt.name, opt.code, names),
                    "shortName": _unique_short(opt.name, opt.code, shorts),
                    "sharing": dict(PUBLIC_DATA_WRITE),
                }
            )
    category_objs: list[dict] = []
    names, shorts = set(), set()
    for cat in categories.values():
        check("category", cat.code)
        if not cat.options:
            raise DefinitionError(f"category {cat.code!r} has no options")
        category_objs.append(
            {
                "id": reg.uid("category", cat.code),
                "code": cat.code,
                "name": _unique_name(cat.name, cat.code, names),
                "shortName": _unique_short(cat.name, cat.code, shorts),
                "dataDimensionType": "DISAGGREGATION",
                "dataDimension": True,
                "categoryOptions": [{"id": uid_for("categoryOption", o.code)} for o in cat.options],
            }
        )

    # Category combos and their option combos.
    combo_objs: list[dict] = []
    coc_objs: list[dict] = []
    combos: dict[str, tuple[Category, ...]] = {}
    for de in elements.values():
        if de.categories:
            combos.setdefault(de.category_combo_code, de.categories)
    names = set()
    coc_codes: dict[str, str] = {}
    for cc_code, cats in combos.items():
        check("categoryCombo", cc_code)
        cc_uid = reg.uid("categoryCombo", cc_code)
        combo_objs.append(
            {
                "id": cc_uid,
                "code": cc_code,
                "name": _unique_name(" and ".join(c.name for c in cats), cc_code, names),
                "dataDimensionType": "DISAGGREGATION",
                "skipTotal": False,
                "categories": [{"id": uid_for("category", c.code)} for c in cats],
            }
        )
        if not include_category_option_combos:
            continue
        for options in combo_options(cats):
            code = coc_code(options)
            _check_code(KIND_COC, code, coc_codes)
            opt_names = {o.code: o.name for c in cats for o in c.options}
            coc_objs.append(
                {
                    "id": reg.claim(coc_uid(options), KIND_COC, "__".join(o for _, o in options)),
                    "code": code,
                    "name": ", ".join(opt_names[o] for _, o in options),
                    "categoryCombo": {"id": cc_uid},
                    "categoryOptions": [{"id": uid_for("categoryOption", o)} for _, o in options],
                }
            )

    # Data elements.
    de_objs: list[dict] = []
    names, shorts = set(), set()
    for de in elements.values():
        check("dataElement", de.code)
        obj = {
            "id": reg.uid("dataElement", de.code),
            "code": de.code,
            "name": _unique_name(de.name, de.code, names),
            "shortName": _unique_short(de.short_name or de.name, de.code, shorts),
            "valueType": de.value_type,
            "aggregationType": de.aggregation_type,
            "domainType": "AGGREGATE",
            "zeroIsSignificant": de.zero_is_significant,
            "categoryCombo": {"id": combo_uid(de)},
        }
        if de.description:
            obj["description"] = de.description
        de_objs.append(obj)

    # Org units (parents first) and data sets.
    ou_by_code: dict[str, OrgUnit] = {}
    for ou in org_units:
        check("organisationUnit", ou.code)
        ou_by_code[ou.code] = ou
    ou_objs = _org_unit_objects(ou_by_code, reg)

    ds_objs: list[dict] = []
    names, shorts = set(), set()
    for ds in catalogue.data_sets:
        check("dataSet", ds.code)
        ds_uid = reg.uid("dataSet", ds.code)
        if data_set_org_units is None:
            assigned = list(ou_by_code)
        else:
            assigned = list(data_set_org_units.get(ds.code, ()))
        for code in assigned:
            if code not in ou_by_code:
                raise DefinitionError(
                    f"data set {ds.code!r} is assigned org unit {code!r}, which is not in org_units; "
                    "add it (with uid= if it already exists in DHIS2)"
                )
        obj = {
            "id": ds_uid,
            "code": ds.code,
            "name": _unique_name(ds.name, ds.code, names),
            "shortName": _unique_short(ds.name, ds.code, shorts),
            "periodType": ds.period_type,
            "categoryCombo": {"id": DEFAULT_CATEGORY_COMBO},
            "openFuturePeriods": ds.open_future_periods,
            "expiryDays": 0,
            "sharing": dict(PUBLIC_DATA_WRITE),
            "dataSetElements": [
                {"dataSet": {"id": ds_uid}, "dataElement": {"id": uid_for("dataElement", de.code)}}
                for de in ds.data_elements
            ],
            "organisationUnits": [{"id": ou_by_code[c].id} for c in dict.fromkeys(assigned)],
        }
        if ds.description:
            obj["description"] = ds.description
        ds_objs.append(obj)
    if data_set_org_units is not None:
        unknown = set(data_set_org_units) - {ds.code for ds in catalogue.data_sets}
        if unknown:
            raise DefinitionError(f"data_set_org_units names unknown data sets {sorted(unknown)}")

    # Indicators.
    type_objs: dict[int, dict] = {}
    ind_objs: list[dict] = []
    names, shorts = set(), set()
    for ind in catalogue.indicators:
        check("indicator", ind.code)
        if ind.factor not in type_objs:
            type_objs[ind.factor] = _indicator_type(ind.factor, reg)
        ind_objs.append(
            {
                "id": reg.uid("indicator", ind.code),
                "code": ind.code,
                "name": _unique_name(ind.name, ind.code, names),
                "shortName": _unique_short(ind.name, ind.code, shorts),
                "indicatorType": {"id": type_objs[ind.factor]["id"]},
                "numerator": _expression(
                    ind, ind.numerator, elements, include_category_option_combos
                ),
                "numeratorDescription": _describe(ind.numerator),
                "denominator": _expression(
                    ind, ind.denominator, elements, include_category_option_combos
                ),
                "denominatorDescription": _describe(ind.denominator),
                "annualized": False,
                **({"description": ind.description} if ind.description else {}),
            }
        )

    bundle: dict = {}
    for key, objs in (
        ("organisationUnits", ou_objs),
        ("categoryOptions", option_objs),
        ("categories", category_objs),
        ("categoryCombos", combo_objs),
        ("categoryOptionCombos", coc_objs),
        ("dataElements", de_objs),
        ("dataSets", ds_objs),
        ("indicatorTypes", list(type_objs.values())),
        ("indicators", ind_objs),
    ):
        if objs:
            bundle[key] = objs
    return bundle


def _org_unit_objects(ou_by_code: Mapping[str, OrgUnit], reg: UidRegistry) -> list[dict]:
    """Org unit objects with parents before children; refuses unknown parents and cycles."""
    out: list[dict] = []
    done: set[str] = set()

    def emit(code: str, chain: tuple[str, ...]) -> None:
        if code in done:
            return
        if code in chain:
            raise DefinitionError(f"org unit hierarchy has a cycle: {' -> '.join((*chain, code))}")
        ou = ou_by_code[code]
        if ou.parent_code is not None:
            if ou.parent_code not in ou_by_code:
                raise DefinitionError(
                    f"org unit {ou.code!r} has parent {ou.parent_code!r}, which is not in org_units"
                )
            emit(ou.parent_code, (*chain, code))
        obj = {
            "id": reg.claim(ou.id, "organisationUnit", ou.code),
            "code": ou.code,
            "name": ou.name,
            "shortName": ou.name[:MAX_SHORT_NAME].strip() or ou.code,
            "openingDate": ou.opening_date,
        }
        if ou.parent_code is not None:
            obj["parent"] = {"id": ou_by_code[ou.parent_code].id}
        out.append(obj)
        done.add(code)

    for code in ou_by_code:
        emit(code, ())
    return out


_FACTOR_NAMES = {1: "Number", 100: "Per cent", 1000: "Per thousand", 10000: "Per ten thousand",
                 100000: "Per hundred thousand"}  # fmt: skip


def _indicator_type(factor: int, reg: UidRegistry) -> dict:
    code = f"FACTOR_{factor}"
    return {
        "id": reg.uid("indicatorType", code),
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


def options_resolver(bundle: Mapping) -> Callable[[str, str], tuple[tuple[str, str], ...]]:
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
