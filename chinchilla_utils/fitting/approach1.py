"""Approach 1: the envelope of training curves (paper Section 3.1, Figure 2). Introduced in Chapter 2.

Each run of a fixed size ``N`` logs its loss as training proceeds; at ``D`` tokens it has
spent ``C = 6 N D`` FLOPs. Putting every run on one FLOP axis and taking, at each FLOP value,
the lowest loss over all runs gives the *envelope*: the best loss reachable with that compute
among the sizes tried, and which size (and how many tokens) reached it. Power laws fitted to
the envelope's sizes and token counts give ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``.

Interpolation choice: every run's curve is interpolated **linearly in log loss against log
FLOPs** onto one log-spaced grid of 1,500 FLOP values (as the paper), only inside that run's
own logged FLOP range (never extrapolated). Loss curves are close to power laws in compute
over a run, so they are nearly straight on log-log axes and piecewise-linear interpolation
there is accurate between logged points; the log-spaced grid then weighs every decade of
compute equally in the fit. (Interpolating loss against log FLOPs instead changes the
interpolated loss only at second order in the spacing of logged points.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive, as_scalar, check_count
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
    "Approach1Result",
    "bootstrap_approach1",
    "envelope_of_curves",
    "fit_approach1",
]

#: The paper's grid size (Section 3.1: "1500 logarithmically spaced FLOP values").
N_GRID = 1500


@dataclass(frozen=True)
class _Curves:
    """Every run interpolated onto one FLOP grid (rows runs, columns grid values)."""

    run_ids: np.ndarray  # (n_runs,) object
    n_params: np.ndarray  # (n_runs,) parameters
    log_grid: np.ndarray  # (n_grid,) log10 FLOPs
    log_loss: np.ndarray  # (n_runs, n_grid) log loss, NaN outside each run's range
    log_tokens: np.ndarray  # (n_runs, n_grid) log tokens, NaN outside each run's range


def _column_specs(
    data: Any, run_id: Column, n_params: Column, n_tokens: Column, loss: Column, flops: Column
) -> dict[str, Column]:
    """Where each quantity comes from; ``flops=None`` takes ``data``'s ``flops`` if it has one."""
    if flops is None and isinstance(data, pd.DataFrame) and "flops" in data.columns:
        flops = "flops"
    return {
        "run_id": run_id,
        "n_params": n_params,
        "n_tokens": n_tokens,
        "loss": loss,
        "flops": flops,
    }


def _prepare(data: Any, specs: dict[str, Column], n_grid: int, smooth: int) -> _Curves:
    """Validate the curves and interpolate every run onto the common grid."""
    # One row per logged point: run_id, n_params, n_tokens, loss, optional flops.
    curves = runs_table(data, specs, name="data")
    n_grid = check_count("n_grid", n_grid, minimum=2)
    smooth = check_count("smooth", smooth, minimum=1)
    label = {q: source_label(q, spec) for q, spec in specs.items()}
    if curves["run_id"].isna().any():
        row = curves.index[np.flatnonzero(curves["run_id"].isna().to_numpy())[0]]
        raise ValueError(
            f"{label['run_id']} is missing in row {row}: every logged point needs its run"
        )
    n_params = as_positive(label["n_params"], curves["n_params"].to_numpy())
    n_tokens = as_positive(label["n_tokens"], curves["n_tokens"].to_numpy())
    loss = as_positive(label["loss"], curves["loss"].to_numpy())
    if "flops" in curves.columns:
        flops = as_positive(label["flops"], curves["flops"].to_numpy())
    else:
        flops = 6.0 * n_params * n_tokens
    table = pd.DataFrame(
        {
            "run_id": curves["run_id"].to_numpy(),
            "n_params": n_params,
            "log_flops": np.log10(flops),
            "log_tokens": np.log10(n_tokens),
            "log_loss": np.log(loss),
        }
    )
    log_grid = np.linspace(table["log_flops"].min(), table["log_flops"].max(), int(n_grid))
    run_ids, sizes, loss_rows, token_rows = [], [], [], []
    for run_id, run in table.groupby("run_id", sort=True):
        if run["n_params"].nunique() != 1:
            raise ValueError(
                f"run {run_id!r} has several n_params values {sorted(run['n_params'].unique())}; "
                "a run trains one model size"
            )
        run = run.sort_values("log_flops")
        x = run["log_flops"].to_numpy()
        if x.size < 2:
            raise ValueError(
                f"run {run_id!r} has {x.size} logged point; Approach 1 needs curves "
                "(at least 2 points per run)"
            )
        if np.any(np.diff(x) <= 0):
            raise ValueError(
                f"run {run_id!r} logs the same FLOP value twice; give each point its own "
                "token count (or aggregate repeated evaluations first)"
            )
        y = run["log_loss"].to_numpy()
        if smooth > 1:
            # Noise makes the envelope pick lucky dips; a centred moving average removes most.
            y = pd.Series(y).rolling(int(smooth), center=True, min_periods=1).mean().to_numpy()
        run_ids.append(run_id)
        sizes.append(float(run["n_params"].iloc[0]))
        # np.interp with NaN outside the run's own range: no extrapolation.
        loss_rows.append(np.interp(log_grid, x, y, left=np.nan, right=np.nan))
        token_rows.append(
            np.interp(log_grid, x, run["log_tokens"].to_numpy(), left=np.nan, right=np.nan)
        )
    return _Curves(
        run_ids=np.array(run_ids, dtype=object),
        n_params=np.array(sizes),
        log_grid=log_grid,
        log_loss=np.vstack(loss_rows),
        log_tokens=np.vstack(token_rows),
    )


#: Fit only grid values that at least this many runs reach (see :func:`fit_approach1`).
MIN_COMPETING = 2


def _envelope_indices(log_loss: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Winning row per grid column, which columns any run covers, and how many runs each."""
    finite = np.isfinite(log_loss)
    n_competing = finite.sum(axis=0)
    winners = np.argmin(np.where(finite, log_loss, np.inf), axis=0)
    return winners, n_competing > 0, n_competing


def _check_min_competing(min_competing: int) -> int:
    return check_count("min_competing", min_competing, minimum=1)


def _envelope_frame(prepared: _Curves) -> pd.DataFrame:
    winners, covered, n_competing = _envelope_indices(prepared.log_loss)
    cols = np.flatnonzero(covered)
    rows = winners[cols]
    return pd.DataFrame(
        {
            "flops": 10.0 ** prepared.log_grid[cols],
            "loss": np.exp(prepared.log_loss[rows, cols]),
            "run_id": prepared.run_ids[rows],
            "n_params": prepared.n_params[rows],
            "n_tokens": 10.0 ** prepared.log_tokens[rows, cols],
            "n_runs_competing": n_competing[cols],
        }
    )


def envelope_of_curves(
    data: pd.DataFrame | None = None,
    *,
    run_id: Column = "run_id",
    n_params: Column = "n_params",
    n_tokens: Column = "n_tokens",
    loss: Column = "loss",
    flops: Column = None,
    n_grid: int = N_GRID,
    smooth: int = 1,
) -> pd.DataFrame:
    """The lowest loss over all runs at each of ``n_grid`` log-spaced FLOP values.

    Parameters
    ----------
    data : long table, one row per logged point (see :mod:`chinchilla_utils.fitting.inputs`),
        or None when the quantities below are given as arrays.
    run_id : which run each point belongs to (a column name, default ``"run_id"``, or an
        array).
    n_params : the run's size (parameters, constant within a run).
    n_tokens : tokens seen so far at the point.
    loss : loss at the point (nats).
    flops : training FLOPs so far at the point; None (default) takes ``data``'s ``flops``
        column when it has one, else ``6 * n_params * n_tokens``.
    n_grid : number of log-spaced FLOP values spanning the data (the paper: 1,500).
    smooth : centred moving-average window (in logged points) applied to each run's log loss
        before interpolating; 1 (default) leaves curves as given. Noisy curves bias the
        envelope low, since the minimum picks favourable noise.

    Returns
    -------
    Envelope DataFrame with one row per grid value covered by at least one run: ``flops``
    (FLOPs), ``loss`` (nats), the winning ``run_id``, its ``n_params`` (parameters) and
    ``n_tokens`` (tokens it had seen at that compute), and ``n_runs_competing`` (how many runs
    reach that FLOP value). Grid values that fall in a gap between runs' ranges are left out.
    """
    specs = _column_specs(data, run_id, n_params, n_tokens, loss, flops)
    return _envelope_frame(_prepare(data, specs, n_grid, smooth))


@dataclass(frozen=True)
class Approach1Result:
    """Approach 1 fitted on a set of training curves.

    Attributes
    ----------
    a, b : exponents of ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``, fitted separately by least
        squares in log-log space over the envelope points in the fitted FLOP range (so
        ``a + b`` need not be exactly 1; the paper reports 0.50 and 0.50).
    n_fit, d_fit : the two :class:`PowerLawFit` objects (``n_params`` and ``n_tokens`` of the
        envelope against ``flops``).
    frontier : ``n_fit`` as a :class:`~chinchilla_utils.laws.PowerLawFrontier`
        (``D_opt = C / (6 N_opt)`` there).
    envelope : the full envelope (every covered grid value), see :func:`envelope_of_curves`,
        with a boolean column ``fitted`` marking the points that enter the fits (inside the
        fitted range and reached by at least ``min_competing`` runs).
    n_runs : runs in the data.
    runs_on_envelope : run ids that win at least one fitted envelope point, smallest first.
    flops_min, flops_max : the FLOP range actually fitted (FLOPs).
    n_envelope_points : envelope points entering the fits.
    smallest_run_on_envelope, largest_run_on_envelope : whether the smallest or largest size
        wins any fitted point. If so, at those budgets the true optimum may lie beyond the
        sizes trained and the envelope is pinned to the edge size: narrow the FLOP range.
    """

    a: float
    b: float
    n_fit: PowerLawFit
    d_fit: PowerLawFit
    frontier: PowerLawFrontier
    envelope: pd.DataFrame
    n_runs: int
    runs_on_envelope: tuple[Any, ...]
    flops_min: float
    flops_max: float
    n_envelope_points: int
    smallest_run_on_envelope: bool
    largest_run_on_envelope: bool


def _fit_range(
    log_grid: np.ndarray, flops_min: float | None, flops_max: float | None
) -> np.ndarray:
    """Boolean mask of grid values inside ``[flops_min, flops_max]`` (FLOPs)."""
    lo = -np.inf if flops_min is None else np.log10(float(as_positive("flops_min", flops_min)))
    hi = np.inf if flops_max is None else np.log10(float(as_positive("flops_max", flops_max)))
    if lo >= hi:
        raise ValueError(f"flops_min must be below flops_max, got {flops_min!r} and {flops_max!r}")
    # A hair of slack so a bound equal to a grid value keeps that value despite rounding.
    return (log_grid >= lo - 1e-12) & (log_grid <= hi + 1e-12)


_NO_FRONTIER_HINT = "widen the fitted FLOP range or add sizes"


def _check_enough_points(
    n_points: int,
    flops_min: float | None,
    flops_max: float | None,
    min_competing: int,
    flops: Any,
) -> None:
    """FitError ``"too few envelope points"`` unless at least 2 envelope points are fitted."""
    if n_points >= 2:
        return
    span = (
        f"the envelope spans {np.min(flops):.3g} to {np.max(flops):.3g} FLOPs"
        if np.size(flops)
        else "the envelope is empty"
    )
    raise FitError(
        f"Approach 1 needs at least 2 envelope points in [{flops_min!r}, {flops_max!r}] FLOPs "
        f"reached by at least {min_competing} runs, got {n_points}; {span}",
        reason="too few envelope points",
    )


def fit_approach1(
    data: pd.DataFrame | None = None,
    *,
    run_id: Column = "run_id",
    n_params: Column = "n_params",
    n_tokens: Column = "n_tokens",
    loss: Column = "loss",
    flops: Column = None,
    n_grid: int = N_GRID,
    flops_min: float | None = None,
    flops_max: float | None = None,
    smooth: int = 1,
    min_competing: int = MIN_COMPETING,
    name: str = "Approach 1",
) -> Approach1Result:
    """Fit Approach 1: envelope of the training curves, then power laws in log-log space.

    Parameters
    ----------
    data, run_id, n_params, n_tokens, loss, flops, n_grid, smooth : as for
        :func:`envelope_of_curves`.
    flops_min, flops_max : fit only envelope points within this range (FLOPs); None uses the
        whole envelope. At the ends of the data the envelope is held by the smallest or
        largest size trained whatever the true optimum; the result's
        ``smallest_run_on_envelope`` / ``largest_run_on_envelope`` flags say when that happens.
    name : label for the returned frontier.
    min_competing : fit only grid values that at least this many runs reach (default 2). A
        value that a single run reaches is won by default, whatever its loss: typically just
        past the end of every other run, where rounding to whole optimizer steps lets one run
        of the largest budget overshoot the others by a hair. Such points stay in ``envelope``
        with ``fitted`` False.

    Returns
    -------
    Approach1Result.

    Raises
    ------
    ValueError : malformed curves (missing columns, non-positive or non-finite values,
        a run with one point, several sizes or repeated FLOP values), an empty or inverted
        FLOP range.
    FitError : fewer than 2 envelope points in the range (reason
        ``"too few envelope points"``), or a fitted ``a`` outside (0, 1) (reason
        ``"no frontier"``).
    """
    min_competing = _check_min_competing(min_competing)
    specs = _column_specs(data, run_id, n_params, n_tokens, loss, flops)
    prepared = _prepare(data, specs, n_grid, smooth)
    envelope = _envelope_frame(prepared)
    in_range = _fit_range(np.log10(envelope["flops"].to_numpy()), flops_min, flops_max)
    in_range &= envelope["n_runs_competing"].to_numpy() >= min_competing
    envelope["fitted"] = in_range
    fitted = envelope[in_range]
    _check_enough_points(len(fitted), flops_min, flops_max, min_competing, envelope["flops"])
    n_fit = fit_power_law(fitted["flops"], fitted["n_params"])
    d_fit = fit_power_law(fitted["flops"], fitted["n_tokens"])
    check_frontier_exponent(n_fit.exponent, "Approach 1", _NO_FRONTIER_HINT)
    winners = fitted.drop_duplicates("run_id").sort_values("n_params")
    return Approach1Result(
        a=n_fit.exponent,
        b=d_fit.exponent,
        n_fit=n_fit,
        d_fit=d_fit,
        frontier=n_fit.to_frontier(name=name),
        envelope=envelope,
        n_runs=int(prepared.run_ids.size),
        runs_on_envelope=tuple(winners["run_id"]),
        flops_min=float(fitted["flops"].min()),
        flops_max=float(fitted["flops"].max()),
        n_envelope_points=int(len(fitted)),
        smallest_run_on_envelope=bool(
            np.isclose(winners["n_params"].min(), prepared.n_params.min())
        ),
        largest_run_on_envelope=bool(
            np.isclose(winners["n_params"].max(), prepared.n_params.max())
        ),
    )


def _slope_intercept(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line through (x, y); NaN slope when x has no spread."""
    if x.size < 2:
        return float("nan"), float("nan")
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0:
        return float("nan"), float("nan")
    slope = float(dx @ (y - y.mean())) / sxx
    return slope, float(y.mean() - slope * x.mean())


def bootstrap_approach1(
    data: pd.DataFrame | None = None,
    *,
    run_id: Column = "run_id",
    n_params: Column = "n_params",
    n_tokens: Column = "n_tokens",
    loss: Column = "loss",
    flops: Column = None,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    method: str = DEFAULT_METHOD,
    fraction: float = DEFAULT_FRACTION,
    flops_for_ratio: float = CHINCHILLA_FLOPS,
    rng: np.random.Generator | int | None = None,
    progress: bool | None = False,
    n_grid: int = N_GRID,
    flops_min: float | None = None,
    flops_max: float | None = None,
    smooth: int = 1,
    min_competing: int = MIN_COMPETING,
) -> BootstrapResult:
    """Bootstrap Approach 1 by resampling whole runs (training curves).

    Runs, not logged points, are the units: points along one curve are strongly dependent,
    and the envelope is a choice among runs. Every resample uses the full data's FLOP grid
    (restricted automatically to what its runs cover), so resamples differ only in which runs
    compete; duplicated runs (``method="replacement"``) leave the envelope unchanged.

    Parameters
    ----------
    data, run_id, n_params, n_tokens, loss, flops, n_grid, flops_min, flops_max, smooth,
    min_competing : as for :func:`fit_approach1` (distinct runs count as competitors: a run
        drawn twice competes once).
    n_resamples : number of resamples (default 100, the paper's).
    method : ``"subsample"`` (default; the paper's variant: ``fraction`` of the runs without
        replacement) or ``"replacement"`` (classic bootstrap over runs).
    fraction : subsample fraction in (0, 1] (default 0.8, the paper's).
    flops_for_ratio : budget (FLOPs) at which to report ``n_opt`` (parameters) and
        ``tokens_per_param`` (``C / (6 N_opt^2)``, the frontier's ratio); default
        :data:`~chinchilla_utils.constants.CHINCHILLA_FLOPS` (5.88e23).
    rng : a ``numpy.random.Generator``, an integer seed, or None for the fixed default seed
        (:data:`~chinchilla_utils.fitting.bootstrap.DEFAULT_SEED`); the same seed gives
        identical output.
    progress : tqdm bar on (True) or off (False, default); None shows one when interactive.

    Returns
    -------
    BootstrapResult with samples columns ``a``, ``b``, ``n_opt``, ``tokens_per_param``. A
    resample that :func:`fit_approach1` would refuse (fewer than 2 envelope points in range,
    or ``a`` outside (0, 1)) is a failure: a row of NaN, counted in ``summary.n_failed``, its
    reason in ``failure_reason``.
    """
    min_competing = _check_min_competing(min_competing)
    specs = _column_specs(data, run_id, n_params, n_tokens, loss, flops)
    prepared = _prepare(data, specs, n_grid, smooth)
    log_ratio = np.log10(as_scalar("flops_for_ratio", flops_for_ratio, positive=True))
    in_range = _fit_range(prepared.log_grid, flops_min, flops_max)
    log_grid = prepared.log_grid[in_range]
    log_loss = prepared.log_loss[:, in_range]
    log_tokens = prepared.log_tokens[:, in_range]
    log_n = np.log10(prepared.n_params)
    indices = resample_indices(
        prepared.run_ids.size, n_resamples, rng, method=method, fraction=fraction
    )
    columns = ["a", "b", "n_opt", "tokens_per_param"]
    samples = np.full((len(indices), len(columns)), np.nan)
    reasons = [NOT_FAILED] * len(indices)
    for i, idx in enumerate(progress_iter(indices, len(indices), "Approach 1 bootstrap", progress)):
        winners, _, _ = _envelope_indices(log_loss[idx])
        n_competing = np.isfinite(log_loss[np.unique(idx)]).sum(axis=0)
        cols = np.flatnonzero(n_competing >= min_competing)
        rows = idx[winners[cols]]
        x = log_grid[cols]
        # The same refusals as fit_approach1, so a resample fails exactly when its fit would.
        try:
            _check_enough_points(cols.size, flops_min, flops_max, min_competing, 10.0**x)
            a, intercept = _slope_intercept(x, log_n[rows])
            check_frontier_exponent(a, "Approach 1", _NO_FRONTIER_HINT)
        except FitError as err:
            reasons[i] = err.reason
            continue
        b, _ = _slope_intercept(x, log_tokens[rows, cols])
        log_n_opt = intercept + a * log_ratio
        samples[i] = [
            a,
            b,
            10.0**log_n_opt,
            10.0 ** (log_ratio - np.log10(6.0) - 2 * log_n_opt),
        ]
    frame = pd.DataFrame(samples, columns=columns)
    return BootstrapResult.from_samples(
        frame, method, n_resamples, fraction, unit="runs", failure_reason=reasons
    )
