"""Synthetic data drawn from a known loss law, for recovery tests and exercises.

Used by the tests of Approaches 1 and 2 and by the exercises of Chapter 2 (training curves)
and Chapter 3 (iso-FLOP points): data generated from a law with known ``a`` and ``b`` show
what each approach recovers, and how noise and the choice of sizes move it. Training compute
is ``C = 6 N D`` throughout.

``law`` is any object with ``loss(n_params, n_tokens)`` (nats), such as
:class:`chinchilla_utils.laws.ParametricLoss`; :func:`synthetic_isoflop_points` also uses its
``n_opt(flops)`` when present to centre each budget's sizes on the optimum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from chinchilla_utils._validation import as_finite, as_positive

__all__ = ["synthetic_isoflop_points", "synthetic_training_curves"]


def _loss_noise(rng: np.random.Generator | None, noise: float, size: int) -> np.ndarray:
    """Multiplicative log-normal noise factors ``exp(noise * z)`` (noise in nats of log loss)."""
    noise = float(as_finite("noise", noise))
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if noise == 0:
        return np.ones(size)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator when noise > 0, got {type(rng).__name__}; "
            "pass numpy.random.default_rng(seed)"
        )
    return np.exp(noise * rng.standard_normal(size))


def _n_opt(law: Any, flops: float) -> float:
    """Loss-minimising size at ``flops`` (parameters): the law's closed form, else numerical."""
    if hasattr(law, "n_opt"):
        return float(law.n_opt(flops))

    def objective(log_n: float) -> float:
        n = np.exp(log_n)
        return float(law.loss(n, flops / (6 * n)))

    # Search every size from 1 parameter to C/6 (a single token).
    upper = np.log(flops / 6)
    res = minimize_scalar(objective, bounds=(0.0, upper), method="bounded")
    return float(np.exp(res.x))


def synthetic_training_curves(
    law: Any,
    n_params_list: np.ndarray,
    flops_max: float | np.ndarray,
    n_points_per_run: int = 100,
    flops_min: float | np.ndarray | None = None,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Training curves, one run per model size, whose loss follows ``law`` along each run.

    Each run's loss at ``D`` tokens is ``law.loss(N, D)``: the idealised case in which every
    logged point is as good as a run whose cosine schedule was matched to that length (the
    paper's Approach 1 approximates this by training each size for several horizons).

    Parameters
    ----------
    law : object with ``loss(n_params, n_tokens)`` in nats.
    n_params_list : model sizes, one run each (parameters).
    flops_max : last logged training compute of every run (FLOPs), scalar or one per run.
    n_points_per_run : logged points per run, log-spaced in FLOPs.
    flops_min : first logged compute (FLOPs), scalar or one per run; default ``flops_max / 1e4``.
    noise : standard deviation of multiplicative log-normal noise on the loss (0 = exact).
    rng : seeded generator, required when ``noise > 0``.

    Returns
    -------
    Long DataFrame: ``run_id``, ``n_params``, ``n_tokens``, ``flops`` (= 6 N D), ``loss``.
    """
    sizes = np.ravel(as_positive("n_params_list", n_params_list))
    hi = np.broadcast_to(as_positive("flops_max", flops_max), sizes.shape).astype(float)
    lo = hi / 1e4 if flops_min is None else as_positive("flops_min", flops_min)
    lo = np.broadcast_to(lo, sizes.shape).astype(float)
    if np.any(lo >= hi):
        raise ValueError(f"flops_min must be below flops_max for every run, got {lo} and {hi}")
    if int(n_points_per_run) < 2:
        raise ValueError(f"n_points_per_run must be at least 2, got {n_points_per_run!r}")
    frames = []
    for i, n in enumerate(sizes):
        flops = np.logspace(np.log10(lo[i]), np.log10(hi[i]), int(n_points_per_run))
        tokens = flops / (6 * n)
        frames.append(
            pd.DataFrame(
                {
                    "run_id": f"run{i:03d}",
                    "n_params": n,
                    "n_tokens": tokens,
                    "flops": flops,
                    "loss": np.asarray(law.loss(n, tokens), dtype=float),
                }
            )
        )
    curves = pd.concat(frames, ignore_index=True)
    curves["loss"] *= _loss_noise(rng, noise, len(curves))
    return curves


def synthetic_isoflop_points(
    law: Any,
    budgets: np.ndarray,
    n_per_budget: int = 9,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
    half_width_dex: float = 0.6,
    centre_offset_dex: float | np.ndarray = 0.0,
) -> pd.DataFrame:
    """Iso-FLOP points: at each budget, sizes log-spaced around the law's optimum.

    Parameters
    ----------
    law : object with ``loss(n_params, n_tokens)`` (nats), and ideally ``n_opt(flops)``.
    budgets : training budgets (FLOPs).
    n_per_budget : model sizes per budget.
    noise : standard deviation of multiplicative log-normal noise on the loss (0 = exact).
    rng : seeded generator, required when ``noise > 0``.
    half_width_dex : sizes span ``N_opt * 10^[-w, +w]`` (orders of magnitude each side).
    centre_offset_dex : shift of the size grid's centre from ``N_opt`` (dex; scalar or one per
        budget); a shift beyond ``half_width_dex`` puts the optimum outside the sampled sizes.

    Returns
    -------
    DataFrame ``budget``, ``n_params``, ``n_tokens`` (= C / 6N), ``flops`` (= budget), ``loss``.
    """
    budgets = np.ravel(as_positive("budgets", budgets))
    if int(n_per_budget) < 1:
        raise ValueError(f"n_per_budget must be at least 1, got {n_per_budget!r}")
    width = float(as_positive("half_width_dex", half_width_dex))
    offsets = np.broadcast_to(as_finite("centre_offset_dex", centre_offset_dex), budgets.shape)
    frames = []
    for budget, offset in zip(budgets, offsets, strict=True):
        centre = np.log10(_n_opt(law, budget)) + offset
        sizes = np.logspace(centre - width, centre + width, int(n_per_budget))
        tokens = budget / (6 * sizes)
        frames.append(
            pd.DataFrame(
                {
                    "budget": budget,
                    "n_params": sizes,
                    "n_tokens": tokens,
                    "flops": budget,
                    "loss": np.asarray(law.loss(sizes, tokens), dtype=float),
                }
            )
        )
    points = pd.concat(frames, ignore_index=True)
    points["loss"] *= _loss_noise(rng, noise, len(points))
    return points
