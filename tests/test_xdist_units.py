"""How ``make test`` shares the tests between pytest-xdist workers (``tests/xdist_units.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from xdist_units import xdist_scope

TESTS_DIR = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    ("nodeid", "unit"),
    [
        (
            "tests/test_notebooks.py::test_glued_values_match_expectations[04_approach3]",
            "tests/test_notebooks.py::[04_approach3]",
        ),
        (
            "tests/test_notebooks.py::test_two_runs_glue_identical_values[04_approach3]",
            "tests/test_notebooks.py::[04_approach3]",
        ),
        ("tests/test_notebooks.py::test_glue_reference_pattern", "tests/test_notebooks.py"),
        ("tests/test_site.py::test_math_is_typeset[book/intro]", "tests/test_site.py"),
        ("tests/test_flops.py::TestShape::test_x[1-2]", "tests/test_flops.py"),
    ],
)
def test_xdist_scope(nodeid, unit):
    assert xdist_scope(nodeid) == unit


def test_two_workers_run_each_chapter_on_one_worker(tmp_path):
    """A fake chapter module under ``-n 2 --dist loadscope``: every test of a chapter on one
    worker, the two chapters on different workers, the other module's tests on one worker."""
    pytest.importorskip("xdist")
    shutil.copy(TESTS_DIR / "conftest.py", tmp_path / "conftest.py")
    shutil.copy(TESTS_DIR / "xdist_units.py", tmp_path / "xdist_units.py")
    record = textwrap.dedent(
        """
        import json, os
        import pytest

        def record(name):
            with open(os.environ["WORKER_LOG"], "a") as log:
                log.write(json.dumps([name, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")
        """
    )
    (tmp_path / "test_notebooks.py").write_text(
        record
        + textwrap.dedent(
            """
            @pytest.mark.parametrize("chapter", ["ch1", "ch2"])
            def test_run(chapter):
                record(chapter)

            @pytest.mark.parametrize("chapter", ["ch1", "ch2"])
            def test_rerun(chapter):
                record(chapter)
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "test_other.py").write_text(
        record + "".join(f"\ndef test_{i}():\n    record('other')\n" for i in range(4)),
        encoding="utf-8",
    )
    log = tmp_path / "workers.jsonl"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    command += ["--dist", "loadscope", "--no-loadscope-reorder", "--rootdir", str(tmp_path)]
    result = subprocess.run(
        command + [str(tmp_path)],
        cwd=tmp_path,
        env={**_environ(), "WORKER_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    workers: dict[str, set[str]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        name, worker = json.loads(line)
        workers.setdefault(name, set()).add(worker)
    assert sorted(workers) == ["ch1", "ch2", "other"]
    assert all(len(used) == 1 for used in workers.values()), workers
    assert workers["ch1"] != workers["ch2"], workers


def _environ() -> dict[str, str]:
    """This environment without the outer pytest's (and its xdist worker's) variables."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
