"""Bootstrap of the Approach 3 fit: refit on resampled runs, read percentiles off the refits.

Resampling becomes per-run weights (counts for sampling with replacement, 0/1 for
subsampling), so every resample shares the same ``(N, D, L)`` arrays, and all
(resample, start) pairs run through the compiled L-BFGS of ``.lbfgs`` as rows of one
batch, in chunks spread over threads. Each resample starts from a handful of good points (the
full-data optimum plus the grid starts that led to the best distinct local minima), not from
all 4,500: see :func:`bootstrap_approach3`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._validation import as_positive, check_choice
from ...constants import CHINCHILLA_FLOPS
from ..bootstrap import BootstrapResult, resample_indices
from ..errors import FitError
from ._data import log_runs
from .fit import check_max_iter, distinct_best, fit_approach3
from .objective import REDUCTIONS, check_delta
from .result import DEFAULT_MAX_ITER, Approach3Result

__all__ = ["SAMPLE_COLUMNS", "DEFAULT_SEED", "bootstrap_approach3"]

#: Columns of the bootstrap's samples table.
SAMPLE_COLUMNS = ("E", "A", "B", "alpha", "beta", "a", "b", "tokens_per_param")
#: The seed used when ``rng`` is None, so that a call without one is reproducible.
DEFAULT_SEED = 0


def as_generator(rng: Any) -> np.random.Generator:
    """A Generator from ``rng``: a Generator as is, an int seed, or None for ``DEFAULT_SEED``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, a non-negative int seed or None, got {rng!r}; "
        "pass numpy.random.default_rng(seed)"
    )


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def bootstrap_approach3(
    runs: Any,
    n_tokens: Any = None,
    loss: Any = None,
    n_resamples: int = 100,
    rng: np.random.Generator | int | None = None,
    method: str = "subsample",
    fraction: float = 0.8,
    flops_for_ratio: float = CHINCHILLA_FLOPS,
    delta: float = 1e-3,
    reduction: str = "sum",
    max_iter: int = DEFAULT_MAX_ITER,
    full_fit: Approach3Result | None = None,
    n_grid_starts: int = 4,
    n_jobs: int | None = None,
    chunk_size: int = 250,
    progress: bool | None = False,
) -> BootstrapResult:
    """Bootstrap the Approach 3 fit by resampling runs.

    Parameters
    ----------
    runs, n_tokens, loss : as for :func:`fit_approach3` (a frame of runs, or three arrays).
    n_resamples : number of resamples (the paper: 100).
    rng : a ``numpy.random.Generator``, an int seed, or None for ``DEFAULT_SEED``; the
        same seed gives identical output, whatever ``n_jobs`` and ``chunk_size``.
    method : ``"subsample"`` (default; the paper's variant, "80% of the dataset is sampled
        100 times": ``fraction`` of the runs without replacement) or ``"replacement"``
        (the classic bootstrap over runs).
    fraction : subsample fraction in (0, 1] (default 0.8, the paper's).
    flops_for_ratio : budget (FLOPs) for the ``tokens_per_param`` column (default Chinchilla's
        5.88e23).
    delta, reduction, max_iter : as for :func:`fit_approach3`.
    full_fit : the full-data :func:`fit_approach3` result with the same settings, to reuse;
        fitted here (4,500 starts) when None.
    n_grid_starts : how many grid starts to add besides the full-data optimum (see below).
    n_jobs : threads; None uses 1 below 200 (resample, start) pairs, else every core.
    chunk_size : resamples per piece of work handed to a thread (a progress step).
    progress : tqdm bar on/off (default off); None shows one only when interactive.

    Returns
    -------
    BootstrapResult with samples columns ``E, A, B, alpha, beta`` (the law), ``a, b`` (the
    frontier exponents ``N_opt ∝ C^a``, ``D_opt ∝ C^b``) and ``tokens_per_param`` at
    ``flops_for_ratio``. A resample whose best start hit ``max_iter``, or whose best law is
    not valid (an exponent not positive: :func:`fit_approach3` would refuse it), is a
    failure: a row of NaN, counted in ``summary.n_failed``.

    Raises
    ------
    FitError
        Every resample failed.

    Notes
    -----
    Starts: each resample does **not** rerun the 4,500-point grid. It starts from the
    full-data optimum and from the ``n_grid_starts`` grid points whose runs ended at the best
    distinct local minima of the full-data fit, and keeps the best. A resample's optimum is
    close to the full-data one, so these starts find it; the test suite and the benchmark
    check, on a subset of resamples, that the full grid reaches the same optimum.
    """
    log_n, log_d, log_loss = log_runs(runs, n_tokens, loss)
    check_choice("reduction", reduction, REDUCTIONS)
    d = check_delta(delta)
    max_iter = check_max_iter(max_iter)
    flops_ratio = float(as_positive("flops_for_ratio", flops_for_ratio))
    n_resamples = _check_count("n_resamples", n_resamples, 1)
    n_grid_starts = _check_count("n_grid_starts", n_grid_starts, 0)
    chunk_size = _check_count("chunk_size", chunk_size, 1)
    generator = as_generator(rng)
    indices = resample_indices(log_n.size, n_resamples, generator, method=method, fraction=fraction)
    if full_fit is None:
        full_fit = fit_approach3(
            np.exp(log_n),
            np.exp(log_d),
            np.exp(log_loss),
            delta=d,
            reduction=reduction,
            max_iter=max_iter,
            n_jobs=n_jobs,
        )
    elif not isinstance(full_fit, Approach3Result):
        raise TypeError(f"full_fit must be an Approach3Result or None, got {type(full_fit)}")
    elif full_fit.n_points != log_n.size or full_fit.delta != d or full_fit.reduction != reduction:
        raise ValueError(
            "full_fit was fitted with other data or settings "
            f"(n_points={full_fit.n_points}, delta={full_fit.delta}, "
            f"reduction={full_fit.reduction!r}); refit it or pass full_fit=None"
        )
    starts = [full_fit.theta]
    if n_grid_starts and full_fit.grid.shape[0]:
        winners = distinct_best(full_fit.start_thetas, full_fit.start_objectives, n_grid_starts)
        starts.extend(full_fit.grid[winners])
    starts_arr = np.array(starts, dtype=float)
    theta, ok = _fit_resamples(
        log_n, log_d, log_loss, d, indices, starts_arr, max_iter, n_jobs, chunk_size, progress
    )
    if not ok.any():
        raise FitError(
            f"all {n_resamples} Approach 3 bootstrap resamples failed (iteration cap "
            f"max_iter={max_iter} reached, or no valid law); raise max_iter or check the data",
            reason="all resamples failed",
        )
    samples = _samples_table(theta, ok, flops_ratio)
    return BootstrapResult.from_samples(samples, method, n_resamples, fraction, unit="runs")


def _fit_resamples(
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    delta: float,
    indices: np.ndarray,
    starts: np.ndarray,
    max_iter: int,
    n_jobs: Any,
    chunk_size: int,
    progress: bool | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best theta of each resample (row of ``indices``) and whether it counts as a fit."""
    from .lbfgs import Problem, minimise_starts  # compiles or loads the kernel on first use
    from .workers import check_jobs

    # Resamples as per-run multiplicities: all share the same (N, D, L) arrays.
    n_res, n_start = indices.shape[0], starts.shape[0]
    weights = np.zeros((n_res, log_n.size))
    np.add.at(weights, (np.repeat(np.arange(n_res), indices.shape[1]), indices.ravel()), 1.0)
    problem = Problem(log_n, log_d, log_loss, delta, weights=weights)
    theta0 = np.tile(starts, (n_res, 1))
    weight_row = np.repeat(np.arange(n_res, dtype=np.int64), n_start)
    parts = [
        np.arange(i * n_start, min(i + chunk_size, n_res) * n_start)
        for i in range(0, n_res, chunk_size)
    ]
    jobs = check_jobs(n_jobs, n_res * n_start)
    out = minimise_starts(
        problem, theta0, max_iter, parts, jobs, weight_row, progress, "Approach 3 bootstrap"
    )
    f = out.f.reshape(n_res, n_start)
    f = np.where(np.isfinite(f), f, np.inf)
    best = np.argmin(f, axis=1)
    flat = np.arange(n_res) * n_start + best
    theta = out.x[flat]
    converged = np.isin(out.status[flat], (0, 1, 3)) & np.isfinite(f[np.arange(n_res), best])
    valid = (theta[:, 3] > 0) & (theta[:, 4] > 0)  # what fit_approach3 would accept
    return theta, converged & valid


def _samples_table(theta: np.ndarray, ok: np.ndarray, flops: float) -> pd.DataFrame:
    """One row per resample: the law, its frontier exponents and D/N at ``flops``."""
    a_log, b_log, e_log, alpha, beta = theta.T
    with np.errstate(all="ignore"):
        big_a, big_b, big_e = np.exp(a_log), np.exp(b_log), np.exp(e_log)
        exp_a = beta / (alpha + beta)
        exp_b = alpha / (alpha + beta)
        # Eq. 4: G = (alpha A / (beta B))^(1/(alpha+beta)); D_opt/N_opt = (C/6)^(b-a) / G^2,
        # computed in logs so that extreme resamples do not overflow.
        log_g = (np.log(alpha) + a_log - np.log(beta) - b_log) / (alpha + beta)
        ratio = np.exp((exp_b - exp_a) * np.log(flops / 6.0) - 2.0 * log_g)
    table = pd.DataFrame(
        {
            "E": big_e,
            "A": big_a,
            "B": big_b,
            "alpha": alpha,
            "beta": beta,
            "a": exp_a,
            "b": exp_b,
            "tokens_per_param": ratio,
        },
        columns=list(SAMPLE_COLUMNS),
    )
    table.loc[~ok, :] = np.nan
    return table
