"""The paper's Approach 3 objective (Eq. 11) and its analytic gradient, in numpy.

``sum over runs i of Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i )``,
with ``theta = (a, b, e, alpha, beta)``, ``a = log A``, ``b = log B``, ``e = log E``.
``LSE`` is log-sum-exp, so ``exp(LSE(...)) = A / N**alpha + B / D**beta + E`` is the
predicted loss in nats.

This is the reference implementation: the scipy polish of :func:`fit_approach3`, the
off-the-shelf fitter and the book's tables call it. The multi-start fit runs a compiled
copy of the same arithmetic (``._kernel``); the tests check that the two agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import as_finite, as_positive, check_choice, check_same_shape

__all__ = ["THETA_NAMES", "REDUCTIONS", "huber_loss", "approach3_objective"]

#: Order of the fit vector: ``(log A, log B, log E, alpha, beta)`` (Eq. 11).
THETA_NAMES = ("a", "b", "e", "alpha", "beta")
#: How the per-run Huber terms are combined: the paper sums them.
REDUCTIONS = ("sum", "mean")
#: exp() of anything below this is safe in float64 without the log-sum-exp shift.
EXP_SAFE = 600.0


#: Smallest Huber threshold accepted. Log-loss residuals are resolved to about 1e-16 in float64,
#: and below ~1e-12 the Huber terms (``delta * |r|``) and their gradients sink towards the
#: denormal range, where the optimiser's steps are noise.
MIN_DELTA = 1e-12


def check_delta(delta: Any) -> float:
    """``delta`` as a finite float >= :data:`MIN_DELTA` (the Huber threshold on log-loss residuals)."""
    d = as_positive("delta", delta)
    if d.ndim != 0:
        raise ValueError(f"delta must be a scalar, got {delta!r}")
    if float(d) < MIN_DELTA:
        raise ValueError(
            f"delta={float(d)!r} is below {MIN_DELTA:g}, where the Huber terms fall under float64's "
            "resolution of log losses; use delta >= 1e-12 (the paper's is 1e-3)"
        )
    return float(d)


def huber_loss(residual: Any, delta: float = 1e-3) -> float | np.ndarray:
    """Huber loss of ``residual``: ``r**2 / 2`` for ``|r| <= delta``, else ``delta*(|r| - delta/2)``.

    The same convention as :func:`scipy.special.huber` (continuous, with continuous first
    derivative ``clip(r, -delta, delta)``). ``residual`` is a difference of log losses here.
    """
    r = as_finite("residual", residual)
    d = check_delta(delta)
    psi = np.clip(r, -d, d)
    out = psi * (r - 0.5 * psi)
    return float(out) if out.ndim == 0 else out


def _row_bound(u: np.ndarray, x_n: np.ndarray, x_d: np.ndarray) -> np.ndarray:
    """Per row, the largest ``|term|`` of the log-sum-exp over all runs.

    Each term is linear in the run's log size, so its extremes sit at the smallest and
    largest ``x_n`` (``x_d``): four products per row, not one per run.
    """
    a, b, e, alpha, beta = u.T
    bounds = [np.abs(a - alpha * x) for x in (x_n.min(), x_n.max())]
    bounds += [np.abs(b - beta * x) for x in (x_d.min(), x_d.max())]
    return np.maximum.reduce([*bounds, np.abs(e)])


def objective_rows(
    u: np.ndarray,
    x_n: np.ndarray,
    x_d: np.ndarray,
    log_loss: np.ndarray,
    delta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Summed objective and gradient for every row of ``u`` (shape ``(K, 5)``).

    ``u`` holds ``(a, b, e, alpha, beta)`` relative to the log sizes ``x_n`` and log token
    counts ``x_d`` given (centred or not; the formula is the same). A row's arithmetic does
    not depend on the other rows: whether the log-sum-exp is shifted (only where a term could
    overflow) is decided row by row, and every reduction runs along the row.
    """
    f = np.empty(u.shape[0])
    g = np.empty_like(u)
    shifted = ~(_row_bound(u, x_n, x_d) < EXP_SAFE)  # NaN rows take the careful path too
    for rows, shift in ((~shifted, False), (shifted, True)):
        if rows.any():
            f[rows], g[rows] = _objective_block(u[rows], x_n, x_d, log_loss, delta, shift)
    return f, g


def _objective_block(
    u: np.ndarray,
    x_n: np.ndarray,
    x_d: np.ndarray,
    log_loss: np.ndarray,
    delta: float,
    shift: bool,
) -> tuple[np.ndarray, np.ndarray]:
    a, b, e, alpha, beta = (u[:, i : i + 1] for i in range(5))
    t1 = a - alpha * x_n
    t2 = b - beta * x_d
    if shift:
        top = np.maximum(np.maximum(t1, t2), e)
        e1, e2, e3 = np.exp(t1 - top), np.exp(t2 - top), np.exp(e - top)
    else:
        top = 0.0
        e1, e2, e3 = np.exp(t1), np.exp(t2), np.exp(e)
    s = e1 + e2 + e3
    r = np.log(s) + top - log_loss
    psi = np.clip(r, -delta, delta)  # the Huber derivative
    f = (psi * (r - 0.5 * psi)).sum(axis=1)
    q = psi / s  # d LSE / d term_j = exp(term_j) / s, times the Huber derivative
    g = np.empty_like(u)
    g[:, 0] = (q * e1).sum(axis=1)
    g[:, 1] = (q * e2).sum(axis=1)
    g[:, 2] = (q * e3).sum(axis=1)
    g[:, 3] = -(q * e1 * x_n).sum(axis=1)
    g[:, 4] = -(q * e2 * x_d).sum(axis=1)
    return f, g


def approach3_objective(
    theta: Any,
    log_n: Any,
    log_d: Any,
    log_loss: Any,
    delta: float = 1e-3,
    reduction: str = "sum",
) -> tuple[float | np.ndarray, np.ndarray]:
    """The paper's Approach 3 objective (Eq. 11) and its analytic gradient.

    Parameters
    ----------
    theta : ``(a, b, e, alpha, beta)`` with ``a = log A``, ``b = log B``, ``e = log E``; shape
        ``(5,)``, or ``(K, 5)`` to evaluate ``K`` points at once (each row is computed as if
        alone).
    log_n, log_d, log_loss : natural logs of parameters, training tokens and final loss (nats)
        of each run, 1-d arrays of equal length.
    delta : Huber threshold on the log-loss residual (the paper: 1e-3).
    reduction : ``"sum"`` over runs (the paper) or ``"mean"``.

    Returns
    -------
    ``(value, gradient)``: a float and a ``(5,)`` array, or ``(K,)`` and ``(K, 5)`` arrays.
    """
    t = as_finite("theta", theta)
    if t.shape != (5,) and (t.ndim != 2 or t.shape[1] != 5):
        raise ValueError(f"theta must have shape (5,) or (K, 5), got {t.shape}")
    x_n = as_finite("log_n", log_n)
    x_d = as_finite("log_d", log_d)
    y = as_finite("log_loss", log_loss)
    check_same_shape(log_n=x_n, log_d=x_d, log_loss=y)
    if x_n.ndim != 1 or x_n.size == 0:
        raise ValueError(f"log_n, log_d and log_loss must be non-empty 1-d arrays, got {x_n.shape}")
    check_choice("reduction", reduction, REDUCTIONS)
    d = check_delta(delta)
    f, g = objective_rows(np.atleast_2d(t).astype(float), x_n, x_d, y, d)
    if reduction == "mean":
        f, g = f / x_n.size, g / x_n.size
    if t.ndim == 1:
        return float(f[0]), g[0]
    return f, g
