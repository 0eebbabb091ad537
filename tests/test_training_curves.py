"""Tests for chinchilla_utils.book.training_curves (Chapter 2: the sweep's curves for Approach 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book.training_curves import (
    APPROACH1_CURVE_COLUMNS,
    ENVELOPE_RUN_COLUMNS,
    HORIZON_PAIR_COLUMNS,
    approach1_curves,
    envelope_runs,
    fraction_in_final_part,
    horizon_pairs,
    smooth_curves,
)


def _runs() -> pd.DataFrame:
    # Two sizes; the small one trained to two horizons (100 and 400 tokens), the large to 400.
    return pd.DataFrame(
        {
            "run_id": ["small_short", "small_long", "large_long"],
            "budget": [6e5, 2.4e6, 2.4e7],
            "seed": [0, 0, 0],
            "n_params": [1000, 1000, 10000],
            "n_params_non_embedding": [400, 400, 8000],
            "n_tokens": [100, 400, 400],
        }
    )


def _curves() -> pd.DataFrame:
    rows = []
    for run_id, n, horizon, final in (
        ("small_short", 1000, 100, 3.0),
        ("small_long", 1000, 400, 2.5),
        ("large_long", 10000, 400, 2.0),
    ):
        tokens = np.linspace(horizon / 4, horizon, 4)
        # Mid-schedule losses sit above the final one: 0.5 nats at the start of the curve.
        loss = final + 0.5 * (1 - tokens / horizon) / 0.75
        rows.append(
            pd.DataFrame({"run_id": run_id, "n_params": n, "n_tokens": tokens, "loss": loss})
        )
    return pd.concat(rows, ignore_index=True)


def test_curves_all_params_keep_n_and_6nd():
    table = approach1_curves(_curves(), _runs())
    assert list(table.columns) == list(APPROACH1_CURVE_COLUMNS)
    small = table[table.run_id == "small_short"]
    assert (small.n_params == 1000).all()
    np.testing.assert_allclose(small.flops, 6 * 1000 * small.n_tokens)
    np.testing.assert_allclose(small.run_fraction, [0.25, 0.5, 0.75, 1.0])


def test_curves_non_embedding_change_both_axes():
    table = approach1_curves(_curves(), _runs(), count_embeddings=False)
    small = table[table.run_id == "small_long"]
    assert (small.n_params == 400).all()
    np.testing.assert_allclose(small.flops, 6 * 400 * small.n_tokens)


def test_curves_start_fraction_keeps_final_part():
    table = approach1_curves(_curves(), _runs(), start_fraction=0.75)
    assert (table.run_fraction >= 0.75).all()
    assert table.groupby("run_id").size().tolist() == [2, 2, 2]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start_fraction": 1.0}, "start_fraction"),
        ({"start_fraction": -0.1}, "start_fraction"),
        ({"count_embeddings": "yes"}, "count_embeddings"),
    ],
)
def test_curves_reject_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        approach1_curves(_curves(), _runs(), **kwargs)


def test_curves_reject_unknown_run_and_missing_columns():
    curves = _curves()
    curves.loc[0, "run_id"] = "ghost"
    with pytest.raises(ValueError, match="ghost"):
        approach1_curves(curves, _runs())
    with pytest.raises(ValueError, match="n_params_non_embedding"):
        approach1_curves(_curves(), _runs().drop(columns="n_params_non_embedding"))


def test_curves_reject_inconsistent_sizes():
    curves = _curves()
    curves.loc[curves.run_id == "small_short", "n_params"] = 999
    with pytest.raises(ValueError, match="disagree"):
        approach1_curves(curves, _runs())


def _envelope() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flops": [1e5, 2e5, 3e5, 4e5],
            "run_id": ["small_short", "small_short", "large_long", "large_long"],
            "n_params": [1000.0, 1000.0, 10000.0, 10000.0],
            "n_tokens": [50.0, 100.0, 300.0, 400.0],
            "fitted": [False, True, True, True],
        }
    )


def test_envelope_runs_counts_fitted_points_and_fractions():
    table = envelope_runs(_envelope(), _runs())
    assert list(table.columns) == list(ENVELOPE_RUN_COLUMNS)
    assert table.run_id.tolist() == ["small_short", "large_long"]
    small, large = table.iloc[0], table.iloc[1]
    assert small.n_points == 1  # the unfitted point does not count
    assert small.run_fraction_from == pytest.approx(1.0)
    assert large.run_fraction_from == pytest.approx(0.75)
    assert large.tokens_per_param_to == pytest.approx(0.04)


def test_fraction_in_final_part():
    # Fitted points at 100% (small), 75% and 100% (large) of their runs.
    assert fraction_in_final_part(_envelope(), _runs(), 0.15) == pytest.approx(2 / 3)
    assert fraction_in_final_part(_envelope(), _runs(), 0.25) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="final_fraction"):
        fraction_in_final_part(_envelope(), _runs(), 0.0)


def test_horizon_pairs_find_the_schedule_gap():
    pairs = horizon_pairs(_curves(), _runs())
    assert list(pairs.columns) == list(HORIZON_PAIR_COLUMNS)
    assert len(pairs) == 1  # only the small size has two horizons
    pair = pairs.iloc[0]
    assert (pair.short_run_id, pair.long_run_id) == ("small_short", "small_long")
    assert pair.n_tokens == 100
    # The long run at 100 of 400 tokens: 2.5 + 0.5 * 0.75 / 0.75 = 3.0 exactly on a logged point.
    assert pair.loss_long_same_tokens == pytest.approx(3.0)
    assert pair.gap == pytest.approx(0.0)


def test_horizon_pairs_interpolate_in_log_tokens():
    curves = _curves()
    runs = _runs()
    # Move the short run's end to 150 tokens: between the long run's points at 100 and 200.
    short = curves.run_id == "small_short"
    curves.loc[short, "n_tokens"] = curves.loc[short, "n_tokens"] * 1.5
    pair = horizon_pairs(curves, runs).iloc[0]
    loss_100, loss_200 = 3.0, 2.5 + 0.5 * 0.5 / 0.75
    weight = np.log(150 / 100) / np.log(2)
    expected = np.exp((1 - weight) * np.log(loss_100) + weight * np.log(loss_200))
    assert pair.loss_long_same_tokens == pytest.approx(expected)
    assert pair.gap == pytest.approx(expected - 3.0)


def test_horizon_pairs_empty_when_no_size_repeats():
    runs = _runs()
    curves = _curves()
    keep = runs.run_id != "small_long"
    pairs = horizon_pairs(curves[curves.run_id != "small_long"], runs[keep])
    assert pairs.empty
    assert list(pairs.columns) == list(HORIZON_PAIR_COLUMNS)


def test_curves_appendix_f_count_reads_flops_exact():
    curves = _curves()
    curves["flops_exact"] = 1.5 * 6 * curves["n_params"] * curves["n_tokens"]
    table = approach1_curves(curves, _runs(), flop_count="appendix_f")
    np.testing.assert_allclose(table.flops, 1.5 * 6 * table.n_params * table.n_tokens)
    # What N counts does not change the Appendix F FLOPs, only the size axis.
    kaplan = approach1_curves(curves, _runs(), count_embeddings=False, flop_count="appendix_f")
    np.testing.assert_allclose(kaplan.flops, table.flops)
    with pytest.raises(ValueError, match="flops_exact"):
        approach1_curves(_curves(), _runs(), flop_count="appendix_f")
    with pytest.raises(ValueError, match="flop_count"):
        approach1_curves(curves, _runs(), flop_count="exact")


def test_smooth_curves_is_a_centred_mean_of_log_loss_per_run():
    curves = pd.DataFrame(
        {
            "run_id": ["b"] * 3 + ["a"] * 4,
            "n_tokens": [3, 1, 2, 1, 2, 3, 4],
            "loss": np.exp([3.0, 1.0, 2.0, 0.0, 3.0, 0.0, 3.0]),
        }
    )
    smoothed = smooth_curves(curves, 3)
    assert smoothed.run_id.tolist() == ["a"] * 4 + ["b"] * 3
    # Run a: (0+3)/2, (0+3+0)/3, (3+0+3)/3, (0+3)/2; run b (sorted 1, 2, 3): 1.5, 2, 2.5.
    np.testing.assert_allclose(np.log(smoothed.loss), [1.5, 1.0, 2.0, 1.5, 1.5, 2.0, 2.5])
    np.testing.assert_allclose(
        smooth_curves(curves, 1).loss.sort_values(), curves.loss.sort_values()
    )
    with pytest.raises(TypeError, match="window"):
        smooth_curves(curves, 2.5)


def test_smooth_curves_matches_the_fitters_smoothing():
    from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_runs
    from chinchilla_utils.fitting.approach1 import fit_approach1

    runs = load_sweep_runs()
    table = approach1_curves(load_sweep_curves(), runs)
    low = float(runs["budget"].min())
    own = fit_approach1(table, smooth=5, flops_min=low)
    ours = fit_approach1(smooth_curves(table, 5), flops_min=low)
    assert own.a == pytest.approx(ours.a, abs=1e-12)
    pd.testing.assert_series_equal(own.envelope["run_id"], ours.envelope["run_id"])
