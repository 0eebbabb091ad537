"""The comparison chapter's frontiers, their uncertainty, Table 2 as a forest plot, and Kaplan.

Page-specific helpers for the chapter that sets the three approaches side by side
(``notebooks/05_comparing_approaches``); the generic tables are in
:mod:`chinchilla_utils.book.compare`, the fits in ``chinchilla_utils.fitting``.

* :func:`paper_frontiers`: the paper's frontiers, each built one way from its printed numbers
  (Approaches 1 and 2: :meth:`~chinchilla_utils.laws.PowerLawFrontier.paper`, anchored;
  Approach 3: :meth:`~chinchilla_utils.laws.ParametricLoss.paper`, unrounded, with the rounded
  constants as a named variant). The intro page quotes their allocations too.
* :func:`epoch_approach2`: the book's Approach 2 on Epoch AI's points, headline or variant
  (the intro's status table grades Tables 2 and A3 with it too).
* :func:`compare_frontiers`: those, the book's Approach 2 and 3 refits on Epoch AI's points and
  Kaplan et al.'s frontier in one :class:`ComparedFrontiers`. The headline Approach 2 refit
  leaves out the runs that ``load_epoch_points`` flags as badly under-trained (as the Approach
  2 chapter's headline does); the fit with every run is kept as the named variant.
* :func:`bootstrap_refits` and :func:`frontier_bands`: the refits' bootstraps turned into one
  frontier per resample, and the 10-90% band they draw at each compute.
* :func:`table2_estimates`, :func:`table2_forest`, :func:`plot_table2_forest`: Table 2 as a
  forest plot, printed exponents and intervals beside the book's.
* :func:`kaplan_head_to_head` (Appendix D.4 at 1e21 FLOPs) and :func:`growth_per_decade`
  (what ten times the compute buys in parameters and in tokens, Kaplan's restatement included).
* :func:`oversize_table`, :func:`frontier_spread`, :func:`plot_compared_frontiers`,
  :func:`plot_tokens_per_param`: the rest of the chapter's figures and tables.

Frontiers are keyed by :data:`FRONTIER_KEYS` (``"approach2_book"``, ...), labelled for legends by
:data:`LABELS`. Units: ``flops`` in training FLOPs (``C = 6ND``), sizes in parameters, data in
tokens; exponents are dimensionless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive, check_choice, check_frame
from chinchilla_utils.book.compare import optimal_allocation_table
from chinchilla_utils.book.errata import kaplan_restatement
from chinchilla_utils.book.plotting import (
    FLOPS_LABEL,
    merge_close_labels,
    plot_frontiers,
    separate_labels,
)
from chinchilla_utils.datasets.paper import experiment_value, table2_exponents
from chinchilla_utils.fitting.approach2 import Approach2Result, bootstrap_approach2, fit_approach2
from chinchilla_utils.fitting.approach3 import (
    Approach3Result,
    bootstrap_approach3,
    fit_approach3,
)
from chinchilla_utils.fitting.bootstrap import BootstrapResult
from chinchilla_utils.laws import KAPLAN_CALIBRATIONS, ParametricLoss, PowerLawFrontier

__all__ = [
    "BAND_QUANTITIES",
    "FOREST_COLUMNS",
    "FRONTIER_KEYS",
    "LABELS",
    "PAPER_SOURCE",
    "ComparedFrontiers",
    "ExponentEstimate",
    "KaplanHeadToHead",
    "RefitBootstraps",
    "bootstrap_refits",
    "compare_frontiers",
    "epoch_approach2",
    "frontier_bands",
    "frontier_spread",
    "growth_per_decade",
    "kaplan_head_to_head",
    "laptop_approach1_estimate",
    "oversize_table",
    "paper_frontiers",
    "plot_compared_frontiers",
    "plot_table2_forest",
    "plot_tokens_per_param",
    "table2_estimates",
    "table2_forest",
]

#: The chapter's frontiers, in display order.
FRONTIER_KEYS = (
    "approach1_paper",
    "approach2_paper",
    "approach2_book",
    "approach3_paper",
    "approach3_paper_rounded",
    "approach3_book",
    "kaplan",
)
#: Legend labels of :data:`FRONTIER_KEYS`.
LABELS = {
    "approach1_paper": "Approach 1 (paper)",
    "approach2_paper": "Approach 2 (paper)",
    "approach2_book": "Approach 2 (book refit)",
    "approach3_paper": "Approach 3 (paper)",
    "approach3_paper_rounded": "Approach 3 (paper, rounded constants)",
    "approach3_book": "Approach 3 (book refit)",
    "kaplan": "Kaplan et al. (2020)",
}
#: Colour per approach and line style per source: paper solid, book dashed, rounded dotted.
_STYLE = {
    "approach1_paper": ("C0", "-"),
    "approach2_paper": ("C1", "-"),
    "approach2_book": ("C1", "--"),
    "approach3_paper": ("C2", "-"),
    "approach3_paper_rounded": ("C2", ":"),
    "approach3_book": ("C2", "--"),
    "kaplan": ("C4", "-"),
}
#: Quantities :func:`frontier_bands` can band.
BAND_QUANTITIES = ("n_opt", "d_opt", "tokens_per_param")
#: Columns of :func:`table2_forest`.
FOREST_COLUMNS = ("approach", "source", "quantity", "estimate", "p10", "p90")
#: The ``source`` of Table 2's printed rows in :func:`table2_forest`.
PAPER_SOURCE = "paper (Table 2)"
#: Epoch AI's columns that :func:`compare_frontiers` reads.
_POINT_COLUMNS = ("n_params", "n_tokens", "loss", "isoflop_budget", "outlier")
_APPROACH_NAMES = {
    "approach_1": "Approach 1",
    "approach_2": "Approach 2",
    "approach_3": "Approach 3",
    "kaplan_2020": "Kaplan et al.",
}


def paper_frontiers() -> dict[str, Any]:
    """The paper's frontiers, keyed as in :data:`FRONTIER_KEYS`, each built one way.

    Approaches 1 and 2: Table 2's exponent through the 67B row of Table 3 and of Table A3
    (:meth:`~chinchilla_utils.laws.PowerLawFrontier.paper`, ``variant="anchored"``; the
    least-squares line through all nine rows is the variant ``"table_fit"``). Approach 3: the closed form (Eq. 4) of the
    unrounded constants (``"approach3_paper"``), and of the rounded Eq. 10 constants as the
    named variant (``"approach3_paper_rounded"``).
    """
    return {
        "approach1_paper": PowerLawFrontier.paper("approach_1"),
        "approach2_paper": PowerLawFrontier.paper("approach_2"),
        "approach3_paper": ParametricLoss.paper("unrounded"),
        "approach3_paper_rounded": ParametricLoss.paper("rounded"),
    }


@dataclass(frozen=True)
class ComparedFrontiers:
    """Every frontier of the comparison chapter, with the refits behind the book's.

    Attributes
    ----------
    laws : ``{key: law}`` in :data:`FRONTIER_KEYS` order; each law has ``n_opt``, ``d_opt``,
        ``tokens_per_param``, ``a`` and ``b``.
    approach2 : the book's Approach 2 refit (flagged runs left out when ``exclude_outliers``).
    approach2_variant : the same fit with the other treatment of the flagged runs.
    approach3 : the book's Approach 3 refit on the same points as ``approach2``.
    exclude_outliers : whether the refits leave out the flagged runs (the headline: True).
    n_points : Epoch AI points the refits use; ``n_outliers`` : points flagged as outliers.
    """

    laws: Mapping[str, Any]
    approach2: Approach2Result
    approach2_variant: Approach2Result
    approach3: Approach3Result
    exclude_outliers: bool
    n_points: int
    n_outliers: int

    def by_label(self, keys: Sequence[str] | None = None) -> dict[str, Any]:
        """``{label: law}`` for ``keys`` (default all), for legends and tables."""
        keys = (
            list(self.laws) if keys is None else [check_choice("key", k, self.laws) for k in keys]
        )
        return {LABELS[k]: self.laws[k] for k in keys}

    def allocations(self, flops: float) -> pd.DataFrame:
        """Each frontier's optimum at one budget (FLOPs), indexed by key.

        Columns ``a``, ``b``, ``n_opt`` (parameters), ``d_opt`` (tokens), ``tokens_per_param``.
        """
        budget = float(as_positive("flops", flops))
        table = optimal_allocation_table(self.laws, budget).set_index("frontier")
        return table.drop(columns="flops").rename_axis("key")

    def table2_laws(self) -> dict[str, Any]:
        """The book's laws keyed by Table 2's approaches, for
        :func:`~chinchilla_utils.book.compare.compare_exponents`: the two refits, and Kaplan's
        frontier (whose exponent is read from Kaplan's own Table 6). The book's Approach 1 is
        the laptop sweep's (:func:`laptop_approach1_estimate`), at other compute: no law here.
        """
        return {
            "approach_2": self.laws["approach2_book"],
            "approach_3": self.laws["approach3_book"],
            "kaplan_2020": self.laws["kaplan"],
        }

    def exponents(self) -> pd.DataFrame:
        """``a`` and ``b`` of every frontier, indexed by label."""
        return pd.DataFrame(
            {
                "a": [law.a for law in self.laws.values()],
                "b": [law.b for law in self.laws.values()],
            },
            index=pd.Index([LABELS[k] for k in self.laws], name="frontier"),
        )


def epoch_approach2(points: pd.DataFrame, exclude_outliers: bool = True) -> Approach2Result:
    """The book's Approach 2 on Epoch AI's points: the headline leaves out the runs
    ``load_epoch_points`` flags (``exclude_outliers=True``), the variant keeps every run.

    One definition for the comparison chapter and the intro's status table.
    """
    check_frame("points", points, _POINT_COLUMNS)
    if not isinstance(exclude_outliers, bool | np.bool_):
        raise TypeError(f"exclude_outliers must be True or False, got {exclude_outliers!r}")
    exclude = "outlier" if exclude_outliers else None
    return fit_approach2(
        points, budget="isoflop_budget", exclude=exclude, name=LABELS["approach2_book"]
    )


def compare_frontiers(
    points: pd.DataFrame,
    *,
    exclude_outliers: bool = True,
    kaplan_calibration: str = "kaplan_table6",
) -> ComparedFrontiers:
    """The paper's frontiers, the book's Approach 2 and 3 refits on ``points``, and Kaplan's.

    Parameters
    ----------
    points : Epoch AI's points as loaded by
        :func:`~chinchilla_utils.datasets.epoch_ai.load_epoch_points` (columns ``n_params``,
        ``n_tokens``, ``loss``, ``isoflop_budget``, ``outlier``).
    exclude_outliers : leave the flagged runs out of both refits (True, the headline) or keep
        them (the variant); ``approach2_variant`` is Approach 2 with the other choice.
    kaplan_calibration : the scale of Kaplan's frontier, one of
        :data:`~chinchilla_utils.laws.KAPLAN_CALIBRATIONS`.

    Raises
    ------
    ValueError, TypeError : bad input; :class:`~chinchilla_utils.fitting.errors.FitError` from a
        refit that fails.
    """
    check_choice("kaplan_calibration", kaplan_calibration, KAPLAN_CALIBRATIONS)
    headline = epoch_approach2(points, exclude_outliers)
    variant = epoch_approach2(points, not exclude_outliers)
    flagged = points["outlier"].to_numpy(bool)
    used = points.loc[~flagged] if exclude_outliers else points
    approach3 = fit_approach3(used[["n_params", "n_tokens", "loss"]])
    laws = paper_frontiers()
    laws.update(approach2_book=headline.frontier, approach3_book=approach3.law)
    laws["kaplan"] = PowerLawFrontier.kaplan2020(kaplan_calibration)
    return ComparedFrontiers(
        laws={key: laws[key] for key in FRONTIER_KEYS},
        approach2=headline,
        approach2_variant=variant,
        approach3=approach3,
        exclude_outliers=bool(exclude_outliers),
        n_points=int(len(used)),
        n_outliers=int(flagged.sum()),
    )


# --- uncertainty bands ----------------------------------------------------------------------


@dataclass(frozen=True)
class RefitBootstraps:
    """Bootstraps of the book's two refits, and one frontier per successful resample.

    ``approach2`` and ``approach3`` are the :class:`BootstrapResult` objects (failures counted
    there, in ``n_failed``); ``flops_for_ratio`` (FLOPs) is the budget at which the Approach 2
    bootstrap reported ``n_opt``, which with its ``a`` fixes each resample's frontier.
    """

    approach2: BootstrapResult
    approach3: BootstrapResult
    flops_for_ratio: float

    def draws(self) -> dict[str, list[Any]]:
        """``{"approach2_book": [PowerLawFrontier...], "approach3_book": [ParametricLoss...]}``.

        One law per resample that succeeded (the failed ones, rows of NaN, have no law).
        """
        two = self.approach2.samples[["a", "n_opt"]].dropna()
        three = self.approach3.samples[["E", "A", "B", "alpha", "beta"]].dropna()
        return {
            "approach2_book": [
                PowerLawFrontier.from_anchor(n, self.flops_for_ratio, a)
                for a, n in zip(two["a"], two["n_opt"], strict=True)
            ],
            "approach3_book": [ParametricLoss(*row) for row in three.itertuples(index=False)],
        }


def bootstrap_refits(
    points: pd.DataFrame,
    compared: ComparedFrontiers,
    n_resamples: int = 100,
    rng: np.random.Generator | int | None = None,
) -> RefitBootstraps:
    """Bootstrap both refits of ``compared`` on the same ``points`` and with the same choice of
    flagged runs: the paper's variant, 80% of the points (Approach 2) or runs (Approach 3)
    without replacement, ``n_resamples`` times; one generator drives both, in that order.
    """
    check_frame("points", points, _POINT_COLUMNS)
    if not isinstance(compared, ComparedFrontiers):
        raise TypeError(f"compared must be a ComparedFrontiers, got {type(compared).__name__}")
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    exclude = "outlier" if compared.exclude_outliers else None
    flops_ratio = 1e21  # inside the IsoFLOP budgets' span: the anchor of each resample's line
    two = bootstrap_approach2(
        points,
        budget="isoflop_budget",
        exclude=exclude,
        n_resamples=n_resamples,
        flops_for_ratio=flops_ratio,
        rng=generator,
    )
    used = points.loc[~points["outlier"].to_numpy(bool)] if exclude else points
    three = bootstrap_approach3(
        used[["n_params", "n_tokens", "loss"]],
        n_resamples=n_resamples,
        rng=generator,
        full_fit=compared.approach3,
    )
    return RefitBootstraps(approach2=two, approach3=three, flops_for_ratio=flops_ratio)


def frontier_bands(
    draws: Mapping[str, Sequence[Any]],
    flops: Any,
    quantity: str = "n_opt",
    low: float = 10,
    high: float = 90,
) -> pd.DataFrame:
    """Percentile bands of a frontier quantity across bootstrap draws, at each budget.

    Parameters
    ----------
    draws : ``{key: [law, ...]}``, one law per resample (:meth:`RefitBootstraps.draws`).
    flops : budgets (FLOPs, > 0, 1-d).
    quantity : ``"n_opt"`` (parameters), ``"d_opt"`` (tokens) or ``"tokens_per_param"``.
    low, high : percentiles of the band (default the paper's 10th and 90th).

    Returns
    -------
    Long DataFrame: ``frontier`` (key), ``flops``, ``low``, ``median``, ``high``.
    """
    check_choice("quantity", quantity, BAND_QUANTITIES)
    budgets = np.atleast_1d(as_positive("flops", flops)).astype(float)
    if budgets.ndim != 1:
        raise ValueError(f"flops must be a 1-d array of budgets, got shape {budgets.shape}")
    if not 0 <= low < high <= 100:
        raise ValueError(f"need 0 <= low < high <= 100 (percentiles), got {low!r} and {high!r}")
    frames = []
    for key, laws in draws.items():
        if len(laws) == 0:
            raise ValueError(f"draws[{key!r}] holds no laws: every resample failed")
        values = np.array([np.asarray(getattr(law, quantity)(budgets), float) for law in laws])
        lo, mid, hi = np.percentile(values, [low, 50, high], axis=0)
        frames.append(
            pd.DataFrame({"frontier": key, "flops": budgets, "low": lo, "median": mid, "high": hi})
        )
    return pd.concat(frames, ignore_index=True)


def _style_lines(ax: Any, keys: Sequence[str]) -> None:
    for key, line in zip(keys, ax.get_lines(), strict=False):
        colour, linestyle = _STYLE[key]
        line.set_color(colour)
        line.set_linestyle(linestyle)


def _draw_bands(ax: Any, bands: pd.DataFrame | None) -> None:
    if bands is None:
        return
    check_frame("bands", bands, ("frontier", "flops", "low", "high"))
    for key, band in bands.groupby("frontier", sort=False):
        colour = _STYLE[check_choice("bands.frontier", key, _STYLE)][0]
        ax.fill_between(band["flops"], band["low"], band["high"], color=colour, alpha=0.25, lw=0)


def plot_compared_frontiers(
    ax: Any,
    compared: ComparedFrontiers,
    bands: pd.DataFrame | None = None,
    flops_range: Sequence[float] = (1e18, 1e26),
    models: pd.DataFrame | None = None,
) -> Any:
    """Every frontier's ``N_opt`` against compute (the paper's Figure 1), with bands.

    Colours by approach, line style by source (paper solid, book dashed, rounded constants
    dotted); ``bands`` (from :func:`frontier_bands` with ``quantity="n_opt"``) are shaded in
    their frontier's colour; ``models`` (Table 1) are starred at ``C = 6ND``.
    """
    plot_frontiers(ax, compared.by_label(), flops_range=flops_range, models=models)
    _style_lines(ax, list(compared.laws))
    _draw_bands(ax, bands)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_tokens_per_param(
    ax: Any,
    compared: ComparedFrontiers,
    flops: Any,
    bands: pd.DataFrame | None = None,
    models: pd.DataFrame | None = None,
) -> Any:
    """Every frontier's ``D_opt / N_opt`` against compute, with bands and the Table 1 models."""
    budgets = np.atleast_1d(as_positive("flops", flops))
    for key, law in compared.laws.items():
        colour, linestyle = _STYLE[key]
        ax.plot(
            budgets, law.tokens_per_param(budgets), color=colour, ls=linestyle, label=LABELS[key]
        )
    _draw_bands(ax, bands)
    if models is not None:
        check_frame("models", models, ("model", "params", "tokens"))
        ratio = models["tokens"] / models["params"]
        model_flops = 6 * models["params"] * models["tokens"]
        ax.scatter(model_flops, ratio, marker="*", s=90, color="black", zorder=4, label="models")
        texts = [
            ax.annotate(name, (x, y), xytext=(5, 3), textcoords="offset points", fontsize=8,
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4", "shrinkB": 4})
            for name, x, y in merge_close_labels(list(models["model"]), model_flops, ratio)
        ]  # fmt: skip
        ax.autoscale_view()
        separate_labels(ax, texts)
    ax.set(xscale="log", yscale="log", xlabel=FLOPS_LABEL)
    ax.set_ylabel(r"Tokens per parameter $D_{\mathrm{opt}} / N_{\mathrm{opt}}$")
    ax.legend(fontsize=8, loc="lower left")
    return ax


def frontier_spread(laws: Mapping[str, Any], flops: Any) -> float:
    """Largest ratio of the biggest to the smallest ``N_opt`` among ``laws`` over ``flops``."""
    table = optimal_allocation_table(laws, flops)
    return float(table.groupby("flops")["n_opt"].agg(lambda n: n.max() / n.min()).max())


def oversize_table(frontier: Any, models: pd.DataFrame) -> pd.DataFrame:
    """Each model's size against a frontier's optimum for its own ``6ND`` compute.

    Returns a DataFrame indexed by ``model``: ``params_b`` (billions of parameters),
    ``flops_6nd`` (FLOPs), ``n_opt_b`` (the frontier's optimum there, billions of parameters)
    and ``params_over_n_opt``.
    """
    check_frame("models", models, ("model", "params", "tokens"))
    params = as_positive("models.params", models["params"].to_numpy())
    flops = 6 * params * as_positive("models.tokens", models["tokens"].to_numpy())
    n_opt = np.asarray(frontier.n_opt(flops), float)
    return pd.DataFrame(
        {
            "params_b": params / 1e9,
            "flops_6nd": flops,
            "n_opt_b": n_opt / 1e9,
            "params_over_n_opt": params / n_opt,
        },
        index=pd.Index(models["model"], name="model"),
    )


# --- Table 2 as a forest plot ---------------------------------------------------------------


@dataclass(frozen=True)
class ExponentEstimate:
    """One source's exponents ``a`` and ``b`` for one Table 2 approach.

    ``approach`` is Table 2's key (``"approach_2"``), ``source`` a label for the plot, and
    ``bootstrap`` (optional) a result with ``a`` and ``b`` samples for the 10-90% interval.
    """

    approach: str
    source: str
    a: float
    b: float
    bootstrap: BootstrapResult | None = None


def laptop_approach1_estimate(
    n_resamples: int = 100, rng: np.random.Generator | int | None = None
) -> ExponentEstimate:
    """The book's Approach 1: the laptop sweep's fit, with an 80% subsample bootstrap of its runs.

    The fit is :func:`~chinchilla_utils.book.sweep_fits.laptop_approach1` at the Approach 1
    chapter's defaults (curves smoothed over ``APPROACH1_SMOOTH`` logged points), and each
    resample is fitted alike over the same FLOP range, as that chapter's subsample reading does.
    Byte tokens and tiny models: an exponent to compare, not an allocation.
    """
    from chinchilla_utils.book.sweep_fits import APPROACH1_SMOOTH, laptop_approach1
    from chinchilla_utils.book.training_curves import approach1_curves
    from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_runs
    from chinchilla_utils.fitting.approach1 import bootstrap_approach1

    fit = laptop_approach1()
    curves = approach1_curves(load_sweep_curves(), load_sweep_runs(), count_embeddings=True)
    # resamples fitted as the fit was: its FLOP range, its smoothing (the Approach 1 chapter's)
    boot = bootstrap_approach1(
        curves,
        n_resamples=n_resamples,
        rng=rng,
        smooth=APPROACH1_SMOOTH,
        flops_min=fit.flops_min,
        flops_max=fit.flops_max,
    )
    return ExponentEstimate("approach_1", "book (laptop sweep)", fit.a, fit.b, boot)


def table2_estimates(
    compared: ComparedFrontiers, bootstraps: RefitBootstraps, laptop: ExponentEstimate
) -> list[ExponentEstimate]:
    """The book's rows of the forest plot: the laptop Approach 1, the two refits, and the
    exponents of the paper's own Eq. 10 constants (Approach 3's printed interval excludes them).
    """
    constants = compared.laws["approach3_paper"]
    law3 = compared.approach3.law
    epoch = "book (Epoch AI's points)"
    return [
        laptop,
        ExponentEstimate(
            "approach_2", epoch, compared.approach2.a, compared.approach2.b, bootstraps.approach2
        ),
        ExponentEstimate("approach_3", "paper's Eq. 10 constants", constants.a, constants.b),
        ExponentEstimate("approach_3", epoch, law3.a, law3.b, bootstraps.approach3),
    ]


def table2_forest(
    estimates: Sequence[ExponentEstimate],
    paper: pd.DataFrame | None = None,
    approaches: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Table 2's printed exponents and intervals, then each estimate's, as one tidy table.

    Parameters
    ----------
    estimates : the book's rows (:func:`table2_estimates`).
    paper : Table 2 (default: :func:`~chinchilla_utils.datasets.paper.table2_exponents`).
    approaches : the Table 2 rows to keep, in order (default all; the chapter leaves out
        Kaplan's, which has no interval and would stretch the axis to 0.73); estimates of other
        approaches raise :class:`ValueError`.

    Returns
    -------
    DataFrame with columns :data:`FOREST_COLUMNS`: ``approach`` (Table 2's key), ``source``
    (:data:`PAPER_SOURCE` for the printed rows), ``quantity`` (``"a"`` or ``"b"``),
    ``estimate``, and the 10th and 90th percentiles ``p10``, ``p90`` (NaN where none: Kaplan's
    row, an estimate without a bootstrap).
    """
    paper = table2_exponents() if paper is None else paper
    check_frame("paper", paper, ("approach", "a", "a_p10", "a_p90", "b", "b_p10", "b_p90"))
    if approaches is not None:
        keep = [check_choice("approaches", a, list(paper["approach"])) for a in approaches]
        paper = paper.set_index("approach").loc[keep].reset_index()
    rows = []
    for _, row in paper.iterrows():
        for q in ("a", "b"):
            rows.append(
                (row["approach"], PAPER_SOURCE, q, row[q], row[f"{q}_p10"], row[f"{q}_p90"])
            )
    for est in estimates:
        if not isinstance(est, ExponentEstimate):
            raise TypeError(f"estimates must be ExponentEstimate objects, got {est!r}")
        check_choice("approach", est.approach, list(paper["approach"]))
        for q in ("a", "b"):
            low, high = est.bootstrap.interval(q) if est.bootstrap is not None else (np.nan,) * 2
            rows.append((est.approach, est.source, q, float(getattr(est, q)), low, high))
    return pd.DataFrame(rows, columns=list(FOREST_COLUMNS)).astype(
        {"estimate": float, "p10": float, "p90": float}
    )


def plot_table2_forest(axes: Sequence[Any], forest: pd.DataFrame) -> Sequence[Any]:
    """A forest plot of :func:`table2_forest`: one panel per exponent (``a``, then ``b``), one
    row per (approach, source), the estimate as a marker and the 10-90% interval as a bar."""
    check_frame("forest", forest, FOREST_COLUMNS)
    if len(axes) != 2:
        raise ValueError(f"axes must be two Axes (a and b), got {len(axes)}")
    rows = forest[["approach", "source"]].drop_duplicates()
    rows = rows.assign(order=rows["approach"].map(list(dict.fromkeys(forest["approach"])).index))
    rows = rows.sort_values("order", kind="stable").reset_index(drop=True)
    y = {(r.approach, r.source): -i for i, r in enumerate(rows.itertuples())}
    sources = list(dict.fromkeys(forest["source"]))
    markers = dict(zip(sources, "osD^v", strict=False))
    for ax, quantity in zip(axes, ("a", "b"), strict=True):
        part = forest[forest["quantity"] == quantity]
        for source, group in part.groupby("source", sort=False):
            ys = [y[(a, source)] for a in group["approach"]]
            colour = f"C{sources.index(source)}"
            # a bar from p10 to p90, not an error bar: a printed estimate may lie outside it
            ax.hlines(ys, group["p10"], group["p90"], color=colour, lw=2)
            ax.plot(group["estimate"], ys, markers[source], color=colour, ms=6, label=source)
        ax.set_xlabel(f"exponent {quantity}")
        ax.axvline(0.5, color="0.6", lw=0.8, ls=":")
        ax.grid(axis="y", visible=False)
    labels = [
        f"{_APPROACH_NAMES.get(r.approach, r.approach)}: {r.source}" for r in rows.itertuples()
    ]
    for ax in axes:
        ax.set_yticks(list(y.values()), labels, fontsize=9)
        ax.set_ylim(min(y.values()) - 0.6, 0.6)
    axes[1].tick_params(labelleft=False)
    return axes


# --- Kaplan et al. against the paper ----------------------------------------------------------


@dataclass(frozen=True)
class KaplanHeadToHead:
    """Appendix D.4: Kaplan's and Approach 1's optimal sizes at 1e21 FLOPs, and the two
    models the paper trained to compare them (the smaller ended with the lower loss).

    All sizes in billions of parameters; ``flops`` in FLOPs. ``kaplan_b`` is the printed 4.68B
    (the ``"hoffmann_1e21"`` calibration is anchored on it); ``kaplan_table6_b`` is Kaplan's
    own scale at the same compute; ``approach1_b`` is the paper's Approach 1 frontier
    (:func:`paper_frontiers`) there, ``approach1_printed_b`` what Appendix D.4 prints.
    """

    flops: float
    kaplan_b: float
    kaplan_table6_b: float
    approach1_b: float
    approach1_printed_b: float
    kaplan_trained_b: float
    approach1_trained_b: float


def kaplan_head_to_head() -> KaplanHeadToHead:
    """The Appendix D.4 comparison, from ``data/experiment_design.csv`` and the frontiers."""
    flops = experiment_value("kaplan_comparison_flops")
    approach1 = PowerLawFrontier.paper("approach_1")
    return KaplanHeadToHead(
        flops=flops,
        kaplan_b=experiment_value("kaplan_comparison_kaplan_predicted_params") / 1e9,
        kaplan_table6_b=float(PowerLawFrontier.kaplan2020("kaplan_table6").n_opt(flops)) / 1e9,
        approach1_b=float(approach1.n_opt(flops)) / 1e9,
        approach1_printed_b=experiment_value("kaplan_comparison_approach1_predicted_params") / 1e9,
        kaplan_trained_b=experiment_value("kaplan_comparison_kaplan_trained_params") / 1e9,
        approach1_trained_b=experiment_value("kaplan_comparison_approach1_trained_params") / 1e9,
    )


def growth_per_decade(laws: Mapping[str, Any]) -> pd.DataFrame:
    """What ten times the compute buys: ``10**a`` times the parameters, ``10**b`` the tokens.

    One row per law (``{label: law}``) and a last row, ``"Kaplan et al., as restated by the
    paper"``, with the paper's Section 1 restatement (5.5x parameters, 1.8x tokens) and the
    exponents it implies (``log10`` of each), which fit Kaplan's 0.73 and 0.27 only loosely.

    Returns a DataFrame indexed by ``frontier``: ``a``, ``b``, ``params_x``, ``tokens_x``.
    """
    rows = {label: (float(law.a), float(law.b)) for label, law in laws.items()}
    table = pd.DataFrame(rows, index=["a", "b"]).T
    table["params_x"], table["tokens_x"] = 10 ** table["a"], 10 ** table["b"]
    printed = kaplan_restatement()  # the errata page reads the same restatement
    params_x, tokens_x = printed.printed_param_growth, printed.printed_token_growth
    restated = [np.log10(params_x), np.log10(tokens_x), params_x, tokens_x]
    table.loc["Kaplan et al., as restated by the paper"] = restated
    return table.rename_axis("frontier")
