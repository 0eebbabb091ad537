"""The site build's parallel reading (``book/_ext/parallel_read.py``).

Unit checks of the extension's pieces (the job count, the reading order, and that Sphinx's task
pool starts the chunks in that order: this depends on how the installed Sphinx hands out waiting
tasks), then two strict builds of a tiny book of seven notebooks with two reading processes:
one that must succeed without Sphinx falling back to a serial read (a warning, so a failure
under ``-W``), and one with a failing cell that must fail the build.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
EXTENSION_PATH = REPO_ROOT / "book" / "_ext" / "parallel_read.py"


def _load_extension():
    """The extension module, loaded from its file (``book/_ext`` is not a package)."""
    spec = importlib.util.spec_from_file_location("parallel_read", EXTENSION_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


parallel_read = _load_extension()


# --- the pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (2, {}, 2),
        (2, {"BOOK_JOBS": "1"}, 1),
        (1, {"BOOK_JOBS": " 3 "}, 3),
        (2, {"BOOK_JOBS": ""}, 2),
    ],
)
def test_read_jobs(configured, environ, expected):
    assert parallel_read.read_jobs(configured, environ) == expected


@pytest.mark.parametrize(
    ("configured", "environ", "message"),
    [
        (2, {"BOOK_JOBS": "two"}, "BOOK_JOBS must be a whole number of processes, got 'two'"),
        (2, {"BOOK_JOBS": "0"}, "must be an integer >= 1, got 0"),
        (0, {}, "must be an integer >= 1, got 0"),
        (True, {}, "must be an integer >= 1, got True"),
    ],
)
def test_read_jobs_refuses_bad_values(configured, environ, message):
    with pytest.raises(ValueError, match=message):
        parallel_read.read_jobs(configured, environ)


def test_reading_chunks_other_pages_together_then_each_notebook():
    docnames = ["book/api", "book/intro", "notebooks/01", "notebooks/02", "book/glossary"]
    executed = {"book/intro", "notebooks/01", "notebooks/02"}
    assert parallel_read.reading_chunks(docnames, executed) == [
        ["book/api", "book/glossary"],
        ["book/intro"],
        ["notebooks/01"],
        ["notebooks/02"],
    ]
    assert parallel_read.reading_chunks(["a", "b"], {"a", "b"}) == [["a"], ["b"]]


def test_pool_order_layout():
    chunks = [["a", "x"], ["b"], ["c"], ["d"], ["e"]]
    assert parallel_read.pool_order(chunks, 2) == [["a", "x"], ["b"], ["e"], ["d"], ["c"]]
    assert parallel_read.pool_order(chunks[:2], 2) == [["a", "x"], ["b"]]


def _started_at(chunk: list[str]) -> float:
    """Start time of a task that lasts longer the later its page: no two end together."""
    started = time.monotonic()  # one clock for all processes (CLOCK_MONOTONIC)
    time.sleep(0.05 + 0.1 * int(chunk[0].removeprefix("page")))
    return started


@pytest.mark.skipif(sys.platform != "linux", reason="Sphinx reads in parallel by forking")
@pytest.mark.parametrize("nproc", [2, 3])
def test_sphinx_task_pool_starts_chunks_in_reading_order(nproc):
    """The chunk layout compensates for the pool's hand-out order; if Sphinx changes that, the
    chapters start in another order (the build is still right, only slower)."""
    from sphinx.util.parallel import ParallelTasks

    order = [f"page{i}" for i in range(7)]
    starts: dict[str, float] = {}
    tasks = ParallelTasks(nproc)
    for chunk in parallel_read.pool_order([[name] for name in order], nproc):
        tasks.add_task(_started_at, chunk, lambda chunk, start: starts.update({chunk[0]: start}))
    tasks.join()
    started_in = sorted(starts, key=starts.get)
    # processes started together (the first nproc) may begin in either order
    assert set(started_in[:nproc]) == set(order[:nproc])
    assert started_in[nproc:] == order[nproc:]


# --- a tiny book, built strictly with two reading processes -------------------------------------

N_NOTEBOOKS = 7  # and a Markdown page: Sphinx reads in parallel only when over 5 pages are read


def _jupyter_book() -> str:
    beside_python = Path(sys.executable).with_name("jupyter-book")
    if not beside_python.is_file():
        pytest.skip("jupyter-book not installed (pip install -e .[book])")
    return str(beside_python)


def _tiny_book(folder: Path, failing: int | None = None) -> Path:
    folder.mkdir()
    config = {
        "title": "tiny",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "force", "allow_errors": False, "raise_on_error": True},
        "sphinx": {
            "local_extensions": {"parallel_read": str(EXTENSION_PATH.parent)},
            "config": {"book_read_jobs": 2, "nb_execution_raise_on_error": True},
        },
    }
    (folder / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    names = [f"page{i}" for i in range(N_NOTEBOOKS)]
    chapters = [{"file": name} for name in names[1:] + ["notes"]]
    toc = {"format": "jb-book", "root": names[0], "chapters": chapters}
    (folder / "notes.md").write_text("# Notes\n\nA page that is not executed.\n", encoding="utf-8")
    (folder / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    for i, name in enumerate(names):
        code = f"value = {i} * 2\nprint(value)"
        if i == failing:
            code = "raise RuntimeError('a failing cell')"
        notebook = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_markdown_cell(f"# Page {i}"), nbformat.v4.new_code_cell(code)],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        )
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


def _build(book: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "BOOK_JOBS"}
    command = [_jupyter_book(), "build", str(book), "-W", "-n", "--keep-going", "--all"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.site
def test_tiny_book_reads_in_parallel_strictly(tmp_path):
    result = _build(_tiny_book(tmp_path / "book"))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert (
        f"reading {N_NOTEBOOKS + 1} pages with 2 processes, in chunks: notes, page0, page1" in log
    )
    assert "doing serial read" not in log
    page = (tmp_path / "book" / "_build" / "html" / "page3.html").read_text(encoding="utf-8")
    assert "<pre><span></span>6\n</pre>" in page  # the cell ran: 3 * 2


@pytest.mark.site
def test_tiny_book_failing_cell_fails_parallel_build(tmp_path):
    result = _build(_tiny_book(tmp_path / "book", failing=4))
    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-3000:]
    assert "ExecutionError" in log and "page4.ipynb" in log, log[-3000:]
