"""Smoke and content tests of book.approach3_figures (Agg backend; nothing shown or saved)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from chinchilla_utils.book import approach3_figures as a3fig  # noqa: E402
from chinchilla_utils.fitting.bootstrap import BootstrapResult  # noqa: E402
from chinchilla_utils.laws import ParametricLoss  # noqa: E402

LAW = ParametricLoss(E=1.8, A=480.0, B=2100.0, alpha=0.35, beta=0.37)
PAPER = ParametricLoss.paper_unrounded()


@pytest.fixture
def ax():
    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)


def _runs(n=40):
    rng = np.random.default_rng(0)
    budgets = np.array([6e18, 1e19, 3e19, 1e20])
    budget = budgets[rng.integers(0, 4, n)]
    n_params = 10 ** rng.uniform(7.5, 9, n)
    n_tokens = budget / (6 * n_params)
    loss = LAW.loss(n_params, n_tokens) * np.exp(rng.normal(0, 0.01, n))
    return pd.DataFrame(
        {
            "n_params": n_params,
            "n_tokens": n_tokens,
            "flops": budget,
            "loss": loss,
            "isoflop_budget": budget,
            "outlier": np.arange(n) < 2,
            "tokens_per_param": n_tokens / n_params,
        }
    )


def _boot(centre):
    rng = np.random.default_rng(1)
    alpha = rng.normal(0.35, 0.01, 50)
    beta = alpha * centre / (1 - centre) + rng.normal(0, 0.002, 50)
    samples = pd.DataFrame(
        {
            "E": 1.8,
            "A": 480.0,
            "B": 2100.0,
            "alpha": alpha,
            "beta": beta,
            "a": beta / (alpha + beta),
            "b": alpha / (alpha + beta),
            "tokens_per_param": 20.0,
        }
    )
    return BootstrapResult.from_samples(samples, "replacement", 50, 1.0, unit="runs")


def test_runs_on_contours_marks_outliers_and_chinchilla(ax):
    a3fig.plot_runs_on_contours(ax, LAW, _runs(), marked=(5.88e23, 7e10))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"runs", "flagged outliers", "Chinchilla"} <= set(labels)
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_runs_on_contours_with_another_flag_and_no_colorbar(ax):
    runs = _runs().assign(short=lambda r: r["tokens_per_param"] < 1.0)
    n_axes = len(ax.figure.axes)
    a3fig.plot_runs_on_contours(ax, LAW, runs, flag="short", flag_label="short", colorbar=False)
    assert len(ax.figure.axes) == n_axes
    with pytest.raises(TypeError, match="ParametricLoss"):
        a3fig.plot_runs_on_contours(ax, "law", runs)


def test_residuals_vs_compute_draws_one_series_per_law(ax):
    runs = _runs()
    a3fig.plot_residuals_vs_compute(ax, runs, {"true": LAW, "paper": PAPER}, 1e19)
    assert len(ax.collections) == 2
    true_offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(true_offsets[:, 0], runs["flops"])
    assert np.max(np.abs(true_offsets[:, 1])) < 0.05  # 1% noise around the true law
    with pytest.raises(ValueError, match="laws"):
        a3fig.plot_residuals_vs_compute(ax, runs, {})


def test_isoflop_slices_one_curve_per_budget_and_law(ax):
    a3fig.plot_isoflop_slices(ax, _runs(), {"true": LAW, "paper": PAPER})
    drawn = [line for line in ax.get_lines() if len(line.get_xdata())]
    assert len(drawn) == 4 * 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["true", "paper"]


def test_bootstrap_a_histograms_and_printed_band(ax):
    readings = {"classic": _boot(0.51), "subsample": _boot(0.52)}
    a3fig.plot_bootstrap_a(ax, readings, (0.454, 0.455), {"refit": 0.514})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) == {"refit", "classic", "subsample", "Table 2, 10-90%"}
    assert len(ax.patches) > 2 * 29  # two histograms of 29 bins, plus the band


def test_alpha_beta_ridge_lines_of_constant_a(ax):
    a3fig.plot_alpha_beta_ridge(ax, _boot(0.51).samples, {"fit": LAW}, (0.454, 0.455), (0.01, 0.02))
    ridge = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    for line, a in zip(ridge, (0.454, 0.455), strict=True):
        x, y = line.get_xdata(), line.get_ydata()
        np.testing.assert_allclose(y / (x + y), a)  # beta / (alpha + beta) = a on each ray


def test_laptop_contours_titles_and_flags_short_runs(ax):
    runs = _runs()
    assert (runs["tokens_per_param"] < 100).any()
    a3fig.plot_laptop_contours(ax, LAW, runs, min_tokens_per_param=100.0)
    assert "Laptop sweep" in ax.get_title()
    assert any("short runs" in t.get_text() for t in ax.get_legend().get_texts())


def test_scale_exponent_ridges_plot_both_clouds(ax):
    samples = _boot(0.51).samples
    a3fig.plot_scale_exponent_ridges(ax, samples, {"fit": LAW})
    clouds = ax.collections[:2]
    np.testing.assert_allclose(clouds[0].get_offsets()[:, 0], samples["alpha"])
    np.testing.assert_allclose(clouds[1].get_offsets()[:, 1], np.log(samples["B"]))
    with pytest.raises(ValueError, match="samples"):
        a3fig.plot_scale_exponent_ridges(ax, samples.drop(columns="A"))
