"""Tests for chinchilla_utils.book.evaluations (chapter 6)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book import evaluations as ev
from chinchilla_utils.datasets.paper import load_table

REFERENCE = pd.DataFrame(
    {
        "task": ["a", "b", "c", "d", "e"],
        "chinchilla_accuracy_pct": [70.4, 50.0, 40.0, 41.1, np.nan],
        "gopher_accuracy_pct": [69.9, 55.0, 40.0, 30.0, 20.0],
        "note": ["", "", "", "", "no Chinchilla value"],
    }
)


# --- task_outcomes / win_tie_loss -------------------------------------------


def test_outcomes_strict_higher_is_better():
    out = ev.task_outcomes([3.0, 1.0, 2.0], [1.0, 3.0, 2.0])
    assert list(out) == ["win", "loss", "tie"]


def test_outcomes_lower_is_better_flips_direction():
    # bits per byte: the smaller score wins
    out = ev.task_outcomes([0.5, 0.7], [0.6, 0.6], higher_is_better=False)
    assert list(out) == ["win", "loss"]


def test_tie_tolerance_is_inclusive_despite_round_off():
    # 64.4 - 63.9 is 0.50000000000000711 in binary floating point
    assert 64.4 - 63.9 > 0.5
    assert list(ev.task_outcomes([64.4], [63.9], tie_tolerance=0.5)) == ["tie"]
    assert list(ev.task_outcomes([63.9], [64.4], tie_tolerance=0.5)) == ["tie"]
    assert list(ev.task_outcomes([64.4], [63.9], tie_tolerance=0.49)) == ["win"]


def test_tolerance_applies_to_both_directions():
    out = ev.task_outcomes([10.0, 10.0, 10.0], [9.0, 11.0, 12.5], tie_tolerance=1.0)
    assert list(out) == ["tie", "tie", "loss"]


def test_win_tie_loss_counts_and_total():
    counts = ev.win_tie_loss([5, 4, 3, 3, 1], [1, 4, 3, 5, 2], tie_tolerance=0.0)
    assert (counts.wins, counts.ties, counts.losses) == (1, 2, 2)
    assert counts.n_tasks == 5
    assert counts.as_dict() == {"wins": 1, "ties": 2, "losses": 2, "n_tasks": 5}
    assert all(type(v) is int for v in counts.as_dict().values())


@pytest.mark.parametrize("tol", [-0.1, np.nan, [0.1, 0.2], "x"])
def test_bad_tie_tolerance_rejected(tol):
    with pytest.raises(ValueError, match="tie_tolerance"):
        ev.task_outcomes([1.0], [2.0], tie_tolerance=tol)


def test_mismatched_or_missing_scores_rejected():
    with pytest.raises(ValueError, match="same shape"):
        ev.task_outcomes([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="scores_a"):
        ev.task_outcomes([np.nan], [1.0])


def test_higher_is_better_must_be_bool():
    with pytest.raises(ValueError, match="higher_is_better"):
        ev.task_outcomes([1.0], [2.0], higher_is_better="lower")


# --- compare_models / count_outcomes / outcome_summary ----------------------


def test_compare_models_missing_raises_unless_dropped():
    with pytest.raises(ValueError, match="missing for"):
        ev.compare_models(REFERENCE)
    cmp = ev.compare_models(REFERENCE, drop_missing=True)
    assert list(cmp["task"]) == ["a", "b", "c", "d"]
    assert list(cmp["outcome"]) == ["win", "loss", "tie", "win"]
    np.testing.assert_allclose(cmp["difference"], [0.5, -5.0, 0.0, 11.1], atol=1e-12)
    np.testing.assert_allclose(cmp["relative_difference"].iloc[1], -5.0 / 55.0)


def test_compare_models_passes_tolerance_and_direction():
    cmp = ev.compare_models(REFERENCE, drop_missing=True, tie_tolerance=0.5)
    assert list(cmp["outcome"]) == ["tie", "loss", "tie", "win"]
    cmp = ev.compare_models(REFERENCE, drop_missing=True, higher_is_better=False)
    assert list(cmp["outcome"]) == ["loss", "win", "tie", "loss"]
    counts = ev.count_outcomes(cmp)
    assert (counts.wins, counts.ties, counts.losses) == (1, 1, 2)
    assert counts.higher_is_better is False


def test_compare_models_swapped_models_swap_wins_and_losses():
    ab = ev.count_outcomes(ev.compare_models(REFERENCE, drop_missing=True))
    ba = ev.count_outcomes(
        ev.compare_models(REFERENCE, model_a="gopher", model_b="chinchilla", drop_missing=True)
    )
    assert (ab.wins, ab.ties, ab.losses) == (ba.losses, ba.ties, ba.wins)


def test_compare_models_unknown_model_suggests_spelling():
    with pytest.raises(ValueError, match="did you mean 'gopher'"):
        ev.compare_models(REFERENCE, model_b="gohper", drop_missing=True)
    with pytest.raises(ValueError, match="id column"):
        ev.compare_models(REFERENCE, id_columns=["subset"], drop_missing=True)


def test_count_outcomes_rejects_foreign_tables():
    with pytest.raises(ValueError, match="outcome"):
        ev.count_outcomes(REFERENCE)
    with pytest.raises(ValueError, match="unknown outcomes"):
        ev.count_outcomes(pd.DataFrame({"outcome": ["win", "draw"]}))


def test_outcome_summary_rows():
    cmp = ev.compare_models(REFERENCE, drop_missing=True, tie_tolerance=0.5)
    summary = ev.outcome_summary({"toy": cmp})
    row = summary.iloc[0]
    assert row["benchmark"] == "toy"
    assert (row["n_tasks"], row["wins"], row["ties"], row["losses"]) == (4, 1, 2, 1)
    assert row["tie_tolerance"] == 0.5
    assert row["better_is"] == "higher"


# --- mean_vs_printed --------------------------------------------------------


def test_mean_vs_printed_difference_sign_and_match():
    check = ev.mean_vs_printed([60.0, 61.0, 61.0], printed=60.0)
    assert check.computed == pytest.approx(182.0 / 3)
    assert check.difference == pytest.approx(182.0 / 3 - 60.0)
    assert check.n_values == 3
    assert not check.matches(1)
    assert ev.mean_vs_printed([67.64, 67.6], 67.6).matches(1)
    assert not ev.mean_vs_printed([67.64, 67.6], 67.5).matches(1)


@pytest.mark.parametrize(
    ("values", "printed", "match"),
    [([], 1.0, "non-empty"), ([1.0, np.nan], 1.0, "values"), ([1.0], [1.0, 2.0], "printed")],
)
def test_mean_vs_printed_rejects_bad_input(values, printed, match):
    with pytest.raises(ValueError, match=match):
        ev.mean_vs_printed(values, printed)


# --- reshaping --------------------------------------------------------------


def test_tidy_scores_labels_and_drops_missing():
    long = ev.tidy_scores(REFERENCE, ["task"])
    assert list(long.columns) == ["task", "model", "score"]
    assert set(long["model"]) == {"Chinchilla", "Gopher"}
    assert len(long) == 9  # 5 tasks x 2 models, minus Chinchilla's missing 'e'
    got = long.set_index(["task", "model"]).loc[("d", "Chinchilla"), "score"]
    assert got == 41.1


def test_tidy_scores_model_subset_and_errors():
    long = ev.tidy_scores(REFERENCE, ["task"], models=["gopher"])
    assert set(long["model"]) == {"Gopher"} and len(long) == 5
    with pytest.raises(ValueError, match="value_suffix"):
        ev.tidy_scores(REFERENCE, ["task"], value_suffix="_bits_per_byte")
    with pytest.raises(ValueError, match="model"):
        ev.tidy_scores(REFERENCE, ["task"], models=["gpt3"])


def test_scores_wide_round_trip_to_compare_models():
    long = pd.DataFrame(
        {
            "model": ["Chinchilla", "Chinchilla", "Gopher", "Gopher", "GPT-3"],
            "n_shots": [0, 5, 0, 10, 0],
            "accuracy_pct": [43.6, 58.5, 29.5, 43.7, 20.0],
        }
    )
    wide = ev.scores_wide(long, ["n_shots"])
    assert list(wide.columns) == [
        "n_shots",
        "chinchilla_accuracy_pct",
        "gpt3_accuracy_pct",
        "gopher_accuracy_pct",
    ]
    assert wide["gopher_accuracy_pct"].isna().sum() == 1
    cmp = ev.compare_models(wide, id_columns=["n_shots"], drop_missing=True)
    assert list(cmp["n_shots"]) == [0]
    with pytest.raises(ValueError, match="several rows"):
        ev.scores_wide(pd.concat([long, long]), ["n_shots"])


# --- the paper's own tables -------------------------------------------------


def test_mmlu_table_a6_gives_the_captions_counts():
    table = load_table("tablea6_mmlu_tasks")
    counts = ev.count_outcomes(ev.compare_models(table))
    # Figure 6 caption: 51 better, 2 same, 4 worse out of 57
    assert counts.as_dict() == {"wins": 51, "ties": 2, "losses": 4, "n_tasks": 57}
    gopher = ev.mean_vs_printed(table["gopher_accuracy_pct"], 60.0)
    assert gopher.difference == pytest.approx(0.612, abs=0.001)


def test_bigbench_table_a7_mean_is_below_the_printed_average():
    table = load_table("tablea7_bigbench_tasks")
    chinchilla = ev.mean_vs_printed(table["chinchilla_accuracy_pct"], 65.1)
    assert chinchilla.n_values == 62
    assert round(chinchilla.computed, 1) == 64.5 and not chinchilla.matches(1)
    assert ev.mean_vs_printed(table["gopher_accuracy_pct"], 54.4).matches(1)
    cmp = ev.compare_models(table)
    assert set(cmp.loc[cmp["outcome"] == "loss", "task"]) == {
        "crash_blossom",
        "dark_humor_detection",
        "mathematical_induction",
        "logical_args",
    }


# --- plots ------------------------------------------------------------------


def test_plots_draw_one_artist_per_task():
    cmp = ev.compare_models(REFERENCE, drop_missing=True)
    fig, axes = plt.subplots(1, 3)
    ev.plot_task_differences(axes[0], cmp)
    heights = [p.get_height() for p in axes[0].patches]
    assert len(heights) == 4 and heights == sorted(heights, reverse=True)
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend == ["Chinchilla wins", "Chinchilla ties", "Chinchilla losses"]
    assert axes[0].get_ylabel() == "Chinchilla - Gopher (percentage points)"
    ev.plot_paired_scores(axes[1], cmp, annotate=["b"])
    assert sum(len(c.get_offsets()) for c in axes[1].collections) == 4
    assert [t.get_text() for t in axes[1].texts] == ["b"]
    ev.plot_grouped_scores(axes[2], ev.tidy_scores(REFERENCE, ["task"]), "task")
    assert len(axes[2].patches) == 10  # Chinchilla's missing 'e' is a NaN-height bar
    plt.close(fig)


def test_plot_outcome_summary_bars_fill_to_one():
    cmp = ev.compare_models(REFERENCE, drop_missing=True)
    summary = ev.outcome_summary({"toy": cmp, "toy2": cmp})
    fig, ax = plt.subplots()
    ev.plot_outcome_summary(ax, summary)
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 6
    assert sum(widths) == pytest.approx(2.0)
    assert [t.get_text() for t in ax.texts] == ["2/1/1", "2/1/1"]
    plt.close(fig)
    with pytest.raises(ValueError, match="summary column"):
        ev.plot_outcome_summary(ax, summary.drop(columns="ties"))
