"""The layering of DESIGN.md, checked on the AST of every module (issue 13.6).

    synthetic_data ──► openimis_db ◄── aggregations ──► adx
    pipelines ──► all;  dagster only in pipelines;
    atomic_files, redaction: leaves (they import no project package) ◄── every package

Every ``import`` and ``from ... import`` is read, at any depth (function-local and
``TYPE_CHECKING`` imports included), so a lazy import cannot slip through.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEAVES = ("atomic_files", "redaction")  # standard library only; any package may import them
PACKAGES = (*LEAVES, "openimis_db", "synthetic_data", "aggregations", "adx", "pipelines")
ALLOWED: dict[str, set[str]] = {
    "atomic_files": set(),
    "redaction": set(),
    "openimis_db": {*LEAVES},
    "adx": {*LEAVES},
    "synthetic_data": {"openimis_db", *LEAVES},
    "aggregations": {"openimis_db", "adx", *LEAVES},
    "pipelines": set(PACKAGES) - {"pipelines"},
}
# Third-party packages only one project package may import.
ONLY_IN = {
    "dagster": "pipelines",
    "dagster_webserver": "pipelines",
    "dagster_postgres": "pipelines",
}


def imported_roots(tree: ast.AST, package: str, module_parts: tuple[str, ...]) -> set[str]:
    """Top-level names of every module imported in ``tree`` (relative imports resolved)."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside its own package unless it climbs out
                base = module_parts[: len(module_parts) - node.level]
                roots.add(base[0] if base else "<outside>")
            elif node.module:
                roots.add(node.module.split(".")[0])
    return roots


def _stdlib(name: str) -> bool:
    return name in sys.stdlib_module_names or name == "__future__"


def violations(root: Path) -> list[str]:
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name in sorted(imported_roots(tree, package, parts)):
                if name in PACKAGES and name != package and name not in ALLOWED[package]:
                    found.append(f"{path.relative_to(root)} imports {name}")
                if name == "<outside>":
                    found.append(f"{path.relative_to(root)}: relative import above its package")
                if name in ONLY_IN and ONLY_IN[name] != package:
                    found.append(f"{path.relative_to(root)} imports {name} (only {ONLY_IN[name]})")
                if package in LEAVES and name not in PACKAGES and not _stdlib(name):
                    found.append(f"{path.relative_to(root)} imports {name} (a leaf: stdlib only)")
    return found


def test_the_tree_respects_the_layering():
    assert violations(ROOT) == []


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("adx", "from aggregations import build_dataset", "imports aggregations"),
        ("openimis_db", "def f():\n    import adx.periods\n", "imports adx"),
        (
            "aggregations",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from pipelines.resources import X\n",
            "imports pipelines",
        ),  # fmt: skip
        ("synthetic_data", "import aggregations.catalogue", "imports aggregations"),
        ("adx", "import dagster as dg", "imports dagster (only pipelines)"),
        ("atomic_files", "from openimis_db import engine", "imports openimis_db"),
        ("redaction", "import adx.dhis2.client", "imports adx"),
        ("atomic_files", "from redaction import redact_url", "imports redaction"),
        ("redaction", "import atomic_files", "imports atomic_files"),
        ("redaction", "import requests", "imports requests (a leaf: stdlib only)"),
        ("aggregations", "from ...pipelines import x", "relative import above its package"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path, package, source, expected):
    """The checker itself: each kind of forbidden import, planted in a copy-free fake tree."""
    for name in PACKAGES:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / package / "sub").mkdir()
    (tmp_path / package / "sub" / "planted.py").write_text(source)
    found = violations(tmp_path)
    assert len(found) == 1 and expected in found[0], found


def test_allowed_imports_pass(tmp_path):
    for name in PACKAGES:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "aggregations" / "a.py").write_text("from adx.model import X\nfrom . import b\n")
    (tmp_path / "pipelines" / "p.py").write_text("import dagster\nfrom aggregations import y\n")
    (tmp_path / "synthetic_data" / "s.py").write_text(
        "from openimis_db.engine import make_engine\n"
    )
    # The leaves, from every other package.
    for name in ("openimis_db", "synthetic_data", "aggregations", "adx", "pipelines"):
        (tmp_path / name / "leaves.py").write_text(
            "import atomic_files\nfrom redaction import redact_url\n"
        )
    assert violations(tmp_path) == []
