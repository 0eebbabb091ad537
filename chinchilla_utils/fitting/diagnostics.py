"""Diagnostics of a fitted parametric loss: residuals, a likelihood to test it, its frontier.

Introduced in the Approach 3 chapter. A fit of ``L(N, D) = E + A / N**alpha + B / D**beta``
(:class:`~chinchilla_utils.laws.ParametricLoss`) by the paper's recipe is a minimiser of a Huber
objective, not a statistical model, so it says nothing about how surprising another set of
constants would be. Besiroglu et al. (2024, arXiv:2404.10102) turn the objective into a
likelihood: the log-loss residuals ``r_i = log L_i - log L_hat(N_i, D_i)`` are independent draws
of ``sigma * eps`` where ``eps`` has the Huber density ``exp(-Huber_delta(eps)) / Z(delta)``
(``delta = 1e-3``, as in the paper's objective, but on the *standardised* residual). Then

* :func:`profile_huber_likelihood` scores any law on a set of runs, with the scale ``sigma``
  fitted (one parameter);
* :func:`fit_huber_likelihood` maximises it over the five constants too (the maximum-likelihood
  fit, six parameters);
* :func:`likelihood_ratio_test` compares the two by Wilks' theorem (chi-squared, 5 degrees of
  freedom), which is how Besiroglu et al. test the paper's constants;
* :func:`wald_test` does the same with a covariance matrix (from a bootstrap) instead;
* :func:`runs_for_interval_width` is their sample-size argument: an interval's width shrinks as
  ``1 / sqrt(n)``, so a target width needs ``n * (width / target)**2`` runs.

Also here: :func:`log_residuals` (per run, observed minus predicted), :func:`isoflop_slice`
(the law's loss along a fixed budget, the paper's Figure 4 right) and :func:`numerical_frontier`
(the loss-minimising size at each budget for any FLOP count per token, which reduces to Eq. 4
when that count is ``6 N``).

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``loss`` in nats per token,
``flops`` in training FLOPs; residuals and scales in nats of log loss (dimensionless).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.special import erf
from scipy.stats import chi2

from chinchilla_utils._validation import as_finite, as_positive, check_same_shape

from ..laws import ParametricLoss
from .approach3.objective import check_delta
from .errors import FitError

__all__ = [
    "DEFAULT_DELTA",
    "HuberLikelihoodFit",
    "LikelihoodRatioTest",
    "ProfileLikelihood",
    "WaldTest",
    "bootstrap_theta_covariance",
    "fit_huber_likelihood",
    "huber_log_likelihood",
    "huber_log_normaliser",
    "isoflop_slice",
    "likelihood_ratio_test",
    "log_residuals",
    "numerical_frontier",
    "profile_huber_likelihood",
    "runs_for_interval_width",
    "wald_test",
]

#: The paper's Huber threshold (Section 3.3), used by Besiroglu et al. on standardised residuals.
DEFAULT_DELTA = 1e-3
#: Degrees of freedom of a test of all five constants.
N_CONSTANTS = 5


def _runs(n_params: Any, n_tokens: Any, loss: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = as_positive("n_params", n_params)
    d = as_positive("n_tokens", n_tokens)
    el = as_positive("loss", loss)
    check_same_shape(n_params=n, n_tokens=d, loss=el)
    if n.ndim != 1 or n.size < 2:
        raise ValueError(f"n_params, n_tokens and loss must be 1-d with >= 2 runs, got {n.shape}")
    return n, d, el


def _check_law(law: Any, name: str = "law") -> ParametricLoss:
    if not isinstance(law, ParametricLoss):
        raise TypeError(f"{name} must be a ParametricLoss, got {type(law).__name__}")
    return law


def log_residuals(law: ParametricLoss, n_params: Any, n_tokens: Any, loss: Any) -> np.ndarray:
    """``log L_i - log L_hat(N_i, D_i)`` per run: positive where a run is worse than the law.

    Parameters
    ----------
    law : the fitted law.
    n_params, n_tokens, loss : parameters, training tokens and final loss (nats) of each run.

    Returns
    -------
    1-d array of residuals in log loss (dimensionless).
    """
    n, d, el = _runs(n_params, n_tokens, loss)
    return np.log(el) - np.log(np.asarray(_check_law(law).loss(n, d), dtype=float))


def huber_log_normaliser(delta: float = DEFAULT_DELTA) -> float:
    """``log Z(delta)``, where ``Z = integral of exp(-Huber_delta(x)) dx``.

    ``Z = sqrt(2 pi) erf(delta / sqrt 2) + 2 exp(-delta**2 / 2) / delta``: the Gaussian core on
    ``|x| <= delta`` plus two exponential tails.
    """
    d = check_delta(delta)
    core = np.sqrt(2.0 * np.pi) * erf(d / np.sqrt(2.0))
    return float(np.log(core + 2.0 * np.exp(-0.5 * d * d) / d))


def _huber(x: np.ndarray, delta: float) -> np.ndarray:
    psi = np.clip(x, -delta, delta)
    return psi * (x - 0.5 * psi)


def huber_log_likelihood(residuals: Any, scale: float, delta: float = DEFAULT_DELTA) -> float:
    """Log-likelihood of residuals that are ``scale`` times Huber-distributed draws.

    ``sum_i [-Huber_delta(r_i / scale) - log Z(delta) - log scale]`` (nats; see
    :func:`huber_log_normaliser`).

    Raises
    ------
    ValueError
        For non-finite residuals or a scale that is not positive.
    """
    r = as_finite("residuals", residuals)
    s = as_positive("scale", scale)
    if s.ndim != 0:
        raise ValueError(f"scale must be a scalar, got {scale!r}")
    d = check_delta(delta)
    x = r / float(s)
    return float(-np.sum(_huber(x, d)) - r.size * (huber_log_normaliser(d) + np.log(float(s))))


def _best_scale(residuals: np.ndarray, delta: float) -> float:
    """The scale maximising :func:`huber_log_likelihood`: the root of ``sum psi(x) x = n``.

    ``sum psi(r / s) r / s`` falls strictly from infinity to 0 as ``s`` grows (for residuals
    not all zero), so the root is unique; it is bracketed between the Laplace solution
    ``delta * mean|r|`` (exact when every ``|r| / s > delta``) and the Gaussian one
    ``sqrt(mean r**2)`` (exact when every ``|r| / s <= delta``).
    """
    r = np.abs(residuals)
    if not np.any(r > 0):
        raise FitError("every residual is 0: the likelihood has no maximum in the scale")
    n = r.size

    def excess(log_s: float) -> float:
        x = r / np.exp(log_s)
        return float(np.sum(np.minimum(x, delta) * x) - n)

    laplace = np.log(delta * r.mean())
    gauss = np.log(np.sqrt(np.mean(r**2)))
    low, high = min(laplace, gauss) - 1.0, max(laplace, gauss) + 1.0
    if excess(low) * excess(high) > 0:  # pragma: no cover - the bracket argument above
        raise FitError(f"could not bracket the Huber scale between {low} and {high} (log)")
    return float(np.exp(brentq(excess, low, high, xtol=1e-14, rtol=1e-14)))


@dataclass(frozen=True)
class ProfileLikelihood:
    """A law's Huber log-likelihood on a set of runs, with only the scale fitted.

    Attributes
    ----------
    law : the law scored.
    log_likelihood : the maximum over the scale (nats).
    scale : that scale, ``sigma`` (log-loss units).
    delta : the Huber threshold on standardised residuals.
    n_points : runs scored.
    """

    law: ParametricLoss
    log_likelihood: float
    scale: float
    delta: float
    n_points: int

    @property
    def threshold(self) -> float:
        """``delta * scale``: the residual (log loss) beyond which the density is exponential."""
        return self.delta * self.scale


def profile_huber_likelihood(
    law: ParametricLoss,
    n_params: Any,
    n_tokens: Any,
    loss: Any,
    delta: float = DEFAULT_DELTA,
) -> ProfileLikelihood:
    """Score ``law`` on a set of runs by the Huber likelihood, maximised over the scale.

    Parameters
    ----------
    law : the law to score (the paper's constants, a refit, ...).
    n_params, n_tokens, loss : parameters, training tokens and final loss (nats) of each run.
    delta : Huber threshold on the standardised residual (Besiroglu et al.: 1e-3).

    Returns
    -------
    ProfileLikelihood
    """
    d = check_delta(delta)
    r = log_residuals(law, n_params, n_tokens, loss)
    scale = _best_scale(r, d)
    return ProfileLikelihood(law, huber_log_likelihood(r, scale, d), scale, d, int(r.size))


@dataclass(frozen=True)
class HuberLikelihoodFit:
    """The maximum-likelihood fit of the five constants and the scale.

    Attributes
    ----------
    law : the fitted law.
    log_likelihood : its log-likelihood (nats), scale profiled out.
    scale : the fitted scale ``sigma``.
    start_log_likelihood : the log-likelihood of the starting law (the fit can only raise it).
    converged : whether Nelder-Mead met its tolerances within its iteration budget.
    message : the optimiser's message.
    n_evaluations : likelihood evaluations used.
    delta : the Huber threshold on standardised residuals.
    n_points : runs fitted.
    """

    law: ParametricLoss
    log_likelihood: float
    scale: float
    start_log_likelihood: float
    converged: bool
    message: str
    n_evaluations: int
    delta: float
    n_points: int


def fit_huber_likelihood(
    n_params: Any,
    n_tokens: Any,
    loss: Any,
    start: ParametricLoss,
    delta: float = DEFAULT_DELTA,
    max_evaluations: int = 20_000,
    n_restarts: int = 2,
) -> HuberLikelihoodFit:
    """Maximise the Huber likelihood over ``(log A, log B, log E, alpha, beta)`` and the scale.

    The scale is profiled out exactly (:func:`profile_huber_likelihood`) and the five constants
    are moved by Nelder-Mead from ``start`` (a good start, e.g. the paper's recipe refit), then
    restarted from its own answer ``n_restarts`` times, a standard remedy for a simplex that
    collapsed early. Nelder-Mead needs no gradient: when the fitted scale times ``delta`` is far
    below every residual, as on Epoch's points, the likelihood is that of a Laplace
    distribution, whose maximum is the least-absolute-deviation fit and is not smooth there.

    Parameters
    ----------
    n_params, n_tokens, loss : parameters, training tokens and final loss (nats) of each run.
    start : the law to start from.
    delta : Huber threshold on the standardised residual.
    max_evaluations : likelihood evaluations allowed per Nelder-Mead run.
    n_restarts : further Nelder-Mead runs, each from the previous answer.

    Returns
    -------
    HuberLikelihoodFit

    Raises
    ------
    FitError
        If no finite likelihood is reached (for instance a start whose loss is not finite).
    """
    n, d, el = _runs(n_params, n_tokens, loss)
    law0 = _check_law(start, "start")
    dl = check_delta(delta)
    if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, int | np.integer):
        raise TypeError(f"max_evaluations must be an int, got {max_evaluations!r}")
    if max_evaluations < 10 or n_restarts < 0:
        raise ValueError(
            f"max_evaluations must be >= 10 and n_restarts >= 0, got {max_evaluations!r}, "
            f"{n_restarts!r}"
        )
    log_n, log_d, log_l = np.log(n), np.log(d), np.log(el)

    def negative(theta: np.ndarray) -> float:
        a, b, e, alpha, beta = theta
        if alpha <= 0 or beta <= 0:
            return np.inf
        pred = np.logaddexp(np.logaddexp(a - alpha * log_n, b - beta * log_d), e)
        r = log_l - pred
        if not np.all(np.isfinite(r)) or not np.any(r != 0):
            return np.inf
        return -huber_log_likelihood(r, _best_scale(r, dl), dl)

    theta = law0.theta
    start_value = negative(theta)
    if not np.isfinite(start_value):
        raise FitError(f"the start {law0} has no finite Huber likelihood on these runs")
    used, result = 0, None
    options = {"xatol": 1e-10, "fatol": 1e-10, "maxfev": int(max_evaluations)}
    for _ in range(int(n_restarts) + 1):
        result = minimize(negative, theta, method="Nelder-Mead", options=options)
        used += int(result.nfev)
        if result.fun <= negative(theta):
            theta = np.asarray(result.x, dtype=float)
    assert result is not None
    law = ParametricLoss.from_theta(theta)
    best = profile_huber_likelihood(law, n, d, el, dl)
    return HuberLikelihoodFit(
        law=law,
        log_likelihood=best.log_likelihood,
        scale=best.scale,
        start_log_likelihood=-start_value,
        converged=bool(result.success),
        message=str(result.message),
        n_evaluations=used,
        delta=dl,
        n_points=int(n.size),
    )


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Wilks' likelihood-ratio test of a fixed law against a maximum-likelihood fit.

    Attributes
    ----------
    statistic : ``2 * (log_likelihood_fit - log_likelihood_null)``.
    df : degrees of freedom (parameters the fit frees: 5 for the five constants).
    p_value : ``P(chi2(df) >= statistic)``.
    log_likelihood_null, log_likelihood_fit : the two maxima (nats).
    scale_null, scale_fit : their fitted scales.
    n_points : runs.
    """

    statistic: float
    df: int
    p_value: float
    log_likelihood_null: float
    log_likelihood_fit: float
    scale_null: float
    scale_fit: float
    n_points: int


def likelihood_ratio_test(
    null: ParametricLoss,
    fit: HuberLikelihoodFit,
    n_params: Any,
    n_tokens: Any,
    loss: Any,
    df: int = N_CONSTANTS,
) -> LikelihoodRatioTest:
    """Test whether the runs could come from ``null`` (its constants fixed, the scale fitted).

    Parameters
    ----------
    null : the law under test, e.g. the paper's constants.
    fit : :func:`fit_huber_likelihood` on the same runs (its ``delta`` is used for ``null``).
    n_params, n_tokens, loss : the runs.
    df : degrees of freedom, the number of constants ``fit`` frees (5).

    Returns
    -------
    LikelihoodRatioTest

    Raises
    ------
    ValueError
        If ``fit`` was fitted on another number of runs, or ``df`` is not a positive int.
    """
    if not isinstance(fit, HuberLikelihoodFit):
        raise TypeError(f"fit must be a HuberLikelihoodFit, got {type(fit).__name__}")
    if isinstance(df, bool) or not isinstance(df, int | np.integer) or df < 1:
        raise ValueError(f"df must be a positive integer, got {df!r}")
    scored = profile_huber_likelihood(_check_law(null, "null"), n_params, n_tokens, loss, fit.delta)
    if scored.n_points != fit.n_points:
        raise ValueError(
            f"fit was fitted on {fit.n_points} runs but {scored.n_points} were given; "
            "pass the runs the fit used"
        )
    statistic = 2.0 * (fit.log_likelihood - scored.log_likelihood)
    return LikelihoodRatioTest(
        statistic=float(statistic),
        df=int(df),
        p_value=float(chi2.sf(statistic, df)),
        log_likelihood_null=scored.log_likelihood,
        log_likelihood_fit=fit.log_likelihood,
        scale_null=scored.scale,
        scale_fit=fit.scale,
        n_points=scored.n_points,
    )


def bootstrap_theta_covariance(samples: pd.DataFrame) -> np.ndarray:
    """Covariance of ``(log A, log B, log E, alpha, beta)`` over bootstrap refits.

    Parameters
    ----------
    samples : one row per resample with columns ``E``, ``A``, ``B``, ``alpha``, ``beta`` (as in
        ``BootstrapResult.samples``); rows with a NaN (failed resamples) are left out.

    Returns
    -------
    ``(5, 5)`` covariance matrix (``ddof=1``).
    """
    columns = ["A", "B", "E", "alpha", "beta"]
    if not isinstance(samples, pd.DataFrame) or not set(columns) <= set(samples.columns):
        raise ValueError(f"samples must be a DataFrame with columns {columns}")
    values = samples[columns].to_numpy(dtype=float)
    values = values[np.all(np.isfinite(values), axis=1)]
    if values.shape[0] < 6:
        raise ValueError(
            f"need at least 6 finite resamples for a 5x5 covariance, got {len(values)}"
        )
    values[:, :3] = np.log(values[:, :3])
    return np.cov(values, rowvar=False)


@dataclass(frozen=True)
class WaldTest:
    """``(theta_null - theta_hat)' inv(covariance) (theta_null - theta_hat)`` and its p-value."""

    statistic: float
    df: int
    p_value: float


def wald_test(null: ParametricLoss, estimate: ParametricLoss, covariance: Any) -> WaldTest:
    """Wald (chi-squared) test of ``null``'s constants against an estimate and its covariance.

    Parameters
    ----------
    null, estimate : the two laws; compared in ``(log A, log B, log E, alpha, beta)``.
    covariance : ``(5, 5)`` covariance of the estimate in those coordinates (e.g.
        :func:`bootstrap_theta_covariance`).

    Returns
    -------
    WaldTest with 5 degrees of freedom.
    """
    cov = as_finite("covariance", covariance)
    if cov.shape != (N_CONSTANTS, N_CONSTANTS):
        raise ValueError(f"covariance must have shape (5, 5), got {cov.shape}")
    diff = _check_law(null, "null").theta - _check_law(estimate, "estimate").theta
    statistic = float(diff @ np.linalg.solve(cov, diff))
    return WaldTest(statistic, N_CONSTANTS, float(chi2.sf(statistic, N_CONSTANTS)))


def runs_for_interval_width(n_runs: float, width: float, target_width: float) -> float:
    """Runs needed to shrink an interval of ``width`` (from ``n_runs``) to ``target_width``.

    Interval widths scale as ``1 / sqrt(n)`` for independent runs, so the answer is
    ``n_runs * (width / target_width)**2``. Besiroglu et al. use it to ask how many runs Table
    2's 0.001-wide interval of ``a`` would take.
    """
    n = float(as_positive("n_runs", n_runs))
    ratio = float(as_positive("width", width)) / float(as_positive("target_width", target_width))
    return n * ratio**2


def isoflop_slice(law: ParametricLoss, flops: float, n_params: Any) -> np.ndarray:
    """The law's loss (nats) for sizes ``n_params`` all trained with ``flops`` (``D = C / 6N``)."""
    c = as_positive("flops", flops)
    if c.ndim != 0:
        raise ValueError(f"flops must be one budget, got {flops!r}")
    n = as_positive("n_params", n_params)
    return np.asarray(_check_law(law).loss(n, float(c) / (6.0 * n)), dtype=float)


def numerical_frontier(
    law: ParametricLoss,
    flops: Any,
    flops_per_token: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Loss-minimising model size at each budget, for any count of FLOPs per token.

    Minimises ``law.loss(N, C / f(N))`` over ``N`` for each ``C`` in ``flops``, where ``f(N)``
    is ``flops_per_token`` (FLOPs per training token of a model of ``N`` parameters; default
    ``6 N``, for which the answer is Eq. 4's ``law.n_opt(C)``).

    Returns
    -------
    Array of sizes (parameters), one per budget.

    Raises
    ------
    FitError
        If the minimum lies on the edge of the search (six decades either side of Eq. 4's
        answer): with that count per token the loss keeps falling (or rising) with size.
    """
    budgets = np.atleast_1d(as_positive("flops", flops)).astype(float)
    law = _check_law(law)
    count = (lambda n: 6.0 * n) if flops_per_token is None else flops_per_token
    out = np.empty_like(budgets)
    for i, c in enumerate(budgets):
        centre = np.log(float(law.n_opt(c)))
        lo, hi = centre - 6.0 * np.log(10.0), centre + 6.0 * np.log(10.0)

        def total(log_n: float, c: float = c) -> float:
            n = np.exp(log_n)
            return float(np.log(law.loss(n, c / float(count(np.asarray(n))))))

        res = minimize_scalar(total, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
        if res.x - lo < 1e-3 or hi - res.x < 1e-3:
            raise FitError(f"no interior minimum of the loss at {c:.3g} FLOPs")
        out[i] = np.exp(res.x)
    return out
