"""fitting/approach3/scipy_reference.py: scipy's L-BFGS-B at default tolerances, from a grid of starts."""

from __future__ import annotations

import numpy as np
import pytest

from chinchilla_utils.fitting.approach3 import (
    fit_approach3,
    fit_approach3_scipy,
    paper_initial_grid,
    subsample_grid,
)
from chinchilla_utils.laws import ParametricLoss

TRUE_LAW = ParametricLoss(E=1.8, A=480.0, B=2000.0, alpha=0.35, beta=0.37)
STARTS = np.array([[6.0, 7.5, 0.5, 0.3, 0.3], [6.5, 8.0, 0.6, 0.4, 0.4], [0.0, 0.0, 0.0, 0.0, 0.0]])


def _runs(noise: float, seed: int = 0, size: int = 80):
    rng = np.random.default_rng(seed)
    n = 10 ** rng.uniform(7.5, 10, size)
    d = 10 ** rng.uniform(9, 11.5, size)
    loss = np.asarray(TRUE_LAW.loss(n, d)) * np.exp(noise * rng.standard_normal(size))
    return n, d, loss


def test_subsample_grid_draws_distinct_rows_and_is_seeded() -> None:
    a = subsample_grid(50, np.random.default_rng(3))
    b = subsample_grid(50, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50, 5)
    assert len(np.unique(a, axis=0)) == 50
    # not a stride: several beta values survive (the grid varies beta fastest)
    assert len(np.unique(a[:, 4])) > 1
    full = {tuple(row) for row in paper_initial_grid()}
    assert all(tuple(row) in full for row in a)


@pytest.mark.parametrize("bad", [0, 4501, 2.5, True])
def test_subsample_grid_rejects_bad_counts(bad) -> None:
    with pytest.raises(ValueError, match="n_starts"):
        subsample_grid(bad, np.random.default_rng(0))


def test_subsample_grid_needs_a_generator() -> None:
    with pytest.raises(ValueError, match="rng"):
        subsample_grid(5, 0)


def test_sum_recovers_a_noiseless_law() -> None:
    n, d, loss = _runs(noise=0.0)
    fit = fit_approach3_scipy(n, d, loss, grid=STARTS[:2], options={"gtol": 1e-12, "ftol": 1e-15})
    assert fit.law.alpha == pytest.approx(TRUE_LAW.alpha, rel=1e-3)
    assert fit.law.beta == pytest.approx(TRUE_LAW.beta, rel=1e-3)
    assert fit.n_starts == 2
    assert fit.start_thetas.shape == (2, 5)
    assert fit.reduction == "sum"


def test_mean_with_default_tolerances_stops_short_of_sum() -> None:
    # The point of the module: scipy's absolute stopping tests fire earlier on the mean.
    n, d, loss = _runs(noise=0.02, seed=1, size=200)
    tight = fit_approach3(n, d, loss, grid=STARTS)
    summed = fit_approach3_scipy(n, d, loss, grid=STARTS)
    averaged = fit_approach3_scipy(n, d, loss, grid=STARTS, reduction="mean")
    assert summed.objective == pytest.approx(tight.objective, rel=1e-4)
    assert averaged.objective * len(n) > tight.objective * (1 + 1e-3)


def test_best_start_is_the_lowest_objective() -> None:
    n, d, loss = _runs(noise=0.02, seed=2)
    fit = fit_approach3_scipy(n, d, loss, grid=STARTS)
    assert fit.objective == pytest.approx(np.min(fit.start_objectives))
    assert fit.best_start == int(np.argmin(fit.start_objectives))
    np.testing.assert_allclose(fit.theta, fit.start_thetas[fit.best_start])
    assert 1 <= fit.n_starts_at_best <= 3


def test_validation() -> None:
    n, d, loss = _runs(noise=0.0)
    with pytest.raises(ValueError, match="reduction"):
        fit_approach3_scipy(n, d, loss, reduction="median", grid=STARTS)
    with pytest.raises(ValueError, match="grid"):
        fit_approach3_scipy(n, d, loss, grid=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="options"):
        fit_approach3_scipy(n, d, loss, grid=STARTS, options=[1])
    with pytest.raises(ValueError, match="at least 5 runs"):
        fit_approach3_scipy(n[:3], d[:3], loss[:3], grid=STARTS)
    with pytest.raises(ValueError, match="delta"):
        fit_approach3_scipy(n, d, loss, grid=STARTS, delta=0.0)
