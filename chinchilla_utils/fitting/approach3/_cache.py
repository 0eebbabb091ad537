"""numba's cache of compiled code, kept honest about the files a function depends on.

numba checks a cached function against its own source file only, and freezes the globals it
reads (``EXP_SAFE``, the kernel it calls) into the cached machine code. After an edit of
``objective.py`` or ``_kernel.py`` the cached code of a function in another file would go on
running the old constants or kernel, silently. :func:`forget_if_stale` empties such a cache
when a file it depends on is newer than it, so the next call compiles afresh.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["cache_index", "cache_is_stale", "forget_if_stale"]


def cache_is_stale(index: Path, dependency: Path) -> bool:
    """Whether the numba cache index ``index`` exists and is older than ``dependency``."""
    return index.is_file() and index.stat().st_mtime < dependency.stat().st_mtime


def cache_index(dispatcher: Any) -> Path | None:
    """The file numba keeps ``dispatcher``'s cache index in (None when it caches nothing)."""
    cache = getattr(dispatcher, "_cache", None)
    if getattr(cache, "cache_path", None) is None:
        return None
    code = dispatcher.py_func.__code__
    # numba's name for it: module.function-line.pyXY.nbi
    name = f"{Path(code.co_filename).stem}.{code.co_name}-{code.co_firstlineno}"
    return Path(cache.cache_path) / f"{name}.py{sys.version_info[0]}{sys.version_info[1]}.nbi"


def forget_if_stale(dispatcher: Any, dependencies: Iterable[str | Path]) -> None:
    """Empty ``dispatcher``'s numba cache when one of ``dependencies`` changed after it."""
    index = cache_index(dispatcher)
    if index is not None and any(cache_is_stale(index, Path(p)) for p in dependencies):
        dispatcher._cache.flush()
