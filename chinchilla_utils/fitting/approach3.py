"""Approach 3: fit the parametric loss ``L(N, D) = E + A / N**alpha + B / D**beta``.

Introduced in Chapter 5. The paper (Hoffmann et al. 2022, Section 3.3 and Appendix D.2,
Eq. 11) minimises, over ``theta = (a, b, e, alpha, beta)``,

    sum over runs i of Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i )

with ``delta = 1e-3`` and L-BFGS started from every point of a grid (alpha, beta in
{0, 0.5, ..., 2}; e in {-1, -0.5, ..., 1}; a, b in {0, 5, ..., 25}: 4,500 starts), keeping the
best; then ``A = exp(a)``, ``B = exp(b)``, ``E = exp(e)``. ``LSE`` is log-sum-exp, so
``exp(LSE(...)) = A / N**alpha + B / D**beta + E`` is the predicted loss (nats).

How this module makes that fast (the objective minimised is exactly the paper's):

* **All starts at once.** :func:`_batched_lbfgs` is an L-BFGS (two-loop recursion, memory 10,
  Armijo backtracking with quadratic interpolation) that advances every start of an
  ``(n_starts, 5)`` array together; the objective and its analytic gradient are evaluated for
  all starts with ``(n_starts, n_points)`` numpy arrays, in row blocks that fit in cache.
  Starts leave the batch as they converge; the starts are split between two processes.
* **Centred coordinates.** Internally the intercepts are ``a' = a - alpha * mean(log N)`` and
  ``b' = b - beta * mean(log D)``: the same function of the same point (a linear change of
  variables, undone on output) but far better conditioned, since ``a`` and ``alpha`` are almost
  collinear when ``log N`` is about 20.
* **Polish.** The best few batched solutions are refined by :func:`scipy.optimize.minimize`
  (L-BFGS-B, exact gradient, tight tolerances) in the paper's own coordinates; its
  convergence status and message are the ones reported.
* **Bootstrap.** Resampling becomes per-point weights (counts for sampling with
  replacement, 0/1 for subsampling), so every resample shares the same ``(N, D, L)`` arrays
  and all resamples x starts run as one batch, in chunks over processes. Each resample
  starts from a handful of good points (the full-data optimum plus the grid starts that led
  to the best distinct local minima), not from all 4,500: see :func:`bootstrap_approach3`.

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``loss`` in nats per token,
``flops`` in training FLOPs (``C = 6 N D``).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from chinchilla_utils._validation import as_finite, as_positive, check_choice, check_same_shape

from ..laws import ParametricLoss
from .bootstrap import BootstrapResult, resample_indices

__all__ = [
    "THETA_NAMES",
    "REDUCTIONS",
    "PAPER_GRID_AXES",
    "Approach3Result",
    "huber_loss",
    "approach3_objective",
    "paper_initial_grid",
    "fit_approach3",
    "bootstrap_approach3",
]

#: Order of the fit vector: ``(log A, log B, log E, alpha, beta)`` (Eq. 11).
THETA_NAMES = ("a", "b", "e", "alpha", "beta")
#: How the per-run Huber terms are combined: the paper sums them.
REDUCTIONS = ("sum", "mean")
#: The paper's initialisation grid (Appendix D.2), endpoints included.
PAPER_GRID_AXES: dict[str, np.ndarray] = {
    "a": np.arange(0.0, 25.0 + 1e-9, 5.0),
    "b": np.arange(0.0, 25.0 + 1e-9, 5.0),
    "e": np.arange(-1.0, 1.0 + 1e-9, 0.5),
    "alpha": np.arange(0.0, 2.0 + 1e-9, 0.5),
    "beta": np.arange(0.0, 2.0 + 1e-9, 0.5),
}
#: ... plus this absolute tolerance per run (the objective of log-loss residuals of ~1.4e-6).
AT_BEST_ATOL = 1e-12
#: Default iteration cap per start (the batched stage and the polish together).
DEFAULT_MAX_ITER = 1000
#: A start "reached the best objective" when its final objective is within this relative
#: tolerance of the best one (final objectives of the same basin agree to ~1e-12 relative;
#: distinct local minima on Epoch's points differ by > 1e-4 relative).
AT_BEST_RTOL = 1e-6
#: Chinchilla's training compute, 6 * 70e9 * 1.4e12 FLOPs: the default budget for the
#: tokens-per-parameter column of the bootstrap.
CHINCHILLA_FLOPS = 5.88e23

# Batched L-BFGS settings: tight, because the objective on real data is ~1e-3 (sum) and a
# loose gradient tolerance stops starts on flat stretches well before the optimum.
_GTOL = 1e-8
_FTOL = 1e-12
_MEMORY = 10
_MAX_LINE_SEARCH = 40
# Polish (scipy L-BFGS-B) tolerances.
_POLISH_FTOL = 1e-15
_POLISH_GTOL = 1e-10
# scipy's default of 20 line-search steps ends in ABNORMAL_TERMINATION_IN_LNSRCH at the
# optimum on this piecewise objective about as often as not; 100 lets it finish.
_POLISH_MAXLS = 100
# Elements per row block in the batched objective (see _Problem.__call__).
_BLOCK_ELEMENTS = 65536
# exp() of anything below this is safe in float64 without the log-sum-exp shift.
_EXP_SAFE = 600.0

_STATUS_MESSAGES = {
    0: "batched L-BFGS: gradient norm below tolerance",
    1: "batched L-BFGS: relative reduction of the objective below tolerance",
    2: "batched L-BFGS: stopped at max_iter",
    3: "batched L-BFGS: line search could not decrease the objective",
}


# ---------------------------------------------------------------------------------------
# the objective
# ---------------------------------------------------------------------------------------
def huber_loss(residual: Any, delta: float = 1e-3) -> float | np.ndarray:
    """Huber loss of ``residual``: ``r**2 / 2`` for ``|r| <= delta``, else ``delta*(|r| - delta/2)``.

    The same convention as :func:`scipy.special.huber` (continuous, with continuous first
    derivative ``clip(r, -delta, delta)``). ``residual`` is a difference of log losses here.
    """
    r = as_finite("residual", residual)
    d = _check_delta(delta)
    psi = np.clip(r, -d, d)
    out = psi * (r - 0.5 * psi)
    return float(out) if out.ndim == 0 else out


def _check_delta(delta: Any) -> float:
    d = as_positive("delta", delta)
    if d.ndim != 0:
        raise ValueError(f"delta must be a scalar, got {delta!r}")
    return float(d)


def _check_max_iter(max_iter: Any) -> int:
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    return int(max_iter)


def _objective_batch(
    u: np.ndarray,
    x_n: np.ndarray,
    x_d: np.ndarray,
    log_loss: np.ndarray,
    weights: np.ndarray | None,
    delta: float,
    norm: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Objective and gradient for every row of ``u`` (shape ``(K, 5)``) in one pass.

    ``u`` holds ``(a, b, e, alpha, beta)`` relative to the log sizes ``x_n`` and log token
    counts ``x_d`` given (centred or not; the formula is the same). ``weights`` (K, n) are
    per-point multiplicities, ``norm`` (K,) divides the sum (the "mean" reduction).
    """
    a, b, e, alpha, beta = (u[:, i : i + 1] for i in range(5))
    t1 = x_n * -alpha
    t1 += a
    t2 = x_d * -beta
    t2 += b
    big = max(np.abs(t1).max(initial=0.0), np.abs(t2).max(initial=0.0))
    big = max(big, np.abs(e).max(initial=0.0))
    if big < _EXP_SAFE:
        # No overflow possible: skip the log-sum-exp shift (saves an exp per element).
        e1 = np.exp(t1, out=t1)
        e2 = np.exp(t2, out=t2)
        e3 = np.exp(e)
        s = e1 + e2
        s += e3
        r = np.log(s)
    else:
        shift = np.maximum(np.maximum(t1, t2), e)
        e1 = np.exp(t1 - shift)
        e2 = np.exp(t2 - shift)
        e3 = np.exp(e - shift)
        s = e1 + e2 + e3
        r = np.log(s)
        r += shift
    r -= log_loss
    psi = np.clip(r, -delta, delta)  # Huber derivative
    r -= 0.5 * psi
    r *= psi  # Huber value, both branches: psi * (r - psi / 2)
    if weights is not None:
        r *= weights
        psi *= weights
    f = r.sum(axis=1)
    psi /= s  # d LSE / d term_j = exp(term_j) / s, times the Huber derivative
    g = np.empty_like(u)
    if e3.shape == s.shape:
        g[:, 2] = np.einsum("ij,ij->i", psi, e3)
    else:
        g[:, 2] = psi.sum(axis=1) * e3[:, 0]
    e1 *= psi
    e2 *= psi
    g[:, 0] = e1.sum(axis=1)
    g[:, 1] = e2.sum(axis=1)
    g[:, 3] = -(e1 @ x_n)
    g[:, 4] = -(e2 @ x_d)
    if norm is not None:
        f /= norm
        g /= norm[:, None]
    return f, g


def _log_data(n_params: Any, n_tokens: Any, loss: Any) -> tuple[np.ndarray, ...]:
    n = as_positive("n_params", n_params)
    d = as_positive("n_tokens", n_tokens)
    el = as_positive("loss", loss)
    check_same_shape(n_params=n, n_tokens=d, loss=el)
    if n.ndim != 1:
        raise ValueError(f"n_params, n_tokens and loss must be 1-d arrays, got shape {n.shape}")
    if n.size < 5:
        raise ValueError(f"Approach 3 fits 5 parameters and needs at least 5 runs, got {n.size}")
    return np.log(n), np.log(d), np.log(el)


def approach3_objective(
    theta: Any,
    log_n: Any,
    log_d: Any,
    log_loss: Any,
    delta: float = 1e-3,
    reduction: str = "sum",
) -> tuple[float | np.ndarray, np.ndarray]:
    """The paper's Approach 3 objective (Eq. 11) and its analytic gradient.

    Parameters
    ----------
    theta : ``(a, b, e, alpha, beta)`` with ``a = log A``, ``b = log B``, ``e = log E``; shape
        ``(5,)``, or ``(K, 5)`` to evaluate ``K`` points at once.
    log_n, log_d, log_loss : natural logs of parameters, training tokens and final loss (nats)
        of each run, 1-d arrays of equal length.
    delta : Huber threshold on the log-loss residual (the paper: 1e-3).
    reduction : ``"sum"`` over runs (the paper) or ``"mean"``.

    Returns
    -------
    ``(value, gradient)``: a float and a ``(5,)`` array, or ``(K,)`` and ``(K, 5)`` arrays.
    """
    t = as_finite("theta", theta)
    if t.shape != (5,) and (t.ndim != 2 or t.shape[1] != 5):
        raise ValueError(f"theta must have shape (5,) or (K, 5), got {t.shape}")
    x_n = as_finite("log_n", log_n)
    x_d = as_finite("log_d", log_d)
    y = as_finite("log_loss", log_loss)
    check_same_shape(log_n=x_n, log_d=x_d, log_loss=y)
    if x_n.ndim != 1 or x_n.size == 0:
        raise ValueError(f"log_n, log_d and log_loss must be non-empty 1-d arrays, got {x_n.shape}")
    check_choice("reduction", reduction, REDUCTIONS)
    d = _check_delta(delta)
    u = np.atleast_2d(t).astype(float, copy=True)
    norm = np.full(u.shape[0], float(x_n.size)) if reduction == "mean" else None
    f, g = _objective_batch(u, x_n, x_d, y, None, d, norm)
    if t.ndim == 1:
        return float(f[0]), g[0]
    return f, g


# ---------------------------------------------------------------------------------------
# batched L-BFGS
# ---------------------------------------------------------------------------------------
@dataclass
class _BatchOutcome:
    x: np.ndarray  # (K, 5) final points
    f: np.ndarray  # (K,) final objectives
    n_iter: np.ndarray  # (K,) iterations used
    status: np.ndarray  # (K,) keys of _STATUS_MESSAGES
    n_evals: int  # objective evaluations, summed over rows


def _batched_lbfgs(fun: Any, x0: np.ndarray, max_iter: int) -> _BatchOutcome:
    """Minimise ``K`` independent problems together, one row of ``x0`` each.

    ``fun(x, rows)`` returns ``(f, g)`` for the points ``x`` (one per entry of ``rows``, the
    problem indices). Every row follows its own L-BFGS iteration (its own history, step and
    stopping test); rows are only evaluated together. A row stops when its largest gradient
    component is below ``_GTOL`` (status 0), when the objective's relative reduction falls
    below ``_FTOL`` (1), at ``max_iter`` iterations (2), or when backtracking fails (3).
    """
    x_out = np.array(x0, dtype=float)
    k_rows, p = x_out.shape
    f_out = np.empty(k_rows)
    nit_out = np.zeros(k_rows, dtype=int)
    status_out = np.full(k_rows, 2)
    rows = np.arange(k_rows)
    x = x_out.copy()
    f, g = fun(x, rows)
    n_evals = k_rows
    m = _MEMORY
    s_hist = np.zeros((m, k_rows, p))
    y_hist = np.zeros((m, k_rows, p))
    rho = np.zeros((m, k_rows))
    gamma = np.ones(k_rows)
    it = 0
    while rows.size and it < max_iter:
        n_active = rows.size
        # Two-loop recursion. A pair rejected by the curvature test is stored as zeros with
        # rho = 0, which leaves it without effect, so all rows can share one ring buffer.
        q = g.copy()
        coef = np.zeros((m, n_active))
        order = [(it - 1 - j) % m for j in range(min(it, m))]
        for j in order:
            coef[j] = rho[j] * np.einsum("ij,ij->i", s_hist[j], q)
            q -= coef[j][:, None] * y_hist[j]
        q *= gamma[:, None]
        for j in reversed(order):
            bj = rho[j] * np.einsum("ij,ij->i", y_hist[j], q)
            q += (coef[j] - bj)[:, None] * s_hist[j]
        d = -q
        slope = np.einsum("ij,ij->i", d, g)
        uphill = ~(slope < 0)
        if uphill.any():  # fall back to steepest descent
            d[uphill] = -g[uphill]
            slope[uphill] = -np.einsum("ij,ij->i", g[uphill], g[uphill])
        if it == 0:
            step = np.minimum(1.0, 1.0 / np.maximum(np.abs(g).max(axis=1), 1e-300))
        else:
            step = np.ones(n_active)
        # Armijo backtracking, all pending rows evaluated together.
        x_new, f_new, g_new = x.copy(), f.copy(), g.copy()
        accepted = np.zeros(n_active, dtype=bool)
        pending = np.arange(n_active)
        for _ in range(_MAX_LINE_SEARCH):
            t_p = step[pending]
            x_try = x[pending] + t_p[:, None] * d[pending]
            f_try, g_try = fun(x_try, rows[pending])
            n_evals += pending.size
            f_p, slope_p = f[pending], slope[pending]
            ok = f_try <= f_p + 1e-4 * t_p * slope_p
            done = pending[ok]
            x_new[done], f_new[done], g_new[done] = x_try[ok], f_try[ok], g_try[ok]
            accepted[done] = True
            if ok.all():
                break
            bad = ~ok
            t_b, f_b, sl_b = t_p[bad], f_try[bad], slope_p[bad]
            curvature = 2.0 * (f_b - f_p[bad] - sl_b * t_b)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                t_quad = -sl_b * t_b * t_b / curvature
            t_quad = np.where(np.isfinite(t_quad) & (curvature > 0), t_quad, 0.5 * t_b)
            pending = pending[bad]
            step[pending] = np.clip(t_quad, 0.1 * t_b, 0.5 * t_b)
        it += 1
        s = x_new - x
        y = g_new - g
        sy = np.einsum("ij,ij->i", s, y)
        yy = np.einsum("ij,ij->i", y, y)
        good = (sy > np.finfo(float).eps * yy) & (yy > 0)
        slot = (it - 1) % m
        s_hist[slot] = np.where(good[:, None], s, 0.0)
        y_hist[slot] = np.where(good[:, None], y, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho[slot] = np.where(good, 1.0 / np.where(good, sy, 1.0), 0.0)
            gamma = np.where(good, sy / np.where(good, yy, 1.0), gamma)
        status = np.full(n_active, -1)
        status[(f - f_new) <= _FTOL * np.maximum(np.abs(f), np.abs(f_new))] = 1
        status[np.abs(g_new).max(axis=1) <= _GTOL] = 0
        status[~accepted] = 3
        x, f, g = x_new, f_new, g_new
        finished = status >= 0
        if finished.any():
            idx = rows[finished]
            x_out[idx], f_out[idx] = x[finished], f[finished]
            nit_out[idx] = it
            status_out[idx] = status[finished]
            keep = ~finished
            rows, x, f, g = rows[keep], x[keep], f[keep], g[keep]
            s_hist, y_hist, rho, gamma = s_hist[:, keep], y_hist[:, keep], rho[:, keep], gamma[keep]
    if rows.size:  # ran out of iterations
        x_out[rows], f_out[rows] = x, f
        nit_out[rows] = it
        status_out[rows] = 2
    return _BatchOutcome(x=x_out, f=f_out, n_iter=nit_out, status=status_out, n_evals=n_evals)


class _Problem:
    """One data set in centred coordinates, with optional per-problem point weights.

    It always minimises the weighted *sum* of Huber terms: the "mean" reduction divides that
    by a constant (the number of runs, or of resampled runs), so the minimiser is the same,
    and keeping the sum makes the batched stopping tests independent of the reduction.
    """

    def __init__(
        self,
        log_n: np.ndarray,
        log_d: np.ndarray,
        log_loss: np.ndarray,
        delta: float,
        weights: np.ndarray | None = None,
    ) -> None:
        self.centre_n = float(log_n.mean())
        self.centre_d = float(log_d.mean())
        self.x_n = log_n - self.centre_n
        self.x_d = log_d - self.centre_d
        self.log_loss = log_loss
        self.delta = delta
        self.weights = weights

    def to_centred(self, theta: np.ndarray) -> np.ndarray:
        u = np.array(theta, dtype=float, copy=True)
        u[:, 0] -= u[:, 3] * self.centre_n
        u[:, 1] -= u[:, 4] * self.centre_d
        return u

    def from_centred(self, u: np.ndarray) -> np.ndarray:
        theta = np.array(u, dtype=float, copy=True)
        theta[:, 0] += theta[:, 3] * self.centre_n
        theta[:, 1] += theta[:, 4] * self.centre_d
        return theta

    def __call__(self, u: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Row blocks of ~0.5 MB per temporary keep the ~15 elementwise passes in cache: about
        # twice as fast as one pass over all rows, which is memory-bound.
        block = max(16, _BLOCK_ELEMENTS // self.x_n.size)
        if u.shape[0] <= block:
            w = None if self.weights is None else self.weights[rows]
            return _objective_batch(u, self.x_n, self.x_d, self.log_loss, w, self.delta, None)
        f = np.empty(u.shape[0])
        g = np.empty_like(u)
        for i in range(0, u.shape[0], block):
            part = slice(i, i + block)
            w = None if self.weights is None else self.weights[rows[part]]
            f[part], g[part] = _objective_batch(
                u[part], self.x_n, self.x_d, self.log_loss, w, self.delta, None
            )
        return f, g

    def minimise(self, theta0: np.ndarray, max_iter: int) -> _BatchOutcome:
        out = _batched_lbfgs(self, self.to_centred(theta0), max_iter)
        out.x = self.from_centred(out.x)
        return out


# ---------------------------------------------------------------------------------------
# the fit
# ---------------------------------------------------------------------------------------
def _minimise_part(
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    delta: float,
    starts: np.ndarray,
    max_iter: int,
    weights: np.ndarray | None = None,
) -> _BatchOutcome:
    """Batched L-BFGS of ``starts`` on one data set; module level so workers can run it."""
    return _Problem(log_n, log_d, log_loss, delta, weights=weights).minimise(starts, max_iter)


def _minimise_starts(
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    delta: float,
    starts: np.ndarray,
    max_iter: int,
    n_jobs: int,
) -> _BatchOutcome:
    """All starts on one data set, split between ``n_jobs`` processes (interleaved rows, so
    each process gets a similar mix of easy and hard starts)."""
    if n_jobs == 1:
        return _minimise_part(log_n, log_d, log_loss, delta, starts, max_iter)
    parts = [np.arange(j, starts.shape[0], n_jobs) for j in range(n_jobs)]
    with ProcessPoolExecutor(max_workers=n_jobs) as pool:
        futures = [
            pool.submit(_minimise_part, log_n, log_d, log_loss, delta, starts[rows], max_iter)
            for rows in parts
        ]
        outcomes = [fut.result() for fut in futures]
    out = _BatchOutcome(
        x=np.empty_like(starts, dtype=float),
        f=np.empty(starts.shape[0]),
        n_iter=np.empty(starts.shape[0], dtype=int),
        status=np.empty(starts.shape[0], dtype=int),
        n_evals=sum(o.n_evals for o in outcomes),
    )
    for rows, part in zip(parts, outcomes, strict=True):
        out.x[rows], out.f[rows] = part.x, part.f
        out.n_iter[rows], out.status[rows] = part.n_iter, part.status
    return out


def _check_jobs(n_jobs: Any, n_problems: int) -> int:
    if n_jobs is None:
        # Forked workers start in milliseconds; measured on 2 cores (Epoch's 240 runs), two
        # processes break even at ~200 starts and halve the time by 500.
        return 1 if n_problems < 200 else max(1, min(2, os.cpu_count() or 1))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    return int(n_jobs)


def paper_initial_grid() -> np.ndarray:
    """The paper's 4,500 L-BFGS starting points (Appendix D.2), shape ``(4500, 5)``.

    Columns in :data:`THETA_NAMES` order ``(a, b, e, alpha, beta)``: a, b in {0, 5, ..., 25},
    e in {-1, -0.5, ..., 1}, alpha, beta in {0, 0.5, ..., 2}; rows vary beta fastest.
    """
    axes = [PAPER_GRID_AXES[name] for name in THETA_NAMES]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([m.ravel() for m in mesh])


def _check_grid(grid: Any) -> np.ndarray:
    g = as_finite("grid", grid)
    if g.ndim != 2 or g.shape[1] != 5 or g.shape[0] < 1:
        raise ValueError(
            f"grid must have shape (n_starts, 5) with columns {THETA_NAMES}, got {g.shape}"
        )
    return g


@dataclass(frozen=True, eq=False)
class Approach3Result:
    """The best Approach 3 fit and its diagnostics.

    Attributes
    ----------
    law : the fitted :class:`~chinchilla_utils.laws.ParametricLoss` (E, A, B in nats; exponents).
    theta : ``(a, b, e, alpha, beta)``, the minimiser (``a = log A`` etc.).
    objective : the objective at ``theta`` (sum or mean of Huber terms).
    converged : whether the winner's final optimiser reported convergence (scipy's
        L-BFGS-B ``success`` after the polish; the batched L-BFGS status when no polish ran).
    message : that optimiser's message.
    n_starts : number of starting points.
    n_starts_at_best : starts whose own (batched) L-BFGS run ended within ``at_best_rtol``
        (relative) of the best objective, plus ``AT_BEST_ATOL`` per run (absolute, for
        noise-free data whose best objective is ~0).
    on_grid_edge : names in :data:`THETA_NAMES` whose estimate lies at or beyond the smallest
        or largest starting value on that axis (the paper says its optimum did not).
    delta, reduction : the objective's settings.
    n_points : number of runs fitted.
    max_iter : iteration cap per start.
    at_best_rtol : relative tolerance behind ``n_starts_at_best``.
    grid : ``(n_starts, 5)`` starting points.
    start_thetas : ``(n_starts, 5)`` where each start's batched L-BFGS run ended.
    start_objectives : ``(n_starts,)`` the objective there.
    start_status : ``(n_starts,)`` why each start stopped (0 gradient, 1 objective
        reduction, 2 max_iter, 3 line search).
    best_start : index (into ``grid``) of the start that led to ``theta``.
    """

    law: ParametricLoss
    theta: np.ndarray
    objective: float
    converged: bool
    message: str
    n_starts: int
    n_starts_at_best: int
    on_grid_edge: tuple[str, ...]
    delta: float
    reduction: str
    n_points: int
    max_iter: int = DEFAULT_MAX_ITER
    at_best_rtol: float = AT_BEST_RTOL
    grid: np.ndarray = field(default_factory=lambda: np.empty((0, 5)), repr=False)
    start_thetas: np.ndarray = field(default_factory=lambda: np.empty((0, 5)), repr=False)
    start_objectives: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    start_status: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int), repr=False)
    best_start: int = -1

    def params(self) -> dict[str, float]:
        """``E, A, B, alpha, beta`` and the frontier exponents ``a, b`` as plain floats."""
        return self.law.params()


def _edge_names(theta: np.ndarray, grid: np.ndarray) -> tuple[str, ...]:
    lo, hi = grid.min(axis=0), grid.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    tol = 1e-9 * span
    on = (theta <= lo + tol) | (theta >= hi - tol)
    return tuple(name for name, flag in zip(THETA_NAMES, on, strict=True) if flag)


def _distinct_best(thetas: np.ndarray, f: np.ndarray, k: int, rtol: float = 1e-4) -> np.ndarray:
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


def fit_approach3(
    n_params: Any,
    n_tokens: Any,
    loss: Any,
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
    n_params : model sizes (parameters), 1-d.
    n_tokens : training tokens of each run, same shape.
    loss : final training loss of each run (nats), same shape.
    delta : Huber threshold on the log-loss residual (the paper: 1e-3).
    reduction : ``"sum"`` of the per-run Huber terms (the paper) or ``"mean"``. The minimiser is
        the same in exact arithmetic; the stopping tests are not scale-free, so the two can stop
        at slightly different points.
    max_iter : most L-BFGS iterations per start, batched stage and polish together. A small
        value stops every start early, as an early-stopped optimiser would (Chapter 5 shows
        what that does).
    grid : ``(n_starts, 5)`` starting points in :data:`THETA_NAMES` order; default
        :func:`paper_initial_grid` (4,500 starts).
    n_polish : how many of the best distinct batched solutions scipy refines.
    at_best_rtol : relative tolerance for counting starts that reached the best objective.
    n_jobs : worker processes for the batched stage (starts split between them); None picks
        1 for fewer than 200 starts and up to 2 otherwise. The result does not depend on it
        beyond rounding.

    Returns
    -------
    Approach3Result with the fitted law and its diagnostics.

    Every start runs the batched L-BFGS (:func:`_batched_lbfgs`); then the ``n_polish`` best
    distinct end points are refined by ``scipy.optimize.minimize(method="L-BFGS-B")`` with
    the exact gradient and the iterations left of ``max_iter``, and the lowest objective wins.
    """
    log_n, log_d, log_loss = _log_data(n_params, n_tokens, loss)
    check_choice("reduction", reduction, REDUCTIONS)
    d = _check_delta(delta)
    max_iter = _check_max_iter(max_iter)
    starts = paper_initial_grid() if grid is None else _check_grid(grid)
    if isinstance(n_polish, bool) or not isinstance(n_polish, (int, np.integer)) or n_polish < 0:
        raise ValueError(f"n_polish must be a non-negative integer, got {n_polish!r}")
    rtol = float(as_positive("at_best_rtol", at_best_rtol))

    jobs = _check_jobs(n_jobs, starts.shape[0])
    batch = _minimise_starts(log_n, log_d, log_loss, d, starts, max_iter, jobs)

    norm = float(log_n.size) if reduction == "mean" else 1.0

    def scalar_objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = _objective_batch(theta[None, :], log_n, log_d, log_loss, None, d, None)
        return float(f[0]) / norm, g[0] / norm

    start_f = batch.f / norm
    candidates = _distinct_best(batch.x, start_f, max(int(n_polish), 1))
    # (objective, theta, converged, message, start index) for each candidate considered
    outcomes = []
    for i in candidates[: max(int(n_polish), 1)]:
        batched = (
            float(start_f[i]),
            batch.x[i].copy(),
            bool(batch.status[i] in (0, 1)),
            _STATUS_MESSAGES[int(batch.status[i])],
            int(i),
        )
        budget = max_iter - int(batch.n_iter[i])
        if n_polish == 0 or budget <= 0:
            outcomes.append(batched)
            continue
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
            outcomes.append(batched)
            continue
        message = f"scipy L-BFGS-B polish: {res.message}"
        outcomes.append(
            (float(res.fun), np.asarray(res.x, float), bool(res.success), message, int(i))
        )
    best_f, best_theta, converged, message, best_idx = min(outcomes, key=lambda o: o[0])
    # absolute floor: a noise-free fit has objective ~0, where a relative test means nothing
    atol = AT_BEST_ATOL * log_n.size / norm
    at_best = int(np.sum(start_f <= best_f + rtol * abs(best_f) + atol))
    try:
        law = ParametricLoss.from_theta(best_theta)
    except ValueError as exc:
        raise ValueError(
            f"the best Approach 3 fit, theta={best_theta} (a, b, e, alpha, beta), is not a "
            f"valid ParametricLoss ({exc}); the data do not support both power-law terms"
        ) from exc
    return Approach3Result(
        law=law,
        theta=best_theta,
        objective=best_f,
        converged=converged,
        message=str(message),
        n_starts=int(starts.shape[0]),
        n_starts_at_best=at_best,
        on_grid_edge=_edge_names(best_theta, starts),
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


# ---------------------------------------------------------------------------------------
# the bootstrap
# ---------------------------------------------------------------------------------------
SAMPLE_COLUMNS = ("E", "A", "B", "alpha", "beta", "a", "b", "tokens_per_param")


def _bootstrap_chunk(
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    weights: np.ndarray,
    starts: np.ndarray,
    delta: float,
    reduction: str,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best theta, objective and converged flag for each resample (row of ``weights``).

    Runs every (resample, start) pair as one batch; a module-level function so that worker
    processes can receive it.
    """
    n_res, n_start = weights.shape[0], starts.shape[0]
    theta0 = np.tile(starts, (n_res, 1))
    repeated = np.repeat(weights, n_start, axis=0)
    out = _minimise_part(log_n, log_d, log_loss, delta, theta0, max_iter, weights=repeated)
    f = out.f.reshape(n_res, n_start)
    f = np.where(np.isfinite(f), f, np.inf)
    best = np.argmin(f, axis=1)
    flat = np.arange(n_res) * n_start + best
    converged = np.isin(out.status[flat], (0, 1, 3)) & np.isfinite(f[np.arange(n_res), best])
    return out.x[flat], f[np.arange(n_res), best], converged


def bootstrap_approach3(
    n_params: Any,
    n_tokens: Any,
    loss: Any,
    n_resamples: int = 100,
    rng: np.random.Generator | None = None,
    method: str = "replacement",
    fraction: float = 0.8,
    flops_for_ratio: float = CHINCHILLA_FLOPS,
    delta: float = 1e-3,
    reduction: str = "sum",
    max_iter: int = DEFAULT_MAX_ITER,
    full_fit: Approach3Result | None = None,
    n_grid_starts: int = 4,
    n_jobs: int | None = None,
    chunk_size: int = 250,
    progress: bool | None = None,
) -> BootstrapResult:
    """Bootstrap the Approach 3 fit by resampling runs.

    Parameters
    ----------
    n_params, n_tokens, loss : as for :func:`fit_approach3`.
    n_resamples : number of resamples (the paper used 100 subsamples of 80%).
    rng : a seeded ``numpy.random.Generator`` (required); the same seed gives identical output,
        whatever ``n_jobs``.
    method : ``"replacement"`` (classic bootstrap over runs) or ``"subsample"`` (the paper's
        variant: ``fraction`` of the runs without replacement).
    fraction : subsample fraction in (0, 1].
    flops_for_ratio : budget (FLOPs) for the ``tokens_per_param`` column (default Chinchilla's
        5.88e23).
    delta, reduction, max_iter : as for :func:`fit_approach3`.
    full_fit : the full-data :func:`fit_approach3` result with the same settings, to reuse;
        fitted here (4,500 starts) when None.
    n_grid_starts : how many grid starts to add besides the full-data optimum (see below).
    n_jobs : worker processes; None picks 1 below 200 resamples x starts, else up to 2.
    chunk_size : resamples per batch (memory is about ``chunk_size * (n_grid_starts + 1) *
        n_points * 8`` bytes per temporary array).
    progress : tqdm bar on/off; None shows one only when interactive.

    Returns
    -------
    BootstrapResult with samples columns ``E, A, B, alpha, beta`` (the law), ``a, b`` (the
    frontier exponents ``N_opt ∝ C^a``, ``D_opt ∝ C^b``) and ``tokens_per_param`` at
    ``flops_for_ratio``. A resample whose best start hit ``max_iter`` is a failure: a row of
    NaN, counted in ``summary.n_failed``.

    Notes
    -----
    Starts: each resample does **not** rerun the 4,500-point grid. It starts from the
    full-data optimum and from the ``n_grid_starts`` grid points whose runs ended at the best
    distinct local minima of the full-data fit, and keeps the best. A resample's optimum is
    close to the full-data one, so these starts find it; the test suite and the benchmark
    check, on a subset of resamples, that the full grid reaches the same optimum.
    """
    log_n, log_d, log_loss = _log_data(n_params, n_tokens, loss)
    check_choice("reduction", reduction, REDUCTIONS)
    d = _check_delta(delta)
    max_iter = _check_max_iter(max_iter)
    flops_ratio = float(as_positive("flops_for_ratio", flops_for_ratio))
    if isinstance(n_grid_starts, bool) or not isinstance(n_grid_starts, (int, np.integer)):
        raise ValueError(f"n_grid_starts must be a non-negative integer, got {n_grid_starts!r}")
    if n_grid_starts < 0:
        raise ValueError(f"n_grid_starts must be a non-negative integer, got {n_grid_starts!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    indices = resample_indices(log_n.size, n_resamples, rng, method=method, fraction=fraction)
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
    elif full_fit.n_points != log_n.size or full_fit.delta != d or full_fit.reduction != reduction:
        raise ValueError(
            "full_fit was fitted with other data or settings "
            f"(n_points={full_fit.n_points}, delta={full_fit.delta}, "
            f"reduction={full_fit.reduction!r}); refit it or pass full_fit=None"
        )
    starts = [full_fit.theta]
    if n_grid_starts and full_fit.grid.shape[0]:
        winners = _distinct_best(full_fit.start_thetas, full_fit.start_objectives, n_grid_starts)
        starts.extend(full_fit.grid[winners])
    starts_arr = np.array(starts, dtype=float)

    # Resamples as per-point multiplicities: all share the same (N, D, L) arrays.
    n_res = indices.shape[0]
    weights = np.zeros((n_res, log_n.size))
    np.add.at(weights, (np.repeat(np.arange(n_res), indices.shape[1]), indices.ravel()), 1.0)

    chunks = [slice(i, min(i + chunk_size, n_res)) for i in range(0, n_res, chunk_size)]
    jobs = _check_jobs(n_jobs, n_res * starts_arr.shape[0])
    args = (log_n, log_d, log_loss)
    settings = (starts_arr, d, reduction, max_iter)
    from .bootstrap import progress_iter

    if jobs == 1 or len(chunks) == 1:
        results = (_bootstrap_chunk(*args, weights[c], *settings) for c in chunks)
        parts = list(progress_iter(results, len(chunks), "Approach 3 bootstrap", progress))
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks))) as pool:
            futures = [pool.submit(_bootstrap_chunk, *args, weights[c], *settings) for c in chunks]
            done = (fut.result() for fut in futures)
            parts = list(progress_iter(done, len(chunks), "Approach 3 bootstrap", progress))
    theta = np.concatenate([p[0] for p in parts])
    ok = np.concatenate([p[2] for p in parts])
    samples = _samples_table(theta, ok, flops_ratio)
    return BootstrapResult.from_samples(samples, method, n_resamples, fraction, unit="runs")


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
