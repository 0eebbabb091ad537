"""Tests for chinchilla_utils.fitting.budget_resampling (Approach 2 by whole budgets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.fitting.approach2 import bootstrap_approach2, fit_approach2
from chinchilla_utils.fitting.bootstrap import resample_indices
from chinchilla_utils.fitting.budget_resampling import bootstrap_approach2_budgets, vertex_scatter
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.fitting.powerlaw import fit_power_law

BUDGETS = np.array([6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21])
K, A = 0.1, 0.5  # N_opt = K C^A


def isoflop_runs(
    budgets=BUDGETS,
    offsets_dex=None,
    noise=0.0,
    rng=None,
    n_sizes=9,
    curvature=0.05,
) -> pd.DataFrame:
    """Exact parabolas in ln N about N* = K C^A 10^offset, plus Gaussian loss noise (nats)."""
    offsets = np.zeros(len(budgets)) if offsets_dex is None else np.asarray(offsets_dex)
    rows = []
    for budget, offset in zip(budgets, offsets, strict=True):
        centre = K * budget**A * 10**offset
        n = centre * np.logspace(-0.8, 0.8, n_sizes)
        loss = 2.0 + curvature * np.log(n / centre) ** 2
        if noise:
            loss = loss + noise * rng.standard_normal(n_sizes)
        rows.append(pd.DataFrame({"budget": budget, "n_params": n, "loss": loss}))
    return pd.concat(rows, ignore_index=True)


# --- the budget bootstrap -----------------------------------------------------------------


def test_vertices_on_the_law_give_the_law_in_every_resample():
    runs = isoflop_runs()
    for method in ("subsample", "replacement"):
        boot = bootstrap_approach2_budgets(runs, n_resamples=50, method=method, rng=1)
        assert boot.unit == "budgets" and boot.method == method
        a = boot.samples["a"].dropna()
        assert len(a) >= 45  # the classic scheme can draw one budget only: rare, counted
        np.testing.assert_allclose(a, A, atol=1e-9)
        np.testing.assert_allclose(boot.samples["b"].dropna(), 1 - A, atol=1e-9)
        expected_n = K * 5.88e23**A
        np.testing.assert_allclose(boot.samples["n_opt"].dropna(), expected_n, rtol=1e-8)


def test_each_resample_is_the_power_law_through_the_drawn_vertices_with_repeats():
    rng = np.random.default_rng(0)
    runs = isoflop_runs(offsets_dex=rng.normal(0, 0.05, len(BUDGETS)), noise=0.002, rng=rng)
    point = fit_approach2(runs)
    boot = bootstrap_approach2_budgets(runs, n_resamples=20, method="replacement", rng=7)
    indices = resample_indices(len(BUDGETS), 20, np.random.default_rng(7), method="replacement")
    table = point.per_budget
    assert (table["status"] == "ok").all()
    for row, idx in enumerate(indices):
        fit = fit_power_law(table["budget"].to_numpy()[idx], table["n_opt"].to_numpy()[idx])
        assert boot.samples.loc[row, "a"] == pytest.approx(fit.exponent, rel=1e-12)
    # a budget drawn twice counts twice: at least one resample repeats a budget
    assert any(np.unique(idx).size < idx.size for idx in indices)


def test_subsample_of_every_budget_gives_the_point_fit():
    rng = np.random.default_rng(3)
    runs = isoflop_runs(offsets_dex=rng.normal(0, 0.05, len(BUDGETS)))
    point = fit_approach2(runs)
    boot = bootstrap_approach2_budgets(runs, n_resamples=5, fraction=1.0, rng=0)
    np.testing.assert_allclose(boot.samples["a"], point.a, rtol=1e-12)


def test_too_few_budgets_in_a_resample_is_a_counted_failure():
    runs = isoflop_runs(budgets=BUDGETS[:2])
    boot = bootstrap_approach2_budgets(runs, n_resamples=200, method="replacement", rng=0)
    # Two budgets drawn twice with replacement: the same one twice half of the time.
    assert set(boot.failure_counts().index) == {"too few budgets"}
    assert 70 < boot.n_failed < 130
    failed = boot.failure_reason != ""
    assert boot.samples[failed].isna().all().all()
    assert boot.samples[~failed]["a"].notna().all()


def test_a_refused_budget_brings_no_vertex_and_is_counted():
    runs = isoflop_runs()
    flat = runs["budget"] == BUDGETS[4]
    runs.loc[flat, "loss"] = 3.0 - 0.05 * np.log(runs.loc[flat, "n_params"] / 1e9) ** 2
    point = fit_approach2(runs)
    assert point.n_budgets_refused == 1
    boot = bootstrap_approach2_budgets(runs, n_resamples=40, method="replacement", rng=2)
    indices = resample_indices(len(BUDGETS), 40, np.random.default_rng(2), method="replacement")
    np.testing.assert_array_equal(boot.samples["n_budgets_refused"], (indices == 4).sum(axis=1))
    np.testing.assert_allclose(boot.samples["a"].dropna(), A, atol=1e-9)


def test_same_seed_same_samples_and_bad_input_refused():
    runs = isoflop_runs(offsets_dex=np.linspace(-0.05, 0.05, len(BUDGETS)))
    first = bootstrap_approach2_budgets(runs, n_resamples=10, rng=5)
    pd.testing.assert_frame_equal(
        first.samples, bootstrap_approach2_budgets(runs, n_resamples=10, rng=5).samples
    )
    with pytest.raises(ValueError, match="resampling method"):
        bootstrap_approach2_budgets(runs, method="jackknife")
    with pytest.raises(ValueError, match="fraction"):
        bootstrap_approach2_budgets(runs, fraction=0.0)
    with pytest.raises(ValueError, match="flops_for_ratio"):
        bootstrap_approach2_budgets(runs, flops_for_ratio=-1.0)


def test_the_point_fit_failing_raises_fit_error():
    runs = isoflop_runs(budgets=BUDGETS[:1])
    with pytest.raises(FitError) as info:
        bootstrap_approach2_budgets(runs)
    assert info.value.reason == "too few budgets"


# --- which units the data support ---------------------------------------------------------


def test_run_noise_alone_gives_an_excess_near_one():
    rng = np.random.default_rng(11)
    budgets = np.logspace(18, 22, 20)
    runs = isoflop_runs(budgets=budgets, noise=0.003, rng=rng, n_sizes=15)
    scatter = vertex_scatter(runs, n_resamples=200, rng=12)
    assert scatter.dof == 18 and len(scatter.table) == 20
    # chi-square with 18 dof: its central 99.8% lies in (5.4, 42.3)
    assert 5.4 < scatter.chi2 < 42.3
    assert 0.6 < scatter.excess < 1.6
    assert scatter.p_value > 0.001


def test_budget_offsets_show_as_excess_scatter():
    rng = np.random.default_rng(11)
    budgets = np.logspace(18, 22, 20)
    offsets = rng.normal(0, 0.05, budgets.size)  # 0.05 dex per budget, far above run noise
    runs = isoflop_runs(budgets=budgets, offsets_dex=offsets, noise=0.003, rng=rng, n_sizes=15)
    scatter = vertex_scatter(runs, n_resamples=200, rng=12)
    assert scatter.excess > 3 and scatter.p_value < 1e-6
    np.testing.assert_allclose(scatter.residual_std_dex, fit_approach2(runs).n_fit.residual_std)
    # with the budget bootstrap the interval of a widens accordingly
    by_runs = bootstrap_approach2(runs, n_resamples=100, method="replacement", rng=1)
    by_budgets = bootstrap_approach2_budgets(runs, n_resamples=100, method="replacement", rng=1)
    width = {
        name: np.subtract(*b.interval("a")[::-1])
        for name, b in (("runs", by_runs), ("budgets", by_budgets))
    }
    assert width["budgets"] > 2 * width["runs"]


def test_vertex_scatter_table_and_exclusion():
    rng = np.random.default_rng(4)
    runs = isoflop_runs(noise=0.003, rng=rng)
    runs["flagged"] = False
    runs.loc[0, ["loss", "flagged"]] = (9.0, True)  # an absurd run, excluded
    scatter = vertex_scatter(runs, exclude="flagged", n_resamples=50, rng=0)
    assert list(scatter.table.columns) == [
        "budget", "n_points", "n_opt", "residual_dex", "within_sd_dex", "n_refused", "z"
    ]  # fmt: skip
    assert scatter.table["n_points"].tolist() == [8] + [9] * 8
    np.testing.assert_allclose(
        scatter.table["z"], scatter.table["residual_dex"] / scatter.table["within_sd_dex"]
    )
    with pytest.raises(ValueError, match="n_resamples"):
        vertex_scatter(runs, n_resamples=1)


def test_two_budgets_leave_the_chi_square_no_degree_of_freedom():
    rng = np.random.default_rng(0)
    runs = isoflop_runs(budgets=BUDGETS[:2], noise=0.003, rng=rng)
    with pytest.raises(FitError) as info:
        vertex_scatter(runs, n_resamples=10, rng=0)
    assert info.value.reason == "too few budgets"
