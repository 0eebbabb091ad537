"""Tests for chinchilla_utils.fitting.approach1 (envelope of training curves, Chapter 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from known_law import KnownLaw

from chinchilla_utils.constants import CHINCHILLA_FLOPS
from chinchilla_utils.fitting.approach1 import (
    N_GRID,
    bootstrap_approach1,
    envelope_of_curves,
    fit_approach1,
)
from chinchilla_utils.fitting.bootstrap import DEFAULT_SEED
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.fitting.synthetic import synthetic_training_curves

LAW = KnownLaw()
# 41 sizes, 0.1 dex apart, 1e7 to 1e11 parameters; every run logged from 1e16 to 1e23 FLOPs.
SIZES = np.logspace(7, 11, 41)
# Fit window where the true optimum (1e8 to 6.5e9 parameters) lies well inside the sizes.
WINDOW = {"flops_min": 1e18, "flops_max": 1e22}


@pytest.fixture(scope="module")
def exact_curves() -> pd.DataFrame:
    return synthetic_training_curves(LAW, SIZES, 1e23, n_points_per_run=60, flops_min=1e16)


def _run(run_id, n_params, flops, loss):
    flops = np.asarray(flops, dtype=float)
    return pd.DataFrame(
        {
            "run_id": run_id,
            "n_params": n_params,
            "n_tokens": flops / (6 * n_params),
            "loss": loss,
        }
    )


# --- the envelope ---------------------------------------------------------------------------


def test_envelope_interpolates_in_log_log_and_spans_the_data():
    flops = np.array([1e18, 1e19, 1e20])
    curves = _run("r", 1e8, flops, 5.0 * flops**-0.05)
    env = envelope_of_curves(curves, n_grid=50)
    assert len(env) == 50
    assert env["flops"].iloc[0] == pytest.approx(1e18) and env["flops"].iloc[-1] == pytest.approx(
        1e20
    )
    np.testing.assert_allclose(np.diff(np.log10(env["flops"])), 2 / 49)
    # A power law is a straight line on log-log axes: log-log interpolation is exact on it
    # (linear interpolation of loss against FLOPs would miss by ~1e-3 between logged points).
    np.testing.assert_allclose(env["loss"], 5.0 * env["flops"] ** -0.05, rtol=1e-12)
    np.testing.assert_allclose(env["n_tokens"], env["flops"] / 6e8, rtol=1e-12)
    assert list(env.columns) == [
        "flops",
        "loss",
        "run_id",
        "n_params",
        "n_tokens",
        "n_runs_competing",
    ]
    assert (env["n_runs_competing"] == 1).all()


def test_envelope_takes_the_lower_run_and_never_extrapolates():
    # Small model: 1e17..1e19 FLOPs; big model: 1e18..1e20, lower loss beyond 1e18.5.
    small = _run("small", 1e7, [1e17, 1e19], [3.0, 2.5])
    big = _run("big", 1e9, [1e18, 1e20], [2.9, 2.0])
    env = envelope_of_curves(pd.concat([small, big]), n_grid=301)
    log_c = np.log10(env["flops"].to_numpy())
    assert env.loc[log_c < 18 - 1e-9, "run_id"].eq("small").all()  # only small covers it
    assert env.loc[log_c > 19 + 1e-9, "run_id"].eq("big").all()  # small stops at 1e19
    # Where both cover, the lower curve wins: big drops below small after they cross.
    both = (log_c >= 18) & (log_c <= 19)
    winners = env.loc[both, "run_id"].to_numpy()
    assert winners[0] == "small" and winners[-1] == "big"
    assert env["loss"].is_monotonic_decreasing
    np.testing.assert_allclose(env["n_tokens"], env["flops"] / (6 * env["n_params"]), rtol=1e-12)


def test_a_point_only_one_run_reaches_is_not_fitted():
    # Three sizes at one budget; rounding to whole steps lets the smallest overshoot the budget
    # by 0.01%, where it alone "wins" the last grid value with its worse loss.
    flops = np.logspace(17, 19, 30)
    runs = [
        _run("small", 1e7, np.append(flops[:-1], 1.0001e19), 3.0 * flops**-0.02),
        _run("mid", 3e7, flops, 2.7 * flops**-0.02),
        _run("big", 1e8, flops, 4.135 * flops**-0.03),  # crosses "mid" near 10^18.5
    ]
    curves = pd.concat(runs)
    env = envelope_of_curves(curves, n_grid=200)
    assert env["run_id"].iloc[-1] == "small" and env["n_runs_competing"].iloc[-1] == 1
    assert env["n_runs_competing"].iloc[:-1].eq(3).all()
    result = fit_approach1(curves, n_grid=200, flops_min=1e18)
    assert not result.envelope["fitted"].iloc[-1]
    assert result.runs_on_envelope == ("mid", "big")
    assert result.flops_max < 1e19 and result.envelope["run_id"].iloc[-2] == "big"
    # min_competing=1 keeps it, and the lone point pulls the fitted sizes down.
    lone = fit_approach1(curves, n_grid=200, flops_min=1e18, min_competing=1)
    assert lone.runs_on_envelope == ("small", "mid", "big")
    assert lone.a < result.a
    boot = bootstrap_approach1(
        curves, n_resamples=20, rng=0, method="replacement", n_grid=200, flops_min=1e18
    )
    assert (boot.summary["n_failed"] < 20).all()
    with pytest.raises(ValueError, match="min_competing must be at least 1"):
        fit_approach1(curves, min_competing=0)
    for bad in (1.5, True):
        with pytest.raises(TypeError, match="min_competing must be an integer"):
            fit_approach1(curves, min_competing=bad)


def test_grid_values_in_a_gap_between_runs_are_left_out():
    one = _run("one", 1e7, [1e16, 1e17], [3.0, 2.9])
    two = _run("two", 1e9, [1e19, 1e20], [2.5, 2.2])
    env = envelope_of_curves(pd.concat([one, two]), n_grid=41)  # 0.1 dex steps
    log_c = np.log10(env["flops"].to_numpy())
    assert not np.any((log_c > 17 + 1e-9) & (log_c < 19 - 1e-9))
    assert len(env) == 22


def test_explicit_flops_column_is_used_instead_of_6nd():
    curves = _run("r", 1e8, [1e18, 1e20], [3.0, 2.5])
    curves["flops"] = 2 * 6 * curves["n_params"] * curves["n_tokens"]
    env = envelope_of_curves(curves, n_grid=10)
    assert env["flops"].iloc[0] == pytest.approx(2e18)
    assert env["flops"].iloc[-1] == pytest.approx(2e20)
    np.testing.assert_allclose(env["n_tokens"], env["flops"] / 12e8, rtol=1e-12)


def test_default_grid_is_the_papers_1500(exact_curves):
    assert N_GRID == 1500
    assert len(envelope_of_curves(exact_curves)) == 1500


# --- recovery -------------------------------------------------------------------------------


def test_noise_free_recovery(exact_curves):
    result = fit_approach1(exact_curves, **WINDOW)
    # Measured 0.4522 vs true 0.4516: the envelope's size is a staircase over 0.1-dex sizes.
    assert result.a == pytest.approx(LAW.a, abs=0.005)
    # With C = 6 N D exactly, D_opt = C / (6 N_opt): b = 1 - a to rounding.
    assert result.b == pytest.approx(1 - result.a, abs=1e-9)
    assert result.n_runs == 41
    assert not result.smallest_run_on_envelope and not result.largest_run_on_envelope
    assert len(result.runs_on_envelope) >= 15
    sizes = [
        float(exact_curves.loc[exact_curves.run_id == r, "n_params"].iloc[0])
        for r in result.runs_on_envelope
    ]
    assert sizes == sorted(sizes)
    assert result.flops_min >= 1e18 and result.flops_max <= 1e22
    assert result.n_envelope_points == int(result.envelope["fitted"].sum())
    assert result.n_fit.n_points == result.n_envelope_points
    assert result.frontier.n_opt(1e21) == pytest.approx(result.n_fit.predict(1e21), rel=1e-9)
    assert result.frontier.name == "Approach 1"


def test_noisy_recovery_within_0_02_with_smoothing():
    rng = np.random.default_rng(20220329)
    curves = synthetic_training_curves(
        LAW, SIZES, 1e23, n_points_per_run=100, flops_min=1e16, noise=0.002, rng=rng
    )
    result = fit_approach1(curves, smooth=5, **WINDOW)
    # Five seeds: max error 0.007 with smooth=5 (0.011 without); stated tolerance 0.02.
    assert result.a == pytest.approx(LAW.a, abs=0.02)
    assert result.b == pytest.approx(1 - LAW.a, abs=0.02)


def test_edge_flags_when_the_smallest_size_holds_the_low_end(exact_curves):
    result = fit_approach1(exact_curves)  # whole range, down to 1e16 FLOPs
    assert result.smallest_run_on_envelope
    assert result.envelope["fitted"].all()


# --- errors ---------------------------------------------------------------------------------


def _ok():
    return pd.concat(
        [_run("a", 1e7, [1e17, 1e19], [3.0, 2.5]), _run("b", 1e9, [1e18, 1e20], [2.9, 2.0])]
    )


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda df: df.drop(columns="n_tokens"), r"data lacks column 'n_tokens'"),
        (lambda df: df.to_numpy(), "must be a pandas DataFrame"),
        (lambda df: df.assign(loss=-df["loss"]), "loss must be strictly positive"),
        (lambda df: df.assign(n_tokens=df["n_tokens"] * np.nan), "n_tokens must be finite"),
        (lambda df: df.assign(run_id=None), "run_id is missing in row 0"),
        (lambda df: pd.concat([df, _run("c", 1e8, [1e18], [2.7])]), "run 'c' has 1 logged point"),
        (
            lambda df: df.assign(n_params=[1e7, 2e7, 1e9, 1e9], n_tokens=[1e9, 1e10, 1e8, 1e9]),
            "several n_params",
        ),
        (lambda df: pd.concat([df, df.iloc[[0]]]), "same FLOP value twice"),
    ],
)
def test_bad_curves_are_rejected(mutate, match):
    with pytest.raises(ValueError, match=match):
        fit_approach1(mutate(_ok()), n_grid=20)


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="n_grid must be at least 2"):
        envelope_of_curves(_ok(), n_grid=1)
    with pytest.raises(ValueError, match="smooth must be"):
        envelope_of_curves(_ok(), smooth=0)
    with pytest.raises(ValueError, match="flops_min must be below flops_max"):
        fit_approach1(_ok(), flops_min=1e19, flops_max=1e18)
    with pytest.raises(ValueError, match="flops_min must be strictly positive"):
        fit_approach1(_ok(), flops_min=-1.0)
    with pytest.raises(FitError, match="at least 2 envelope points"):
        fit_approach1(_ok(), n_grid=20, flops_min=1e21, flops_max=1e22)


def test_envelope_size_shrinking_with_compute_is_refused():
    # The big model wins early and the small one late: N_opt would fall with compute.
    big = _run("big", 1e9, [1e17, 1e19], [2.0, 1.95])
    small = _run("small", 1e7, [1e17, 1e19], [2.5, 1.5])
    with pytest.raises(FitError, match="does not grow") as info:
        fit_approach1(pd.concat([big, small]), n_grid=50)
    assert info.value.reason == "no frontier"


# --- bootstrap ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coarse_curves() -> pd.DataFrame:
    # 21 sizes, 0.2 dex apart: few enough runs that resampling them visibly moves the fit.
    return synthetic_training_curves(LAW, np.logspace(7, 11, 21), 1e23, 40, flops_min=1e16)


def test_bootstrap_same_seed_identical_different_seed_differs(coarse_curves):
    one = bootstrap_approach1(coarse_curves, n_resamples=20, rng=np.random.default_rng(5), **WINDOW)
    two = bootstrap_approach1(coarse_curves, n_resamples=20, rng=5, **WINDOW)
    three = bootstrap_approach1(coarse_curves, n_resamples=20, rng=6, **WINDOW)
    pd.testing.assert_frame_equal(one.samples, two.samples)
    assert not np.allclose(one.samples["a"], three.samples["a"])
    assert (one.unit, one.method, one.n_resamples, one.fraction) == ("runs", "subsample", 20, 0.8)
    # rng=None is the documented fixed seed, not fresh entropy.
    default = bootstrap_approach1(coarse_curves, n_resamples=5, **WINDOW)
    again = bootstrap_approach1(coarse_curves, n_resamples=5, rng=DEFAULT_SEED, **WINDOW)
    pd.testing.assert_frame_equal(default.samples, again.samples)


@pytest.mark.parametrize("method", ["replacement", "subsample"])
def test_bootstrap_centres_on_the_truth(coarse_curves, method):
    boot = bootstrap_approach1(
        coarse_curves, n_resamples=30, rng=np.random.default_rng(1), method=method, **WINDOW
    )
    assert list(boot.samples.columns) == ["a", "b", "n_opt", "tokens_per_param"]
    assert boot.summary.loc["a", "p50"] == pytest.approx(LAW.a, abs=0.02)
    assert boot.summary.loc["a", "n_failed"] == 0
    np.testing.assert_allclose(
        boot.samples["tokens_per_param"], CHINCHILLA_FLOPS / (6 * boot.samples["n_opt"] ** 2)
    )


def test_bootstrap_full_sample_equals_the_fit(coarse_curves):
    # Subsampling every run (fraction 1) must reproduce fit_approach1 exactly.
    boot = bootstrap_approach1(
        coarse_curves,
        n_resamples=2,
        rng=np.random.default_rng(0),
        method="subsample",
        fraction=1.0,
        flops_for_ratio=1e21,
        **WINDOW,
    )
    fit = fit_approach1(coarse_curves, **WINDOW)
    np.testing.assert_allclose(boot.samples["a"], fit.a, rtol=1e-10)
    np.testing.assert_allclose(boot.samples["b"], fit.b, rtol=1e-10)
    np.testing.assert_allclose(boot.samples["n_opt"], fit.n_fit.predict(1e21), rtol=1e-10)


def test_bootstrap_failures_are_nan_and_counted():
    # Run "early" ends before the fit window; a resample of only "early" has no envelope there.
    early = _run("early", 1e7, [1e16, 1e17], [3.0, 2.9])
    late_a = _run("late_a", 1e8, [1e18, 1e20], [2.6, 2.3])
    late_b = _run("late_b", 1e9, [1e18, 1e20], [2.7, 2.1])
    curves = pd.concat([early, late_a, late_b])
    boot = bootstrap_approach1(
        curves,
        n_resamples=60,
        rng=np.random.default_rng(2),
        method="replacement",
        n_grid=100,
        flops_min=1e18,
        flops_max=1e20,
    )
    failed = boot.samples["a"].isna()
    assert 0 < failed.sum() < 60
    assert boot.summary.loc["a", "n_failed"] == failed.sum() == boot.n_failed
    assert set(boot.failure_reason[failed]) == {"too few envelope points"}


def test_bootstrap_is_silent_in_batch_runs(coarse_curves, capsys):
    bootstrap_approach1(coarse_curves, n_resamples=3, rng=np.random.default_rng(0), **WINDOW)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_bootstrap_bad_arguments(coarse_curves):
    with pytest.raises(TypeError, match="numpy.random.Generator, an integer seed or None"):
        bootstrap_approach1(coarse_curves, n_resamples=3, rng=4.2)
    with pytest.raises(ValueError, match="did you mean 'replacement'"):
        bootstrap_approach1(
            coarse_curves, n_resamples=3, rng=np.random.default_rng(0), method="replacment"
        )
    with pytest.raises(ValueError, match="flops_for_ratio must be strictly positive"):
        bootstrap_approach1(
            coarse_curves, n_resamples=3, rng=np.random.default_rng(0), flops_for_ratio=-1.0
        )


# --- issue 13: no silent wrong answers --------------------------------------------------------


def test_bootstrap_counts_a_resample_its_point_fit_refuses_as_failed():
    """Issue 13 item 3: on flat curves fit_approach1 refuses (a <= 0); the bootstrap gave a = 0."""
    flat = synthetic_training_curves(LAW, SIZES[::8], 1e20).assign(loss=3.0)
    with pytest.raises(FitError, match="does not grow with compute") as info:
        fit_approach1(flat)
    assert info.value.reason == "no frontier"
    boot = bootstrap_approach1(flat, n_resamples=12, rng=np.random.default_rng(0))
    assert boot.samples["a"].isna().all()
    assert boot.n_failed == 12
    assert boot.failure_counts().to_dict() == {"no frontier": 12}


def test_too_few_envelope_points_is_a_fit_error():
    """Issue 13 (runtime failures raise FitError): a fit window the envelope does not reach."""
    curves = synthetic_training_curves(LAW, SIZES[::8], 1e20)
    with pytest.raises(FitError, match="at least 2 envelope points") as info:
        fit_approach1(curves, flops_min=1e21, flops_max=1e22)
    assert info.value.reason == "too few envelope points"
    assert not isinstance(info.value, ValueError)
