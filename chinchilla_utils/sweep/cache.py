"""The sweep's run cache: one JSON file per finished run, ``<key>.json``, written atomically.

A run file counts as finished only if it parses and carries every field of a run record with
the right type, its ``key`` is the one in its name, and its curves end at the run's last step.
Anything else (a partial write, a hand-edited or truncated file, a file copied under another
run's name) is *invalid*: a sweep moves it aside (renamed ``<key>.json.invalid-<n>``, never
deleted) and trains the run again; assembling names it. Nothing here imports torch.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from .errors import CacheNotWritableError, InvalidRunFileWarning

_INT = (int,)
_NUMBER = (int, float)

#: Every field of a run record and the JSON types it may hold (records written before the
#: device option lack ``device``, which then means ``"cpu"``: see ``OPTIONAL_RUN_FIELDS``).
RUN_FIELDS: dict[str, tuple[type, ...]] = {
    "key": (str,),
    "recipe": (str,),
    "budget": _NUMBER,
    "shape": (dict,),
    "peak_lr": _NUMBER,
    "seed": _INT,
    "n_steps": _INT,
    "n_val_windows": _INT,
    "corpus": (dict,),
    "host": (str,),
    "processor": (str,),
    "step": (list,),
    "loss": (list,),
    "val_step": (list,),
    "val_loss": (list,),
    "warmup_steps": _INT,
    "wall_seconds": _NUMBER,
    "cpu_seconds": _NUMBER,
    "n_params_torch": _INT,
    "torch_version": (str,),
    "n_threads": _INT,
}
OPTIONAL_RUN_FIELDS: dict[str, tuple[type, ...]] = {"device": (str,), "device_name": (str,)}
#: The corpus fields that assembling reads.
CORPUS_FIELDS = ("python_version", "sha256_train")


def run_file(cache_dir: Path | str, key: str) -> Path:
    """The path of the run with cache key ``key``."""
    return Path(cache_dir) / f"{key}.json"


def _type_problem(name: str, value: object, types: tuple[type, ...]) -> str | None:
    # bool is an int to Python, never a count or a loss here.
    if isinstance(value, bool) or not isinstance(value, types):
        wanted = " or ".join(t.__name__ for t in types)
        return f"field {name!r} is {type(value).__name__} {value!r:.40}, expected {wanted}"
    return None


def _curve_problem(record: dict, steps: str, losses: str) -> str | None:
    xs, ys = record[steps], record[losses]
    if not xs or len(xs) != len(ys):
        return f"{steps!r} and {losses!r} have {len(xs)} and {len(ys)} entries"
    bad_step = next((s for s in xs if isinstance(s, bool) or not isinstance(s, int)), None)
    bad_loss = next((v for v in ys if isinstance(v, bool) or not isinstance(v, _NUMBER)), None)
    if bad_step is not None or bad_loss is not None:
        return f"{steps!r}/{losses!r} hold a non-number ({bad_step!r}, {bad_loss!r})"
    if xs[-1] != record["n_steps"]:
        return f"{steps!r} ends at step {xs[-1]}, not at the run's last step {record['n_steps']}"
    return None


def record_problem(record: object, key: str) -> str | None:
    """Why ``record`` (a parsed run file) is not a finished run with key ``key``; None if it is."""
    if not isinstance(record, dict):
        return f"holds a JSON {type(record).__name__}, not an object"
    missing = [name for name in RUN_FIELDS if name not in record]
    if missing:
        return f"lacks fields {missing}"
    for fields in (RUN_FIELDS, OPTIONAL_RUN_FIELDS):
        for name, types in fields.items():
            if name in record and (problem := _type_problem(name, record[name], types)):
                return problem
    if record["key"] != key:
        return f"carries key {record['key']!r}, not the {key!r} of its name"
    lacking = [name for name in CORPUS_FIELDS if name not in record["corpus"]]
    if lacking:
        return f"its 'corpus' lacks fields {lacking}"
    return _curve_problem(record, "step", "loss") or _curve_problem(record, "val_step", "val_loss")


def file_problem(path: Path, key: str) -> str | None:
    """Why the run file at ``path`` is invalid for ``key`` (None when valid; it must exist)."""
    try:
        record = json.loads(Path(path).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"is not valid JSON ({exc})"
    return record_problem(record, key)


@dataclass(frozen=True)
class CacheScan:
    """What the cache holds for a list of keys: valid, invalid (with the reason), missing."""

    valid: tuple[str, ...]
    invalid: dict[str, str]
    missing: tuple[str, ...]


def scan_cache(cache_dir: Path | str, keys: list[str]) -> CacheScan:
    """Sort ``keys`` into valid, invalid and missing run files (reads, never writes)."""
    valid, invalid, missing = [], {}, []
    for key in keys:
        path = run_file(cache_dir, key)
        if not path.is_file():
            missing.append(key)
        elif (problem := file_problem(path, key)) is not None:
            invalid[key] = problem
        else:
            valid.append(key)
    return CacheScan(tuple(valid), invalid, tuple(missing))


def read_run(cache_dir: Path | str, key: str) -> dict:
    """The run record with ``key`` (the caller has checked it with :func:`scan_cache`)."""
    return json.loads(run_file(cache_dir, key).read_bytes())


def move_aside(path: Path, reason: str, run_id: str = "") -> Path:
    """Rename an invalid run file to ``<name>.invalid-<n>`` (first free n) and warn naming it."""
    path = Path(path)
    n = 1
    while (aside := path.with_name(f"{path.name}.invalid-{n}")).exists():
        n += 1
    os.replace(path, aside)
    run = f" (run {run_id})" if run_id else ""
    warnings.warn(
        f"sweep cache: {path}{run} is not a valid run file: {reason}; moved aside to "
        f"{aside.name} and trained again",
        InvalidRunFileWarning,
        stacklevel=3,
    )
    return aside


def write_json_atomic(path: Path | str, payload: dict) -> None:
    """Write ``payload`` to ``path`` through a temporary file and ``os.replace``.

    A reader never sees a partial file at ``path``: an interrupted write leaves only a hidden
    ``.<name>.<pid>.tmp`` beside it, which no run file name matches.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


def check_cache_writable(cache_dir: Path | str) -> None:
    """Check that run files can be written in ``cache_dir``, creating nothing.

    Writes (and removes) a probe file in ``cache_dir``, or, when it does not exist yet, in its
    nearest existing ancestor, which must be a folder (the cache is created there by the first
    write). Raises :class:`~chinchilla_utils.sweep.errors.CacheNotWritableError` naming the
    folder and the fix, so that a sweep fails before its first run trains rather than after.
    """
    cache_dir = Path(cache_dir)
    existing = cache_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"{str(existing)!r} is a file, not a folder")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise CacheNotWritableError(
            f"the sweep's run cache {str(cache_dir)!r} cannot be written ({exc}); pass a "
            "writable folder with --cache (or $CHINCHILLA_SWEEP_CACHE)"
        ) from exc
