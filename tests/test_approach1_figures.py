"""Smoke and content tests for chinchilla_utils.book.approach1_figures (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from chinchilla_utils.book import approach1_analysis as a1  # noqa: E402
from chinchilla_utils.book import approach1_figures as a1f  # noqa: E402
from chinchilla_utils.book.plotting import budget_palette  # noqa: E402
from chinchilla_utils.book.sweep_fits import APPROACH1_SMOOTH, laptop_approach1  # noqa: E402
from chinchilla_utils.book.training_curves import approach1_curves, smooth_curves  # noqa: E402
from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_runs  # noqa: E402


@pytest.fixture(scope="module")
def sweep():
    runs = load_sweep_runs()
    train = load_sweep_curves()
    curves = approach1_curves(train, runs)
    palette = budget_palette(np.sort(curves["n_params"].unique()))
    return runs, train, load_sweep_curves(kind="val"), curves, palette


@pytest.fixture
def figure():
    fig = plt.figure()
    yield fig
    plt.close(fig)


def test_plot_envelope_draws_every_run_and_the_fitted_points(sweep, figure):
    runs, _, _, curves, palette = sweep
    ax = figure.subplots()
    result = laptop_approach1()
    a1f.plot_envelope(ax, smooth_curves(curves, APPROACH1_SMOOTH), result, palette)
    # One line per run, the envelope, one legend handle per size.
    assert len(ax.lines) == len(runs) + 1 + len(palette)
    (points,) = ax.collections[:1]
    assert len(points.get_offsets()) == result.n_envelope_points
    assert ax.get_xscale() == "log"


def test_select_pairs_takes_the_extremes_and_the_median():
    pairs = pd.DataFrame(
        {"gap": [0.3, -0.1, 0.2, 0.0, 0.1], "short_run_id": list("abcde"), "long_run_id": "z"}
    )
    chosen = a1f.select_pairs(pairs, 3)
    assert chosen["gap"].tolist() == [-0.1, 0.1, 0.3]
    with pytest.raises(ValueError, match="fewer than"):
        a1f.select_pairs(pairs, 6)


def test_plot_horizon_effect_one_panel_per_pair(sweep, figure):
    runs, train, val, _, _ = sweep
    summary = a1.horizon_summary(train, runs, smooth=APPROACH1_SMOOTH)
    chosen = a1f.select_pairs(summary.pairs, 2)
    axes = figure.subplots(1, 2)
    a1f.plot_horizon_effect(axes, smooth_curves(train, APPROACH1_SMOOTH), val, chosen)
    for ax, (_, pair) in zip(axes, chosen.iterrows(), strict=True):
        # Two curves, two sets of validation points, and the line at the short run's end.
        assert len(ax.lines) == 5
        assert ax.lines[-1].get_xdata()[0] == pair["n_tokens"]
    with pytest.raises(ValueError, match="2 Axes"):
        a1f.plot_horizon_effect(axes[:1], train, val, chosen)


def test_plot_frontier_fits_labels_the_exponents(sweep, figure):
    *_, palette = sweep
    result = laptop_approach1()
    axes = figure.subplots(1, 2)
    a1f.plot_frontier_fits(axes, result, palette)
    labels = [ax.get_legend().get_texts()[0].get_text() for ax in axes]
    assert labels == [f"power law, a = {result.a:.3f}", f"power law, b = {result.b:.3f}"]


def test_plot_bootstrap_readings_draws_three_histograms_and_the_paper_band(sweep, figure):
    _, _, _, curves, _ = sweep
    paper = a1.paper_approach1()
    readings = a1.bootstrap_readings(
        curves, laptop_approach1(), n_resamples=30, seed=1, paper=paper, smooth=APPROACH1_SMOOTH
    )
    ax = figure.subplots()
    a1f.plot_bootstrap_readings(ax, readings, paper)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum("width" in text for text in texts) == 4
    assert any(text.startswith("Table 2: width 0.014") for text in texts)
    with pytest.raises(ValueError, match="Axes"):
        a1f.plot_bootstrap_readings("not an axes", readings, paper)


def test_styled_table_formats_by_magnitude():
    frame = pd.DataFrame(
        {
            "name": ["x", "y"],
            "flops": [3e11, 1e13],
            "n_params": [9312.0, 416480.0],
            "a": [0.50818, np.nan],
            "diff": [0.0693, -0.0125],
            "flag": [True, False],
        }
    )
    html = a1f.styled_table(frame, percent=["diff"]).to_html()
    for text in ("3e+11", "1e+13", "9,312", "416,480", "0.508", "+6.9%", "-1.2%"):
        assert text in html
    with pytest.raises(ValueError, match="percent"):
        a1f.styled_table(frame, percent=["missing"])
    with pytest.raises(ValueError, match="DataFrame"):
        a1f.styled_table(frame.to_dict())
