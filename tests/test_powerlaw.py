"""Tests for chinchilla_utils.fitting.powerlaw (log-log least squares)."""

from __future__ import annotations

import numpy as np
import pytest

from chinchilla_utils.fitting.powerlaw import PowerLawFit, fit_power_law
from chinchilla_utils.laws import PowerLawFrontier


def test_exact_power_law_is_recovered():
    flops = np.logspace(18, 22, 9)
    n_opt = 0.1 * flops**0.5
    fit = fit_power_law(flops, n_opt)
    assert fit.exponent == pytest.approx(0.5, abs=1e-12)
    assert fit.coefficient == pytest.approx(0.1, rel=1e-9)
    assert fit.residual_std == pytest.approx(0.0, abs=1e-12)
    assert fit.n_points == 9
    assert (fit.x_min, fit.x_max) == (pytest.approx(1e18), pytest.approx(1e22))


def test_noisy_power_law_recovered_within_stated_tolerance():
    rng = np.random.default_rng(0)
    x = np.logspace(18, 22, 200)
    noise_dex = 0.05
    y = 3.0 * x**0.73 * 10 ** (noise_dex * rng.standard_normal(x.size))
    fit = fit_power_law(x, y)
    # 200 points over 4 dex with 0.05 dex scatter: the slope's standard error is ~0.001.
    assert fit.exponent == pytest.approx(0.73, abs=0.005)
    assert fit.residual_std == pytest.approx(noise_dex, rel=0.15)
    assert 0 < fit.exponent_stderr < 0.005


def test_two_points_give_an_exact_line_and_no_standard_error():
    fit = fit_power_law([1e20, 1e22], [1e9, 1e10])
    assert fit.exponent == pytest.approx(0.5)
    assert fit.residual_std == 0.0
    assert np.isnan(fit.exponent_stderr)


def test_predict_scalar_and_array():
    fit = PowerLawFit(coefficient=2.0, exponent=0.5, residual_std=0.0, n_points=3)
    assert fit.predict(16.0) == pytest.approx(8.0)
    assert isinstance(fit.predict(16.0), float)
    np.testing.assert_allclose(fit.predict(np.array([1.0, 4.0])), [2.0, 4.0])
    with pytest.raises(ValueError, match="x must be strictly positive"):
        fit.predict(-1.0)


def test_to_frontier_gives_a_power_law_frontier():
    fit = fit_power_law(np.logspace(18, 22, 5), 0.1 * np.logspace(18, 22, 5) ** 0.5)
    frontier = fit.to_frontier(name="test")
    assert isinstance(frontier, PowerLawFrontier)
    assert frontier.name == "test"
    assert frontier.n_opt(1e20) == pytest.approx(1e9, rel=1e-9)
    assert frontier.d_opt(1e20) == pytest.approx(1e20 / 6e9, rel=1e-9)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([1.0, 2.0, 3.0], [1.0, -2.0, 3.0], "y must be strictly positive"),
        ([0.0, 2.0, 3.0], [1.0, 2.0, 3.0], "x must be strictly positive"),
        ([1.0, np.nan, 3.0], [1.0, 2.0, 3.0], "x must be finite"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], "same shape"),
        ([1.0], [2.0], "at least 2"),
        ([5.0, 5.0, 5.0], [1.0, 2.0, 3.0], "distinct"),
        (["a", "b"], [1.0, 2.0], "must be numeric"),
    ],
)
def test_bad_inputs_are_rejected(x, y, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(x, y)
