"""The counting-conventions chapter's table: the three approaches rerun under each convention.

Book layer: :func:`exponents_by_convention` applies each
:class:`~chinchilla_utils.compute.conventions.CountingConvention` to a runs frame (and a curves
frame for Approach 1), fits the approaches with the library's own fitters
(``chinchilla_utils.fitting``), bootstraps each, and returns one tidy row per (convention,
approach).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_choice
from ..compute.conventions import apply_convention, get_convention
from ..fitting.approach1 import bootstrap_approach1, fit_approach1
from ..fitting.approach2 import bootstrap_approach2, fit_approach2
from ..fitting.approach3 import bootstrap_approach3, fit_approach3

__all__ = ["APPROACHES", "ConventionFits", "approach1_by_plan", "exponents_by_convention"]

#: The approaches :func:`exponents_by_convention` can fit.
APPROACHES: tuple[str, ...] = ("approach_1", "approach_2", "approach_3")
COLUMNS = (
    "convention",
    "approach",
    "a",
    "a_p10",
    "a_p90",
    "b",
    "b_p10",
    "b_p90",
    "n_fitted",
    "note",
)


@dataclass(frozen=True)
class ConventionFits:
    """Exponents by approach and convention.

    Attributes
    ----------
    table : one row per (convention, approach): ``a``, ``b`` and their bootstrap 10th and 90th
        percentiles, ``n_fitted`` (runs, or envelope points for Approach 1) and ``note`` (why a
        row is NaN, else ``""``).
    fits : the fit results keyed by ``(convention, approach)``.
    frames : the runs frame under each convention, keyed by convention name.
    """

    table: pd.DataFrame
    fits: dict[tuple[str, str], Any] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


def _row(name: str, approach: str, fit: Any, boot: Any, n_fitted: int) -> dict[str, Any]:
    a_lo, a_hi = boot.interval("a")
    b_lo, b_hi = boot.interval("b")
    return dict(
        zip(
            COLUMNS,
            (name, approach, fit.a, a_lo, a_hi, fit.b, b_lo, b_hi, n_fitted, ""),
            strict=True,
        )
    )


def exponents_by_convention(
    runs: pd.DataFrame,
    conventions: Sequence[str],
    *,
    curves: pd.DataFrame | None = None,
    approaches: Sequence[str] = APPROACHES,
    loss_col: str = "loss",
    budget_col: str = "budget",
    exclude_col: str | None = None,
    n_bootstrap: int = 100,
    seed: int = 0,
    grid: np.ndarray | None = None,
) -> ConventionFits:
    """Fit the approaches under each convention and bootstrap them.

    Parameters
    ----------
    runs : one row per run with ``n_params``, ``n_tokens``, ``loss_col`` (nats), the IsoFLOP
        ``budget_col`` and the count columns the conventions need.
    conventions : names (or objects) of the conventions, in table order.
    curves : logged training points with the count columns (Approach 1's input); needed only
        for ``"approach_1"``, which is fitted from the smallest budget (under each convention).
    approaches : any of :data:`APPROACHES`.
    exclude_col : boolean column of runs to leave out of Approaches 2 and 3 (e.g. ``outlier``).
    n_bootstrap, seed : resamples per fit and the seed of each bootstrap's generator.
    grid : Approach 3's starting points (default the paper's 4,500).

    Approach 3's closed-form frontier needs ``C ∝ N D``; under ``"appendix_f"`` its row is NaN
    with the reason in ``note``.
    """
    for approach in approaches:
        check_choice("approach", approach, APPROACHES)
    rows, fits, frames = [], {}, {}
    for convention in conventions:
        conv = get_convention(convention)
        frame = apply_convention(runs, conv)
        frames[conv.name] = frame
        keep = ~frame[exclude_col].astype(bool) if exclude_col else np.ones(len(frame), bool)
        for approach in approaches:
            rng = np.random.default_rng(seed)
            if approach == "approach_1":
                if curves is None:
                    raise ValueError("approach_1 needs curves (the logged training points)")
                flops_min = float(frame[budget_col].min())
                points = apply_convention(curves, conv)
                fit = fit_approach1(points, flops_min=flops_min)
                boot = bootstrap_approach1(
                    points, n_resamples=n_bootstrap, rng=rng, flops_min=flops_min
                )
                rows.append(_row(conv.name, approach, fit, boot, fit.n_envelope_points))
            elif approach == "approach_2":
                columns = {"budget": budget_col, "loss": loss_col, "exclude": exclude_col}
                fit = fit_approach2(frame, **columns)
                boot = bootstrap_approach2(frame, **columns, n_resamples=n_bootstrap, rng=rng)
                rows.append(_row(conv.name, approach, fit, boot, fit.n_points_used))
            elif not conv.closed_form_frontier:
                note = "C is not proportional to N D, so Eq. 4's frontier does not apply"
                rows.append(
                    dict(zip(COLUMNS, (conv.name, approach, *[np.nan] * 7, note), strict=True))
                )
                continue
            else:
                used = frame[keep]
                args = [used[c].to_numpy(float) for c in ("n_params", "n_tokens", loss_col)]
                fit = fit_approach3(*args, grid=grid)
                boot = bootstrap_approach3(*args, n_resamples=n_bootstrap, rng=rng, full_fit=fit)
                fit = fit.law
                rows.append(_row(conv.name, approach, fit, boot, len(used)))
            fits[(conv.name, approach)] = fit
    return ConventionFits(pd.DataFrame(rows, columns=list(COLUMNS)), fits, frames)


def approach1_by_plan(
    curves_by_plan: dict[str, pd.DataFrame],
    runs: pd.DataFrame,
    conventions: Sequence[str],
    *,
    n_bootstrap: int = 100,
    seed: int = 0,
    budget_col: str = "budget",
) -> ConventionFits:
    """Approach 1 on several sweep plans' curves, under each convention, over one FLOP window.

    The window is the range of ``runs[budget_col]`` (the book plan's budgets) counted under each
    convention, so plans are compared over the same compute. ``curves_by_plan`` maps a plan's
    name to its logged points with the count columns. The table has one row per (convention,
    plan) in the columns of :func:`exponents_by_convention` (``approach`` holds the plan) plus
    ``edge``: whether the smallest or largest size of the plan holds part of the fitted
    envelope. ``fits`` holds the :class:`~chinchilla_utils.fitting.approach1.Approach1Result`
    keyed by ``(convention, plan)``.
    """
    rows, fits = [], {}
    for convention in conventions:
        conv = get_convention(convention)
        budgets = apply_convention(runs, conv)[budget_col]
        window = {"flops_min": float(budgets.min()), "flops_max": float(budgets.max())}
        for plan, curves in curves_by_plan.items():
            points = apply_convention(curves, conv)
            fit = fit_approach1(points, **window)
            rng = np.random.default_rng(seed)
            boot = bootstrap_approach1(points, n_resamples=n_bootstrap, rng=rng, **window)
            row = _row(conv.name, plan, fit, boot, fit.n_envelope_points)
            row["edge"] = fit.smallest_run_on_envelope or fit.largest_run_on_envelope
            rows.append(row)
            fits[(conv.name, plan)] = fit
    return ConventionFits(pd.DataFrame(rows, columns=[*COLUMNS, "edge"]), fits)
