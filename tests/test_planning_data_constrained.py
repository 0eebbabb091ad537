"""Muennighoff et al. 2023's data-constrained law: printed constants, worked examples, allocation."""

from __future__ import annotations

import numpy as np
import pytest

from chinchilla_utils.datasets.paper import load_table
from chinchilla_utils.laws import ParametricLoss
from chinchilla_utils.planning import DataConstrainedLaw, decayed_count

LAW = DataConstrainedLaw.muennighoff2023()
ROUNDED = DataConstrainedLaw.muennighoff2023("eq17_rounded")


# -- the constants, exactly as printed ----------------------------------------------------------
def test_appendix_constants_are_the_printed_values():
    """Appendix B: a = 6.255414, b = 7.3049974, e = 0.6254804, alpha = beta = 0.3526596;
    Appendix A: R_N* = 5.309743, R_D* = 15.387756."""
    np.testing.assert_allclose(
        LAW.base.theta, [6.255414, 7.3049974, 0.6254804, 0.3526596, 0.3526596], rtol=1e-15
    )
    assert (LAW.r_d_star, LAW.r_n_star) == (15.387756, 5.309743)
    table = load_table("muennighoff2023_constants").set_index("variant")
    assert table.loc["appendix_unrounded", "E"] == pytest.approx(np.exp(0.6254804), rel=5e-8)
    assert "Appendix B" in table.loc["appendix_unrounded", "source"]


def test_eq17_constants_are_the_rounded_law():
    assert ROUNDED.base == ParametricLoss(E=1.87, A=521, B=1488, alpha=0.35, beta=0.35)
    assert (ROUNDED.r_d_star, ROUNDED.r_n_star) == (15.4, 5.3)
    # Table 1 prints R_D* = 15.3878 and R_N* = 5.3097 for the same fit
    assert LAW.r_d_star == pytest.approx(15.3878, abs=5e-5)
    assert LAW.r_n_star == pytest.approx(5.3097, abs=5e-5)


def test_appendix_b_gopher_budget_allocation():
    """Appendix B: at 5.76e23 FLOPs the C4 fit gives N_opt = 70.0B and D_opt = 1.37T."""
    assert LAW.base.n_opt(5.76e23) == pytest.approx(70.0e9, abs=0.05e9)
    assert LAW.base.d_opt(5.76e23) == pytest.approx(1.37e12, abs=0.005e12)


def test_eq17_unique_parameters_are_0_051_of_unique_tokens():
    assert LAW.unique_params(1.0) == pytest.approx(0.051, abs=5e-4)
    np.testing.assert_allclose(
        LAW.unique_params([1e8, 1e10]), LAW.unique_params(1.0) * np.array([1e8, 1e10]), rtol=1e-12
    )
    assert LAW.unique_params(1.0) == pytest.approx(LAW.base.G**2, rel=1e-12)  # alpha = beta


# -- Eq. 5: effective data -----------------------------------------------------------------------
def test_appendix_a_worked_examples():
    """U = 1, R_D* = 3: four repeats give D' = 3.21, a hundred give 3.99 (never above 4)."""
    assert decayed_count(1.0, 4.0, 3.0) == pytest.approx(3.21, abs=0.005)
    assert decayed_count(1.0, 100.0, 3.0) == pytest.approx(3.99, abs=0.01)
    assert decayed_count(1.0, 1e6, 3.0) <= 4.0


def test_decayed_count_limits():
    u, star = 2.5e9, 15.0
    assert decayed_count(u, 0.0, star) == u
    # R << R*: worth as much as fresh data, to second order
    r = 1e-4
    assert decayed_count(u, r, star) == pytest.approx(u * (1 + r), rel=r**2)
    assert decayed_count(u, 1e9, star) == pytest.approx(u * (1 + star), rel=1e-12)
    assert decayed_count(u, 7.0, np.inf) == u * 8.0
    # at R = R* the repeats are worth 1 - 1/e of fresh tokens (Section 3.1)
    repeats = decayed_count(u, star, star) - u
    assert repeats / (u * star) == pytest.approx(1 - np.exp(-1), rel=1e-12)


# -- the loss -----------------------------------------------------------------------------------
def test_authors_readme_figure_1_models():
    """datablations README: the two 1e22-FLOP models of Figure 1 (right) on 25B unique tokens."""
    assert LAW.loss(6.34e9, 242e9, 25e9) == pytest.approx(2.2256440889984477, rel=1e-13)
    assert LAW.loss(8.67e9, 178e9, 25e9) == pytest.approx(2.2269634075087867, rel=1e-13)


def test_single_epoch_and_no_excess_parameters_is_the_base_law():
    n, d = 1e8, 1e11  # far fewer parameters than U_N = 0.051 * 1e11
    assert LAW.loss(n, d, d) == pytest.approx(LAW.base.loss(n, d), rel=1e-15)
    assert LAW.effective_tokens(d, d) == d and LAW.effective_params(n, d) == n


def test_repeats_never_hurt_and_plateau():
    unique, n = 1e9, 1e9
    epochs = np.array([1, 2, 4, 8, 16, 64, 256, 1e4])
    loss = LAW.loss(n, epochs * unique, unique)
    assert np.all(np.diff(loss) < 0)
    plateau = LAW.base.E + LAW.base.A / LAW.effective_params(n, unique) ** LAW.base.alpha
    plateau += LAW.base.B / (unique * (1 + LAW.r_d_star)) ** LAW.base.beta
    assert LAW.loss(n, 1e9 * unique, unique) == pytest.approx(plateau, rel=1e-9)
    # four epochs lose little; Section 6 measures +0.5% for 8.7B on 178B tokens from 44B unique
    penalty = LAW.loss(8.7e9, 178e9, 44e9) / LAW.loss(8.7e9, 178e9, 178e9) - 1
    assert 0 < penalty < 0.01


def test_rounded_and_unrounded_laws_agree_to_about_a_percent():
    assert ROUNDED.loss(6.34e9, 242e9, 25e9) == pytest.approx(
        LAW.loss(6.34e9, 242e9, 25e9), rel=0.02
    )


# -- allocation ---------------------------------------------------------------------------------
def test_optimal_allocation_reproduces_the_authors_readme():
    """datablations README: the grid search from 8.67B on 178B tokens (25B unique) gives 227B
    tokens, 9.1 epochs and 6.8B parameters."""
    best = LAW.optimal_allocation(6 * 8.67e9 * 178e9, 25e9)
    assert best.n_params == pytest.approx(6.8e9, abs=0.05e9)
    assert best.n_tokens == pytest.approx(227e9, abs=0.5e9)
    assert best.epochs == pytest.approx(9.1, abs=0.05)
    assert best.loss < best.chinchilla_loss and best.n_params_ratio < 1


@pytest.mark.parametrize(
    ("flops", "unique"), [(9.26e21, 25e9), (1e21, 1e9), (1e24, 1e11), (1e20, 1e8)]
)
def test_optimal_allocation_matches_brute_force(flops, unique):
    best = LAW.optimal_allocation(flops, unique)
    log_n = np.linspace(
        np.log(best.chinchilla_n_params) - 9, np.log(best.chinchilla_n_params) + 9, 400001
    )
    n = np.exp(log_n)
    n = n[n <= flops / 6]
    d = flops / (6 * n)
    brute = LAW.loss(n, d, np.minimum(unique, d))
    assert best.loss <= brute.min() + 1e-12
    assert best.n_params == pytest.approx(n[np.argmin(brute)], rel=1e-3)
    assert 6 * best.n_params * best.n_tokens == pytest.approx(flops, rel=1e-12)


def test_plentiful_data_gives_the_chinchilla_allocation():
    flops = 1e22
    best = LAW.optimal_allocation(flops, unique_token_budget=1e15)
    assert best.n_params == pytest.approx(LAW.base.n_opt(flops), rel=1e-5)
    assert best.loss == pytest.approx(LAW.base.loss_opt(flops), rel=1e-12)
    assert best.epochs == 1.0 and best.loss_gain == pytest.approx(0.0, abs=1e-12)


def test_scarcer_data_means_more_epochs_and_fewer_parameters():
    results = [LAW.optimal_allocation(1e22, u) for u in (1e11, 3e10, 1e10, 3e9)]
    epochs = [r.epochs for r in results]
    ratios = [r.n_params_ratio for r in results]
    assert np.all(np.diff(epochs) > 0) and np.all(np.diff(ratios) < 0)


# -- bad input ----------------------------------------------------------------------------------
def test_unique_tokens_above_training_tokens_is_refused():
    with pytest.raises(ValueError, match=r"unique_tokens 2e\+11 exceeds n_tokens 1e\+11"):
        LAW.loss(1e9, 1e11, 2e11)
    with pytest.raises(ValueError, match="cannot see more unique tokens"):
        LAW.effective_tokens([1e10, 1e11], [5e9, 2e11])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: LAW.loss(-1e9, 1e11, 1e10),
            r"n_params must be strictly positive, got -1000000000.0",
        ),
        (lambda: LAW.loss(1e9, 1e11, 0.0), "unique_tokens must be strictly positive"),
        (lambda: LAW.optimal_allocation(float("nan"), 1e9), "flops must be finite"),
        (lambda: LAW.optimal_allocation(0.0, 1e9), "flops must be strictly positive"),
        (
            lambda: LAW.optimal_allocation(1e21, -5.0),
            r"unique_token_budget must be strictly positive.*-5",
        ),
        (lambda: LAW.optimal_allocation([1e21, 1e22], 1e9), "single numbers"),
        (lambda: decayed_count(1.0, -1.0, 3.0), r"repetitions must be >= 0"),
        (lambda: decayed_count(1.0, 1.0, 0.0), r"r_star must be > 0"),
        (
            lambda: DataConstrainedLaw(LAW.base, r_d_star=-1.0, r_n_star=5.0),
            r"r_d_star must be > 0.*-1.0",
        ),
        (lambda: DataConstrainedLaw.muennighoff2023("eq17_round"), "did you mean 'eq17_rounded'"),
    ],
)
def test_bad_input_is_refused_with_the_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_base_must_be_a_parametric_loss():
    with pytest.raises(TypeError, match="base must be a ParametricLoss"):
        DataConstrainedLaw("paper", 15.0, 5.0)
