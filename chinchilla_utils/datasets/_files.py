"""Where the shipped data files live: one place for every loader.

The repository's top-level ``data/`` folder is installed as the package
``chinchilla_utils._data`` (``pyproject.toml`` maps it), so the same lookup finds the CSVs in a
clone installed editable, in a wheel installed elsewhere, and in Colab or Binder. Loaders ask
:func:`data_path` for a file by its name relative to ``data/`` and never build paths from
``__file__``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["DATA_PACKAGE", "data_dir", "data_path"]

#: The package that holds the shipped data files.
DATA_PACKAGE = "chinchilla_utils._data"


def data_dir() -> Path:
    """The folder of shipped data files (``data/`` in a clone, ``_data`` in an install)."""
    try:
        root = resources.files(DATA_PACKAGE)
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            f"chinchilla_utils' data files ({DATA_PACKAGE}) are not installed; reinstall the "
            "package (pip install chinchilla_utils, or pip install -e . from a clone)"
        ) from exc
    return Path(str(root))


def data_path(relative: str) -> Path:
    """The path of one shipped file, ``relative`` to ``data/`` (``"table1_models.csv"``).

    Raises
    ------
    FileNotFoundError
        If no such file was shipped; the message names the file and the folder searched.
    """
    path = data_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"no shipped data file {relative!r} in {data_dir()}; see data/README.md for the files"
        )
    return path
