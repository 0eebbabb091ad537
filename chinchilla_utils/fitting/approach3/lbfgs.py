"""L-BFGS from many starts on one data set, compiled: the multi-start stage of Approach 3.

Every start follows its own L-BFGS (two-loop recursion, memory 10; Armijo backtracking with
quadratic interpolation; the first step scaled to move no coordinate by more than 1), from
start to finish in compiled code (:func:`_minimise_rows`), calling the fused objective and
gradient of ``._kernel``. A start's arithmetic depends on nothing but its own start and
data, so results are bit-for-bit the same however the starts are split between threads or
chunks (``.workers``).

**Centred coordinates.** Internally the intercepts are ``a' = a - alpha * mean(log N)`` and
``b' = b - beta * mean(log D)``: the same function of the same point (a linear change of
variables, undone on output) but far better conditioned, since ``a`` and ``alpha`` are almost
collinear when ``log N`` is about 20.

Importing this module compiles or loads the machine code (numba); only the fit imports it.
numba checks cached code against the function's own file only, so the cached L-BFGS is
dropped when ``_kernel.py`` or ``objective.py`` is newer than it (``._cache``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from . import _kernel, objective
from ._cache import forget_if_stale
from ._kernel import LANES, objective_gradient

#: Why a start stopped (``status`` codes of :class:`BatchOutcome`).
STATUS_MESSAGES = {
    0: "batched L-BFGS: gradient norm below tolerance",
    1: "batched L-BFGS: relative reduction of the objective below tolerance",
    2: "batched L-BFGS: stopped at max_iter",
    3: "batched L-BFGS: line search could not decrease the objective",
}
# Tight, because the objective on real data is ~1e-3 (sum) and a loose gradient tolerance
# stops starts on flat stretches well before the optimum.
GTOL = 1e-8
FTOL = 1e-12
MEMORY = 10
MAX_LINE_SEARCH = 40
_ARMIJO = 1e-4


@dataclass
class BatchOutcome:
    """Where each start's L-BFGS ended (paper coordinates)."""

    x: np.ndarray  # (K, 5) final points
    f: np.ndarray  # (K,) final (weighted, summed) objectives
    n_iter: np.ndarray  # (K,) iterations used
    status: np.ndarray  # (K,) keys of STATUS_MESSAGES
    n_evals: np.ndarray  # (K,) objective evaluations


@njit(inline="always", error_model="numpy")
def _dot(u, v):
    total = 0.0
    for i in range(u.shape[0]):
        total += u[i] * v[i]
    return total


@njit(inline="always", error_model="numpy")
def _axpy(alpha, x, y):
    """``y += alpha * x`` in place."""
    for i in range(x.shape[0]):
        y[i] += alpha * x[i]


@njit(inline="always", error_model="numpy")
def _max_abs(v):
    top = 0.0
    for i in range(v.shape[0]):
        top = max(top, abs(v[i]))
    return top


@njit(cache=True, nogil=True, error_model="numpy")
def _minimise_rows(
    u0,
    x_n,
    x_d,
    log_loss,
    weights,
    weight_row,
    delta,
    max_iter,
    gtol,
    ftol,
    bounds,
    x_out,
    f_out,
    out_int,
):
    """L-BFGS of each row of ``u0``; row ``k`` uses the point weights ``weights[weight_row[k]]``.

    Writes the end point to ``x_out[k]``, its objective to ``f_out[k]`` and
    ``(iterations, status, evaluations)`` to ``out_int[k]``.
    """
    p = 5
    m = MEMORY
    eps = np.finfo(np.float64).eps
    work = np.empty((6, x_n.shape[0]))
    s_hist = np.empty((m, p))
    y_hist = np.empty((m, p))
    rho = np.empty(m)
    coef = np.empty(m)
    x = np.empty(p)
    g = np.empty(p)
    d = np.empty(p)
    x_try = np.empty(p)
    g_try = np.empty(p)
    for k in range(u0.shape[0]):
        w = weights[weight_row[k]]
        x[:] = u0[k]
        f = objective_gradient(x, x_n, x_d, log_loss, w, delta, bounds, g, work)
        n_evals = 1
        s_hist[:] = 0.0
        y_hist[:] = 0.0
        rho[:] = 0.0
        gamma = 1.0
        it = 0
        status = 2
        while it < max_iter:
            # Two-loop recursion; a pair rejected by the curvature test has rho = 0 (no effect).
            d[:] = g
            n_hist = min(it, m)
            for jj in range(n_hist):
                j = (it - 1 - jj) % m
                coef[j] = rho[j] * _dot(s_hist[j], d)
                _axpy(-coef[j], y_hist[j], d)
            d *= gamma
            for jj in range(n_hist - 1, -1, -1):
                j = (it - 1 - jj) % m
                beta_j = rho[j] * _dot(y_hist[j], d)
                _axpy(coef[j] - beta_j, s_hist[j], d)
            d *= -1.0
            slope = _dot(d, g)
            if not slope < 0:  # not a descent direction: steepest descent
                for i in range(p):
                    d[i] = -g[i]
                slope = -_dot(g, g)
            if it == 0:
                step = min(1.0, 1.0 / max(_max_abs(g), 1e-300))
            else:
                step = 1.0
            accepted = False
            f_new = f
            for _ in range(MAX_LINE_SEARCH):
                for i in range(p):
                    x_try[i] = x[i] + step * d[i]
                f_try = objective_gradient(x_try, x_n, x_d, log_loss, w, delta, bounds, g_try, work)
                n_evals += 1
                if f_try <= f + _ARMIJO * step * slope:
                    accepted = True
                    f_new = f_try
                    break
                curvature = 2.0 * (f_try - f - slope * step)
                t_next = 0.5 * step
                if curvature > 0:
                    t_quad = -slope * step * step / curvature
                    if np.isfinite(t_quad):
                        t_next = t_quad
                step = min(max(t_next, 0.1 * step), 0.5 * step)
            it += 1
            slot = (it - 1) % m
            if accepted:
                sy = 0.0
                yy = 0.0
                for i in range(p):
                    si = x_try[i] - x[i]
                    yi = g_try[i] - g[i]
                    sy += si * yi
                    yy += yi * yi
                if sy > eps * yy and yy > 0:
                    for i in range(p):
                        s_hist[slot, i] = x_try[i] - x[i]
                        y_hist[slot, i] = g_try[i] - g[i]
                    rho[slot] = 1.0 / sy
                    gamma = sy / yy
                else:
                    s_hist[slot] = 0.0
                    y_hist[slot] = 0.0
                    rho[slot] = 0.0
                status = -1
                if (f - f_new) <= ftol * max(abs(f), abs(f_new)):
                    status = 1
                if _max_abs(g_try) <= gtol:
                    status = 0
                x[:] = x_try
                g[:] = g_try
                f = f_new
            else:
                status = 3
            if status >= 0:
                break
        if status < 0:
            status = 2
        x_out[k] = x
        f_out[k] = f
        out_int[k, 0] = it
        out_int[k, 1] = status
        out_int[k, 2] = n_evals


# The L-BFGS inlines the kernel and its constants into its own cached code.
forget_if_stale(_minimise_rows, [_kernel.__file__, objective.__file__])


class Problem:
    """One data set in centred coordinates, padded for the kernel, with point weights.

    It always minimises the weighted *sum* of Huber terms: the "mean" reduction divides that
    by a constant (the number of runs, or of resampled runs), so the minimiser is the same,
    and keeping the sum makes the stopping tests independent of the reduction.

    ``weights`` is ``(n_sets, n_runs)`` (default one set of ones): the starts passed to
    :meth:`minimise` say which set each uses.
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
        x_n = log_n - self.centre_n
        x_d = log_d - self.centre_d
        self.bounds = np.array([x_n.min(), x_n.max(), x_d.min(), x_d.max()])
        # Pad to a multiple of LANES with copies of the first run at weight 0.
        n = log_n.size
        pad = (-n) % LANES
        self.x_n = np.concatenate([x_n, np.full(pad, x_n[0])])
        self.x_d = np.concatenate([x_d, np.full(pad, x_d[0])])
        self.log_loss = np.concatenate([log_loss, np.full(pad, log_loss[0])])
        w = np.ones((1, n)) if weights is None else np.asarray(weights, dtype=float)
        self.weights = np.ascontiguousarray(np.hstack([w, np.zeros((w.shape[0], pad))]))
        self.delta = float(delta)
        self.gtol = GTOL
        self.ftol = FTOL

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

    def minimise(
        self, theta0: np.ndarray, max_iter: int, weight_row: np.ndarray | None = None
    ) -> BatchOutcome:
        """Run L-BFGS from every row of ``theta0`` (paper coordinates, ``(K, 5)``)."""
        k_rows = theta0.shape[0]
        rows = np.zeros(k_rows, dtype=np.int64) if weight_row is None else weight_row
        u0 = np.ascontiguousarray(self.to_centred(theta0))
        x = np.empty((k_rows, 5))
        f = np.empty(k_rows)
        counts = np.empty((k_rows, 3), dtype=np.int64)
        _minimise_rows(
            u0,
            self.x_n,
            self.x_d,
            self.log_loss,
            self.weights,
            np.ascontiguousarray(rows, dtype=np.int64),
            self.delta,
            int(max_iter),
            self.gtol,
            self.ftol,
            self.bounds,
            x,
            f,
            counts,
        )
        return BatchOutcome(
            x=self.from_centred(x),
            f=f,
            n_iter=counts[:, 0].copy(),
            status=counts[:, 1].copy(),
            n_evals=counts[:, 2].copy(),
        )


def minimise_starts(
    problem: Problem,
    theta0: np.ndarray,
    max_iter: int,
    parts: list[np.ndarray],
    n_jobs: int,
    weight_row: np.ndarray | None = None,
    progress: bool | None = False,
    desc: str = "",
) -> BatchOutcome:
    """:meth:`Problem.minimise` of the rows of ``theta0``, in ``parts`` (row indices) spread
    over ``n_jobs`` threads; the outcome is in row order and does not depend on the split."""
    from .workers import run_parts

    rows_weight = np.zeros(theta0.shape[0], dtype=np.int64) if weight_row is None else weight_row
    jobs = [(theta0[rows], max_iter, rows_weight[rows]) for rows in parts]
    outcomes = run_parts(problem.minimise, jobs, n_jobs, progress, desc)
    k_rows = theta0.shape[0]
    out = BatchOutcome(
        x=np.empty((k_rows, 5)),
        f=np.empty(k_rows),
        n_iter=np.empty(k_rows, dtype=np.int64),
        status=np.empty(k_rows, dtype=np.int64),
        n_evals=np.empty(k_rows, dtype=np.int64),
    )
    for rows, part in zip(parts, outcomes, strict=True):
        out.x[rows], out.f[rows] = part.x, part.f
        out.n_iter[rows], out.status[rows], out.n_evals[rows] = (
            part.n_iter,
            part.status,
            part.n_evals,
        )
    return out
