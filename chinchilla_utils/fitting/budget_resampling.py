"""Approach 2 with whole budgets as the resampled units. Introduced in Chapter 3.

:func:`~chinchilla_utils.fitting.approach2.bootstrap_approach2` resamples *runs*, pooled over
the budgets, and refits every parabola: its spread is the uncertainty that the noise of single
runs puts on the exponent. That is the whole uncertainty only if each budget's vertex misses
the power law by no more than its own runs' noise. When the vertices scatter about the line by
more (a budget read or trained a little off, a frontier that curves), the budgets are the
independent units, and the spread has to come from resampling them:

- :func:`bootstrap_approach2_budgets` is that cluster bootstrap. The parabolas are fitted once
  (a budget always brings all its runs, so its vertex is the same every time it is drawn); each
  resample draws budgets, by the same schemes and defaults as every bootstrap in
  :mod:`chinchilla_utils.fitting.bootstrap` (the paper's 80% subsample without replacement, or
  the classic bootstrap), and refits the power laws through the drawn vertices, a budget drawn
  twice counting twice.
- :func:`vertex_scatter` says which of the two the data support: it sets each vertex's residual
  from the power law beside the spread of that vertex when the budget's own runs are resampled,
  and sums the squared ratios into a chi-square.

Units: budgets in FLOPs, sizes in parameters, losses in nats, residuals and spreads in dex
(decades of ``N_opt``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2 as chi2_distribution

from chinchilla_utils._validation import as_flag_column, as_numeric_column, as_scalar, check_count
from chinchilla_utils.constants import CHINCHILLA_FLOPS

from .approach2 import Approach2Result, ParabolaError, fit_approach2, fit_isoflop_parabola
from .bootstrap import (
    DEFAULT_FRACTION,
    DEFAULT_METHOD,
    DEFAULT_N_RESAMPLES,
    NOT_FAILED,
    BootstrapResult,
    as_generator,
    progress_iter,
    resample_indices,
)
from .errors import FitError
from .inputs import Column, runs_table, source_label
from .powerlaw import check_frontier_exponent, fit_power_law

__all__ = ["VertexScatter", "bootstrap_approach2_budgets", "vertex_scatter"]

_COLUMNS = ["a", "b", "n_opt", "tokens_per_param", "n_budgets_refused"]


def _resample_fit(
    budgets: np.ndarray, n_opt: np.ndarray, accepted: np.ndarray, idx: np.ndarray, flops: float
) -> dict[str, float]:
    """The power laws through the vertices of the drawn budgets (``idx``, with repeats)."""
    drawn = idx[accepted[idx]]
    refused = float((~accepted[idx]).sum())
    if np.unique(drawn).size < 2:
        raise FitError(
            f"the resample drew {np.unique(drawn).size} distinct budgets with an accepted "
            "parabola; the power laws need 2",
            reason="too few budgets",
        )
    n_fit = fit_power_law(budgets[drawn], n_opt[drawn])
    check_frontier_exponent(n_fit.exponent, "Approach 2", "the drawn budgets give no frontier")
    d_fit = fit_power_law(budgets[drawn], budgets[drawn] / (6 * n_opt[drawn]))
    n_at = float(n_fit.predict(flops))
    return {
        "a": n_fit.exponent,
        "b": d_fit.exponent,
        "n_opt": n_at,
        "tokens_per_param": flops / (6 * n_at**2),
        "n_budgets_refused": refused,
    }


def bootstrap_approach2_budgets(
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
    """Bootstrap Approach 2 by resampling whole budgets (a cluster bootstrap).

    Parameters
    ----------
    data, budget, n_params, loss, exclude : as for
        :func:`~chinchilla_utils.fitting.approach2.fit_approach2`.
    n_resamples : number of resamples (default 100, the paper's).
    method : ``"subsample"`` (default: ``round(fraction * n_budgets)`` budgets without
        replacement, at least 2) or ``"replacement"`` (as many budgets as there are, with
        replacement).
    fraction : subsample fraction in (0, 1] (default 0.8).
    flops_for_ratio : budget (FLOPs) at which ``n_opt`` and ``tokens_per_param`` are reported;
        default :data:`~chinchilla_utils.constants.CHINCHILLA_FLOPS`.
    rng : a ``numpy.random.Generator``, an integer seed, or None for the fixed default seed.
    progress : tqdm bar on (True) or off (False, default); None shows one when interactive.

    Returns
    -------
    BootstrapResult with ``unit="budgets"`` and the columns of
    :func:`~chinchilla_utils.fitting.approach2.bootstrap_approach2`: ``a``, ``b``, ``n_opt``
    (parameters at ``flops_for_ratio``), ``tokens_per_param`` and ``n_budgets_refused`` (draws
    of budgets whose parabola the point fit refused: they bring no vertex). A resample with
    fewer than 2 distinct accepted budgets (reason ``"too few budgets"``) or without a
    frontier (``"no frontier"``) is a failure, a row of NaN.

    Raises
    ------
    ValueError : bad input, as for ``fit_approach2``, or a bad ``method``, ``fraction``,
        ``n_resamples`` or ``flops_for_ratio``.
    FitError : the point fit itself fails (fewer than 2 accepted budgets).
    """
    flops = as_scalar("flops_for_ratio", flops_for_ratio, positive=True)
    point = fit_approach2(data, budget=budget, n_params=n_params, loss=loss, exclude=exclude)
    table = point.per_budget
    budgets = table["budget"].to_numpy(dtype=float)
    n_opt = table["n_opt"].to_numpy(dtype=float)
    accepted = (table["status"] == "ok").to_numpy()
    indices = resample_indices(len(table), n_resamples, rng, method=method, fraction=fraction)
    rows, reasons = [], []
    for idx in progress_iter(indices, len(indices), "Approach 2 budget bootstrap", progress):
        try:
            rows.append(_resample_fit(budgets, n_opt, accepted, idx, flops))
        except FitError as err:
            rows.append(dict.fromkeys(_COLUMNS, np.nan))
            reasons.append(err.reason)
            continue
        reasons.append(NOT_FAILED)
    samples = pd.DataFrame(rows, columns=_COLUMNS)
    return BootstrapResult.from_samples(
        samples, method, n_resamples, fraction, unit="budgets", failure_reason=reasons
    )


@dataclass(frozen=True)
class VertexScatter:
    """How far the vertices miss the power law, against the noise of their own runs.

    Attributes
    ----------
    table : one row per accepted budget: ``budget`` (FLOPs), ``n_points``, ``n_opt``
        (parameters), ``residual_dex`` (``log10`` of the vertex over the power law's value),
        ``within_sd_dex`` (standard deviation of ``log10 n_opt`` over resamples of that
        budget's runs with replacement), ``n_refused`` (those resamples whose parabola was
        refused, left out of the spread) and ``z`` (residual over spread; NaN where the spread
        is 0 or undefined).
    residual_std_dex : scatter of the vertices about the power law (dex, ``ddof=2``).
    within_rms_dex : root mean square of ``within_sd_dex`` over the budgets (dex).
    excess : ``residual_std_dex / within_rms_dex``; about 1 when run noise explains the
        scatter, well above 1 when the budgets carry errors of their own.
    chi2, dof : ``sum(z**2)`` over the budgets with a finite spread, and their number minus 2
        (the power law's two constants).
    p_value : chance of a chi-square at least this large with ``dof`` degrees of freedom if run
        noise alone moved the vertices.
    n_resamples : resamples of each budget's runs.
    """

    table: pd.DataFrame
    residual_std_dex: float
    within_rms_dex: float
    excess: float
    chi2: float
    dof: int
    p_value: float
    n_resamples: int


def _used_runs(
    data: pd.DataFrame | None, budget: Column, n_params: Column, loss: Column, exclude: Column
) -> pd.DataFrame:
    """The rows ``fit_approach2`` fits: on a budget and not excluded (input already checked)."""
    table = runs_table(
        data, {"budget": budget, "n_params": n_params, "loss": loss, "exclude": exclude}
    )
    budgets = as_numeric_column(source_label("budget", budget), table["budget"], table.index)
    keep = ~np.isnan(budgets)
    if "exclude" in table:
        label = source_label("exclude", exclude)
        keep &= ~as_flag_column(label, table["exclude"], table.index)
    used = table.loc[keep, ["n_params", "loss"]].astype(float)
    return used.assign(budget=budgets[keep])


def _vertex_spread(group: pd.DataFrame, n_resamples: int, rng: np.random.Generator) -> tuple:
    """(sd of log10 n_opt, refused count) over classic resamples of one budget's runs."""
    n_arr, loss_arr = group["n_params"].to_numpy(), group["loss"].to_numpy()
    logs, refused = [], 0
    for idx in rng.integers(0, len(group), size=(n_resamples, len(group))):
        try:
            logs.append(np.log10(fit_isoflop_parabola(n_arr[idx], loss_arr[idx]).n_opt))
        except ParabolaError:
            refused += 1
    sd = float(np.std(logs, ddof=1)) if len(logs) >= 2 else float("nan")
    return sd, refused


def vertex_scatter(
    data: pd.DataFrame | None = None,
    *,
    budget: Column = "budget",
    n_params: Column = "n_params",
    loss: Column = "loss",
    exclude: Column = None,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    rng: np.random.Generator | int | None = None,
) -> VertexScatter:
    """Compare the vertices' scatter about the power law with the noise of their own runs.

    Each accepted budget's runs are resampled with replacement ``n_resamples`` times and its
    parabola refitted; the standard deviation of ``log10 N_opt`` over those refits is the
    spread that run noise alone gives that vertex. The chi-square of the point fit's residuals
    in units of those spreads tests whether run noise explains the scatter: if it does, runs are
    the units to resample (:func:`~chinchilla_utils.fitting.approach2.bootstrap_approach2`);
    if not, budgets are (:func:`bootstrap_approach2_budgets`).

    Parameters
    ----------
    data, budget, n_params, loss, exclude : as for
        :func:`~chinchilla_utils.fitting.approach2.fit_approach2`.
    n_resamples : resamples of each budget's runs (default 100).
    rng : a ``numpy.random.Generator``, an integer seed, or None for the fixed default seed.

    Returns
    -------
    VertexScatter.

    Raises
    ------
    ValueError : bad input, as for ``fit_approach2``, or ``n_resamples`` below 2.
    FitError : the point fit fails, or fewer than 3 budgets have a finite spread (the
        chi-square then has no degree of freedom; reason ``"too few budgets"``).
    """
    n_resamples = check_count("n_resamples", n_resamples, minimum=2)
    generator = as_generator(rng)
    point: Approach2Result = fit_approach2(
        data, budget=budget, n_params=n_params, loss=loss, exclude=exclude
    )
    used = _used_runs(data, budget, n_params, loss, exclude)
    ok = point.per_budget[point.per_budget["status"] == "ok"]
    rows = []
    for row in ok.itertuples(index=False):
        sd, refused = _vertex_spread(used[used["budget"] == row.budget], n_resamples, generator)
        residual = float(np.log10(row.n_opt / point.n_fit.predict(row.budget)))
        z = residual / sd if sd > 0 else float("nan")
        rows.append((row.budget, row.n_points, row.n_opt, residual, sd, refused, z))
    columns = ["budget", "n_points", "n_opt", "residual_dex", "within_sd_dex", "n_refused", "z"]
    table = pd.DataFrame(rows, columns=columns)
    finite = np.isfinite(table["z"].to_numpy())
    dof = int(finite.sum()) - 2
    if dof < 1:
        raise FitError(
            f"{int(finite.sum())} budgets have a finite vertex spread; the chi-square needs 3",
            reason="too few budgets",
        )
    chi2 = float((table["z"][finite] ** 2).sum())
    within_rms = float(np.sqrt(np.mean(table["within_sd_dex"][finite] ** 2)))
    return VertexScatter(
        table=table,
        residual_std_dex=point.n_fit.residual_std,
        within_rms_dex=within_rms,
        excess=point.n_fit.residual_std / within_rms,
        chi2=chi2,
        dof=dof,
        p_value=float(chi2_distribution.sf(chi2, dof)),
        n_resamples=n_resamples,
    )
