"""Data-constrained scaling: what repeated epochs and excess parameters are worth.

Muennighoff, Rush, Barak, Le Scao, Piktus, Tazi, Pyysalo, Wolf and Raffel (2023), *Scaling
Data-Constrained Language Models* (NeurIPS 2023, arXiv:2305.16264). A run of ``N`` parameters
trained on ``D`` tokens drawn from ``U_D`` unique tokens repeats its data
``R_D = D / U_D - 1`` times. Repeated tokens are worth less, and so are parameters beyond
``U_N``, the compute-optimal size for ``U_D`` tokens; the paper replaces ``D`` and ``N`` in
the Chinchilla law by effective counts (their Eq. 5 and 6)

    ``D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*))``,
    ``N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*))``, ``R_N = max(N / U_N - 1, 0)``,

with ``U_N = min(N_opt(U_D), N)`` (their Eq. 15) and fitted constants ``R_D*`` and ``R_N*``,
read from ``data/muennighoff2023_constants.csv``. :class:`DataConstrainedLaw` evaluates the
law, and :meth:`DataConstrainedLaw.optimal_allocation` splits a budget of FLOPs between
parameters and epochs when unique data are capped (the paper's authors do this by a grid
search; here a dense grid is refined by bounded 1-D minimisation, and tested against brute
force). Introduced in the planning chapter of the book.

Units: parameters, tokens, FLOPs (``C = 6 N D``), losses in nats per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from .._validation import _describe, as_finite, as_positive, as_scalar_or_array, check_choice
from ..datasets.paper import load_table
from ..laws import ParametricLoss

__all__ = [
    "MUENNIGHOFF_VARIANTS",
    "DataConstrainedLaw",
    "DataConstrainedOptimum",
    "decayed_count",
]

#: Variants in ``data/muennighoff2023_constants.csv``.
MUENNIGHOFF_VARIANTS = ("appendix_unrounded", "eq17_rounded")

# optimal_allocation searches sizes within this factor of the unconstrained optimum, on a
# grid this fine (in ln N), before refining: wide enough for 1000 epochs, fine enough that the
# refinement brackets the minimum.
_SEARCH_DECADES = 4.0
_GRID_POINTS = 2001


def decayed_count(unique: Any, repetitions: Any, r_star: Any) -> float | np.ndarray:
    """Effective count of ``unique`` items repeated ``repetitions`` times (Eq. 5 and 6).

    ``U + U R* (1 - exp(-R / R*))``: about ``U (1 + R)`` while ``R << R*`` and never more
    than ``U (1 + R*)``. ``r_star = inf`` means repeats are as good as new ones.

    Parameters
    ----------
    unique : unique tokens ``U_D`` (or base parameters ``U_N``), > 0.
    repetitions : ``R_D`` (epochs - 1) or ``R_N``, >= 0.
    r_star : the fitted decay constant ``R*`` (> 0, may be ``inf``).
    """
    u = as_positive("unique", unique)
    r = as_finite("repetitions", repetitions)
    if np.any(r < 0):
        raise ValueError(
            f"repetitions must be >= 0 (0 is a single epoch), got {_describe(repetitions)}"
        )
    star = np.asarray(r_star, dtype=float)
    if np.any(np.isnan(star)) or np.any(star <= 0):
        raise ValueError(f"r_star must be > 0 (inf allowed), got {_describe(r_star)}")
    if np.all(np.isinf(star)):
        return as_scalar_or_array(u * (1.0 + r))
    return as_scalar_or_array(u + u * star * -np.expm1(-r / star))


@dataclass(frozen=True)
class DataConstrainedOptimum:
    """The best split of a budget between parameters and epochs with capped unique data.

    Attributes
    ----------
    flops : the training budget (FLOPs, ``6 N D``).
    unique_token_budget : unique tokens available ``D_C`` (tokens).
    n_params, n_tokens : the optimum (parameters, training tokens).
    loss : its predicted loss (nats).
    chinchilla_n_params, chinchilla_n_tokens : the base law's compute-optimal split of the
        same budget, which assumes every token is fresh.
    chinchilla_loss : that split's loss when its tokens are in fact drawn from
        ``unique_token_budget`` (nats).
    """

    flops: float
    unique_token_budget: float
    n_params: float
    n_tokens: float
    loss: float
    chinchilla_n_params: float
    chinchilla_n_tokens: float
    chinchilla_loss: float

    @property
    def unique_tokens(self) -> float:
        """Unique tokens the optimum uses, ``min(D_C, D)``."""
        return min(self.unique_token_budget, self.n_tokens)

    @property
    def epochs(self) -> float:
        """Passes over the unique data, ``D / U_D``."""
        return self.n_tokens / self.unique_tokens

    @property
    def chinchilla_epochs(self) -> float:
        """Passes the Chinchilla split would make over the capped data."""
        return self.chinchilla_n_tokens / min(self.unique_token_budget, self.chinchilla_n_tokens)

    @property
    def tokens_per_param(self) -> float:
        """``D / N`` of the optimum."""
        return self.n_tokens / self.n_params

    @property
    def n_params_ratio(self) -> float:
        """Optimum's parameters over the Chinchilla split's."""
        return self.n_params / self.chinchilla_n_params

    @property
    def loss_gain(self) -> float:
        """How much lower the optimum's loss is than the Chinchilla split's (nats, >= 0)."""
        return self.chinchilla_loss - self.loss


@dataclass(frozen=True)
class DataConstrainedLaw:
    """Muennighoff et al.'s data-constrained law on a base Chinchilla-form law.

    Parameters
    ----------
    base : the single-epoch :class:`~chinchilla_utils.laws.ParametricLoss`; its frontier
        defines ``U_N`` (the compute-optimal size for ``U_D`` tokens).
    r_d_star : ``R_D*``, the decay constant of repeated data (> 0; ``inf``: no decay).
    r_n_star : ``R_N*``, the decay constant of excess parameters (> 0; ``inf``: no decay).
    name : a label for tables.
    """

    base: ParametricLoss
    r_d_star: float
    r_n_star: float
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.base, ParametricLoss):
            raise TypeError(f"base must be a ParametricLoss, got {type(self.base).__name__}")
        for field in ("r_d_star", "r_n_star"):
            value = float(np.asarray(getattr(self, field), dtype=float))
            if np.isnan(value) or value <= 0:
                raise ValueError(f"{field} must be > 0 (inf allowed), got {getattr(self, field)!r}")
            object.__setattr__(self, field, value)

    @classmethod
    def muennighoff2023(cls, variant: str = "appendix_unrounded") -> DataConstrainedLaw:
        """The published law, from ``data/muennighoff2023_constants.csv``.

        ``"appendix_unrounded"`` (default): the C4 fit of Appendix B (``e = 0.6254804``,
        ``a = 6.255414``, ``b = 7.3049974``, ``alpha = beta = 0.3526596``) with
        ``R_N* = 5.309743`` and ``R_D* = 15.387756`` (Appendix A; Table 1). ``"eq17_rounded"``:
        Eq. 17 as printed (E 1.87, A 521, B 1488, exponents 0.35, R_N* 5.3, R_D* 15.4).
        """
        check_choice("variant", variant, MUENNIGHOFF_VARIANTS)
        table = load_table("muennighoff2023_constants").set_index("variant")
        row = table.loc[variant]
        if np.isfinite(row["log_E"]):
            # the fit is printed as natural logs: rebuild E, A, B from them exactly
            base = ParametricLoss.from_theta(
                [row["log_A"], row["log_B"], row["log_E"], row["alpha"], row["beta"]]
            )
        else:
            base = ParametricLoss(row["E"], row["A"], row["B"], row["alpha"], row["beta"])
        return cls(base, row["r_d_star"], row["r_n_star"], name=f"Muennighoff et al. ({variant})")

    # -- the pieces of Eq. 14 --------------------------------------------------------------
    def unique_params(self, unique_tokens: Any) -> float | np.ndarray:
        """``N_opt(U_D)``: the compute-optimal size for ``U_D`` tokens, ``G (U_D G)^(beta/alpha)``.

        With ``alpha = beta`` this is ``G^2 U_D`` (the paper's ``U_N = 0.051 U_D``).
        """
        u = as_positive("unique_tokens", unique_tokens)
        return self.base.n_opt(self.base.flops_for_d_opt(u))

    def _checked(self, n_params: Any, n_tokens: Any, unique_tokens: Any) -> tuple[np.ndarray, ...]:
        n = as_positive("n_params", n_params)
        d = as_positive("n_tokens", n_tokens)
        u = as_positive("unique_tokens", unique_tokens)
        n, d, u = np.broadcast_arrays(n, d, u)
        # relative slack: a run of exactly one epoch may round U_D a hair above D
        if np.any(u > d * (1 + 1e-12)):
            bad = np.flatnonzero(np.ravel(u > d * (1 + 1e-12)))[0]
            raise ValueError(
                f"unique_tokens {np.ravel(u)[bad]:.6g} exceeds n_tokens {np.ravel(d)[bad]:.6g}: "
                "a run cannot see more unique tokens than it trains on; pass "
                "unique_tokens = min(data budget, n_tokens)"
            )
        return n, d, np.minimum(u, d)

    def effective_tokens(self, n_tokens: Any, unique_tokens: Any) -> float | np.ndarray:
        """``D'`` (Eq. 5): effective tokens of ``n_tokens`` drawn from ``unique_tokens``."""
        _, d, u = self._checked(1.0, n_tokens, unique_tokens)
        return decayed_count(u, d / u - 1.0, self.r_d_star)

    def effective_params(self, n_params: Any, unique_tokens: Any) -> float | np.ndarray:
        """``N'`` (Eq. 6, 15): effective parameters of ``n_params`` for ``unique_tokens``."""
        n = as_positive("n_params", n_params)
        n, u = np.broadcast_arrays(n, as_positive("unique_tokens", unique_tokens))
        base = np.minimum(np.asarray(self.unique_params(u)), n)
        return decayed_count(base, np.maximum(n / base - 1.0, 0.0), self.r_n_star)

    def loss(self, n_params: Any, n_tokens: Any, unique_tokens: Any) -> float | np.ndarray:
        """Predicted loss (nats) of ``n_params`` trained on ``n_tokens`` from ``unique_tokens``.

        ``unique_tokens`` are the unique tokens the run sees (``<= n_tokens``); for a data
        budget larger than the run, pass ``n_tokens``. With one epoch and ``N <= U_N`` it is
        the base law's loss.
        """
        n, d, u = self._checked(n_params, n_tokens, unique_tokens)
        n_eff = np.asarray(self.effective_params(n, u))
        d_eff = np.asarray(self.effective_tokens(d, u))
        return as_scalar_or_array(
            self.base.E + self.base.A / n_eff**self.base.alpha + self.base.B / d_eff**self.base.beta
        )

    # -- allocation -------------------------------------------------------------------------
    def _budget_loss(self, log_n: np.ndarray, flops: float, cap: float) -> np.ndarray:
        n = np.exp(log_n)
        d = flops / (6.0 * n)
        return np.asarray(self.loss(n, d, np.minimum(cap, d)))

    def optimal_allocation(
        self, flops: float, unique_token_budget: float
    ) -> DataConstrainedOptimum:
        """Split ``flops`` between parameters and epochs when only ``D_C`` unique tokens exist.

        Minimises the law along ``6 N D = flops`` with ``U_D = min(D_C, D)`` (the paper's
        Eq. 4): a grid of ``_GRID_POINTS`` sizes over ``_SEARCH_DECADES`` decades
        either side of the unconstrained optimum, refined by bounded Brent minimisation
        between the grid neighbours of the best point.

        Parameters
        ----------
        flops : training budget (FLOPs, > 0).
        unique_token_budget : unique tokens available ``D_C`` (> 0; may exceed the tokens
            the budget can train on, in which case nothing repeats).
        """
        budget = as_positive("flops", flops)
        cap = as_positive("unique_token_budget", unique_token_budget)
        if budget.ndim or cap.ndim:
            raise ValueError(
                f"flops and unique_token_budget must be single numbers, got {_describe(flops)} "
                f"and {_describe(unique_token_budget)}"
            )
        budget, cap = float(budget), float(cap)
        n_chin = float(self.base.n_opt(budget))
        # at least one training token: N <= C / 6
        hi = min(np.log(n_chin) + _SEARCH_DECADES * np.log(10), np.log(budget / 6.0))
        lo = np.log(n_chin) - _SEARCH_DECADES * np.log(10)
        grid = np.linspace(lo, hi, _GRID_POINTS)
        values = self._budget_loss(grid, budget, cap)
        best = int(np.argmin(values))
        left, right = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
        refined = minimize_scalar(
            lambda u: float(self._budget_loss(np.array([u]), budget, cap)[0]),
            bounds=(left, right),
            method="bounded",
            options={"xatol": 1e-10},
        )
        log_n = refined.x if refined.fun <= values[best] else grid[best]
        n_opt = float(np.exp(log_n))
        d_opt = budget / (6.0 * n_opt)
        d_chin = float(self.base.d_opt(budget))
        return DataConstrainedOptimum(
            flops=budget,
            unique_token_budget=cap,
            n_params=n_opt,
            n_tokens=d_opt,
            loss=float(self.loss(n_opt, d_opt, min(cap, d_opt))),
            chinchilla_n_params=n_chin,
            chinchilla_n_tokens=d_chin,
            chinchilla_loss=float(self.loss(n_chin, d_chin, min(cap, d_chin))),
        )
