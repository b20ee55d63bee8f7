"""ImportOptions: query parameters of ``POST /api/dataValueSets`` and the id-scheme precedence (§1.5, §3.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import profiles
from .profiles import Profile
from .store import normalize_scheme

SCHEME_PARAMS = ("dataElementIdScheme", "orgUnitIdScheme", "categoryOptionComboIdScheme", "dataSetIdScheme",
                 "categoryIdScheme", "categoryOptionIdScheme")  # fmt: skip
STRICT_FLAGS = ("strictPeriods", "strictDataElements", "strictCategoryOptionCombos", "strictAttributeOptionCombos",
                "strictOrganisationUnits", "strictDataSetApproval", "strictDataSetLocking",
                "strictDataSetInputPeriods", "requireCategoryOptionCombo", "requireAttributeOptionCombo")  # fmt: skip
_LEGACY_STRATEGIES = {"NEW": "CREATE", "UPDATES": "UPDATE", "NEW_AND_UPDATES": "CREATE_AND_UPDATE",
                      "DELETES": "DELETE", "SYNC": "CREATE_AND_UPDATE"}  # fmt: skip
STRATEGIES = ("CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE")


def normalize_strategy(text: str | None) -> str | None:
    if text is None:
        return None
    upper = text.strip().upper()
    upper = _LEGACY_STRATEGIES.get(upper, upper)
    if upper not in STRATEGIES:
        raise ValueError(
            f"Invalid importStrategy `{text}`, expected one of {', '.join(STRATEGIES)}"
        )
    return upper


def _bool(params: dict[str, list[str]], name: str) -> bool:
    return (params.get(name, ["false"])[0] or "").strip().lower() == "true"


@dataclass
class ImportOptions:
    """What DHIS2 binds from the query string; ``schemes`` holds only explicitly given schemes."""

    id_scheme: str | None = None
    schemes: dict[str, str] = field(default_factory=dict)
    default_scheme: str = "UID"
    dry_run: bool = False
    strategy: str = "CREATE_AND_UPDATE"
    async_: bool = False
    force: bool = False
    skip_existing_check: bool = False
    preheat_cache: bool = False
    flags: dict[str, bool] = field(default_factory=dict)
    profile: Profile = field(default_factory=lambda: profiles.get(None))

    @classmethod
    def from_params(cls, params: dict[str, list[str]]) -> ImportOptions:
        schemes = {
            p: normalize_scheme(params[p][0]) for p in SCHEME_PARAMS if params.get(p, [""])[0]
        }
        id_scheme = (
            normalize_scheme(params["idScheme"][0]) if params.get("idScheme", [""])[0] else None
        )
        strategy = params.get("importStrategy", params.get("strategy", ["CREATE_AND_UPDATE"]))[0]
        return cls(
            id_scheme=id_scheme, schemes=schemes, dry_run=_bool(params, "dryRun"),
            strategy=normalize_strategy(strategy) or "CREATE_AND_UPDATE", async_=_bool(params, "async"),
            force=_bool(params, "force"), skip_existing_check=_bool(params, "skipExistingCheck"),
            preheat_cache=_bool(params, "preheatCache"), flags={f: _bool(params, f) for f in STRICT_FLAGS},
        )  # fmt: skip

    def scheme(self, name: str) -> str:
        """Specific scheme > ``idScheme`` > format default (CODE for ADX, UID otherwise)."""
        return self.schemes.get(name) or self.id_scheme or self.default_scheme

    def echo(self) -> dict:
        """The ``importOptions`` block echoed in every ImportSummary (informational)."""
        id_schemes = {}
        if self.id_scheme:
            id_schemes["idScheme"] = {"type": self.id_scheme}
        for name, value in self.schemes.items():
            id_schemes[name] = {"type": value}
        out = {
            "idSchemes": id_schemes, "dryRun": self.dry_run, "preheatCache": self.preheat_cache,
            "async": self.async_, "importStrategy": self.strategy, "mergeMode": "REPLACE", "reportMode": "FULL",
            "skipExistingCheck": self.skip_existing_check, "sharing": False, "skipNotifications": False,
            "skipAudit": False, "datasetAllowsPeriods": False,
        }  # fmt: skip
        out.update(self.flags)
        out.update({"skipPatternValidation": False, "ignoreEmptyCollection": False, "force": self.force,
                    "firstRowIsHeader": True, "skipLastUpdated": False, "mergeDataValues": False,
                    "skipCache": False})  # fmt: skip
        return out
