"""Approach 3 the off-the-shelf way: scipy's L-BFGS-B at its default tolerances, per start.

The chapter on Approach 3 uses it. :func:`~chinchilla_utils.fitting.approach3.fit_approach3` minimises the paper's objective to
tight tolerances, so whether the Huber terms are summed or averaged does not change its answer.
A replication that calls ``scipy.optimize.minimize(method="L-BFGS-B")`` with the default
tolerances is different: those stopping tests (``ftol`` on the relative reduction of the
objective, ``gtol`` on the projected gradient, absolute) are not scale-free, and averaging
divides the gradient by the number of runs, so the optimiser can stop far from the minimum.
Besiroglu et al. (2024) suggest this as one explanation of the paper's constants. This module
runs that recipe, from every start of a grid, so that the book can show what it does.

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``loss`` in nats.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize

from ..._validation import as_finite, as_positive, check_choice
from ...laws import ParametricLoss
from ..errors import FitError
from ._data import log_runs
from .grid import edge_names, paper_initial_grid
from .objective import REDUCTIONS, approach3_objective
from .result import AT_BEST_RTOL, Approach3Result

__all__ = ["subsample_grid", "fit_approach3_scipy"]


def subsample_grid(n_starts: int, rng: np.random.Generator, grid: Any = None) -> np.ndarray:
    """``n_starts`` rows of ``grid`` (default the paper's 4,500), drawn without replacement.

    A random draw rather than every k-th row: the paper's grid varies beta fastest, so a
    stride that is a multiple of 5 would keep a single beta value.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a seeded numpy.random.Generator, got {rng!r}")
    full = paper_initial_grid() if grid is None else as_finite("grid", grid)
    if full.ndim != 2 or full.shape[1] != 5:
        raise ValueError(f"grid must have shape (n_starts, 5), got {full.shape}")
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)):
        raise ValueError(f"n_starts must be a positive integer, got {n_starts!r}")
    if not 1 <= n_starts <= full.shape[0]:
        raise ValueError(f"n_starts must be in [1, {full.shape[0]}], got {n_starts!r}")
    rows = np.sort(rng.choice(full.shape[0], size=int(n_starts), replace=False))
    return full[rows]


def fit_approach3_scipy(
    runs: Any,
    n_tokens: Any = None,
    loss: Any = None,
    delta: float = 1e-3,
    reduction: str = "sum",
    grid: Any = None,
    options: dict[str, Any] | None = None,
    at_best_rtol: float = AT_BEST_RTOL,
) -> Approach3Result:
    """Fit Eq. 11 with ``scipy.optimize.minimize(method="L-BFGS-B")`` from every grid start.

    Parameters
    ----------
    runs, n_tokens, loss : as for :func:`~chinchilla_utils.fitting.approach3.fit_approach3`
        (a frame with columns ``n_params``, ``n_tokens``, ``loss``, or three 1-d arrays).
    delta : Huber threshold on the log-loss residual (the paper: 1e-3).
    reduction : ``"sum"`` (the paper) or ``"mean"`` of the Huber terms: the quantity scipy sees,
        so it changes where scipy's stopping tests fire.
    grid : ``(n_starts, 5)`` starts in ``(a, b, e, alpha, beta)`` order; default the paper's 4,500
        (about 3 ms each; :func:`subsample_grid` draws fewer).
    options : passed to scipy (e.g. ``{"maxiter": 20}``); default scipy's own defaults.
    at_best_rtol : relative tolerance for counting starts that ended at the best objective.

    Returns
    -------
    An :class:`~chinchilla_utils.fitting.approach3.Approach3Result` for the start with the
    lowest objective (in the chosen reduction); ``converged`` and ``message`` are scipy's for
    that start, and ``start_status`` holds scipy's status code of every start.
    """
    log_n, log_d, log_loss = log_runs(runs, n_tokens, loss)
    check_choice("reduction", reduction, REDUCTIONS)
    delta = float(as_positive("delta", delta))
    starts = paper_initial_grid() if grid is None else as_finite("grid", grid)
    if starts.ndim != 2 or starts.shape[1] != 5 or starts.shape[0] < 1:
        raise ValueError(f"grid must have shape (n_starts, 5), got {starts.shape}")
    if options is not None and not isinstance(options, dict):
        raise ValueError(f"options must be a dict of scipy options or None, got {options!r}")
    rtol = float(as_positive("at_best_rtol", at_best_rtol))
    args = (log_n, log_d, log_loss, delta, reduction)

    ends = np.empty_like(starts, dtype=float)
    values = np.full(starts.shape[0], np.inf)
    status = np.empty(starts.shape[0], dtype=int)
    runs = []
    with np.errstate(all="ignore"):
        for i, theta0 in enumerate(starts):
            res = minimize(
                approach3_objective, theta0, args=args, jac=True, method="L-BFGS-B",
                options=options,
            )  # fmt: skip
            ends[i] = res.x
            values[i] = res.fun if np.isfinite(res.fun) else np.inf
            status[i] = int(res.status)
            runs.append((bool(res.success), str(res.message)))
    best = int(np.argmin(values))
    try:
        law = ParametricLoss.from_theta(ends[best])
    except ValueError as exc:
        raise FitError(
            f"the best scipy fit, theta={ends[best]} (a, b, e, alpha, beta), is not a valid "
            f"ParametricLoss ({exc}); the data do not support both power-law terms",
            reason="invalid law",
        ) from exc
    return Approach3Result(
        law=law,
        theta=ends[best].copy(),
        objective=float(values[best]),
        converged=runs[best][0],
        message=f"scipy L-BFGS-B: {runs[best][1]}",
        n_starts=int(starts.shape[0]),
        n_starts_at_best=int(np.sum(values <= values[best] + rtol * abs(values[best]))),
        on_grid_edge=edge_names(ends[best], starts),
        delta=delta,
        reduction=reduction,
        n_points=int(log_n.size),
        max_iter=int((options or {}).get("maxiter", 15000)),
        at_best_rtol=rtol,
        grid=starts,
        start_thetas=ends,
        start_objectives=values,
        start_status=status,
        best_start=best,
    )
