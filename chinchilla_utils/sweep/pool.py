"""The default backend: a pool of worker processes on this machine.

``n_workers`` spawned processes (``spawn``, so no state leaks from the driver) train the jobs,
each with its own thread count; the records come back to the driver, which writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from .worker import RunJob, train_record


def run_jobs(
    jobs: list[RunJob], n_workers: int, *, corpus=None, address: str | None = None
) -> Iterator[tuple[RunJob, dict]]:
    """Train ``jobs`` in ``n_workers`` local processes; yield ``(job, record)`` as each finishes.

    Jobs start in the order given. ``corpus`` is unused (each worker reads the standard library
    itself and checks its bytes against the job's key); ``address`` must be None. On an error,
    or when the caller stops iterating, the jobs not yet started are cancelled.
    """
    if address is not None:
        raise ValueError(f"address {address!r} needs the Ray backend (--backend ray)")
    pool = ProcessPoolExecutor(n_workers, mp_context=get_context("spawn"))
    try:
        futures = {pool.submit(train_record, job): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
