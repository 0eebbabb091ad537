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

from chinchilla_utils._validation import as_positive, check_frame
from chinchilla_utils.constants import CHINCHILLA_FLOPS

from .bootstrap import BootstrapResult, progress_iter, resample_indices
from .powerlaw import PowerLawFit, fit_power_law

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

_REQUIRED = ("run_id", "n_params", "n_tokens", "loss")


@dataclass(frozen=True)
class _Curves:
    """Every run interpolated onto one FLOP grid (rows runs, columns grid values)."""

    run_ids: np.ndarray  # (n_runs,) object
    n_params: np.ndarray  # (n_runs,) parameters
    log_grid: np.ndarray  # (n_grid,) log10 FLOPs
    log_loss: np.ndarray  # (n_runs, n_grid) log loss, NaN outside each run's range
    log_tokens: np.ndarray  # (n_runs, n_grid) log tokens, NaN outside each run's range


def _prepare(curves: Any, n_grid: int, smooth: int) -> _Curves:
    """Validate ``curves`` and interpolate every run onto the common grid."""
    # One row per logged point: run_id, n_params, n_tokens, loss, optional flops.
    check_frame("curves", curves, _REQUIRED)
    if int(n_grid) < 2:
        raise ValueError(f"n_grid must be at least 2, got {n_grid!r}")
    if int(smooth) < 1:
        raise ValueError(f"smooth must be a window of at least 1 logged point, got {smooth!r}")
    if curves["run_id"].isna().any():
        raise ValueError("curves has rows with a missing run_id; every logged point needs its run")
    n_params = as_positive("n_params", curves["n_params"].to_numpy())
    n_tokens = as_positive("n_tokens", curves["n_tokens"].to_numpy())
    loss = as_positive("loss", curves["loss"].to_numpy())
    if "flops" in curves.columns:
        flops = as_positive("flops", curves["flops"].to_numpy())
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
    if isinstance(min_competing, bool) or not isinstance(min_competing, (int, np.integer)):
        raise ValueError(f"min_competing must be an integer >= 1, got {min_competing!r}")
    if min_competing < 1:
        raise ValueError(f"min_competing must be at least 1 run, got {min_competing!r}")
    return int(min_competing)


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


def envelope_of_curves(curves: pd.DataFrame, n_grid: int = N_GRID, smooth: int = 1) -> pd.DataFrame:
    """The lowest loss over all runs at each of ``n_grid`` log-spaced FLOP values.

    Parameters
    ----------
    curves : long table, one row per logged point: ``run_id``, ``n_params`` (parameters,
        constant within a run), ``n_tokens`` (tokens seen so far), ``loss`` (nats), and
        optionally ``flops`` (training FLOPs so far; default ``6 * n_params * n_tokens``).
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
    return _envelope_frame(_prepare(curves, n_grid, smooth))


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
    n_runs : runs in ``curves``.
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


def fit_approach1(
    curves: pd.DataFrame,
    n_grid: int = N_GRID,
    flops_min: float | None = None,
    flops_max: float | None = None,
    smooth: int = 1,
    name: str = "Approach 1",
    min_competing: int = MIN_COMPETING,
) -> Approach1Result:
    """Fit Approach 1: envelope of the training curves, then power laws in log-log space.

    Parameters
    ----------
    curves, n_grid, smooth : as for :func:`envelope_of_curves`.
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
    ValueError : malformed ``curves`` (missing columns, non-positive or non-finite values,
        a run with one point, several sizes or repeated FLOP values), an empty or inverted
        FLOP range, fewer than 2 envelope points in it, or a fitted ``a <= 0``.
    """
    min_competing = _check_min_competing(min_competing)
    prepared = _prepare(curves, n_grid, smooth)
    envelope = _envelope_frame(prepared)
    in_range = _fit_range(np.log10(envelope["flops"].to_numpy()), flops_min, flops_max)
    in_range &= envelope["n_runs_competing"].to_numpy() >= min_competing
    envelope["fitted"] = in_range
    fitted = envelope[in_range]
    if len(fitted) < 2:
        raise ValueError(
            f"Approach 1 needs at least 2 envelope points in [{flops_min!r}, {flops_max!r}] FLOPs "
            f"reached by at least {min_competing} runs, got {len(fitted)}; the envelope spans "
            f"{envelope['flops'].min():.3g} to {envelope['flops'].max():.3g} FLOPs"
        )
    n_fit = fit_power_law(fitted["flops"], fitted["n_params"])
    d_fit = fit_power_law(fitted["flops"], fitted["n_tokens"])
    if n_fit.exponent <= 0:
        raise ValueError(
            f"Approach 1 fitted N_opt ∝ C^{n_fit.exponent:.3g}: the envelope's size does not grow "
            "with compute over the fitted range, so there is no frontier; widen the range or add sizes"
        )
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
    curves: pd.DataFrame,
    n_resamples: int,
    rng: np.random.Generator,
    method: str = "replacement",
    fraction: float = 0.8,
    flops_for_ratio: float | None = None,
    n_grid: int = N_GRID,
    flops_min: float | None = None,
    flops_max: float | None = None,
    smooth: int = 1,
    progress: bool | None = None,
    min_competing: int = MIN_COMPETING,
) -> BootstrapResult:
    """Bootstrap Approach 1 by resampling whole runs (training curves).

    Runs, not logged points, are the units: points along one curve are strongly dependent,
    and the envelope is a choice among runs. Every resample uses the full data's FLOP grid
    (restricted automatically to what its runs cover), so resamples differ only in which runs
    compete; duplicated runs (``method="replacement"``) leave the envelope unchanged.

    Parameters
    ----------
    curves, n_grid, flops_min, flops_max, smooth, min_competing : as for :func:`fit_approach1`
        (distinct runs count as competitors: a run drawn twice competes once).
    n_resamples : number of resamples.
    rng : a seeded ``numpy.random.Generator``; the same seed gives identical output.
    method : ``"replacement"`` (default; classic bootstrap over runs) or ``"subsample"``
        (the paper's variant: ``fraction`` of the runs without replacement).
    fraction : subsample fraction in (0, 1].
    flops_for_ratio : budget (FLOPs) at which to report ``n_opt`` (parameters) and
        ``tokens_per_param`` (``C / (6 N_opt^2)``, the frontier's ratio); default
        :data:`~chinchilla_utils.constants.CHINCHILLA_FLOPS` (5.88e23).
    progress : tqdm bar on/off; None shows one only when interactive.

    Returns
    -------
    BootstrapResult with samples columns ``a``, ``b``, ``n_opt``, ``tokens_per_param``; a
    resample leaving fewer than 2 distinct envelope FLOP values in range is a failure (NaN,
    counted in ``summary.n_failed``).
    """
    min_competing = _check_min_competing(min_competing)
    prepared = _prepare(curves, n_grid, smooth)
    flops_ratio = CHINCHILLA_FLOPS if flops_for_ratio is None else flops_for_ratio
    log_ratio = np.log10(float(as_positive("flops_for_ratio", flops_ratio)))
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
    for i, idx in enumerate(progress_iter(indices, len(indices), "Approach 1 bootstrap", progress)):
        winners, _, _ = _envelope_indices(log_loss[idx])
        n_competing = np.isfinite(log_loss[np.unique(idx)]).sum(axis=0)
        cols = np.flatnonzero(n_competing >= min_competing)
        rows = idx[winners[cols]]
        x = log_grid[cols]
        a, intercept = _slope_intercept(x, log_n[rows])
        b, _ = _slope_intercept(x, log_tokens[rows, cols])
        if not np.isfinite(a):
            continue
        log_n_opt = intercept + a * log_ratio
        samples[i] = [
            a,
            b,
            10.0**log_n_opt,
            10.0 ** (log_ratio - np.log10(6.0) - 2 * log_n_opt),
        ]
    frame = pd.DataFrame(samples, columns=columns)
    return BootstrapResult.from_samples(frame, method, n_resamples, fraction, unit="runs")
