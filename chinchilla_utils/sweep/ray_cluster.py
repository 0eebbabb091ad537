"""The Ray backend: every run a Ray task, on a local Ray or on an existing Ray cluster.

Each task asks for ``num_cpus`` = the run's thread count and, with ``--device cuda``,
``num_gpus=1``; it trains the run with the same worker code as the local pool and returns the
record to the driver, which writes it to the same cache under the same key. A sweep can
therefore move between backends (and machines) and resume. The corpus travels once through
Ray's object store, so cluster nodes train on the driver's bytes whatever their Python's
standard library; they need the package and torch installed (``pip install
"chinchilla_utils[sweep,cluster]"``).

A task whose worker dies (killed, out of memory, node lost) is retried by Ray up to
``max_retries`` times; an exception raised by the run itself is not retried (it would fail
again). Nothing a dead worker did reaches the cache: only the driver writes, atomically.

``ray`` is an optional extra (``pip install "chinchilla_utils[cluster]"``): nothing else in
the package imports it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from .errors import DeviceUnavailableError, MissingExtraError
from .worker import RunJob, train_record

RAY_INSTALL_HINT = 'pip install "chinchilla_utils[cluster]"'
#: Retries of a task whose worker process died (Ray's ``max_retries``).
MAX_RETRIES = 3
#: Object store of a local Ray: the corpus (about 32 MB) and the records fit many times over.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
#: Test-only hook: when set to a folder, a Ray task kills its own worker process (SIGKILL)
#: after training, the first time it runs each key; every attempt that trains to the end
#: appends its process id to ``<key>.attempts`` there.
KILL_FIRST_ATTEMPT_ENV = "CHINCHILLA_SWEEP_TEST_KILL_FIRST_ATTEMPT"


def require_ray() -> None:
    """Raise :class:`MissingExtraError` with the install command when ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise MissingExtraError(
            f"--backend ray needs ray, which is not installed: {RAY_INSTALL_HINT}", name="ray"
        )


def _import_ray(local: bool):
    require_ray()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if local:
        # Ray reads this when first imported: a local Ray then listens on 127.0.0.1 only
        # instead of the machine's network address (a one-machine Ray needs no network).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    return ray


def start_local_ray(ray, num_cpus: int, num_gpus: int) -> None:
    """Start a new Ray on this machine (never joining another's), quiet, loopback only."""
    ray.init(
        address="local",
        num_cpus=num_cpus,
        num_gpus=num_gpus,
        include_dashboard=False,
        object_store_memory=LOCAL_OBJECT_STORE_BYTES,
        logging_level=logging.ERROR,
    )


def _check_resources(ray, jobs: list[RunJob], address: str | None) -> None:
    resources = ray.cluster_resources()
    where = f"the Ray cluster at {address!r}" if address else "the local Ray"
    threads = max(job.n_threads for job in jobs)
    if resources.get("CPU", 0) < threads:
        raise DeviceUnavailableError(
            f"{where} has {resources.get('CPU', 0):g} CPUs, fewer than the {threads} threads a "
            "run asks for; pass a smaller --threads"
        )
    if any(job.device == "cuda" for job in jobs) and resources.get("GPU", 0) < 1:
        raise DeviceUnavailableError(
            f"--device cuda: {where} has no GPU (resources {sorted(resources)}); train with "
            "--device cpu or connect to a cluster with GPU nodes"
        )


def _kill_on_first_attempt(key: str) -> None:
    folder = os.environ.get(KILL_FIRST_ATTEMPT_ENV)
    if not folder:
        return
    attempts = Path(folder) / f"{key}.attempts"
    first = not attempts.exists()
    with attempts.open("a") as log:  # one line per attempt that got here: the worker's pid
        log.write(f"{os.getpid()}\n")
    if first:
        os.kill(os.getpid(), signal.SIGKILL)


def _train_task(job: RunJob, train, val, corpus_summary: dict) -> dict:
    record = train_record(job, train, val, corpus_summary)
    _kill_on_first_attempt(job.key)
    return record


def run_jobs(
    jobs: list[RunJob],
    n_workers: int,
    *,
    corpus,
    address: str | None = None,
    max_retries: int = MAX_RETRIES,
) -> Iterator[tuple[RunJob, dict]]:
    """Train ``jobs`` as Ray tasks; yield ``(job, record)`` as each finishes.

    With ``address`` (``"auto"``, ``"ray://head:10001"``, ``"head:6379"``, as ``ray.init``
    takes it) the tasks run on that cluster, as many at a time as its resources allow;
    without it a new local Ray with ``n_workers`` x threads-per-run CPUs is started and shut
    down afterwards. When the caller has already called ``ray.init``, that connection is used
    and left open. ``corpus`` is the driver's
    :class:`~chinchilla_utils.sweep.corpus.Corpus`, shipped once to the object store.

    A local start sets ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (Ray then binds to loopback)
    and ``RAY_USAGE_STATS_ENABLED=0`` in this process's environment unless they are set; the
    first takes effect only if ray was not imported before.
    """
    ray = _import_ray(local=address is None)
    owns = not ray.is_initialized()
    if owns and address is None:
        n_gpus = 0
        if any(job.device == "cuda" for job in jobs):
            import torch

            n_gpus = torch.cuda.device_count()
        start_local_ray(ray, n_workers * max(job.n_threads for job in jobs), n_gpus)
    elif owns:
        ray.init(address=address, logging_level=logging.WARNING)
    pending: list = []
    try:
        _check_resources(ray, jobs, address)
        task = ray.remote(_train_task)
        train_ref, val_ref = ray.put(corpus.train), ray.put(corpus.val)
        summary = corpus.summary()
        by_ref = {}
        for job in jobs:
            options = task.options(
                num_cpus=job.n_threads,
                num_gpus=1 if job.device == "cuda" else 0,
                max_retries=max_retries,
                retry_exceptions=False,
                name=f"sweep {job.spec.run_id}",
            )
            by_ref[options.remote(job, train_ref, val_ref, summary)] = job
        pending = list(by_ref)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield by_ref[ref], ray.get(ref)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if owns:
            ray.shutdown()
