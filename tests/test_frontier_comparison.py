"""Tests for chinchilla_utils.book.frontier_comparison (the comparison chapter's helpers)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book import frontier_comparison as fc
from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets.paper import table1_models, table2_exponents
from chinchilla_utils.fitting.approach2 import fit_approach2
from chinchilla_utils.fitting.bootstrap import BootstrapResult
from chinchilla_utils.fitting.synthetic import synthetic_isoflop_points
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier

BUDGETS = np.geomspace(6e18, 3e21, 6)


@pytest.fixture(scope="module")
def law() -> ParametricLoss:
    return ParametricLoss.paper("unrounded")


@pytest.fixture(scope="module")
def points(law) -> pd.DataFrame:
    """Noise-free IsoFLOP points of the paper's law, plus two flagged runs far off it."""
    clean = synthetic_isoflop_points(law, BUDGETS, n_per_budget=9).rename(
        columns={"budget": "isoflop_budget"}
    )
    clean["outlier"] = False
    budget = BUDGETS[1]
    bad = pd.DataFrame(
        {
            "isoflop_budget": budget,
            "n_params": [3e9, 5e9],
            "n_tokens": [budget / 18e9, budget / 30e9],
            "flops": budget,
            "loss": [4.0, 4.5],
            "outlier": True,
        }
    )
    return pd.concat([clean, bad], ignore_index=True)


@pytest.fixture(scope="module")
def compared(points) -> fc.ComparedFrontiers:
    return fc.compare_frontiers(points)


def _bootstrap(samples: dict) -> BootstrapResult:
    return BootstrapResult.from_samples(pd.DataFrame(samples), "subsample", 3, 0.8, unit="runs")


# --- the frontiers ---------------------------------------------------------------------------


def test_paper_frontiers_reproduce_the_printed_sizes_at_gophers_budget():
    laws = fc.paper_frontiers()
    assert list(laws) == ["approach1_paper", "approach2_paper", "approach3_paper",
                          "approach3_paper_rounded"]  # fmt: skip
    assert laws["approach1_paper"].n_opt(GOPHER_FLOPS) == pytest.approx(67e9, rel=1e-12)
    assert laws["approach2_paper"].n_opt(6.88e23) == pytest.approx(67e9, rel=1e-12)  # Table A3
    assert laws["approach2_paper"].a == 0.49
    assert laws["approach3_paper"].n_opt(GOPHER_FLOPS) == pytest.approx(40.36e9, rel=1e-3)
    assert laws["approach3_paper_rounded"].n_opt(GOPHER_FLOPS) == pytest.approx(32.19e9, rel=1e-3)


def test_compare_frontiers_refits_without_the_flagged_runs(points, compared, law):
    clean = points[~points["outlier"]]
    assert list(compared.laws) == list(fc.FRONTIER_KEYS)
    assert compared.n_points == len(clean) and compared.n_outliers == 2
    # the headline is the fit of the clean points; the variant keeps the two flagged runs
    expected = fit_approach2(clean, budget="isoflop_budget")
    assert compared.approach2.a == pytest.approx(expected.a, abs=1e-12)
    assert abs(compared.approach2_variant.a - compared.approach2.a) > 1e-3
    assert compared.approach2.a == pytest.approx(law.a, abs=0.01)  # parabola vs exact profile
    # Approach 3 on noise-free points of the law recovers the law
    fitted = compared.approach3.law
    assert fitted.alpha == pytest.approx(law.alpha, rel=1e-3)
    assert fitted.beta == pytest.approx(law.beta, rel=1e-3)
    assert compared.laws["approach3_book"] is fitted
    assert compared.laws["kaplan"].a == 0.73


def test_compare_frontiers_variant_swaps_the_choice(points, compared):
    kept = fc.compare_frontiers(points, exclude_outliers=False)
    assert kept.approach2.a == pytest.approx(compared.approach2_variant.a, abs=1e-12)
    assert kept.approach2_variant.a == pytest.approx(compared.approach2.a, abs=1e-12)
    assert kept.n_points == len(points)


def test_compare_frontiers_rejects_bad_input(points):
    with pytest.raises(ValueError, match="outlier"):
        fc.compare_frontiers(points.drop(columns="outlier"))
    with pytest.raises(TypeError, match="exclude_outliers"):
        fc.compare_frontiers(points, exclude_outliers="false")
    with pytest.raises(ValueError, match="kaplan_calibration"):
        fc.compare_frontiers(points, kaplan_calibration="kaplan")


def test_allocations_and_labels(compared):
    table = compared.allocations(GOPHER_FLOPS)
    assert list(table.index) == list(fc.FRONTIER_KEYS)
    assert table.loc["approach1_paper", "n_opt"] == pytest.approx(67e9, rel=1e-12)
    np.testing.assert_allclose(table["tokens_per_param"], table["d_opt"] / table["n_opt"])
    np.testing.assert_allclose(table["n_opt"] * table["d_opt"] * 6, GOPHER_FLOPS, rtol=1e-12)
    assert list(compared.by_label(["kaplan"])) == ["Kaplan et al. (2020)"]
    with pytest.raises(ValueError, match="key"):
        compared.by_label(["approach4"])
    assert set(compared.table2_laws()) == {"approach_2", "approach_3", "kaplan_2020"}
    assert compared.exponents().loc["Approach 1 (paper)", "a"] == 0.5


# --- bands -----------------------------------------------------------------------------------


def test_draws_rebuild_each_resample_and_skip_failures():
    two = _bootstrap({"a": [0.5, np.nan, 0.52], "n_opt": [1e9, np.nan, 2e9]})
    three = _bootstrap(
        {
            "E": [1.7, 1.8],
            "A": [400.0, 500.0],
            "B": [410.0, 2000.0],
            "alpha": [0.34, 0.35],
            "beta": [0.28, 0.37],
        }  # fmt: skip
    )
    draws = fc.RefitBootstraps(two, three, flops_for_ratio=1e21).draws()
    lines = draws["approach2_book"]
    assert len(lines) == 2  # the failed resample (NaN) has no frontier
    assert lines[1].n_opt(1e21) == pytest.approx(2e9, rel=1e-12) and lines[1].a == 0.52
    assert lines[0].n_opt(1e23) == pytest.approx(1e9 * 100**0.5, rel=1e-12)
    assert draws["approach3_book"][1] == ParametricLoss(1.8, 500.0, 2000.0, 0.35, 0.37)


def test_frontier_bands_are_percentiles_across_draws():
    laws = [PowerLawFrontier(k, 0.5) for k in (1.0, 2.0, 3.0, 4.0, 5.0)]
    flops = np.array([1e20, 1e22])
    band = fc.frontier_bands({"x": laws}, flops, low=0, high=100)
    np.testing.assert_allclose(band["low"], 1.0 * flops**0.5)
    np.testing.assert_allclose(band["median"], 3.0 * flops**0.5)
    np.testing.assert_allclose(band["high"], 5.0 * flops**0.5)
    ratio = fc.frontier_bands({"x": laws}, flops, "tokens_per_param", low=25, high=75)
    np.testing.assert_allclose(ratio["high"], 1 / (6 * 2.0**2))  # 75th percentile: k = 2
    assert list(ratio.columns) == ["frontier", "flops", "low", "median", "high"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"quantity": "loss"}, "quantity"), ({"low": 90, "high": 10}, "low < high")],
)
def test_frontier_bands_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fc.frontier_bands({"x": [PowerLawFrontier(1.0, 0.5)]}, [1e20], **kwargs)
    with pytest.raises(ValueError, match="every resample failed"):
        fc.frontier_bands({"x": []}, [1e20])


def test_bootstrap_refits_on_the_same_points(points, compared):
    boots = fc.bootstrap_refits(points, compared, n_resamples=8, rng=3)
    assert boots.approach2.n_resamples == 8 and boots.approach3.n_resamples == 8
    draws = boots.draws()
    assert len(draws["approach3_book"]) == 8 - boots.approach3.n_failed
    band = fc.frontier_bands(draws, [1e20, 1e24]).set_index(["frontier", "flops"])
    for key in ("approach2_book", "approach3_book"):  # noise-free: bands hug the point fit
        point = compared.laws[key].n_opt(1e24)
        assert band.loc[(key, 1e24), "low"] <= point * 1.001
        assert band.loc[(key, 1e24), "high"] >= point * 0.999
    again = fc.bootstrap_refits(points, compared, n_resamples=8, rng=3)
    pd.testing.assert_frame_equal(again.approach2.samples, boots.approach2.samples)


# --- Table 2 ---------------------------------------------------------------------------------


def test_table2_forest_keeps_the_printed_rows_and_the_intervals():
    boot = _bootstrap({"a": [0.40, 0.50, 0.60], "b": [0.60, 0.50, 0.40]})
    est = fc.ExponentEstimate("approach_2", "book", 0.5, 0.5, boot)
    forest = fc.table2_forest([est, fc.ExponentEstimate("approach_3", "constants", 0.45, 0.55)])
    assert list(forest.columns) == list(fc.FOREST_COLUMNS)
    printed = forest[forest["source"] == fc.PAPER_SOURCE].set_index(["approach", "quantity"])
    assert len(printed) == 2 * len(table2_exponents())
    row = printed.loc[("approach_1", "b")]  # the printed b lies below its own interval
    assert (row["estimate"], row["p10"], row["p90"]) == (0.50, 0.501, 0.512)
    book = forest[forest["source"] == "book"].set_index("quantity")
    assert book.loc["a", "p10"] == pytest.approx(np.percentile([0.4, 0.5, 0.6], 10))
    assert forest[forest["source"] == "constants"]["p10"].isna().all()
    kept = fc.table2_forest([est], approaches=["approach_2", "approach_1"])
    assert list(dict.fromkeys(kept["approach"])) == ["approach_2", "approach_1"]
    with pytest.raises(ValueError, match="approach"):
        fc.table2_forest([fc.ExponentEstimate("approach_4", "x", 0.5, 0.5)])
    with pytest.raises(TypeError, match="ExponentEstimate"):
        fc.table2_forest([("approach_2", 0.5)])


def test_plot_table2_forest_draws_an_estimate_outside_its_interval():
    forest = fc.table2_forest([], approaches=["approach_1", "approach_3"])
    fig, axes = plt.subplots(1, 2, sharey=True)
    fc.plot_table2_forest(axes, forest)
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert labels == ["Approach 1: paper (Table 2)", "Approach 3: paper (Table 2)"]
    marker = axes[1].get_lines()[0]  # b of Approach 1: 0.50, its bar 0.501-0.512
    assert marker.get_xdata()[0] == 0.50
    plt.close(fig)
    with pytest.raises(ValueError, match="two Axes"):
        fc.plot_table2_forest([axes[0]], forest)


def test_table2_estimates_names_the_rows(compared):
    boots = fc.RefitBootstraps(
        _bootstrap({"a": [0.5, 0.51], "b": [0.5, 0.49], "n_opt": [1e9, 1e9]}),
        _bootstrap({"a": [0.5, 0.51], "b": [0.5, 0.49]}),
        1e21,
    )
    laptop = fc.ExponentEstimate("approach_1", "book (laptop sweep)", 0.49, 0.51)
    rows = fc.table2_estimates(compared, boots, laptop)
    assert [(r.approach, r.source) for r in rows] == [
        ("approach_1", "book (laptop sweep)"),
        ("approach_2", "book (Epoch AI's points)"),
        ("approach_3", "paper's Eq. 10 constants"),
        ("approach_3", "book (Epoch AI's points)"),
    ]
    assert rows[2].a == pytest.approx(0.4565259, abs=1e-7)  # beta / (alpha + beta), unrounded
    assert rows[2].bootstrap is None and rows[3].bootstrap is boots.approach3


def test_laptop_approach1_estimate_is_the_sweep_fit():
    from chinchilla_utils.book.sweep_fits import laptop_approach1

    est = fc.laptop_approach1_estimate(n_resamples=5, rng=0)
    assert (est.a, est.b) == (laptop_approach1().a, laptop_approach1().b)
    assert est.bootstrap.n_resamples == 5 and est.bootstrap.method == "subsample"


# --- Kaplan and the rest ---------------------------------------------------------------------


def test_kaplan_head_to_head_known_answers():
    d4 = fc.kaplan_head_to_head()
    assert d4.flops == 1e21
    assert (d4.kaplan_b, d4.approach1_printed_b) == (4.68, 2.86)
    assert (d4.kaplan_trained_b, d4.approach1_trained_b) == (4.74, 2.80)
    assert d4.approach1_b == pytest.approx(67 * (1e21 / 5.76e23) ** 0.5, rel=1e-12)
    assert d4.kaplan_table6_b == pytest.approx(1.3 * (1e21 / 8.64e19) ** 0.73, rel=1e-12)


def test_growth_per_decade_and_the_restatement():
    table = fc.growth_per_decade(
        {"half": PowerLawFrontier(1.0, 0.5), "kaplan": PowerLawFrontier(1.0, 0.73)}
    )
    assert table.loc["half", "params_x"] == pytest.approx(10**0.5)
    assert table.loc["kaplan", "tokens_x"] == pytest.approx(10**0.27)
    restated = table.loc["Kaplan et al., as restated by the paper"]
    assert (restated["params_x"], restated["tokens_x"]) == (5.5, 1.8)
    assert restated["a"] == pytest.approx(np.log10(5.5)) and restated["a"] + restated["b"] < 1


def test_oversize_table_and_spread():
    frontier = PowerLawFrontier.paper("approach_1")
    table = fc.oversize_table(frontier, table1_models())
    assert table.loc["Gopher", "flops_6nd"] == pytest.approx(6 * 280e9 * 300e9)
    assert table.loc["Gopher", "n_opt_b"] == pytest.approx(67 * (5.04e23 / 5.76e23) ** 0.5)
    assert table.loc["Gopher", "params_b"] == 280
    assert table.loc["Chinchilla", "params_over_n_opt"] == pytest.approx(1.034, abs=1e-3)
    laws = {"one": PowerLawFrontier(1.0, 0.5), "two": PowerLawFrontier(2.0, 0.5)}
    assert fc.frontier_spread(laws, np.geomspace(1e18, 1e26, 9)) == pytest.approx(2.0)


def test_plots_draw_every_frontier(compared):
    fig, (left, right) = plt.subplots(1, 2)
    flops = np.geomspace(1e18, 1e26, 20)
    band = pd.DataFrame({"frontier": "approach2_book", "flops": flops, "low": 1.0, "high": 2.0})
    fc.plot_compared_frontiers(left, compared, band, (1e18, 1e26), table1_models())
    fc.plot_tokens_per_param(right, compared, flops, None, table1_models())
    assert [line.get_label() for line in left.get_lines()][:7] == list(fc.LABELS.values())
    assert left.get_lines()[2].get_linestyle() == "--"  # the book's Approach 2 refit
    assert len(left.collections) >= 2  # the models' stars and the band
    assert len(right.get_lines()) == 7
    plt.close(fig)
    with pytest.raises(ValueError, match="bands"):
        fc.plot_compared_frontiers(plt.subplots()[1], compared, band.drop(columns="low"))
