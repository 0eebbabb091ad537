"""Tests for chinchilla_utils.book.evaluations (the Gopher versus Chinchilla chapter)."""

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


# --- the chapter's benchmarks, one result object each -------------------------------------------


def test_benchmark_counts_tasks_and_extremes_on_a_known_table():
    table = REFERENCE.dropna(subset=["chinchilla_accuracy_pct"])
    bench = ev.Benchmark(name="toy", comparison=ev.compare_models(table))
    assert (bench.wins, bench.ties, bench.losses, bench.n_tasks) == (2, 1, 1, 4)
    assert bench.tasks("loss") == ("b",)
    assert bench.max_gain == pytest.approx(11.1)
    assert bench.min_gain == pytest.approx(-5.0)
    assert bench.extreme_tasks(2) == ["b", "d"]
    assert bench.extreme_tasks(3) == ["b", "a", "d"]
    assert bench.score("d", "score_b") == 30.0
    with pytest.raises(ValueError, match="label"):
        bench.score("zzz")
    with pytest.raises(ValueError, match="outcome"):
        bench.tasks("draw")
    with pytest.raises(ValueError, match="n must be"):
        bench.extreme_tasks(-1)


def test_mmlu_reproduces_the_caption_and_the_two_averages():
    mmlu = ev.mmlu()
    assert (mmlu.wins, mmlu.ties, mmlu.losses, mmlu.n_tasks) == (51, 2, 4, 57)
    assert mmlu.counts_match_paper
    assert mmlu.losses_named_by_paper == 4
    assert mmlu.above_90 == mmlu.paper_above_90 == 4
    # Known answers from the printed tables: Table A6 means 67.64 and 60.61; Table 6 67.6 and 60.0.
    assert mmlu.chinchilla_task_mean == pytest.approx(67.644, abs=1e-3)
    assert mmlu.gopher_task_mean == pytest.approx(60.612, abs=1e-3)
    assert mmlu.abstract_minus_table == pytest.approx(-0.1, abs=1e-9)
    assert mmlu.gopher_mean_minus_printed == pytest.approx(0.612, abs=1e-3)
    assert mmlu.task_mean_gain == pytest.approx(mmlu.chinchilla_task_mean - mmlu.gopher_task_mean)
    assert list(mmlu.averages.index) == ["Chinchilla", "Gopher"]


def test_mmlu_with_a_tolerance_no_longer_matches_the_caption():
    loose = ev.mmlu(tie_tolerance=3.0)
    assert loose.ties > 2 and not loose.counts_match_paper


def test_bigbench_averages_and_named_losses():
    bb = ev.bigbench()
    assert (bb.n_tasks, bb.losses, bb.losses_named_by_paper, bb.paper_losses) == (62, 4, 4, 4)
    assert bb.chinchilla_task_mean == pytest.approx(64.524, abs=1e-3)
    assert round(bb.gopher_task_mean, 1) == bb.gopher_printed == 54.4
    assert bb.chinchilla_mean_minus_printed == pytest.approx(64.524 - 65.1, abs=1e-3)


def test_leave_one_out_means_known_answer():
    table = pd.DataFrame(
        {
            "task": ["a", "b", "c"],
            "chinchilla_accuracy_pct": [10.0, 20.0, 60.0],
            "gopher_accuracy_pct": [0.0, 0.0, 0.0],
        }
    )
    bench = ev.Benchmark(name="toy", comparison=ev.compare_models(table))
    loo = ev.leave_one_out_means(bench, printed=40.0)
    assert list(loo["task"]) == ["a", "b", "c"]
    assert list(loo["mean without task"]) == [40.0, 35.0, 15.0]
    assert list(loo["rounds to printed"]) == [True, False, False]


def test_bigbench_leave_one_out_matches_only_temporal_sequences():
    bb = ev.bigbench()
    loo = ev.leave_one_out_means(bb, bb.chinchilla_printed)
    assert list(loo.loc[loo["rounds to printed"], "task"]) == ["temporal_sequences"]


def test_pile_is_lower_is_better_and_jurassic_drops_missing_subsets():
    pile = ev.pile()
    assert (pile.wins, pile.n_tasks) == (19, 19)
    assert pile.jurassic_missing == pile.n_tasks - pile.jurassic.n_tasks > 0
    assert set(pile.jurassic.tasks("loss")) == {"dm_mathematics", "ubuntu_irc"}
    relative = -100 * pile.comparison["relative_difference"]
    assert pile.best_improvement_pct == pytest.approx(relative.max())
    assert pile.best_subset == "gutenberg_pg_19"
    assert pile.wikitext_chinchilla_ppl < pile.wikitext_gopher_ppl
    assert set(pile.scores_long["model"]) == {"Chinchilla", "Gopher", "Jurassic-1"}


def test_small_benchmarks_known_counts():
    assert ev.reading_comprehension().counts.as_dict() == {
        "wins": 3,
        "ties": 0,
        "losses": 0,
        "n_tasks": 3,
    }
    commonsense = ev.common_sense()
    assert commonsense.tasks("tie") == ("PIQA",)
    cbqa = ev.closed_book_qa()
    assert (cbqa.wins, cbqa.n_tasks, cbqa.nq_gopher_5shot, cbqa.nq_gopher_64shot) == (
        9,
        9,
        24.5,
        28.2,
    )
    assert cbqa.tasks("win")[1] == "NQ, 5-shot"
    truthful = ev.truthfulqa()
    assert truthful.n_tasks == 2  # Gopher has no 5-shot value
    wino = ev.winogender()
    assert wino.wins == 8
    assert wino.gotcha_gap_chinchilla == pytest.approx(76.7 - 62.5)
    assert wino.gotcha_gap_gopher == pytest.approx(66.7 - 59.2)
    tox = ev.toxicity()
    assert (tox.wins, tox.losses) == (0, 3)
    assert tox.max_gain == pytest.approx(0.008)
    assert ev.toxicity(tie_tolerance=0.01).ties == 3


def test_benchmark_summary_and_tolerance_sweep():
    benches = [ev.mmlu(), ev.common_sense()]
    summary = ev.benchmark_summary(benches)
    assert list(summary["n_tasks"]) == [57, 5]
    sweep = ev.tolerance_sweep(benches[0], [0.0, 3.0])
    assert list(sweep["wins"]) == [51, benches[0].comparison["difference"].gt(3.0 + 1e-9).sum()]
    assert (sweep[["wins", "ties", "losses"]].sum(axis=1) == 57).all()
    lower = ev.tolerance_sweep(ev.toxicity(), [0.0])
    assert lower.loc[0, "losses"] == 3  # the direction of a lower-is-better score is kept


def test_compute_split_and_predicted_losses_known_answers():
    split = ev.compute_split()
    assert split.params_ratio == 4.0
    assert split.tokens_ratio == pytest.approx(1.4e12 / 3.0e11)
    assert split.flops_6nd_ratio == pytest.approx(5.88 / 5.04)
    assert split.chinchilla_vs_paper_budget_pct == pytest.approx(100 * (5.88 / 5.76 - 1))
    loss = ev.predicted_losses()
    # Eq. 2 by hand with the rounded Eq. 10 constants.
    by_hand = 1.69 + 406.4 / 2.8e11**0.34 + 410.7 / 3.0e11**0.28
    assert loss.loss_gopher_rounded == pytest.approx(by_hand, rel=1e-12)
    assert loss.loss_gap_rounded == pytest.approx(
        loss.loss_gopher_rounded - loss.loss_chinchilla_rounded
    )
    assert loss.n_opt_gopher_budget_unrounded_b == pytest.approx(40.0, rel=0.02)
    assert loss.n_opt_gopher_budget_paper_b == 40.0


def test_loss_gap_by_budget_shrinks_and_rejects_one_shape():
    law = ev.predicted_losses().laws["unrounded"]
    gaps = ev.loss_gap_by_budget(law, [1e21, 1e25], {"gopher": 1.07, "chinchilla": 20.0})
    assert gaps["gap"].is_monotonic_decreasing and (gaps["gap"] > 0).all()
    n = np.sqrt(1e21 / (6 * 20.0))
    assert gaps.loc[0, "chinchilla"] == pytest.approx(float(law.loss(n, 20.0 * n)))
    with pytest.raises(ValueError, match="two shapes"):
        ev.loss_gap_by_budget(law, [1e21], {"only": 20.0})


def test_setup_and_mixture_tables():
    setup = ev.setup_differences()
    assert setup.loc["optimizer", "Chinchilla"] == "AdamW"
    assert setup.loc["precision", "Gopher"] == ""  # not printed: an empty cell, not NaN
    mixture = ev.data_mixture()
    assert mixture["Chinchilla sampling (%)"].sum() == pytest.approx(100.0)


def test_chapter_figures_draw_on_the_axes_given():
    fig, axes = plt.subplots(1, 4)
    split, loss = ev.compute_split(), ev.predicted_losses()
    assert ev.plot_isoflop_line(axes[0], loss, split) is axes[0]
    assert len(axes[0].lines) == 3 and len(axes[0].collections) == 2
    assert ev.plot_table6(axes[1]) is axes[1]
    assert ev.plot_shots(axes[2], ev.truthfulqa()) is axes[2]
    assert len(axes[2].lines) == 2
    sweep = ev.tolerance_sweep(ev.mmlu(), [0.0, 1.0])
    assert ev.plot_tolerance_sweep(axes[3], sweep, 57) is axes[3]
    with pytest.raises(ValueError, match="scores_long"):
        ev.plot_shots(
            axes[2], ev.Benchmark(name="x", comparison=ev.compare_models(REFERENCE.dropna()))
        )
    plt.close(fig)
