"""Shared pytest fixtures (none is autouse: a test asks for what it needs), and how the tests are
shared between pytest-xdist workers (``make test``: ``-n 2 --dist loadscope``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xdist_units

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def epoch_data_dir() -> Path:
    """Folder holding Epoch AI's ``svg_extracted_data.csv`` (never shipped in the repository).

    ``$CHINCHILLA_DATA_DIR`` when set, else ``../shared/data/epoch`` next to the clone. The
    test fails (never skips) when neither holds the file: the notebooks need the points too,
    so a suite that skipped here would report green while checking much less.
    """
    candidates = []
    if os.environ.get("CHINCHILLA_DATA_DIR"):
        candidates.append(Path(os.environ["CHINCHILLA_DATA_DIR"]).expanduser())
    candidates.append(REPO_ROOT.parent / "shared" / "data" / "epoch")
    for folder in candidates:
        if (folder / "svg_extracted_data.csv").is_file():
            return folder
    pytest.fail(
        "Epoch AI's svg_extracted_data.csv not found: set CHINCHILLA_DATA_DIR to the folder "
        f"holding it (looked in {[str(c) for c in candidates]}); see data/README.md"
    )


# --- sharing the tests between pytest-xdist workers (make test: -n 2 --dist loadscope) -------------


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent without it
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` with the units of :func:`xdist_units.xdist_scope`; other modes as
    xdist has them."""
    if config.getvalue("dist") != "loadscope":
        return None
    return xdist_units.book_scope_scheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker only: the slow kinds first (the order units are handed out)."""
    if hasattr(config, "workerinput"):
        items.sort(key=xdist_units.slowness_rank)
