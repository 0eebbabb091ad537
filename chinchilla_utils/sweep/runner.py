"""Run a plan on a backend (a local process pool, or Ray), resumable, then tidy CSVs.

Each finished run is written atomically (temporary file, then ``os.replace``) by the driver
to a cache directory under a key that hashes everything that changes its numbers (the device
too, and the thread count when it is not 1), so an interrupted sweep resumes where it stopped,
a second invocation runs nothing, and a sweep can move between backends. A run file counts
only if it is valid (:mod:`~chinchilla_utils.sweep.cache`): an invalid one is moved aside and
trained again. The plan's ``runs.csv`` and ``curves.csv`` are then assembled from the cache.
Nothing here imports torch or ray: the workers do (and the driver's check of ``--device cuda``).
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chinchilla_utils._validation import check_choice

from . import pool, ray_cluster
from .cache import (
    check_cache_writable,
    move_aside,
    read_run,
    run_file,
    scan_cache,
    write_json_atomic,
)
from .errors import IncompletePlanError, InvalidRunFileError
from .model_shapes import SEQ_LEN, count_params, training_flops_per_token
from .plans import BATCH_SIZE, PLANS, RECIPE_VERSION, TOKENS_PER_STEP, RunSpec, get_plan
from .worker import DEVICES, RunJob, require_local_gpu, require_torch, train_record

#: Where runs train: ``process`` (the default: worker processes on this machine) or ``ray``
#: (Ray tasks on a local Ray or an existing cluster). Each takes ``(jobs, n_workers, *,
#: corpus, address)`` and yields ``(job, record)`` as runs finish.
BACKENDS = {"process": pool.run_jobs, "ray": ray_cluster.run_jobs}


def default_cache_dir() -> Path:
    """``$CHINCHILLA_SWEEP_CACHE``, else ``~/.cache/chinchilla_utils/sweep``."""
    env = os.environ.get("CHINCHILLA_SWEEP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "chinchilla_utils" / "sweep"


def default_out_dir(plan: str, device: str = "cpu") -> Path:
    """Where a plan's CSVs go unless told: ``data/sweep`` for ``book`` and ``lr_calibration``.

    ``lr_calibration`` writes only ``lr_calibration.csv`` there; other plans, and any plan
    trained on a device other than the CPU (the shipped files are CPU runs), go to a folder
    beside the cache, so that a bare ``python -m chinchilla_utils.sweep`` never overwrites
    the shipped book results.
    """
    from chinchilla_utils.datasets.sweep import SWEEP_DIR

    check_choice("plan", plan, PLANS)
    check_choice("device", device, DEVICES)
    if device != "cpu":
        return default_cache_dir().parent / f"sweep-{plan}-{device}"
    if plan in ("book", "lr_calibration"):
        return SWEEP_DIR
    return default_cache_dir().parent / f"sweep-{plan}"


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}")
    return value


def plan_jobs(
    plan: str, corpus_sha256: str, device: str = "cpu", threads_per_run: int = 1
) -> list[RunJob]:
    """The plan's runs as jobs with their cache keys, for this corpus, device and thread count."""
    check_choice("device", device, DEVICES)
    threads_per_run = _positive_int("threads_per_run", threads_per_run)
    return [
        RunJob(
            spec,
            spec.key(corpus_sha256, device=device, n_threads=threads_per_run),
            corpus_sha256,
            device,
            threads_per_run,
        )
        for spec in get_plan(plan)
    ]


def execute_run(
    spec: RunSpec, cache_dir: str, device: str = "cpu", threads_per_run: int = 1
) -> str:
    """Train one run in this process and write its result file; returns the file's path."""
    from .worker import _local_corpus

    sha = _local_corpus().sha256_train
    job = RunJob(
        spec, spec.key(sha, device=device, n_threads=threads_per_run), sha, device, threads_per_run
    )
    path = run_file(cache_dir, job.key)
    write_json_atomic(path, train_record(job))
    return str(path)


def _run_order(job: RunJob) -> tuple[int, float]:
    # First seed before extra seeds (an interrupted sweep has one complete seed sooner), and
    # within a seed the largest budgets first, so that every worker stays busy until the end.
    return (job.spec.seed, -job.spec.budget)


@dataclass(frozen=True)
class SweepSummary:
    """What an invocation did: runs trained, runs found in the cache, seconds elapsed.

    ``n_invalid`` counts run files found invalid, moved aside and trained again (they are
    among ``n_executed``).
    """

    plan: str
    n_runs: int
    n_executed: int
    n_skipped: int
    elapsed_seconds: float
    out_dir: Path
    backend: str = "process"
    device: str = "cpu"
    n_invalid: int = 0


def _check_can_train(backend: str, device: str, address: str | None) -> None:
    # Everything that would stop the first run, checked before it starts.
    if backend == "ray":
        ray_cluster.require_ray()
    if backend == "process" or address is None:  # trains on this machine's Python
        require_torch()
        if device == "cuda":
            require_local_gpu()


def run_plan(
    plan: str,
    jobs: int = 2,
    out_dir: Path | str | None = None,
    cache_dir: Path | str | None = None,
    progress: bool = True,
    assemble: bool = True,
    *,
    backend: str = "process",
    device: str = "cpu",
    threads_per_run: int = 1,
    address: str | None = None,
) -> SweepSummary:
    """Train every run of ``plan`` that is not in the cache, then write its CSVs to ``out_dir``.

    ``jobs`` runs at a time (``backend="process"``: that many worker processes; ``"ray"``
    without ``address``: a local Ray of ``jobs x threads_per_run`` CPUs; with ``address``: as
    many as the cluster fits), each with ``threads_per_run`` torch threads, on ``device``
    (``"cpu"`` or ``"cuda"``). The first seed first, and within a seed the largest budgets
    first. Before anything trains: a writable cache, ray (for ``backend="ray"``), torch and a
    GPU (for ``"cuda"``) are checked, each refused with a
    :class:`~chinchilla_utils.sweep.errors.SweepError` that says how to fix it; invalid run
    files are moved aside with an
    :class:`~chinchilla_utils.sweep.errors.InvalidRunFileWarning` and trained again.
    """
    from tqdm.auto import tqdm

    from .corpus import load_corpus

    check_choice("backend", backend, BACKENDS)
    check_choice("device", device, DEVICES)
    jobs = _positive_int("jobs", jobs)
    if address is not None and backend != "ray":
        raise ValueError(f"address {address!r} needs backend='ray', got backend={backend!r}")
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(plan, device)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    corpus = load_corpus()
    all_jobs = plan_jobs(plan, corpus.sha256_train, device, threads_per_run)
    scan = scan_cache(cache_dir, [job.key for job in all_jobs])
    todo = sorted((j for j in all_jobs if j.key not in scan.valid), key=_run_order)
    start = time.perf_counter()
    if todo:
        check_cache_writable(cache_dir)
        _check_can_train(backend, device, address)
        for job in all_jobs:
            if job.key in scan.invalid:
                move_aside(run_file(cache_dir, job.key), scan.invalid[job.key], job.spec.run_id)
        results = BACKENDS[backend](todo, jobs, corpus=corpus, address=address)
        with tqdm(
            total=len(todo),
            desc=f"sweep {plan} ({backend}, {device})",
            unit="run",
            disable=not progress,
        ) as bar:
            for job, record in results:
                write_json_atomic(run_file(cache_dir, job.key), record)
                bar.update(1)
    elapsed = time.perf_counter() - start
    if assemble:
        assemble_plan(
            plan,
            out_dir,
            cache_dir,
            elapsed_seconds=elapsed,
            n_executed=len(todo),
            device=device,
            threads_per_run=threads_per_run,
        )
    return SweepSummary(
        plan,
        len(all_jobs),
        len(todo),
        len(all_jobs) - len(todo),
        elapsed,
        out_dir,
        backend,
        device,
        len(scan.invalid),
    )


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _rerun_command(plan: str, device: str, threads_per_run: int) -> str:
    extra = "" if device == "cpu" else f" --device {device}"
    extra += "" if threads_per_run == 1 else f" --threads {threads_per_run}"
    return f"python -m chinchilla_utils.sweep --plan {plan}{extra}"


def assemble_plan(
    plan: str,
    out_dir: Path | str,
    cache_dir: Path | str | None = None,
    elapsed_seconds: float | None = None,
    n_executed: int | None = None,
    device: str = "cpu",
    threads_per_run: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build ``runs.csv``, ``curves.csv`` and ``sweep_meta.json`` in ``out_dir`` from the cache.

    The ``lr_calibration`` plan writes ``lr_calibration.csv`` (the search as evidence, see
    :func:`~chinchilla_utils.datasets.sweep.lr_calibration_summary`) instead. Only reads the
    cache: raises :class:`~chinchilla_utils.sweep.errors.InvalidRunFileError` (a
    ``ValueError``) naming every invalid run file and why, else
    :class:`~chinchilla_utils.sweep.errors.IncompletePlanError` (a ``FileNotFoundError``)
    naming the missing runs, each with the command that trains them; nothing is written then.
    """
    from .corpus import load_corpus

    out_dir = Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    corpus = load_corpus()
    jobs = plan_jobs(plan, corpus.sha256_train, device, threads_per_run)
    scan = scan_cache(cache_dir, [job.key for job in jobs])
    rerun = _rerun_command(plan, device, threads_per_run)
    missing = [job.spec.run_id for job in jobs if job.key in scan.missing]
    if scan.invalid:
        bad = [
            f"{run_file(cache_dir, job.key)} (run {job.spec.run_id}): {scan.invalid[job.key]}"
            for job in jobs
            if job.key in scan.invalid
        ]
        also = f"; {len(missing)} more runs are missing" if missing else ""
        raise InvalidRunFileError(
            f"plan {plan!r} has {len(bad)} invalid run files in {cache_dir}: "
            + "; ".join(bad)
            + f"{also}; run `{rerun}`, which moves invalid files aside and trains them again"
        )
    if missing:
        raise IncompletePlanError(
            f"plan {plan!r} has {len(missing)} runs not in {cache_dir}: {missing[:5]}; "
            f"run `{rerun}` first"
        )
    results = [(job.spec, read_run(cache_dir, job.key)) for job in jobs]
    run_rows, curve_rows = [], []
    for spec, res in results:
        n_params = count_params(spec.shape)
        fpt = training_flops_per_token(spec.shape)
        n_tokens = spec.n_steps * TOKENS_PER_STEP
        run_id = spec.run_id
        run_rows.append(
            {
                "plan": plan,
                "run_id": run_id,
                "run_key": res["key"],
                "budget": spec.budget,
                "seed": spec.seed,
                "shape": spec.shape.name,
                "n_layers": spec.shape.n_layers,
                "d_model": spec.shape.d_model,
                "n_heads": spec.shape.n_heads,
                "ffw_size": spec.shape.ffw_size,
                "n_params": n_params,
                "n_params_non_embedding": count_params(spec.shape, include_embeddings=False),
                "n_steps": spec.n_steps,
                "batch_size": BATCH_SIZE,
                "seq_len": SEQ_LEN,
                "n_tokens": n_tokens,
                "tokens_per_param": n_tokens / n_params,
                "flops_6nd": 6.0 * n_params * n_tokens,
                "flops_per_token_6n": 6.0 * n_params,
                "flops_per_token_exact": fpt,
                "flops_exact": fpt * n_tokens,
                "peak_lr": spec.peak_lr,
                "warmup_steps": res["warmup_steps"],
                "final_train_loss": res["loss"][-1],
                "final_val_loss": res["val_loss"][-1],
                "n_val_windows": spec.n_val_windows,
                "wall_seconds": res["wall_seconds"],
                "cpu_seconds": res["cpu_seconds"],
                "n_threads": res["n_threads"],
                "torch_version": res["torch_version"],
                "python_version": res["corpus"]["python_version"],
            }
        )
        for kind, steps, losses in (
            ("train", res["step"], res["loss"]),
            ("val", res["val_step"], res["val_loss"]),
        ):
            for step, loss in zip(steps, losses, strict=True):
                tokens = step * TOKENS_PER_STEP
                curve_rows.append(
                    {
                        "plan": plan,
                        "run_id": run_id,
                        "kind": kind,
                        "budget": spec.budget,
                        "seed": spec.seed,
                        "n_params": n_params,
                        "step": step,
                        "n_tokens": tokens,
                        "flops": 6.0 * n_params * tokens,
                        "flops_exact": fpt * tokens,
                        "loss": loss,
                    }
                )
    runs = pd.DataFrame(run_rows)
    curves = pd.DataFrame(curve_rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    if plan == "lr_calibration":
        from chinchilla_utils.datasets.sweep import lr_calibration_summary

        tmp = out_dir / ".lr_calibration.csv.tmp"
        lr_calibration_summary(runs).to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, out_dir / "lr_calibration.csv")
        return runs, curves
    files = {}
    for name, frame in (("runs.csv", runs), ("curves.csv", curves)):
        tmp = out_dir / f".{name}.tmp"
        frame.to_csv(tmp, index=False, float_format="%.10g")
        os.replace(tmp, out_dir / name)
        files[name] = _sha256_file(out_dir / name)
    meta = {
        "plan": plan,
        "recipe": RECIPE_VERSION,
        "n_runs": len(runs),
        "corpus": corpus.summary(),
        "torch_version": sorted(set(runs["torch_version"])),
        "n_threads_per_worker": sorted({int(t) for t in runs["n_threads"]}),
        "device": sorted({res.get("device", "cpu") for _, res in results}),
        "sum_run_wall_seconds": float(runs["wall_seconds"].sum()),
        "sum_run_cpu_seconds": float(runs["cpu_seconds"].sum()),
        "last_invocation_elapsed_seconds": elapsed_seconds,
        "last_invocation_runs_trained": n_executed,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "sha256": files,
    }
    write_json_atomic(out_dir / "sweep_meta.json", meta)
    return runs, curves
