"""Straight-line fits in log-log space: ``y = coefficient * x ** exponent``.

Introduced in Chapter 2 (Approach 1), where the envelope of training curves gives
``N_opt ∝ C^a`` and ``D_opt ∝ C^b``, and reused in Chapter 3 (Approach 2) for the vertices of
the iso-FLOP parabolas. A fit of ``N_opt`` against compute turns into a
:class:`chinchilla_utils.laws.PowerLawFrontier` with :meth:`PowerLawFit.to_frontier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from chinchilla_utils._validation import (
    as_positive,
    as_scalar_or_array,
    check_min_length,
    check_same_shape,
)

from .errors import FitError

if TYPE_CHECKING:  # laws imports nothing from fitting; keep the runtime import lazy anyway
    from ..laws import PowerLawFrontier

__all__ = ["ROUNDOFF_EXPONENT", "PowerLawFit", "check_frontier_exponent", "fit_power_law"]


@dataclass(frozen=True)
class PowerLawFit:
    """Result of a least-squares fit of ``log10 y = log10 coefficient + exponent * log10 x``.

    Attributes
    ----------
    coefficient : ``k`` in ``y = k x^exponent``, in the units of ``y`` per (unit of ``x``)^exponent
        (for ``N_opt`` against FLOPs: parameters / FLOPs^exponent).
    exponent : the fitted slope in log-log space (dimensionless).
    residual_std : standard deviation of the log10 residuals, in dex (``ddof=2``; 0 for two
        points, where the line is exact).
    n_points : number of (x, y) pairs fitted.
    exponent_stderr : ordinary least-squares standard error of the exponent (NaN for two points).
        It assumes independent residuals, which envelope points of Approach 1 are not; use the
        bootstraps for intervals.
    x_min, x_max : range of ``x`` the fit saw (extrapolate beyond it knowingly).
    """

    coefficient: float
    exponent: float
    residual_std: float
    n_points: int
    exponent_stderr: float = float("nan")
    x_min: float = float("nan")
    x_max: float = float("nan")

    def predict(self, x: float | np.ndarray) -> float | np.ndarray:
        """``coefficient * x ** exponent`` for ``x`` in the units the fit used (> 0)."""
        arr = as_positive("x", x)
        return as_scalar_or_array(self.coefficient * arr**self.exponent)

    def to_frontier(self, name: str = "") -> PowerLawFrontier:
        """Read this fit as a compute-optimal frontier ``N_opt(C) = k C^a``.

        Only meaningful when the fit was of ``N_opt`` (parameters) against training compute
        ``C`` (FLOPs). The frontier's ``d_opt`` is ``C / (6 N_opt)``, so its token exponent is
        ``1 - a`` exactly, whereas a separate fit of ``D_opt`` against ``C`` (as Approach 1
        reports) can give ``b != 1 - a``.
        """
        from ..laws import PowerLawFrontier

        return PowerLawFrontier(coefficient=self.coefficient, exponent=self.exponent, name=name)


def fit_power_law(x: np.ndarray, y: np.ndarray) -> PowerLawFit:
    """Fit ``y = k x^a`` by ordinary least squares of ``log10 y`` on ``log10 x``.

    Parameters
    ----------
    x : positive abscissae, e.g. training compute in FLOPs.
    y : positive ordinates of the same shape, e.g. ``N_opt`` in parameters or ``D_opt`` in
        tokens.

    Returns
    -------
    PowerLawFit with coefficient ``k`` and exponent ``a``.

    Raises
    ------
    ValueError : non-finite or non-positive values, mismatched shapes, fewer than two points
        or fewer than two distinct ``x`` values (the slope is then undefined).
    """
    x_arr = np.ravel(as_positive("x", x))
    y_arr = np.ravel(as_positive("y", y))
    check_same_shape(x=np.asarray(x), y=np.asarray(y))
    check_min_length("x", x_arr, 2)
    log_x = np.log10(x_arr)
    log_y = np.log10(y_arr)
    if np.ptp(log_x) == 0:
        raise ValueError(
            f"x needs at least two distinct values for a slope, got all equal to {x_arr[0]!r}"
        )
    # Centre log x so the normal equations stay well conditioned for x ~ 1e20 FLOPs.
    x_mean = log_x.mean()
    dx = log_x - x_mean
    sxx = float(np.dot(dx, dx))
    slope = float(np.dot(dx, log_y - log_y.mean()) / sxx)
    intercept = float(log_y.mean() - slope * x_mean)
    residuals = log_y - (intercept + slope * log_x)
    n = x_arr.size
    if n > 2:
        residual_std = float(np.sqrt(np.dot(residuals, residuals) / (n - 2)))
        stderr = residual_std / np.sqrt(sxx)
    else:
        residual_std, stderr = 0.0, float("nan")
    return PowerLawFit(
        coefficient=float(10.0**intercept),
        exponent=slope,
        residual_std=residual_std,
        n_points=int(n),
        exponent_stderr=float(stderr),
        x_min=float(x_arr.min()),
        x_max=float(x_arr.max()),
    )


#: Slopes this close to 0 (or 1) are round-off: a flat envelope fitted 4e-31.
ROUNDOFF_EXPONENT = 1e-9


def check_frontier_exponent(exponent: float, approach: str, hint: str) -> float:
    """Accept a fitted ``N_opt ∝ C^a`` exponent only if it describes a frontier: ``0 < a < 1``.

    With ``a <= 0`` the optimal size does not grow with compute; with ``a >= 1`` the optimal
    token count ``D_opt = C / (6 N_opt)`` does not. Exponents within
    :data:`ROUNDOFF_EXPONENT` of 0 or 1 count as those: flat data give slopes of about
    1e-30 of either sign, round-off rather than growth. Approaches 1 and 2 call this on their
    point fits and on every bootstrap resample, so a resample is refused exactly when its
    point fit would be.

    Parameters
    ----------
    exponent : the fitted exponent ``a``.
    approach : the approach's name, for the message (``"Approach 2"``).
    hint : what the caller can check or change, appended to the message.

    Raises
    ------
    FitError
        With reason ``"no frontier"`` (also for a NaN exponent).
    """
    a = float(exponent)
    if ROUNDOFF_EXPONENT < a < 1 - ROUNDOFF_EXPONENT:
        return a
    what = "optimal size" if not a > 0.5 else "optimal token count C / (6 N_opt)"
    raise FitError(
        f"{approach} fitted N_opt ∝ C^{a:.3g}: the {what} does not grow with compute, so "
        f"there is no frontier; {hint}",
        reason="no frontier",
    )
