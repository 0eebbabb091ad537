"""Benchmark: the package's Approach 3 fit and bootstrap against two plain implementations.

* **Peer code**: how Epoch AI's replication notebook (Besiroglu et al. 2024, repository
  ``epoch-research/analyzing-chinchilla``, ``data_analysis.ipynb``) fits, rewritten here in
  our own words: per start, ``scipy.optimize.minimize(method="L-BFGS-B")`` without a gradient
  (scipy's finite differences), on an objective that takes logs of the raw sizes, token
  counts and losses at every call, writes the log-sum-exp as ``log(exp + exp + exp)`` and the
  Huber terms with ``np.where``; the best start among those scipy calls successful wins.
  (Epoch's notebook imports ``autograd.numpy`` as ``np``; plain numpy here.)
* **Obvious**: one ``scipy.optimize.minimize(method="L-BFGS-B")`` per start, with the
  numerical gradient, on an objective written from Eq. 11 with ``scipy.special.huber`` and
  ``logsumexp`` (about 3x slower than the peer code per start).

All run on the same data (Epoch AI's 245 points without the 5 flagged outliers), the same
settings (sum, delta = 1e-3) and the same 4,500-start grid. The bootstrap is 4,000 resamples
(runs drawn with replacement). The obvious bootstrap, 4,000 x 4,500 scipy runs (weeks), is
timed on one resample (all 4,500 starts) and extrapolated; the output says so. It also
times the obvious bootstrap given the *same* few starts per resample as the package
(like-for-like, so that the speed-up is not only the smaller number of starts).

Usage (slow: the peer code's 4,500-start fit alone takes minutes)::

    OPENBLAS_NUM_THREADS=1 CHINCHILLA_DATA_DIR=... python benchmarks/bench_approach3.py

The last line reads
``approach3 speedup: <fit ratio>x fit, <bootstrap ratio>x bootstrap; max relative difference
<value>; vs peer code <ratio>x`` (one line) with wall-clock ratios (the package fit: median of
3 timings with the compiled code loaded; its first call in the process, which imports numba
and loads the compiled code from numba's cache, and a first call with an empty cache, which
compiles, are printed too) and the largest relative difference in E, alpha, beta over: peer
code and obvious vs package full-data fit; obvious full grid vs package bootstrap on the timed
resample (when all 4,500 starts are timed); package few-start bootstrap vs package full-grid
fit on ``--check-resamples`` resamples. Timings on a shared machine are noisy; CPU-time
ratios and the load average before and after are printed too. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

from chinchilla_utils.datasets.epoch_ai import load_epoch_points
from chinchilla_utils.fitting.approach3 import (
    PAPER_GRID_AXES,
    bootstrap_approach3,
    fit_approach3,
    paper_initial_grid,
)
from chinchilla_utils.fitting.approach3.fit import distinct_best
from chinchilla_utils.fitting.bootstrap import resample_indices

DELTA = 1e-3
COMPARED = ("E", "alpha", "beta")
REPORTED = ("E", "A", "B", "alpha", "beta")


class Clock:
    """Wall-clock and CPU seconds (this process plus finished worker processes)."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = self._cpu()

    @staticmethod
    def _cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, self._cpu() - self.cpu


def peer_objective(params, n_params, n_tokens, loss):
    """The peer notebook's objective, in our words: logs of the raw data at every call."""
    a, b, e, alpha, beta = params
    predicted = np.log(
        np.exp(a - alpha * np.log(n_params)) + np.exp(b - beta * np.log(n_tokens)) + np.exp(e)
    )
    residual = np.log(loss) - predicted
    small = np.abs(residual) <= DELTA
    terms = np.where(small, 0.5 * residual**2, DELTA * (np.abs(residual) - 0.5 * DELTA))
    return np.sum(terms)


def peer_starts():
    """The paper's 4,500 starts in the order the peer notebook loops over them."""
    axes = PAPER_GRID_AXES
    order = itertools.product(axes["alpha"], axes["beta"], axes["e"], axes["a"], axes["b"])
    return np.array([[a, b, e, alpha, beta] for alpha, beta, e, a, b in order])


def peer_fit(n_params, n_tokens, loss, starts):
    """Best successful scipy L-BFGS-B run (no gradient given, default options) per start."""
    best = None
    with np.errstate(over="ignore", invalid="ignore"):
        for x0 in starts:
            res = minimize(peer_objective, x0, args=(n_params, n_tokens, loss), method="L-BFGS-B")
            if res.success and (best is None or res.fun < best.fun):
                best = res
    return best


def cold_first_fit_seconds() -> float:
    """Wall time of a first fit in a fresh process with an empty numba cache (it compiles)."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from chinchilla_utils.datasets.epoch_ai import load_epoch_points\n"
        "from chinchilla_utils.fitting.approach3 import fit_approach3\n"
        "df = load_epoch_points(); t0 = time.perf_counter()\n"
        "fit_approach3(df[~df['outlier']])\n"
        "print(time.perf_counter() - t0)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    return float(out.stdout.strip().splitlines()[-1])


def obvious_objective(theta, log_n, log_d, log_loss):
    """Eq. 11 as one would first write it (sum of Huber terms of the log-loss residual)."""
    a, b, e, alpha, beta = theta
    pred = logsumexp(
        np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)]), axis=0
    )
    return huber(DELTA, pred - log_loss).sum()


def obvious_fit(log_n, log_d, log_loss, starts):
    """Best of one scipy L-BFGS-B run (numerical gradient, default options) per start."""
    best = None
    for x0 in starts:
        res = minimize(obvious_objective, x0, args=(log_n, log_d, log_loss), method="L-BFGS-B")
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    return best


def params_of(theta):
    a, b, e, alpha, beta = theta
    return {"E": np.exp(e), "A": np.exp(a), "B": np.exp(b), "alpha": alpha, "beta": beta}


def max_rel(p, q, names=COMPARED):
    return max(abs(p[k] - q[k]) / abs(q[k]) for k in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=4000)
    parser.add_argument("--peer-fit-starts", type=int, default=4500, help="starts timed")
    parser.add_argument("--obvious-fit-starts", type=int, default=900, help="starts timed")
    parser.add_argument("--obvious-boot-resamples", type=int, default=1)
    parser.add_argument("--obvious-boot-starts", type=int, default=900)
    parser.add_argument("--skip-cold", action="store_true", help="skip the empty-cache fit")
    parser.add_argument("--like-for-like-resamples", type=int, default=40)
    parser.add_argument("--check-resamples", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"load average at start: {os.getloadavg()}")
    df = load_epoch_points()
    kept = df[~df["outlier"]]
    n, d, loss = (kept[c].to_numpy() for c in ("n_params", "n_tokens", "loss"))
    log_n, log_d, log_loss = np.log(n), np.log(d), np.log(loss)
    grid = paper_initial_grid()
    print(f"data: {len(kept)} of {len(df)} Epoch AI points (flagged outliers left out)")

    # -- the 4,500-start fit --------------------------------------------------------------
    # First call in this process: imports numba and loads the compiled code from its cache.
    clock = Clock()
    fit = fit_approach3(n, d, loss)
    t_first, c_first = clock.elapsed()
    # The package fit is short, so one timing is at the mercy of whatever else the machine
    # is running at that moment; time it three times and use the median.
    pkg_times = []
    for _ in range(3):
        clock = Clock()
        fit = fit_approach3(n, d, loss)
        pkg_times.append(clock.elapsed())
    t_pkg_fit = float(np.median([t for t, _ in pkg_times]))
    c_pkg_fit = float(np.median([c for _, c in pkg_times]))
    listed = ", ".join(f"{t:.3f}" for t, _ in pkg_times)
    print(
        f"\npackage fit, {fit.n_starts} starts: {t_pkg_fit:.3f} s median of 3 ({listed} s; "
        f"CPU {c_pkg_fit:.3f} s)"
    )
    print(f"  first call in this process (numba import, cached code loaded): {t_first:.3f} s")
    if not args.skip_cold:
        print(
            f"  first call with an empty numba cache (compiles): {cold_first_fit_seconds():.1f} s"
        )
    print(f"  {fit.law}  objective {fit.objective:.10e}")
    print(f"  converged={fit.converged} ({fit.message}); starts at best {fit.n_starts_at_best}")
    one = fit_approach3(n, d, loss, n_jobs=1)
    same = np.array_equal(one.theta, fit.theta) and np.array_equal(
        one.start_objectives, fit.start_objectives
    )
    print(f"  n_jobs=1 and n_jobs={os.cpu_count()}: bit-identical {same}")

    print(f"load average before the peer code: {os.getloadavg()}")
    k = min(args.peer_fit_starts, len(grid))
    starts = peer_starts()[:: len(grid) // k][:k]
    clock = Clock()
    peer = peer_fit(n, d, loss, starts)
    t_peer, c_peer = clock.elapsed()
    t_peer_fit, c_peer_fit = t_peer * len(grid) / k, c_peer * len(grid) / k
    note = "" if k == len(grid) else f" (timed on {k} starts, extrapolated)"
    print(f"\npeer code fit, {len(grid)} starts: {t_peer_fit:.1f} s (CPU {c_peer_fit:.1f} s){note}")
    peer_params = params_of(peer.x)
    print(f"  {peer_params}  objective {peer.fun:.10e}  ({peer.message})")
    pkg_params = fit.params()
    for name in REPORTED:
        print(
            f"  {name}: relative difference peer vs package {max_rel(peer_params, pkg_params, [name]):.2e}"
        )
    diff_peer = max_rel(peer_params, pkg_params)
    print(f"load average after the peer code: {os.getloadavg()}")

    rng_starts = np.random.default_rng(args.seed)
    k = min(args.obvious_fit_starts, len(grid))
    subset = grid if k == len(grid) else grid[rng_starts.choice(len(grid), k, replace=False)]
    clock = Clock()
    best = obvious_fit(log_n, log_d, log_loss, subset)
    t_obv, c_obv = clock.elapsed()
    t_obv_fit, c_obv_fit = t_obv * len(grid) / k, c_obv * len(grid) / k
    note = "" if k == len(grid) else f" (timed on {k} starts, extrapolated)"
    print(f"obvious fit, {len(grid)} starts: {t_obv_fit:.1f} s (CPU {c_obv_fit:.1f} s){note}")
    obv = params_of(best.x)
    print(f"  {obv}  objective {best.fun:.10e}  ({best.message})")
    diff_fit = max_rel(obv, pkg_params)
    print(
        f"fit speed-up: {t_peer_fit / t_pkg_fit:.1f}x vs peer code, {t_obv_fit / t_pkg_fit:.1f}x "
        "vs obvious; max relative difference (E, alpha, beta)"
    )
    print(f"  peer code vs package {diff_peer:.2e}; obvious vs package {diff_fit:.2e}")
    print(
        f"  counting the first call in a process ({t_first:.3f} s): "
        f"{t_peer_fit / t_first:.1f}x vs peer code"
    )

    # -- the bootstrap --------------------------------------------------------------------
    clock = Clock()
    boot = bootstrap_approach3(
        n,
        d,
        loss,
        args.resamples,
        np.random.default_rng(args.seed),
        method="replacement",
        n_jobs=args.n_jobs,
    )
    t_pkg_boot, c_pkg_boot = clock.elapsed()
    print(
        f"\npackage bootstrap, {args.resamples} resamples (with replacement, "
        f"{args.n_jobs} threads, including its own full-data fit): {t_pkg_boot:.1f} s "
        f"(CPU {c_pkg_boot:.1f} s)"
    )
    print(boot.summary.to_string())
    clock = Clock()
    boot100 = bootstrap_approach3(
        n, d, loss, 100, np.random.default_rng(args.seed), "replacement", full_fit=fit, n_jobs=1
    )
    t_100, _ = clock.elapsed()
    print(f"package bootstrap, 100 resamples, reusing the full fit, 1 thread: {t_100:.3f} s")
    assert boot100.samples.notna().all().all()

    # The same resamples as the package bootstrap above (with replacement, same seed).
    indices = resample_indices(
        len(n), args.resamples, np.random.default_rng(args.seed), method="replacement"
    )
    # The obvious bootstrap: the obvious fit (all 4,500 starts) per resample, timed on a few
    # resamples (all starts by default) and extrapolated to the full number of resamples.
    r = args.obvious_boot_resamples
    ks = min(args.obvious_boot_starts, len(grid))
    diffs_obv_boot = []
    clock = Clock()
    for j, idx in enumerate(indices[:r]):
        starts = grid if ks == len(grid) else grid[rng_starts.choice(len(grid), ks, replace=False)]
        res = obvious_fit(log_n[idx], log_d[idx], log_loss[idx], starts)
        if ks == len(grid):
            diffs_obv_boot.append(max_rel(params_of(res.x), boot.samples.iloc[j]))
    scale = len(grid) * args.resamples / (r * ks)
    t_obv_boot, c_obv_boot = (x * scale for x in clock.elapsed())
    print(
        f"obvious bootstrap, {args.resamples} resamples x {len(grid)} starts: "
        f"{t_obv_boot:.0f} s (CPU {c_obv_boot:.0f} s; timed on {r} resample(s) x {ks} starts, "
        "extrapolated)"
    )
    if diffs_obv_boot:
        print(
            f"  max relative difference, obvious full grid vs package sample on those "
            f"{r} resample(s): {max(diffs_obv_boot):.2e}"
        )

    # Like for like: the obvious optimiser from the package's own few starts per resample.
    winners = distinct_best(fit.start_thetas, fit.start_objectives, 4)
    few = np.vstack([fit.theta, grid[winners]])
    r2 = args.like_for_like_resamples
    clock = Clock()
    diffs_like = []
    for j, idx in enumerate(indices[:r2]):
        res = obvious_fit(log_n[idx], log_d[idx], log_loss[idx], few)
        diffs_like.append(max_rel(params_of(res.x), boot.samples.iloc[j]))
    t_like = clock.elapsed()[0] / r2 * args.resamples
    print(
        f"obvious optimiser, same {len(few)} starts per resample: {t_like:.0f} s for "
        f"{args.resamples} (timed on {r2} resamples, extrapolated); "
        f"speed-up {t_like / t_pkg_boot:.1f}x"
    )
    print(
        f"  max relative difference vs package samples: {max(diffs_like):.2e} (scipy's "
        "default stopping tests, on a sum of ~1e-3, end these runs early; not counted below)"
    )

    # The few-starts choice against the full 4,500-point grid, on a subset of resamples.
    diffs_grid = []
    for j, idx in enumerate(indices[: args.check_resamples]):
        ref = fit_approach3(n[idx], d[idx], loss[idx])
        diffs_grid.append(max_rel(ref.params(), boot.samples.iloc[j]))
    print(
        f"package few-start bootstrap vs full 4,500-start grid on {args.check_resamples} "
        f"resamples: max relative difference {max(diffs_grid):.2e}"
    )

    boot_ratio = t_obv_boot / t_pkg_boot
    max_diff = max([diff_peer, diff_fit, *diffs_obv_boot, *diffs_grid])
    print(f"load average at end: {os.getloadavg()}")
    print(
        f"CPU-time ratios (less sensitive to other jobs on the machine): "
        f"{c_obv_fit / c_pkg_fit:.0f}x fit, {c_obv_boot / c_pkg_boot:.0f}x bootstrap, "
        f"{c_peer_fit / c_pkg_fit:.0f}x vs peer code"
    )
    print(
        f"approach3 speedup: {t_obv_fit / t_pkg_fit:.0f}x fit, {boot_ratio:.0f}x bootstrap; "
        f"max relative difference {max_diff:.1e}; vs peer code {t_peer_fit / t_pkg_fit:.0f}x"
    )


if __name__ == "__main__":
    main()
