"""Repository hygiene and book configuration: cheap checks that need no notebook run.

No notebook outputs or execution counts in git, no third-party data in git, and a book
configuration that cannot scan a virtual environment, that fails on errors and renders offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))

#: Citation keys every chapter may use (book conventions); all must be in book/references.bib.
REQUIRED_BIB_KEYS = [
    "hoffmann2022chinchilla",
    "kaplan2020scaling",
    "rae2021gopher",
    "besiroglu2024replication",
    "huber1964robust",
    "nocedal1980updating",
    "liu1989lbfgs",
    "vaswani2017attention",
    "loshchilov2019adamw",
    "pearce2024reconciling",
    "porian2024resolving",
    "karpathy2023nanogpt",
    "efron1979bootstrap",
    "brown2020gpt3",
    "smith2022megatron",
    "lieber2021jurassic",
    "hendrycks2021mmlu",
    "srivastava2022bigbench",
    "gao2020pile",
    "lin2022truthfulqa",
    "rudinger2018winogender",
    "paperno2016lambada",
]


def _tracked(pattern: str) -> list[str]:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "ls-files", "-z", "--", pattern],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [name for name in result.stdout.split("\0") if name]


# --- git contents -------------------------------------------------------------------------------


def notebook_output_problems(notebook: dict) -> list[str]:
    """What in a notebook's JSON should have been stripped before commit."""
    problems = []
    if "papermill" in notebook.get("metadata", {}):
        problems.append("notebook metadata.papermill")
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("outputs"):
            problems.append(f"cell {index}: outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index}: execution_count")
        for key in ("execution", "papermill"):
            if key in cell.get("metadata", {}):
                problems.append(f"cell {index}: metadata.{key}")
    return problems


def test_notebook_output_check_can_fail():
    dirty = {
        "metadata": {"papermill": {}},
        "cells": [{"cell_type": "code", "outputs": [{}], "execution_count": 3, "metadata": {}}],
    }
    assert notebook_output_problems(dirty) == [
        "notebook metadata.papermill",
        "cell 0: outputs",
        "cell 0: execution_count",
    ]


def test_no_committed_notebook_outputs():
    problems = []
    for name in _tracked("*.ipynb"):
        notebook = json.loads((REPO_ROOT / name).read_text(encoding="utf-8"))
        problems.extend(f"{name}: {problem}" for problem in notebook_output_problems(notebook))
    assert not problems, "strip with nbstripout (see README):\n" + "\n".join(problems)


def test_epoch_data_not_tracked():
    tracked = [name for name in _tracked("*") if Path(name).name == "svg_extracted_data.csv"]
    assert not tracked, f"Epoch AI's data has no licence and must not be committed: {tracked}"


# --- book configuration -------------------------------------------------------------------------


def test_exclude_patterns_cover_hidden_folders_and_non_book_folders(tmp_path):
    """Walk a tree with Sphinx's own file discovery and the book's exclude_patterns."""
    from sphinx.util.matching import get_matching_files

    excluded = [
        ".venv/lib/python3.11/site-packages/pkg/demo.ipynb",
        ".git/notes.md",
        ".hidden/notes.md",
        "notebooks/.ipynb_checkpoints/01-checkpoint.ipynb",
        "book/.scratch/x.ipynb",
        "_build/html/index.md",
        "_build/jupyter_execute/notebooks/01.ipynb",
        "tests/fixture.ipynb",
        "data/README.md",
        "benchmarks/notes.md",
        "README.md",
    ]
    kept = ["notebooks/01_flops_budgeting.ipynb", "book/intro.ipynb", "book/execution.ipynb"]
    for name in excluded + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")

    found = set(get_matching_files(tmp_path, exclude_patterns=CONFIG["exclude_patterns"]))

    assert found == set(kept), f"not excluded: {sorted(found - set(kept))}"


def test_execution_settings_fail_loudly():
    execute = CONFIG["execute"]
    sphinx_config = CONFIG["sphinx"]["config"]
    assert execute["execute_notebooks"] == "force"
    assert execute["timeout"] > 30
    assert execute["raise_on_error"] is True
    assert sphinx_config["nb_execution_raise_on_error"] is True
    assert execute.get("allow_errors", False) is False
    assert sphinx_config["nb_kernel_rgx_aliases"] == {".*": "python3"}


def test_mathjax_is_vendored():
    sphinx_config = CONFIG["sphinx"]["config"]
    mathjax_path = sphinx_config["mathjax_path"]
    assert not mathjax_path.startswith(("http:", "https:", "//")), "MathJax must load offline"
    found = [
        REPO_ROOT / static / mathjax_path
        for static in sphinx_config["html_static_path"]
        if (REPO_ROOT / static / mathjax_path).is_file()
    ]
    assert found, f"{mathjax_path} not found in html_static_path"
    head = found[0].read_text(encoding="utf-8", errors="replace")[:20000]
    assert "MathJax" in head


def test_launch_buttons_use_the_one_repository_url():
    url = CONFIG["repository"]["url"]
    assert url.startswith("https://github.com/")
    assert CONFIG["launch_buttons"]["binderhub_url"]
    assert CONFIG["launch_buttons"]["colab_url"]
    assert CONFIG["html"]["use_repository_button"] is True


def test_bibliography_has_every_required_key():
    from pybtex.database import parse_file

    bib_files = CONFIG["bibtex_bibfiles"]
    keys = set()
    for name in bib_files:
        keys.update(parse_file(str(REPO_ROOT / name)).entries.keys())
    missing = [key for key in REQUIRED_BIB_KEYS if key not in keys]
    assert not missing, f"missing from {bib_files}: {missing}"


def _ruff() -> str:
    beside_python = Path(sys.executable).with_name("ruff")
    found = str(beside_python) if beside_python.is_file() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff not installed: pip install -e .[dev]")
    return found


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff_is_clean(command):
    """The pre-commit hooks' lint and format, enforced in CI too (Python and notebooks)."""
    result = subprocess.run(
        [_ruff(), *command, "."], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _pipes_into_early_exit(script: str) -> list[str]:
    """Lines of a ``pipefail`` shell script that pipe into ``head``, ``grep -q`` or ``grep -m``.

    Those readers exit before the writer is done; the writer then dies of SIGPIPE and, under
    ``set -o pipefail``, the whole script fails with exit status 141, depending on timing.
    """
    if "pipefail" not in script:
        return []
    bad = []
    for line in script.splitlines():
        code = line.split("#", 1)[0]
        for stage in code.split("|")[1:]:
            words = stage.split()
            if words and (
                words[0] == "head" or (words[0] == "grep" and ({"-q", "-m"} & set(words[1:])))
            ):
                bad.append(line.strip())
    return bad


def test_early_exit_pipe_check_can_fail():
    script = "set -euo pipefail\nmake --version | head -n 1\ncat x | grep -q y\n"
    assert len(_pipes_into_early_exit(script)) == 2
    assert _pipes_into_early_exit("set -euo pipefail\nmake --version | sed -n 1p\n") == []


def test_ci_script_has_no_sigpipe_prone_pipes():
    script = (REPO_ROOT / ".ci" / "run").read_text()
    assert _pipes_into_early_exit(script) == [], (
        "under pipefail these pipes can fail with exit 141 (SIGPIPE); read all input instead "
        "(sed -n 1p, grep without -q)"
    )


def _pins() -> dict[str, str]:
    from tools.update_pins import requirement_name

    lines = (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    return {requirement_name(p): p.split("==", 1)[1].strip() for p in pins}


def test_constraints_pin_every_dependency_within_its_range():
    """constraints.txt (used by make and CI) pins each dependency of pyproject.toml, inside
    the range pyproject allows; torch is pinned by the Makefile instead."""
    import tomllib
    from packaging.requirements import Requirement

    from tools.update_pins import requirement_name

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    pins = _pins()
    for text in requirements:
        name = requirement_name(text)
        if name == "torch":
            continue
        assert name in pins, f"{name} is a dependency but constraints.txt has no pin: run make pins"
        assert Requirement(text).specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {text!r}"
        )


def test_binder_environment_matches_pyproject_and_constraints():
    """binder/requirements.txt lists the runtime and book dependencies at their pinned
    versions, then the package itself: what make pins writes."""
    import tomllib

    from tools.update_pins import binder_requirements, requirement_name

    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    pins = _pins()
    expected = [
        f"{requirement_name(r)}=={pins[requirement_name(r)]}"
        for r in binder_requirements(pyproject)
    ]
    lines = (REPO_ROOT / "binder" / "requirements.txt").read_text().splitlines()
    listed = [line for line in lines if line and not line.startswith(("#", "-e"))]
    assert listed == expected, "binder/requirements.txt is out of step: run make pins"
    assert any(line.startswith("-e .") for line in lines), "binder must install the package itself"
