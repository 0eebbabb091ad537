"""The Approach 3 chapter's tables: refits, tests and variants of the parametric fit, as frames.

Everything the chapter on Approach 3 shows in a table, built from the library
(:mod:`chinchilla_utils.fitting.approach3`, :mod:`chinchilla_utils.fitting.diagnostics`) so the
chapter's cells stay one idea each:

* :func:`constants_table`: the paper's constants, Besiroglu et al.'s maximum-likelihood
  estimates with their standard errors, and the book's grid refit, side by side;
* :func:`constants_tests`: each law scored by the paper's objective and by the Huber likelihood,
  with the likelihood-ratio test of Besiroglu et al.;
* :func:`optimiser_variants`: sum against mean, early stopping, scipy's default tolerances;
* :func:`bootstrap_readings`: the two readings of the paper's bootstrap beside Table 2;
* :func:`subset_fits`, :func:`compute_subsets`, :func:`residual_spread`: how the answer
  depends on the runs used (the paper's Section 3.4 and Appendix E);
* :func:`delta_refits`, :func:`rounding_costs`: the fit under other Huber thresholds, and what
  rounding each printed constant costs (exercises);
* :func:`table_a3_summary`: Table A3's Approach 3 column regenerated, with its summary numbers;
* :func:`laptop_runs`, :func:`laptop_subsets`, :func:`sweep_design`, :func:`laptop_exponents`:
  the same fit on the book's laptop sweep, stated with its design and FLOP count.

Units: ``n_params`` in parameters, ``n_tokens`` in tokens, ``flops`` in FLOPs (``C = 6 N D``
unless a column says ``exact``), losses in nats (per byte on the laptop sweep).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from chinchilla_utils._validation import as_positive, check_frame
from chinchilla_utils.book.projections import projection_table
from chinchilla_utils.book.tables import approach3_table, law_objective
from chinchilla_utils.constants import CHINCHILLA_FLOPS
from chinchilla_utils.fitting import diagnostics as dg
from chinchilla_utils.fitting.approach3 import (
    Approach3Result,
    bootstrap_approach3,
    fit_approach3,
    fit_approach3_scipy,
)
from chinchilla_utils.fitting.bootstrap import BootstrapResult
from chinchilla_utils.fitting.powerlaw import fit_power_law
from chinchilla_utils.laws import ParametricLoss

__all__ = [
    "CONSTANT_NAMES",
    "RUN_COLUMNS",
    "ConstantsComparison",
    "ConstantsTests",
    "Headline",
    "LaptopAnalysis",
    "OptimiserVariants",
    "RangeFits",
    "TwoBootstraps",
    "SubsetFits",
    "SweepDesign",
    "TableA3Summary",
    "besiroglu_law",
    "bootstrap_readings",
    "compute_range_fits",
    "compute_subsets",
    "constants_table",
    "constants_tests",
    "delta_refits",
    "headline",
    "laptop_analysis",
    "laptop_exponents",
    "laptop_runs",
    "laptop_subsets",
    "number_fields",
    "optimiser_variants",
    "residual_spread",
    "rounding_costs",
    "run_arrays",
    "subset_fits",
    "sweep_design",
    "table_a3_summary",
    "two_bootstraps",
]

#: The columns every Approach 3 function reads from a table of runs.
RUN_COLUMNS = ("n_params", "n_tokens", "loss")
#: The five fitted constants, in the paper's order of Eq. 2.
CONSTANT_NAMES = ("E", "A", "B", "alpha", "beta")


def run_arrays(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n_params, n_tokens, loss)`` of a table of runs, as float arrays."""
    check_frame("runs", runs, RUN_COLUMNS)
    return tuple(runs[c].to_numpy(dtype=float) for c in RUN_COLUMNS)  # type: ignore[return-value]


def number_fields(result: Any) -> list[str]:
    """The names of a result dataclass's int and float fields: the numbers a chapter glues.

    Booleans, tables and nested results are left out (a verdict is never glued).
    """
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"result must be a dataclass instance, got {type(result).__name__}")
    return [
        f.name
        for f in dataclasses.fields(result)
        if isinstance(getattr(result, f.name), int | float | np.number)
        and not isinstance(getattr(result, f.name), bool | np.bool_)
    ]


@dataclass(frozen=True)
class Headline:
    """The headline fit, its named variants, and the paper's constants at one budget.

    Attributes
    ----------
    E, A, B, alpha, beta, a, b : the headline fit's constants and frontier exponents.
    tokens_per_param_chinchilla, n_opt_chinchilla_b : its tokens per parameter and optimal size
        (billions of parameters) at ``flops``.
    grid_size, n_starts_at_best, n_points, n_on_grid_edge : its diagnostics (starts, starts at
        the best objective, runs fitted, estimates on the grid's edge).
    converged : whether its final optimiser reported convergence (not glued).
    n_outliers : runs the variant keeps and the headline leaves out.
    n_runs_all : runs of the variant.
    all_a, all_tokens_per_param_chinchilla : the variant fitted on every run.
    paper_rounded_E, paper_rounded_B, paper_rounded_a : the printed Eq. 10 constants.
    paper_unrounded_a, paper_unrounded_tokens_per_param_chinchilla,
    paper_unrounded_n_opt_chinchilla_b : the unrounded (TeX) constants at ``flops``.
    chinchilla_flops : ``flops``.
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    a: float
    b: float
    tokens_per_param_chinchilla: float
    n_opt_chinchilla_b: float
    grid_size: int
    n_starts_at_best: int
    n_points: int
    n_on_grid_edge: int
    converged: bool
    n_outliers: int
    n_runs_all: int
    all_a: float
    all_tokens_per_param_chinchilla: float
    paper_rounded_E: float
    paper_rounded_B: float
    paper_rounded_a: float
    paper_unrounded_a: float
    paper_unrounded_tokens_per_param_chinchilla: float
    paper_unrounded_n_opt_chinchilla_b: float
    chinchilla_flops: float


def headline(
    fit: Approach3Result, variant: Approach3Result, flops: float = CHINCHILLA_FLOPS
) -> Headline:
    """The numbers of the headline fit ``fit``, of ``variant`` (every run) and of the paper."""
    for name, entry in (("fit", fit), ("variant", variant)):
        if not isinstance(entry, Approach3Result):
            raise TypeError(f"{name} must be an Approach3Result, got {type(entry).__name__}")
    budget = float(as_positive("flops", flops))
    rounded, unrounded = ParametricLoss.paper_rounded(), ParametricLoss.paper_unrounded()
    return Headline(
        **{k: float(v) for k, v in fit.law.params().items()},
        tokens_per_param_chinchilla=float(fit.law.tokens_per_param(budget)),
        n_opt_chinchilla_b=float(fit.law.n_opt(budget)) / 1e9,
        grid_size=int(fit.n_starts),
        n_starts_at_best=int(fit.n_starts_at_best),
        n_points=int(fit.n_points),
        n_on_grid_edge=len(fit.on_grid_edge),
        converged=bool(fit.converged),
        n_outliers=int(variant.n_points - fit.n_points),
        n_runs_all=int(variant.n_points),
        all_a=float(variant.law.a),
        all_tokens_per_param_chinchilla=float(variant.law.tokens_per_param(budget)),
        paper_rounded_E=rounded.E,
        paper_rounded_B=rounded.B,
        paper_rounded_a=rounded.a,
        paper_unrounded_a=unrounded.a,
        paper_unrounded_tokens_per_param_chinchilla=float(unrounded.tokens_per_param(budget)),
        paper_unrounded_n_opt_chinchilla_b=float(unrounded.n_opt(budget)) / 1e9,
        chinchilla_flops=budget,
    )


def _law(entry: Any, label: str) -> ParametricLoss:
    if isinstance(entry, Approach3Result):
        return entry.law
    if isinstance(entry, ParametricLoss):
        return entry
    raise TypeError(
        f"{label!r} must be a ParametricLoss or an Approach3Result, got {type(entry).__name__}"
    )


def besiroglu_law(estimates: pd.DataFrame) -> ParametricLoss:
    """Besiroglu et al.'s estimates as a law, from ``datasets.paper.besiroglu_estimates()``."""
    check_frame("estimates", estimates, ("quantity", "value"))
    values = estimates.set_index("quantity")["value"]
    missing = [name for name in CONSTANT_NAMES if name not in values.index]
    if missing:
        raise ValueError(f"estimates lacks the rows {missing}")
    return ParametricLoss(**{name: float(values[name]) for name in CONSTANT_NAMES})


@dataclass(frozen=True)
class ConstantsComparison:
    """Three sets of constants side by side (:func:`constants_table`).

    Attributes
    ----------
    table : the table.
    max_abs_z_vs_besiroglu : largest ``|refit - theirs|`` of the five constants, in their
        standard errors.
    paper_beta_z, paper_B_z : the paper's unrounded ``beta`` and ``B`` minus theirs, in their
        standard errors.
    """

    table: pd.DataFrame
    max_abs_z_vs_besiroglu: float
    paper_beta_z: float
    paper_B_z: float


def constants_table(
    refit: ParametricLoss,
    estimates: pd.DataFrame,
    flops: float = CHINCHILLA_FLOPS,
) -> ConstantsComparison:
    """The paper's constants, Besiroglu et al.'s, and the book's refit, one column each.

    Parameters
    ----------
    refit : the book's refit by the paper's recipe (grid of starts, Huber objective).
    estimates : ``datasets.paper.besiroglu_estimates()``.
    flops : budget (FLOPs) of the ``tokens_per_param`` row.

    Returns
    -------
    ConstantsComparison
        Its ``table`` has one row per quantity (``E``, ``A``, ``B``, ``alpha``, ``beta``,
        ``a``, ``tokens_per_param``) and one column per source (``paper, rounded``,
        ``paper, unrounded``, ``Besiroglu et al.``, ``book refit``), with ``their s.e.`` and
        ``refit - theirs (s.e.)``, the difference in their standard errors (empty where they
        print none).
    """
    refit = _law(refit, "refit")
    theirs = besiroglu_law(estimates)
    errors = estimates.set_index("quantity")["std_error"].reindex(list(CONSTANT_NAMES))
    laws = {
        "paper, rounded": ParametricLoss.paper_rounded(),
        "paper, unrounded": ParametricLoss.paper_unrounded(),
        "Besiroglu et al.": theirs,
        "book refit": refit,
    }
    rows = ["E", "A", "B", "alpha", "beta", "a", "tokens_per_param"]
    table = pd.DataFrame(
        {
            label: [*(law.params()[k] for k in rows[:-1]), float(law.tokens_per_param(flops))]
            for label, law in laws.items()
        },
        index=rows,
    )
    table.insert(3, "their s.e.", errors.reindex(rows).to_numpy(dtype=float))
    table["refit - theirs (s.e.)"] = (table["book refit"] - table["Besiroglu et al."]) / table[
        "their s.e."
    ]
    paper_z = (table["paper, unrounded"] - table["Besiroglu et al."]) / table["their s.e."]
    return ConstantsComparison(
        table=table,
        max_abs_z_vs_besiroglu=float(table["refit - theirs (s.e.)"].iloc[:5].abs().max()),
        paper_beta_z=float(paper_z["beta"]),
        paper_B_z=float(paper_z["B"]),
    )


@dataclass(frozen=True)
class ConstantsTests:
    """The paper's constants scored and tested on a set of runs (:func:`constants_tests`).

    Attributes
    ----------
    table : one row per law (``paper, rounded``, ``paper, unrounded``, ``book refit``,
        ``maximum likelihood``): ``objective`` (sum of Huber terms), ``objective_ratio`` (to
        the refit's), ``log_likelihood`` (scale fitted), ``lr_statistic`` and ``p_value``
        (chi-squared, 5 degrees of freedom).
    paper_rounded_objective_ratio, paper_unrounded_objective_ratio,
    paper_rounded_lr_statistic, paper_unrounded_lr_statistic, paper_rounded_p_value,
    paper_unrounded_p_value : those columns for the paper's two sets of constants.
    besiroglu_lr_statistic, besiroglu_lr_p_value : the statistic and p-value Besiroglu et al.
        report for the unrounded constants.
    mle_scale : the maximum-likelihood scale ``sigma`` (log loss).
    mle_threshold : ``delta * sigma``, where the likelihood's quadratic core ends.
    share_beyond_delta_pct : percent of the refit's residuals beyond the objective's delta.
    start_log_likelihood, log_likelihood : the likelihood at the refit and at its maximum.
    chi2_critical : the 99.9% point of chi-squared with 5 degrees of freedom.
    """

    table: pd.DataFrame
    paper_rounded_objective_ratio: float
    paper_unrounded_objective_ratio: float
    paper_rounded_lr_statistic: float
    paper_unrounded_lr_statistic: float
    paper_rounded_p_value: float
    paper_unrounded_p_value: float
    besiroglu_lr_statistic: float
    besiroglu_lr_p_value: float
    mle_scale: float
    mle_threshold: float
    share_beyond_delta_pct: float
    start_log_likelihood: float
    log_likelihood: float
    chi2_critical: float


def constants_tests(
    fit: Approach3Result,
    likelihood_fit: dg.HuberLikelihoodFit,
    runs: pd.DataFrame,
    published: pd.DataFrame,
) -> ConstantsTests:
    """The paper's constants scored by the paper's objective and tested by the likelihood ratio.

    Parameters
    ----------
    fit : the paper's recipe on ``runs`` (the objective's minimum: its ratio is 1).
    likelihood_fit : :func:`~chinchilla_utils.fitting.diagnostics.fit_huber_likelihood` on
        ``runs`` (the likelihood's maximum: its statistic is 0).
    runs : the runs both were fitted on.
    published : ``datasets.paper.besiroglu_estimates()`` (for the statistic they report).

    Returns
    -------
    ConstantsTests
    """
    if not isinstance(fit, Approach3Result):
        raise TypeError(f"fit must be an Approach3Result, got {type(fit).__name__}")
    check_frame("published", published, ("quantity", "value"))
    reported = published.set_index("quantity")["value"]
    arrays = run_arrays(runs)
    entries = {
        "paper, rounded": ParametricLoss.paper_rounded(),
        "paper, unrounded": ParametricLoss.paper_unrounded(),
        "book refit": fit.law,
        "maximum likelihood": likelihood_fit.law,
    }
    base = law_objective(fit.law, *arrays, delta=fit.delta)
    rows = {}
    for label, law in entries.items():
        test = dg.likelihood_ratio_test(law, likelihood_fit, *arrays)
        objective = law_objective(law, *arrays, delta=fit.delta)
        rows[label] = {
            "objective": objective,
            "objective_ratio": objective / base,
            "log_likelihood": test.log_likelihood_null,
            "lr_statistic": test.statistic,
            "p_value": test.p_value,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    residuals = dg.log_residuals(fit.law, *arrays)
    per_paper = {
        f"paper_{key}_{column}": float(table.loc[f"paper, {key}", column])
        for key in ("rounded", "unrounded")
        for column in ("objective_ratio", "lr_statistic", "p_value")
    }
    return ConstantsTests(
        table=table,
        **per_paper,
        besiroglu_lr_statistic=float(reported["lr_statistic"]),
        besiroglu_lr_p_value=float(reported["lr_p_value"]),
        mle_scale=float(likelihood_fit.scale),
        mle_threshold=float(likelihood_fit.scale * likelihood_fit.delta),
        share_beyond_delta_pct=float(100 * np.mean(np.abs(residuals) > fit.delta)),
        start_log_likelihood=float(likelihood_fit.start_log_likelihood),
        log_likelihood=float(likelihood_fit.log_likelihood),
        chi2_critical=float(chi2.ppf(0.999, 5)),
    )


@dataclass(frozen=True)
class OptimiserVariants:
    """The paper's recipe against the ways an optimiser can stop elsewhere.

    Attributes
    ----------
    table : :func:`~chinchilla_utils.book.tables.approach3_table` of the full fit, the sum and
        the mean on a subset of starts, and scipy's defaults (sum and mean) on the same subset.
    early : one row per (starts, ``max_iter``) of the capped fits: ``starts``, ``max_iter``,
        ``E``, ``B``, ``a``, ``objective_sum`` and ``reached_optimum`` (within 1e-6 relative).
    mean_vs_sum_max_rel_diff : largest relative difference of the five constants, mean against
        sum on the same starts.
    subset_vs_full_max_rel_diff : the same, the subset's sum against the full fit.
    scipy_sum_a, scipy_mean_a : ``a`` of the scipy fits.
    scipy_mean_objective_ratio : the scipy mean fit's objective (as a sum) over the optimum's.
    scipy_mean_n_starts_at_best : starts of the scipy mean fit ending at its best objective.
    n_capped_short : capped fits (on the cap starts) that stopped short of the optimum.
    capped_E_min, capped_E_max, capped_B_min, capped_B_max, capped_a_min, capped_a_max :
        ranges over those fits.
    other_a_min, other_a_max : ``a`` of the capped fits on the other set of starts that also
        stopped short (NaN when none did).
    """

    table: pd.DataFrame
    early: pd.DataFrame
    mean_vs_sum_max_rel_diff: float
    subset_vs_full_max_rel_diff: float
    scipy_sum_a: float
    scipy_mean_a: float
    scipy_mean_objective_ratio: float
    scipy_mean_n_starts_at_best: int
    n_capped_short: int
    capped_E_min: float
    capped_E_max: float
    capped_B_min: float
    capped_B_max: float
    capped_a_min: float
    capped_a_max: float
    other_a_min: float
    other_a_max: float


def _max_rel_diff(left: ParametricLoss, right: ParametricLoss) -> float:
    lp, rp = left.params(), right.params()
    return float(max(abs(lp[k] / rp[k] - 1.0) for k in CONSTANT_NAMES))


def optimiser_variants(
    runs: pd.DataFrame,
    full_fit: Approach3Result,
    starts: np.ndarray,
    cap_starts: np.ndarray,
    caps: Sequence[int] = (5, 10, 20, 50),
    flops: float = CHINCHILLA_FLOPS,
) -> OptimiserVariants:
    """Refit ``runs`` as an optimiser that stops elsewhere would (the chapter's variants).

    Parameters
    ----------
    runs : the runs ``full_fit`` was fitted on.
    full_fit : the paper's recipe (sum, every grid start, tight tolerances).
    starts : the subset of grid starts for the sum, mean and scipy fits.
    cap_starts : the starts of the headline capped fits; the capped fits are repeated on
        ``starts`` as the other set.
    caps : the ``max_iter`` values of the capped fits (iterations per start).
    flops : budget (FLOPs) of the tables' tokens-per-parameter column.

    Returns
    -------
    OptimiserVariants
    """
    arrays = run_arrays(runs)
    delta = full_fit.delta
    fits: dict[str, Any] = {"paper recipe, all starts": full_fit}
    for how in ("sum", "mean"):
        fits[f"{how}, {len(starts)} starts"] = fit_approach3(
            *arrays, delta=delta, reduction=how, grid=starts
        )
    for how in ("sum", "mean"):
        fits[f"scipy defaults, {how}"] = fit_approach3_scipy(
            *arrays, delta=delta, reduction=how, grid=starts
        )
    table = approach3_table(fits, flops=flops)
    optimum = float(full_fit.objective) * (full_fit.n_points if full_fit.reduction == "mean" else 1)
    early = []
    for grid in (cap_starts, starts):
        for cap in caps:
            capped = fit_approach3(*arrays, delta=delta, grid=grid, max_iter=int(cap))
            early.append(
                {
                    "starts": len(grid),
                    "max_iter": int(cap),
                    **{k: capped.law.params()[k] for k in ("E", "B", "a")},
                    "objective_sum": float(capped.objective),
                    "reached_optimum": bool(abs(capped.objective - optimum) <= 1e-6 * optimum),
                }
            )
    early_table = pd.DataFrame(early)
    short = early_table[
        (early_table["starts"] == len(cap_starts)) & ~early_table["reached_optimum"]
    ]
    other = early_table[(early_table["starts"] == len(starts)) & ~early_table["reached_optimum"]]
    if len(cap_starts) == len(starts):
        other = short
    scipy_mean = fits["scipy defaults, mean"]
    return OptimiserVariants(
        table=table,
        early=early_table,
        mean_vs_sum_max_rel_diff=_max_rel_diff(
            fits[f"mean, {len(starts)} starts"].law, fits[f"sum, {len(starts)} starts"].law
        ),
        subset_vs_full_max_rel_diff=_max_rel_diff(
            fits[f"sum, {len(starts)} starts"].law, full_fit.law
        ),
        scipy_sum_a=float(fits["scipy defaults, sum"].law.a),
        scipy_mean_a=float(scipy_mean.law.a),
        scipy_mean_objective_ratio=float(table.loc["scipy defaults, mean", "objective_sum"])
        / optimum,
        scipy_mean_n_starts_at_best=int(scipy_mean.n_starts_at_best),
        n_capped_short=int(len(short)),
        **{
            f"capped_{k}_{end}": float(getattr(short[k], end)()) if len(short) else float("nan")
            for k in ("E", "B", "a")
            for end in ("min", "max")
        },
        other_a_min=float(other["a"].min()) if len(other) else float("nan"),
        other_a_max=float(other["a"].max()) if len(other) else float("nan"),
    )


def bootstrap_readings(
    readings: Mapping[str, BootstrapResult], printed: pd.Series | None = None
) -> pd.DataFrame:
    """Intervals of ``a`` and tokens per parameter from each bootstrap, beside Table 2's.

    Parameters
    ----------
    readings : ``{label: BootstrapResult}``, e.g. the classic bootstrap and the 80% subsample.
    printed : Table 2's Approach 3 row (``a``, ``a_p10``, ``a_p90``), added as a last row.

    Returns
    -------
    DataFrame indexed by label with ``a_p10``, ``a_p50``, ``a_p90``, ``a_width`` (p90 - p10),
    ``tokens_per_param_p10``, ``tokens_per_param_p90``, ``n_resamples`` and ``n_failed``.
    """
    if not isinstance(readings, Mapping) or not readings:
        raise ValueError(
            f"readings must be a non-empty dict of label -> BootstrapResult, got {readings!r}"
        )
    rows = {}
    for label, boot in readings.items():
        if not isinstance(boot, BootstrapResult):
            raise TypeError(f"{label!r} must be a BootstrapResult, got {type(boot).__name__}")
        a, tpp = boot.summary.loc["a"], boot.summary.loc["tokens_per_param"]
        rows[str(label)] = {
            "a_p10": a["p10"],
            "a_p50": a["p50"],
            "a_p90": a["p90"],
            "a_width": a["p90"] - a["p10"],
            "tokens_per_param_p10": tpp["p10"],
            "tokens_per_param_p90": tpp["p90"],
            "n_resamples": boot.n_resamples,
            "n_failed": int(boot.summary["n_failed"].max()),
        }
    if printed is not None:
        rows["Table 2 (printed)"] = {
            "a_p10": float(printed["a_p10"]),
            "a_p50": float(printed["a"]),
            "a_p90": float(printed["a_p90"]),
            "a_width": float(printed["a_p90"] - printed["a_p10"]),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@dataclass(frozen=True)
class TwoBootstraps:
    """The two readings of the paper's bootstrap, with what follows from their widths.

    Attributes
    ----------
    classic, subsample : the two :class:`~chinchilla_utils.fitting.bootstrap.BootstrapResult`.
    table : :func:`bootstrap_readings` of both beside Table 2.
    boot_a_p10, boot_a_p50, boot_a_p90, boot_a_width, boot_tokens_per_param_p10,
    boot_tokens_per_param_p90, boot_n_failed : the classic bootstrap's numbers.
    sub_a_p10, sub_a_p90, sub_a_width : the subsample's interval of ``a``.
    sub_width_ratio : the subsample's width over the classic one.
    table2_a, table2_a_p10, table2_a_p90, table2_a_width : Table 2's Approach 3 row.
    n_bootstrap : resamples in each.
    runs_needed : runs an interval as narrow as Table 2's would take at the classic width.
    wald_statistic, wald_p_value : the Wald test of the paper's unrounded constants with the
        classic bootstrap's covariance.
    besiroglu_runs_needed, besiroglu_wald_statistic : what Besiroglu et al. report for both.
    besiroglu_n_bootstrap : their number of resamples.
    corr_log_a_alpha, corr_log_b_beta, corr_alpha_beta : correlations over the classic
        bootstrap's refits of ``log A`` with ``alpha``, ``log B`` with ``beta``, and of the two
        exponents.
    paper_alpha_boot_z, paper_beta_boot_z : the paper's unrounded ``alpha`` and ``beta`` minus
        the resamples' mean, in the resamples' standard deviations.
    """

    classic: BootstrapResult
    subsample: BootstrapResult
    table: pd.DataFrame
    boot_a_p10: float
    boot_a_p50: float
    boot_a_p90: float
    boot_a_width: float
    boot_tokens_per_param_p10: float
    boot_tokens_per_param_p90: float
    boot_n_failed: int
    sub_a_p10: float
    sub_a_p90: float
    sub_a_width: float
    sub_width_ratio: float
    table2_a: float
    table2_a_p10: float
    table2_a_p90: float
    table2_a_width: float
    n_bootstrap: int
    runs_needed: float
    wald_statistic: float
    wald_p_value: float
    besiroglu_runs_needed: float
    besiroglu_wald_statistic: float
    besiroglu_n_bootstrap: int
    corr_log_a_alpha: float
    corr_log_b_beta: float
    corr_alpha_beta: float
    paper_alpha_boot_z: float
    paper_beta_boot_z: float

    @property
    def readings(self) -> dict[str, BootstrapResult]:
        """``{label: BootstrapResult}`` of the two readings, labelled as in :attr:`table`."""
        return dict(zip(self.table.index[:2], (self.classic, self.subsample), strict=True))


def two_bootstraps(
    runs: pd.DataFrame,
    fit: Approach3Result,
    table2: pd.DataFrame,
    published: pd.DataFrame,
    n_resamples: int = 100,
    seed: int = 0,
    fraction: float = 0.8,
    flops: float = CHINCHILLA_FLOPS,
) -> TwoBootstraps:
    """Bootstrap ``fit`` both ways (all runs with replacement; ``fraction`` without) and compare.

    Both start from the same seed and reuse ``fit`` (same ``delta`` and reduction) for their
    starting points. ``table2`` is ``datasets.paper.table2_exponents()``, ``published`` is
    ``datasets.paper.besiroglu_estimates()``.
    """
    arrays = run_arrays(runs)
    check_frame("table2", table2, ("approach", "a", "a_p10", "a_p90"))
    check_frame("published", published, ("quantity", "value"))
    row = table2.set_index("approach").loc["approach_3"]
    settings = dict(
        n_resamples=n_resamples, flops_for_ratio=flops, delta=fit.delta,
        reduction=fit.reduction, full_fit=fit, progress=False,
    )  # fmt: skip
    classic = bootstrap_approach3(
        *arrays, rng=np.random.default_rng(seed), method="replacement", **settings
    )
    subsample = bootstrap_approach3(
        *arrays, rng=np.random.default_rng(seed), method="subsample", fraction=fraction,
        **settings,
    )  # fmt: skip
    readings = {"classic bootstrap": classic, f"{fraction:.0%} subsample": subsample}
    table = bootstrap_readings(readings, row)
    first, second = table.iloc[0], table.iloc[1]
    width = float(row["a_p90"] - row["a_p10"])
    samples = classic.samples
    covariance = dg.bootstrap_theta_covariance(samples)
    wald = dg.wald_test(ParametricLoss.paper_unrounded(), fit.law, covariance)
    reported = published.set_index("quantity")["value"]
    return TwoBootstraps(
        classic=classic,
        subsample=subsample,
        table=table,
        **{f"boot_{k}": float(first[k]) for k in ("a_p10", "a_p50", "a_p90", "a_width")},
        boot_tokens_per_param_p10=float(first["tokens_per_param_p10"]),
        boot_tokens_per_param_p90=float(first["tokens_per_param_p90"]),
        boot_n_failed=int(first["n_failed"]),
        **{f"sub_{k}": float(second[k]) for k in ("a_p10", "a_p90", "a_width")},
        sub_width_ratio=float(second["a_width"] / first["a_width"]),
        table2_a=float(row["a"]),
        table2_a_p10=float(row["a_p10"]),
        table2_a_p90=float(row["a_p90"]),
        table2_a_width=width,
        n_bootstrap=int(n_resamples),
        runs_needed=dg.runs_for_interval_width(fit.n_points, float(first["a_width"]), width),
        wald_statistic=wald.statistic,
        wald_p_value=wald.p_value,
        besiroglu_runs_needed=float(reported["runs_needed_for_table2_width"]),
        besiroglu_wald_statistic=float(reported["wald_statistic"]),
        besiroglu_n_bootstrap=int(reported["n_bootstrap"]),
        corr_log_a_alpha=_corr(np.log(samples["A"]), samples["alpha"]),
        corr_log_b_beta=_corr(np.log(samples["B"]), samples["beta"]),
        corr_alpha_beta=_corr(samples["alpha"], samples["beta"]),
        paper_alpha_boot_z=_z(ParametricLoss.paper_unrounded().alpha, samples["alpha"]),
        paper_beta_boot_z=_z(ParametricLoss.paper_unrounded().beta, samples["beta"]),
    )


def _z(value: float, values: pd.Series) -> float:
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return float((value - finite.mean()) / finite.std(ddof=1))


def _corr(x: pd.Series, y: pd.Series) -> float:
    ok = np.isfinite(x.to_numpy(dtype=float)) & np.isfinite(y.to_numpy(dtype=float))
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


@dataclass(frozen=True)
class SubsetFits:
    """The paper's recipe on several subsets of runs.

    Attributes
    ----------
    table : one row per subset: ``n_runs``, ``flops_min``, ``flops_max`` (of the runs, FLOPs),
        ``E``, ``alpha``, ``beta``, ``a``, ``tokens_per_param`` and ``n_starts_at_best``.
    fits : ``{label: Approach3Result}`` in the same order.
    """

    table: pd.DataFrame
    fits: dict[str, Approach3Result]


def subset_fits(
    subsets: Mapping[str, pd.DataFrame],
    starts: np.ndarray,
    delta: float = dg.DEFAULT_DELTA,
    flops: float = CHINCHILLA_FLOPS,
    fitted: Mapping[str, Approach3Result] | None = None,
) -> SubsetFits:
    """The paper's recipe on each subset of runs, from the same starts.

    Parameters
    ----------
    subsets : ``{label: runs}`` (``n_params``, ``n_tokens``, ``loss``, ``flops`` each).
    starts : the grid starts every fit uses.
    delta : Huber threshold.
    flops : budget (FLOPs) of the ``tokens_per_param`` column.
    fitted : fits already made for some labels (shared with another page), used as given.

    Returns
    -------
    SubsetFits
    """
    rows, fits = {}, {}
    for label, runs in subsets.items():
        check_frame(f"subset {label!r}", runs, (*RUN_COLUMNS, "flops"))
        given = (fitted or {}).get(label)
        fit = (
            given
            if given is not None
            else fit_approach3(*run_arrays(runs), delta=delta, grid=starts)
        )
        fits[str(label)] = fit
        rows[str(label)] = {
            "n_runs": len(runs),
            "flops_min": float(runs["flops"].min()),
            "flops_max": float(runs["flops"].max()),
            **{k: fit.law.params()[k] for k in ("E", "alpha", "beta", "a")},
            "tokens_per_param": float(fit.law.tokens_per_param(flops)),
            "n_starts_at_best": int(fit.n_starts_at_best),
        }
    return SubsetFits(pd.DataFrame.from_dict(rows, orient="index"), fits)


def compute_subsets(runs: pd.DataFrame, split_flops: float = 1e21) -> dict[str, pd.DataFrame]:
    """Runs split by compute: three equal thirds, then at or below ``split_flops`` and above.

    The paper's Section 3.4 singles out runs with ``C <= 1e21`` FLOPs; its Appendix E shows the
    frontier bending. Each subset here is refitted by :func:`subset_fits`.
    """
    check_frame("runs", runs, ("flops",))
    split = float(as_positive("split_flops", split_flops))
    flops = runs["flops"].to_numpy(dtype=float)
    low, high = np.quantile(flops, [1 / 3, 2 / 3])
    return {
        "lowest third": runs[flops <= low],
        "middle third": runs[(flops > low) & (flops <= high)],
        "highest third": runs[flops > high],
        f"C <= {split:.0e}": runs[flops <= split],
        f"C > {split:.0e}": runs[flops > split],
    }


@dataclass(frozen=True)
class RangeFits:
    """The law refitted on parts of the compute range (:func:`compute_range_fits`).

    Attributes
    ----------
    fits : :func:`subset_fits` of :func:`compute_subsets`.
    range_a_low, range_a_mid, range_a_high : ``a`` on each third of the runs by compute.
    range_a_below, range_a_above : ``a`` at or below the split and above it.
    range_n_above : runs above the split.
    """

    fits: SubsetFits
    range_a_low: float
    range_a_mid: float
    range_a_high: float
    range_a_below: float
    range_a_above: float
    range_n_above: int


def compute_range_fits(
    runs: pd.DataFrame,
    starts: np.ndarray,
    split_flops: float = 1e21,
    delta: float = dg.DEFAULT_DELTA,
    flops: float = CHINCHILLA_FLOPS,
) -> RangeFits:
    """Refit on each third of the runs by compute and on either side of ``split_flops``."""
    fits = subset_fits(compute_subsets(runs, split_flops), starts, delta, flops)
    a = fits.table["a"].to_numpy(dtype=float)
    return RangeFits(
        fits=fits,
        range_a_low=float(a[0]),
        range_a_mid=float(a[1]),
        range_a_high=float(a[2]),
        range_a_below=float(a[3]),
        range_a_above=float(a[4]),
        range_n_above=int(fits.table["n_runs"].iloc[4]),
    )


def residual_spread(
    runs: pd.DataFrame, laws: Mapping[str, Any], split_flops: float = 1e21
) -> pd.DataFrame:
    """Median absolute log-loss residual of each law, at or below ``split_flops`` and above.

    Returns
    -------
    DataFrame indexed by label with ``median_abs_low``, ``median_abs_high`` (log loss),
    ``n_low`` and ``n_high`` (runs).
    """
    check_frame("runs", runs, (*RUN_COLUMNS, "flops"))
    low = runs["flops"].to_numpy(dtype=float) <= float(as_positive("split_flops", split_flops))
    rows = {}
    for label, entry in laws.items():
        r = np.abs(dg.log_residuals(_law(entry, str(label)), *run_arrays(runs)))
        rows[str(label)] = {
            "median_abs_low": float(np.median(r[low])) if low.any() else float("nan"),
            "median_abs_high": float(np.median(r[~low])) if (~low).any() else float("nan"),
            "n_low": int(low.sum()),
            "n_high": int((~low).sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def delta_refits(
    runs: pd.DataFrame,
    deltas: Sequence[float],
    starts: np.ndarray,
    flops: float = CHINCHILLA_FLOPS,
) -> pd.DataFrame:
    """The paper's recipe under each Huber threshold, with the share of residuals beyond it.

    Returns
    -------
    DataFrame indexed by ``delta`` with ``E``, ``alpha``, ``beta``, ``a``, ``tokens_per_param``
    (at ``flops``), ``n_starts_at_best`` and ``pct_beyond_delta`` (percent of runs whose
    residual lies on the loss's linear arm).
    """
    arrays = run_arrays(runs)
    rows = {}
    for delta in deltas:
        fit = fit_approach3(*arrays, delta=float(delta), grid=starts)
        residuals = dg.log_residuals(fit.law, *arrays)
        rows[float(delta)] = {
            **{k: fit.law.params()[k] for k in ("E", "alpha", "beta", "a")},
            "tokens_per_param": float(fit.law.tokens_per_param(flops)),
            "n_starts_at_best": int(fit.n_starts_at_best),
            "pct_beyond_delta": float(100 * np.mean(np.abs(residuals) > float(delta))),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("delta")


def rounding_costs(runs: pd.DataFrame, flops: float = CHINCHILLA_FLOPS) -> pd.DataFrame:
    """What rounding each of the paper's constants to its printed digits costs, one at a time.

    Each row is the unrounded (TeX) law with one constant replaced by its printed (Eq. 10)
    value, then all five: its objective on ``runs`` over the unrounded law's (the paper's Huber
    objective, delta 1e-3), and its compute-optimal size and tokens per parameter at ``flops``
    over the unrounded law's.

    Returns
    -------
    DataFrame indexed by ``E``, ``A``, ``B``, ``alpha``, ``beta``, ``all five`` with ``printed``,
    ``unrounded`` (the constant's two values; NaN for ``all five``), ``objective_ratio``,
    ``n_opt_ratio`` and ``tokens_per_param_ratio``.
    """
    import dataclasses

    arrays = run_arrays(runs)
    unrounded, rounded = ParametricLoss.paper_unrounded(), ParametricLoss.paper_rounded()
    laws = {k: dataclasses.replace(unrounded, **{k: getattr(rounded, k)}) for k in CONSTANT_NAMES}
    laws["all five"] = rounded
    base = law_objective(unrounded, *arrays)
    rows = {}
    for label, law in laws.items():
        single = label in CONSTANT_NAMES
        rows[label] = {
            "printed": getattr(rounded, label) if single else float("nan"),
            "unrounded": getattr(unrounded, label) if single else float("nan"),
            "objective_ratio": law_objective(law, *arrays) / base,
            "n_opt_ratio": float(law.n_opt(flops) / unrounded.n_opt(flops)),
            "tokens_per_param_ratio": float(
                law.tokens_per_param(flops) / unrounded.tokens_per_param(flops)
            ),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@dataclass(frozen=True)
class TableA3Summary:
    """Table A3's Approach 3 column regenerated from the paper's constants and the refit.

    Attributes
    ----------
    view : one row per printed size: printed FLOPs and tokens, ``6ND`` of them, and the ratio
        of each law's FLOPs to the printed ones.
    max_rel_diff_flops_rounded, max_rel_diff_flops_unrounded, max_rel_diff_flops_refit :
        largest ``|law / printed - 1|`` of the FLOPs, the typo row left out.
    max_rel_diff_tokens_unrounded : the same for the tokens, unrounded constants.
    min_flops_ratio_rounded, max_flops_ratio_rounded, min_flops_ratio_refit,
    max_flops_ratio_refit : range of the FLOPs ratios, the typo row left out.
    ratio_400m_unrounded, ratio_10t_unrounded : the unrounded constants' FLOPs ratio at the
        smallest and largest printed size.
    typo_params, typo_printed_flops, typo_flops_6nd : the row printed ten times too small.
    """

    view: pd.DataFrame
    max_rel_diff_flops_rounded: float
    max_rel_diff_flops_unrounded: float
    max_rel_diff_flops_refit: float
    max_rel_diff_tokens_unrounded: float
    min_flops_ratio_rounded: float
    max_flops_ratio_rounded: float
    min_flops_ratio_refit: float
    max_flops_ratio_refit: float
    ratio_400m_unrounded: float
    ratio_10t_unrounded: float
    typo_params: float
    typo_printed_flops: float
    typo_flops_6nd: float


def table_a3_summary(refit: ParametricLoss) -> TableA3Summary:
    """Table A3's Approach 3 column from the rounded and unrounded constants and ``refit``.

    Built on :func:`~chinchilla_utils.book.projections.projection_table` (each law's budget at
    which the printed size is compute-optimal); the ratios are its ``flops_rel_diff + 1``.
    """
    labels = {"rounded": "paper, rounded", "unrounded": "paper, unrounded", "refit": "book refit"}
    laws = {
        labels["rounded"]: ParametricLoss.paper_rounded(),
        labels["unrounded"]: ParametricLoss.paper_unrounded(),
        labels["refit"]: _law(refit, "refit"),
    }
    column = projection_table(laws, "approach_3")
    column = column.assign(
        flops_ratio=column["flops_rel_diff"] + 1.0, tokens_ratio=column["tokens_rel_diff"] + 1.0
    )
    ratios = column.pivot(index="params", columns="law", values="flops_ratio")[list(laws)]
    printed = column[column["law"] == labels["rounded"]].set_index("params")
    view = pd.concat(
        [
            printed[["flops_paper", "tokens_paper", "flops_6nd_paper"]],
            ratios.add_prefix("FLOPs ratio: "),
        ],
        axis=1,
    )
    clean = column[~column["typo"].astype(bool)]

    def per_law(key: str, quantity: str = "flops") -> pd.Series:
        return clean.loc[clean["law"] == labels[key], f"{quantity}_ratio"]

    typo = printed[printed["typo"].astype(bool)]
    if len(typo) != 1:
        raise ValueError(f"expected one flagged typo row in Table A3, got {len(typo)}")
    unrounded = ratios[labels["unrounded"]]
    return TableA3Summary(
        view=view,
        max_rel_diff_flops_rounded=float((per_law("rounded") - 1).abs().max()),
        max_rel_diff_flops_unrounded=float((per_law("unrounded") - 1).abs().max()),
        max_rel_diff_flops_refit=float((per_law("refit") - 1).abs().max()),
        max_rel_diff_tokens_unrounded=float((per_law("unrounded", "tokens") - 1).abs().max()),
        min_flops_ratio_rounded=float(per_law("rounded").min()),
        max_flops_ratio_rounded=float(per_law("rounded").max()),
        min_flops_ratio_refit=float(per_law("refit").min()),
        max_flops_ratio_refit=float(per_law("refit").max()),
        ratio_400m_unrounded=float(unrounded.iloc[0]),
        ratio_10t_unrounded=float(unrounded.iloc[-1]),
        typo_params=float(typo.index[0]),
        typo_printed_flops=float(typo["flops_paper"].iloc[0]),
        typo_flops_6nd=float(typo["flops_6nd_paper"].iloc[0]),
    )


_SWEEP_COLUMNS = (
    "run_id",
    "budget",
    "n_params",
    "n_tokens",
    "final_val_loss",
    "flops_per_token_6n",
    "flops_per_token_exact",
    "flops_exact",
)


def laptop_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The sweep's runs with the columns the Approach 3 functions read.

    Adds ``loss`` (the final validation loss, nats per byte), ``flops`` (``6 N D`` of the run's
    own size and bytes), ``tokens_per_param`` and ``exact_over_6n`` (the run's exact FLOPs per
    byte, embeddings and attention included, over ``6 N``).
    """
    check_frame("runs", runs, _SWEEP_COLUMNS)
    return runs.assign(
        loss=runs["final_val_loss"],
        flops=6.0 * runs["n_params"] * runs["n_tokens"],
        tokens_per_param=runs["n_tokens"] / runs["n_params"],
        exact_over_6n=runs["flops_per_token_exact"] / runs["flops_per_token_6n"],
    )


def laptop_subsets(
    sweep: pd.DataFrame, min_tokens_per_param: float = 20.0
) -> dict[str, pd.DataFrame]:
    """The sweep's runs four ways: all, without the smallest budget, without the short runs,
    and the two largest budgets only (``sweep`` from :func:`laptop_runs`)."""
    check_frame("sweep", sweep, ("budget", "tokens_per_param"))
    budgets = np.sort(sweep["budget"].unique())
    if budgets.size < 2:
        raise ValueError(f"the sweep needs at least two budgets, got {budgets.tolist()}")
    threshold = float(as_positive("min_tokens_per_param", min_tokens_per_param))
    return {
        "all runs": sweep,
        "without the smallest budget": sweep[sweep["budget"] > budgets[0]],
        f"runs with >= {threshold:g} bytes/param": sweep[sweep["tokens_per_param"] >= threshold],
        "two largest budgets only": sweep[sweep["budget"] >= budgets[-2]],
    }


@dataclass(frozen=True)
class SweepDesign:
    """What the laptop sweep's design puts into its exponents before any fit.

    Attributes
    ----------
    n_runs, n_budgets : runs and distinct budgets.
    budget_min, budget_max : smallest and largest budget (FLOPs, ``6 N D``).
    decades_n, decades_d, decades_c : decades spanned by sizes, tokens and budgets.
    centre_exponent : slope of the geometric-mean size of each budget against the budget, in
        log-log: the sizes were placed around ``N = sqrt(C / 660)``, so about 0.5 by design.
    exact_over_6n_min, exact_over_6n_max : range of the exact FLOPs per byte over ``6 N``.
    n_short : runs under the short-run threshold of bytes per parameter.
    min_tokens_per_param : that threshold (bytes per parameter).
    """

    n_runs: int
    n_budgets: int
    budget_min: float
    budget_max: float
    decades_n: float
    decades_d: float
    decades_c: float
    centre_exponent: float
    exact_over_6n_min: float
    exact_over_6n_max: float
    n_short: int
    min_tokens_per_param: float


def sweep_design(sweep: pd.DataFrame, min_tokens_per_param: float = 20.0) -> SweepDesign:
    """Summarise the sweep's design (``sweep`` from :func:`laptop_runs`)."""
    check_frame(
        "sweep", sweep, ("budget", "n_params", "n_tokens", "tokens_per_param", "exact_over_6n")
    )
    centres = sweep.groupby("budget")["n_params"].apply(lambda n: float(np.exp(np.log(n).mean())))
    slope = fit_power_law(centres.index.to_numpy(dtype=float), centres.to_numpy(dtype=float))

    def decades(column: str) -> float:
        return float(np.log10(sweep[column].max() / sweep[column].min()))

    return SweepDesign(
        n_runs=len(sweep),
        n_budgets=int(sweep["budget"].nunique()),
        budget_min=float(sweep["budget"].min()),
        budget_max=float(sweep["budget"].max()),
        decades_n=decades("n_params"),
        decades_d=decades("n_tokens"),
        decades_c=decades("budget"),
        centre_exponent=float(slope.exponent),
        exact_over_6n_min=float(sweep["exact_over_6n"].min()),
        exact_over_6n_max=float(sweep["exact_over_6n"].max()),
        n_short=int((sweep["tokens_per_param"] < float(min_tokens_per_param)).sum()),
        min_tokens_per_param=float(min_tokens_per_param),
    )


def laptop_exponents(
    sweep: pd.DataFrame,
    curves: pd.DataFrame,
    approach1_6nd: Any,
    approach2_6nd: Any,
    approach3_law: ParametricLoss,
    table2: pd.DataFrame,
) -> pd.DataFrame:
    """The three approaches' ``a`` on the sweep, under ``C = 6 N D`` and under exact FLOPs.

    Under the exact count each run costs ``exact_over_6n`` times its ``6 N D``, more for
    smaller models, so the same sizes sit at budgets that grow faster with size:

    * Approach 1 is refitted on the training curves with every point's FLOPs scaled by its
      run's ratio (``curves`` from ``book.training_curves.approach1_curves``, counting every
      parameter), from the smallest exact cost of a run at the smallest budget;
    * Approach 2's vertices keep their sizes, each at its budget times the ratio at that size
      (a power law of the ratio against size, fitted over the runs);
    * Approach 3's law is unchanged; its frontier is the loss-minimising size at each budget
      when a byte costs the exact FLOPs of that size
      (:func:`~chinchilla_utils.fitting.diagnostics.numerical_frontier`).

    Parameters
    ----------
    sweep : :func:`laptop_runs` of the sweep.
    curves : the Approach 1 input table (``run_id``, ``flops`` and the rest).
    approach1_6nd, approach2_6nd : the two fits under ``6 N D`` (results with ``a``;
        Approach 2's with ``per_budget``).
    approach3_law : Approach 3's law on every run.
    table2 : ``datasets.paper.table2_exponents()``.

    Returns
    -------
    DataFrame indexed by approach with ``a (6ND)``, ``a (exact FLOPs)``, ``a (Table 2)`` and
    ``6ND - Table 2``.
    """
    from chinchilla_utils.book.sweep_fits import APPROACH1_SMOOTH
    from chinchilla_utils.fitting.approach1 import fit_approach1

    check_frame("curves", curves, ("run_id", "flops"))
    ratio_of_run = sweep.set_index("run_id")["exact_over_6n"]
    if curves["run_id"].map(ratio_of_run).isna().any():
        raise ValueError("curves has runs that sweep does not list")
    exact_curves = curves.assign(flops=curves["flops"] * curves["run_id"].map(ratio_of_run))
    smallest = sweep[sweep["budget"] == sweep["budget"].min()]
    # Smoothed as the shared 6ND fit (book.sweep_fits.laptop_approach1), so the two compare.
    low = float(smallest["flops_exact"].min())
    a1_exact = fit_approach1(exact_curves, flops_min=low, smooth=APPROACH1_SMOOTH).a
    ratio = fit_power_law(sweep["n_params"].to_numpy(float), sweep["exact_over_6n"].to_numpy(float))
    vertices = approach2_6nd.per_budget[approach2_6nd.per_budget["status"] == "ok"]
    n_opt = vertices["n_opt"].to_numpy(dtype=float)
    a2_exact = fit_power_law(
        vertices["budget"].to_numpy(float) * ratio.predict(n_opt), n_opt
    ).exponent
    budgets = np.logspace(np.log10(sweep["budget"].min()), np.log10(sweep["budget"].max()), 9)
    sizes = dg.numerical_frontier(approach3_law, budgets, lambda n: 6.0 * n * ratio.predict(n))
    a3_exact = fit_power_law(budgets, sizes).exponent
    printed = table2.set_index("approach")["a"]
    table = pd.DataFrame(
        {
            "a (6ND)": [approach1_6nd.a, approach2_6nd.a, approach3_law.a],
            "a (exact FLOPs)": [a1_exact, a2_exact, a3_exact],
            "a (Table 2)": printed.loc[["approach_1", "approach_2", "approach_3"]].to_numpy(float),
        },
        index=["Approach 1", "Approach 2", "Approach 3"],
    ).astype(float)
    table["6ND - Table 2"] = table["a (6ND)"] - table["a (Table 2)"]
    return table


@dataclass(frozen=True)
class LaptopAnalysis:
    """Approach 3 on the laptop sweep, with the sweep's design and the three approaches.

    Attributes
    ----------
    subsets : :func:`subset_fits` of :func:`laptop_subsets` (``fits["all runs"]`` is the
        headline laptop fit).
    exponents : :func:`laptop_exponents`.
    sweep_* : the :class:`SweepDesign` numbers, prefixed.
    sweep_a_all, sweep_a_min, sweep_a_max : ``a`` of the fit to every run and its range over
        the subsets.
    laptop_a1, laptop_a2, laptop_a3 : the three approaches' ``a`` under ``C = 6 N D``.
    laptop_a1_exact, laptop_a2_exact, laptop_a3_exact : the same under the exact FLOP count.
    laptop_a_mean_diff : mean of the three ``6ND`` exponents minus Table 2's.
    """

    subsets: SubsetFits
    exponents: pd.DataFrame
    sweep_n_runs: int
    sweep_n_budgets: int
    sweep_budget_min: float
    sweep_budget_max: float
    sweep_decades_n: float
    sweep_decades_d: float
    sweep_decades_c: float
    sweep_centre_exponent: float
    sweep_exact_over_6n_min: float
    sweep_exact_over_6n_max: float
    sweep_n_short: int
    sweep_min_tokens_per_param: float
    sweep_a_all: float
    sweep_a_min: float
    sweep_a_max: float
    laptop_a1: float
    laptop_a2: float
    laptop_a3: float
    laptop_a1_exact: float
    laptop_a2_exact: float
    laptop_a3_exact: float
    laptop_a_mean_diff: float


def laptop_analysis(
    sweep: pd.DataFrame,
    curves: pd.DataFrame,
    approach1_6nd: Any,
    approach2_6nd: Any,
    table2: pd.DataFrame,
    starts: np.ndarray,
    delta: float = dg.DEFAULT_DELTA,
    min_tokens_per_param: float = 20.0,
    approach3_all: Approach3Result | None = None,
) -> LaptopAnalysis:
    """Approach 3 on the sweep's subsets, the design, and the three approaches' exponents.

    Parameters
    ----------
    sweep : :func:`laptop_runs` of the sweep.
    curves : the Approach 1 input table of the sweep (every parameter counted).
    approach1_6nd, approach2_6nd : Approaches 1 and 2 fitted on the sweep under ``6 N D``.
    table2 : ``datasets.paper.table2_exponents()``.
    starts : grid starts of the Approach 3 subset fits.
    delta : Huber threshold.
    min_tokens_per_param : bytes per parameter below which a run is "short".
    approach3_all : an Approach 3 fit on every run made elsewhere (a cached one shared between
        chapters), used for ``"all runs"`` instead of refitting.
    """
    design = sweep_design(sweep, min_tokens_per_param)
    fitted = {"all runs": approach3_all} if approach3_all is not None else None
    subsets = subset_fits(
        laptop_subsets(sweep, min_tokens_per_param), starts, delta, design.budget_max, fitted
    )
    law = subsets.fits["all runs"].law
    exponents = laptop_exponents(sweep, curves, approach1_6nd, approach2_6nd, law, table2)
    a_6nd, a_exact = exponents["a (6ND)"].to_numpy(), exponents["a (exact FLOPs)"].to_numpy()
    a_subsets = subsets.table["a"]
    return LaptopAnalysis(
        subsets=subsets,
        exponents=exponents,
        **{f"sweep_{name}": getattr(design, name) for name in number_fields(design)},
        sweep_a_all=float(a_subsets.iloc[0]),
        sweep_a_min=float(a_subsets.min()),
        sweep_a_max=float(a_subsets.max()),
        **{f"laptop_a{i + 1}": float(a_6nd[i]) for i in range(3)},
        **{f"laptop_a{i + 1}_exact": float(a_exact[i]) for i in range(3)},
        laptop_a_mean_diff=float(exponents["6ND - Table 2"].mean()),
    )
