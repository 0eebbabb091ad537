"""Approach 3 results as tables beside the paper's. Introduced in the Approach 3 chapter.

Two small jobs the Approach 3 chapter needs and the fitting module does not do:

* :func:`approach3_table`: fitted laws (or the paper's constants) with their frontier exponents,
  tokens per parameter at a budget and, for fits, the optimiser's diagnostics, one row each;
* :func:`law_objective`: score any law on a data set by the paper's objective (Eq. 11), so the
  paper's printed constants and a refit can be compared on the same points.

Table A3 (model size -> compute-optimal FLOPs and tokens) is regenerated, like Table 3, by
:func:`chinchilla_utils.book.projections.projection_table`.

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``flops`` in training FLOPs
(``C = 6 N D``), losses in nats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive
from chinchilla_utils.constants import CHINCHILLA_FLOPS
from chinchilla_utils.fitting.approach3 import Approach3Result, approach3_objective
from chinchilla_utils.laws import ParametricLoss

__all__ = [
    "APPROACH3_TABLE_COLUMNS",
    "approach3_table",
    "law_objective",
]

#: Columns of :func:`approach3_table`.
APPROACH3_TABLE_COLUMNS = (
    "E",
    "A",
    "B",
    "alpha",
    "beta",
    "a",
    "b",
    "tokens_per_param",
    "objective_sum",
    "converged",
    "n_starts",
    "n_starts_at_best",
    "on_grid_edge",
    "n_points",
)


def _law_of(entry: Any, label: str) -> ParametricLoss:
    if isinstance(entry, Approach3Result):
        return entry.law
    if isinstance(entry, ParametricLoss):
        return entry
    raise ValueError(
        f"entry {label!r} must be an Approach3Result or a ParametricLoss, got {type(entry).__name__}"
    )


def _check_entries(entries: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(entries, Mapping) or not entries:
        raise ValueError(f"{name} must be a non-empty dict of label -> law or fit, got {entries!r}")
    return entries


def approach3_table(entries: Mapping[str, Any], flops: float = CHINCHILLA_FLOPS) -> pd.DataFrame:
    """One row per fit or law: constants, frontier exponents and the fit's diagnostics.

    Parameters
    ----------
    entries : ``{label: Approach3Result or ParametricLoss}`` in display order.
    flops : budget (FLOPs) for the ``tokens_per_param`` column (default Chinchilla's 5.88e23).

    Returns
    -------
    DataFrame indexed by label with columns :data:`APPROACH3_TABLE_COLUMNS`. ``objective_sum``
    is the fit's objective expressed as the paper's *sum* of Huber terms (a ``"mean"`` fit's
    objective times its number of runs), so rows fitted on the same data compare directly;
    ``on_grid_edge`` is ``"none"`` or the comma-separated names of the estimates lying on the
    boundary of the starting grid. The diagnostic columns are missing (NaN / ``pd.NA``) for a
    bare :class:`~chinchilla_utils.laws.ParametricLoss`.
    """
    items = _check_entries(entries, "entries")
    budget = as_positive("flops", flops)
    if budget.ndim != 0:
        raise ValueError(f"flops must be a scalar budget, got {flops!r}")
    rows = {}
    for label, entry in items.items():
        law = _law_of(entry, label)
        row: dict[str, Any] = {
            **law.params(),
            "tokens_per_param": float(law.tokens_per_param(float(budget))),
            "objective_sum": np.nan,
            "converged": pd.NA,
            "n_starts": pd.NA,
            "n_starts_at_best": pd.NA,
            "on_grid_edge": pd.NA,
            "n_points": pd.NA,
        }
        if isinstance(entry, Approach3Result):
            scale = entry.n_points if entry.reduction == "mean" else 1
            row.update(
                objective_sum=float(entry.objective) * scale,
                converged=bool(entry.converged),
                n_starts=int(entry.n_starts),
                n_starts_at_best=int(entry.n_starts_at_best),
                on_grid_edge=", ".join(entry.on_grid_edge) or "none",
                n_points=int(entry.n_points),
            )
        rows[str(label)] = row
    return pd.DataFrame.from_dict(rows, orient="index")[list(APPROACH3_TABLE_COLUMNS)]


def law_objective(
    law: ParametricLoss,
    n_params: Any,
    n_tokens: Any,
    loss: Any,
    delta: float = 1e-3,
    reduction: str = "sum",
) -> float:
    """The paper's Approach 3 objective (Eq. 11) of ``law`` on a set of runs.

    Parameters
    ----------
    law : the law to score (e.g. :meth:`~chinchilla_utils.laws.ParametricLoss.paper_rounded`).
    n_params, n_tokens, loss : parameters, training tokens and final loss (nats) of each run.
    delta, reduction : as for :func:`~chinchilla_utils.fitting.approach3.approach3_objective`.

    Returns
    -------
    The objective: sum (or mean) over runs of the Huber loss of ``log L_hat - log L``. A fit
    that minimised the same objective on the same runs can only score lower or equal.
    """
    if not isinstance(law, ParametricLoss):
        raise ValueError(f"law must be a ParametricLoss, got {type(law).__name__}")
    n = as_positive("n_params", n_params)
    d = as_positive("n_tokens", n_tokens)
    el = as_positive("loss", loss)
    value, _ = approach3_objective(
        law.theta, np.log(n), np.log(d), np.log(el), delta=delta, reduction=reduction
    )
    return float(value)
