"""Gadre et al.'s law ``L(C, M)`` (laws.OvertrainingLoss) and its fitter (fitting.overtraining)."""

from __future__ import annotations

import numpy as np
import pytest

from chinchilla_utils.datasets.published_runs import load_gadre2024
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.fitting.overtraining import (
    _Problem,
    explicit_grid,
    fit_overtraining,
)
from chinchilla_utils.laws import OvertrainingLoss, ParametricLoss

LAW = OvertrainingLoss(E=1.8, a=190.0, b=320.0, eta=0.13)


def _design():
    sizes = np.geomspace(1e7, 4e8, 5)
    mults = np.array([5.0, 10.0, 20.0, 80.0, 320.0])
    n, m = np.meshgrid(sizes, mults, indexing="ij")
    return n.ravel(), (m * n).ravel()


# --- the law ---------------------------------------------------------------------------------


def test_loss_in_n_and_d_is_the_loss_in_c_and_m():
    n, d = _design()
    direct = (
        LAW.E + (LAW.a * (d / n) ** LAW.eta + LAW.b * (d / n) ** -LAW.eta) * (6 * n * d) ** -LAW.eta
    )
    assert np.allclose(LAW.loss(n, d), direct, rtol=1e-14, atol=0)
    assert np.allclose(LAW.loss_cm(6 * n * d, d / n), direct, rtol=1e-14, atol=0)


def test_as_parametric_is_the_same_function():
    n, d = _design()
    parametric = LAW.as_parametric()
    assert isinstance(parametric, ParametricLoss)
    assert parametric.alpha == parametric.beta == 2 * LAW.eta
    assert np.allclose(parametric.loss(n, d), LAW.loss(n, d), rtol=1e-13, atol=0)


def test_optimal_multiplier_minimises_the_loss_at_fixed_compute():
    m_opt = LAW.optimal_multiplier
    assert m_opt == pytest.approx((LAW.b / LAW.a) ** (1 / (2 * LAW.eta)), rel=1e-15)
    for flops in (1e18, 1e21):
        at_opt = LAW.loss_cm(flops, m_opt)
        for factor in (0.99, 1.01, 0.5, 2.0):
            assert LAW.loss_cm(flops, m_opt * factor) > at_opt
        n, d = LAW.n_opt(flops), LAW.d_opt(flops)
        assert 6 * n * d == pytest.approx(flops, rel=1e-12)
        assert d / n == pytest.approx(m_opt, rel=1e-12)
        assert LAW.loss_opt(flops) == pytest.approx(LAW.loss(n, d), rel=1e-13)
        # the ParametricLoss frontier with alpha = beta agrees
        assert LAW.as_parametric().n_opt(flops) == pytest.approx(n, rel=1e-10)


def test_theta_round_trip_and_validation():
    back = OvertrainingLoss.from_theta(LAW.theta)
    for name in ("E", "a", "b", "eta"):
        assert getattr(back, name) == pytest.approx(getattr(LAW, name), rel=1e-14)
    with pytest.raises(ValueError, match="eta must be strictly positive"):
        OvertrainingLoss(E=1.0, a=1.0, b=1.0, eta=0.0)
    with pytest.raises(ValueError, match="E must be >= 0"):
        OvertrainingLoss(E=-0.1, a=1.0, b=1.0, eta=0.1)
    with pytest.raises(ValueError, match="theta must have shape"):
        OvertrainingLoss.from_theta([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="n_params must be strictly positive"):
        LAW.loss(-1.0, 1e9)


# --- the fitter ------------------------------------------------------------------------------


@pytest.mark.parametrize("space", ["log", "linear"])
@pytest.mark.parametrize("delta", [None, 1e-3])
def test_recovers_a_known_law_from_noiseless_runs(space, delta):
    n, d = _design()
    fit = fit_overtraining(n, d, LAW.loss(n, d), delta=delta, space=space)
    for name in ("E", "a", "b", "eta"):
        assert getattr(fit.law, name) == pytest.approx(getattr(LAW, name), rel=1e-6), name
    assert fit.converged and not fit.on_bound
    assert np.max(np.abs(fit.log_residuals)) < 1e-9
    assert fit.space == space and fit.delta == delta and fit.n_points == n.size


def test_profile_starts_find_the_optimum_of_the_explicit_grid():
    n, d = _design()
    rng = np.random.default_rng(7)
    loss = LAW.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    profile = fit_overtraining(n, d, loss)
    grid = fit_overtraining(n, d, loss, grid=explicit_grid())
    assert grid.n_starts == 108 and profile.n_starts == 3
    assert profile.objective == pytest.approx(grid.objective, rel=1e-9)
    assert np.allclose(profile.theta, grid.theta, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("space", ["log", "linear"])
def test_jacobian_matches_finite_differences(space):
    n, d = _design()
    rng = np.random.default_rng(3)
    problem = _Problem(n, d, LAW.loss(n, d) * np.exp(0.02 * rng.standard_normal(n.size)), space)
    u = problem.to_centred(LAW.theta + np.array([0.1, -0.2, 0.05, 0.01]))
    analytic = problem.jacobian(u)
    step = 1e-6
    numeric = np.column_stack(
        [
            (problem.residuals(u + step * e) - problem.residuals(u - step * e)) / (2 * step)
            for e in np.eye(4)
        ]
    )
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_reproduces_gadre_et_al_figure_1_errors():
    """Their recipe: least squares of the C4 eval loss over five RedPajama runs (the four small
    sizes at M = 20 and the 11M model at M = 320); their notebook that reproduces Figure 1
    prints relative errors 0.7103% (1.4B, M = 640) and 0.7320% (6.9B, M = 20)."""
    runs = load_gadre2024(corpus="redpajama")
    small = runs[runs["n_params"] < 1e9]
    smallest = small["n_params"] == small["n_params"].min()
    five = small[
        (small["tokens_per_param"] == 20) | (smallest & (small["tokens_per_param"] == 320))
    ]
    assert len(five) == 5
    fit = fit_overtraining(
        five["n_params"], five["n_tokens"], five["loss"], delta=None, space="linear"
    )
    targets = runs.set_index("run_id").loc[["rpj-open_lm_1b-32.0", "rpj-open_lm_7b-1.0"]]
    predicted = fit.law.loss(targets["n_params"].to_numpy(), targets["n_tokens"].to_numpy())
    error = 100 * np.abs(predicted / targets["loss"].to_numpy() - 1)
    assert error == pytest.approx([0.7103, 0.7320], abs=5e-5)


def test_bad_input_is_refused():
    n, d = _design()
    loss = LAW.loss(n, d)
    with pytest.raises(ValueError, match="needs >= 4 runs"):
        fit_overtraining(n[:3], d[:3], loss[:3])
    with pytest.raises(ValueError, match="unknown space"):
        fit_overtraining(n, d, loss, space="nats")
    with pytest.raises(ValueError, match="grid must have shape"):
        fit_overtraining(n, d, loss, grid=np.ones((2, 5)))
    with pytest.raises(ValueError, match="eta column"):
        fit_overtraining(n, d, loss, grid=[[1.0, 1.0, 0.0, -0.1]])
    with pytest.raises(ValueError, match="n_starts must be in"):
        fit_overtraining(n, d, loss, n_starts=0)
    with pytest.raises(ValueError, match="delta must be strictly positive"):
        fit_overtraining(n, d, loss, delta=0.0)


def test_a_start_with_no_finite_residuals_is_a_fit_error():
    n, d = _design()
    with pytest.raises(FitError, match="none of the 1 starts") as info:
        fit_overtraining(n, d, LAW.loss(n, d), grid=[[1e4, 1e4, 0.0, 0.1]])
    assert info.value.reason == "did not converge"
