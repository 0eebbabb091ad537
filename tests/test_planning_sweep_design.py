"""The IsoFLOP sweep planner: placement, the noise-free answer, and the simulated spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.fitting.approach2 import fit_approach2
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.laws import ParametricLoss
from chinchilla_utils.planning import (
    compare_sweep_designs,
    describe_design,
    named_law,
    plan_isoflop_sweep,
    recentre_design,
    repeat_noise,
    simulate_isoflop_sweep,
)

LAW = ParametricLoss.paper_unrounded()
BUDGETS = [1e18, 1e19, 1e20, 1e21]


def test_plan_is_centred_log_spaced_and_on_budget():
    plan = plan_isoflop_sweep(LAW, BUDGETS, n_sizes=7, half_width_dex=0.5)
    design = plan.design
    assert len(design) == 28 and plan.n_runs == 28
    for budget, group in design.groupby("budget"):
        np.testing.assert_allclose(group["dex_from_opt"], np.linspace(-0.5, 0.5, 7), atol=1e-12)
        np.testing.assert_allclose(6 * group["n_params"] * group["n_tokens"], budget, rtol=1e-12)
        np.testing.assert_allclose(
            group["predicted_loss"], LAW.loss(group["n_params"], group["n_tokens"]), rtol=1e-15
        )
    summary = describe_design(design, LAW)
    np.testing.assert_allclose(summary["opt_position"], 0.5, atol=1e-12)
    np.testing.assert_allclose(summary["centre_offset_dex"], 0.0, atol=1e-12)
    np.testing.assert_allclose(summary["span_dex"], 1.0, atol=1e-12)


def test_a_grid_that_tracks_the_optimum_recovers_a_exactly_without_noise():
    """The law's iso-FLOP profile in ln N has the same shape at every budget, so a grid at the
    same offset from the optimum everywhere shifts every vertex by the same factor: the slope a
    is exact, only the frontier's level moves."""
    centred = plan_isoflop_sweep(LAW, BUDGETS, 9, 1.0)
    shifted = plan_isoflop_sweep(LAW, BUDGETS, 9, 1.0, centre_offset_dex=0.4)
    assert centred.noise_free_a == pytest.approx(LAW.a, abs=1e-12)
    assert shifted.noise_free_a == pytest.approx(LAW.a, abs=1e-12)
    level = simulate_isoflop_sweep(shifted.design, LAW, noise=0.0, n_simulations=1)
    assert level.noise_free_n_opt != pytest.approx(level.true_n_opt, rel=1e-3)


def test_a_grid_centred_on_the_wrong_prior_biases_a():
    """Sizes placed with the paper's law (a = 0.457) while the truth is Epoch's refit (a = 0.513):
    the offset from the true optimum drifts with budget, and the noise-free a moves off 0.513."""
    truth = named_law("epoch")
    plan = plan_isoflop_sweep(LAW, [6e18, 6e19, 6e20, 3e21], 9, 1.0)
    offsets = describe_design(plan.design, truth)["centre_offset_dex"].to_numpy()
    assert np.all(np.diff(offsets) < 0)  # the prior's optimum grows too slowly
    sim = simulate_isoflop_sweep(plan.design, truth, noise=0.0, n_simulations=1)
    assert sim.a_systematic > 1e-4 and sim.a_systematic < 0.01


def test_noise_free_simulation_is_the_noise_free_fit():
    plan = plan_isoflop_sweep(LAW, BUDGETS, 5, 0.5)
    sim = simulate_isoflop_sweep(plan.design, LAW, noise=0.0, n_simulations=3)
    np.testing.assert_allclose(sim.samples["a"], sim.noise_free_a, rtol=1e-12)
    assert sim.n_failed == 0 and sim.width("a") == pytest.approx(0.0, abs=1e-12)


def test_simulation_matches_a_direct_refit_of_the_same_draws():
    plan = plan_isoflop_sweep(LAW, BUDGETS, 5, 0.5)
    sim = simulate_isoflop_sweep(plan.design, LAW, 0.02, 4, np.random.default_rng(11))
    rng = np.random.default_rng(11)
    exact = plan.design["predicted_loss"].to_numpy()
    for i in range(4):
        points = plan.design.assign(loss=exact * np.exp(0.02 * rng.standard_normal(exact.size)))
        assert sim.samples["a"].iloc[i] == pytest.approx(fit_approach2(points).a, rel=1e-12)


def test_spread_is_linear_in_small_noise():
    """Same draws, noise doubled: for small noise the refit is linear in it, so the 10-90% width
    doubles to within a percent."""
    plan = plan_isoflop_sweep(LAW, BUDGETS, 7, 0.5)
    widths = [
        simulate_isoflop_sweep(plan.design, LAW, s, 80, np.random.default_rng(5)).width("a")
        for s in (0.0005, 0.001)
    ]
    assert widths[1] / widths[0] == pytest.approx(2.0, rel=0.01)


def test_more_sizes_per_budget_narrow_the_interval():
    table = compare_sweep_designs(
        LAW, BUDGETS, [{"n_sizes": k} for k in (3, 11)], 0.01, 150, np.random.default_rng(2)
    )
    assert list(table["n_sizes"]) == [3, 11] and list(table["n_runs"]) == [12, 44]
    assert table["a_width"].iloc[1] < 0.75 * table["a_width"].iloc[0]
    np.testing.assert_allclose(table["a_width"], table["b_width"], rtol=1e-9)  # b = 1 - a
    assert (table["n_failed"] == 0).all()


def test_seeded_simulations_reproduce():
    plan = plan_isoflop_sweep(LAW, BUDGETS, 5, 0.5)
    first = simulate_isoflop_sweep(plan.design, LAW, 0.01, 20, np.random.default_rng(3))
    again = simulate_isoflop_sweep(plan.design, LAW, 0.01, 20, np.random.default_rng(3))
    other = simulate_isoflop_sweep(plan.design, LAW, 0.01, 20, np.random.default_rng(4))
    pd.testing.assert_frame_equal(first.samples, again.samples)
    assert not first.samples["a"].equals(other.samples["a"])


def test_refused_parabolas_are_counted_not_dropped():
    """Three sizes per budget and large noise: some parabolas open downward; every simulation
    stays in the table, failures as NaN."""
    plan = plan_isoflop_sweep(LAW, BUDGETS, 3, 0.2)
    sim = simulate_isoflop_sweep(plan.design, LAW, 0.05, 60, np.random.default_rng(0))
    assert len(sim.samples) == 60
    assert sim.samples["n_budgets_refused"].sum() > 0
    assert sim.n_failed == int(sim.samples["a"].isna().sum())


def test_a_real_sweep_design_with_repeated_sizes_is_accepted():
    design = pd.DataFrame(
        {
            "budget": [1e19] * 8 + [1e20] * 4,
            "n_params": [1e8, 2e8, 3e8, 5e8] * 2 + [4e8, 8e8, 1.5e9, 3e9],
        }
    )
    summary = describe_design(design, LAW)
    assert list(summary["n_runs"]) == [8, 4] and list(summary["n_sizes"]) == [4, 4]
    sim = simulate_isoflop_sweep(design, LAW, 0.005, 10, np.random.default_rng(1))
    assert sim.n_simulations == 10 and sim.reference_flops == 1e20


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(centre_offset_dex=0.6), r"centre_offset_dex 0.6 puts the prior optimum outside"),
        (dict(centre_offset_dex=[0.0, 0.1, 0.7, 0.0]), "outside the sampled sizes"),
        (dict(centre_offset_dex=[0.0, 0.1]), "one number or one per budget"),
        (dict(n_sizes=2), "n_sizes must be an integer >= 3, got 2"),
        (dict(n_sizes=5.0), "n_sizes must be an integer >= 3, got 5.0"),
        (dict(half_width_dex=0.0), "half_width_dex must be strictly positive"),
    ],
)
def test_plan_refuses_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plan_isoflop_sweep(LAW, BUDGETS, **{"half_width_dex": 0.5, **kwargs})


@pytest.mark.parametrize(
    ("budgets", "match"),
    [
        ([1e20], "at least 2 distinct budgets"),
        ([1e20, 1e20], "at least 2 distinct budgets"),
        ([1e20, -1e21], r"budgets must be strictly positive.*-1\.e\+21"),
        ([1e20, float("inf")], "budgets must be finite"),
    ],
)
def test_plan_refuses_bad_budgets(budgets, match):
    with pytest.raises(ValueError, match=match):
        plan_isoflop_sweep(LAW, budgets)


def test_simulation_refuses_bad_input():
    plan = plan_isoflop_sweep(LAW, BUDGETS, 5, 0.5)
    with pytest.raises(ValueError, match=r"noise must be >= 0.*-0.01"):
        simulate_isoflop_sweep(plan.design, LAW, -0.01, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        simulate_isoflop_sweep(plan.design, LAW, 0.01, 5, rng=None)
    with pytest.raises(ValueError, match="n_simulations must be an integer >= 1, got 0"):
        simulate_isoflop_sweep(plan.design, LAW, 0.01, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"design lacks column\(s\) \['n_params'\]"):
        simulate_isoflop_sweep(plan.design[["budget"]], LAW, 0.01, 5, np.random.default_rng(0))
    with pytest.raises(TypeError, match="law must be a ParametricLoss"):
        simulate_isoflop_sweep(plan.design, named_law("approach1"), 0.01, 5)


def test_a_design_far_from_the_optimum_is_refused():
    design = pd.DataFrame({"budget": [1e19] * 4 + [1e20] * 4, "n_params": [1e3, 2e3, 4e3, 8e3] * 2})
    with pytest.raises(ValueError, match="cannot measure the law's frontier even without noise"):
        simulate_isoflop_sweep(design, LAW, 0.01, 5, np.random.default_rng(0))


def test_all_failed_simulations_raise_fit_error_on_interval():
    plan = plan_isoflop_sweep(LAW, BUDGETS, 5, 0.5)
    sim = simulate_isoflop_sweep(plan.design, LAW, 0.0, 2)
    failed = type(sim)(
        sim.samples.assign(a=np.nan, b=np.nan, n_opt=np.nan), *list(vars(sim).values())[1:]
    )
    with pytest.raises(FitError, match="none of the 2 simulated sweeps"):
        failed.interval("a")


# -- noise from repeated runs -------------------------------------------------------------------
def test_repeat_noise_recovers_a_known_sigma():
    rng = np.random.default_rng(7)
    n_groups, per_group, sigma = 400, 3, 0.02
    runs = pd.DataFrame(
        {
            "budget": np.repeat(np.arange(n_groups) % 4 + 1.0, per_group) * 1e18,
            "n_params": np.repeat(np.arange(n_groups) + 1.0, per_group) * 1e6,
            "loss": 3.0 * np.exp(sigma * rng.standard_normal(n_groups * per_group)),
        }
    )
    noise = repeat_noise(runs)
    assert (noise.n_groups, noise.n_runs, noise.dof) == (400, 1200, 800)
    # the pooled estimate's relative standard error is 1/sqrt(2 dof) = 2.5%
    assert noise.sigma == pytest.approx(sigma, rel=0.075)


def test_repeat_noise_of_two_runs_is_half_their_log_ratio_times_sqrt_2():
    runs = pd.DataFrame(
        {"budget": [1e12] * 3, "n_params": [1e4, 1e4, 2e4], "loss": [2.0, 2.2, 1.9]}
    )
    assert repeat_noise(runs).sigma == pytest.approx(abs(np.log(2.2 / 2.0)) / np.sqrt(2), rel=1e-12)


def test_repeat_noise_needs_a_repeated_run():
    runs = pd.DataFrame({"budget": [1e12, 1e12], "n_params": [1e4, 2e4], "loss": [2.0, 1.9]})
    with pytest.raises(ValueError, match="no configuration .* run more than once"):
        repeat_noise(runs)
    with pytest.raises(ValueError, match=r"runs lacks column\(s\) \['final_val_loss'\]"):
        repeat_noise(runs, loss_col="final_val_loss")


def test_interval_properties_agree_with_the_samples():
    plan = plan_isoflop_sweep(LAW, BUDGETS, 5, 0.5)
    sim = simulate_isoflop_sweep(plan.design, LAW, 0.01, 30, np.random.default_rng(8))
    a = sim.samples["a"].to_numpy()
    assert (sim.a_p10, sim.a_p90) == (np.percentile(a, 10), np.percentile(a, 90))
    assert sim.a_width == sim.a_p90 - sim.a_p10 == sim.summary()["a_width"]
    assert sim.a_median == np.median(a) and sim.a_bias == np.median(a) - LAW.a


def test_recentring_keeps_spacing_and_centres_on_the_optimum():
    design = pd.DataFrame(
        {
            "budget": [1e19] * 4 + [1e20] * 5,
            "n_params": [1e8, 1.5e8, 3e8, 3e8, 2e8, 4e8, 5e8, 9e8, 2e9],
        }
    )
    moved = recentre_design(design, LAW)
    before, after = describe_design(design, LAW), describe_design(moved, LAW)
    np.testing.assert_allclose(after["centre_offset_dex"], 0.0, atol=1e-12)
    np.testing.assert_allclose(after["span_dex"], before["span_dex"], rtol=1e-12)
    np.testing.assert_allclose(after["opt_position"], 0.5, atol=1e-12)
    ratios = moved["n_params"] / design["n_params"]
    assert ratios[:4].nunique() == 1 and list(moved["budget"]) == list(design["budget"])


def test_an_off_centre_grid_widens_the_interval():
    """The vertex of a parabola is least certain far from the centre of its sizes: the same
    sizes shifted 0.3 dex off the optimum (still bracketing it) spread a more."""
    plan = plan_isoflop_sweep(LAW, BUDGETS, 6, 0.5)
    shifted = plan.design.assign(
        n_params=plan.design["n_params"] * 10 ** np.where(plan.design["budget"] < 1e20, 0.3, -0.3)
    )
    centred = recentre_design(shifted, LAW)
    widths = [
        simulate_isoflop_sweep(d, LAW, 0.01, 150, np.random.default_rng(4)).width("a")
        for d in (shifted, centred)
    ]
    assert widths[0] > 1.2 * widths[1]
