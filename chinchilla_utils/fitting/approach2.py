"""Approach 2: iso-FLOP profiles (paper Section 3.2, Figure 3). Introduced in Chapter 3.

For each fixed training budget ``C`` (FLOPs) the paper trains models of several sizes and
fits a parabola of final loss against ``log N``. The vertex of each parabola is that budget's
compute-optimal size ``N_opt(C)`` (and ``D_opt = C / (6 N_opt)`` tokens). Power laws fitted
across budgets then give ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``.

A parabola whose vertex is not a minimum inside the sampled sizes says nothing about
``N_opt``, so :func:`fit_isoflop_parabola` refuses it with a :class:`ParabolaError`, and
:func:`fit_approach2` keeps every refused budget in its table with the reason instead of
returning a silent number.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from chinchilla_utils._validation import (
    as_flag_column,
    as_numeric_column,
    as_positive,
    as_scalar,
    check_exact_groups,
    check_same_shape,
)
from chinchilla_utils.constants import CHINCHILLA_FLOPS

from .bootstrap import (
    DEFAULT_FRACTION,
    DEFAULT_METHOD,
    DEFAULT_N_RESAMPLES,
    NOT_FAILED,
    BootstrapResult,
    progress_iter,
    resample_indices,
)
from .errors import FitError
from .inputs import Column, runs_table, source_label
from .powerlaw import PowerLawFit, check_frontier_exponent, fit_power_law

if TYPE_CHECKING:
    from ..laws import PowerLawFrontier

__all__ = [
    "FLAT_RTOL",
    "MIN_SIZES",
    "Approach2Result",
    "ParabolaError",
    "ParabolaFit",
    "bootstrap_approach2",
    "fit_approach2",
    "fit_isoflop_parabola",
]


#: Fewest distinct model sizes that determine a parabola.
MIN_SIZES = 3

#: A parabola is flat (refused) when its rise across the sampled sizes, ``|c2| (w/2)^2`` for
#: ``w`` the width of the sampled ``ln N`` range, is at most this fraction of the loss scale.
#: Round-off alone gives about 1e-16 (equal losses fitted "ok" with c2 = 2.4e-16); the
#: shallowest real profile worth a vertex rises far more than 1e-8 of the loss.
FLAT_RTOL = 1e-8


class ParabolaError(FitError):
    """An iso-FLOP parabola that does not locate a minimum inside the sampled sizes.

    A :class:`~chinchilla_utils.fitting.errors.FitError`: the input was valid, the profile
    simply has no usable minimum. ``reason`` is a short code (``"opens downward"``,
    ``"flat"``, ``"vertex outside sampled sizes"``, ``"fewer than 3 distinct sizes"``) that
    :func:`fit_approach2` writes into its ``status`` column; the message gives the budget and
    the numbers.
    """


@dataclass(frozen=True)
class ParabolaFit:
    """Least-squares parabola ``loss = c0 + c1 x + c2 x^2`` with ``x = ln N`` (N in parameters).

    Attributes
    ----------
    coefficients : ``(c0, c1, c2)``; loss in nats, ``x`` the natural log of the parameter count.
    curvature : ``c2`` (nats per (ln N)^2), > 0 for an accepted fit.
    n_opt : vertex, the loss-minimising size at this budget (parameters).
    loss_opt : fitted loss at the vertex (nats).
    n_min_sampled, n_max_sampled : smallest and largest sampled sizes (parameters).
    n_points : number of (size, loss) points fitted; n_sizes : how many distinct sizes.
    residual_std : standard deviation of loss residuals (nats, ``ddof=3``; 0 for 3 points).
    budget : the training budget in FLOPs, when the caller gave it (else NaN).
    """

    coefficients: tuple[float, float, float]
    curvature: float
    n_opt: float
    loss_opt: float
    n_min_sampled: float
    n_max_sampled: float
    n_points: int
    n_sizes: int
    residual_std: float
    budget: float = float("nan")

    def predict(self, n_params: float | np.ndarray) -> float | np.ndarray:
        """Fitted loss (nats) at ``n_params`` parameters."""
        x = np.log(as_positive("n_params", n_params))
        c0, c1, c2 = self.coefficients
        value = c0 + c1 * x + c2 * x**2
        return float(value) if np.ndim(value) == 0 else value


def _budget_label(budget: float | None) -> str:
    return "budget unknown" if budget is None or not np.isfinite(budget) else f"{budget:.3g} FLOPs"


def fit_isoflop_parabola(
    n_params: np.ndarray, loss: np.ndarray, budget: float | None = None
) -> ParabolaFit:
    """Fit one iso-FLOP profile: a parabola of loss (nats) against ``ln N``.

    Parameters
    ----------
    n_params : model sizes trained at this budget (parameters, > 0).
    loss : their final losses (nats, > 0), same shape.
    budget : the budget these runs share (FLOPs); used in messages and stored on the result.

    Returns
    -------
    ParabolaFit whose vertex is ``n_opt`` and ``loss_opt``.

    Raises
    ------
    ParabolaError : fewer than 3 distinct sizes; the parabola opens downward (``c2 <= 0``, no
        minimum); it is flat (its rise across the sampled sizes is within :data:`FLAT_RTOL`
        of the loss scale, either sign: round-off, not a minimum); or the vertex lies outside
        ``[min N, max N]`` (an extrapolated optimum).
    ValueError : non-finite or non-positive inputs, or mismatched shapes.
    """
    n_arr = as_positive("n_params", n_params)
    loss_arr = as_positive("loss", loss)
    check_same_shape(n_params=n_arr, loss=loss_arr)
    n_arr, loss_arr = np.ravel(n_arr), np.ravel(loss_arr)
    label = _budget_label(budget)
    n_sizes = int(np.unique(n_arr).size)
    if n_sizes < MIN_SIZES:
        raise ParabolaError(
            f"{label}: a parabola needs at least {MIN_SIZES} distinct model sizes, got "
            f"{n_sizes} ({np.unique(n_arr).tolist()})",
            reason=f"fewer than {MIN_SIZES} distinct sizes",
        )
    x = np.log(n_arr)
    # Centre x: ln N ~ 20 makes the raw Vandermonde matrix badly conditioned.
    x_mean = float(x.mean())
    c2, c1c, c0c = np.polyfit(x - x_mean, loss_arr, 2)
    c2, c1c, c0c = float(c2), float(c1c), float(c0c)
    # Flatness first: round-off gives |c2| ~ 1e-16 of either sign on equal losses.
    rise = c2 * (np.ptp(x) / 2) ** 2
    loss_scale = float(np.max(np.abs(loss_arr)))
    if abs(rise) <= FLAT_RTOL * loss_scale:
        raise ParabolaError(
            f"{label}: the profile is flat: the parabola rises {rise:.3g} nats across the "
            f"sampled sizes (c2 = {c2:.3g}), within {FLAT_RTOL:g} of the loss scale "
            f"{loss_scale:.3g}, which round-off alone can produce; it locates no minimum",
            reason="flat",
        )
    if c2 < 0:
        raise ParabolaError(
            f"{label}: the parabola of loss against ln N opens downward (c2 = {c2:.3g} < 0), "
            f"so it has no minimum; sizes {n_arr.min():.3g} to {n_arr.max():.3g} parameters",
            reason="opens downward",
        )
    x_opt = x_mean - c1c / (2 * c2)
    n_opt = float(np.exp(x_opt))
    loss_opt = c0c - c1c**2 / (4 * c2)
    n_min, n_max = float(n_arr.min()), float(n_arr.max())
    # Compare in log space with a hair of slack so a vertex on a sampled size is accepted.
    if not (np.log(n_min) - 1e-12 <= x_opt <= np.log(n_max) + 1e-12):
        raise ParabolaError(
            f"{label}: the parabola's vertex N = {n_opt:.3g} parameters lies outside the sampled "
            f"sizes [{n_min:.3g}, {n_max:.3g}]; the optimum would be an extrapolation",
            reason="vertex outside sampled sizes",
        )
    # Back to coefficients in x = ln N itself, for readers who evaluate the parabola by hand.
    c0 = c0c - c1c * x_mean + c2 * x_mean**2
    c1 = c1c - 2 * c2 * x_mean
    residuals = loss_arr - (c0c + c1c * (x - x_mean) + c2 * (x - x_mean) ** 2)
    dof = n_arr.size - 3
    residual_std = float(np.sqrt(residuals @ residuals / dof)) if dof > 0 else 0.0
    return ParabolaFit(
        coefficients=(float(c0), float(c1), float(c2)),
        curvature=c2,
        n_opt=n_opt,
        loss_opt=float(loss_opt),
        n_min_sampled=n_min,
        n_max_sampled=n_max,
        n_points=int(n_arr.size),
        n_sizes=n_sizes,
        residual_std=residual_std,
        budget=float("nan") if budget is None else float(budget),
    )


@dataclass(frozen=True)
class Approach2Result:
    """Approach 2 fitted on a set of iso-FLOP points.

    Attributes
    ----------
    a, b : exponents of ``N_opt ∝ C^a`` and ``D_opt ∝ C^b`` (``b = 1 - a`` exactly, because
        ``D_opt = C / (6 N_opt)`` at each budget).
    per_budget : one row per budget, refused ones included: ``budget`` (FLOPs), ``n_points``,
        ``n_sizes``, ``n_opt`` (parameters), ``d_opt`` (tokens), ``loss_opt`` (nats),
        ``curvature``, ``status`` (``"ok"`` or the short reason it was refused) and ``message``.
    n_fit, d_fit : power-law fits of ``n_opt`` and ``d_opt`` against budget over the ``ok`` rows.
    frontier : ``n_fit`` as a :class:`~chinchilla_utils.laws.PowerLawFrontier`.
    parabolas : accepted :class:`ParabolaFit` per budget (for plotting).
    n_points_used : points that entered a parabola fit.
    n_rows_without_budget : rows whose budget was NaN (not on any iso-FLOP slice), excluded.
    n_rows_excluded : rows flagged by ``exclude``, excluded.
    """

    a: float
    b: float
    per_budget: pd.DataFrame
    n_fit: PowerLawFit
    d_fit: PowerLawFit
    frontier: PowerLawFrontier
    parabolas: dict[float, ParabolaFit] = field(default_factory=dict)
    n_points_used: int = 0
    n_rows_without_budget: int = 0
    n_rows_excluded: int = 0

    @property
    def n_budgets_ok(self) -> int:
        """Budgets whose parabola was accepted and entered the power-law fits."""
        return int((self.per_budget["status"] == "ok").sum())

    @property
    def n_budgets_refused(self) -> int:
        """Budgets whose parabola was refused (kept in ``per_budget`` with the reason)."""
        return int((self.per_budget["status"] != "ok").sum())


def _usable_points(
    data: pd.DataFrame | None,
    budget: Column,
    n_params: Column,
    loss: Column,
    exclude: Column,
) -> tuple[pd.DataFrame, int, int]:
    """Rows that belong to a budget and are not excluded, plus how many of each were dropped."""
    table = runs_table(
        data, {"budget": budget, "n_params": n_params, "loss": loss, "exclude": exclude}
    )
    labels = {q: source_label(q, spec) for q, spec in (("budget", budget), ("exclude", exclude))}
    # Missing budgets (NaN) mean "on no iso-FLOP slice"; text that is not a number is an error.
    budgets = as_numeric_column(labels["budget"], table["budget"], table.index)
    no_budget = np.isnan(budgets)
    excluded = (
        as_flag_column(labels["exclude"], table["exclude"], table.index)
        if "exclude" in table
        else np.zeros(len(table), dtype=bool)
    )
    keep = ~no_budget & ~excluded
    check_exact_groups(labels["budget"], budgets[keep])
    used = pd.DataFrame(
        {
            "budget": as_positive(labels["budget"], budgets[keep]),
            "n_params": as_positive(
                source_label("n_params", n_params), table["n_params"].to_numpy()[keep]
            ),
            "loss": as_positive(source_label("loss", loss), table["loss"].to_numpy()[keep]),
        }
    )
    return used, int(no_budget.sum()), int((excluded & ~no_budget).sum())


def _fit_clean(used: pd.DataFrame, name: str) -> Approach2Result:
    """Fit validated points: the point fit and every bootstrap resample run exactly this."""
    rows, parabolas = [], {}
    for budget, group in used.groupby("budget", sort=True):
        budget = float(budget)
        row = {
            "budget": budget,
            "n_points": len(group),
            "n_sizes": int(group["n_params"].nunique()),
            "n_opt": np.nan,
            "d_opt": np.nan,
            "loss_opt": np.nan,
            "curvature": np.nan,
            "status": "ok",
            "message": "",
        }
        try:
            fit = fit_isoflop_parabola(group["n_params"], group["loss"], budget=budget)
        except ParabolaError as err:
            row["status"], row["message"] = err.reason, str(err)
        else:
            parabolas[budget] = fit
            row.update(
                n_opt=fit.n_opt,
                d_opt=budget / (6 * fit.n_opt),
                loss_opt=fit.loss_opt,
                curvature=fit.curvature,
            )
        rows.append(row)
    per_budget = pd.DataFrame(rows)
    ok = per_budget[per_budget["status"] == "ok"] if rows else per_budget
    if len(ok) < 2:
        reasons = (
            "; ".join(
                f"{b:.3g}: {s}"
                for b, s in zip(per_budget["budget"], per_budget["status"], strict=True)
            )
            if rows
            else ""
        )
        raise FitError(
            f"Approach 2 needs at least 2 budgets with an accepted parabola for the power laws, "
            f"got {len(ok)} of {len(per_budget)} ({reasons or 'no budgets'})",
            reason="too few budgets",
        )
    n_fit = fit_power_law(ok["budget"], ok["n_opt"])
    d_fit = fit_power_law(ok["budget"], ok["d_opt"])
    check_frontier_exponent(n_fit.exponent, "Approach 2", "check the per-budget vertices")
    frontier = n_fit.to_frontier(name=name)
    return Approach2Result(
        a=n_fit.exponent,
        b=d_fit.exponent,
        per_budget=per_budget,
        n_fit=n_fit,
        d_fit=d_fit,
        frontier=frontier,
        parabolas=parabolas,
        n_points_used=int(per_budget["n_points"].sum()),
    )


def fit_approach2(
    data: pd.DataFrame | None = None,
    *,
    budget: Column = "budget",
    n_params: Column = "n_params",
    loss: Column = "loss",
    exclude: Column = None,
    name: str = "Approach 2",
) -> Approach2Result:
    """Fit Approach 2: one parabola per iso-FLOP budget, then power laws across budgets.

    Parameters
    ----------
    data : one row per trained model (see :mod:`chinchilla_utils.fitting.inputs`), or None
        when the quantities below are given as arrays.
    budget : the budget (FLOPs) each run belongs to: a column of ``data`` (default
        ``"budget"``; ``"isoflop_budget"`` for
        :func:`chinchilla_utils.datasets.epoch_ai.load_epoch_points`) or an array. Runs are
        grouped on exact equality of this value; a missing value (NaN or empty) puts a run on
        no budget, and it is excluded (counted in ``n_rows_without_budget``).
    n_params : model sizes (parameters), a column name or an array.
    loss : final losses (nats), a column name or an array (the sweep's ``"final_val_loss"``).
    exclude : optional flags (a column name such as ``"outlier"``, or a boolean array); rows
        flagged True are excluded and counted in ``n_rows_excluded``.
    name : label for the returned frontier.

    Returns
    -------
    Approach2Result. Budgets whose parabola is refused stay in ``per_budget`` with their reason
    and do not enter the power-law fits.

    Raises
    ------
    ValueError : missing columns; invalid values (a budget that is not a number, an exclude
        flag that is not a boolean: the message names the first bad row; budgets closer than
        1e-6 relative, which would split one iso-FLOP profile in two).
    FitError : fewer than 2 accepted budgets (reason ``"too few budgets"``), or a fitted
        ``a`` outside (0, 1) (reason ``"no frontier"``).
    """
    used, n_no_budget, n_excluded = _usable_points(data, budget, n_params, loss, exclude)
    result = _fit_clean(used, name)
    return replace(result, n_rows_without_budget=n_no_budget, n_rows_excluded=n_excluded)


def bootstrap_approach2(
    data: pd.DataFrame | None = None,
    *,
    budget: Column = "budget",
    n_params: Column = "n_params",
    loss: Column = "loss",
    exclude: Column = None,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    method: str = DEFAULT_METHOD,
    fraction: float = DEFAULT_FRACTION,
    flops_for_ratio: float = CHINCHILLA_FLOPS,
    rng: np.random.Generator | int | None = None,
    progress: bool | None = False,
) -> BootstrapResult:
    """Bootstrap Approach 2 by resampling points from the pooled set.

    The resampled units are individual (size, loss) points drawn from all budgets together,
    not stratified per budget, as in the paper's variant (fit on a random 80% of the data, 100
    times; see :mod:`chinchilla_utils.fitting.bootstrap`). Pooling lets a resample thin a
    budget until its parabola is refused, which is part of the uncertainty. Rows without a
    budget or flagged by ``exclude`` are removed before resampling.

    Parameters
    ----------
    data, budget, n_params, loss, exclude : as for :func:`fit_approach2`.
    n_resamples : number of resamples (default 100, the paper's).
    method : ``"subsample"`` (default; the paper's variant, ``fraction`` of the points without
        replacement) or ``"replacement"`` (classic bootstrap).
    fraction : subsample fraction in (0, 1] (default 0.8, the paper's).
    flops_for_ratio : budget (FLOPs) at which to report ``n_opt`` and ``tokens_per_param``;
        default :data:`~chinchilla_utils.constants.CHINCHILLA_FLOPS` (5.88e23).
    rng : a ``numpy.random.Generator``, an integer seed, or None for the fixed default seed
        (:data:`~chinchilla_utils.fitting.bootstrap.DEFAULT_SEED`); the same seed gives
        identical output.
    progress : tqdm bar on (True) or off (False, default); None shows one when interactive.

    Returns
    -------
    BootstrapResult with samples columns ``a``, ``b``, ``n_opt`` (parameters at
    ``flops_for_ratio``), ``tokens_per_param`` and ``n_budgets_refused``. A resample that
    :func:`fit_approach2` would refuse (fewer than 2 accepted budgets, or no frontier) is a
    failure: a row of NaN, counted in ``summary.n_failed``, its reason in ``failure_reason``.
    """
    used, _, _ = _usable_points(data, budget, n_params, loss, exclude)
    flops_ratio = as_scalar("flops_for_ratio", flops_for_ratio, positive=True)
    indices = resample_indices(len(used), n_resamples, rng, method=method, fraction=fraction)
    columns = ["a", "b", "n_opt", "tokens_per_param", "n_budgets_refused"]
    rows, reasons = [], []
    for idx in progress_iter(indices, len(indices), "Approach 2 bootstrap", progress):
        try:
            res = _fit_clean(used.iloc[idx], "resample")
        except FitError as err:
            rows.append(dict.fromkeys(columns, np.nan))
            reasons.append(err.reason)
            continue
        reasons.append(NOT_FAILED)
        n_opt = float(res.n_fit.predict(flops_ratio))
        rows.append(
            {
                "a": res.a,
                "b": res.b,
                "n_opt": n_opt,
                "tokens_per_param": flops_ratio / (6 * n_opt**2),
                "n_budgets_refused": float(res.n_budgets_refused),
            }
        )
    samples = pd.DataFrame(rows, columns=columns)
    return BootstrapResult.from_samples(
        samples, method, n_resamples, fraction, unit="points", failure_reason=reasons
    )
