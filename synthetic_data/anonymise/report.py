"""The run's report: JSON for machines, a short text summary for people."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["AnonymisationReport", "TableReport", "KAnonymityReport"]


@dataclass
class TableReport:
    rows: int = 0
    kept: list[str] = field(default_factory=list)
    replaced: dict[str, str] = field(default_factory=dict)  # column -> kind
    dropped: list[str] = field(default_factory=list)  # set to NULL
    date_shifted: list[str] = field(default_factory=list)
    source_columns_not_copied: list[str] = field(
        default_factory=list
    )  # extra (e.g. modular) columns
    replaced_target_rows: int = 0  # base-data rows of an existing schema replaced by source rows


@dataclass
class KAnonymityReport:
    k: int
    reference_date: str  # ages are taken at this date (end of the latest data month)
    age_bands: list[str]
    cells: int = 0
    insurees: int = 0
    cells_below_k: int = 0
    insurees_in_cells_below_k: int = 0
    suppressed: bool = False
    suppression: str = ""
    insurees_suppressed: int = 0
    rows_suppressed: int = 0
    cells_below_k_after: int | None = None
    insurees_in_cells_below_k_after: int | None = None


@dataclass
class AnonymisationReport:
    source: str  # redacted URL
    target: str  # redacted URL
    target_mode: str
    shift_months: int
    latest_source_month: str | None
    tables: dict[str, TableReport] = field(default_factory=dict)
    k_anonymity: KAnonymityReport | None = None
    identifiers_not_steered: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def summary(self) -> str:
        lines = [
            f"anonymised {self.source} -> {self.target} ({self.target_mode})",
            f"date shift: {self.shift_months:+d} month(s)"
            + (
                f" (latest source month {self.latest_source_month})"
                if self.latest_source_month
                else ""
            ),
            f"{'table':<18} {'rows':>9}  kept  replaced  dropped",
        ]
        for name, t in self.tables.items():
            lines.append(
                f"{name:<18} {t.rows:>9}  {len(t.kept):>4}  {len(t.replaced):>8}  {len(t.dropped):>7}"
            )
            if t.source_columns_not_copied:
                lines.append(
                    f"  not copied (not modeled): {', '.join(t.source_columns_not_copied)}"
                )
        k = self.k_anonymity
        if k is not None:
            lines.append(
                f"k-anonymity (k={k.k}, village x sex x age band x product, ages at {k.reference_date}): "
                f"{k.cells_below_k} of {k.cells} cells below k, holding {k.insurees_in_cells_below_k} of "
                f"{k.insurees} insurees"
            )
            if k.suppressed:
                lines.append(
                    f"  suppressed: {k.suppression}: {k.insurees_suppressed} insurees ({k.rows_suppressed} rows); "
                    f"after: {k.cells_below_k_after} cells below k, {k.insurees_in_cells_below_k_after} insurees"
                )
        if self.identifiers_not_steered:
            lines.append(
                f"warning: {self.identifiers_not_steered} identifier(s) too short to avoid every source value"
            )
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)
