"""The Approach 2 chapter's tables and figures, each from one function (book layer).

Page-specific helpers for the IsoFLOP chapter: how Epoch AI's points fall on the budgets
(:func:`budget_assignment`), the headline fit beside its all-runs variant
(:func:`outlier_variants`), the book's frontier at Chinchilla's compute beside the paper's
(:func:`chinchilla_projection`), the four readings of the paper's bootstrap
(:func:`bootstrap_readings`), the tolerance study (:func:`tolerance_sensitivity`), Table A3's
Approach 2 column (:func:`table_a3_check`) and the laptop sweep stated with its design
(:func:`laptop_approach2_summary`); plus the chapter's figures. The science lives in
:mod:`chinchilla_utils.fitting.approach2` and :mod:`chinchilla_utils.fitting.budget_resampling`.

The book's **headline** Approach 2 fit on Epoch AI's points leaves out the runs that
:func:`~chinchilla_utils.datasets.epoch_ai.load_epoch_points` flags as badly under-trained
(``HEADLINE_EXCLUDE``); the fit with every run is the named variant ``"all runs"``. Both come
from :func:`~chinchilla_utils.book.frontier_comparison.epoch_approach2`, the one definition
the comparison chapter and the status table use too.

Units: sizes in parameters, budgets in FLOPs, losses in nats, distances in dex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import check_frame
from chinchilla_utils.book.approach1_analysis import paper_approach1, sweep_design
from chinchilla_utils.book.frontier_comparison import epoch_approach2
from chinchilla_utils.book.projections import projection_max_rel_diff, projection_table
from chinchilla_utils.book.sweep_fits import LAPTOP_LOSS, laptop_approach1, laptop_approach2
from chinchilla_utils.compute.conventions import apply_convention, sweep_counts
from chinchilla_utils.constants import CHINCHILLA_FLOPS
from chinchilla_utils.datasets.epoch_ai import load_epoch_points
from chinchilla_utils.datasets.paper import isoflop_budgets, table2_exponents
from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_meta, load_sweep_runs
from chinchilla_utils.fitting.approach2 import Approach2Result, bootstrap_approach2, fit_approach2
from chinchilla_utils.fitting.bootstrap import BootstrapResult
from chinchilla_utils.fitting.budget_resampling import (
    VertexScatter,
    bootstrap_approach2_budgets,
    vertex_scatter,
)
from chinchilla_utils.fitting.powerlaw import fit_power_law
from chinchilla_utils.fitting.synthetic import synthetic_isoflop_points
from chinchilla_utils.laws import PowerLawFrontier

__all__ = [
    "HEADLINE_EXCLUDE",
    "BootstrapReadings",
    "BudgetAssignment",
    "ChinchillaProjection",
    "LaptopApproach2",
    "OutlierVariants",
    "TableA3Check",
    "bootstrap_readings",
    "budget_assignment",
    "chinchilla_projection",
    "design_offset_study",
    "laptop_approach2_summary",
    "outlier_variants",
    "plot_bootstrap_readings",
    "plot_budget_distances",
    "plot_vertex_frontiers",
    "plot_vertex_residuals",
    "table_a3_check",
    "tolerance_sensitivity",
]

#: The column whose flagged runs the headline fit leaves out (None: every run).
HEADLINE_EXCLUDE = "outlier"
BUDGET = "isoflop_budget"


# --- the budgets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetAssignment:
    """How Epoch AI's points fall on the nine IsoFLOP budgets.

    ``per_budget``: one row per budget (``budget``, ``n_runs``, ``n_outliers``, ``smallest_n``,
    ``largest_n``, ``median_distance_dex``); ``outside``: the runs on no budget, farthest first,
    with the ``nearest_budget``. Counts are of runs; ``tolerance_factor`` is ``10**tolerance``.
    """

    per_budget: pd.DataFrame
    outside: pd.DataFrame
    tolerance_dex: float
    tolerance_factor: float
    n_points_total: int
    n_assigned: int
    n_outside_tolerance: int
    n_budgets: int
    budget_min: float
    budget_max: float
    min_runs_per_budget: int
    max_runs_per_budget: int


def budget_assignment(points: pd.DataFrame, tolerance_dex: float) -> BudgetAssignment:
    """Count the runs per budget and list the ones outside ``tolerance_dex``."""
    check_frame("points", points, (BUDGET, "budget_distance_dex", "outlier", "n_params"))
    budgets = isoflop_budgets()
    assigned = points[BUDGET].notna()
    per_budget = (
        points[assigned]
        .groupby(BUDGET)
        .agg(
            n_runs=("n_params", "size"),
            n_outliers=("outlier", "sum"),
            smallest_n=("n_params", "min"),
            largest_n=("n_params", "max"),
            median_distance_dex=("budget_distance_dex", "median"),
        )
        .reindex(budgets)
        .rename_axis("budget")
        .reset_index()
    )
    outside = points.loc[~assigned, ["n_params", "flops", "loss", "budget_distance_dex"]]
    outside = outside.assign(nearest_budget=outside["flops"] / 10 ** outside["budget_distance_dex"])
    outside = outside.sort_values("budget_distance_dex", key=np.abs, ascending=False)
    return BudgetAssignment(
        per_budget=per_budget,
        outside=outside,
        tolerance_dex=float(tolerance_dex),
        tolerance_factor=float(10**tolerance_dex),
        n_points_total=len(points),
        n_assigned=int(assigned.sum()),
        n_outside_tolerance=int((~assigned).sum()),
        n_budgets=len(budgets),
        budget_min=float(budgets.min()),
        budget_max=float(budgets.max()),
        min_runs_per_budget=int(per_budget["n_runs"].min()),
        max_runs_per_budget=int(per_budget["n_runs"].max()),
    )


def plot_budget_distances(ax: Any, points: pd.DataFrame, tolerance_dex: float) -> Any:
    """Histogram of each run's signed distance to its nearest budget, the tolerance shaded."""
    ax.hist(points["budget_distance_dex"], bins=np.arange(-0.7, 0.7, 0.01), color="0.35")
    ax.axvspan(-tolerance_dex, tolerance_dex, color="C0", alpha=0.15, label="tolerance")
    ax.set_xlabel(r"$\log_{10}(C / \mathrm{nearest\ budget})$ (dex)")
    ax.set_ylabel("runs")
    ax.legend()
    return ax


# --- the headline fit and its variant -----------------------------------------------------


@dataclass(frozen=True)
class OutlierVariants:
    """The headline fit (flagged runs out) beside the all-runs variant.

    ``a_without_outliers`` is the headline exponent, ``a_with_outliers`` the variant's,
    ``a_outlier_shift`` their difference (headline minus variant). The curvatures (nats per
    ``(ln N)^2``) are of the one budget that holds flagged runs, with and without them, and
    the median over the other budgets; ``outlier_n_opt_shift_pct`` is how far that budget's
    vertex moves when they are left out (percent).
    """

    flagged: pd.DataFrame
    headline: Approach2Result
    all_runs: Approach2Result
    n_outliers: int
    n_outliers_assigned: int
    outlier_budget: float
    a_without_outliers: float
    a_with_outliers: float
    a_outlier_shift: float
    curvature_outlier_budget_with: float
    curvature_outlier_budget_without: float
    curvature_median_without: float
    outlier_n_opt_shift_pct: float


def outlier_variants(points: pd.DataFrame) -> OutlierVariants:
    """Fit with and without the flagged runs, and compare them where they differ.

    Raises
    ------
    ValueError : if the flagged runs that lie on a budget do not all lie on one (the chapter's
        account of them assumes so; the loader's docstring says why they do).
    """
    flagged = points.loc[points["outlier"], ["n_params", "flops", "loss", BUDGET, "outlier_reason"]]
    on_budget = flagged[BUDGET].dropna().unique()
    if len(on_budget) != 1:
        raise ValueError(f"flagged runs lie on {len(on_budget)} budgets, expected exactly 1")
    outlier_budget = float(on_budget[0])
    headline, all_runs = epoch_approach2(points), epoch_approach2(points, False)
    at = {
        label: res.per_budget.set_index("budget").loc[outlier_budget]
        for label, res in (("with", all_runs), ("without", headline))
    }
    others = headline.per_budget.set_index("budget").drop(index=outlier_budget)
    return OutlierVariants(
        flagged=flagged,
        headline=headline,
        all_runs=all_runs,
        n_outliers=len(flagged),
        n_outliers_assigned=int(flagged[BUDGET].notna().sum()),
        outlier_budget=outlier_budget,
        a_without_outliers=headline.a,
        a_with_outliers=all_runs.a,
        a_outlier_shift=headline.a - all_runs.a,
        curvature_outlier_budget_with=float(at["with"]["curvature"]),
        curvature_outlier_budget_without=float(at["without"]["curvature"]),
        curvature_median_without=float(others["curvature"].median()),
        outlier_n_opt_shift_pct=float(100 * (at["without"]["n_opt"] / at["with"]["n_opt"] - 1)),
    )


# --- the frontier at Chinchilla's compute ------------------------------------------------


@dataclass(frozen=True)
class ChinchillaProjection:
    """The book's frontier against the paper's at Chinchilla's compute (5.88e23 FLOPs).

    ``exponents``: a table of ``a`` and ``b`` for the book's fit, the paper's Table 2 and the
    paper's frontier in its two constructions (``anchored``, the book's, and the ``table_fit``
    variant). Sizes in billions of parameters; ``n_opt_chinchilla_rel_diff_pct`` is the book's
    size against the anchored paper frontier's (percent); ``chinchilla_decades_beyond`` how far
    Chinchilla's compute lies beyond the largest budget (decades).
    """

    exponents: pd.DataFrame
    paper: PowerLawFrontier
    paper_table_fit: PowerLawFrontier
    a_paper: float
    b_paper: float
    a_diff: float
    b_diff: float
    chinchilla_flops: float
    n_opt_chinchilla_b: float
    tokens_per_param_chinchilla: float
    n_opt_chinchilla_paper_b: float
    tokens_per_param_chinchilla_paper: float
    n_opt_chinchilla_table_fit_b: float
    n_opt_chinchilla_rel_diff_pct: float
    chinchilla_decades_beyond: float


def chinchilla_projection(result: Approach2Result) -> ChinchillaProjection:
    """Set the fitted frontier beside the paper's at Chinchilla's compute."""
    printed = table2_exponents().set_index("approach").loc["approach_2"]
    paper = PowerLawFrontier.paper("approach_2")
    table_fit = PowerLawFrontier.paper("approach_2", variant="table_fit")
    flops = CHINCHILLA_FLOPS
    n_book, n_paper = float(result.frontier.n_opt(flops)), float(paper.n_opt(flops))
    exponents = pd.DataFrame(
        {
            "book (Epoch AI's points)": [result.a, result.b],
            "paper (Table 2)": [float(printed["a"]), float(printed["b"])],
            "paper frontier, anchored": [paper.a, paper.b],
            "paper frontier, table fit": [table_fit.a, table_fit.b],
        },
        index=["a (N_opt ∝ C^a)", "b (D_opt ∝ C^b)"],
    )
    return ChinchillaProjection(
        exponents=exponents,
        paper=paper,
        paper_table_fit=table_fit,
        a_paper=float(printed["a"]),
        b_paper=float(printed["b"]),
        a_diff=result.a - float(printed["a"]),
        b_diff=result.b - float(printed["b"]),
        chinchilla_flops=flops,
        n_opt_chinchilla_b=n_book / 1e9,
        tokens_per_param_chinchilla=float(result.frontier.tokens_per_param(flops)),
        n_opt_chinchilla_paper_b=n_paper / 1e9,
        tokens_per_param_chinchilla_paper=float(paper.tokens_per_param(flops)),
        n_opt_chinchilla_table_fit_b=float(table_fit.n_opt(flops)) / 1e9,
        n_opt_chinchilla_rel_diff_pct=100 * (n_book / n_paper - 1),
        chinchilla_decades_beyond=float(np.log10(flops / isoflop_budgets().max())),
    )


def plot_vertex_frontiers(axes: Sequence[Any], result: Approach2Result, paper: Any) -> None:
    """``N_opt`` (left) and ``D_opt`` (right) against compute: vertices, the book's power
    laws and the paper's frontier, out to Chinchilla's compute (grey line)."""
    ok = result.per_budget[result.per_budget["status"] == "ok"]
    c_grid = np.logspace(np.log10(ok["budget"].min()) - 0.3, 24, 100)
    for ax, column, label in zip(axes, ("n_opt", "d_opt"), ("parameters", "tokens"), strict=True):
        ax.scatter(ok["budget"], ok[column], c="k", zorder=3, s=20)
        book, printed = getattr(result.frontier, column), getattr(paper, column)
        exponent = result.a if column == "n_opt" else result.b
        ax.plot(c_grid, book(c_grid), "k-", label=f"book, exponent {exponent:.3f}")
        paper_exponent = paper.a if column == "n_opt" else paper.b
        ax.plot(c_grid, printed(c_grid), "C3--", label=f"paper, exponent {paper_exponent:.2f}")
        ax.axvline(CHINCHILLA_FLOPS, color="0.6", lw=0.8)
        ax.set(xscale="log", yscale="log", xlabel="training FLOPs C", ylabel=f"optimal {label}")
        ax.legend(fontsize="small")


# --- uncertainty -------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapReadings:
    """Intervals of ``a`` by the two readings of the paper's bootstrap, on runs and on budgets.

    ``table``: one row per (``unit``, ``method``): ``a_p10``, ``a_p90``, ``width`` and
    ``width_vs_paper`` (over Table 2's width), ``n_failed``; the paper's printed interval last.
    ``boots`` holds the :class:`BootstrapResult` by ``(unit, method)``; ``scatter`` the
    :func:`~chinchilla_utils.fitting.budget_resampling.vertex_scatter` that says which unit
    the data support. The named widths are those of the table's rows.
    """

    table: pd.DataFrame
    boots: dict[tuple[str, str], BootstrapResult] = field(repr=False)
    scatter: VertexScatter = field(repr=False)
    a_p10: float = np.nan
    a_p90: float = np.nan
    paper_width: float = np.nan
    runs_subsample_width: float = np.nan
    runs_replacement_width: float = np.nan
    budgets_subsample_width: float = np.nan
    budgets_replacement_width: float = np.nan
    subsample_over_replacement: float = np.nan


def bootstrap_readings(
    points: pd.DataFrame,
    *,
    exclude_outliers: bool = True,
    n_resamples: int = 100,
    seed: int = 0,
    fraction: float = 0.8,
) -> BootstrapReadings:
    """The runs and budget bootstraps, each as an 80% subsample and as the classic bootstrap.

    Every bootstrap draws from its own ``numpy.random.default_rng(seed)``, so each row is
    reproducible on its own. ``a_p10`` and ``a_p90`` are the runs-subsample interval (the
    reading Table 2 is compared with).
    """
    exclude = HEADLINE_EXCLUDE if exclude_outliers else None
    bootstraps = {"runs": bootstrap_approach2, "budgets": bootstrap_approach2_budgets}
    rows, boots = [], {}
    for unit, bootstrap in bootstraps.items():
        for method in ("subsample", "replacement"):
            boot = bootstrap(
                points,
                budget=BUDGET,
                exclude=exclude,
                n_resamples=n_resamples,
                method=method,
                fraction=fraction,
                rng=np.random.default_rng(seed),
            )
            low, high = boot.interval("a")
            boots[(unit, method)] = boot
            rows.append((unit, method, low, high, high - low, boot.n_failed))
    printed = table2_exponents().set_index("approach").loc["approach_2"]
    paper_low, paper_high = float(printed["a_p10"]), float(printed["a_p90"])
    rows.append(("paper (Table 2)", "not stated", paper_low, paper_high, paper_high - paper_low, 0))
    table = pd.DataFrame(rows, columns=["unit", "method", "a_p10", "a_p90", "width", "n_failed"])
    table.insert(5, "width_vs_paper", table["width"] / (paper_high - paper_low))
    width = {(u, m): w for u, m, w in table[["unit", "method", "width"]].itertuples(index=False)}
    scatter = vertex_scatter(
        points, budget=BUDGET, exclude=exclude, n_resamples=n_resamples, rng=seed
    )
    return BootstrapReadings(
        table=table,
        boots=boots,
        scatter=scatter,
        a_p10=float(table.loc[0, "a_p10"]),
        a_p90=float(table.loc[0, "a_p90"]),
        paper_width=paper_high - paper_low,
        runs_subsample_width=width[("runs", "subsample")],
        runs_replacement_width=width[("runs", "replacement")],
        budgets_subsample_width=width[("budgets", "subsample")],
        budgets_replacement_width=width[("budgets", "replacement")],
        subsample_over_replacement=width[("runs", "subsample")] / width[("runs", "replacement")],
    )


def plot_bootstrap_readings(ax: Any, readings: BootstrapReadings, a_book: float) -> Any:
    """The 10-90% intervals of ``a``, one row per reading, the paper's last (a forest plot)."""
    table = readings.table.iloc[::-1].reset_index(drop=True)
    labels = [
        f"{u}, {m}" if not u.startswith("paper") else u
        for u, m in zip(table.unit, table.method, strict=True)
    ]
    colours = ["C3" if u.startswith("paper") else "k" for u in table.unit]
    ax.hlines(range(len(table)), table["a_p10"], table["a_p90"], colors=colours, lw=3)
    ax.axvline(a_book, color="0.5", lw=0.8, ls="--", label="book's a")
    ax.set_yticks(range(len(table)), labels)
    ax.set_xlabel("a, 10th to 90th percentile")
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_vertex_residuals(ax: Any, scatter: VertexScatter) -> Any:
    """Each vertex's residual from the power law, with the spread its own runs give it."""
    table = scatter.table
    ax.errorbar(
        table["budget"],
        table["residual_dex"],
        yerr=table["within_sd_dex"],
        fmt="o",
        color="k",
        capsize=3,
        label="vertex, ±1 sd from resampling its runs",
    )
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set(xscale="log", xlabel="budget (FLOPs)", ylabel="log10(vertex / power law) (dex)")
    ax.legend(fontsize="small")
    return ax


# --- choices: the tolerance, Table A3 -----------------------------------------------------


def tolerance_sensitivity(
    tolerances: Sequence[float], exclude_outliers: bool = True
) -> pd.DataFrame:
    """Approach 2 refitted with each budget-assignment tolerance (dex): one row per tolerance."""
    rows = []
    for tolerance in tolerances:
        points = load_epoch_points(budget_tolerance_dex=tolerance)
        res = epoch_approach2(points, exclude_outliers)
        assigned = int(points[BUDGET].notna().sum())
        rows.append((tolerance, assigned, res.n_budgets_ok, res.n_budgets_refused, res.a, res.b))
    columns = ["tolerance_dex", "runs_assigned", "budgets_ok", "budgets_refused", "a", "b"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class TableA3Check:
    """Table A3's Approach 2 column regenerated from a frontier.

    ``table``: :func:`~chinchilla_utils.book.projections.projection_table`'s columns for the
    shown quantities; ``implied_a`` the exponent of a power law through the printed rows (the
    ``table_fit`` variant); percentages are of the largest ``|book / paper - 1|``; the 67B row
    in FLOPs; ``decades_beyond`` how far the last row lies beyond the largest budget.
    """

    table: pd.DataFrame
    implied_a: float
    n_rows: int
    max_rel_diff_flops_pct: float
    max_rel_diff_tokens_pct: float
    worst_params: float
    flops_67b_book: float
    flops_67b_paper: float
    rel_diff_67b_pct: float
    decades_beyond: float


def table_a3_check(frontier: Any) -> TableA3Check:
    """Regenerate Table A3's Approach 2 column from ``frontier`` and summarise the gaps."""
    regen = projection_table(frontier, "approach_2")
    row_67b = regen.loc[np.isclose(regen["params"], 6.7e10)].iloc[0]
    worst = regen.loc[regen["flops_rel_diff"].abs().idxmax()]
    shown = ["params", "flops_paper", "flops_book", "flops_rel_diff"]
    shown += ["tokens_paper", "tokens_book", "tokens_rel_diff"]
    return TableA3Check(
        table=regen[shown],
        implied_a=PowerLawFrontier.paper("approach_2", variant="table_fit").exponent,
        n_rows=len(regen),
        max_rel_diff_flops_pct=100 * float(projection_max_rel_diff(regen, "flops").iloc[0]),
        max_rel_diff_tokens_pct=100 * float(projection_max_rel_diff(regen, "tokens").iloc[0]),
        worst_params=float(worst["params"]),
        flops_67b_book=float(row_67b["flops_book"]),
        flops_67b_paper=float(row_67b["flops_paper"]),
        rel_diff_67b_pct=100 * float(row_67b["flops_rel_diff"]),
        decades_beyond=float(np.log10(regen["flops_paper"].max() / isoflop_budgets().max())),
    )


def design_offset_study(
    law: Any, budgets: Any, offsets_dex: Sequence[float] = (-0.3, 0.0, 0.3), centre_exponent=0.5
) -> pd.DataFrame:
    """Approach 2 on exact IsoFLOP points of ``law`` with sizes placed off its optimum.

    One row per design: the sizes of every budget centred ``offset_dex`` decades from the
    law's optimum (nine sizes over +-0.6 dex, no noise), and a last design centred on
    ``N ∝ C^centre_exponent`` through the first budget's optimum (the laptop sweep's kind of
    design). Columns: ``design``, ``a`` (fitted), ``a_law`` (the law's own exponent) and
    ``n_opt_ratio`` (fitted over true ``N_opt`` at the largest budget).
    """
    budgets = np.sort(np.asarray(budgets, dtype=float))
    n_true = np.asarray(law.n_opt(budgets), dtype=float)
    drift = np.log10(n_true[0] * (budgets / budgets[0]) ** centre_exponent / n_true)
    designs = {f"offset {offset:+.1f} dex": offset for offset in offsets_dex}
    designs[f"centred on C^{centre_exponent:g}"] = drift
    rows = []
    for label, offset in designs.items():
        points = synthetic_isoflop_points(law, budgets, centre_offset_dex=offset)
        fit = fit_approach2(points)
        rows.append((label, fit.a, law.a, float(fit.frontier.n_opt(budgets[-1])) / n_true[-1]))
    return pd.DataFrame(rows, columns=["design", "a", "a_law", "n_opt_ratio"])


# --- the laptop sweep ----------------------------------------------------------------------


@dataclass(frozen=True)
class LaptopApproach2:
    """Approach 2 on the laptop sweep, stated with the sweep's design.

    Exponents of ``N_opt ∝ C^a``: ``a`` (the shared cached fit: final validation losses, all
    parameters, ``6ND`` budgets), ``a_exact_flops`` (budgets in Appendix F FLOPs, by
    :func:`~chinchilla_utils.compute.conventions.apply_convention` ``"appendix_f"``),
    ``a_train_loss`` (final training losses), ``a_non_embedding`` (Kaplan's count of N),
    ``a_lowest_point`` (the lowest run of each budget instead of the vertex),
    ``design_centre_a`` (the geometric mean of the sizes trained at each seed-0 budget: the
    sizes were placed around ``N = sqrt(C / 660)``; from
    :func:`~chinchilla_utils.book.approach1_analysis.sweep_design`) and ``approach1_a``
    (Approach 1 on the same sweep; ``approach1_a_paper`` is Table 2's).
    ``flops_ratio_min``/``_max``: the Appendix F count over ``6N`` across the runs (also from
    ``sweep_design``). Tokens are bytes.
    """

    result: Approach2Result
    runs: pd.DataFrame
    per_budget: pd.DataFrame
    a: float
    b: float
    n_runs: int
    n_budgets: int
    n_budgets_ok: int
    decades: float
    n_min: float
    n_max: float
    a_exact_flops: float
    a_train_loss: float
    a_non_embedding: float
    embedding_shift: float
    a_lowest_point: float
    design_centre_a: float
    design_shift: float
    approach1_a: float
    approach1_a_paper: float
    minus_approach1_a: float
    flops_ratio_min: float
    flops_ratio_max: float
    tokens_per_param_min_budget: float
    tokens_per_param_max: float


def laptop_approach2_summary(sweep_dir: Any = None) -> LaptopApproach2:
    """Approach 2 on the laptop sweep under each of the counts and choices above."""
    runs = load_sweep_runs(sweep_dir)
    result = laptop_approach2(sweep_dir)
    budgets = np.sort(runs["budget"].unique())
    # Appendix F FLOPs: each budget rescaled by its runs' geometric-mean ratio to 6ND.
    exact = fit_approach2(apply_convention(sweep_counts(runs), "appendix_f"), loss=LAPTOP_LOSS)
    train = fit_approach2(runs, loss="final_train_loss")
    non_embedding = laptop_approach2(sweep_dir, count_embeddings=False)
    lowest = runs.loc[runs.groupby("budget")[LAPTOP_LOSS].idxmin()]
    lowest_a = fit_power_law(lowest["budget"], lowest["n_params"]).exponent
    # The design (its centre, the Appendix F ratio) as the Approach 1 chapter summarises it.
    design = sweep_design(
        runs,
        load_sweep_curves(sweep_dir),
        load_sweep_curves(sweep_dir, kind="val"),
        load_sweep_meta(sweep_dir)["corpus"]["n_bytes_train"],
        paper_approach1(),
    )
    seed0 = runs[runs["seed"] == runs["seed"].min()]
    centre = np.exp(np.log(seed0["n_params"]).groupby(seed0["budget"]).mean())
    approach1_a = laptop_approach1(sweep_dir).a
    per_budget = result.per_budget.drop(columns="message").assign(
        design_centre=centre.reindex(result.per_budget["budget"]).to_numpy()
    )
    return LaptopApproach2(
        result=result,
        runs=runs,
        per_budget=per_budget,
        a=result.a,
        b=result.b,
        n_runs=len(runs),
        n_budgets=len(budgets),
        n_budgets_ok=result.n_budgets_ok,
        decades=float(np.log10(budgets.max() / budgets.min())),
        n_min=float(runs["n_params"].min()),
        n_max=float(runs["n_params"].max()),
        a_exact_flops=exact.a,
        a_train_loss=train.a,
        a_non_embedding=non_embedding.a,
        embedding_shift=non_embedding.a - result.a,
        a_lowest_point=lowest_a,
        design_centre_a=design.centre_exponent,
        design_shift=result.a - design.centre_exponent,
        approach1_a=approach1_a,
        approach1_a_paper=float(table2_exponents().set_index("approach").loc["approach_1", "a"]),
        minus_approach1_a=result.a - approach1_a,
        flops_ratio_min=design.appendix_f_ratio_min,
        flops_ratio_max=design.appendix_f_ratio_max,
        tokens_per_param_min_budget=float(result.frontier.tokens_per_param(budgets.min())),
        tokens_per_param_max=float(result.frontier.tokens_per_param(budgets.max())),
    )
