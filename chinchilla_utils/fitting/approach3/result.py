"""The result of an Approach 3 fit: the fitted law, its frontier, and the fit's diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...laws import ParametricLoss, PowerLawFrontier

__all__ = ["Approach3Result", "AT_BEST_RTOL", "AT_BEST_ATOL", "DEFAULT_MAX_ITER"]

#: A start "reached the best objective" when its final objective is within this relative
#: tolerance of the best one (final objectives of the same basin agree to ~1e-12 relative;
#: distinct local minima on Epoch's points differ by > 1e-4 relative).
AT_BEST_RTOL = 1e-6
#: ... plus this absolute tolerance per run (the objective of log-loss residuals of ~1.4e-6).
AT_BEST_ATOL = 1e-12
#: Default iteration cap per start (the multi-start stage and the polish together).
DEFAULT_MAX_ITER = 1000


@dataclass(frozen=True, eq=False)
class Approach3Result:
    """The best Approach 3 fit and its diagnostics.

    Attributes
    ----------
    law : the fitted :class:`~chinchilla_utils.laws.ParametricLoss` (E, A, B in nats; exponents).
    theta : ``(a, b, e, alpha, beta)``, the minimiser (``a = log A`` etc.).
    objective : the objective at ``theta`` (sum or mean of Huber terms).
    converged : whether the winner's final optimiser reported convergence (scipy's
        L-BFGS-B ``success`` after the polish; the multi-start L-BFGS status when no polish
        ran).
    message : that optimiser's message.
    n_starts : number of starting points.
    n_starts_at_best : starts whose own L-BFGS run ended within ``at_best_rtol`` (relative)
        of the best objective, plus ``AT_BEST_ATOL`` per run (absolute, for noise-free
        data whose best objective is ~0).
    on_grid_edge : names in ``THETA_NAMES`` whose estimate lies at or beyond the smallest or
        largest starting value on that axis (the paper says its optimum did not).
    delta, reduction : the objective's settings.
    n_points : number of runs fitted.
    max_iter : iteration cap per start.
    at_best_rtol : relative tolerance behind ``n_starts_at_best``.
    grid : ``(n_starts, 5)`` starting points.
    start_thetas : ``(n_starts, 5)`` where each start's L-BFGS run ended.
    start_objectives : ``(n_starts,)`` the objective there.
    start_status : ``(n_starts,)`` why each start stopped (0 gradient, 1 objective
        reduction, 2 max_iter, 3 line search).
    best_start : index (into ``grid``) of the start that led to ``theta``.

    Also, as for Approaches 1 and 2: ``a``, ``b`` (the frontier exponents ``N_opt ∝ C^a``,
    ``D_opt ∝ C^b``) and ``frontier``, all from ``law``.
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

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C**a``: ``beta / (alpha + beta)`` of :attr:`law`."""
        return self.law.a

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C**b``: ``alpha / (alpha + beta)``; ``a + b = 1``."""
        return self.law.b

    @property
    def frontier(self) -> PowerLawFrontier:
        """The compute-optimal frontier the law implies under ``C = 6 N D`` (Eq. 4)."""
        return self.law.as_frontier(name="Approach 3")

    def params(self) -> dict[str, float]:
        """``E, A, B, alpha, beta`` and the frontier exponents ``a, b`` as plain floats."""
        return self.law.params()
