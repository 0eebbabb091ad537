"""What a sweep plan costs: CPU-hours measured on this machine, GPU-hours from an assumption.

```bash
OMP_NUM_THREADS=1 .venv/bin/python -u benchmarks/bench_sweep_cost.py --plan large   # ~4 min
.venv/bin/python -u benchmarks/bench_sweep_cost.py --plan large --device cuda        # on a GPU
```

Method. For each distinct shape of the plan, the sweep's own training loop
(``chinchilla_utils.sweep.train.train_run``: same model, optimizer, batches) runs ``k`` and
``2k`` optimizer steps on one thread (``--device cpu``) and the difference of the two CPU
times (this process's, so other processes on the cores do not count; wall time on a GPU)
over ``k`` is the shape's seconds per step (model construction, warm-up and the one
tiny evaluation cancel out). One full evaluation (256 windows) is timed too; a run does 8.
A run's cost is ``n_steps x seconds per step + 8 x evaluation``; the plan's is the sum.

Without a GPU the GPU column is an assumption, stated in the output: these models are far too
small to keep a GPU busy (the largest step of the large plan is 4.7e10 FLOPs, about 1 ms at
50 TFLOP/s), so an eager PyTorch step costs its kernel launches: ``--gpu-ms-per-step`` (fixed:
embedding, loss, clipping, the optimizer) plus ``--gpu-ms-per-layer`` for each layer, plus
the FLOPs at ``--gpu-tflops``. With ``--device cuda`` the GPU is measured as the CPU is.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd
import torch

from chinchilla_utils.datasets.sweep import load_sweep_runs
from chinchilla_utils.sweep.corpus import load_corpus
from chinchilla_utils.sweep.model_shapes import count_params, training_flops_per_token
from chinchilla_utils.sweep.plans import TOKENS_PER_STEP, get_plan
from chinchilla_utils.sweep.train import build_model, evaluate, train_run, validation_windows


def seconds_per_step(shape, k: int, corpus, device: str) -> float:
    """Seconds of one optimizer step of ``shape``: (time of 2k steps - time of k) / k.

    CPU seconds of this process on the CPU (robust to other processes sharing the cores: the
    cost to estimate is CPU-hours), wall seconds on a GPU.
    """
    clock = "cpu_seconds" if device == "cpu" else "wall_seconds"
    times = []
    for n_steps in (k, 2 * k):
        run = train_run(
            shape, n_steps, 1e-3, 0, corpus.train, corpus.val,
            n_curve_points=1, n_val_evals=1, n_val_windows=8, device=device,
        )  # fmt: skip
        times.append(run[clock])
    return (times[1] - times[0]) / k


def evaluation_seconds(shape, corpus, device: str) -> float:
    """Seconds (CPU on the CPU, wall on a GPU) of one evaluation (256 windows) of ``shape``."""
    clock = time.process_time if device == "cpu" else time.perf_counter
    model = build_model(shape).to(device)
    windows = validation_windows(np.asarray(corpus.val), 256).to(device)
    evaluate(model, windows[:64])  # warm-up
    start = clock()
    evaluate(model, windows)
    return clock() - start


def assumed_gpu_seconds_per_step(shape, ms_per_step: float, ms_per_layer: float, tflops: float):
    flops = training_flops_per_token(shape) * TOKENS_PER_STEP
    return 1e-3 * (ms_per_step + ms_per_layer * shape.n_layers) + flops / (tflops * 1e12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="large")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--step-seconds", type=float, default=12.0, help="time per shape, about")
    parser.add_argument("--gpu-ms-per-step", type=float, default=1.5)
    parser.add_argument("--gpu-ms-per-layer", type=float, default=0.4)
    parser.add_argument("--gpu-tflops", type=float, default=20.0)
    args = parser.parse_args()

    torch.set_num_threads(1)
    corpus = load_corpus()
    specs = get_plan(args.plan)
    book = load_sweep_runs()
    book_sps = (book["cpu_seconds"] / book["n_steps"]).groupby(book["shape"]).median()
    rows = []
    for shape in sorted({s.shape for s in specs}, key=count_params):
        probe = seconds_per_step(shape, 4, corpus, args.device)
        k = int(min(300, max(8, args.step_seconds / 3 / max(probe, 1e-4))))
        sps = seconds_per_step(shape, k, corpus, args.device)
        eval_s = evaluation_seconds(shape, corpus, args.device)
        n_steps = sum(s.n_steps for s in specs if s.shape == shape)
        n_runs = sum(1 for s in specs if s.shape == shape)
        gpu = assumed_gpu_seconds_per_step(
            shape, args.gpu_ms_per_step, args.gpu_ms_per_layer, args.gpu_tflops
        )
        rows.append(
            {
                "shape": shape.name,
                "n_params": count_params(shape),
                "runs": n_runs,
                "steps": n_steps,
                "k": k,
                "s_per_step": sps,
                "book_s_per_step": book_sps.get(shape.name, float("nan")),
                "eval_s": eval_s,
                "hours": (n_steps * sps + 8 * n_runs * eval_s) / 3600,
                "assumed_gpu_hours": n_steps * gpu / 3600,
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    what = "GPU" if args.device == "cuda" else "CPU (1 thread)"
    print(
        f"\nplan {args.plan}: {len(specs)} runs, {table['steps'].sum():,} steps; "
        f"{table['hours'].sum():.1f} {what}-hours measured on {platform.node()} "
        f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end); "
        f"{table['assumed_gpu_hours'].sum():.2f} GPU-hours assumed ({args.gpu_ms_per_step} ms "
        f"a step + {args.gpu_ms_per_layer} ms a layer + FLOPs at {args.gpu_tflops} TFLOP/s); "
        f"torch {torch.__version__}"
    )


if __name__ == "__main__":
    main()
