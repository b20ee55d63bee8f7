"""Source layout probe: map every modeled table and column to its spelling in the source database.

SQL Server spells some columns differently (``LegacyId``) and is case-insensitive; a modular (Django)
database has extra columns (``JsonExt``, ...). A missing table or column is an error naming it; extra
columns are reported and not copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from openimis_db import tables as t

from .options import AnonymiseError

__all__ = ["SourceTable", "probe_source", "layout_from_columns"]


@dataclass(frozen=True)
class SourceTable:
    name: str  # modeled name
    source_name: str  # spelling in the source
    columns: dict[str, str]  # modeled column -> source spelling
    extra: tuple[str, ...]  # source columns that are not modeled (not copied)

    def selectable(self) -> sa.Table:
        """A Core table with the source spelling and the modeled types (for type conversion)."""
        model = t.metadata.tables[self.name]
        return sa.Table(
            self.source_name,
            sa.MetaData(),
            *[
                sa.Column(src, model.c[name].type, key=name, primary_key=model.c[name].primary_key)
                for name, src in self.columns.items()
            ],
        )


def probe_source(engine: sa.Engine) -> dict[str, SourceTable]:
    inspector = sa.inspect(engine)
    names = inspector.get_table_names()
    present = {n.lower(): n for n in names}
    return layout_from_columns(
        {
            present[m.lower()]: [c["name"] for c in inspector.get_columns(present[m.lower()])]
            for m in t.MODELED_TABLES
            if m.lower() in present
        },
        table_count=len(names),
    )


def layout_from_columns(
    source_columns: dict[str, list[str]], table_count: int | None = None
) -> dict[str, SourceTable]:
    """Match the modeled tables and columns to a source's ``{table: [columns]}`` (any letter case)."""
    present = {n.lower(): n for n in source_columns}
    missing_tables = [n for n in t.MODELED_TABLES if n.lower() not in present]
    if missing_tables:
        found = table_count if table_count is not None else len(source_columns)
        raise AnonymiseError(
            f"the source is not an openIMIS database this tool knows: table(s) {', '.join(missing_tables)} "
            f"not found (found {found} tables); check the source URL and schema"
        )
    out: dict[str, SourceTable] = {}
    for name in t.MODELED_TABLES:
        src_name = present[name.lower()]
        src_cols = {c.lower(): c for c in source_columns[src_name]}
        model = t.metadata.tables[name]
        missing = [c.name for c in model.c if c.name.lower() not in src_cols]
        if missing:
            raise AnonymiseError(
                f"source table {src_name} lacks column(s) {', '.join(missing)}: unknown openIMIS layout "
                f"(this tool needs every column of openimis_db.tables.{name})"
            )
        modeled = {c.name.lower() for c in model.c}
        out[name] = SourceTable(
            name=name,
            source_name=src_name,
            columns={c.name: src_cols[c.name.lower()] for c in model.c},
            extra=tuple(sorted(v for k, v in src_cols.items() if k not in modeled)),
        )
    return out
