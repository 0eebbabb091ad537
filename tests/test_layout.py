"""The package's layout is documented where readers look: the package docstring and the README.

Every public module (and every subpackage that is split into private parts) must be listed, and
``pyproject.toml``'s explicit package list must name every package in the tree, or a wheel would
silently lack it.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

import chinchilla_utils

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chinchilla_utils"


def _documented_units() -> list[str]:
    """Dotted names (relative to the package) that the docs must list."""
    units = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        parts = list(rel.with_suffix("").parts)
        if parts[-1] in ("__init__", "__main__") or any(p.startswith("_") for p in parts):
            if parts[-1] == "__init__" and len(parts) == 3:
                units.append(".".join(parts[:-1]))  # a split module, e.g. fitting.approach3
            continue
        if len(parts) > 2:
            continue  # inside a split module: its package name is listed instead
        units.append(".".join(parts))
    return sorted(set(units))


def test_units_are_found():
    units = _documented_units()
    assert {"laws", "compute.flops", "datasets.paper", "book.glue"} <= set(units)


def test_package_docstring_lists_every_module():
    doc = chinchilla_utils.__doc__
    missing = [u for u in _documented_units() if f"``{u}``" not in doc]
    assert not missing, f"chinchilla_utils/__init__.py's docstring does not list {missing}"


def test_readme_lists_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [u for u in _documented_units() if f"`{u}`" not in readme]
    assert not missing, f"README.md's module table does not list {missing}"


def test_docs_list_no_module_that_is_gone():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The package, module by module", 1)[1]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) > 10, "README.md's module table was not found"
    listed = set(re.findall(r"`([a-z_0-9]+(?:\.[a-z_0-9]+)?)`", " ".join(rows)))
    stale = sorted(listed - set(_documented_units()) - {"data/"})
    assert not stale, f"README.md's module table lists modules that do not exist: {stale}"


def test_pyproject_lists_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    in_tree = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")} | {
        "chinchilla_utils._data"
    }
    assert listed == in_tree, (
        f"pyproject.toml [tool.setuptools] packages {sorted(listed)} != tree {sorted(in_tree)}"
    )
