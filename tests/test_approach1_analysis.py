"""Tests for chinchilla_utils.book.approach1_analysis (the Approach 1 chapter's analyses)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book import approach1_analysis as a1
from chinchilla_utils.book.sweep_fits import APPROACH1_SMOOTH, laptop_approach1
from chinchilla_utils.book.training_curves import approach1_curves
from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_runs
from chinchilla_utils.fitting.approach1 import bootstrap_approach1, fit_approach1


@pytest.fixture(scope="module")
def sweep():
    runs = load_sweep_runs()
    train = load_sweep_curves()
    return runs, train, load_sweep_curves(kind="val"), approach1_curves(train, runs)


# -- the paper ------------------------------------------------------------------------------
def test_paper_approach1_reads_section31_and_table2():
    paper = a1.paper_approach1()
    assert (paper.n_horizons, paper.horizon_factor, paper.lr_decay) == (4, 16, 10)
    assert (paper.n_grid, paper.smoothing_steps, paper.n_bootstrap) == (1500, 10, 100)
    assert paper.final_fraction_pct == pytest.approx(15.0)
    assert paper.bootstrap_fraction_pct == pytest.approx(80.0)
    assert (paper.a, paper.a_p10, paper.a_p90) == (0.5, 0.488, 0.502)
    assert paper.a_width == pytest.approx(0.014, abs=1e-12)
    assert paper.b < paper.b_p10  # the printed b lies below its own interval
    # 10B parameters on 5B tokens: 6 x 1e10 x 5e9 FLOPs.
    assert paper.flops_floor == pytest.approx(3e20, rel=1e-12)
    assert (paper.params_min_m, paper.params_max_b, paper.kaplan_a) == (70.0, 10.0, 0.73)


# -- the sweep -------------------------------------------------------------------------------
def _design_runs() -> pd.DataFrame:
    # Three budgets 10x apart, three sizes each at 0.5x, 1x and 2x of sqrt(C / 660).
    rows = []
    for budget in (1e12, 1e13, 1e14):
        centre = np.sqrt(budget / 660.0)
        for k, factor in enumerate((0.5, 1.0, 2.0)):
            n = centre * factor
            rows.append(
                {
                    "run_id": f"{budget:.0e}_{k}",
                    "budget": budget,
                    "seed": 0,
                    "n_params": n,
                    "n_tokens": budget / (6 * n),
                    "flops_per_token_6n": 6 * n,
                    "flops_per_token_exact": 6 * n * (1.2 + 0.1 * k),
                }
            )
    return pd.DataFrame(rows)


def test_sweep_design_known_answers():
    runs = _design_runs()
    runs["batch_size"], runs["seq_len"] = 8, 128
    curves = pd.DataFrame({"run_id": np.repeat(runs["run_id"].to_numpy(), 5)})
    design = a1.sweep_design(runs, curves, curves.iloc[::5], 1e6, a1.paper_approach1())
    assert design.centre_exponent == pytest.approx(0.5, abs=1e-12)
    assert design.centre_tokens_per_param == pytest.approx(110.0)
    assert (design.n_runs, design.n_sizes, design.n_budgets) == (9, 9, 3)
    assert (design.points_per_run, design.val_points_per_run) == (5, 1)
    assert (design.batch_bytes, design.seq_len) == (1024, 128)
    assert design.budget_factor == pytest.approx(10.0)
    assert (design.appendix_f_ratio_min, design.appendix_f_ratio_max) == pytest.approx((1.2, 1.4))
    assert design.horizons_per_size_max == 1 and design.sizes_single_horizon == 9
    assert design.max_passes == pytest.approx(runs["n_tokens"].max() / 1e6)
    assert design.budget_floor_gap_decades == pytest.approx(np.log10(3e20 / 1e14))


def test_sweep_design_of_the_shipped_sweep(sweep):
    runs, train, val, _ = sweep
    design = a1.sweep_design(runs, train, val, 30_966_569, a1.paper_approach1())
    assert design.val_points_per_run == 8
    # Sizes placed around sqrt(C / 660): the design centre grows about as C^0.5.
    assert abs(design.centre_exponent - 0.5) < 0.03
    assert 1.2 < design.appendix_f_ratio_min < design.appendix_f_ratio_max < 2.0


def test_seed_spread_takes_the_budget_with_two_seeds():
    runs = pd.DataFrame(
        {
            "budget": [1e12] * 4 + [1e13],
            "n_params": [10, 10, 20, 20, 10],
            "seed": [0, 1, 0, 1, 0],
            "final_train_loss": [2.0, 2.1, 1.8, 1.7, 1.5],
            "final_val_loss": [2.0, 2.02, 1.8, 1.84, 1.5],
        }
    )
    spread = a1.seed_spread(runs)
    assert (spread.budget, spread.n_sizes) == (1e12, 2)
    assert spread.median_diff_train == pytest.approx(0.1)
    assert spread.median_diff_val == pytest.approx(0.03)
    with pytest.raises(ValueError, match="two seeds"):
        a1.seed_spread(runs[runs["seed"] == 0])


def _horizon_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    # One size, schedules ending at 100 and 400 tokens; the long run is 0.2 nats worse at 100.
    runs = pd.DataFrame(
        {
            "run_id": ["short", "long"],
            "budget": [6e5, 2.4e6],
            "seed": [0, 0],
            "n_params": [1000, 1000],
            "n_params_non_embedding": [500, 500],
            "n_tokens": [100, 400],
        }
    )
    short = pd.DataFrame({"run_id": "short", "n_params": 1000, "n_tokens": [50, 100]})
    short["loss"] = [3.5, 3.0]
    long = pd.DataFrame({"run_id": "long", "n_params": 1000, "n_tokens": [50, 100, 200, 400]})
    long["loss"] = [3.6, 3.2, 2.9, 2.5]
    return pd.concat([short, long], ignore_index=True), runs


def test_horizon_summary_counts_the_gaps():
    curves, runs = _horizon_data()
    summary = a1.horizon_summary(curves, runs)
    assert (summary.n_pairs, summary.n_positive) == (1, 1)
    assert summary.median_gap == pytest.approx(0.2)
    assert summary.min_gap == summary.max_gap == pytest.approx(0.2)
    with pytest.raises(ValueError, match="two horizons"):
        a1.horizon_summary(curves[curves.run_id == "short"], runs.iloc[:1])


def test_horizon_summary_on_the_shipped_sweep_is_positive_when_smoothed(sweep):
    runs, train, _, _ = sweep
    summary = a1.horizon_summary(train, runs, smooth=APPROACH1_SMOOTH)
    assert summary.n_positive == summary.n_pairs == 11


def test_curve_noise_recovers_iid_noise():
    rng = np.random.default_rng(7)
    tokens = np.arange(1, 2001, dtype=float)
    sigma = 0.01
    frames = []
    for run in range(4):
        log_loss = 1.0 - 1e-4 * tokens + rng.normal(0, sigma, tokens.size)
        frames.append(pd.DataFrame({"run_id": run, "n_tokens": tokens, "loss": np.exp(log_loss)}))
    noise = a1.curve_noise(pd.concat(frames, ignore_index=True), window=5)
    # The residual about a 5-point centred mean of iid noise has sd sigma * sqrt(1 - 1/5).
    assert noise == pytest.approx(sigma * np.sqrt(0.8), rel=0.05)
    with pytest.raises(ValueError, match="window"):
        a1.curve_noise(frames[0], window=2)


@pytest.mark.parametrize(
    "budgets, expected",
    [
        ((1e12, 1e13, 1e14), -np.log(0.85) / np.log(10)),
        ((1e12, 1.1e12), 1.0),  # budgets closer than 1/0.85: every point can be near an end
        ((1e12, 2e12, 2e13), (2 * -np.log(0.85)) / np.log(20)),
    ],
)
def test_final_part_share_by_design(budgets, expected):
    assert a1.final_part_share_by_design(budgets, 0.15) == pytest.approx(expected, rel=1e-12)


def test_final_part_share_matches_the_shipped_envelope(sweep):
    runs, *_ = sweep
    result = laptop_approach1()
    from chinchilla_utils.book.training_curves import fraction_in_final_part

    measured = fraction_in_final_part(result.envelope, runs, 0.15)
    assert measured == pytest.approx(a1.final_part_share_by_design(runs["budget"], 0.15), abs=0.01)


def test_final_part_share_rejects_bad_input():
    with pytest.raises(ValueError, match="two distinct"):
        a1.final_part_share_by_design([1e12, 1e12], 0.15)
    with pytest.raises(ValueError, match="final_fraction"):
        a1.final_part_share_by_design([1e12, 1e13], 1.0)


def test_n_single_run_points_of_the_shipped_fit(sweep):
    runs, *_ = sweep
    result = laptop_approach1()
    assert a1.n_single_run_points(result, float(runs["budget"].min())) == 1
    envelope = result.envelope
    assert a1.n_single_run_points(result, float(envelope["flops"].max()) * 2) == 0


# -- variants, readings, leave-one-out ---------------------------------------------------
def test_approach1_variants_default_row_is_the_shared_fit(sweep):
    runs, train, val, _ = sweep
    table = a1.approach1_variants(train, val, runs, smooth=APPROACH1_SMOOTH)
    assert list(table.columns) == list(a1.VARIANT_COLUMNS)
    assert table["key"].tolist() == [
        "default",
        "raw",
        "val",
        "appendix_f",
        "non_embedding",
        "final_part",
        "whole",
        "decade_below",
    ]
    assert table["a"].iloc[0] == laptop_approach1().a
    raw = fit_approach1(approach1_curves(train, runs), flops_min=float(runs["budget"].min()))
    assert table["a"].iloc[1] == raw.a
    ok = table["failure"] == ""
    assert (np.isfinite(table.loc[ok, "a"]) == ok[ok]).all()
    assert table.loc[~ok, "a"].isna().all()
    # Kaplan's count shrinks small models most, so it steepens the frontier.
    kaplan = table.set_index("key").loc["non_embedding", "a"]
    assert kaplan > table["a"].iloc[0] + 0.05


def test_envelope_point_bootstrap_known_answers():
    flops = np.logspace(10, 14, 400)
    exact = a1.envelope_point_bootstrap(flops, 3.0 * flops**0.5, 50, rng=0)
    assert exact.unit == "points"
    np.testing.assert_allclose(exact.samples["a"], 0.5, rtol=1e-10)
    rng = np.random.default_rng(3)
    x = np.log10(flops)
    y = 0.5 * x + rng.normal(0, 0.05, x.size)
    noisy = a1.envelope_point_bootstrap(flops, 10**y, 2000, rng=11)
    low, high = noisy.interval("a")
    residual = y - np.polyval(np.polyfit(x, y, 1), x)
    stderr = np.sqrt(residual @ residual / (x.size - 2) / ((x - x.mean()) @ (x - x.mean())))
    # The classic bootstrap of an OLS slope reproduces its standard error (10-90%: 2.563 SE).
    assert high - low == pytest.approx(2 * 1.2816 * stderr, rel=0.1)


def test_envelope_point_bootstrap_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="one length"):
        a1.envelope_point_bootstrap([1.0, 2.0, 3.0], [1.0, 2.0], 10, rng=0)


def test_bootstrap_readings_of_the_shipped_sweep(sweep):
    runs, _, _, curves = sweep
    paper = a1.paper_approach1()
    result = laptop_approach1()
    readings = a1.bootstrap_readings(
        curves, result, n_resamples=60, seed=5, paper=paper, smooth=APPROACH1_SMOOTH
    )
    same = bootstrap_approach1(
        curves,
        n_resamples=60,
        method="replacement",
        rng=np.random.default_rng(5),
        smooth=APPROACH1_SMOOTH,
        flops_min=float(runs["budget"].min()),
    )
    # The result's fitted range is the requested one: the same resamples, the same interval.
    assert readings.replacement.interval("a") == same.interval("a")
    assert readings.smooth_statistic_ratio == pytest.approx(0.5)
    table = readings.table
    assert list(table.columns) == list(a1.READING_COLUMNS)
    assert table["width"].tolist() == pytest.approx(
        [readings.width_replacement, readings.width_subsample, readings.width_points]
    )
    assert readings.width_points < readings.width_subsample
    assert readings.subsample_vs_paper == pytest.approx(readings.width_subsample / 0.014)


def test_leave_one_run_out_refits_without_each_envelope_run(sweep):
    _, _, _, curves = sweep
    result = laptop_approach1()
    table = a1.leave_one_run_out(curves, result, smooth=APPROACH1_SMOOTH)
    assert sorted(table["run_id"]) == sorted(result.runs_on_envelope)
    assert table["shift"].abs().is_monotonic_decreasing
    first = table.iloc[0]
    direct = fit_approach1(
        curves[curves.run_id != first.run_id],
        smooth=APPROACH1_SMOOTH,
        flops_min=result.flops_min,
        flops_max=result.flops_max,
    )
    assert first.a_without == direct.a
    assert first["shift"] == pytest.approx(direct.a - result.a)


# -- Table 3 and the Section 3.4 text --------------------------------------------------------
def test_table3_check_known_answers():
    check = a1.table3_check()
    assert check.n_rows == 9 and check.anchor_params_b == 67.0 and check.anchor_flops == 5.76e23
    assert check.max_abs_flops_diff_pct == pytest.approx(6.928, abs=1e-3)
    assert check.implied_a == pytest.approx(0.4981, abs=1e-4)
    assert check.line_gopher_pct == pytest.approx(-2.417, abs=1e-3)
    assert check.line_n_opt_gopher_b == pytest.approx(67.82, abs=0.01)
    # Table 3's Gopher row: 1.5T tokens against 5.76e23 / (6 x 67e9) = 1.4328T.
    assert check.gopher_tokens_vs_6nd_pct == pytest.approx(100 * (1.5e12 / (5.76e23 / 4.02e11) - 1))
    assert check.gopher_units_1t_paper == 221.3
    assert check.gopher_units_1t_book == pytest.approx(222.77, abs=0.01)
    assert check.gopher_tokens_per_param == pytest.approx(1.5e12 / 67e9)


def test_section34_check_known_answers():
    check = a1.section34_check()
    assert check.flops_vs_table_175b_pct == pytest.approx(100 * (4.41e24 / 3.85e24 - 1))
    assert check.gopher_units_of_text_1t == pytest.approx(1e26 / 5.76e23)
    assert (check.gopher_units_text_1t, check.gopher_units_table_1t) == (250.0, 221.3)
    assert check.flops_text_1t == 1e26


def test_anchor_scan_contains_the_gopher_anchor():
    scan = a1.anchor_scan(0.5)
    assert len(scan) == 9
    gopher = scan.loc[np.isclose(scan["anchor_params"], 67e9), "max_abs_flops_diff"].iloc[0]
    assert gopher == pytest.approx(a1.table3_check().max_abs_flops_diff_pct / 100)
    with pytest.raises(ValueError, match="exponent"):
        a1.anchor_scan(-0.5)


def test_far_share_counts_resamples_beyond_the_distance():
    from chinchilla_utils.fitting.bootstrap import BootstrapResult

    samples = pd.DataFrame({"a": [0.5, 0.55, 0.7, 0.75, np.nan]})
    boot = BootstrapResult.from_samples(samples, "replacement", 5, 0.8, "runs")
    readings = a1.BootstrapReadings(
        a=0.5, replacement=boot, subsample=boot, points=boot, fraction=0.8, paper_width=0.014
    )
    assert readings.far_share_pct == pytest.approx(50.0)  # 2 of the 4 finite values
