"""Tests of fitting.diagnostics: the Huber likelihood, its tests, residuals and frontiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.stats import chi2, norm

from chinchilla_utils.fitting import diagnostics as dg
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.laws import ParametricLoss

LAW = ParametricLoss(E=1.8, A=480.0, B=2100.0, alpha=0.35, beta=0.37)


def _runs(law=LAW, n=300, noise=2e-3, seed=0, laplace=True):
    """Sizes 1e8-1e10, 1-100 tokens per parameter; log losses with Laplace (or no) noise."""
    rng = np.random.default_rng(seed)
    n_params = 10 ** rng.uniform(8, 10, n)
    n_tokens = n_params * 10 ** rng.uniform(0, 2, n)
    log_loss = np.log(law.loss(n_params, n_tokens))
    if noise:
        log_loss += rng.laplace(0.0, noise, n) if laplace else rng.normal(0.0, noise, n)
    return n_params, n_tokens, np.exp(log_loss)


@pytest.mark.parametrize("delta", [1e-3, 0.5, 2.0])
def test_normaliser_is_the_integral_of_the_huber_density(delta):
    def density(x):
        psi = np.clip(x, -delta, delta)
        return np.exp(-psi * (x - 0.5 * psi))

    # the core and the two tails integrated separately (quad misses a 1e-3-wide core)
    core, _ = quad(density, -delta, delta, epsabs=0, epsrel=1e-13)
    tail, _ = quad(density, delta, np.inf, epsabs=0, epsrel=1e-13)
    assert dg.huber_log_normaliser(delta) == pytest.approx(np.log(core + 2 * tail), rel=1e-12)


def test_huber_likelihood_is_gaussian_for_a_large_delta():
    r = np.random.default_rng(1).normal(0, 0.3, 50)
    gaussian = norm.logpdf(r, scale=0.3).sum()
    assert dg.huber_log_likelihood(r, 0.3, delta=40.0) == pytest.approx(gaussian, rel=1e-12)


def test_huber_likelihood_is_laplace_for_a_tiny_delta():
    r = np.random.default_rng(2).laplace(0, 0.01, 80)
    delta, scale = 1e-6, 1e-3
    # every |r| / scale > delta: the density is delta/2 exp(-delta |r| / scale) up to delta^2
    laplace = np.sum(np.log(delta / (2 * scale)) - delta * np.abs(r) / scale)
    assert dg.huber_log_likelihood(r, scale, delta) == pytest.approx(laplace, rel=1e-9)


def test_best_scale_has_the_closed_forms_in_both_limits():
    r = np.random.default_rng(3).normal(0, 0.01, 200)
    assert dg._best_scale(r, 1e-6) == pytest.approx(1e-6 * np.mean(np.abs(r)), rel=1e-10)
    assert dg._best_scale(r, 1e3) == pytest.approx(np.sqrt(np.mean(r**2)), rel=1e-10)


@pytest.mark.parametrize("delta", [1e-3, 1.0])
def test_best_scale_maximises_the_likelihood(delta):
    r = np.random.default_rng(4).standard_t(3, 150) * 0.02
    best = dg._best_scale(r, delta)
    at_best = dg.huber_log_likelihood(r, best, delta)
    for factor in (0.999, 1.001):
        assert dg.huber_log_likelihood(r, best * factor, delta) < at_best


def test_best_scale_refuses_zero_residuals():
    with pytest.raises(FitError, match="every residual is 0"):
        dg._best_scale(np.zeros(5), 1e-3)


def test_log_residuals_are_observed_minus_predicted():
    n, d, el = _runs(noise=0)
    assert np.max(np.abs(dg.log_residuals(LAW, n, d, el))) < 1e-14
    worse = dg.log_residuals(LAW, n, d, el * np.e)
    np.testing.assert_allclose(worse, 1.0, rtol=0, atol=1e-13)


def test_log_residuals_check_their_input():
    with pytest.raises(ValueError, match="n_params"):
        dg.log_residuals(LAW, [1e9, -1.0], [1e10, 1e10], [2.0, 2.0])
    with pytest.raises(TypeError, match="ParametricLoss"):
        dg.log_residuals("law", [1e9, 1e9], [1e10, 1e10], [2.0, 2.0])


def test_profile_likelihood_prefers_the_true_law():
    runs = _runs()
    true = dg.profile_huber_likelihood(LAW, *runs)
    other = dg.profile_huber_likelihood(ParametricLoss.paper_unrounded(), *runs)
    assert true.log_likelihood > other.log_likelihood
    # Laplace noise of scale b: the Laplace-limit scale delta * mean|r| estimates delta * b
    assert true.threshold < 1e-5 and true.scale == pytest.approx(1e-3 * 2e-3, rel=0.15)


def test_maximum_likelihood_fit_recovers_the_law_and_never_lowers_the_start():
    runs = _runs(n=400, seed=5)
    start = ParametricLoss(E=1.75, A=420.0, B=2500.0, alpha=0.34, beta=0.38)
    fit = dg.fit_huber_likelihood(*runs, start=start)
    assert fit.log_likelihood >= fit.start_log_likelihood
    assert fit.law.alpha == pytest.approx(LAW.alpha, abs=0.01)
    assert fit.law.beta == pytest.approx(LAW.beta, abs=0.01)
    assert fit.law.a == pytest.approx(LAW.a, abs=0.005)
    assert fit.n_points == 400


def test_maximum_likelihood_fit_checks_its_input():
    runs = _runs(n=20)
    with pytest.raises(TypeError, match="start"):
        dg.fit_huber_likelihood(*runs, start=(1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="max_evaluations"):
        dg.fit_huber_likelihood(*runs, start=LAW, max_evaluations=5)


def test_likelihood_ratio_of_the_fit_itself_is_zero():
    runs = _runs(n=200, seed=6)
    fit = dg.fit_huber_likelihood(*runs, start=LAW, n_restarts=0)
    test = dg.likelihood_ratio_test(fit.law, fit, *runs)
    assert test.statistic == pytest.approx(0.0, abs=1e-9)
    assert test.p_value == pytest.approx(1.0, abs=1e-9)


def test_likelihood_ratio_accepts_the_true_law_and_rejects_a_wrong_one():
    runs = _runs(n=300, seed=7)
    fit = dg.fit_huber_likelihood(*runs, start=LAW)
    true = dg.likelihood_ratio_test(LAW, fit, *runs)
    assert 0 <= true.statistic < chi2.ppf(0.999, 5)  # seeded draw: 0.1% test, fixed data
    wrong = dg.likelihood_ratio_test(ParametricLoss.paper_unrounded(), fit, *runs)
    assert wrong.p_value < 1e-10 and wrong.df == 5
    assert wrong.p_value == pytest.approx(chi2.sf(wrong.statistic, 5))


def test_likelihood_ratio_refuses_other_runs():
    runs = _runs(n=50, seed=8)
    fit = dg.fit_huber_likelihood(*runs, start=LAW, n_restarts=0)
    with pytest.raises(ValueError, match="fitted on 50 runs"):
        dg.likelihood_ratio_test(LAW, fit, *(x[:40] for x in runs))
    with pytest.raises(ValueError, match="df"):
        dg.likelihood_ratio_test(LAW, fit, *runs, df=0)


def test_wald_test_with_identity_covariance_is_the_squared_distance():
    other = ParametricLoss(E=1.8, A=480.0 * np.e, B=2100.0, alpha=0.36, beta=0.37)
    test = dg.wald_test(other, LAW, np.eye(5))
    assert test.statistic == pytest.approx(1.0 + 0.01**2, rel=1e-12)
    assert test.p_value == pytest.approx(chi2.sf(1.0001, 5))
    with pytest.raises(ValueError, match=r"\(5, 5\)"):
        dg.wald_test(other, LAW, np.eye(4))


def test_bootstrap_covariance_is_taken_in_log_scales_and_skips_failures():
    rng = np.random.default_rng(9)
    theta = rng.normal(size=(40, 5))
    samples = pd.DataFrame(
        {
            "A": np.exp(theta[:, 0]),
            "B": np.exp(theta[:, 1]),
            "E": np.exp(theta[:, 2]),
            "alpha": theta[:, 3],
            "beta": theta[:, 4],
        }
    )
    with_failure = pd.concat([samples, pd.DataFrame([{c: np.nan for c in samples}])])
    cov = dg.bootstrap_theta_covariance(with_failure)
    np.testing.assert_allclose(cov, np.cov(theta, rowvar=False), rtol=1e-12)
    with pytest.raises(ValueError, match="at least 6"):
        dg.bootstrap_theta_covariance(samples.iloc[:5])


def test_runs_for_interval_width():
    assert dg.runs_for_interval_width(240, 0.05, 0.001) == pytest.approx(600_000)
    with pytest.raises(ValueError, match="target_width"):
        dg.runs_for_interval_width(240, 0.05, 0.0)


def test_isoflop_slice_is_the_law_at_fixed_compute_with_its_minimum_at_n_opt():
    sizes = np.logspace(8, 11, 3001)
    curve = dg.isoflop_slice(LAW, 1e21, sizes)
    np.testing.assert_allclose(curve, LAW.loss(sizes, 1e21 / (6 * sizes)), rtol=1e-15)
    best = sizes[np.argmin(curve)]
    assert best == pytest.approx(LAW.n_opt(1e21), rel=2e-3)  # grid step is 0.23%


def test_numerical_frontier_is_eq4_under_6n():
    flops = np.logspace(18, 24, 7)
    # a minimiser is located to about sqrt(machine epsilon) of the flat minimum: 1e-6 relative
    np.testing.assert_allclose(dg.numerical_frontier(LAW, flops), LAW.n_opt(flops), rtol=1e-6)


def test_numerical_frontier_exponent_for_a_power_law_count():
    # f(N) = 6 k N^(1+s): D = C / f(N) gives N_opt ∝ C^(beta / (alpha + beta (1 + s)))
    k, s = 2.0, -0.05
    flops = np.logspace(18, 24, 7)
    sizes = dg.numerical_frontier(LAW, flops, lambda n: 6 * k * n ** (1 + s))
    slope = np.polyfit(np.log(flops), np.log(sizes), 1)[0]
    assert slope == pytest.approx(LAW.beta / (LAW.alpha + LAW.beta * (1 + s)), rel=1e-6)


def test_numerical_frontier_without_an_interior_minimum():
    with pytest.raises(FitError, match="no interior minimum"):
        # a count per token that falls with size: bigger is always better, no minimum
        dg.numerical_frontier(LAW, 1e21, lambda n: 6.0 / n)
