"""Command line: ``python -m chinchilla_utils.sweep --plan smoke|book --jobs 2``."""

from __future__ import annotations

import argparse
import sys

from .plans import PLANS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chinchilla_utils.sweep", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--plan", choices=sorted(PLANS), default="smoke")
    parser.add_argument("--jobs", type=int, default=2, help="single-threaded worker processes")
    parser.add_argument(
        "--out",
        default=None,
        help="where the CSVs go (book, lr_calibration: data/sweep; smoke: beside the cache)",
    )
    parser.add_argument("--cache", default=None, help="per-run results ($CHINCHILLA_SWEEP_CACHE)")
    parser.add_argument("--assemble-only", action="store_true", help="only rebuild the CSVs")
    parser.add_argument("--dry-run", action="store_true", help="list the plan's runs and stop")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from .plans import get_plan

    if args.dry_run:
        for spec in get_plan(args.plan):
            print(spec.run_id, spec.n_steps, f"{spec.peak_lr:.4g}")
        return 0
    from .runner import assemble_plan, default_out_dir, run_plan

    if args.assemble_only:
        out = args.out or default_out_dir(args.plan)
        runs, _ = assemble_plan(args.plan, out, args.cache)
        print(f"assembled {len(runs)} runs into {out}")
        return 0
    summary = run_plan(args.plan, args.jobs, args.out, args.cache, progress=not args.no_progress)
    print(
        f"plan {summary.plan}: {summary.n_executed} runs trained, {summary.n_skipped} found in "
        f"the cache, {summary.elapsed_seconds:.1f} s; results in {summary.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
