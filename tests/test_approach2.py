"""Tests for chinchilla_utils.fitting.approach2 (iso-FLOP parabolas, Chapter 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from known_law import KnownLaw

from chinchilla_utils.fitting.approach2 import (
    CHINCHILLA_FLOPS,
    ParabolaError,
    bootstrap_approach2,
    fit_approach2,
    fit_isoflop_parabola,
)
from chinchilla_utils.fitting.bootstrap import progress_iter
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.fitting.synthetic import synthetic_isoflop_points

# The paper's nine iso-FLOP budgets (Figure 4 legend), FLOPs.
BUDGETS = np.array([6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21])


LAW = KnownLaw()


# --- one parabola -------------------------------------------------------------------------


def test_parabola_recovers_an_exact_vertex():
    n = np.logspace(8, 10, 7)
    loss = 2.0 + 0.1 * (np.log(n) - np.log(1e9)) ** 2
    fit = fit_isoflop_parabola(n, loss, budget=1e20)
    assert fit.n_opt == pytest.approx(1e9, rel=1e-8)
    assert fit.loss_opt == pytest.approx(2.0, abs=1e-10)
    assert fit.curvature == pytest.approx(0.1, rel=1e-8)
    assert fit.residual_std == pytest.approx(0.0, abs=1e-10)
    assert (fit.n_min_sampled, fit.n_max_sampled) == (pytest.approx(1e8), pytest.approx(1e10))
    assert (fit.n_points, fit.n_sizes, fit.budget) == (7, 7, 1e20)
    # Coefficients are in x = ln N itself: evaluating them by hand gives the data back.
    c0, c1, c2 = fit.coefficients
    x = np.log(n)
    np.testing.assert_allclose(c0 + c1 * x + c2 * x**2, loss, rtol=1e-9)
    np.testing.assert_allclose(fit.predict(n), loss, rtol=1e-9)


def test_parabola_vertex_on_a_sampled_edge_is_accepted():
    n = np.array([1e9, 2e9, 4e9])
    loss = 2.0 + 0.1 * (np.log(n) - np.log(1e9)) ** 2
    assert fit_isoflop_parabola(n, loss).n_opt == pytest.approx(1e9, rel=1e-6)


def test_downward_parabola_is_refused_naming_the_budget():
    n = np.logspace(8, 10, 5)
    loss = 3.0 - 0.05 * (np.log(n) - np.log(1e9)) ** 2
    with pytest.raises(ParabolaError, match=r"6e\+20 FLOPs.*opens downward") as info:
        fit_isoflop_parabola(n, loss, budget=6e20)
    assert info.value.reason == "opens downward"
    assert isinstance(info.value, FitError) and not isinstance(info.value, ValueError)


def test_vertex_outside_sampled_sizes_is_refused():
    n = np.logspace(8, 9, 5)
    loss = 2.0 + 0.1 * (np.log(n) - np.log(1e10)) ** 2  # true minimum at 1e10, sampled to 1e9
    with pytest.raises(ParabolaError, match=r"vertex N = 1e\+10.*outside") as info:
        fit_isoflop_parabola(n, loss, budget=1e19)
    assert info.value.reason == "vertex outside sampled sizes"


def test_fewer_than_three_distinct_sizes_is_refused():
    with pytest.raises(ParabolaError, match="at least 3 distinct") as info:
        fit_isoflop_parabola([1e8, 1e8, 1e9, 1e9], [3.0, 3.1, 2.9, 2.95])
    assert info.value.reason == "fewer than 3 distinct sizes"


@pytest.mark.parametrize(
    ("n_params", "loss", "match"),
    [
        ([1e8, -1e9, 1e10], [3.0, 2.0, 3.0], "n_params must be strictly positive"),
        ([1e8, 1e9, 1e10], [3.0, np.nan, 3.0], "loss must be finite"),
        ([1e8, 1e9, 1e10], [3.0, 2.0], "same shape"),
    ],
)
def test_parabola_bad_inputs(n_params, loss, match):
    with pytest.raises(ValueError, match=match) as info:
        fit_isoflop_parabola(n_params, loss)
    assert not isinstance(info.value, ParabolaError)


# --- Approach 2 across budgets --------------------------------------------------------------


def test_noise_free_recovery_is_exact():
    # Along an iso-FLOP line L - E = K(C) (e^{-alpha u}/alpha + e^{beta u}/beta), u = ln(N/N_opt):
    # the same shape at every budget, so the parabola's vertex is off by one constant factor
    # and the exponent comes back exactly.
    result = fit_approach2(synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=9))
    assert result.a == pytest.approx(LAW.a, abs=1e-9)  # 0.4516
    assert result.b == pytest.approx(1 - LAW.a, abs=1e-9)
    ratio = result.per_budget["n_opt"] / LAW.n_opt(result.per_budget["budget"])
    assert np.ptp(ratio) < 1e-9
    assert abs(ratio.iloc[0] - 1) < 0.03  # the constant bias of a parabola fit at +-0.6 dex


def test_noisy_recovery_within_0_02():
    rng = np.random.default_rng(20220329)
    points = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=15, noise=0.002, rng=rng)
    result = fit_approach2(points)
    # Over 20 seeds at this noise the largest error was 0.007; 0.02 is the stated tolerance.
    assert result.a == pytest.approx(LAW.a, abs=0.02)
    assert result.b == pytest.approx(1 - LAW.a, abs=0.02)
    assert result.n_budgets_ok == 9
    assert result.n_points_used == 9 * 15


def test_per_budget_table_and_frontier_agree():
    result = fit_approach2(synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=9))
    table = result.per_budget
    assert list(table.columns[:7]) == [
        "budget",
        "n_points",
        "n_sizes",
        "n_opt",
        "d_opt",
        "loss_opt",
        "curvature",
    ]
    np.testing.assert_allclose(table["d_opt"], table["budget"] / (6 * table["n_opt"]))
    np.testing.assert_allclose(table["budget"], np.sort(BUDGETS))
    assert set(result.parabolas) == set(BUDGETS)
    assert result.n_fit.predict(1e20) == pytest.approx(
        float(result.n_fit.coefficient * 1e20**result.a)
    )
    assert result.frontier.name == "Approach 2"
    assert result.frontier.n_opt(1e22) == pytest.approx(result.n_fit.predict(1e22), rel=1e-9)


def test_refused_budget_is_kept_with_its_reason_and_not_fitted():
    good = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=9)
    # An extra budget sampled 1 dex to the left of its optimum: the vertex is outside.
    bad = synthetic_isoflop_points(LAW, [1e22], n_per_budget=9, centre_offset_dex=-1.0)
    result = fit_approach2(pd.concat([good, bad], ignore_index=True))
    row = result.per_budget.set_index("budget").loc[1e22]
    assert row["status"] == "vertex outside sampled sizes"
    assert "1e+22 FLOPs" in row["message"]
    assert np.isnan(row["n_opt"])
    assert result.n_budgets_refused == 1
    assert result.n_fit.n_points == 9
    assert result.a == pytest.approx(LAW.a, abs=1e-9)
    assert 1e22 not in result.parabolas


def test_rows_without_budget_and_excluded_rows_are_counted():
    points = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=9)
    stray = pd.DataFrame({"budget": [np.nan, np.nan], "n_params": [1e9, 2e9], "loss": [3.0, 3.0]})
    points = pd.concat([points, stray], ignore_index=True)
    points["outlier"] = False
    points.loc[0, "loss"] = 10.0  # a wild point that would bend the first parabola
    points.loc[0, "outlier"] = True
    result = fit_approach2(points, exclude="outlier")
    assert result.n_rows_without_budget == 2
    assert result.n_rows_excluded == 1
    assert result.n_points_used == 9 * 9 - 1
    assert result.a == pytest.approx(LAW.a, abs=1e-3)
    without = fit_approach2(points)
    assert without.n_rows_excluded == 0
    assert without.a != pytest.approx(result.a, abs=1e-6)


def test_other_column_names():
    points = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=9).rename(
        columns={"budget": "isoflop_budget", "n_params": "N", "loss": "L"}
    )
    result = fit_approach2(points, budget="isoflop_budget", n_params="N", loss="L")
    assert result.a == pytest.approx(LAW.a, abs=1e-9)


def test_fewer_than_two_ok_budgets_is_a_clear_error():
    good = synthetic_isoflop_points(LAW, [1e20], n_per_budget=9)
    bad = synthetic_isoflop_points(LAW, [1e21], n_per_budget=9, centre_offset_dex=1.5)
    with pytest.raises(FitError, match=r"at least 2 budgets.*got 1 of 2.*1e\+21: vertex outside"):
        fit_approach2(pd.concat([good, bad]))


@pytest.mark.parametrize(
    ("mutate", "kwargs", "match"),
    [
        (lambda df: df.drop(columns="loss"), {}, r"data lacks column 'loss'"),
        (lambda df: df.assign(loss=-df["loss"]), {}, "loss must be strictly positive"),
        (lambda df: df.assign(budget=-df["budget"]), {}, "budget must be strictly positive"),
        (lambda df: df, {"exclude": "outlier"}, "outlier"),
        (lambda df: df.to_numpy(), {}, "must be a pandas DataFrame"),
    ],
)
def test_fit_approach2_bad_inputs(mutate, kwargs, match):
    points = synthetic_isoflop_points(LAW, BUDGETS[:3], n_per_budget=5)
    with pytest.raises(ValueError, match=match):
        fit_approach2(mutate(points), **kwargs)


# --- bootstrap ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy_points() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=12, noise=0.002, rng=rng)


def test_bootstrap_same_seed_identical_and_different_seed_differs(noisy_points):
    one = bootstrap_approach2(noisy_points, n_resamples=15, rng=np.random.default_rng(3))
    two = bootstrap_approach2(noisy_points, n_resamples=15, rng=np.random.default_rng(3))
    three = bootstrap_approach2(noisy_points, n_resamples=15, rng=np.random.default_rng(4))
    pd.testing.assert_frame_equal(one.samples, two.samples)
    assert not np.allclose(one.samples["a"], three.samples["a"])
    assert (one.method, one.unit, one.n_resamples, one.fraction) == ("subsample", "points", 15, 0.8)


@pytest.mark.parametrize("method", ["subsample", "replacement"])
def test_bootstrap_brackets_the_true_exponent(noisy_points, method):
    boot = bootstrap_approach2(
        noisy_points, n_resamples=20, rng=np.random.default_rng(11), method=method
    )
    assert list(boot.samples.columns) == [
        "a",
        "b",
        "n_opt",
        "tokens_per_param",
        "n_budgets_refused",
    ]
    assert boot.summary.loc["a", "p50"] == pytest.approx(LAW.a, abs=0.02)
    np.testing.assert_allclose(boot.samples["a"] + boot.samples["b"], 1.0)
    ratio = boot.samples["tokens_per_param"]
    n_opt = boot.samples["n_opt"]
    np.testing.assert_allclose(ratio, CHINCHILLA_FLOPS / (6 * n_opt**2))
    low, high = boot.interval("a")
    assert low <= boot.summary.loc["a", "p50"] <= high


def test_bootstrap_ratio_budget_is_used(noisy_points):
    boot = bootstrap_approach2(
        noisy_points, n_resamples=5, rng=np.random.default_rng(0), flops_for_ratio=1e21
    )
    fit = fit_approach2(noisy_points)
    # At 1e21 FLOPs (inside the data) every resample agrees with the full fit to ~5%.
    np.testing.assert_allclose(boot.samples["n_opt"], fit.n_fit.predict(1e21), rtol=0.05)


def test_failed_resamples_are_counted_as_nan():
    # Two budgets of exactly 3 sizes: an 80% subsample (5 of 6 points) always leaves one
    # budget with 2 sizes, so every resample fails rather than returning a number.
    points = synthetic_isoflop_points(LAW, [1e19, 1e20], n_per_budget=3)
    boot = bootstrap_approach2(points, n_resamples=6, rng=np.random.default_rng(0))
    assert boot.samples["a"].isna().all()
    assert boot.summary.loc["a", "n_failed"] == 6


def test_bootstrap_bad_arguments(noisy_points):
    with pytest.raises(TypeError, match="numpy.random.Generator, an integer seed or None"):
        bootstrap_approach2(noisy_points, n_resamples=5, rng="seed")
    with pytest.raises(ValueError, match="did you mean 'subsample'"):
        bootstrap_approach2(
            noisy_points, n_resamples=5, rng=np.random.default_rng(0), method="subsampel"
        )
    with pytest.raises(ValueError, match="flops_for_ratio must be strictly positive"):
        bootstrap_approach2(
            noisy_points, n_resamples=5, rng=np.random.default_rng(0), flops_for_ratio=0.0
        )


def test_progress_bar_silent_in_batch_runs(noisy_points, capsys):
    bootstrap_approach2(noisy_points, n_resamples=3, rng=np.random.default_rng(0))
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    assert list(progress_iter(range(3), 3, "x", progress=False)) == [0, 1, 2]


def test_progress_bar_shown_when_asked(capsys):
    assert list(progress_iter(range(3), 3, "demo bar", progress=True)) == [0, 1, 2]
    assert "demo bar" in capsys.readouterr().err


def test_optimum_shrinking_with_compute_has_no_frontier():
    # Vertices placed by hand so that N_opt falls as the budget grows.
    rows = []
    for budget, centre in [(1e19, 1e10), (1e20, 1e9), (1e21, 1e8)]:
        n = centre * np.logspace(-0.5, 0.5, 5)
        rows.append(
            pd.DataFrame(
                {"budget": budget, "n_params": n, "loss": 2 + 0.1 * np.log(n / centre) ** 2}
            )
        )
    with pytest.raises(FitError, match="does not grow with compute") as info:
        fit_approach2(pd.concat(rows))
    assert info.value.reason == "no frontier"


# --- issue 13: no silent wrong answers --------------------------------------------------------


def _shrinking_optimum_points() -> pd.DataFrame:
    """Three budgets whose vertices fall as compute grows: fit_approach2 finds no frontier."""
    rows = []
    for budget, centre in [(1e19, 1e10), (1e20, 1e9), (1e21, 1e8)]:
        n = centre * np.logspace(-0.5, 0.5, 7)
        loss = 2 + 0.1 * np.log(n / centre) ** 2
        rows.append(pd.DataFrame({"budget": budget, "n_params": n, "loss": loss}))
    return pd.concat(rows, ignore_index=True)


def test_flat_profile_is_refused_like_a_downward_one():
    """Issue 13 item 1: with every loss equal, round-off curvature (~1e-16) passed as a minimum."""
    n = np.logspace(8, 10, 7)
    with pytest.raises(ParabolaError, match=r"1e\+20 FLOPs.*flat") as info:
        fit_isoflop_parabola(n, np.full(7, 3.0), budget=1e20)
    assert info.value.reason == "flat"
    # A shallow but real minimum (rise 1e-5 nats across the sizes, loss 3) is still accepted.
    shallow = 3.0 + 1e-5 * ((np.log(n) - np.log(1e9)) / np.log(10)) ** 2
    assert fit_isoflop_parabola(n, shallow).n_opt == pytest.approx(1e9, rel=1e-6)


def test_all_flat_profiles_give_no_frontier():
    """Issue 13 item 1: on equal losses 3 of 5 budgets fitted 'ok' and the frontier had a = 1.03."""
    points = synthetic_isoflop_points(LAW, BUDGETS[:5], n_per_budget=7).assign(loss=3.0)
    with pytest.raises(FitError, match="at least 2 budgets") as info:
        fit_approach2(points)
    assert info.value.reason == "too few budgets"
    assert str(info.value).count("flat") == 5


def test_bootstrap_counts_a_resample_its_point_fit_refuses_as_failed():
    """Issue 13 item 3: on data fit_approach2 refuses (a <= 0) the bootstrap reported p50 -0.446."""
    points = _shrinking_optimum_points()
    with pytest.raises(FitError, match="does not grow with compute"):
        fit_approach2(points)
    boot = bootstrap_approach2(points, n_resamples=10, rng=np.random.default_rng(0))
    assert boot.samples["a"].isna().all()
    assert boot.n_failed == 10
    assert set(boot.failure_reason) <= {"no frontier", "too few budgets"}
    assert boot.failure_counts()["no frontier"] >= 1


def test_non_numeric_budget_is_refused_naming_the_row():
    """Issue 13 item 6: an unparseable budget became NaN and its row vanished without a word."""
    points = synthetic_isoflop_points(LAW, BUDGETS[:3], n_per_budget=5)
    points["budget"] = points["budget"].astype(object)
    points.loc[7, "budget"] = "1e20 FLOPs"
    with pytest.raises(ValueError, match=r"budget.*row 7.*'1e20 FLOPs'"):
        fit_approach2(points)


def test_non_boolean_exclude_flags_are_refused_naming_the_row():
    """Issue 13 item 6: an exclude column of strings "False" excluded every row."""
    points = synthetic_isoflop_points(LAW, BUDGETS[:3], n_per_budget=5)
    points["outlier"] = "False"
    with pytest.raises(ValueError, match=r"outlier.*row 0.*'False'.*True or False"):
        fit_approach2(points, exclude="outlier")
    # Booleans, 0/1 and missing values (not flagged) are accepted.
    points["outlier"] = [True] + [False] * (len(points) - 2) + [None]
    assert fit_approach2(points, exclude="outlier").n_rows_excluded == 1


def test_budgets_jittered_apart_are_refused_with_the_grouping_rule():
    """Issue 13, errors: budgets jittered by 1e-12 split into one-point budgets with no hint."""
    points = synthetic_isoflop_points(LAW, BUDGETS[:3], n_per_budget=5)
    points["budget"] = points["budget"] * (1 + 1e-12 * np.arange(len(points)))
    with pytest.raises(ValueError, match=r"budget.*grouped by exact value.*round"):
        fit_approach2(points)
