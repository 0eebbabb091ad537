"""Shared pytest fixtures. None is autouse: a test asks for what it needs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
