"""Thin, navigable chapters (the structure issue): measured on every chapter of the toc.

- size: at most 250 code lines (non-blank, non-comment, solutions included), at most 20 lines a
  code cell, glue calls at most 15% of the code lines (the figures are printed with ``-s`` or
  on failure);
- navigation: no typed "Chapter N" or hand-numbered "Figure N.M" (cross-references instead);
  the title carries a label; the skeleton's headings are real headings; every chapter opens
  with the same cells in the same order (title, overview, prerequisites, parameters, imports);
- launch anywhere: the first code cell installs the package in Colab only, the second is the
  ``parameters`` cell.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
MAX_CODE_LINES = 250
MAX_CELL_LINES = 20
MAX_GLUE_SHARE = 0.15
SKELETON = ("## Overview", "## Prerequisites", "## Imports", "## Exercises", "## Summary",
            "### What's next?")  # fmt: skip
#: "Chapter 4", "chapters 2 and 5", "Figure 3.2" typed by hand instead of a cross-reference.
TYPED_REFERENCE = re.compile(r"\b(?:[Cc]hapters? \d|Figure \d+\.\d+|Fig\. \d+\.\d+)")


def _chapters() -> list[Path]:
    toc = yaml.safe_load((REPO_ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p.get("caption") == "Chapters")
    return [REPO_ROOT / f"{entry['file']}.ipynb" for entry in part["chapters"]]


CHAPTERS = _chapters()


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code_lines(source: str) -> list[str]:
    return [
        line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    ]


def _glue_lines(source: str) -> int:
    """Lines taken by calls whose name contains "glue" (as the project's size hook counts)."""
    text = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return 0
    total = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if "glue" in (getattr(func, "id", None) or getattr(func, "attr", "")):
                total += node.end_lineno - node.lineno + 1
    return total


def chapter_size(path: Path) -> dict[str, float]:
    code = ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code"]
    n_lines = sum(len(_code_lines(s)) for s in code)
    longest = max((sum(1 for line in s.splitlines() if line.strip()) for s in code), default=0)
    glue = sum(_glue_lines(s) for s in code)
    return {"code_lines": n_lines, "longest_cell": longest, "glue_share": glue / max(n_lines, 1)}


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_is_thin(path):
    size = chapter_size(path)
    print(f"{path.stem}: {size['code_lines']} code lines, longest cell {size['longest_cell']}, "
          f"glue {size['glue_share']:.0%}")  # fmt: skip
    assert size["code_lines"] <= MAX_CODE_LINES, size
    assert size["longest_cell"] <= MAX_CELL_LINES, size
    assert size["glue_share"] <= MAX_GLUE_SHARE, size


def test_size_measure_counts_glue_and_skips_comments(tmp_path):
    notebook = {"cells": [
        {"cell_type": "code", "source": "# a comment\nx = 1\nglue_numbers('p', a=1,\n    b=2)\n"},
        {"cell_type": "markdown", "source": "prose"},
    ]}  # fmt: skip
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook))
    assert chapter_size(path) == {"code_lines": 3, "longest_cell": 4, "glue_share": 2 / 3}


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_typed_chapter_or_figure_numbers(path):
    found = []
    for cell in _cells(path):
        text = "".join(cell["source"])
        found += [
            text[max(0, m.start() - 30) : m.end() + 30] for m in TYPED_REFERENCE.finditer(text)
        ]
    assert not found, f"{path.stem}: typed references (use {{doc}}/{{ref}}/{{numref}}): {found}"


def test_typed_reference_pattern():
    assert TYPED_REFERENCE.search("as Chapter 4 showed") and TYPED_REFERENCE.search("Figure 3.2")
    assert not TYPED_REFERENCE.search("Figure 3 of the paper") and not TYPED_REFERENCE.search(
        "Table 2"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_skeleton(path):
    markdown = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")
    lines = markdown.splitlines()
    missing = [h for h in SKELETON if h not in lines]
    assert not missing, f"{path.stem}: missing headings {missing}"
    assert re.match(r"\(ch-[a-z0-9-]+\)=\s*\n# ", markdown), f"{path.stem}: title without a label"
    prerequisites = markdown.split("## Prerequisites", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^\|.*\|\s*$", prerequisites, flags=re.M), f"{path.stem}: prerequisites table"


#: The opening cells of every chapter, in order: a markdown cell starting with the heading, or
#: a code cell (the Colab install, the parameters, the imports).
FRONT_MATTER = ("# ", "## Overview", "## Prerequisites", "## Parameters", "code", "code",
                "## Imports", "code")  # fmt: skip


def _opening(cell: dict) -> str:
    if cell["cell_type"] == "code":
        return "code"
    text = re.sub(r"^\([a-z0-9-]+\)=\s*\n", "", "".join(cell["source"]))  # the title's label
    first = text.splitlines()[0] if text else ""
    return "# " if first.startswith("# ") else first


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapters_open_with_the_same_cells(path):
    """One heading a cell, so the notebook and the page's contents read alike in every chapter."""
    opening = tuple(_opening(c) for c in _cells(path)[: len(FRONT_MATTER)])
    assert opening == FRONT_MATTER, f"{path.stem}: opens with {opening}, expected {FRONT_MATTER}"
    for cell in _cells(path)[1:4]:
        body = "".join(cell["source"]).splitlines()[1:]
        assert not [h for h in body if h.startswith("## ")], f"{path.stem}: two headings a cell"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_first_cells_install_in_colab_then_parameters(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    first = "".join(code[0]["source"])
    assert '"google.colab" in sys.modules' in first and "pip install" in first, path.stem
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert f"git+{config['repository']['url']}" in first, f"{path.stem}: not the book's one URL"
    assert "parameters" in code[1].get("metadata", {}).get("tags", []), path.stem


BOOK_PAGES = sorted((REPO_ROOT / "book").glob("*.md")) + sorted(
    (REPO_ROOT / "book").glob("*.ipynb")
)


@pytest.mark.parametrize("path", BOOK_PAGES, ids=[p.name for p in BOOK_PAGES])
def test_book_pages_have_no_typed_chapter_numbers(path):
    text = path.read_text(encoding="utf-8")
    found = [text[max(0, m.start() - 30) : m.end() + 30] for m in TYPED_REFERENCE.finditer(text)]
    assert not found, f"{path.name}: typed references (use {{doc}}/{{ref}}/{{numref}}): {found}"
