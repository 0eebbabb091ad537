"""Run a plan: one single-threaded worker process per core, resumable, then tidy CSVs.

Each finished run is written atomically (temporary file, then ``os.replace``) to a cache
directory under a key that hashes everything that changes its numbers, so an interrupted
sweep resumes where it stopped and a second invocation runs nothing. The plan's ``runs.csv``
and ``curves.csv`` are then assembled from the cache. Nothing here imports torch: the workers
do, in their own processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from chinchilla_utils._validation import check_choice

from .model_shapes import SEQ_LEN, count_params, training_flops_per_token
from .plans import BATCH_SIZE, PLANS, RECIPE_VERSION, TOKENS_PER_STEP, RunSpec, get_plan

_WORKER_CORPUS = None


def default_cache_dir() -> Path:
    """``$CHINCHILLA_SWEEP_CACHE``, else ``~/.cache/chinchilla_utils/sweep``."""
    env = os.environ.get("CHINCHILLA_SWEEP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "chinchilla_utils" / "sweep"


def default_out_dir(plan: str) -> Path:
    """Where a plan's CSVs go unless told: ``data/sweep`` for ``book`` and ``lr_calibration``.

    ``lr_calibration`` writes only ``lr_calibration.csv`` there; ``smoke`` goes to a folder
    beside the cache, so that a bare ``python -m chinchilla_utils.sweep`` never overwrites the
    shipped book results.
    """
    from chinchilla_utils.datasets.sweep import SWEEP_DIR

    check_choice("plan", plan, PLANS)
    if plan in ("book", "lr_calibration"):
        return SWEEP_DIR
    return default_cache_dir().parent / f"sweep-{plan}"


def _corpus():
    global _WORKER_CORPUS
    if _WORKER_CORPUS is None:
        from .corpus import load_corpus

        _WORKER_CORPUS = load_corpus()
    return _WORKER_CORPUS


def _init_worker(n_threads: int) -> None:
    # One thread per worker: at these sizes two 1-thread processes beat one 2-thread process,
    # and a fixed thread count is what makes results bit-identical from run to run.
    import torch

    torch.set_num_threads(n_threads)
    _corpus()


def _write_json_atomic(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


def execute_run(spec: RunSpec, cache_dir: str) -> str:
    """Train one run in this process and write its result file; returns the file's path."""
    from .train import train_run

    corpus = _corpus()
    key = spec.key(corpus.sha256_train)
    result = train_run(
        spec.shape,
        spec.n_steps,
        spec.peak_lr,
        spec.seed,
        corpus.train,
        corpus.val,
        n_curve_points=spec.n_curve_points,
        n_val_evals=spec.n_val_evals,
        n_val_windows=spec.n_val_windows,
    )
    payload = {
        "key": key,
        "recipe": RECIPE_VERSION,
        "budget": spec.budget,
        "shape": spec.shape.as_dict(),
        "peak_lr": spec.peak_lr,
        "seed": spec.seed,
        "n_steps": spec.n_steps,
        "n_val_windows": spec.n_val_windows,
        "corpus": corpus.summary(),
        "host": platform.node(),
        "processor": platform.processor() or platform.machine(),
        **result,
    }
    path = Path(cache_dir) / f"{key}.json"
    _write_json_atomic(path, payload)
    return str(path)


def _run_order(spec: RunSpec) -> tuple[int, float]:
    # First seed before extra seeds (an interrupted sweep has one complete seed sooner), and
    # within a seed the largest budgets first, so that both workers stay busy until the end.
    return (spec.seed, -spec.budget)


@dataclass(frozen=True)
class SweepSummary:
    """What an invocation did: runs trained, runs found in the cache, seconds elapsed."""

    plan: str
    n_runs: int
    n_executed: int
    n_skipped: int
    elapsed_seconds: float
    out_dir: Path


def run_plan(
    plan: str,
    jobs: int = 2,
    out_dir: Path | str | None = None,
    cache_dir: Path | str | None = None,
    progress: bool = True,
    assemble: bool = True,
) -> SweepSummary:
    """Train every run of ``plan`` that is not in the cache, then write its CSVs to ``out_dir``.

    ``jobs`` single-threaded worker processes share the runs: the first seed first, and within a
    seed the largest budgets first.
    """
    from tqdm.auto import tqdm

    from .corpus import load_corpus

    specs = get_plan(plan)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs!r}")
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(plan)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    corpus = load_corpus()
    pending = [s for s in specs if not (cache_dir / f"{s.key(corpus.sha256_train)}.json").exists()]
    pending.sort(key=_run_order)
    start = time.perf_counter()
    if pending:
        ctx = get_context("spawn")
        with (
            ProcessPoolExecutor(
                jobs, mp_context=ctx, initializer=_init_worker, initargs=(1,)
            ) as pool,
            tqdm(total=len(pending), desc=f"sweep {plan}", unit="run", disable=not progress) as bar,
        ):
            futures = [pool.submit(execute_run, s, str(cache_dir)) for s in pending]
            for future in as_completed(futures):
                future.result()
                bar.update(1)
    elapsed = time.perf_counter() - start
    if assemble:
        assemble_plan(plan, out_dir, cache_dir, elapsed_seconds=elapsed, n_executed=len(pending))
    return SweepSummary(plan, len(specs), len(pending), len(specs) - len(pending), elapsed, out_dir)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assemble_plan(
    plan: str,
    out_dir: Path | str,
    cache_dir: Path | str | None = None,
    elapsed_seconds: float | None = None,
    n_executed: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build ``runs.csv``, ``curves.csv`` and ``sweep_meta.json`` in ``out_dir`` from the cache.

    The ``lr_calibration`` plan writes ``lr_calibration.csv`` (the search as evidence, see
    :func:`~chinchilla_utils.datasets.sweep.lr_calibration_summary`) instead. Raises
    ``FileNotFoundError`` naming the missing runs when the plan is not complete.
    """
    from .corpus import load_corpus

    out_dir = Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    corpus = load_corpus()
    specs = get_plan(plan)
    results = []
    missing = []
    for spec in specs:
        path = cache_dir / f"{spec.key(corpus.sha256_train)}.json"
        if path.exists():
            results.append((spec, json.loads(path.read_text())))
        else:
            missing.append(spec.run_id)
    if missing:
        raise FileNotFoundError(
            f"plan {plan!r} has {len(missing)} runs not in {cache_dir}: {missing[:5]}; "
            f"run `python -m chinchilla_utils.sweep --plan {plan}` first"
        )
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
    _write_json_atomic(out_dir / "sweep_meta.json", meta)
    return runs, curves
