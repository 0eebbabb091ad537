"""Approach 3's fit: L-BFGS from every start of a grid, the best few polished by scipy.

The recipe of Hoffmann et al. (2022), Section 3.3 and Appendix D.2: minimise the Huber
objective of ``.objective`` from each of the 4,500 starts of :func:`.paper_initial_grid`
and keep the best. Every start runs the compiled L-BFGS of ``.lbfgs`` (on as many threads
as asked; the result does not depend on how many); then the ``n_polish`` best distinct end
points are refined by ``scipy.optimize.minimize(method="L-BFGS-B")`` with the exact gradient
and tight tolerances, in the paper's own coordinates, and the lowest objective wins.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize

from ..._validation import as_positive, check_choice
from ...laws import ParametricLoss
from ..errors import FitError
from ._data import log_runs
from .grid import check_grid, edge_names, paper_initial_grid
from .objective import REDUCTIONS, check_delta, objective_rows
from .result import AT_BEST_ATOL, AT_BEST_RTOL, DEFAULT_MAX_ITER, Approach3Result

__all__ = ["fit_approach3"]

# Polish (scipy L-BFGS-B) tolerances.
_POLISH_FTOL = 1e-15
_POLISH_GTOL = 1e-10
# scipy's default of 20 line-search steps ends in ABNORMAL_TERMINATION_IN_LNSRCH at the
# optimum on this piecewise objective about as often as not; 100 lets it finish.
_POLISH_MAXLS = 100
# Blocks of starts per thread: small enough that a thread slowed by other work on the machine
# does not hold the others up at the end.
_BLOCKS_PER_THREAD = 8


def check_max_iter(max_iter: Any) -> int:
    """``max_iter`` as a positive int, or a ValueError naming it."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    return int(max_iter)


def distinct_best(thetas: np.ndarray, f: np.ndarray, k: int, rtol: float = 1e-4) -> np.ndarray:
    """Indices of the ``k`` lowest objectives whose end points differ from each other.

    Two end points count as the same basin when every coordinate agrees to ``rtol``
    (relative, with an absolute floor of ``rtol``).
    """
    order = np.argsort(f, kind="stable")
    chosen: list[int] = []
    for i in order:
        if not np.isfinite(f[i]):
            break
        same = any(
            np.all(np.abs(thetas[i] - thetas[j]) <= rtol * np.maximum(np.abs(thetas[j]), 1.0))
            for j in chosen
        )
        if not same:
            chosen.append(int(i))
            if len(chosen) == k:
                break
    return np.array(chosen, dtype=int)


def run_starts(
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    delta: float,
    starts: np.ndarray,
    max_iter: int,
    n_jobs: Any,
):
    """The compiled L-BFGS from every row of ``starts`` on one data set (see ``.lbfgs``)."""
    from .lbfgs import Problem, minimise_starts  # compiles or loads the kernel on first use
    from .workers import check_jobs

    jobs = check_jobs(n_jobs, starts.shape[0])
    n_parts = 1 if jobs == 1 else min(starts.shape[0], _BLOCKS_PER_THREAD * jobs)
    parts = [np.arange(j, starts.shape[0], n_parts) for j in range(n_parts)]
    problem = Problem(log_n, log_d, log_loss, delta)
    return minimise_starts(problem, starts, max_iter, parts, jobs)


def fit_approach3(
    runs: Any,
    n_tokens: Any = None,
    loss: Any = None,
    delta: float = 1e-3,
    reduction: str = "sum",
    max_iter: int = DEFAULT_MAX_ITER,
    grid: Any = None,
    n_polish: int = 3,
    at_best_rtol: float = AT_BEST_RTOL,
    n_jobs: int | None = None,
) -> Approach3Result:
    """Fit the paper's parametric loss by its Approach 3 recipe (Section 3.3, Appendix D.2).

    Parameters
    ----------
    runs : a DataFrame with one row per training run and columns ``n_params``
        (parameters), ``n_tokens`` (training tokens) and ``loss`` (final loss, nats); or the
        model sizes as a 1-d array, with ``n_tokens`` and ``loss`` given as arrays too.
    n_tokens, loss : the other two arrays, when ``runs`` is an array.
    delta : Huber threshold on the log-loss residual (the paper: 1e-3).
    reduction : ``"sum"`` of the per-run Huber terms (the paper) or ``"mean"``. The minimiser is
        the same in exact arithmetic; the stopping tests are not scale-free, so the two can stop
        at slightly different points.
    max_iter : most L-BFGS iterations per start, multi-start stage and polish together. A
        small value stops every start early, as an early-stopped optimiser would (the chapter
        on Approach 3 shows what that does): the result then says ``converged=False``.
    grid : ``(n_starts, 5)`` starting points in ``THETA_NAMES`` order; default
        :func:`paper_initial_grid` (4,500 starts).
    n_polish : how many of the best distinct end points scipy refines.
    at_best_rtol : relative tolerance for counting starts that reached the best objective.
    n_jobs : threads for the multi-start stage; None uses 1 below 200 starts, else every
        available core. The result is bit-for-bit the same whatever the number.

    Returns
    -------
    Approach3Result with the fitted law, its frontier and the fit's diagnostics.

    Raises
    ------
    ValueError, TypeError
        Bad input (named in the message).
    FitError
        No start ended at a finite objective, or the best end point is not a valid law
        (an exponent or scale not positive: the data do not support both power-law terms).
    """
    log_n, log_d, log_loss = log_runs(runs, n_tokens, loss)
    check_choice("reduction", reduction, REDUCTIONS)
    d = check_delta(delta)
    max_iter = check_max_iter(max_iter)
    starts = paper_initial_grid() if grid is None else check_grid(grid)
    if isinstance(n_polish, bool) or not isinstance(n_polish, (int, np.integer)) or n_polish < 0:
        raise ValueError(f"n_polish must be a non-negative integer, got {n_polish!r}")
    rtol = float(as_positive("at_best_rtol", at_best_rtol))

    batch = run_starts(log_n, log_d, log_loss, d, starts, max_iter, n_jobs)
    norm = float(log_n.size) if reduction == "mean" else 1.0
    start_f = batch.f / norm
    candidates = distinct_best(batch.x, start_f, max(int(n_polish), 1))
    if candidates.size == 0:
        raise FitError(
            f"none of the {starts.shape[0]} starts ended at a finite objective",
            reason="no finite objective",
        )
    outcomes = [_polish(i, batch, start_f, log_n, log_d, log_loss, d, norm, max_iter, n_polish)
                for i in candidates]  # fmt: skip
    best_f, best_theta, converged, message, best_idx = min(outcomes, key=lambda o: o[0])
    # absolute floor: a noise-free fit has objective ~0, where a relative test means nothing
    atol = AT_BEST_ATOL * log_n.size / norm
    at_best = int(np.sum(start_f <= best_f + rtol * abs(best_f) + atol))
    try:
        law = ParametricLoss.from_theta(best_theta)
    except ValueError as exc:
        raise FitError(
            f"the best Approach 3 fit, theta={best_theta} (a, b, e, alpha, beta), is not a "
            f"valid ParametricLoss ({exc}); the data do not support both power-law terms",
            reason="invalid law",
        ) from exc
    return Approach3Result(
        law=law,
        theta=best_theta,
        objective=best_f,
        converged=converged,
        message=str(message),
        n_starts=int(starts.shape[0]),
        n_starts_at_best=at_best,
        on_grid_edge=edge_names(best_theta, starts),
        delta=d,
        reduction=reduction,
        n_points=int(log_n.size),
        max_iter=max_iter,
        at_best_rtol=rtol,
        grid=starts,
        start_thetas=batch.x,
        start_objectives=start_f,
        start_status=batch.status,
        best_start=best_idx,
    )


def _polish(i, batch, start_f, log_n, log_d, log_loss, delta, norm, max_iter, n_polish):
    """(objective, theta, converged, message, start) for candidate ``i``, polished if asked."""
    from .lbfgs import STATUS_MESSAGES

    batched = (
        float(start_f[i]),
        batch.x[i].copy(),
        bool(batch.status[i] in (0, 1)),
        STATUS_MESSAGES[int(batch.status[i])],
        int(i),
    )
    budget = max_iter - int(batch.n_iter[i])
    if n_polish == 0 or budget <= 0:
        return batched

    def scalar_objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = objective_rows(theta[None, :], log_n, log_d, log_loss, delta)
        return float(f[0]) / norm, g[0] / norm

    res = minimize(
        scalar_objective,
        batch.x[i],
        jac=True,
        method="L-BFGS-B",
        options={
            "maxiter": budget,
            "ftol": _POLISH_FTOL,
            "gtol": _POLISH_GTOL,
            "maxls": _POLISH_MAXLS,
        },
    )
    if not np.isfinite(res.fun):
        return batched
    message = f"scipy L-BFGS-B polish: {res.message}"
    return float(res.fun), np.asarray(res.x, float), bool(res.success), message, int(i)
