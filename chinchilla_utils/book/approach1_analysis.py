"""Approach 1 on the laptop sweep and against the paper: the Approach 1 chapter's analyses.

Page-specific helpers for the Approach 1 chapter (``notebooks/02_approach1_training_curves``);
the method itself is :mod:`chinchilla_utils.fitting.approach1`, the sweep's curves as its input
:mod:`chinchilla_utils.book.training_curves`. Each function returns a frozen result object or
a tidy frame, so that the chapter's cells only call, show and glue:

* :func:`paper_approach1`: the paper's Approach 1 design (Section 3.1) and its Table 2 row;
* :func:`sweep_design`: what the laptop sweep is, stated with the numbers that qualify it (the
  design centre that already scales as ``C^0.5``, the Appendix F FLOPs against ``6N``, the
  spacing of the budgets that caps how much of the envelope can lie near the ends of runs);
* :func:`seed_spread`, :func:`horizon_summary`, :func:`curve_noise`: run-to-run noise, the
  schedule effect, and the noise between neighbouring logged points;
* :func:`final_part_share_by_design`: the share of the envelope that budgets a factor ``r``
  apart allow in the final part of runs, whatever the curves;
* :func:`approach1_variants`: one table of Approach 1 refits under the choices that move it
  (smoothing, which loss, which FLOP count, what N counts, which part of the envelope);
* :func:`bootstrap_readings`: the two readings of the paper's "80% of the dataset is sampled
  100 times" (a subsample without replacement, or the classic bootstrap) and a third unit,
  the envelope's points, with the width each gives;
* :func:`table3_check`, :func:`section34_check`, :func:`anchor_scan`: Table 3 regenerated from
  the paper's Approach 1 frontier, the Section 3.4 text against it, and other anchors.

Units: parameters, tokens (bytes in the sweep), FLOPs, losses in nats (per byte in the sweep);
``*_pct`` fields are percentages, ``*_b`` billions and ``*_t`` trillions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_finite, as_positive, check_count, check_frame
from chinchilla_utils.book.projections import projection_table, section34_comparison
from chinchilla_utils.book.training_curves import approach1_curves, horizon_pairs, smooth_curves
from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets.paper import (
    experiment_value,
    kaplan_constant,
    load_table,
    table2_exponents,
    table3_approach1,
)
from chinchilla_utils.fitting.approach1 import N_GRID, bootstrap_approach1, fit_approach1
from chinchilla_utils.fitting.bootstrap import BootstrapResult, check_fraction, resample_indices
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.laws import PowerLawFrontier

__all__ = [
    "FAR",
    "READING_COLUMNS",
    "VARIANT_COLUMNS",
    "BootstrapReadings",
    "PaperApproach1",
    "SeedSpread",
    "SweepDesign",
    "HorizonSummary",
    "Section34Check",
    "Table3Check",
    "anchor_scan",
    "approach1_variants",
    "bootstrap_readings",
    "curve_noise",
    "envelope_point_bootstrap",
    "final_part_share_by_design",
    "horizon_summary",
    "leave_one_run_out",
    "n_single_run_points",
    "paper_approach1",
    "section34_check",
    "seed_spread",
    "sweep_design",
    "table3_check",
]

#: Columns of :func:`approach1_variants`.
VARIANT_COLUMNS = ("key", "variant", "a", "b", "n_runs_on_envelope", "flops_min", "failure")
#: Distance in ``a`` beyond which a resample counts as far from the estimate.
FAR = 0.1
#: Columns of :attr:`BootstrapReadings.table`.
READING_COLUMNS = ("reading", "unit", "draws", "a_p10", "a_p90", "width", "n_failed")


# -- the paper ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PaperApproach1:
    """The paper's Approach 1: its design (Section 3.1, Appendix D.1) and its Table 2 row.

    Attributes
    ----------
    n_horizons : training horizons (cosine cycle lengths) per model size.
    horizon_factor : the horizons of one size span this factor in tokens.
    lr_decay : the cosine schedule's decay of the learning rate over a run.
    n_grid : log-spaced FLOP values of the envelope.
    final_fraction : every selected envelope point lies in this final fraction of its run
        (footnote 4).
    smoothing_steps : window of the Gaussian smoothing of the training curves, in steps.
    bootstrap_fraction, n_bootstrap : "80% of the dataset is sampled 100 times" (Table 2).
    a, a_p10, a_p90, b, b_p10, b_p90 : Table 2's exponents and 10th/90th percentiles.
    params_min, params_max : the smallest and largest Approach 1 models (parameters).
    tokens_min : the fewest training tokens of the study (tokens).
    kaplan_a : Kaplan et al. (2020)'s exponent of ``N_opt ∝ C^a``, for comparison.
    """

    n_horizons: int
    horizon_factor: int
    lr_decay: int
    n_grid: int
    final_fraction: float
    smoothing_steps: int
    bootstrap_fraction: float
    n_bootstrap: int
    a: float
    a_p10: float
    a_p90: float
    b: float
    b_p10: float
    b_p90: float
    params_min: float
    params_max: float
    tokens_min: float
    kaplan_a: float

    @property
    def final_fraction_pct(self) -> float:
        return 100.0 * self.final_fraction

    @property
    def bootstrap_fraction_pct(self) -> float:
        return 100.0 * self.bootstrap_fraction

    @property
    def a_width(self) -> float:
        """Width of Table 2's 10-90% interval of ``a``."""
        return self.a_p90 - self.a_p10

    @property
    def params_min_m(self) -> float:
        return self.params_min / 1e6

    @property
    def params_max_b(self) -> float:
        return self.params_max / 1e9

    @property
    def tokens_min_b(self) -> float:
        return self.tokens_min / 1e9

    @property
    def flops_floor(self) -> float:
        """A lower bound on the compute of the paper's largest Approach 1 run: ``6 N D`` of
        the largest size on the study's fewest tokens (FLOPs)."""
        return 6.0 * self.params_max * self.tokens_min


def paper_approach1() -> PaperApproach1:
    """The paper's Approach 1 design and Table 2 row, from the shipped tables."""
    row = table2_exponents().set_index("approach").loc["approach_1"]
    return PaperApproach1(
        n_horizons=int(experiment_value("approach1_n_horizons_per_size")),
        horizon_factor=int(experiment_value("approach1_horizon_range_factor")),
        lr_decay=int(experiment_value("lr_decay_factor")),
        n_grid=int(experiment_value("approach1_n_flop_grid_points")),
        final_fraction=float(experiment_value("approach1_selected_points_final_fraction")),
        smoothing_steps=int(experiment_value("loss_smoothing_window_steps")),
        bootstrap_fraction=float(experiment_value("bootstrap_data_fraction")),
        n_bootstrap=int(experiment_value("bootstrap_n_resamples")),
        **{name: float(row[name]) for name in ("a", "a_p10", "a_p90", "b", "b_p10", "b_p90")},
        params_min=float(experiment_value("approach1_params_min")),
        params_max=float(experiment_value("approach1_params_max")),
        tokens_min=float(experiment_value("tokens_min")),
        kaplan_a=float(kaplan_constant("p_n")),
    )


# -- the laptop sweep ---------------------------------------------------------------------
@dataclass(frozen=True)
class SweepDesign:
    """The laptop sweep as Approach 1 sees it.

    Attributes
    ----------
    n_runs, n_sizes, n_budgets : runs, distinct sizes and budgets.
    n_params_min, n_params_max : smallest and largest size (parameters, all counted).
    budget_min, budget_max : smallest and largest budget (FLOPs, 6ND).
    points_per_run : median number of logged training losses a run.
    val_points_per_run : median number of validation evaluations a run.
    batch_bytes, seq_len : bytes in one optimizer step's batch, and the context (bytes).
    centre_exponent : slope of log(geometric-mean size at a budget) against log(budget): the
        sizes were placed around ``N = sqrt(C / 660)``, so by design it is close to 0.5.
    centre_tokens_per_param : the ``D / N`` that design centre targets (``660 / 6``).
    appendix_f_ratio_min, appendix_f_ratio_max : Appendix F FLOPs per token over ``6N``.
    horizons_per_size_median, horizons_per_size_max, sizes_single_horizon : budgets each size
        is trained at (first seed), against the paper's four horizons per size.
    budget_factor : median ratio of neighbouring budgets.
    max_passes : most tokens any run trains on, over the training split's bytes (windows are
        drawn at random, so a run sees some bytes twice even below one pass).
    budget_floor_gap_decades : decades from the sweep's largest budget up to the paper's
        :attr:`PaperApproach1.flops_floor`.
    """

    n_runs: int
    n_sizes: int
    n_budgets: int
    n_params_min: float
    n_params_max: float
    budget_min: float
    budget_max: float
    points_per_run: int
    val_points_per_run: int
    batch_bytes: int
    seq_len: int
    centre_exponent: float
    centre_tokens_per_param: float
    appendix_f_ratio_min: float
    appendix_f_ratio_max: float
    horizons_per_size_median: float
    horizons_per_size_max: int
    sizes_single_horizon: int
    budget_factor: float
    max_passes: float
    budget_floor_gap_decades: float


#: The sweep's plan centres each budget's sizes on N = sqrt(C / CENTRE_DIVISOR) (data/sweep).
CENTRE_DIVISOR = 660.0

_RUN_COLUMNS = ("run_id", "budget", "seed", "n_params", "n_tokens", "flops_per_token_exact")


def sweep_design(
    runs: pd.DataFrame,
    curves: pd.DataFrame,
    val_curves: pd.DataFrame,
    n_bytes_train: float,
    paper: PaperApproach1,
) -> SweepDesign:
    """Summarise the sweep's design (see :class:`SweepDesign`).

    Parameters
    ----------
    runs : ``load_sweep_runs()``.
    curves, val_curves : the logged training points and validation evaluations
        (``load_sweep_curves()``, ``load_sweep_curves(kind="val")``), for the points per run.
    n_bytes_train : bytes in the training split (``load_sweep_meta()["corpus"]``).
    paper : :func:`paper_approach1`, for the scale gap.
    """
    check_frame("runs", runs, (*_RUN_COLUMNS, "flops_per_token_6n", "batch_size", "seq_len"))
    check_frame("curves", curves, ("run_id",))
    check_frame("val_curves", val_curves, ("run_id",))
    n_bytes = float(as_positive("n_bytes_train", n_bytes_train))
    budgets = np.sort(runs["budget"].unique())
    first_seed = runs[runs["seed"] == runs["seed"].min()]
    centres = first_seed.groupby("budget")["n_params"].apply(lambda n: np.exp(np.log(n).mean()))
    slope = np.polyfit(np.log(centres.index.to_numpy(float)), np.log(centres.to_numpy()), 1)[0]
    ratio = runs["flops_per_token_exact"] / runs["flops_per_token_6n"]
    horizons = first_seed.groupby("n_params")["budget"].nunique()
    return SweepDesign(
        n_runs=int(len(runs)),
        n_sizes=int(runs["n_params"].nunique()),
        n_budgets=int(budgets.size),
        n_params_min=float(runs["n_params"].min()),
        n_params_max=float(runs["n_params"].max()),
        budget_min=float(budgets.min()),
        budget_max=float(budgets.max()),
        points_per_run=int(curves.groupby("run_id").size().median()),
        val_points_per_run=int(val_curves.groupby("run_id").size().median()),
        batch_bytes=int((runs["batch_size"] * runs["seq_len"]).median()),
        seq_len=int(runs["seq_len"].median()),
        centre_exponent=float(slope),
        centre_tokens_per_param=CENTRE_DIVISOR / 6.0,
        appendix_f_ratio_min=float(ratio.min()),
        appendix_f_ratio_max=float(ratio.max()),
        horizons_per_size_median=float(horizons.median()),
        horizons_per_size_max=int(horizons.max()),
        sizes_single_horizon=int((horizons == 1).sum()),
        budget_factor=float(np.exp(np.median(np.diff(np.log(budgets))))),
        max_passes=float(runs["n_tokens"].max() / n_bytes),
        budget_floor_gap_decades=float(np.log10(paper.flops_floor / budgets.max())),
    )


@dataclass(frozen=True)
class SeedSpread:
    """The budget trained with two seeds: how far the seeds' final losses differ (nats).

    Attributes
    ----------
    budget : the budget (FLOPs) trained with both seeds.
    n_sizes : sizes trained with both seeds there.
    median_diff_train, median_diff_val : median absolute difference between the seeds' final
        training and validation losses (nats per byte).
    """

    budget: float
    n_sizes: int
    median_diff_train: float
    median_diff_val: float


def seed_spread(runs: pd.DataFrame) -> SeedSpread:
    """Run-to-run noise: the same shape and budget trained with two seeds.

    Raises
    ------
    ValueError
        If no size is trained with two seeds at one budget.
    """
    check_frame("runs", runs, ("budget", "n_params", "seed", "final_train_loss", "final_val_loss"))
    spread = {}
    for column in ("final_train_loss", "final_val_loss"):
        by_seed = runs.pivot_table(index=["budget", "n_params"], columns="seed", values=column)
        by_seed = by_seed[by_seed.notna().sum(axis=1) >= 2]
        spread[column] = by_seed.max(axis=1) - by_seed.min(axis=1)
    train = spread["final_train_loss"]
    if len(train) == 0:
        raise ValueError("runs has no size trained with two seeds at one budget")
    return SeedSpread(
        budget=float(train.index.get_level_values("budget").max()),
        n_sizes=int(len(train)),
        median_diff_train=float(train.median()),
        median_diff_val=float(spread["final_val_loss"].median()),
    )


@dataclass(frozen=True)
class HorizonSummary:
    """The schedule effect over all (shorter run, longer run) pairs of one size and seed.

    ``gap`` is the longer run's loss at the shorter run's final token count minus the shorter
    run's final loss (nats): positive where the mid-schedule point is worse.
    """

    n_pairs: int
    n_positive: int
    median_gap: float
    min_gap: float
    max_gap: float
    pairs: pd.DataFrame = field(repr=False)


def horizon_summary(curves: pd.DataFrame, runs: pd.DataFrame, smooth: int = 1) -> HorizonSummary:
    """:func:`~chinchilla_utils.book.training_curves.horizon_pairs` on (smoothed) curves.

    Parameters
    ----------
    curves, runs : as for ``horizon_pairs``.
    smooth : moving-average window of :func:`~chinchilla_utils.book.training_curves.smooth_curves`
        applied first (1: the curves as logged).

    Raises
    ------
    ValueError
        If no size is trained to two horizons with one seed.
    """
    pairs = horizon_pairs(smooth_curves(curves, smooth), runs)
    if len(pairs) == 0:
        raise ValueError("no size is trained to two horizons with one seed: no pair to compare")
    gap = pairs["gap"]
    return HorizonSummary(
        n_pairs=int(len(pairs)),
        n_positive=int((gap > 0).sum()),
        median_gap=float(gap.median()),
        min_gap=float(gap.min()),
        max_gap=float(gap.max()),
        pairs=pairs,
    )


def curve_noise(curves: pd.DataFrame, window: int) -> float:
    """Typical relative noise between neighbouring logged points of a curve.

    The median over runs of the standard deviation of ``log(loss)`` about its centred moving
    average over ``window`` points, in the second half of each run (where the loss changes
    slowly, so the moving average follows the trend). A fraction of the loss (0.015 = 1.5%).
    """
    check_frame("curves", curves, ("run_id", "n_tokens", "loss"))
    window = check_count("window", window, minimum=3)
    raw = curves.sort_values(["run_id", "n_tokens"]).reset_index(drop=True)
    smooth = smooth_curves(raw, window)
    residual = pd.Series(np.log(raw["loss"].to_numpy()) - np.log(smooth["loss"].to_numpy()))
    second_half = raw.groupby("run_id").cumcount() >= raw.groupby("run_id")["loss"].transform(
        lambda run: len(run) // 2
    )
    return float(residual[second_half].groupby(raw["run_id"][second_half]).std().median())


def final_part_share_by_design(budgets: Any, final_fraction: float) -> float:
    """Share of a log-spaced envelope between budgets that runs in their final part can hold.

    Runs end at the budgets. Between neighbouring budgets ``C_k < C_{k+1}``, a run is in its
    final ``final_fraction`` only within ``[(1 - final_fraction) C_{k+1}, C_{k+1}]``, which is
    ``-log(1 - final_fraction) / log(C_{k+1} / C_k)`` of the interval on a log axis. Averaged
    over the intervals (weighted by their log width), this is the most any envelope on these
    budgets can have in the final part, whichever runs win: about 14% for 15% and budgets a
    factor 3.2 apart.

    Parameters
    ----------
    budgets : the budgets (FLOPs), at least two distinct.
    final_fraction : in (0, 1).
    """
    values = np.unique(as_positive("budgets", budgets))
    if values.size < 2:
        raise ValueError(f"budgets needs at least two distinct values, got {values.tolist()}")
    part = float(as_finite("final_fraction", final_fraction))
    if not 0.0 < part < 1.0:
        raise ValueError(f"final_fraction must be in (0, 1), got {final_fraction!r}")
    widths = np.diff(np.log(values))
    covered = np.minimum(-np.log1p(-part), widths)
    return float(covered.sum() / widths.sum())


# -- Approach 1 under its choices -------------------------------------------------------
def _variant_row(key: str, label: str, table: pd.DataFrame, low: float | None, **fit: Any) -> dict:
    try:
        result = fit_approach1(table, flops_min=low, **fit)
    except FitError as err:  # a range with no frontier is a row of the table, with its reason
        return {"key": key, "variant": label, "flops_min": low, "failure": err.reason}
    return {
        "key": key,
        "variant": label,
        "a": result.a,
        "b": result.b,
        "n_runs_on_envelope": len(result.runs_on_envelope),
        "flops_min": low,
        "failure": "",
    }


def _smallest_end(table: pd.DataFrame) -> float:
    """The smallest budget in the table's own FLOP count: the earliest end of a run."""
    return float(table.groupby("run_id")["flops"].max().min())


def approach1_variants(
    train_curves: pd.DataFrame,
    val_curves: pd.DataFrame,
    runs: pd.DataFrame,
    *,
    smooth: int,
    n_grid: int = N_GRID,
    flops_min: float | None = None,
    flops_max: float | None = None,
    final_fraction: float = 0.15,
) -> pd.DataFrame:
    """Approach 1 refitted under each choice that moves it, one row per choice.

    Rows: the default (training loss smoothed over ``smooth`` points, all parameters, 6ND,
    from the smallest budget); the training loss not smoothed; the validation loss (8 points
    a run, not smoothed); FLOPs by Appendix F instead of 6ND; non-embedding parameters
    (Kaplan's count, with 6ND recomputed from it); only the final ``final_fraction`` of every
    run; the whole envelope from the first logged step; from a decade below the smallest
    budget. ``flops_min`` (when given) replaces "the smallest budget", in each row's own FLOP
    count otherwise; ``flops_max`` applies to every row.

    Returns
    -------
    DataFrame with columns :data:`VARIANT_COLUMNS` (``key``: ``default``, ``raw``, ``val``,
    ``appendix_f``, ``non_embedding``, ``final_part``, ``whole``, ``decade_below``); where a fit
    fails (no frontier in its range), ``a`` and ``b`` are NaN and ``failure`` holds the reason.
    """
    check_frame("runs", runs, ("budget",))
    low = float(runs["budget"].min()) if flops_min is None else float(flops_min)
    fit = {"n_grid": n_grid, "flops_max": flops_max}
    default = approach1_curves(train_curves, runs)
    final = approach1_curves(train_curves, runs, start_fraction=1.0 - final_fraction)
    # key, label, curves, smoothing window, lower end of the fit (None: the whole envelope)
    specs = [
        ("default", f"default: training loss, smoothed ({smooth})", default, smooth, low),
        ("raw", "training loss, not smoothed", default, 1, low),
        ("val", "validation loss", approach1_curves(val_curves, runs), 1, "end"),
        (
            "appendix_f",
            "Appendix F FLOPs instead of 6ND",
            approach1_curves(train_curves, runs, flop_count="appendix_f"),
            smooth,
            "end",
        ),
        (
            "non_embedding",
            "non-embedding parameters (Kaplan)",
            approach1_curves(train_curves, runs, count_embeddings=False),
            smooth,
            "end",
        ),
        ("final_part", f"final {final_fraction:.0%} of every run only", final, smooth, None),
        ("whole", "whole envelope (from the first step)", default, smooth, None),
        ("decade_below", "from a decade below the smallest budget", default, smooth, low / 10),
    ]
    rows = []
    for key, label, table, window, start in specs:
        if start == "end":  # the smallest budget in this row's own FLOP count
            start = _smallest_end(table) if flops_min is None else low
        rows.append(_variant_row(key, label, table, start, smooth=window, **fit))
    return pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))


def n_single_run_points(result: Any, flops_min: float, flops_max: float | None = None) -> int:
    """Grid values in ``[flops_min, flops_max]`` that only one run reaches (left out of the fit).

    A value that a single run reaches is won by default, whatever its loss: just past the end
    of the largest budget, where rounding to whole optimizer steps lets one run overshoot the
    others. ``flops_max=None`` is no upper bound.
    """
    envelope = result.envelope
    high = np.inf if flops_max is None else float(flops_max)
    in_range = (envelope["flops"] >= float(flops_min)) & (envelope["flops"] <= high)
    return int((in_range & (envelope["n_runs_competing"] < 2)).sum())


def leave_one_run_out(
    curves: pd.DataFrame, result: Any, *, smooth: int, n_grid: int = N_GRID
) -> pd.DataFrame:
    """Approach 1 refitted without each run that holds part of the envelope, one at a time.

    A run off the envelope wins no grid value, so leaving it out changes nothing (except where
    a value would be reached by a single run); the runs on it are the ones whose absence moves
    ``a``, and the jumps of the bootstrap's values of ``a`` are their absences.

    Parameters
    ----------
    curves : the curves ``result`` was fitted on (``run_id``, ``n_params``, ...).
    result : the :class:`~chinchilla_utils.fitting.approach1.Approach1Result`; refits use its
        FLOP range.
    smooth, n_grid : as the fit of ``result``.

    Returns
    -------
    DataFrame, one row per run on the envelope: ``run_id``, ``n_params``, ``a_without`` (NaN
    where the refit fails) and ``shift`` (``a_without - a``), largest ``|shift|`` first.
    """
    check_frame("curves", curves, ("run_id", "n_params"))
    rows = []
    for run_id in result.runs_on_envelope:
        rest = curves[curves["run_id"] != run_id]
        try:
            a = fit_approach1(
                rest,
                n_grid=n_grid,
                smooth=smooth,
                flops_min=result.flops_min,
                flops_max=result.flops_max,
            ).a
        except FitError:  # no frontier left without this run: a row with no value
            a = float("nan")
        n_params = float(curves.loc[curves["run_id"] == run_id, "n_params"].iloc[0])
        rows.append({"run_id": run_id, "n_params": n_params, "a_without": a})
    table = pd.DataFrame(rows, columns=["run_id", "n_params", "a_without"])
    table["shift"] = table["a_without"] - float(result.a)
    order = table["shift"].abs().sort_values(ascending=False, na_position="first").index
    return table.loc[order].reset_index(drop=True)


# -- the bootstrap, read two ways ----------------------------------------------------------
def envelope_point_bootstrap(
    flops: Any,
    n_params: Any,
    n_resamples: int,
    rng: np.random.Generator | int | None,
    method: str = "replacement",
    fraction: float = 0.8,
) -> BootstrapResult:
    """Bootstrap of ``a`` over the envelope's points instead of the runs.

    Refits the least-squares slope of ``log n_params`` against ``log flops`` on resampled
    envelope points (the fitted points of an Approach 1 result). Neighbouring grid points
    are held by the same run, so they are far from independent: this reading treats each of
    a thousand points as new evidence, and gives a much narrower interval than resampling
    runs. Returns a :class:`~chinchilla_utils.fitting.bootstrap.BootstrapResult` with one
    column ``a`` and ``unit="points"``.
    """
    x = np.log10(as_positive("flops", flops))
    y = np.log10(as_positive("n_params", n_params))
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"flops and n_params must be 1-D of one length, got {x.shape}, {y.shape}")
    indices = resample_indices(x.size, n_resamples, rng, method=method, fraction=fraction)
    slopes = np.full(len(indices), np.nan)
    reasons = ["no spread in FLOPs"] * len(indices)
    for i, idx in enumerate(indices):
        dx = x[idx] - x[idx].mean()
        if dx @ dx > 0:
            slopes[i] = float(dx @ (y[idx] - y[idx].mean()) / (dx @ dx))
            reasons[i] = ""
    return BootstrapResult.from_samples(
        pd.DataFrame({"a": slopes}), method, n_resamples, fraction, "points", reasons
    )


@dataclass(frozen=True)
class BootstrapReadings:
    """Approach 1's interval for ``a`` under the readings of the paper's bootstrap.

    Attributes
    ----------
    a : the point estimate on all the data.
    replacement : the classic bootstrap over runs (as many runs as there are, with replacement).
    subsample : ``fraction`` of the runs without replacement (the other reading of "80% of the
        dataset is sampled").
    points : the classic bootstrap over the envelope's points (:func:`envelope_point_bootstrap`).
    fraction : the subsample fraction.
    paper_width : the width of Table 2's 10-90% interval of ``a``.
    """

    a: float
    replacement: BootstrapResult
    subsample: BootstrapResult
    points: BootstrapResult
    fraction: float
    paper_width: float

    def _width(self, result: BootstrapResult) -> float:
        low, high = result.interval("a")
        return high - low

    @property
    def width_replacement(self) -> float:
        return self._width(self.replacement)

    @property
    def width_subsample(self) -> float:
        return self._width(self.subsample)

    @property
    def width_points(self) -> float:
        return self._width(self.points)

    @property
    def far_share_pct(self) -> float:
        """Percentage of the classic resamples whose ``a`` lies more than :data:`FAR` from the
        point estimate (the resamples that lost a run holding a stretch of the envelope)."""
        values = self.replacement.samples["a"].dropna().to_numpy(dtype=float)
        return float(100.0 * np.mean(np.abs(values - self.a) > FAR))

    @property
    def subsample_vs_replacement(self) -> float:
        """Width of the subsample interval over the classic one (measured)."""
        return self.width_subsample / self.width_replacement

    @property
    def smooth_statistic_ratio(self) -> float:
        """The same ratio for a mean of independent items: ``sqrt((1 - f) / f)``.

        A subsample of a fraction ``f`` without replacement varies about the full-data value
        with variance ``(1 - f) / f`` times the classic bootstrap's: 0.5 in width for
        ``f = 0.8``. It holds for smooth statistics of many independent items, not for a
        choice among a few runs.
        """
        return float(np.sqrt((1.0 - self.fraction) / self.fraction))

    @property
    def subsample_vs_paper(self) -> float:
        """The book's subsample width over Table 2's."""
        return self.width_subsample / self.paper_width

    @property
    def table(self) -> pd.DataFrame:
        """One row per reading, columns :data:`READING_COLUMNS`."""
        rows = []
        for reading, result, unit, draws in (
            ("classic bootstrap", self.replacement, "runs", "all, with replacement"),
            ("subsample", self.subsample, "runs", f"{self.fraction:.0%}, without replacement"),
            ("classic bootstrap", self.points, "envelope points", "all, with replacement"),
        ):
            low, high = result.interval("a")
            rows.append([reading, unit, draws, low, high, high - low, result.n_failed])
        return pd.DataFrame(rows, columns=list(READING_COLUMNS))


def bootstrap_readings(
    curves: pd.DataFrame,
    result: Any,
    *,
    n_resamples: int,
    seed: int,
    paper: PaperApproach1,
    smooth: int,
    n_grid: int = N_GRID,
) -> BootstrapReadings:
    """Bootstrap ``a`` under each reading, every one from ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    curves : Approach 1's input (``approach1_curves``), the data ``result`` was fitted on.
    result : the :class:`~chinchilla_utils.fitting.approach1.Approach1Result` of those curves;
        the resamples are fitted over its FLOP range, and its fitted envelope points are the
        unit of the third reading.
    n_resamples : resamples per reading.
    seed : seed of each reading's generator.
    paper : :func:`paper_approach1` (the subsample fraction and Table 2's width).
    smooth, n_grid : as the fit of ``result``.
    """
    fraction = check_fraction(paper.bootstrap_fraction)
    common = {"n_resamples": n_resamples, "n_grid": n_grid, "smooth": smooth}
    common.update(flops_min=result.flops_min, flops_max=result.flops_max, progress=False)
    boot = {
        method: bootstrap_approach1(
            curves, method=method, fraction=fraction, rng=np.random.default_rng(seed), **common
        )
        for method in ("replacement", "subsample")
    }
    fitted = result.envelope[result.envelope["fitted"]]
    points = envelope_point_bootstrap(
        fitted["flops"], fitted["n_params"], n_resamples, np.random.default_rng(seed)
    )
    return BootstrapReadings(
        a=float(result.a),
        replacement=boot["replacement"],
        subsample=boot["subsample"],
        points=points,
        fraction=fraction,
        paper_width=paper.a_width,
    )


# -- Table 3 and the Section 3.4 text --------------------------------------------------------
@dataclass(frozen=True)
class Table3Check:
    """Table 3 regenerated from the paper's Approach 1 frontier (Table 2's ``a`` through the
    Gopher-budget row), and the least-squares line through all its rows.

    Attributes
    ----------
    table : :func:`~chinchilla_utils.book.projections.projection_table` of the anchored frontier.
    n_rows : printed rows.
    params_min_b, params_max_b, anchor_params_b : sizes (billions of parameters).
    anchor_flops : the Gopher budget of the anchor row (FLOPs).
    max_abs_flops_diff_pct, max_abs_tokens_diff_pct : worst regenerated FLOPs and tokens.
    implied_a : exponent of the line through all printed rows.
    line_max_other_pct : that line's worst FLOPs difference off the anchor row.
    line_gopher_pct : its FLOPs difference on the Gopher row.
    line_n_opt_gopher_b : the size it gives at the Gopher budget (billions).
    gopher_tokens_vs_6nd_pct : the Gopher row's printed tokens against ``C / (6N)``.
    gopher_units_1t_book, gopher_units_1t_paper : the 1T row's budget in Gopher units.
    gopher_tokens_per_param : the Gopher row's tokens over its parameters.
    """

    table: pd.DataFrame = field(repr=False)
    n_rows: int
    params_min_b: float
    params_max_b: float
    anchor_params_b: float
    anchor_flops: float
    max_abs_flops_diff_pct: float
    max_abs_tokens_diff_pct: float
    implied_a: float
    line_max_other_pct: float
    line_gopher_pct: float
    line_n_opt_gopher_b: float
    gopher_tokens_vs_6nd_pct: float
    gopher_units_1t_book: float
    gopher_units_1t_paper: float
    gopher_tokens_per_param: float


def table3_check(gopher_flops: float = GOPHER_FLOPS) -> Table3Check:
    """Regenerate Table 3 (see :class:`Table3Check`)."""
    regen = projection_table(PowerLawFrontier.paper("approach_1"), "approach_1", gopher_flops)
    implied = PowerLawFrontier.paper("approach_1", variant="table_fit")
    line = projection_table(implied, "approach_1", gopher_flops)
    on_anchor = np.isclose(regen["flops_paper"], gopher_flops)
    gopher = regen[on_anchor].iloc[0]
    one_t = regen[np.isclose(regen["params"], 1e12)].iloc[0]
    return Table3Check(
        table=regen,
        n_rows=int(len(regen)),
        params_min_b=float(regen["params"].min() / 1e9),
        params_max_b=float(regen["params"].max() / 1e9),
        anchor_params_b=float(gopher["params"] / 1e9),
        anchor_flops=float(gopher["flops_paper"]),
        max_abs_flops_diff_pct=float(100 * regen["flops_rel_diff"].abs().max()),
        max_abs_tokens_diff_pct=float(100 * regen["tokens_rel_diff"].abs().max()),
        implied_a=float(implied.exponent),
        line_max_other_pct=float(100 * line.loc[~on_anchor, "flops_rel_diff"].abs().max()),
        line_gopher_pct=float(100 * line.loc[on_anchor, "flops_rel_diff"].iloc[0]),
        line_n_opt_gopher_b=float(implied.n_opt(gopher_flops) / 1e9),
        gopher_tokens_vs_6nd_pct=float(
            100 * (gopher["tokens_paper"] / gopher["tokens_6nd_paper"] - 1)
        ),
        gopher_units_1t_book=float(one_t["gopher_units_book"]),
        gopher_units_1t_paper=float(one_t["gopher_units_paper"]),
        gopher_tokens_per_param=float(gopher["tokens_paper"] / gopher["params"]),
    )


@dataclass(frozen=True)
class Section34Check:
    """Section 3.4's projections in words against Table 3's rows.

    Attributes
    ----------
    table : :func:`~chinchilla_utils.book.projections.section34_comparison`.
    flops_vs_table_175b_pct : the text's FLOPs for 175B against the table's.
    flops_text_1t : the text's FLOPs for the 1T model.
    gopher_units_text_1t : the text's "over 250x" for the 1T model.
    gopher_units_of_text_1t : the text's own FLOPs for 1T in Gopher units.
    gopher_units_table_1t : Table 3's 1T row in Gopher units.
    """

    table: pd.DataFrame = field(repr=False)
    flops_vs_table_175b_pct: float
    flops_text_1t: float
    gopher_units_text_1t: float
    gopher_units_of_text_1t: float
    gopher_units_table_1t: float


def section34_check(gopher_flops: float = GOPHER_FLOPS) -> Section34Check:
    """Compare the Section 3.4 text with Table 3 (see :class:`Section34Check`)."""
    table = section34_comparison(
        load_table("section34_text_claims"), table3_approach1(), gopher_flops=gopher_flops
    )
    by_size = table.set_index("params")
    return Section34Check(
        table=table,
        flops_vs_table_175b_pct=float(100 * by_size.loc[1.75e11, "flops_text_vs_table"]),
        flops_text_1t=float(by_size.loc[1e12, "flops_text"]),
        gopher_units_text_1t=float(by_size.loc[1e12, "gopher_units_text"]),
        gopher_units_of_text_1t=float(by_size.loc[1e12, "gopher_units_of_text_flops"]),
        gopher_units_table_1t=float(by_size.loc[1e12, "gopher_units_table"]),
    )


def anchor_scan(exponent: float, gopher_flops: float = GOPHER_FLOPS) -> pd.DataFrame:
    """Table 3 regenerated with ``exponent`` anchored on each printed row in turn.

    Returns one row per anchor: ``anchor_params`` (parameters) and ``max_abs_flops_diff``
    (the largest ``|book / paper - 1|`` in FLOPs over the table, a fraction), smallest first.
    """
    a = float(as_positive("exponent", exponent))
    rows = []
    for _, row in table3_approach1().iterrows():
        frontier = PowerLawFrontier.from_anchor(float(row["params"]), float(row["flops"]), a)
        diff = projection_table(frontier, "approach_1", gopher_flops)["flops_rel_diff"]
        rows.append({"anchor_params": float(row["params"]), "max_abs_flops_diff": diff.abs().max()})
    return pd.DataFrame(rows)
