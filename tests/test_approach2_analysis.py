"""Tests for chinchilla_utils.book.approach2_analysis (the Approach 2 chapter's helpers)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book import approach2_analysis as a2
from chinchilla_utils.book.frontier_comparison import epoch_approach2
from chinchilla_utils.datasets.epoch_ai import load_epoch_points
from chinchilla_utils.datasets.paper import isoflop_budgets
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier


@pytest.fixture(scope="module")
def points(epoch_data_dir: Path) -> pd.DataFrame:
    return load_epoch_points(path=epoch_data_dir / "svg_extracted_data.csv")


def test_budget_assignment_counts_every_run_once(points):
    assignment = a2.budget_assignment(points, 0.1)
    assert assignment.n_assigned + assignment.n_outside_tolerance == assignment.n_points_total
    assert (assignment.n_assigned, assignment.n_outside_tolerance) == (182, 63)  # loader docs
    assert assignment.per_budget["n_runs"].sum() == assignment.n_assigned
    assert assignment.per_budget["budget"].tolist() == isoflop_budgets().tolist()
    assert assignment.tolerance_factor == pytest.approx(10**0.1)
    distances = assignment.outside["budget_distance_dex"].abs().to_numpy()
    assert (distances > 0.1).all() and (np.diff(distances) <= 0).all()  # farthest first
    nearest = assignment.outside["nearest_budget"].to_numpy()
    assert np.isin(np.round(nearest / 10 ** np.floor(np.log10(nearest)), 6), [1, 3, 6]).all()


def test_headline_is_the_fit_without_flagged_runs(points):
    variants = a2.outlier_variants(points)
    assert variants.headline.n_rows_excluded == variants.n_outliers_assigned > 0
    assert variants.all_runs.n_rows_excluded == 0
    assert variants.a_without_outliers == pytest.approx(0.5104, abs=5e-4)
    assert variants.a_with_outliers == pytest.approx(0.5000, abs=5e-4)
    shift = variants.a_without_outliers - variants.a_with_outliers
    assert variants.a_outlier_shift == pytest.approx(shift, rel=1e-12)
    # the flagged runs bend their budget's parabola: curvature about twice the others'
    assert variants.curvature_outlier_budget_with > 1.5 * variants.curvature_outlier_budget_without
    assert (variants.flagged["outlier_reason"].str.len() > 0).all()
    assert variants.outlier_budget in variants.flagged["isoflop_budget"].tolist()


def test_chinchilla_projection_uses_both_paper_constructions(points):
    result = epoch_approach2(points)
    projection = a2.chinchilla_projection(result)
    anchored = PowerLawFrontier.paper("approach_2")
    assert projection.n_opt_chinchilla_paper_b == pytest.approx(62.04, rel=1e-3)
    assert projection.n_opt_chinchilla_table_fit_b == pytest.approx(64.06, rel=1e-3)
    expected = 100 * (float(result.frontier.n_opt(5.88e23)) / float(anchored.n_opt(5.88e23)) - 1)
    assert projection.n_opt_chinchilla_rel_diff_pct == pytest.approx(expected, rel=1e-12)
    assert projection.chinchilla_decades_beyond == pytest.approx(np.log10(5.88e23 / 3e21))
    assert list(projection.exponents.columns)[2:] == [
        "paper frontier, anchored",
        "paper frontier, table fit",
    ]
    np.testing.assert_allclose(projection.exponents.sum().to_numpy(), 1.0, atol=1e-9)  # b = 1 - a


def test_bootstrap_readings_table_and_widths(points):
    readings = a2.bootstrap_readings(points, n_resamples=30, seed=1)
    table = readings.table
    assert table[["unit", "method"]].values.tolist()[:4] == [
        ["runs", "subsample"],
        ["runs", "replacement"],
        ["budgets", "subsample"],
        ["budgets", "replacement"],
    ]
    np.testing.assert_allclose(table["width"], table["a_p90"] - table["a_p10"])
    assert table["width_vs_paper"].iloc[-1] == 1.0
    assert readings.paper_width == pytest.approx(0.534 - 0.462)
    assert readings.a_p10 == table.loc[0, "a_p10"]
    ratio = readings.runs_subsample_width / readings.runs_replacement_width
    assert readings.subsample_over_replacement == pytest.approx(ratio)
    # the 80% subsample of runs is the narrowest reading; resampling budgets widens it
    assert readings.runs_subsample_width < readings.budgets_subsample_width
    assert readings.scatter.p_value < 1e-3  # the vertices scatter beyond their runs' noise


def test_tolerance_sensitivity_rows(epoch_data_dir, monkeypatch):
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(epoch_data_dir))
    table = a2.tolerance_sensitivity((0.05, 0.1))
    assert table["tolerance_dex"].tolist() == [0.05, 0.1]
    assert table["runs_assigned"].tolist() == [139, 182]  # the loader's docstring
    np.testing.assert_allclose(table["a"] + table["b"], 1.0)


def test_table_a3_check_of_the_paper_frontier_is_small():
    check = a2.table_a3_check(PowerLawFrontier.paper("approach_2"))
    assert check.n_rows == 9
    assert check.rel_diff_67b_pct == pytest.approx(0.0, abs=1e-9)  # the anchor row
    assert check.flops_67b_book == pytest.approx(6.88e23, rel=1e-9)
    assert check.max_rel_diff_flops_pct == pytest.approx(8.13, abs=0.01)  # rounded rows
    assert check.implied_a == pytest.approx(0.4899, abs=1e-4)
    assert check.decades_beyond == pytest.approx(np.log10(check.table["flops_paper"].max() / 3e21))


def test_design_offsets_move_the_size_not_the_exponent():
    law = ParametricLoss.paper_unrounded()
    study = a2.design_offset_study(law, isoflop_budgets())
    constant = study.iloc[:3]
    np.testing.assert_allclose(constant["a"], law.a, atol=1e-9)  # a fixed-shape profile
    assert (np.abs(constant["n_opt_ratio"] - 1) < 0.05).all()
    assert abs(study["a"].iloc[-1] - law.a) < 2e-3  # a design drifting as C^0.5


def test_laptop_summary_matches_the_shared_fit_and_the_design():
    summary = a2.laptop_approach2_summary()
    assert summary.a == pytest.approx(0.5690, abs=5e-4)  # data/sweep/README.md: C^0.57
    assert summary.a_non_embedding == pytest.approx(0.7107, abs=5e-4)  # README: C^0.71
    assert summary.embedding_shift == pytest.approx(summary.a_non_embedding - summary.a)
    assert (summary.n_runs, summary.n_budgets, summary.n_budgets_ok) == (30, 4, 4)
    assert 1.27 < summary.flops_ratio_min < 1.3 and 1.8 < summary.flops_ratio_max < 1.85
    # the sizes sit around sqrt(C / 660): their centre scales close to C^0.5
    assert abs(summary.design_centre_a - 0.5) < 0.03
    assert summary.a_exact_flops == pytest.approx(0.5961, abs=5e-4)  # chapter 8's appendix_f
    assert summary.a_exact_flops > summary.a  # small models pay more per parameter
    assert summary.per_budget["design_centre"].notna().all()


def test_figures_draw():
    fig, axes = plt.subplots(1, 4)
    rng = np.random.default_rng(0)
    points = pd.DataFrame({"budget_distance_dex": rng.normal(0, 0.05, 50)})
    a2.plot_budget_distances(axes[0], points, 0.1)
    budgets = np.logspace(19, 21, 5)
    scatter_table = pd.DataFrame(
        {"budget": budgets, "residual_dex": rng.normal(0, 0.05, 5), "within_sd_dex": 0.02}
    )
    scatter = type("S", (), {"table": scatter_table})()
    a2.plot_vertex_residuals(axes[1], scatter)
    assert len(axes[0].patches) > 10 and axes[1].get_xscale() == "log"
    plt.close(fig)
