"""The sweep's corpus: the running Python's standard library, read as bytes.

Bytes are the tokens (vocabulary 256), so no tokenizer has to be trained, shipped or versioned.
The bytes differ between Python versions, which is why the version and the SHA-256 of each split
are recorded next to the results (and why the results themselves are shipped).
"""

from __future__ import annotations

import hashlib
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chinchilla_utils._validation import as_positive

#: Files whose path hash falls in the lowest ``VAL_PERCENT`` of 100 buckets are validation.
VAL_PERCENT = 2


def stdlib_dir() -> Path:
    """Directory of the running interpreter's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_py_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """Sorted ``(relative posix path, path)`` pairs of the stdlib's ``.py`` files.

    Third-party packages (``site-packages``, ``dist-packages``) are left out: they are not
    part of the standard library and differ between machines.
    """
    root = stdlib_dir() if root is None else Path(root)
    pairs = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if "site-packages" in rel or "dist-packages" in rel or not path.is_file():
            continue
        pairs.append((rel, path))
    pairs.sort(key=lambda item: item[0])
    return pairs


def is_validation_path(rel_path: str, val_percent: float = VAL_PERCENT) -> bool:
    """Whether a file belongs to the validation split, decided by a hash of its relative path.

    Hashing the path (not the contents) keeps the split stable when a file's bytes change
    between Python patch releases.
    """
    val_percent = float(as_positive("val_percent", val_percent))
    bucket = int.from_bytes(hashlib.sha256(rel_path.encode()).digest()[:8], "big") % 100
    return bucket < val_percent


@dataclass(frozen=True)
class Corpus:
    """Train and validation bytes with their provenance.

    ``train`` and ``val`` are ``uint8`` arrays (one token per byte, files concatenated in
    sorted path order with no separator).
    """

    train: np.ndarray
    val: np.ndarray
    python_version: str
    n_files_train: int
    n_files_val: int
    sha256_train: str
    sha256_val: str

    def summary(self) -> dict[str, object]:
        """Provenance fields recorded with every run (byte counts are tokens)."""
        return {
            "python_version": self.python_version,
            "n_files_train": self.n_files_train,
            "n_files_val": self.n_files_val,
            "n_bytes_train": int(self.train.size),
            "n_bytes_val": int(self.val.size),
            "sha256_train": self.sha256_train,
            "sha256_val": self.sha256_val,
        }


def load_corpus(root: Path | None = None, val_percent: float = VAL_PERCENT) -> Corpus:
    """Read the standard library's ``.py`` files and split them about 98/2 by path hash."""
    train_parts: list[bytes] = []
    val_parts: list[bytes] = []
    for rel, path in stdlib_py_files(root):
        (val_parts if is_validation_path(rel, val_percent) else train_parts).append(
            path.read_bytes()
        )
    if not train_parts or not val_parts:
        raise ValueError(
            f"root {root!r} gave {len(train_parts)} training and {len(val_parts)} validation "
            "files; both splits need at least one .py file"
        )
    train = b"".join(train_parts)
    val = b"".join(val_parts)
    return Corpus(
        train=np.frombuffer(train, dtype=np.uint8),
        val=np.frombuffer(val, dtype=np.uint8),
        python_version=sys.version.split()[0],
        n_files_train=len(train_parts),
        n_files_val=len(val_parts),
        sha256_train=hashlib.sha256(train).hexdigest(),
        sha256_val=hashlib.sha256(val).hexdigest(),
    )
