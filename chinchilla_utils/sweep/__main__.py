"""Command line: ``python -m chinchilla_utils.sweep --plan smoke|book|large --jobs 2``.

``--backend ray`` trains each run as a Ray task, on a local Ray or (``--address``) an existing
cluster; ``--device cuda`` trains on a GPU. Errors that stop a sweep before or while it runs
(a missing package, no GPU, an unwritable cache, an incomplete or invalid cache when
assembling) are printed as one message that says how to fix them, with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from .plans import PLANS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chinchilla_utils.sweep", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--plan", choices=sorted(PLANS), default="smoke")
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="runs at a time (process: worker processes; local Ray: CPUs / --threads)",
    )
    parser.add_argument(
        "--backend",
        choices=("process", "ray"),
        default="process",
        help="process: worker processes on this machine (default); ray: one Ray task per run "
        '(needs pip install "chinchilla_utils[cluster]")',
    )
    parser.add_argument(
        "--address",
        default=None,
        help="with --backend ray: an existing Ray cluster (e.g. auto, ray://head:10001); "
        "without it a local Ray is started",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="cpu (default; the shipped results) or cuda (same recipe on a GPU, own cache keys)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per run, and each Ray task's num_cpus (default 1)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="where the CSVs go (book, lr_calibration on cpu: data/sweep; else beside the cache)",
    )
    parser.add_argument("--cache", default=None, help="per-run results ($CHINCHILLA_SWEEP_CACHE)")
    parser.add_argument("--assemble-only", action="store_true", help="only rebuild the CSVs")
    parser.add_argument("--dry-run", action="store_true", help="list the plan's runs and stop")
    parser.add_argument("--no-progress", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.address is not None and args.backend != "ray":
        parser.error("--address needs --backend ray")
    if args.jobs < 1 or args.threads < 1:
        parser.error(f"--jobs and --threads must be at least 1, got {args.jobs}, {args.threads}")

    from .errors import SweepError
    from .plans import get_plan

    if args.dry_run:
        for spec in get_plan(args.plan):
            print(spec.run_id, spec.n_steps, f"{spec.peak_lr:.4g}")
        return 0
    from .runner import assemble_plan, default_out_dir, run_plan

    try:
        if args.assemble_only:
            out = args.out or default_out_dir(args.plan, args.device)
            runs, _ = assemble_plan(
                args.plan, out, args.cache, device=args.device, threads_per_run=args.threads
            )
            print(f"assembled {len(runs)} runs into {out}")
            return 0
        summary = run_plan(
            args.plan,
            args.jobs,
            args.out,
            args.cache,
            progress=not args.no_progress,
            backend=args.backend,
            device=args.device,
            threads_per_run=args.threads,
            address=args.address,
        )
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"plan {summary.plan}: {summary.n_executed} runs trained ({summary.backend}, "
        f"{summary.device}), {summary.n_skipped} found in the cache, "
        f"{summary.elapsed_seconds:.1f} s; results in {summary.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
