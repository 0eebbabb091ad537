"""Regression suite for the book's chapters: run each with papermill, check its glued numbers.

Every chapter listed in ``book/_toc.yml`` (the "Chapters" part) is executed once per test module
with papermill (kernel ``python3``, working directory the repository root, output into a
temporary folder: the source notebook is never written). The values it glued with
``myst_nb.glue`` are compared with ``tests/notebook_expectations.csv``
(``notebook,key,kind,expected,rel_tol,abs_tol,source,note``).

Also checked: each chapter has a ``parameters`` cell followed by ``check_parameters()``; a
misspelled papermill parameter fails the run; two runs glue identical values (except wall-clock
timings, glue keys ending in ``_seconds``); the keys the intro page and the issue rely on are in
the expectations table.

A failed run's partial output is kept in ``_build/notebook-failures/`` for inspection.

``make test`` runs two chapters at a time (pytest-xdist): every test of one chapter runs on the
same worker, so each chapter is executed once there and its result shared by its tests
(``tests/xdist_units.py``).
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from chinchilla_utils.book.glue import assigned_names, duplicate_glue_keys, read_glued

REPO_ROOT = Path(__file__).resolve().parents[1]
TOC_PATH = REPO_ROOT / "book" / "_toc.yml"
EXPECTATIONS_PATH = Path(__file__).with_name("notebook_expectations.csv")
FAILURES_DIR = REPO_ROOT / "_build" / "notebook-failures"
EXPECTATION_COLUMNS = [
    "notebook",
    "key",
    "kind",
    "expected",
    "rel_tol",
    "abs_tol",
    "source",
    "note",
]
#: What an expectation checks: agreement with a number printed in a paper (``paper``), the
#: book's own value, so that a change is noticed (``regression``), or something true by
#: construction (``invariant``).
EXPECTATION_KINDS = ("paper", "regression", "invariant")
MIN_CHECKED_KEYS = 5
#: Glue keys that measure wall-clock time (named ``*_seconds``) legitimately differ between
#: runs; they are left out of the determinism check (and must not be in the expectations).
TIMING_KEY_SUFFIXES = ("_seconds",)

#: Glue keys that other pages (the intro's status table) and the book's issue rely on.
REQUIRED_KEYS = {
    "01_flops_budgeting": ["gopher_flops_6nd", "chinchilla_flops_6nd", "table_a4_max_abs_error"],
    "02_approach1_training_curves": ["approach1_a", "approach1_b"],
    "03_approach2_isoflop_profiles": ["approach2_a", "approach2_b"],
    "04_approach3_parametric_fit": [
        "approach3_E",
        "approach3_A",
        "approach3_B",
        "approach3_alpha",
        "approach3_beta",
        "approach3_a",
        "approach3_tokens_per_param_chinchilla",
    ],
    "06_gopher_vs_chinchilla": ["mmlu_wins", "mmlu_ties", "mmlu_losses"],
}


def toc_chapters(toc_path: Path = TOC_PATH) -> list[Path]:
    """Chapter notebooks of the toc's "Chapters" part, as paths relative to the repository root."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    chapters = []
    for part in toc.get("parts", []):
        if part.get("caption") != "Chapters":
            continue
        for entry in part.get("chapters", []):
            docname = entry["file"]
            chapters.append(Path(docname if docname.endswith(".ipynb") else f"{docname}.ipynb"))
    return chapters


def load_expectations(path: Path = EXPECTATIONS_PATH) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


CHAPTERS = toc_chapters()
CHAPTER_IDS = [chapter.stem for chapter in CHAPTERS]
EXPECTATIONS = load_expectations()


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _same(left: object, right: object) -> bool:
    """Equality that treats NaN as equal to NaN (a glued NaN must stay NaN on a rerun)."""
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return left == right


# --- running notebooks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notebook_env():
    """Single-threaded BLAS (several times faster for the small fits on a busy 2-core machine)
    and Epoch's data from the shared folder when present; values already set are kept."""
    saved = dict(os.environ)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    shared = REPO_ROOT.parent / "shared" / "data" / "epoch"
    if "CHINCHILLA_DATA_DIR" not in os.environ and shared.is_dir():
        os.environ["CHINCHILLA_DATA_DIR"] = str(shared.resolve())
    yield
    os.environ.clear()
    os.environ.update(saved)


class NotebookRunner:
    """Runs chapters with papermill once per (chapter, label, parameters) and remembers the result."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._results: dict[tuple, tuple[Path | None, BaseException | None]] = {}

    def run(
        self,
        chapter: Path,
        label: str = "default",
        parameters: dict | None = None,
        keep_failure: bool = True,
    ) -> Path:
        import papermill

        key = (str(chapter), label, tuple(sorted((parameters or {}).items())))
        if key not in self._results:
            output = self.folder / f"{chapter.stem}.{label}.ipynb"
            try:
                papermill.execute_notebook(
                    str(REPO_ROOT / chapter),
                    str(output),
                    parameters=parameters or {},
                    kernel_name="python3",
                    cwd=str(REPO_ROOT),
                    progress_bar=False,
                    log_output=False,
                )
                self._results[key] = (output, None)
            except Exception as error:  # remember it: later tests of this chapter fail fast
                if keep_failure and output.exists():
                    FAILURES_DIR.mkdir(parents=True, exist_ok=True)
                    shutil.copy(output, FAILURES_DIR / output.name)
                self._results[key] = (None, error)
        output, error = self._results[key]
        if error is not None:
            raise error
        assert output is not None
        return output


@pytest.fixture(scope="module")
def runner(tmp_path_factory, notebook_env):
    return NotebookRunner(tmp_path_factory.mktemp("executed"))


def _require_chapter(chapter: Path) -> None:
    if not (REPO_ROOT / chapter).is_file():
        pytest.fail(f"{chapter} is listed in book/_toc.yml but does not exist")


def _parameters_source(chapter: Path) -> tuple[str, list[str]]:
    """Source of the chapter's parameters cell and of the code cell right after it."""
    notebook = nbformat.read(REPO_ROOT / chapter, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    tagged = [
        i for i, cell in enumerate(code_cells) if "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(tagged) == 1, f"{chapter}: expected exactly one code cell tagged 'parameters'"
    index = tagged[0]
    following = [cell.source for cell in code_cells[index + 1 : index + 2]]
    return code_cells[index].source, following


# --- the expectations table -------------------------------------------------------------------------


def test_expectations_table_is_well_formed():
    with EXPECTATIONS_PATH.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == EXPECTATION_COLUMNS
    seen = set()
    problems = []
    for line, row in enumerate(EXPECTATIONS, start=2):
        where = f"line {line} ({row.get('notebook')}, {row.get('key')})"
        if row["notebook"] not in CHAPTER_IDS:
            problems.append(f"{where}: notebook is not a chapter of book/_toc.yml")
        if (row["notebook"], row["key"]) in seen:
            problems.append(f"{where}: duplicate notebook/key")
        seen.add((row["notebook"], row["key"]))
        for column in ("rel_tol", "abs_tol"):
            value = _as_number(row[column])
            if value is None or not value >= 0:
                problems.append(f"{where}: {column} must be a number >= 0, got {row[column]!r}")
        if None in row or any(value is None for value in row.values()):
            problems.append(f"{where}: wrong number of fields (an unquoted comma?)")
            continue
        if row["kind"] not in EXPECTATION_KINDS:
            problems.append(
                f"{where}: kind must be one of {EXPECTATION_KINDS}, got {row['kind']!r}"
            )
        if _as_number(row["expected"]) is None:
            problems.append(f"{where}: expected must be a number, got {row['expected']!r}")
        if row["key"].endswith(TIMING_KEY_SUFFIXES):
            problems.append(f"{where}: a wall-clock timing cannot be a regression expectation")
        if not row["source"].strip():
            problems.append(f"{where}: a source (paper location or reason) is required")
    assert not problems, "\n".join(problems)


def test_required_keys_are_in_expectations():
    present = {(row["notebook"], row["key"]) for row in EXPECTATIONS}
    missing = [
        f"{notebook}: {key}"
        for notebook, keys in REQUIRED_KEYS.items()
        for key in keys
        if (notebook, key) not in present
    ]
    assert not missing, "required glue keys missing from the expectations table: " + ", ".join(
        missing
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_has_enough_checked_keys(chapter):
    keys = [row["key"] for row in EXPECTATIONS if row["notebook"] == chapter.stem]
    assert len(keys) >= MIN_CHECKED_KEYS, (
        f"{chapter.stem}: {len(keys)} checked glue keys in tests/notebook_expectations.csv, "
        f"need at least {MIN_CHECKED_KEYS}"
    )


# --- static checks on the chapter sources --------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_has_parameters_cell_and_checks_it(chapter):
    _require_chapter(chapter)
    source, following = _parameters_source(chapter)
    names = assigned_names(source)
    assert names, f"{chapter}: the parameters cell assigns nothing"
    assert following and "check_parameters()" in following[0], (
        f"{chapter}: the code cell after the parameters cell must call check_parameters()"
    )


# --- papermill runs ---------------------------------------------------------------------------------


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_glued_values_match_expectations(chapter, runner):
    _require_chapter(chapter)
    glued = read_glued(runner.run(chapter))
    problems = []
    for row in (row for row in EXPECTATIONS if row["notebook"] == chapter.stem):
        key = row["key"]
        if key not in glued:
            problems.append(f"{key}: not glued")
            continue
        value, expected_text = glued[key], row["expected"]
        expected = _as_number(expected_text)
        if expected is None:  # a text expectation (e.g. a status) must match exactly
            if str(value) != expected_text:
                problems.append(f"{key}: glued {value!r}, expected {expected_text!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{key}: glued {value!r} is not a number (expected {expected})")
            continue
        rel_tol, abs_tol = float(row["rel_tol"]), float(row["abs_tol"])
        if not math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
            problems.append(
                f"{key}: glued {value!r}, expected {expected!r} "
                f"(rel_tol {rel_tol}, abs_tol {abs_tol}; source: {row['source']})"
            )
    assert not problems, f"{chapter.stem}:\n" + "\n".join(problems)


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_misspelled_parameter_fails(chapter, runner):
    import papermill

    _require_chapter(chapter)
    source, _ = _parameters_source(chapter)
    name = assigned_names(source)[0]
    misspelled = name + "x"
    with pytest.raises(papermill.PapermillExecutionError) as info:
        runner.run(chapter, label="misspelled", parameters={misspelled: 1}, keep_failure=False)
    assert info.value.ename == "ValueError"
    assert repr(misspelled) in info.value.evalue
    assert f"did you mean {name!r}" in info.value.evalue


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_two_runs_glue_identical_values(chapter, runner):
    _require_chapter(chapter)
    first = read_glued(runner.run(chapter))
    second = read_glued(runner.run(chapter, label="rerun"))
    assert first.keys() == second.keys()
    differing = [
        key
        for key in first
        if not key.endswith(TIMING_KEY_SUFFIXES) and not _same(first[key], second[key])
    ]
    assert not differing, f"{chapter.stem}: glued values differ between runs: " + ", ".join(
        f"{key} ({first[key]!r} vs {second[key]!r})" for key in differing
    )


# A glue role or directive in markdown: {glue}`key`, {glue:text}`key:.3f`, ```{glue:figure} key
GLUE_REFERENCE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)|```\{glue(?::\w+)?\}\s+(\S+)")


def glue_references(chapter: Path) -> set[str]:
    """Keys the chapter's markdown cells paste (the prose side of every glued number)."""
    notebook = nbformat.read(REPO_ROOT / chapter, as_version=4)
    keys = set()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for role_key, directive_key in GLUE_REFERENCE.findall(cell.source):
                keys.add((role_key or directive_key).strip())
    return keys


def test_glue_reference_pattern():
    source = "a {glue:text}`approach2_a:.3f` b {glue}`n_runs` c\n```{glue:figure} fig_a\n```"
    assert set(GLUE_REFERENCE.findall(source)) == {
        ("approach2_a", ""),
        ("n_runs", ""),
        ("", "fig_a"),
    }


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_every_pasted_key_is_glued(chapter, runner):
    """A misspelled key in the prose would only surface as a warning in the site build."""
    _require_chapter(chapter)
    glued = read_glued(runner.run(chapter))
    missing = sorted(glue_references(chapter) - glued.keys())
    assert not missing, f"{chapter.stem}: the prose pastes keys that no cell glues: {missing}"


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_no_key_is_glued_twice(chapter, runner):
    """myst-nb warns on a duplicate key, and the strict build turns that into a failure."""
    _require_chapter(chapter)
    assert duplicate_glue_keys(runner.run(chapter)) == []
