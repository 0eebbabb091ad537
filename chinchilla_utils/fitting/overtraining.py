"""Fit Gadre et al. (2024)'s law ``L(C, M) = E + (a M^eta + b M^-eta) C^-eta``.

Introduced with held-out prediction. The law (:class:`~chinchilla_utils.laws.OvertrainingLoss`)
has four constants; this module fits them the way the book fits Approach 3, so the two can be
compared on the same runs: the Huber loss (threshold ``delta``) of the residuals of the *log*
loss, summed over runs, minimised from a small grid of starting points, the best kept.
``delta=None`` gives plain least squares of the log residuals. Gadre et al. themselves fitted
least squares of the loss (``scipy.optimize.curve_fit``) from a grid of starts, on five runs.

The optimiser is :func:`scipy.optimize.least_squares` (trust-region reflective, analytic
Jacobian, ``loss="huber"`` with ``f_scale=delta``, whose cost is exactly the Huber loss), in
centred coordinates: ``log a`` and ``eta`` are nearly collinear when ``log C`` is about 45, so
internally ``log a' = log a - eta * mean(log C)`` (and the same for ``b``), undone on output.

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``loss`` in nats;
``C = 6 N D`` in FLOPs, ``M = D / N`` in tokens per parameter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares, nnls

from chinchilla_utils._validation import as_finite, as_positive, check_choice, check_same_shape
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.laws import OvertrainingLoss

__all__ = [
    "THETA_NAMES",
    "DEFAULT_GRID_AXES",
    "OvertrainingResult",
    "explicit_grid",
    "fit_overtraining",
]

#: Order of the fit vector.
THETA_NAMES = ("log_a", "log_b", "log_E", "eta")
#: Exponents of the profile that chooses the default starts (see ``_Problem.profile_starts``).
PROFILE_ETAS = tuple(np.geomspace(0.01, 1.0, 25))
#: How many of the best profile points are polished by default.
N_PROFILE_STARTS = 3
#: Residual spaces: ``"log"`` (the book's, as for Approach 3) or ``"linear"`` (nats, as
#: Gadre et al. fitted).
SPACES = ("log", "linear")
#: A grid of explicit starts, for checking that the profile starts find the optimum: a, b
#: between 1 and 2e4 nats * FLOPs^eta, E 0.4-2.7 nats, eta from slow to fast decay
#: (3 * 3 * 3 * 4 = 108 starts).
DEFAULT_GRID_AXES: dict[str, tuple[float, ...]] = {
    "log_a": (0.0, 5.0, 10.0),
    "log_b": (0.0, 5.0, 10.0),
    "log_E": (-1.0, 0.0, 1.0),
    "eta": (0.05, 0.1, 0.2, 0.4),
}
#: Largest exponent the optimiser may reach (a bound, reported if it is hit).
ETA_MAX = 5.0
_LOWER = np.array([-np.inf, -np.inf, -np.inf, 1e-9])
_UPPER = np.array([np.inf, np.inf, np.inf, ETA_MAX])
#: A start "reached the best" when its cost is within this relative tolerance of the best.
AT_BEST_RTOL = 1e-6


def explicit_grid() -> np.ndarray:
    """The 108 starting points of :data:`DEFAULT_GRID_AXES`, shape ``(108, 4)``."""
    axes = [DEFAULT_GRID_AXES[name] for name in THETA_NAMES]
    return np.array(list(itertools.product(*axes)), dtype=float)


@dataclass(frozen=True, eq=False)
class OvertrainingResult:
    """The best fit of :class:`~chinchilla_utils.laws.OvertrainingLoss` and its diagnostics.

    Attributes
    ----------
    law : the fitted law.
    theta : ``(log a, log b, log E, eta)`` at the optimum.
    objective : half the sum of squares (``delta=None``) or the sum of Huber terms there.
    converged : whether the winning start's optimiser reported convergence.
    message : that optimiser's message.
    n_starts : starting points tried; n_starts_at_best : those that ended at the best cost.
    on_bound : whether ``eta`` ended on its bound (``ETA_MAX`` or ~0).
    delta : the Huber threshold (None: least squares).
    space : ``"log"`` or ``"linear"`` residuals.
    n_points : runs fitted.
    log_residuals : ``log(predicted) - log(observed)`` of each run at the optimum.
    """

    law: OvertrainingLoss
    theta: np.ndarray
    objective: float
    converged: bool
    message: str
    n_starts: int
    n_starts_at_best: int
    on_bound: bool
    delta: float | None
    space: str
    n_points: int
    log_residuals: np.ndarray = field(repr=False)

    def params(self) -> dict[str, float]:
        """``E, a, b, eta`` and ``M_opt`` as plain floats."""
        return self.law.params()


class _Problem:
    """Residuals and Jacobian in centred coordinates, of the log loss or of the loss."""

    def __init__(
        self, n_params: np.ndarray, n_tokens: np.ndarray, loss: np.ndarray, space: str
    ) -> None:
        log_c = np.log(6.0 * n_params * n_tokens)
        self.centre = float(log_c.mean())
        self.x_c = log_c - self.centre
        self.log_m = np.log(n_tokens / n_params)
        self.loss = loss
        self.log_loss = np.log(loss)
        self.space = space

    def terms(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        la, lb, le, eta = u
        with np.errstate(over="ignore"):
            t1 = np.exp(la + eta * (self.log_m - self.x_c))
            t2 = np.exp(lb - eta * (self.log_m + self.x_c))
            e = float(np.exp(le))
        return t1, t2, e, t1 + t2 + e

    def residuals(self, u: np.ndarray) -> np.ndarray:
        total = self.terms(u)[3]
        if self.space == "linear":
            return total - self.loss
        with np.errstate(divide="ignore"):
            return np.log(total) - self.log_loss

    def jacobian(self, u: np.ndarray) -> np.ndarray:
        t1, t2, e, total = self.terms(u)
        d_eta = t1 * (self.log_m - self.x_c) - t2 * (self.log_m + self.x_c)
        jac = np.column_stack([t1, t2, np.full_like(t1, e), d_eta])
        return jac if self.space == "linear" else jac / total[:, None]

    def to_centred(self, theta: np.ndarray) -> np.ndarray:
        u = np.array(theta, dtype=float, copy=True)
        u[..., 0] -= u[..., 3] * self.centre
        u[..., 1] -= u[..., 3] * self.centre
        return u

    def from_centred(self, u: np.ndarray) -> np.ndarray:
        theta = np.array(u, dtype=float, copy=True)
        theta[..., 0] += theta[..., 3] * self.centre
        theta[..., 1] += theta[..., 3] * self.centre
        return theta

    def profile_starts(self, n_keep: int) -> np.ndarray:
        """Starts from the profile in ``eta``: at fixed ``eta`` the law is linear in
        ``(E, a, b)``, so non-negative least squares gives the best of them; keep the
        ``n_keep`` best ``eta`` of :data:`PROFILE_ETAS` (centred coordinates)."""
        rows = []
        for eta in PROFILE_ETAS:
            x1 = np.exp(eta * (self.log_m - self.x_c))
            x2 = np.exp(-eta * (self.log_m + self.x_c))
            coef, _ = nnls(np.column_stack([np.ones_like(x1), x1, x2]), self.loss)
            # a zero coefficient has no logarithm: start just above it
            coef = np.maximum(coef, 1e-6 * float(self.loss.mean()))
            u = np.array([np.log(coef[1]), np.log(coef[2]), np.log(coef[0]), eta])
            rows.append((float(np.sum(self.residuals(u) ** 2)), u))
        rows.sort(key=lambda r: r[0])
        return np.array([u for _, u in rows[:n_keep]])


def _check_inputs(n_params: Any, n_tokens: Any, loss: Any) -> tuple[np.ndarray, ...]:
    n = as_positive("n_params", n_params)
    d = as_positive("n_tokens", n_tokens)
    el = as_positive("loss", loss)
    check_same_shape(n_params=n, n_tokens=d, loss=el)
    if n.ndim != 1:
        raise ValueError(f"n_params, n_tokens and loss must be 1-d arrays, got shape {n.shape}")
    if n.size < 4:
        raise ValueError(f"the overtraining law has 4 constants and needs >= 4 runs, got {n.size}")
    return n, d, el


def _check_grid(grid: Any) -> np.ndarray:
    g = as_finite("grid", grid)
    if g.ndim != 2 or g.shape[1] != 4 or g.shape[0] < 1:
        raise ValueError(
            f"grid must have shape (n_starts, 4) with columns {THETA_NAMES}, got {g.shape}"
        )
    if np.any(g[:, 3] <= 0) or np.any(g[:, 3] > ETA_MAX):
        raise ValueError(f"grid's eta column must lie in (0, {ETA_MAX}], got {g[:, 3]}")
    return g


def fit_overtraining(
    n_params: Any,
    n_tokens: Any,
    loss: Any,
    delta: float | None = 1e-3,
    space: str = "log",
    grid: Any = None,
    n_starts: int = N_PROFILE_STARTS,
) -> OvertrainingResult:
    """Fit Gadre et al.'s ``L(C, M)`` to runs of size ``n_params`` trained on ``n_tokens``.

    Parameters
    ----------
    n_params, n_tokens, loss : 1-d arrays of parameters, training tokens and final loss (nats),
        at least 4 runs.
    delta : Huber threshold on the residuals (default 1e-3, the paper's Approach 3 value for
        log residuals); None for least squares.
    space : ``"log"`` (residuals of the log loss, as the book fits Approach 3) or ``"linear"``
        (residuals in nats, as Gadre et al. fitted).
    grid : ``(k, 4)`` explicit starting points in :data:`THETA_NAMES` order (e.g.
        :func:`explicit_grid`, or a previous fit's ``theta`` to warm-start a resample). None
        starts from the profile in ``eta``: for each of 25 exponents the best ``(E, a, b)`` is a
        non-negative least-squares problem, and the ``n_starts`` best of those are polished.
    n_starts : profile points polished when ``grid`` is None.

    Returns
    -------
    OvertrainingResult with the best law and its diagnostics.

    Raises
    ------
    ValueError : bad input (non-positive values, mismatched shapes, fewer than 4 runs, a bad
        grid, delta, space or n_starts).
    FitError : no start produced a finite optimum (``reason="did not converge"``).
    """
    n, d, el = _check_inputs(n_params, n_tokens, loss)
    check_choice("space", space, SPACES)
    if delta is not None:
        delta_arr = as_positive("delta", delta)
        if delta_arr.ndim != 0:
            raise ValueError(f"delta must be a scalar or None, got {delta!r}")
        delta = float(delta_arr)
    problem = _Problem(n, d, el, space)
    if grid is None:
        if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)):
            raise ValueError(f"n_starts must be a positive integer, got {n_starts!r}")
        if not 1 <= n_starts <= len(PROFILE_ETAS):
            raise ValueError(f"n_starts must be in [1, {len(PROFILE_ETAS)}], got {n_starts!r}")
        starts = problem.profile_starts(int(n_starts))
    else:
        starts = problem.to_centred(_check_grid(grid))
    options = {"loss": "linear"} if delta is None else {"loss": "huber", "f_scale": delta}
    outcomes = [
        _polish(problem, u0, options) for u0 in starts if np.all(np.isfinite(problem.residuals(u0)))
    ]
    outcomes = [r for r in outcomes if np.isfinite(r.cost)]
    if not outcomes:
        raise FitError(
            f"fit_overtraining: none of the {starts.shape[0]} starts reached a finite optimum "
            f"on {n.size} runs",
            reason="did not converge",
        )
    costs = np.array([r.cost for r in outcomes])
    best = outcomes[int(np.argmin(costs))]
    theta = problem.from_centred(best.x)
    eta = theta[3]
    log_problem = _Problem(n, d, el, "log")
    return OvertrainingResult(
        law=OvertrainingLoss.from_theta(theta),
        theta=theta,
        objective=float(best.cost),
        converged=bool(best.status > 0),
        message=str(best.message),
        n_starts=int(starts.shape[0]),
        n_starts_at_best=int(np.sum(costs <= best.cost * (1 + AT_BEST_RTOL) + 1e-15)),
        on_bound=bool(eta >= ETA_MAX * (1 - 1e-9) or eta <= 1e-8),
        delta=delta,
        space=space,
        n_points=int(n.size),
        log_residuals=log_problem.residuals(best.x),
    )


def _polish(problem: _Problem, u0: np.ndarray, options: dict) -> Any:
    """One trust-region least-squares run from ``u0`` (centred coordinates)."""
    # trial steps far from the optimum overflow inside scipy; they are rejected there
    with np.errstate(over="ignore", invalid="ignore"):
        return least_squares(
            problem.residuals,
            u0,
            jac=problem.jacobian,
            bounds=(_LOWER, _UPPER),
            method="trf",
            x_scale="jac",
            ftol=1e-12,
            xtol=1e-12,
            gtol=1e-12,
            max_nfev=2000,
            **options,
        )
