"""Approach 3's shared API shape, its compiled kernel, and results independent of the split.

- The runs go in as a tidy frame or as three arrays, with the same result to the bit.
- ``Approach3Result`` has ``.law``, ``.a``, ``.b`` and ``.frontier``, consistent with the law.
- A fit that fails at run time raises ``FitError``; bad input ``ValueError``/``TypeError``.
- The compiled objective agrees with the numpy reference; its exp and log are within 1 ulp.
- Bootstrap and fit are bit-identical whatever ``chunk_size`` and ``n_jobs``.
"""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.constants import CHINCHILLA_FLOPS
from chinchilla_utils.fitting.approach3 import (
    DEFAULT_SEED,
    PAPER_GRID_AXES,
    THETA_NAMES,
    approach3_objective,
    bootstrap_approach3,
    fit_approach3,
    fit_approach3_scipy,
)
from chinchilla_utils.fitting.approach3.objective import objective_rows
from chinchilla_utils.fitting.errors import FitError
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier

LAW = ParametricLoss(E=1.8, A=480.0, B=2000.0, alpha=0.35, beta=0.37)
# every other value of the paper's axes, then every 4th row: 61 starts
GRID = np.column_stack(
    [m.ravel() for m in np.meshgrid(*[PAPER_GRID_AXES[k][::2] for k in THETA_NAMES], indexing="ij")]
)[::4]


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    """60 runs of a known law with 1% log-normal noise, as a tidy frame (plus a spare column)."""
    rng = np.random.default_rng(11)
    n = 10 ** rng.uniform(7.5, 10, 60)
    d = 10 ** rng.uniform(9, 11.5, 60)
    loss = np.asarray(LAW.loss(n, d)) * np.exp(0.01 * rng.standard_normal(60))
    return pd.DataFrame({"n_params": n, "n_tokens": d, "loss": loss, "note": "synthetic"})


def _arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(frame[c].to_numpy() for c in ("n_params", "n_tokens", "loss"))


@pytest.fixture(scope="module")
def fit(runs):
    return fit_approach3(runs, grid=GRID)


# -- input forms ------------------------------------------------------------------------
def test_frame_input_equals_array_input_exactly(runs, fit):
    by_arrays = fit_approach3(*_arrays(runs), grid=GRID)
    np.testing.assert_array_equal(fit.theta, by_arrays.theta)
    np.testing.assert_array_equal(fit.start_objectives, by_arrays.start_objectives)
    assert fit.n_points == 60 and fit.objective == by_arrays.objective
    boot_frame = bootstrap_approach3(runs, n_resamples=6, rng=3, full_fit=fit)
    boot_arrays = bootstrap_approach3(*_arrays(runs), n_resamples=6, rng=3, full_fit=fit)
    pd.testing.assert_frame_equal(boot_frame.samples, boot_arrays.samples, check_exact=True)
    scipy_frame = fit_approach3_scipy(runs, grid=GRID[:3])
    scipy_arrays = fit_approach3_scipy(*_arrays(runs), grid=GRID[:3])
    np.testing.assert_array_equal(scipy_frame.theta, scipy_arrays.theta)


def test_input_forms_are_not_mixed(runs):
    n, d, loss = _arrays(runs)
    with pytest.raises(TypeError, match="not a DataFrame and arrays"):
        fit_approach3(runs, d, loss, grid=GRID)
    with pytest.raises(TypeError, match="n_tokens and loss missing"):
        fit_approach3(n, grid=GRID)
    with pytest.raises(TypeError, match="loss missing"):
        bootstrap_approach3(n, d)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['loss'\]"):
        fit_approach3(runs.drop(columns="loss"), grid=GRID)
    with pytest.raises(ValueError, match="n_tokens"):
        fit_approach3(runs.assign(n_tokens=-1.0), grid=GRID)


# -- the result's frontier --------------------------------------------------------------
def test_result_frontier_matches_the_law(fit):
    law = fit.law
    assert isinstance(law, ParametricLoss)
    np.testing.assert_array_equal(law.theta, ParametricLoss.from_theta(fit.theta).theta)
    assert fit.a == law.a == law.beta / (law.alpha + law.beta)
    assert fit.b == law.b == law.alpha / (law.alpha + law.beta)
    assert fit.a + fit.b == pytest.approx(1.0, abs=1e-15)
    frontier = fit.frontier
    assert isinstance(frontier, PowerLawFrontier) and frontier.exponent == law.a
    flops = np.geomspace(1e18, 1e26, 9)
    np.testing.assert_allclose(frontier.n_opt(flops), law.n_opt(flops), rtol=1e-12)
    np.testing.assert_allclose(frontier.d_opt(flops), law.d_opt(flops), rtol=1e-12)
    np.testing.assert_allclose(
        frontier.tokens_per_param(flops), law.tokens_per_param(flops), rtol=1e-12
    )
    assert fit.params() == law.params()


# -- run-time failures ------------------------------------------------------------------
def _bigger_is_worse() -> pd.DataFrame:
    """Loss that grows with model size: the best fit needs alpha < 0, which no law allows."""
    n, d = (x.ravel() for x in np.meshgrid(np.geomspace(1e8, 1e10, 8), np.geomspace(1e9, 1e11, 8)))
    loss = 2.0 + 0.05 * (n / 1e8) ** 0.3 + 400.0 / d**0.3
    return pd.DataFrame({"n_params": n, "n_tokens": d, "loss": loss})


def test_a_fit_without_a_valid_law_raises_fit_error():
    runs = _bigger_is_worse()
    with pytest.raises(FitError, match="not a valid ParametricLoss") as info:
        fit_approach3(runs, grid=GRID)
    assert info.value.reason == "invalid law"
    with pytest.raises(FitError, match="not a valid ParametricLoss"):
        fit_approach3_scipy(runs, grid=GRID[:4])


def test_fit_error_is_not_a_value_error():
    # callers catch bad input and failed fits separately
    assert not issubclass(FitError, ValueError)


# -- bootstrap defaults shared with Approaches 1 and 2 ----------------------------------
def test_bootstrap_defaults_are_the_papers():
    params = inspect.signature(bootstrap_approach3).parameters
    assert params["n_resamples"].default == 100
    assert params["method"].default == "subsample"
    assert params["fraction"].default == 0.8
    assert params["flops_for_ratio"].default == CHINCHILLA_FLOPS
    assert params["rng"].default is None
    assert params["progress"].default is False


def test_bootstrap_rng_forms_agree(runs, fit):
    by_none = bootstrap_approach3(runs, n_resamples=5, full_fit=fit)
    by_seed = bootstrap_approach3(runs, n_resamples=5, rng=DEFAULT_SEED, full_fit=fit)
    by_gen = bootstrap_approach3(
        runs, n_resamples=5, rng=np.random.default_rng(DEFAULT_SEED), full_fit=fit
    )
    pd.testing.assert_frame_equal(by_none.samples, by_seed.samples, check_exact=True)
    pd.testing.assert_frame_equal(by_none.samples, by_gen.samples, check_exact=True)
    assert by_none.method == "subsample" and by_none.fraction == 0.8
    other = bootstrap_approach3(runs, n_resamples=5, rng=DEFAULT_SEED + 1, full_fit=fit)
    assert not np.allclose(other.samples["alpha"], by_none.samples["alpha"])
    replacement = bootstrap_approach3(runs, n_resamples=5, method="replacement", full_fit=fit)
    assert replacement.method == "replacement" and replacement.samples.notna().all().all()


# -- results independent of how the work is split ---------------------------------------
def test_bootstrap_is_bit_identical_across_chunk_sizes_and_threads(runs, fit):
    results = [
        bootstrap_approach3(runs, n_resamples=15, rng=5, full_fit=fit, chunk_size=c, n_jobs=j)
        for c, j in ((250, 1), (1, 1), (7, 1), (250, 2), (1, 2), (7, 2))
    ]
    assert results[0].samples.notna().all().all()
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0].samples, other.samples, check_exact=True)


def test_fit_is_bit_identical_across_threads(runs):
    one = fit_approach3(runs, grid=GRID, n_jobs=1)
    two = fit_approach3(runs, grid=GRID, n_jobs=2)
    np.testing.assert_array_equal(one.start_thetas, two.start_thetas)
    np.testing.assert_array_equal(one.start_objectives, two.start_objectives)
    np.testing.assert_array_equal(one.theta, two.theta)


def test_n_jobs_above_the_core_count_is_capped_with_a_warning(runs):
    from chinchilla_utils.fitting.approach3.workers import available_cores

    with pytest.warns(RuntimeWarning, match="more than the"):
        fit_approach3(runs, grid=GRID[:2], n_jobs=available_cores() + 1)


def test_numpy_objective_rows_do_not_depend_on_their_neighbours(runs):
    """A row that needs the log-sum-exp shift must not change the arithmetic of the others."""
    ln, ld, ll = (np.log(x) for x in _arrays(runs))
    rows = np.array(
        [[6.0, 7.5, 0.5, 0.3, 0.35], [800.0, 5.0, 0.5, 0.3, 0.3], [5.0, 8.0, 0.6, 0.4, 0.3]]
    )
    f_all, g_all = approach3_objective(rows, ln, ld, ll)
    for k, row in enumerate(rows):
        f_one, g_one = approach3_objective(row, ln, ld, ll)
        assert f_all[k] == f_one
        np.testing.assert_array_equal(g_all[k], g_one)


# -- the compiled kernel ----------------------------------------------------------------
def test_compiled_exp_and_log_are_accurate_to_a_few_ulp():
    """exp: 1 ulp. log: 3 ulp relative, 1 ulp of 2 absolute (the losses' logs are 0.5-2)."""
    from numba import njit

    from chinchilla_utils.fitting.approach3._kernel import _JIT, exp_small, log_normal

    @njit(fastmath=_JIT["fastmath"])  # compiled as in the kernel (contracted multiply-adds)
    def both(x, y, out_exp, out_log):
        for i in range(x.size):
            out_exp[i] = exp_small(x[i])
            out_log[i] = log_normal(y[i])

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-700, 700, 20000), rng.uniform(-1, 1, 20000), [0.0, 1.0]])
    y = np.concatenate([np.exp(rng.uniform(-690, 690, 20000)), rng.uniform(0.5, 4, 20000), [1, 2]])
    out_exp, out_log = np.empty_like(x), np.empty_like(y)
    both(x, y, out_exp, out_log)
    exact_exp = np.array([math.exp(v) for v in x])
    exact_log = np.array([math.log(v) for v in y])
    assert np.all(np.abs(out_exp - exact_exp) <= np.spacing(exact_exp))
    assert np.all(np.abs(out_log - exact_log) <= 3 * np.spacing(np.abs(exact_log)) + 1e-300)
    assert np.abs(out_log - exact_log).max() <= np.spacing(2.0)
    assert out_exp[-2] == 1.0 and out_log[-2] == 0.0


@pytest.mark.parametrize("shifted", [None, "a", "e"])
def test_compiled_objective_matches_the_numpy_reference(runs, shifted):
    from chinchilla_utils.fitting.approach3._kernel import objective_gradient
    from chinchilla_utils.fitting.approach3.lbfgs import Problem

    ln, ld, ll = (np.log(x) for x in _arrays(runs))
    rng = np.random.default_rng(2)
    weights = rng.integers(0, 3, ln.size).astype(float)
    problem = Problem(ln, ld, ll, 1e-3, weights=weights[None, :])
    thetas = np.column_stack(
        [rng.uniform(0, 25, 30), rng.uniform(0, 25, 30), rng.uniform(-1, 1, 30)]
        + [rng.uniform(0.05, 2, 30), rng.uniform(0.05, 2, 30)]
    )
    if shifted == "a":
        thetas[:, 0] += 700.0  # a term beyond exp's safe range: the careful path
    if shifted == "e":
        thetas[:, 2] -= 800.0  # E = exp(e) underflows to 0: still the fast path
    u = problem.to_centred(thetas)
    grad, work = np.empty(5), np.empty((6, problem.x_n.size))
    x_n, x_d = ln - problem.centre_n, ld - problem.centre_d
    for row in u:
        f = objective_gradient(
            row, problem.x_n, problem.x_d, problem.log_loss, problem.weights[0], 1e-3,
            problem.bounds, grad, work,
        )  # fmt: skip
        # the reference on the resampled runs: each run repeated by its weight
        rep = np.repeat(np.arange(ln.size), weights.astype(int))
        f_ref, g_ref = objective_rows(row[None, :], x_n[rep], x_d[rep], ll[rep], 1e-3)
        assert f == pytest.approx(f_ref[0], rel=1e-12)
        np.testing.assert_allclose(grad, g_ref[0], rtol=1e-10, atol=1e-13 * np.abs(g_ref).max())


def test_cache_index_names_the_file_numba_writes(runs):
    """The guard against a stale cached L-BFGS (numba does not track the kernel) finds its file."""
    from chinchilla_utils.fitting.approach3._cache import cache_index
    from chinchilla_utils.fitting.approach3._kernel import objective_gradient
    from chinchilla_utils.fitting.approach3.lbfgs import Problem, _minimise_rows

    Problem(*(np.log(x) for x in _arrays(runs)), 1e-3).minimise(GRID[:2], 5)
    for dispatcher in (_minimise_rows, objective_gradient):
        index = cache_index(dispatcher)
        assert index is not None and index.is_file(), index


def test_a_cache_older_than_the_kernel_is_stale(tmp_path):
    import os

    from chinchilla_utils.fitting.approach3._cache import cache_is_stale

    index, kernel = tmp_path / "lbfgs.f-1.py311.nbi", tmp_path / "_kernel.py"
    kernel.write_text("")
    assert not cache_is_stale(index, kernel)  # nothing cached yet
    index.write_bytes(b"")
    os.utime(index, (1000.0, 1000.0))
    os.utime(kernel, (2000.0, 2000.0))
    assert cache_is_stale(index, kernel)
    os.utime(index, (3000.0, 3000.0))
    assert not cache_is_stale(index, kernel)


def test_importing_approach3_does_not_import_numba():
    code = (
        "import sys\n"
        "import chinchilla_utils.fitting.approach3 as m\n"
        "print('numba' in sys.modules, 'llvmlite' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_no_warnings_from_a_plain_fit(runs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_approach3(runs, grid=GRID[:5], n_jobs=1)


@pytest.mark.parametrize("delta", [1e-300, 1e-13])
def test_an_absurdly_small_delta_is_refused(runs, delta):
    """Issue 13 ("absurd values pass"): delta=1e-300 was accepted and fitted noise."""
    from chinchilla_utils.fitting.approach3 import huber_loss

    with pytest.raises(ValueError, match=r"delta=.* is below 1e-12"):
        huber_loss(np.array([0.1]), delta=delta)
    with pytest.raises(ValueError, match=r"delta=.* is below 1e-12"):
        fit_approach3(runs, delta=delta)
