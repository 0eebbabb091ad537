"""Smoke tests for chinchilla_utils.book.plotting (Agg backend; nothing is shown or saved)."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from chinchilla_utils.book.plotting import (  # noqa: E402
    budget_palette,
    merge_close_labels,
    plot_frontiers,
    plot_isoflop_points,
    plot_loss_contours,
    use_book_style,
)
from chinchilla_utils.fitting.approach2 import fit_approach2  # noqa: E402
from chinchilla_utils.fitting.synthetic import synthetic_isoflop_points  # noqa: E402
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier  # noqa: E402

LAW = ParametricLoss(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
BUDGETS = np.array([6e18, 1e19, 3e19, 6e19, 1e20])
MODELS = pd.DataFrame(
    {"model": ["Gopher", "Chinchilla"], "params": [2.8e11, 7.0e10], "tokens": [3.0e11, 1.4e12]}
)


@pytest.fixture
def ax():
    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)


@pytest.fixture(autouse=False)
def restore_rc():
    saved = matplotlib.rcParams.copy()
    yield
    matplotlib.rcParams.update(saved)


def test_use_book_style_sets_grid_palette_and_dpi(restore_rc):
    matplotlib.rcdefaults()
    use_book_style()
    rc = matplotlib.rcParams
    assert rc["figure.dpi"] == 110
    assert rc["axes.grid"] is True
    assert rc["axes.labelsize"] == 11
    first = rc["axes.prop_cycle"].by_key()["color"][0]
    assert to_rgba(first) == pytest.approx(to_rgba("#0173b2"), abs=0.01)  # seaborn colorblind


def _style_state() -> tuple[dict, dict]:
    """Every rcParam, and the one-letter colour codes, as they stand."""
    named = matplotlib.colors.get_named_colors_mapping()
    return dict(matplotlib.rcParams), {code: tuple(named[code]) for code in "bgrmyck"}


def test_use_book_style_is_seaborns_theme_plus_the_book_settings(restore_rc):
    """The style is written out (no seaborn import); it must be exactly what seaborn sets."""
    sns = pytest.importorskip("seaborn")
    import chinchilla_utils.book.plotting as plotting

    matplotlib.rcdefaults()
    sns.set_color_codes("reset")
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", rc=plotting._BOOK_RC)
    expected_rc, expected_codes = _style_state()

    matplotlib.rcdefaults()
    sns.set_color_codes("reset")
    use_book_style()
    rc, codes = _style_state()
    differing = {key: (rc[key], expected_rc[key]) for key in rc if rc[key] != expected_rc[key]}
    assert differing == {}
    assert codes == expected_codes
    assert codes["k"] != (0.0, 0.0, 0.0)  # the check can tell seaborn's codes from the defaults
    sns.set_color_codes("reset")


def test_book_style_does_not_import_seaborn_or_scipy_stats():
    """seaborn's import pulls in scipy.stats: about a second of every chapter's start."""
    code = (
        "import sys\n"
        "from chinchilla_utils.book.plotting import use_book_style\n"
        "use_book_style()\n"
        "print(sorted(name for name in ('seaborn', 'scipy.stats') if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_budget_palette_is_sequential_in_log_budget():
    palette = budget_palette([1e21, 6e18, 1e19, 1e21])
    assert list(palette) == [6e18, 1e19, 1e21]  # ascending, duplicates merged
    # viridis grows lighter with the value: luminance must increase with budget.
    lum = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b, _ in palette.values()]
    assert lum == sorted(lum) and lum[0] < lum[-1]
    assert len(budget_palette([1e20])) == 1
    with pytest.raises(ValueError, match="budgets must be strictly positive"):
        budget_palette([1e19, -1.0])
    with pytest.raises(ValueError, match="at least one"):
        budget_palette([])


def test_plot_isoflop_points_with_parabolas(ax):
    points = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=7)
    points.loc[len(points)] = {
        "budget": np.nan,
        "n_params": 5e8,
        "n_tokens": 1,
        "flops": 1,
        "loss": 3.0,
    }
    result = fit_approach2(points)
    out = plot_isoflop_points(ax, points, parabolas=result)
    assert out is ax
    assert ax.get_xscale() == "log"
    # One scatter per budget plus the grey 'no budget' points.
    assert len(ax.collections) == len(BUDGETS) + 1
    # Per budget: one parabola line and one vertex marker.
    assert len(ax.lines) == 2 * len(BUDGETS)
    assert ax.get_xlabel() == "Parameters N" and "nats" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "6e+18 FLOPs" in labels and "no budget" in labels


def test_plot_isoflop_points_without_parabolas_and_bad_input(ax):
    points = synthetic_isoflop_points(LAW, BUDGETS[:2], n_per_budget=4)
    plot_isoflop_points(ax, points)
    assert len(ax.collections) == 2 and len(ax.lines) == 0
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['size'\]"):
        plot_isoflop_points(ax, points, n_col="size")
    with pytest.raises(ValueError, match="matplotlib Axes"):
        plot_isoflop_points(None, points)


def test_plot_frontiers_with_models(ax):
    frontiers = {
        "Approach 3": LAW,
        "Kaplan-like": PowerLawFrontier(coefficient=1.0, exponent=0.73),
    }
    out = plot_frontiers(ax, frontiers, flops_range=(1e18, 1e25), models=MODELS)
    assert out is ax
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert [line.get_label() for line in ax.lines] == ["Approach 3", "Kaplan-like"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), LAW.n_opt(ax.lines[0].get_xdata()))
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], 6 * MODELS["params"] * MODELS["tokens"])
    np.testing.assert_allclose(offsets[:, 1], MODELS["params"])
    assert {t.get_text() for t in ax.texts} == {"Gopher", "Chinchilla"}
    assert "FLOPs" in ax.get_xlabel()


def test_coinciding_model_labels_are_merged(ax):
    from chinchilla_utils.datasets.paper import table1_models

    models = table1_models()
    plot_frontiers(ax, {"Approach 3": LAW}, models=models)
    texts = sorted(t.get_text() for t in ax.texts)
    assert "GPT-3 / Jurassic" in texts  # 175B vs 178B params, same tokens: one label
    assert len(texts) == len(models) - 1
    # No two names overlap on screen (Table 1's stars sit within half a decade of each other).
    from matplotlib.text import Text

    renderer = ax.figure.canvas.get_renderer()
    for t in ax.texts:
        t.update_positions(renderer)
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[i + 1 :]), ax.texts[i].get_text()
    # Labels of distinct markers stay apart, in order of first appearance.
    assert merge_close_labels(["a", "b", "c"], [1e20, 1.05e20, 1e22], [1e9, 1.02e9, 1e9]) == [
        ("a / b", pytest.approx(1e20), pytest.approx(1e9)),
        ("c", pytest.approx(1e22), pytest.approx(1e9)),
    ]
    with pytest.raises(ValueError, match="same shape"):
        merge_close_labels(["a"], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="x"):
        merge_close_labels(["a"], [-1.0], [1.0])


def test_separate_labels_moves_overlapping_labels_up(ax):
    from matplotlib.text import Text

    from chinchilla_utils.book.plotting import separate_labels

    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    texts = [
        ax.annotate(name, (5, 5), xytext=(0, 0), textcoords="offset points")
        for name in ("first", "second", "third")
    ]
    renderer = ax.figure.canvas.get_renderer()

    def boxes():
        for t in texts:
            t.update_positions(renderer)
        return [Text.get_window_extent(t, renderer) for t in texts]

    before = boxes()
    assert before[0].overlaps(before[1])
    separate_labels(ax, texts)
    after = boxes()
    assert after[0].y0 == pytest.approx(before[0].y0)  # the lowest stays put
    assert after[0].y1 < after[1].y0 < after[1].y1 < after[2].y0  # stacked, no overlap


def test_plot_frontiers_bad_input(ax):
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_frontiers(ax, {})
    with pytest.raises(ValueError, match="no n_opt"):
        plot_frontiers(ax, {"x": 3.0})
    with pytest.raises(ValueError, match="low < high"):
        plot_frontiers(ax, {"law": LAW}, flops_range=(1e22, 1e18))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['tokens'\]"):
        plot_frontiers(ax, {"law": LAW}, models=MODELS.drop(columns="tokens"))


def test_plot_loss_contours_with_frontier(ax):
    out = plot_loss_contours(ax, LAW, flops_range=(1e18, 1e24), n_range=(1e7, 1e12), n_grid=60)
    assert out is ax
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert len(ax.collections) >= 1  # the contour set
    (line,) = ax.lines
    assert line.get_label() == "Efficient frontier"
    np.testing.assert_allclose(line.get_ydata(), LAW.n_opt(line.get_xdata()), rtol=1e-12)
    assert len(ax.texts) > 0  # contour labels


def test_plot_loss_contours_explicit_levels_and_errors(ax):
    plot_loss_contours(ax, LAW, levels=[2.0, 2.5, 3.0], n_grid=40, frontier=False)
    assert len(ax.lines) == 0
    contour = ax.collections[0]
    np.testing.assert_allclose(contour.levels, [2.0, 2.5, 3.0])
    with pytest.raises(ValueError, match="low < high"):
        plot_loss_contours(ax, LAW, n_range=(1e12, 1e7))
    with pytest.raises(ValueError, match="loss"):
        plot_loss_contours(ax, object())
