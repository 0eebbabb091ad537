"""Tests for chinchilla_utils.laws: closed forms against brute force, and the paper's numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets import paper as data
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier

BUDGETS = np.logspace(18, 26, 9)

LAWS = {
    "rounded": ParametricLoss.paper_rounded(),
    "unrounded": ParametricLoss.paper_unrounded(),
    # far from the paper's constants, so a formula that only works near alpha = beta fails
    "synthetic": ParametricLoss(E=0.5, A=2000.0, B=30.0, alpha=0.6, beta=0.2),
}


def _brute_force_n_opt(law: ParametricLoss, flops: float) -> float:
    """Minimise loss(N, C / 6N) over log N numerically (no use of the closed form)."""

    def objective(log_n: float) -> float:
        n = np.exp(log_n)
        return law.loss(n, flops / (6.0 * n))

    res = minimize_scalar(
        objective, bounds=(np.log(1.0), np.log(flops / 6.0)), method="bounded",
        options={"xatol": 1e-11, "maxiter": 2000},
    )  # fmt: skip
    assert res.success
    return float(np.exp(res.x))


@pytest.mark.parametrize("key", list(LAWS))
@pytest.mark.parametrize("flops", BUDGETS)
def test_closed_form_equals_brute_force(key, flops):
    law = LAWS[key]
    n_num = _brute_force_n_opt(law, flops)
    assert law.n_opt(flops) == pytest.approx(n_num, rel=1e-6)
    assert law.d_opt(flops) == pytest.approx(flops / (6 * n_num), rel=1e-6)
    assert law.loss_opt(flops) == pytest.approx(law.loss(n_num, flops / (6 * n_num)), rel=1e-12)


@pytest.mark.parametrize("key", list(LAWS))
def test_frontier_identities(key):
    law = LAWS[key]
    assert law.a + law.b == pytest.approx(1.0)
    np.testing.assert_allclose(6 * law.n_opt(BUDGETS) * law.d_opt(BUDGETS), BUDGETS, rtol=1e-12)
    np.testing.assert_allclose(
        law.tokens_per_param(BUDGETS), law.d_opt(BUDGETS) / law.n_opt(BUDGETS), rtol=1e-12
    )
    np.testing.assert_allclose(law.flops_for_n_opt(law.n_opt(BUDGETS)), BUDGETS, rtol=1e-12)
    np.testing.assert_allclose(law.flops_for_d_opt(law.d_opt(BUDGETS)), BUDGETS, rtol=1e-12)
    frontier = law.as_frontier()
    np.testing.assert_allclose(frontier.n_opt(BUDGETS), law.n_opt(BUDGETS), rtol=1e-12)
    np.testing.assert_allclose(frontier.d_opt(BUDGETS), law.d_opt(BUDGETS), rtol=1e-12)


def test_loss_formula_and_broadcasting():
    law = ParametricLoss(E=1.0, A=4.0, B=9.0, alpha=0.5, beta=0.5)
    assert law.loss(16.0, 81.0) == pytest.approx(1.0 + 1.0 + 1.0)
    grid = law.loss(np.array([[1.0], [4.0]]), np.array([1.0, 9.0, 81.0]))
    assert grid.shape == (2, 3)
    assert grid[1, 2] == pytest.approx(1 + 2 + 1)
    assert isinstance(law.loss(1.0, 1.0), float)
    assert isinstance(law.n_opt(1e20), float)
    assert law.n_opt(np.array([1e20, 1e21])).shape == (2,)


def test_theta_round_trip():
    law = LAWS["unrounded"]
    again = ParametricLoss.from_theta(law.theta)
    for f in dataclasses.fields(law):
        assert getattr(again, f.name) == pytest.approx(getattr(law, f.name), rel=1e-12)
    ref = data.approach3_constants().set_index("variant").loc["tex_unrounded"]
    np.testing.assert_allclose(law.theta[:3], [ref.log_A, ref.log_B, ref.log_E], rtol=1e-7)


def test_constants_read_from_data():
    r = LAWS["rounded"]
    assert (r.E, r.A, r.B, r.alpha, r.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    assert LAWS["unrounded"].alpha == 0.33917084


def test_gopher_budget_known_facts():
    """Figure 4 caption: about 40B at the Gopher budget; README item 9."""
    n_unrounded = LAWS["unrounded"].n_opt(GOPHER_FLOPS)
    n_rounded = LAWS["rounded"].n_opt(GOPHER_FLOPS)
    assert n_unrounded == pytest.approx(40.4e9, rel=0.005)
    assert n_rounded == pytest.approx(32.2e9, rel=0.005)
    assert n_rounded < 0.85 * n_unrounded
    assert data.experiment_value("approach3_n_opt_at_gopher_budget") == pytest.approx(
        n_unrounded, rel=0.02
    )


def test_approach3_exponent_versus_table2():
    """a from Eq. 10 rounds to Table 2's 0.46 only for the unrounded constants, and both sit
    outside Table 2's printed interval (README item 9)."""
    t2 = data.table2_exponents().set_index("approach").loc["approach_3"]
    assert round(LAWS["unrounded"].a, 2) == t2.a
    assert round(LAWS["rounded"].a, 2) == 0.45
    for law in (LAWS["rounded"], LAWS["unrounded"]):
        assert not (t2.a_p10 <= law.a <= t2.a_p90)


def test_table3_and_a3_arithmetic():
    """Printed FLOPs are 6 N D to within the rounding of the token counts (README item 11)."""
    t3 = data.table3_approach1()
    ratio = t3.flops / (6 * t3.params * t3.tokens)
    assert np.all(np.abs(ratio - 1) < 0.06)
    assert np.abs(ratio - 1).max() > 0.04  # the 67B row really is ~5% off
    # Gopher units printed as 1/46 etc. are themselves rounded: the 10B row is 1.8% off
    assert np.allclose(t3.flops_gopher_units * GOPHER_FLOPS, t3.flops, rtol=0.02)

    a3 = data.table_a3()
    ratio = a3.flops / (6 * a3.params * a3.tokens)
    typo = (a3.approach == "approach_3") & (a3.params == 1.75e11)
    assert ratio[typo].iloc[0] == pytest.approx(0.1, rel=0.01)  # README item 2
    assert "typo" in a3.note[typo].iloc[0]
    assert np.all(np.abs(ratio[~typo] - 1) < 0.06)


def test_approach3_constants_versus_table_a3():
    """README item 9: rounded constants imply 1.6-2.2x the printed FLOPs, unrounded within 20%."""
    a3 = data.table_a3()
    rows = a3[(a3.approach == "approach_3") & (a3.params != 1.75e11)]
    implied_r = LAWS["rounded"].flops_for_n_opt(rows.params.to_numpy()) / rows.flops.to_numpy()
    implied_u = LAWS["unrounded"].flops_for_n_opt(rows.params.to_numpy()) / rows.flops.to_numpy()
    assert np.all((implied_r > 1.5) & (implied_r < 2.3))
    assert np.all(np.abs(implied_u - 1) < 0.2)
    assert np.abs(implied_u - 1).max() > 0.1  # no set reproduces the column exactly


def test_power_law_frontier_basics():
    f = PowerLawFrontier(coefficient=0.1, exponent=0.5, name="toy")
    assert f.n_opt(1e20) == pytest.approx(1e9)
    assert f.d_opt(1e20) == pytest.approx(1e20 / 6e9)
    assert f.tokens_per_param(1e20) == pytest.approx(1e20 / 6e18)
    assert f.b == 0.5 and f.a == 0.5
    np.testing.assert_allclose(f.flops_for_n_opt(f.n_opt(BUDGETS)), BUDGETS, rtol=1e-12)
    np.testing.assert_allclose(f.flops_for_d_opt(f.d_opt(BUDGETS)), BUDGETS, rtol=1e-12)
    np.testing.assert_allclose(6 * f.n_opt(BUDGETS) * f.d_opt(BUDGETS), BUDGETS, rtol=1e-12)


def test_from_anchor_reproduces_table3_roughly():
    """Approach 1 (a = 0.50) through Table 3's Gopher row predicts the other rows within 10%."""
    t3 = data.table3_approach1()
    f = PowerLawFrontier.from_anchor(6.7e10, GOPHER_FLOPS, 0.50, name="Approach 1")
    assert f.n_opt(GOPHER_FLOPS) == pytest.approx(6.7e10)
    assert f.name == "Approach 1"
    ratio = f.flops_for_n_opt(t3.params.to_numpy()) / t3.flops.to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.1)


def test_kaplan2020_calibrations():
    pf_day = 8.64e19
    k = PowerLawFrontier.kaplan2020()
    assert k.exponent == 0.73 and k.b == pytest.approx(0.27)
    # Kaplan Table 6: N_opt = 1.3e9 * (C in PF-days)**0.73
    assert k.n_opt(pf_day) == pytest.approx(1.3e9)
    assert k.n_opt(1e21) == pytest.approx(7.77e9, rel=0.01)
    h = PowerLawFrontier.kaplan2020("hoffmann_1e21")
    assert h.n_opt(1e21) == pytest.approx(4.68e9)
    assert h.coefficient / k.coefficient == pytest.approx(0.60, abs=0.01)
    with pytest.raises(ValueError, match="did you mean 'kaplan_table6'"):
        PowerLawFrontier.kaplan2020("kaplan_table")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(E=-0.1, A=1, B=1, alpha=0.3, beta=0.3), "E must be >= 0"),
        (dict(E=np.nan, A=1, B=1, alpha=0.3, beta=0.3), "E must be finite"),
        (dict(E=1, A=0, B=1, alpha=0.3, beta=0.3), "A must be strictly positive"),
        (dict(E=1, A=1, B=1, alpha=-0.3, beta=0.3), "alpha must be strictly positive"),
        (dict(E=1, A=1, B=1, alpha=0.3, beta=np.inf), "beta must be finite"),
        (dict(E=1, A=[1, 2], B=1, alpha=0.3, beta=0.3), "A must be a scalar"),
    ],
)
def test_parametric_loss_rejects_bad_constants(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ParametricLoss(**kwargs)


def test_bad_inputs_name_the_argument():
    law = LAWS["rounded"]
    with pytest.raises(ValueError, match="n_params must be strictly positive"):
        law.loss(-1.0, 1e9)
    with pytest.raises(ValueError, match="n_tokens must be finite"):
        law.loss(1e9, np.nan)
    with pytest.raises(ValueError, match="broadcastable"):
        law.loss(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="flops must be strictly positive"):
        law.n_opt(0.0)
    with pytest.raises(ValueError, match="flops must be numeric"):
        law.d_opt("lots")
    with pytest.raises(ValueError, match="n_params must be strictly positive"):
        law.flops_for_n_opt([1e9, -1])
    with pytest.raises(ValueError, match=r"theta must have shape \(5,\)"):
        ParametricLoss.from_theta([1, 2, 3])
    with pytest.raises(ValueError, match="E = 0"):
        _ = ParametricLoss(E=0, A=1, B=1, alpha=0.3, beta=0.3).theta
    with pytest.raises(ValueError, match="coefficient must be strictly positive"):
        PowerLawFrontier(coefficient=0.0, exponent=0.5)
    with pytest.raises(ValueError, match="exponent must be finite"):
        PowerLawFrontier(coefficient=1.0, exponent=np.nan)
    with pytest.raises(ValueError, match="name must be a string"):
        PowerLawFrontier(coefficient=1.0, exponent=0.5, name=3)
    with pytest.raises(ValueError, match="flops must be strictly positive"):
        PowerLawFrontier.from_anchor(1e9, -1e20, 0.5)


def test_laws_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LAWS["rounded"].E = 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        PowerLawFrontier(1.0, 0.5).exponent = 0.6


def test_params_lists_constants_and_exponents():
    law = ParametricLoss(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
    params = law.params()
    assert list(params) == ["E", "A", "B", "alpha", "beta", "a", "b"]
    assert params["a"] == pytest.approx(0.28 / 0.62) and params["b"] == pytest.approx(0.34 / 0.62)


# --- issue 13: no silent wrong answers --------------------------------------------------------


def test_an_array_constant_is_refused_naming_it():
    """Issue 13, errors: ParametricLoss(E=array) failed inside numpy, naming nothing."""
    with pytest.raises(ValueError, match=r"E must be a scalar.*shape \(2,\)"):
        ParametricLoss(E=np.array([1.6, 1.7]), A=406.4, B=410.7, alpha=0.34, beta=0.28)


def test_a_frontier_exponent_of_one_or_more_is_refused():
    """Issue 13, errors: a frontier exponent above 1 passed (D_opt would fall with compute)."""
    for exponent in (1.0, 1.2):
        with pytest.raises(ValueError, match=r"exponent must lie in \(0, 1\)"):
            PowerLawFrontier(coefficient=1.0, exponent=exponent)


def test_booleans_are_not_sizes_in_a_law():
    """Issue 13, errors: bools passed as sizes."""
    with pytest.raises(TypeError, match="n_params must be numeric, got a boolean"):
        LAWS["rounded"].loss(True, 1e9)


def test_tokens_per_param_at_a_huge_budget_is_computed_in_log_space():
    """Issue 13, errors: PowerLawFrontier.tokens_per_param(1e308) returned 0.0 (N^2 overflowed)."""
    kaplan = PowerLawFrontier.kaplan2020()
    log10_expected = (1 - 2 * kaplan.exponent) * 308 - np.log10(6 * kaplan.coefficient**2)
    value = kaplan.tokens_per_param(1e308)
    assert value > 0
    assert np.log10(value) == pytest.approx(log10_expected, rel=1e-12)
    # Where the answer itself is not a finite float, refuse instead of returning inf.
    with pytest.raises(ValueError, match=r"flops_for_n_opt.*overflows"):
        kaplan.flops_for_n_opt(1e300)


# --- the paper's frontiers, one construction (issue 7 item 2) ---------------------------------


def test_paper_frontiers_reproduce_table2_and_the_67b_rows():
    t2 = data.table2_exponents().set_index("approach")
    one, two = PowerLawFrontier.paper("approach_1"), PowerLawFrontier.paper("approach_2")
    assert (one.exponent, two.exponent) == (t2.loc["approach_1", "a"], t2.loc["approach_2", "a"])
    # Table 3: 67B at Gopher's 5.76e23 FLOPs; Table A3, Approach 2: 67B at 6.88e23.
    assert one.n_opt(5.76e23) == pytest.approx(6.7e10, rel=1e-12)
    assert two.n_opt(6.88e23) == pytest.approx(6.7e10, rel=1e-12)
    assert (one.name, two.name) == ("Approach 1 (paper)", "Approach 2 (paper)")


def test_paper_frontier_table_fit_variant_is_the_line_through_the_rows():
    one = PowerLawFrontier.paper("approach_1", variant="table_fit")
    two = PowerLawFrontier.paper("approach_2", variant="table_fit")
    # The exponents the printed rows imply (Table 2 prints 0.50 and 0.49).
    assert one.exponent == pytest.approx(0.4981, abs=5e-5)
    assert two.exponent == pytest.approx(0.4899, abs=5e-5)
    # It misses the rounded Gopher row: 67.8B at 5.76e23 FLOPs instead of 67B.
    assert one.n_opt(5.76e23) == pytest.approx(67.82e9, rel=1e-3)
    with pytest.raises(ValueError, match="did you mean 'approach_1'"):
        PowerLawFrontier.paper("approach1")
    with pytest.raises(ValueError, match="did you mean 'anchored'"):
        PowerLawFrontier.paper("approach_1", variant="anchor")


def test_parametric_loss_paper_names_its_two_variants():
    assert ParametricLoss.paper() == ParametricLoss.paper_unrounded()
    assert ParametricLoss.paper("rounded") == ParametricLoss.paper_rounded()
    with pytest.raises(ValueError, match="did you mean 'rounded'"):
        ParametricLoss.paper("round")


def test_parametric_loss_budget_for_an_absurd_size_is_refused_not_inf():
    """Issue 13, errors: overflow to inf, computed in log space or refused."""
    law = ParametricLoss.paper()
    assert law.flops_for_n_opt(1e13) == pytest.approx(6 * (1e13 / law.G) ** (1 / law.a))
    with pytest.raises(ValueError, match=r"flops_for_n_opt overflows.*n_params"):
        law.flops_for_n_opt(1e200)
