"""Where the shipped data files live, and how every loader reads and checks them.

The repository's top-level ``data/`` folder is installed as the package
``chinchilla_utils._data`` (``pyproject.toml`` maps it), so the same lookup finds the CSVs in a
clone installed editable, in a wheel installed elsewhere, and in Colab or Binder. Loaders ask
:func:`data_path` for a file by its name relative to ``data/`` and never build paths from
``__file__``.

Integrity: ``data/MANIFEST.sha256`` records the SHA-256 of every shipped CSV (in the format of
``sha256sum``, so ``cd data && sha256sum -c MANIFEST.sha256`` checks them too), except the
sweep's results, whose hashes ``data/sweep/sweep_meta.json`` records. :func:`verify_shipped`
checks a file against it on load; ``make manifest`` (:func:`write_manifest`) rewrites it after a
deliberate change. Each file is hashed once per process (again only if it changes on disk).
:func:`read_csv` reads a CSV and names the file, and the fix, when pandas cannot parse it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "DATA_PACKAGE",
    "MANIFEST_NAME",
    "DataChecksumError",
    "data_dir",
    "data_path",
    "file_sha256",
    "manifest_files",
    "read_csv",
    "read_manifest",
    "verify_shipped",
    "write_manifest",
]

#: The package that holds the shipped data files.
DATA_PACKAGE = "chinchilla_utils._data"

#: The manifest of SHA-256 hashes, in the data folder: ``<sha256>  <relative path>`` per line.
MANIFEST_NAME = "MANIFEST.sha256"

#: A folder's file whose ``"sha256"`` entry already records the hashes of the CSVs beside it.
_SWEEP_META = "sweep_meta.json"


class DataChecksumError(ValueError):
    """A data file's SHA-256 differs from the recorded one."""


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


# --- hashing, once per process ------------------------------------------------------------------

# (resolved path, size, mtime in ns) -> hex digest: a file is hashed again only if it changed.
_DIGESTS: dict[tuple[str, int, int], str] = {}
_MANIFESTS: dict[tuple[str, int, int], dict[str, str]] = {}


def _stat_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()  # FileNotFoundError names the path
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_sha256(path: str | PathLike[str]) -> str:
    """SHA-256 of a file (hex), computed once per process per version of the file."""
    path = Path(path)
    key = _stat_key(path)
    if key not in _DIGESTS:
        _DIGESTS[key] = _hash_file(path)
    return _DIGESTS[key]


# --- the manifest -------------------------------------------------------------------------------


def _recorded_by_sweep_meta(folder: Path) -> set[str]:
    meta = folder / _SWEEP_META
    if not meta.is_file():
        return set()
    return set(json.loads(meta.read_text(encoding="utf-8")).get("sha256", {}))


def manifest_files(folder: str | PathLike[str]) -> list[str]:
    """The CSVs under ``folder`` that the manifest covers, as sorted POSIX paths relative to it.

    Every ``*.csv`` at any depth, except those whose hashes a ``sweep_meta.json`` beside them
    records (the sweep CLI writes and checks those).
    """
    folder = Path(folder)
    skipped: dict[Path, set[str]] = {}
    names = []
    for path in folder.rglob("*.csv"):
        if path.parent not in skipped:
            skipped[path.parent] = _recorded_by_sweep_meta(path.parent)
        if path.name not in skipped[path.parent]:
            names.append(path.relative_to(folder).as_posix())
    return sorted(names)


def write_manifest(folder: str | PathLike[str]) -> Path:
    """Write ``folder/MANIFEST.sha256`` for :func:`manifest_files` (what ``make manifest`` runs).

    Returns the manifest's path. Run it after a deliberate change to a shipped CSV, and commit
    the manifest with the change.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing folder of CSVs, got {str(folder)!r}")
    lines = [f"{file_sha256(folder / name)}  {name}\n" for name in manifest_files(folder)]
    manifest = folder / MANIFEST_NAME
    manifest.write_text("".join(lines), encoding="utf-8")
    return manifest


def read_manifest(folder: str | PathLike[str]) -> dict[str, str]:
    """The hashes ``folder/MANIFEST.sha256`` records: relative path -> SHA-256 (hex).

    Raises
    ------
    FileNotFoundError
        If the folder has no manifest; the message says how to make one.
    ValueError
        If a line is not ``<64 hex digits>  <path>``; the message names the line.
    """
    manifest = Path(folder) / MANIFEST_NAME
    if not manifest.is_file():
        raise FileNotFoundError(
            f"{manifest} is missing: it records the SHA-256 of every shipped CSV. Restore it "
            "from git (git checkout -- data/), or write it with `make manifest`"
        )
    key = _stat_key(manifest)
    if key not in _MANIFESTS:
        recorded = {}
        for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
            digest, _, name = line.partition("  ")
            if len(digest) != 64 or not name or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(
                    f"{manifest} line {number} is not '<sha256>  <file>': {line!r}; "
                    "rewrite the manifest with `make manifest`"
                )
            recorded[name] = digest
        _MANIFESTS[key] = recorded
    return dict(_MANIFESTS[key])


def verify_shipped(folder: str | PathLike[str], relative: str) -> Path:
    """Check ``folder/relative`` against the folder's manifest; return its path.

    Raises
    ------
    DataChecksumError
        The file's SHA-256 differs from the recorded one, or the manifest does not list it. The
        message names the file and both hashes, and the fix: restore the file from git, or run
        ``make manifest`` after a deliberate change.
    FileNotFoundError
        The file or the manifest is missing.
    """
    folder = Path(folder)
    path = folder / relative
    actual = file_sha256(path)
    recorded = read_manifest(folder)
    manifest = folder / MANIFEST_NAME
    if relative not in recorded:
        raise DataChecksumError(
            f"{path} (SHA-256 {actual}) is not listed in {manifest}. A new or renamed table "
            "needs its hash recorded: run `make manifest` and commit the manifest with the file"
        )
    if actual != recorded[relative]:
        raise DataChecksumError(
            f"{path} has SHA-256 {actual}, expected {recorded[relative]} (recorded in "
            f"{manifest}). It is not the shipped {relative}: restore it from git "
            f"(git checkout -- data/{relative}), or, if you changed it on purpose, run "
            "`make manifest` and commit the manifest with the change"
        )
    return path


# --- reading ------------------------------------------------------------------------------------


def read_csv(path: str | PathLike[str], *, fix: str, **kwargs: Any) -> pd.DataFrame:
    """:func:`pandas.read_csv`, with the file named when it is empty, truncated or not text.

    Parameters
    ----------
    path
        The CSV file.
    fix
        What the reader should do about a broken file (restore it, regenerate it, ...); it ends
        the error message.
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Raises
    ------
    ValueError
        The file is empty, cannot be parsed (a row with too many fields, an unclosed quote from
        a truncated write) or is not UTF-8 text; the message names the file, pandas' reason and
        ``fix``.
    """
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{path} is empty (not even a header row); {fix}") from exc
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path} is not a well-formed CSV (truncated?): {exc}; {fix}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc}); {fix}") from exc


def main(argv: list[str] | None = None) -> int:
    """``python -m chinchilla_utils.datasets._files [FOLDER]``: write FOLDER's manifest."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else data_dir()
    manifest = write_manifest(folder)
    print(f"wrote {manifest}: {len(read_manifest(folder))} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
