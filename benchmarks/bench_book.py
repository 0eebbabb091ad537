"""The fast book's wall time: every chapter of the toc run with papermill, serially and two at a time.

Each chapter listed under "Chapters" in ``book/_toc.yml`` is executed with its committed (fast)
defaults, as ``tests/test_notebooks.py`` runs it: papermill, kernel ``python3``, working
directory the repository root, output into a temporary folder, single-threaded BLAS. A pass runs
all chapters through a pool of ``jobs`` worker processes, handed out in toc order as workers
free up (what ``make test``'s two pytest-xdist workers and the site build's two reading
processes do); each chapter's time is its papermill call (kernel start and imports included),
the pass's total is the wall time from the first start to the last end.

``--cold`` gives every pass an empty numba cache (``NUMBA_CACHE_DIR``), so that the chapters
that fit Approach 3 compile its kernels as on the first run after installing; without it the
compiled code already cached beside the package is used (the second run). ``--site`` also times
the strict site build (``jupyter-book build ... -W -n --keep-going --all``) with one and with
two reading processes (``BOOK_JOBS``, ``book/_ext/parallel_read.py``).

Usage::

    CHINCHILLA_DATA_DIR=../shared/data/epoch .venv/bin/python benchmarks/bench_book.py --cold
    CHINCHILLA_DATA_DIR=../shared/data/epoch .venv/bin/python benchmarks/bench_book.py --site

The machine's load average is printed before and after each pass: other work on the machine
slows every number here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
TOC_PATH = REPO_ROOT / "book" / "_toc.yml"
#: Environment of every run (values already set are kept), as the tests and make set it.
RUN_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class ChapterRun:
    """One chapter's papermill run in a pass; times in seconds from the pass's start."""

    chapter: str
    seconds: float
    cpu_seconds: float
    start: float
    end: float
    worker: int
    error: str | None


@dataclass(frozen=True)
class Pass:
    """All chapters through ``jobs`` workers."""

    jobs: int
    cold: bool
    wall_seconds: float
    runs: tuple[ChapterRun, ...]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def toc_chapters(toc_path: Path = TOC_PATH) -> list[Path]:
    """Chapter notebooks of the toc's "Chapters" part, relative to the repository root."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    chapters = []
    for part in toc.get("parts", []):
        if part.get("caption") == "Chapters":
            for entry in part.get("chapters", []):
                name = entry["file"]
                chapters.append(Path(name if name.endswith(".ipynb") else f"{name}.ipynb"))
    return chapters


def _warm_up(delay: float) -> int:
    """Import papermill in a worker (not timed) and hold it so every worker gets one."""
    import papermill  # noqa: F401

    time.sleep(delay)
    return os.getpid()


def _cpu_seconds() -> float:
    """CPU time (user + system, s) of this process and of its ended children (the kernels)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run_chapter(chapter: str, output_dir: str, origin: float) -> ChapterRun:
    """Execute one chapter with papermill; never raises (a failure is recorded)."""
    import papermill

    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(
            str(REPO_ROOT / chapter),
            str(Path(output_dir) / Path(chapter).name),
            kernel_name="python3",
            cwd=str(REPO_ROOT),
            progress_bar=False,
            log_output=False,
        )
    except Exception as failure:  # reported in the table and the exit status
        error = f"{type(failure).__name__}: {str(failure).strip().splitlines()[-1][:200]}"
    end = time.perf_counter()
    return ChapterRun(
        chapter=Path(chapter).stem,
        seconds=end - start,
        cpu_seconds=_cpu_seconds() - cpu_before,
        start=start - origin,
        end=end - origin,
        worker=os.getpid(),
        error=error,
    )


def run_pass(chapters: list[Path], jobs: int, cold: bool) -> Pass:
    """Every chapter through a pool of ``jobs`` processes, handed out in toc order."""
    environ = {key: os.environ.get(key, value) for key, value in RUN_ENV.items()}
    with tempfile.TemporaryDirectory(prefix="bench-book-") as scratch:
        if cold:
            environ["NUMBA_CACHE_DIR"] = str(Path(scratch) / "numba-cache")
        saved = {key: os.environ.get(key) for key in environ}
        os.environ.update(environ)  # inherited by the workers and their kernels
        try:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                list(pool.map(_warm_up, [0.5] * jobs))
                load_before = os.getloadavg()
                origin = time.perf_counter()
                futures = [
                    pool.submit(_run_chapter, str(chapter), scratch, origin) for chapter in chapters
                ]
                runs = tuple(future.result() for future in futures)
                wall = max(run.end for run in runs)
                load_after = os.getloadavg()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return Pass(jobs, cold, wall, runs, load_before, load_after)


def time_site_build(jobs: int) -> tuple[float, int, tuple[float, float, float]]:
    """Wall time (s) and exit status of the strict build with ``jobs`` reading processes."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    environ = {**os.environ, **{k: os.environ.get(k, v) for k, v in RUN_ENV.items()}}
    environ["BOOK_JOBS"] = str(jobs)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as output:
        command = [str(jupyter_book), "build", ".", "--toc", "book/_toc.yml"]
        command += ["--path-output", output, "-W", "-n", "--keep-going", "--all"]
        start = time.perf_counter()
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=environ, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-3000:] + result.stderr[-3000:], file=sys.stderr)
    return seconds, result.returncode, os.getloadavg()


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def print_passes(passes: list[Pass]) -> None:
    """Per-chapter wall and CPU seconds for each pass, totals and the serial/parallel ratio."""
    names = [run.chapter for run in passes[0].runs]
    width = max(len(name) for name in names + ["sum of chapters"])
    header = "".join(f"  {f'{p.jobs} worker(s): wall':>19}  {'cpu':>6}" for p in passes)
    print(f"{'chapter':<{width}}{header}")
    for i, name in enumerate(names):
        cells = []
        for p in passes:
            run = p.runs[i]
            wall = f"{run.seconds:.1f}" if run.error is None else "FAILED"
            cells.append(f"  {wall:>19}  {run.cpu_seconds:>6.1f}")
        print(f"{name:<{width}}" + "".join(cells))
    sums = "".join(
        f"  {sum(r.seconds for r in p.runs):>19.1f}  {sum(r.cpu_seconds for r in p.runs):>6.1f}"
        for p in passes
    )
    print(f"{'sum of chapters':<{width}}{sums}")
    print(
        f"{'total (wall)':<{width}}"
        + "".join(f"  {p.wall_seconds:>19.1f}  {'':>6}" for p in passes)
    )
    for p in passes:
        print(
            f"{p.jobs} worker(s){' (cold numba cache)' if p.cold else ''}: load average "
            f"{_load(p.load_before)} before, {_load(p.load_after)} after"
        )
    if len(passes) > 1:
        ratio = passes[0].wall_seconds / passes[-1].wall_seconds
        print(
            f"total: {passes[0].wall_seconds:.1f} s with {passes[0].jobs} worker(s), "
            f"{passes[-1].wall_seconds:.1f} s with {passes[-1].jobs}: ratio {ratio:.2f}x"
        )
    for p in passes:
        for run in p.runs:
            if run.error is not None:
                print(f"FAILED ({p.jobs} workers) {run.chapter}: {run.error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="*",
        default=[1, 2],
        help="worker counts, one pass each, in this order (default: 1 2; none: --site only)",
    )
    parser.add_argument(
        "--cold", action="store_true", help="every pass starts from an empty numba cache"
    )
    parser.add_argument(
        "--site", action="store_true", help="also time the strict site build, 1 and 2 readers"
    )
    parser.add_argument("--chapters", nargs="+", help="chapter stems (default: the toc's)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if any(jobs < 1 for jobs in args.jobs):
        parser.error(f"--jobs takes worker counts >= 1, got {args.jobs}")
    chapters = toc_chapters()
    if args.chapters:
        unknown = sorted(set(args.chapters) - {c.stem for c in chapters})
        if unknown:
            parser.error(f"not chapters of book/_toc.yml: {unknown}")
        chapters = [c for c in chapters if c.stem in args.chapters]

    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{len(chapters)} chapters, CHINCHILLA_DATA_DIR "
        f"{'set' if os.environ.get('CHINCHILLA_DATA_DIR') else 'unset'}; "
        f"load average {_load(os.getloadavg())} at start"
    )
    passes = []
    for jobs in args.jobs:
        passes.append(run_pass(chapters, jobs, args.cold))
        print(f"pass with {jobs} worker(s): {passes[-1].wall_seconds:.1f} s", flush=True)
    if passes:
        print_passes(passes)

    site = {}
    if args.site:
        for jobs in (1, 2):
            seconds, status, load = time_site_build(jobs)
            site[jobs] = {"seconds": seconds, "status": status, "load_after": load}
            print(
                f"site build, {jobs} reading process(es): {seconds:.1f} s (exit {status}); "
                f"load average after {_load(load)}",
                flush=True,
            )
        print(f"site build ratio: {site[1]['seconds'] / site[2]['seconds']:.2f}x")
    if args.json:
        payload = {"passes": [asdict(p) for p in passes], "site": site}
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    failed = any(run.error for p in passes for run in p.runs) or any(
        s["status"] != 0 for s in site.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
