"""Spreading independent pieces of work (blocks of starts, chunks of resamples) over threads.

The compiled L-BFGS releases the GIL, so threads run it in parallel without the start-up,
pickling and memory of worker processes. Each start's arithmetic is its own
(``.lbfgs``), so how the work is split changes nothing in the results.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..bootstrap import progress_iter

__all__ = ["available_cores", "check_jobs", "run_parts"]

#: Below this many starts one thread is as fast as two (measured on 2 cores, 240 runs).
MIN_ROWS_FOR_THREADS = 200


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_jobs(n_jobs: Any, n_rows: int) -> int:
    """The number of threads to use for ``n_rows`` starts; None picks one automatically.

    None: 1 below ``MIN_ROWS_FOR_THREADS`` starts, else every available core. More
    threads than cores only slow the fit down, so a larger request is capped, with a warning.
    """
    cores = available_cores()
    if n_jobs is None:
        return 1 if n_rows < MIN_ROWS_FOR_THREADS else cores
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    if n_jobs > cores:
        warnings.warn(
            f"n_jobs={n_jobs} is more than the {cores} available core(s); using {cores}",
            RuntimeWarning,
            stacklevel=3,
        )
        return cores
    return int(n_jobs)


def run_parts(
    func: Callable[..., Any],
    parts: Sequence[tuple[Any, ...]],
    n_jobs: int,
    progress: bool | None = False,
    desc: str = "",
) -> list[Any]:
    """``[func(*args) for args in parts]``, on up to ``n_jobs`` threads, in the given order."""
    if n_jobs == 1 or len(parts) == 1:
        results = (func(*args) for args in parts)
        return list(progress_iter(results, len(parts), desc, progress))
    with ThreadPoolExecutor(max_workers=min(n_jobs, len(parts))) as pool:
        futures = [pool.submit(func, *args) for args in parts]
        done = (future.result() for future in futures)
        return list(progress_iter(done, len(parts), desc, progress))
