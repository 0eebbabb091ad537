"""The Chinchilla law seen in Kaplan's counts: Pearce and Song's (2024) reconciliation.

Introduced in the counting-conventions chapter. T. Pearce and J. Song, *Reconciling Kaplan and
Chinchilla Scaling Laws* (arXiv:2406.12907, 2024; analysis script in
``TeaPearce/Reconciling_Kaplan_Chinchilla_Scaling_Laws`` at commit ``b97a454``) argue that most
of the gap between Kaplan et al.'s ``N_opt ∝ C^0.73`` and Chinchilla's ``C^0.50`` comes from
counting non-embedding parameters ``N_ne`` (and compute ``C_ne = 6 N_ne D``) at small scale.
Two steps:

1. Across a family of shapes, total and non-embedding parameters are related by
   ``N_T = N_ne + gamma N_ne^(1/3)`` (the embedding is ``vocab x d_model``, and at a fixed
   aspect ratio ``d_model ∝ N_ne^(1/3)``). :func:`fit_embedding_relation` fits ``gamma``.
2. Minimising the Chinchilla law ``L = E + A / N_T^alpha + B / D^beta`` at fixed
   ``C_ne = 6 N_ne D`` gives the compute at which ``N_ne`` is optimal,

   ``C_ne = 6 N_ne (N_ne + gamma/3 N_ne^(1/3))^(-1/beta) N_T^((1+alpha)/beta)
   (beta B / (alpha A))^(1/beta)``

   (:func:`non_embedding_compute`), whose local slope ``d log N*_ne / d log C_ne``
   (:func:`local_exponent`) runs from ``beta / (alpha/3 + beta)`` for small models to
   ``beta / (alpha + beta)`` (Chinchilla's ``a``) for large ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from .._validation import as_positive, check_same_shape
from ..fitting.errors import FitError
from ..fitting.powerlaw import fit_power_law
from ..laws import ParametricLoss

__all__ = [
    "EmbeddingRelation",
    "fit_embedding_relation",
    "local_exponent",
    "non_embedding_compute",
    "range_exponent",
]


@dataclass(frozen=True)
class EmbeddingRelation:
    """``N_T = N_ne + gamma N_ne^(1/3)`` fitted across shapes.

    Attributes
    ----------
    gamma : the fitted coefficient (parameters^(2/3)).
    rms_log_residual : root-mean-square of ``log N_T - log(fit)`` (natural log).
    max_abs_rel_error : largest ``|fit / N_T - 1|``.
    n_shapes : shapes fitted.
    """

    gamma: float
    rms_log_residual: float
    max_abs_rel_error: float
    n_shapes: int

    def n_total(self, n_non_embedding: Any) -> np.ndarray:
        """Total parameters the relation gives for ``n_non_embedding`` parameters."""
        n = as_positive("n_non_embedding", n_non_embedding)
        return n + self.gamma * np.cbrt(n)


def fit_embedding_relation(n_total: Any, n_non_embedding: Any) -> EmbeddingRelation:
    """Least-squares ``gamma`` of ``N_T = N_ne + gamma N_ne^(1/3)`` on log ``N_T``.

    Parameters
    ----------
    n_total, n_non_embedding : total and non-embedding parameters of each shape, 1-d, same
        length (at least 2), ``n_total > n_non_embedding``.

    Raises
    ------
    ValueError : bad input. FitError : the optimum sits on the search bracket's edge.
    """
    n_t = as_positive("n_total", n_total)
    n_ne = as_positive("n_non_embedding", n_non_embedding)
    check_same_shape(n_total=n_t, n_non_embedding=n_ne)
    if n_t.ndim != 1 or n_t.size < 2:
        raise ValueError(f"need at least 2 shapes in 1-d arrays, got shape {n_t.shape}")
    if np.any(n_t <= n_ne):
        raise ValueError("n_total must exceed n_non_embedding for every shape (embeddings > 0)")
    cube = np.cbrt(n_ne)
    # gamma brackets: the embedding share over N_\E^(1/3), from its smallest to largest value.
    lo, hi = float(((n_t - n_ne) / cube).min()), float(((n_t - n_ne) / cube).max())

    def sse(gamma: float) -> float:
        return float(np.sum((np.log(n_t) - np.log(n_ne + gamma * cube)) ** 2))

    best = minimize_scalar(sse, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
    if not best.success:
        raise FitError(f"fit_embedding_relation did not converge: {best.message}")
    gamma = float(best.x)
    fit = n_ne + gamma * cube
    return EmbeddingRelation(
        gamma=gamma,
        rms_log_residual=float(np.sqrt(sse(gamma) / n_t.size)),
        max_abs_rel_error=float(np.max(np.abs(fit / n_t - 1.0))),
        n_shapes=int(n_t.size),
    )


def non_embedding_compute(law: ParametricLoss, n_non_embedding: Any, gamma: float) -> np.ndarray:
    """Non-embedding compute ``C_ne = 6 N_ne D`` (FLOPs) at which ``N_ne`` is optimal.

    Pearce and Song's relation (module docstring): the Chinchilla ``law`` is in total
    parameters, and ``N_T = N_ne + gamma N_ne^(1/3)``.
    """
    n = as_positive("n_non_embedding", n_non_embedding)
    g = float(as_positive("gamma", gamma))
    n_t = n + g * np.cbrt(n)
    dn_t = n + g / 3.0 * np.cbrt(n)  # N_\E dN_T/dN_\E
    scale = (law.beta * law.B / (law.alpha * law.A)) ** (1.0 / law.beta)
    return 6.0 * n * dn_t ** (-1.0 / law.beta) * n_t ** ((1.0 + law.alpha) / law.beta) * scale


def local_exponent(law: ParametricLoss, n_non_embedding: Any, gamma: float) -> np.ndarray:
    """``d log N*_ne / d log C_ne`` at ``N_ne`` (dimensionless), from
    :func:`non_embedding_compute`: between ``beta/(alpha/3 + beta)`` and ``beta/(alpha+beta)``."""
    n = as_positive("n_non_embedding", n_non_embedding)
    g = float(as_positive("gamma", gamma))
    x = np.cbrt(n) ** 2
    slope = (
        1.0
        - (x + g / 9.0) / (law.beta * (x + g / 3.0))
        + (1.0 + law.alpha) * (x + g / 3.0) / (law.beta * (x + g))
    )
    return 1.0 / slope


def range_exponent(
    law: ParametricLoss, gamma: float, n_min: float, n_max: float, n_points: int = 200
) -> float:
    """The power law ``N*_ne ∝ C_ne^a`` fitted (least squares, log-log) to the optimal
    non-embedding sizes from ``n_min`` to ``n_max`` parameters (log-spaced), as a study whose
    models span that range would measure it."""
    lo, hi = float(as_positive("n_min", n_min)), float(as_positive("n_max", n_max))
    if lo >= hi:
        raise ValueError(f"n_min must be below n_max, got {n_min!r} and {n_max!r}")
    n = np.geomspace(lo, hi, int(n_points))
    return float(fit_power_law(non_embedding_compute(law, n, gamma), n).exponent)
