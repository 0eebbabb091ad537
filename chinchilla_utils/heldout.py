"""Held-out prediction: fit a law on the smaller runs, predict the larger ones, with intervals.

Introduced in the held-out prediction chapter. A scaling law is used to extrapolate: fit small
runs, then choose (or forecast) a big one. The protocol here tests exactly that, on any table
of runs with ``n_params``, ``n_tokens``, ``flops`` (``6 N D``) and ``loss`` columns:

1. :func:`split_by_scale` keeps the runs up to a size or compute cut for fitting and holds out
   the rest;
2. :func:`bootstrap_law` fits a law on the kept runs (a :class:`Fitter`: Approach 3, Gadre et
   al.'s law, or a fixed law with its offset refitted) and refits it on resamples, either of
   runs or of whole groups of runs (every run of a model size, or of a budget);
3. :func:`heldout_predictions` predicts every held-out run: the full fit's loss and a
   prediction interval that adds the residual scatter of the fit to the spread of the
   resampled laws;
4. :func:`interval_coverage` counts the held-out runs inside their intervals;
   :func:`frontier_predictions` does the same for the compute-optimal size and loss at held-out
   IsoFLOP budgets (Approach 2 and any law's frontier); :func:`huber_delta_sweep` redoes the
   paper's choice of the Huber threshold (Appendix D.2) as held-out error against ``delta``.

Losses are in nats (per token or per byte, whatever the runs give), compute in FLOPs, sizes in
parameters, data in tokens. Residuals and intervals are taken in log loss, where the scatter of
real runs is roughly constant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive, check_frame
from chinchilla_utils.fitting.approach2 import ParabolaError, fit_approach2, fit_isoflop_parabola
from chinchilla_utils.fitting.approach3 import (
    bootstrap_approach3,
    fit_approach3,
    paper_initial_grid,
)
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.fitting.overtraining import fit_overtraining
from chinchilla_utils.fitting.powerlaw import fit_power_law
from chinchilla_utils.laws import ParametricLoss

__all__ = [
    "RUN_COLUMNS",
    "ScaleSplit",
    "Fitter",
    "LawBootstrap",
    "split_by_scale",
    "approach3_fitter",
    "overtraining_fitter",
    "offset_fitter",
    "bootstrap_law",
    "heldout_predictions",
    "interval_coverage",
    "error_table",
    "coverage_table",
    "Comparison",
    "compare_on_splits",
    "frontier_predictions",
    "huber_delta_sweep",
]

#: The columns every table of runs must have (sizes, tokens, ``6 N D`` and the loss).
RUN_COLUMNS = ("n_params", "n_tokens", "flops", "loss")


# ---------------------------------------------------------------------------------------
# the split
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScaleSplit:
    """Runs kept for fitting (``train``) and held out (``heldout``), cut on one column.

    Attributes
    ----------
    train : runs with ``column <= max_train``.
    heldout : the others, the runs to predict.
    column : the column the cut is on (``"n_params"``, ``"flops"``, a budget column ...).
    max_train : the largest value of ``column`` kept for fitting (inclusive).
    """

    train: pd.DataFrame
    heldout: pd.DataFrame
    column: str
    max_train: float

    @property
    def train_max_flops(self) -> float:
        """The largest training compute among the fitted runs (FLOPs)."""
        return float(self.train["flops"].max())

    def compute_factor(self, flops: Any) -> np.ndarray:
        """How far ``flops`` lies beyond the fitted runs: ``flops / train_max_flops``."""
        return as_positive("flops", flops) / self.train_max_flops

    def describe(self) -> dict[str, float]:
        """Runs on each side, the largest sizes (parameters) and the largest compute factor."""
        return {
            "fitted runs": len(self.train),
            "held-out runs": len(self.heldout),
            "largest fitted N": float(self.train["n_params"].max()),
            "largest held-out N": float(self.heldout["n_params"].max()),
            "compute factor, largest": float(self.compute_factor(self.heldout["flops"]).max()),
        }


def split_by_scale(runs: pd.DataFrame, max_train: float, column: str = "n_params") -> ScaleSplit:
    """Keep the runs with ``runs[column] <= max_train`` for fitting; hold out the rest.

    Parameters
    ----------
    runs : one row per training run, with :data:`RUN_COLUMNS` and ``column``.
    max_train : the cut, in the units of ``column`` (parameters for ``"n_params"``, FLOPs for
        ``"flops"`` or a budget column). A relative tolerance of 1e-9 absorbs rounding, so a cut
        at a printed budget keeps that budget's runs.
    column : the numeric column to cut on.

    Returns
    -------
    ScaleSplit (both parts keep every column of ``runs``, rows in their original order).

    Raises
    ------
    ValueError : a missing column, a non-numeric column or cut, or a cut that leaves either
        part empty (the message gives the column's range).
    """
    check_frame("runs", runs, (*RUN_COLUMNS, column))
    values = pd.to_numeric(runs[column], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(f"runs[{column!r}] must be numeric and finite to split on it")
    cut = float(as_positive("max_train", max_train))
    keep = values <= cut * (1 + 1e-9)
    if keep.all() or not keep.any():
        raise ValueError(
            f"max_train={max_train!r} leaves no runs to {'hold out' if keep.all() else 'fit'}: "
            f"{column} runs from {values.min():.4g} to {values.max():.4g}; choose a cut between"
        )
    return ScaleSplit(
        train=runs[keep].copy(), heldout=runs[~keep].copy(), column=column, max_train=cut
    )


# ---------------------------------------------------------------------------------------
# fitters: how to fit one law on runs
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fitter:
    """How to fit one law to runs.

    Attributes
    ----------
    name : the law's label in tables.
    fit : ``fit(n_params, n_tokens, loss, start)`` returns a law with a
        ``loss(n_params, n_tokens)`` method; ``start`` is None for the full fit, or the full
        fit's law, from which a resample's fit may start. Raises :class:`FitError` when a fit
        fails.
    n_constants : how many constants the fit estimates (for the residual correction).
    resample_runs : optional fast path for resampling runs:
        ``resample_runs(n_params, n_tokens, loss, law, n_resamples, rng)`` returns one law (or
        None for a failed resample) per resample.
    """

    name: str
    fit: Callable[..., Any]
    n_constants: int
    resample_runs: Callable[..., list] | None = None


def approach3_fitter(
    delta: float = 1e-3, grid: Any = None, n_jobs: int = 1, name: str = "Approach 3"
) -> Fitter:
    """The paper's parametric loss fitted by the book's Approach 3 recipe (``fit_approach3``).

    The full fit starts from ``grid`` (default the paper's 4,500 starts; pass a subset for
    speed); a resample starts from the full fit's optimum. Resampling runs uses
    ``bootstrap_approach3`` (the ordinary bootstrap, ``method="replacement"``, all resamples
    in one batch). A fit whose optimiser did not report convergence, or whose best point is not
    a valid law (``fit_approach3`` refuses it), is a :class:`FitError`.
    """

    def fit(n_params: Any, n_tokens: Any, loss: Any, start: Any = None) -> ParametricLoss:
        starts = grid if start is None else _start_theta(start)
        polish = 3 if start is None else 1
        # fit_approach3 raises FitError itself when no start ends at a valid law
        result = fit_approach3(
            n_params, n_tokens, loss, delta=delta, grid=starts, n_polish=polish, n_jobs=n_jobs
        )
        if not result.converged:  # as bootstrap_approach3 counts a resample that hit max_iter
            raise FitError(f"{name}: {result.message}", reason="did not converge")
        return result.law

    def resample_runs(n_params, n_tokens, loss, law, n_resamples, rng) -> list:
        anchor = fit_approach3(n_params, n_tokens, loss, delta=delta, grid=_start_theta(law))
        boot = bootstrap_approach3(
            n_params, n_tokens, loss, n_resamples=n_resamples, rng=rng, method="replacement",
            delta=delta, full_fit=anchor, n_grid_starts=0, n_jobs=n_jobs,
        )  # fmt: skip
        laws = []
        for row in boot.samples[["E", "A", "B", "alpha", "beta"]].itertuples(index=False):
            values = np.asarray(row, dtype=float)
            laws.append(ParametricLoss(*values) if np.all(np.isfinite(values)) else None)
        return laws

    return Fitter(name=name, fit=fit, n_constants=5, resample_runs=resample_runs)


def _start_theta(law: ParametricLoss) -> np.ndarray:
    """A law's Approach 3 vector as a one-row grid; an E that underflowed to 0 starts at 1e-10."""
    e = np.log(max(law.E, 1e-10))
    return np.array([[np.log(law.A), np.log(law.B), e, law.alpha, law.beta]])


def overtraining_fitter(
    delta: float | None = 1e-3, space: str = "log", name: str = "Gadre et al. law"
) -> Fitter:
    """Gadre et al. (2024)'s ``L(C, M)`` fitted by ``fit_overtraining`` (Huber on log loss)."""

    def fit(n_params: Any, n_tokens: Any, loss: Any, start: Any = None) -> Any:
        grid = None if start is None else start.theta[None, :] if start.E > 0 else None
        return fit_overtraining(n_params, n_tokens, loss, delta=delta, space=space, grid=grid).law

    return Fitter(name=name, fit=fit, n_constants=4)


def offset_fitter(law: ParametricLoss, name: str = "paper's constants") -> Fitter:
    """A fixed law whose only fitted constant is its offset: ``E`` moved by the median residual.

    For the paper's printed constants on another corpus: the level of a loss depends on the
    corpus and the tokenizer, so only the law's shape (``A``, ``B``, ``alpha``, ``beta``) is
    taken from the paper, and ``E`` becomes ``E + median(L_observed - L_law)`` over the fitted
    runs (nats). Raises :class:`FitError` (``reason="negative E"``) when the shift would make
    ``E`` negative, i.e. when the paper's shape cannot describe the runs at all.
    """
    if not isinstance(law, ParametricLoss):
        raise ValueError(f"law must be a ParametricLoss, got {type(law).__name__}")

    def fit(n_params: Any, n_tokens: Any, loss: Any, start: Any = None) -> ParametricLoss:
        shift = float(np.median(as_positive("loss", loss) - law.loss(n_params, n_tokens)))
        if law.E + shift < 0:
            raise FitError(
                f"{name}: the offset that matches the runs, {shift:+.3g} nats, makes E = "
                f"{law.E + shift:.3g} < 0; the law's shape does not describe these runs",
                reason="negative E",
            )
        return replace(law, E=law.E + shift)

    return Fitter(name=name, fit=fit, n_constants=1)


# ---------------------------------------------------------------------------------------
# the bootstrap
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LawBootstrap:
    """A law fitted on training runs and refitted on resamples of them.

    Attributes
    ----------
    name : the law's label.
    law : the fit to every training run.
    laws : the fits to the resamples that succeeded.
    n_resamples : resamples drawn; n_failed : those whose fit failed (counted, not hidden).
    failures : the :class:`FitError` reason of each failed resample.
    unit : what was resampled: ``"runs"`` or the name of the column whose groups were drawn.
    log_residuals : ``log(predicted) - log(observed)`` of the full fit on each training run.
    n_constants : constants the fit estimates.
    """

    name: str
    law: Any
    laws: tuple[Any, ...]
    n_resamples: int
    n_failed: int
    failures: tuple[str, ...]
    unit: str
    log_residuals: np.ndarray = field(repr=False)
    n_constants: int = 0

    def residual_scale(self) -> float:
        """``sqrt(n / (n - p))``: fitted residuals understate new ones by this factor."""
        n = self.log_residuals.size
        return float(np.sqrt(n / max(n - self.n_constants, 1)))

    def parameter_table(self) -> pd.DataFrame:
        """One row per successful resample, one column per constant (``law.params()``)."""
        return pd.DataFrame([fit.params() for fit in self.laws])

    def parameter_intervals(self, level: float = 0.9) -> pd.DataFrame:
        """Per constant: the full fit's value and the bootstrap percentile interval."""
        tail = _check_level(level)
        table = self.parameter_table()
        return pd.DataFrame(
            {
                "estimate": pd.Series(self.law.params()),
                "lower": table.quantile(tail),
                "upper": table.quantile(1 - tail),
            }
        )


def _check_level(level: Any) -> float:
    value = float(level)
    if not 0 < value < 1:
        raise ValueError(f"level must lie in (0, 1) (e.g. 0.8 for an 80% interval), got {level!r}")
    return (1 - value) / 2


def _arrays(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(runs[c].to_numpy(dtype=float) for c in ("n_params", "n_tokens", "loss"))


def _resample_rows(runs: pd.DataFrame, unit: str, n_resamples: int, rng) -> list[np.ndarray]:
    if unit == "runs":
        return list(rng.integers(0, len(runs), size=(n_resamples, len(runs))))
    codes, _ = pd.factorize(runs[unit])  # NaN -> -1
    # a run with no group value (e.g. between IsoFLOP budgets) is a group of its own
    alone = np.flatnonzero(codes < 0)
    codes[alone] = codes.max() + 1 + np.arange(alone.size)
    groups = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
    if len(groups) < 2:
        raise ValueError(f"unit={unit!r}: the training runs hold a single group; resample 'runs'")
    draws = rng.integers(0, len(groups), size=(n_resamples, len(groups)))
    return [np.concatenate([groups[g] for g in draw]) for draw in draws]


def bootstrap_law(
    train: pd.DataFrame,
    fitter: Fitter,
    n_resamples: int,
    rng: np.random.Generator,
    unit: str = "runs",
    law: Any = None,
) -> LawBootstrap:
    """Fit ``fitter`` to ``train`` and to ``n_resamples`` resamples of it.

    Parameters
    ----------
    train : the runs to fit (:data:`RUN_COLUMNS`).
    fitter : a :class:`Fitter`.
    n_resamples : resamples to draw (>= 1).
    rng : a seeded ``numpy.random.Generator``, the only source of randomness.
    unit : ``"runs"`` (the ordinary bootstrap: as many runs as there are, with replacement) or
        a column of ``train`` whose groups are drawn with replacement, each with all its runs
        (``"n_params"``: model sizes; a budget column: IsoFLOP budgets; a run whose value is
        NaN, such as a run between budgets, is a group of its own). Runs of one size or
        budget share more than chance (one learning-rate schedule, one extraction), so group
        resampling is the honest one when the design has groups.
    law : the full fit of ``fitter`` to ``train``, if already made (to bootstrap it by another
        unit without fitting it again); None fits it here.

    Returns
    -------
    LawBootstrap. Failed resamples are counted in ``n_failed`` with their reasons.

    Raises
    ------
    ValueError : bad arguments. FitError : the full fit failed, or every resample did.
    """
    check_frame("train", train, RUN_COLUMNS if unit == "runs" else (*RUN_COLUMNS, unit))
    if not isinstance(fitter, Fitter):
        raise ValueError(f"fitter must be a Fitter, got {type(fitter).__name__}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n, d, loss = _arrays(train)
    law = fitter.fit(n, d, loss, None) if law is None else law
    residuals = np.log(np.asarray(law.loss(n, d), dtype=float)) - np.log(loss)
    if unit == "runs" and fitter.resample_runs is not None:
        fits = fitter.resample_runs(n, d, loss, law, int(n_resamples), rng)
        failures = ["did not converge"] * sum(f is None for f in fits)
    else:
        fits, failures = [], []
        for rows in _resample_rows(train, unit, int(n_resamples), rng):
            try:
                fits.append(fitter.fit(n[rows], d[rows], loss[rows], law))
            except FitError as exc:
                failures.append(exc.reason)
    laws = tuple(f for f in fits if f is not None)
    if not laws:
        raise FitError(
            f"{fitter.name}: all {n_resamples} resamples of {unit} failed ({sorted(set(failures))})",
            reason="all resamples failed",
        )
    return LawBootstrap(
        name=fitter.name,
        law=law,
        laws=laws,
        n_resamples=int(n_resamples),
        n_failed=len(failures),
        failures=tuple(failures),
        unit=unit,
        log_residuals=residuals,
        n_constants=fitter.n_constants,
    )


# ---------------------------------------------------------------------------------------
# predictions, intervals and their coverage
# ---------------------------------------------------------------------------------------
def _level_suffix(level: float) -> str:
    return f"{100 * level:g}".replace(".", "_")


def heldout_predictions(
    split: ScaleSplit,
    fits: Mapping[str, LawBootstrap] | Sequence[LawBootstrap],
    levels: Sequence[float] = (0.8, 0.95),
    run_column: str = "run_id",
) -> pd.DataFrame:
    """Predict every held-out run with every fitted law, with prediction intervals.

    The interval of a held-out run at level ``q`` is the central ``q`` of the log losses
    ``log L_b(N, D) + s * r_j`` over every resampled law ``b`` and every training residual
    ``r_j`` of the full fit, ``s`` being :meth:`LawBootstrap.residual_scale`: the spread of the
    law (parameter uncertainty) plus the scatter of runs around it.

    Parameters
    ----------
    split : the runs (from :func:`split_by_scale`).
    fits : :func:`bootstrap_law` results, fitted on ``split.train``; a mapping label -> fit or
        a sequence (labelled by each fit's ``name``).
    levels : interval levels in (0, 1).
    run_column : the column that names runs (the row index is used when it is missing).

    Returns
    -------
    A tidy frame, one row per (held-out run, law): ``run``, ``law``, ``n_params``,
    ``n_tokens``, ``flops``, ``compute_factor`` (``flops`` over the largest fitted compute),
    ``observed`` and ``predicted`` (nats), ``rel_error`` (``predicted / observed - 1``) and
    ``lower_<level>``, ``upper_<level>`` per level (``lower_80``, ``upper_95`` ...).
    """
    items = fits.items() if isinstance(fits, Mapping) else [(f.name, f) for f in fits]
    tails = {level: _check_level(level) for level in levels}
    held = split.heldout
    n, d, observed = _arrays(held)
    runs = held[run_column].astype(str).to_numpy() if run_column in held else held.index.astype(str)
    frames = []
    for label, fit in items:
        predicted = np.asarray(fit.law.loss(n, d), dtype=float)
        spread = np.log(np.array([np.asarray(b.loss(n, d), dtype=float) for b in fit.laws]))
        scatter = fit.residual_scale() * fit.log_residuals
        # (resample, residual, run) -> every combination is one draw of a new run's log loss
        draws = (spread[:, None, :] + scatter[None, :, None]).reshape(-1, len(held))
        frame = pd.DataFrame(
            {
                "run": runs,
                "law": label,
                "n_params": n,
                "n_tokens": d,
                "flops": held["flops"].to_numpy(dtype=float),
                "compute_factor": split.compute_factor(held["flops"].to_numpy(dtype=float)),
                "observed": observed,
                "predicted": predicted,
                "rel_error": predicted / observed - 1,
            }
        )
        for level, tail in tails.items():
            lo, hi = np.quantile(draws, [tail, 1 - tail], axis=0)
            frame[f"lower_{_level_suffix(level)}"] = np.exp(lo)
            frame[f"upper_{_level_suffix(level)}"] = np.exp(hi)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def interval_coverage(
    predictions: pd.DataFrame, level: float, by: Sequence[str] = ("law",)
) -> pd.DataFrame:
    """How many held-out runs fall inside their ``level`` prediction interval.

    Parameters
    ----------
    predictions : a frame from :func:`heldout_predictions` (several may be concatenated, with a
        column that tells them apart, e.g. ``data``).
    level : the interval level, one of those the predictions were made with.
    by : columns to group by.

    Returns
    -------
    One row per group: ``n_runs``, ``n_inside``, ``coverage`` (their ratio) and ``level``.
    """
    suffix = _level_suffix(float(level))
    lower, upper = f"lower_{suffix}", f"upper_{suffix}"
    check_frame("predictions", predictions, ("observed", lower, upper, *by))
    inside = (predictions["observed"] >= predictions[lower]) & (
        predictions["observed"] <= predictions[upper]
    )
    table = (
        predictions.assign(inside=inside)
        .groupby(list(by), sort=False)["inside"]
        .agg(n_runs="size", n_inside="sum")
        .reset_index()
    )
    table["coverage"] = table["n_inside"] / table["n_runs"]
    table["level"] = float(level)
    return table


@dataclass(frozen=True)
class Comparison:
    """Several laws on several splits: the predictions, the fits and what failed.

    Attributes
    ----------
    predictions : :func:`heldout_predictions` rows of every (data set, resampling unit, law),
        with columns ``data``, ``unit`` (``"runs"`` or the group column) and ``resampling``
        (``"runs"`` or ``"groups"``) added.
    failures : one row per (data set, unit, law) whose full fit failed: ``data``, ``unit``,
        ``law``, ``reason``, ``message`` (kept, never dropped silently).
    fits : the :class:`LawBootstrap` of each (data set, unit, law) that succeeded.
    """

    predictions: pd.DataFrame
    failures: pd.DataFrame
    fits: dict[tuple[str, str, str], LawBootstrap]


def compare_on_splits(
    splits: Mapping[str, ScaleSplit],
    fitters: Sequence[Fitter],
    n_resamples: int,
    rng: np.random.Generator,
    units: Mapping[str, Sequence[str]] | None = None,
    levels: Sequence[float] = (0.8, 0.95),
) -> Comparison:
    """Run the whole protocol: every fitter on every split, bootstrapped by every unit.

    Parameters
    ----------
    splits : data-set label -> :class:`ScaleSplit`.
    fitters : the laws to compare.
    n_resamples, rng : as for :func:`bootstrap_law` (one generator for everything, so one seed
        fixes every draw).
    units : data-set label -> resampling units (default ``("runs",)`` for each).
    levels : prediction-interval levels.

    Returns
    -------
    Comparison. A law whose fit fails on a split (:class:`FitError`) is listed in
    ``failures`` and has no predictions there.
    """
    units = units or {}
    frames, failures, fits = [], [], {}
    for data, split in splits.items():
        full: dict[str, Any] = {}  # each law is fitted once per split, whatever the units
        for unit in units.get(data, ("runs",)):
            done = []
            for fitter in fitters:
                try:
                    if fitter.name not in full:
                        full[fitter.name] = fitter.fit(*_arrays(split.train), None)
                    fit = bootstrap_law(
                        split.train, fitter, n_resamples, rng, unit=unit, law=full[fitter.name]
                    )
                except FitError as exc:
                    failures.append((data, unit, fitter.name, exc.reason, str(exc)))
                    continue
                fits[(data, unit, fitter.name)] = fit
                done.append(fit)
            if done:
                frame = heldout_predictions(split, done, levels=levels)
                resampling = "runs" if unit == "runs" else "groups"
                frames.append(frame.assign(data=data, unit=unit, resampling=resampling))
    columns = ["data", "unit", "law", "reason", "message"]
    return Comparison(
        predictions=pd.concat(frames, ignore_index=True),
        failures=pd.DataFrame(failures, columns=columns),
        fits=fits,
    )


def error_table(
    predictions: pd.DataFrame,
    stat: str = "median",
    index: str | Sequence[str] = "data",
    columns: str | Sequence[str] = "law",
    signed: bool = False,
) -> pd.DataFrame:
    """Relative errors of :func:`heldout_predictions` rows in percent, summarised in a table.

    ``stat`` (``"median"``, ``"max"``, ``"mean"`` ...) of ``100 * |rel_error|`` (or of the
    signed error when ``signed``: the bias) per ``index`` x ``columns``.
    """
    check_frame("predictions", predictions, ("rel_error",))
    percent = 100 * predictions["rel_error"]
    table = predictions.assign(error_pct=percent if signed else percent.abs())
    return table.pivot_table(values="error_pct", index=index, columns=columns, aggfunc=stat)


def coverage_table(
    predictions: pd.DataFrame,
    levels: Sequence[float] = (0.8, 0.95),
    index: Sequence[str] = ("law",),
    columns: Sequence[str] = ("resampling",),
    values: str = "coverage",
) -> pd.DataFrame:
    """:func:`interval_coverage` at every level in one table: rows ``index``, columns
    ``(level, *columns)``, cells ``values`` (``"coverage"``, ``"n_inside"`` or ``"n_runs"``)."""
    by = (*index, *columns)
    long = pd.concat([interval_coverage(predictions, level, by=by) for level in levels])
    return long.pivot_table(index=list(index), columns=["level", *columns], values=values)


# ---------------------------------------------------------------------------------------
# frontiers at held-out budgets
# ---------------------------------------------------------------------------------------
def frontier_predictions(
    split: ScaleSplit,
    budget_column: str,
    laws: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Compute-optimal size and loss at each held-out IsoFLOP budget, predicted and observed.

    Observed: the vertex of the held-out budget's own parabola (``fit_isoflop_parabola``; a
    refused parabola leaves NaN and its reason in ``status``). Predicted by Approach 2 fitted on
    the training budgets: its frontier ``N_opt = k C^a`` and a power law of the vertex losses,
    ``L_opt = k' C^-g`` (no irreducible term, the simplest frontier of losses); and by each of
    ``laws`` (objects with ``n_opt(flops)`` and ``loss_opt(flops)``, e.g. a fitted
    ``ParametricLoss``).

    Returns
    -------
    One row per (held-out budget, predictor): ``budget`` (FLOPs), ``law``, ``compute_factor``,
    ``observed_n_opt``, ``predicted_n_opt`` (parameters), ``observed_loss_opt``,
    ``predicted_loss_opt`` (nats), ``n_opt_ratio`` (predicted / observed), ``loss_rel_error``
    and ``status``.
    """
    check_frame("split.train", split.train, (budget_column, "n_params", "loss"))
    approach2 = fit_approach2(split.train, budget=budget_column, n_params="n_params", loss="loss")
    ok = approach2.per_budget[approach2.per_budget["status"] == "ok"]
    loss_law = fit_power_law(ok["budget"], ok["loss_opt"])
    predictors: dict[str, tuple[Callable, Callable]] = {
        "Approach 2": (approach2.frontier.n_opt, loss_law.predict)
    }
    for label, law in (laws or {}).items():
        predictors[label] = (law.n_opt, law.loss_opt)
    rows = []
    held = split.heldout.dropna(subset=[budget_column])
    for budget, group in held.groupby(budget_column, sort=True):
        observed = {"n_opt": np.nan, "loss_opt": np.nan, "status": "ok"}
        try:
            parabola = fit_isoflop_parabola(group["n_params"], group["loss"], budget=float(budget))
            observed.update(n_opt=parabola.n_opt, loss_opt=parabola.loss_opt)
        except ParabolaError as err:
            observed["status"] = err.reason
        for label, (n_opt, loss_opt) in predictors.items():
            predicted_n, predicted_loss = float(n_opt(budget)), float(loss_opt(budget))
            rows.append(
                {
                    "budget": float(budget),
                    "law": label,
                    "compute_factor": float(budget) / float(ok["budget"].max()),
                    "observed_n_opt": observed["n_opt"],
                    "predicted_n_opt": predicted_n,
                    "observed_loss_opt": observed["loss_opt"],
                    "predicted_loss_opt": predicted_loss,
                    "n_opt_ratio": predicted_n / observed["n_opt"],
                    "loss_rel_error": predicted_loss / observed["loss_opt"] - 1,
                    "status": observed["status"],
                }
            )
    if not rows:
        raise ValueError(f"split.heldout has no runs with a {budget_column!r} value to predict")
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# the paper's Huber threshold, tested
# ---------------------------------------------------------------------------------------
def huber_delta_sweep(
    split: ScaleSplit,
    deltas: Sequence[float | None] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, None),
    grid: Any = None,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Held-out error of the Approach 3 fit as a function of the Huber threshold ``delta``.

    The paper chose ``delta = 1e-3`` because it predicted held-out larger runs well (Appendix
    D.2); here the fit on ``split.train`` is repeated for each ``delta`` (``None``: squared
    error, i.e. a threshold larger than any residual, 1e3) and scored on ``split.heldout``.
    The fits run from the largest threshold to the smallest, each starting from ``grid``
    (default the paper's 4,500 starts) plus the previous optimum: a small ``delta`` makes the
    objective nearly a sum of absolute values, flat and kinked, and the previous optimum is
    the start that reliably leads into its minimum.

    Returns
    -------
    One row per ``delta``, in the order given: ``delta`` (NaN for squared error),
    ``objective`` (``"huber"`` or ``"squared error"``), the fitted ``E``, ``alpha``, ``beta``,
    ``a``, and the held-out ``median_abs_rel_error``, ``max_abs_rel_error`` and
    ``mean_rel_error`` (signed: the bias).
    """
    n, d, loss = _arrays(split.train)
    hn, hd, observed = _arrays(split.heldout)
    thresholds = [1e3 if delta is None else float(as_positive("delta", delta)) for delta in deltas]
    base = paper_initial_grid() if grid is None else np.atleast_2d(np.asarray(grid, dtype=float))
    rows: dict[int, dict] = {}
    previous = None
    for i in sorted(range(len(thresholds)), key=lambda k: -thresholds[k]):
        starts = base if previous is None else np.vstack([base, _start_theta(previous)])
        law = approach3_fitter(delta=thresholds[i], grid=starts, n_jobs=n_jobs).fit(n, d, loss)
        previous = law
        error = np.asarray(law.loss(hn, hd), dtype=float) / observed - 1
        rows[i] = {
            "delta": np.nan if deltas[i] is None else thresholds[i],
            "objective": "squared error" if deltas[i] is None else "huber",
            "E": law.E,
            "alpha": law.alpha,
            "beta": law.beta,
            "a": law.a,
            "median_abs_rel_error": float(np.median(np.abs(error))),
            "max_abs_rel_error": float(np.max(np.abs(error))),
            "mean_rel_error": float(np.mean(error)),
        }
    return pd.DataFrame([rows[i] for i in range(len(thresholds))])
