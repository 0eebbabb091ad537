"""Tests of book.approach3_analysis: the Approach 3 chapter's tables and result objects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book import approach3_analysis as a3x
from chinchilla_utils.datasets import paper as data
from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_runs
from chinchilla_utils.fitting import diagnostics as dg
from chinchilla_utils.fitting.approach3 import fit_approach3, subsample_grid
from chinchilla_utils.laws import ParametricLoss

LAW = ParametricLoss(E=1.8, A=480.0, B=2100.0, alpha=0.35, beta=0.37)
STARTS = subsample_grid(40, np.random.default_rng(0))


def _runs(n=120, noise=3e-3, seed=0, law=LAW):
    """Synthetic runs from ``law``: sizes 1e8-1e10, 1-100 tokens/param, Laplace log-loss noise."""
    rng = np.random.default_rng(seed)
    n_params = 10 ** rng.uniform(8, 10, n)
    n_tokens = n_params * 10 ** rng.uniform(0, 2, n)
    loss = law.loss(n_params, n_tokens) * np.exp(rng.laplace(0, noise, n) if noise else 0.0)
    return pd.DataFrame(
        {"n_params": n_params, "n_tokens": n_tokens, "loss": loss, "flops": 6 * n_params * n_tokens}
    )


@pytest.fixture(scope="module")
def runs():
    return _runs()


@pytest.fixture(scope="module")
def fit(runs):
    return fit_approach3(*a3x.run_arrays(runs), grid=STARTS)


def test_run_arrays_reads_the_three_columns(runs):
    n, d, el = a3x.run_arrays(runs)
    np.testing.assert_array_equal(n, runs["n_params"].to_numpy())
    assert d.dtype == el.dtype == np.float64
    with pytest.raises(ValueError, match="loss"):
        a3x.run_arrays(runs.drop(columns="loss"))


def test_number_fields_keeps_numbers_only():
    @dataclass(frozen=True)
    class Result:
        table: pd.DataFrame
        count: int
        value: float
        flag: bool
        numpy_value: np.float64

    result = Result(pd.DataFrame(), 3, 0.5, True, np.float64(2.0))
    assert a3x.number_fields(result) == ["count", "value", "numpy_value"]
    with pytest.raises(TypeError, match="dataclass"):
        a3x.number_fields({"count": 3})


def test_headline_reports_the_fit_the_variant_and_the_paper(runs, fit):
    headline_fit = fit_approach3(*a3x.run_arrays(runs.iloc[:100]), grid=STARTS)
    head = a3x.headline(headline_fit, fit, 5.88e23)
    assert head.a == pytest.approx(headline_fit.law.a) and head.all_a == pytest.approx(fit.law.a)
    assert head.n_outliers == fit.n_points - headline_fit.n_points == 20
    assert head.n_runs_all == 120 and head.grid_size == len(STARTS)
    assert head.n_opt_chinchilla_b == pytest.approx(headline_fit.law.n_opt(5.88e23) / 1e9)
    assert head.paper_rounded_a == pytest.approx(0.28 / 0.62)
    assert head.paper_unrounded_tokens_per_param_chinchilla == pytest.approx(59.04, rel=1e-3)
    tokens = headline_fit.law.tokens_per_param(5.88e23)
    assert head.tokens_per_param_chinchilla == pytest.approx(tokens)
    assert "converged" not in a3x.number_fields(head)
    with pytest.raises(TypeError, match="variant"):
        a3x.headline(fit, fit.law)


def test_besiroglu_law_and_constants_table():
    estimates = data.besiroglu_estimates()
    theirs = a3x.besiroglu_law(estimates)
    assert theirs.A == pytest.approx(482.00572) and theirs.beta == pytest.approx(0.36585)
    comparison = a3x.constants_table(theirs, estimates)
    table = comparison.table
    assert list(table.columns) == [
        "paper, rounded", "paper, unrounded", "Besiroglu et al.", "their s.e.", "book refit",
        "refit - theirs (s.e.)",
    ]  # fmt: skip
    assert comparison.max_abs_z_vs_besiroglu == 0.0  # the refit is their law here
    beta_z = (0.2849083 - 0.36585) / 0.0206
    assert comparison.paper_beta_z == pytest.approx(beta_z, rel=1e-6)
    assert np.isnan(table.loc["a", "their s.e."])
    with pytest.raises(ValueError, match="lacks"):
        a3x.besiroglu_law(estimates[estimates["quantity"] != "beta"])


def test_constants_tests_on_runs_from_a_known_law(runs, fit):
    mle = dg.fit_huber_likelihood(*a3x.run_arrays(runs), start=fit.law, n_restarts=0)
    tests = a3x.constants_tests(fit, mle, runs, data.besiroglu_estimates())
    table = tests.table
    assert list(table.index) == [
        "paper, rounded", "paper, unrounded", "book refit", "maximum likelihood",
    ]  # fmt: skip
    assert table.loc["book refit", "objective_ratio"] == pytest.approx(1.0)
    assert table.loc["maximum likelihood", "lr_statistic"] == pytest.approx(0.0, abs=1e-9)
    assert tests.paper_unrounded_objective_ratio > 1 and tests.paper_unrounded_p_value < 1e-6
    assert tests.besiroglu_lr_statistic == 84.0
    assert tests.mle_threshold == pytest.approx(mle.scale * 1e-3)
    residuals = dg.log_residuals(fit.law, *a3x.run_arrays(runs))
    assert tests.share_beyond_delta_pct == pytest.approx(100 * np.mean(np.abs(residuals) > 1e-3))


def test_optimiser_variants_sum_equals_mean_and_caps_are_reported(runs, fit):
    full = fit_approach3(*a3x.run_arrays(runs), grid=subsample_grid(80, np.random.default_rng(1)))
    variants = a3x.optimiser_variants(runs, full, STARTS, STARTS[:20], caps=(3, 2000))
    assert variants.mean_vs_sum_max_rel_diff < 1e-6
    assert variants.subset_vs_full_max_rel_diff < 1e-4
    early = variants.early
    assert early[["starts", "max_iter"]].values.tolist() == [
        [20, 3],
        [20, 2000],
        [40, 3],
        [40, 2000],
    ]
    assert early.loc[early["max_iter"] == 2000, "reached_optimum"].all()
    assert not early.loc[early["max_iter"] == 3, "reached_optimum"].any()
    assert variants.n_capped_short == 1
    assert variants.capped_a_min == variants.capped_a_max == early.loc[0, "a"]
    assert set(variants.table.index) == {
        "paper recipe, all starts", "sum, 40 starts", "mean, 40 starts", "scipy defaults, sum",
        "scipy defaults, mean",
    }  # fmt: skip


def test_two_bootstraps_and_their_readings(runs, fit):
    boots = a3x.two_bootstraps(
        runs, fit, data.table2_exponents(), data.besiroglu_estimates(), n_resamples=12, seed=3
    )
    assert list(boots.table.index)[-1] == "Table 2 (printed)"
    assert boots.table2_a_width == pytest.approx(0.001)
    assert boots.sub_width_ratio == pytest.approx(boots.sub_a_width / boots.boot_a_width)
    assert boots.runs_needed == pytest.approx(len(runs) * (boots.boot_a_width / 0.001) ** 2)
    assert boots.classic.method == "replacement" and boots.subsample.method == "subsample"
    assert list(boots.readings) == list(boots.table.index[:2])
    assert boots.besiroglu_runs_needed > 6e5 and boots.n_bootstrap == 12
    assert boots.besiroglu_n_bootstrap == 4000
    # each scale trades off against its own exponent over the resamples
    assert boots.corr_log_a_alpha > 0.9 and boots.corr_log_b_beta > 0.9
    betas = boots.classic.samples["beta"]
    z = (0.2849083 - betas.mean()) / betas.std()
    assert boots.paper_beta_boot_z == pytest.approx(z)


def test_subset_fits_reuses_a_given_fit_and_compute_subsets_partition(runs, fit):
    subsets = a3x.compute_subsets(runs, split_flops=1e20)
    thirds = pd.concat([subsets["lowest third"], subsets["middle third"], subsets["highest third"]])
    assert sorted(thirds.index) == sorted(runs.index)
    assert len(subsets["C <= 1e+20"]) + len(subsets["C > 1e+20"]) == len(runs)
    result = a3x.subset_fits({"all": runs}, STARTS, fitted={"all": fit})
    assert result.fits["all"] is fit
    assert result.table.loc["all", "a"] == pytest.approx(fit.law.a)
    assert result.table.loc["all", "flops_max"] == runs["flops"].max()


def test_compute_range_fits_recover_one_law_on_every_range(runs):
    exact = _runs(n=150, noise=0.0, seed=4)
    ranges = a3x.compute_range_fits(exact, STARTS, split_flops=1e20)
    # noise-free runs from one law: every range recovers its exponent
    np.testing.assert_allclose(ranges.fits.table["a"], LAW.a, atol=2e-3)
    assert ranges.range_a_low == pytest.approx(ranges.fits.table["a"].iloc[0])
    assert ranges.range_n_above == int((exact["flops"] > 1e20).sum())


def test_residual_spread_of_the_true_law_is_zero():
    exact = _runs(n=60, noise=0.0, seed=5)
    spread = a3x.residual_spread(exact, {"true": LAW}, split_flops=1e20)
    assert spread.loc["true", "median_abs_low"] < 1e-12
    assert spread.loc["true", "n_low"] + spread.loc["true", "n_high"] == 60


def test_delta_refits_share_beyond_delta_falls_with_delta(runs):
    deltas = a3x.delta_refits(runs, [1e-2, 1e-3, 1e-4], STARTS)
    assert list(deltas.index) == [1e-2, 1e-3, 1e-4]
    assert deltas["pct_beyond_delta"].is_monotonic_increasing


def test_rounding_costs_one_constant_at_a_time():
    costs = a3x.rounding_costs(_runs(n=50, seed=6))
    assert list(costs.index) == ["E", "A", "B", "alpha", "beta", "all five"]
    assert costs.loc["beta", "printed"] == 0.28
    assert costs.loc["beta", "unrounded"] == pytest.approx(0.2849083)
    rounded, unrounded = ParametricLoss.paper_rounded(), ParametricLoss.paper_unrounded()
    ratio = rounded.n_opt(5.88e23) / unrounded.n_opt(5.88e23)
    assert costs.loc["all five", "n_opt_ratio"] == pytest.approx(ratio)


def test_table_a3_summary_known_answers():
    summary = a3x.table_a3_summary(ParametricLoss.paper_unrounded())
    # the rounded constants: 1.57-2.22 times the printed FLOPs (the typo row left out)
    assert summary.min_flops_ratio_rounded == pytest.approx(1.5717, abs=1e-4)
    assert summary.max_rel_diff_flops_unrounded == pytest.approx(0.1817, abs=1e-4)
    assert summary.typo_params == 1.75e11 and summary.typo_printed_flops == 1.26e24
    # the refit here is the unrounded law itself
    assert summary.max_rel_diff_flops_refit == summary.max_rel_diff_flops_unrounded
    assert summary.view.shape == (9, 6)


@pytest.fixture(scope="module")
def sweep():
    return a3x.laptop_runs(load_sweep_runs(None))


def test_laptop_runs_and_subsets(sweep):
    row = sweep.iloc[0]
    assert row["loss"] == row["final_val_loss"]
    assert row["exact_over_6n"] == pytest.approx(
        row["flops_per_token_exact"] / (6 * row["n_params"])
    )
    subsets = a3x.laptop_subsets(sweep, 20.0)
    assert len(subsets["all runs"]) == 30
    assert (subsets["runs with >= 20 bytes/param"]["tokens_per_param"] >= 20).all()
    assert subsets["two largest budgets only"]["budget"].nunique() == 2


def test_sweep_design_of_the_shipped_sweep(sweep):
    design = a3x.sweep_design(sweep)
    assert (design.n_runs, design.n_budgets, design.n_short) == (30, 4, 5)
    assert design.centre_exponent == pytest.approx(0.5, abs=0.05)  # N placed at sqrt(C / 660)
    assert 1.2 < design.exact_over_6n_min < design.exact_over_6n_max < 1.9


def test_laptop_exponents_are_unchanged_by_a_constant_flop_ratio(sweep):
    from chinchilla_utils.book.training_curves import approach1_curves
    from chinchilla_utils.fitting.approach1 import fit_approach1
    from chinchilla_utils.fitting.approach2 import fit_approach2

    # every run costs 1.5 x 6ND: the same frontier at 1.5 times the compute, the same exponents
    constant = sweep.assign(
        exact_over_6n=1.5, flops_exact=1.5 * 6 * sweep["n_params"] * sweep["n_tokens"]
    )
    from chinchilla_utils.book.sweep_fits import APPROACH1_SMOOTH

    curves = approach1_curves(load_sweep_curves(None), constant, count_embeddings=True)
    # smoothed as the shared fit is (laptop_exponents smooths its exact-FLOP refit alike)
    low = float(constant["budget"].min())
    a1 = fit_approach1(curves, flops_min=low, smooth=APPROACH1_SMOOTH)
    a2 = fit_approach2(constant, budget="budget", loss="final_val_loss")
    table = a3x.laptop_exponents(constant, curves, a1, a2, LAW, data.table2_exponents())
    np.testing.assert_allclose(table["a (exact FLOPs)"], table["a (6ND)"], atol=1e-6)
    assert table.loc["Approach 3", "a (6ND)"] == pytest.approx(LAW.a)
    assert table.loc["Approach 1", "a (Table 2)"] == 0.5


def test_laptop_analysis_flattens_the_design_and_uses_a_given_fit(sweep):
    from chinchilla_utils.book.training_curves import approach1_curves
    from chinchilla_utils.fitting.approach1 import fit_approach1
    from chinchilla_utils.fitting.approach2 import fit_approach2

    curves = approach1_curves(load_sweep_curves(None), sweep, count_embeddings=True)
    a1 = fit_approach1(curves, flops_min=float(sweep["budget"].min()))
    a2 = fit_approach2(sweep, budget="budget", loss="final_val_loss")
    starts = STARTS[:10]
    given = fit_approach3(*a3x.run_arrays(sweep), grid=starts)
    laptop = a3x.laptop_analysis(
        sweep, curves, a1, a2, data.table2_exponents(), starts, approach3_all=given
    )
    assert laptop.subsets.fits["all runs"] is given
    assert laptop.sweep_n_runs == 30 and laptop.sweep_a_all == pytest.approx(given.law.a)
    assert laptop.laptop_a1 == pytest.approx(a1.a) and laptop.laptop_a3 == pytest.approx(
        given.law.a
    )
    assert laptop.sweep_a_min <= laptop.sweep_a_all <= laptop.sweep_a_max
