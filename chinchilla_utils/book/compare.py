"""Side-by-side comparison of compute-optimal frontiers. Introduced in Chapter 5.

The paper's three approaches, the book's refits and Kaplan et al. (2020) all answer the same
question: given a training budget of ``C`` FLOPs, how many parameters ``N_opt`` and how many
tokens ``D_opt`` (with ``C = 6 N D``)? This module puts their answers in one table
(:func:`optimal_allocation_table`) and sets the exponents ``a`` and ``b`` beside the printed
Table 2 (:func:`compare_exponents`), so the chapter only draws and narrates.

Any "law" here is an object with ``n_opt(flops)``, ``d_opt(flops)`` and properties ``a`` and
``b``: a :class:`~chinchilla_utils.laws.PowerLawFrontier` or a
:class:`~chinchilla_utils.laws.ParametricLoss`. Units: ``flops`` in training FLOPs,
``n_opt`` in parameters, ``d_opt`` in training tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_finite, as_positive

__all__ = [
    "ALLOCATION_COLUMNS",
    "EXPONENT_COLUMNS",
    "compare_exponents",
    "optimal_allocation_table",
]

#: Columns of :func:`optimal_allocation_table`.
ALLOCATION_COLUMNS = ("frontier", "flops", "a", "b", "n_opt", "d_opt", "tokens_per_param")
#: Columns of :func:`compare_exponents`.
EXPONENT_COLUMNS = (
    "a_paper",
    "a_p10",
    "a_p90",
    "b_paper",
    "b_p10",
    "b_p90",
    "a_book",
    "b_book",
    "a_diff",
    "b_diff",
    "a_book_in_interval",
    "b_book_in_interval",
    "a_paper_in_interval",
    "b_paper_in_interval",
)

_LAW_METHODS = ("n_opt", "d_opt", "a", "b")


def _check_frontiers(frontiers: Any) -> Mapping[str, Any]:
    if not isinstance(frontiers, Mapping) or not frontiers:
        raise ValueError(
            f"frontiers must be a non-empty dict of label -> law, got {type(frontiers).__name__}"
        )
    for label, law in frontiers.items():
        missing = [m for m in _LAW_METHODS if not hasattr(law, m)]
        if missing:
            raise ValueError(f"frontier {label!r} lacks {missing}: got {law!r}")
    return frontiers


def optimal_allocation_table(frontiers: Mapping[str, Any], flops: Any) -> pd.DataFrame:
    """Optimal size and data of every frontier at one or several budgets.

    Parameters
    ----------
    frontiers : ``{label: law}``; each law has ``n_opt(flops)``, ``d_opt(flops)``, ``a``, ``b``.
    flops : a budget or a 1-d array of budgets (FLOPs, > 0).

    Returns
    -------
    A long DataFrame, one row per (frontier, budget) in the order given, with columns
    :data:`ALLOCATION_COLUMNS`: ``frontier`` (label), ``flops`` (FLOPs), ``a``, ``b``
    (exponents of ``N_opt ∝ C^a``, ``D_opt ∝ C^b``), ``n_opt`` (parameters), ``d_opt``
    (tokens) and ``tokens_per_param`` (``d_opt / n_opt``).
    """
    laws = _check_frontiers(frontiers)
    budgets = as_positive("flops", flops)
    if budgets.ndim > 1:
        raise ValueError(f"flops must be a scalar or a 1-d array, got shape {budgets.shape}")
    budgets = np.atleast_1d(budgets).astype(float)
    tables = []
    for label, law in laws.items():
        n_opt = np.asarray(law.n_opt(budgets), dtype=float).reshape(budgets.shape)
        d_opt = np.asarray(law.d_opt(budgets), dtype=float).reshape(budgets.shape)
        tables.append(
            pd.DataFrame(
                {
                    "frontier": str(label),
                    "flops": budgets,
                    "a": float(law.a),
                    "b": float(law.b),
                    "n_opt": n_opt,
                    "d_opt": d_opt,
                    "tokens_per_param": d_opt / n_opt,
                }
            )
        )
    return pd.concat(tables, ignore_index=True)[list(ALLOCATION_COLUMNS)]


def _inside(value: float, low: float, high: float) -> object:
    """Whether ``value`` lies in ``[low, high]``; ``pd.NA`` when any of them is missing."""
    if not (np.isfinite(value) and np.isfinite(low) and np.isfinite(high)):
        return pd.NA
    return bool(low <= value <= high)


def compare_exponents(
    book: Mapping[str, Any], paper: pd.DataFrame | None = None, decimals: int | None = None
) -> pd.DataFrame:
    """Table 2 beside the book's own exponents, with differences and interval checks.

    Parameters
    ----------
    book : ``{approach: law or None}`` keyed like Table 2's ``approach`` column
        (``"approach_1"``, ``"approach_2"``, ``"approach_3"``, ``"kaplan_2020"``); a law gives
        ``a`` and ``b``; ``None`` (or a missing key) leaves the book columns empty for that row.
        Keys that are not in Table 2 raise :class:`ValueError`.
    paper : Table 2 as returned by :func:`chinchilla_utils.datasets.paper.table2_exponents`
        (default: loaded).
    decimals : round the book's exponents to this many decimals *before* differencing, as the
        paper prints two; ``None`` keeps full precision. The book columns always hold the
        unrounded values; only ``a_diff`` and ``b_diff`` use the rounding, so a difference of
        zero means "the same number as printed".

    Returns
    -------
    One row per Table 2 approach (index ``approach``), columns :data:`EXPONENT_COLUMNS`:
    the printed ``a``, ``b`` and 10th/90th percentiles, the book's ``a_book``, ``b_book``,
    ``a_diff = a_book - a_paper`` (likewise ``b``), whether the book's value lies in the
    printed 10-90% interval, and whether the *printed* point estimate lies in its own interval
    (it does not for Approach 1's ``b`` nor Approach 3's ``a``: data/README.md items 9 and 10).
    """
    if paper is None:
        from chinchilla_utils.datasets.paper import table2_exponents

        paper = table2_exponents()
    if not isinstance(paper, pd.DataFrame) or "approach" not in paper.columns:
        raise ValueError("paper must be Table 2 as a DataFrame with an 'approach' column")
    if not isinstance(book, Mapping):
        raise ValueError(f"book must be a dict of approach -> law, got {type(book).__name__}")
    approaches = list(paper["approach"])
    unknown = [k for k in book if k not in approaches]
    if unknown:
        raise ValueError(f"unknown approach(es) {unknown}; Table 2 has {approaches}")
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or decimals < 0
    ):
        raise ValueError(f"decimals must be a non-negative integer or None, got {decimals!r}")

    rows = []
    for _, row in paper.iterrows():
        law = book.get(row["approach"])
        if law is not None and not (hasattr(law, "a") and hasattr(law, "b")):
            raise ValueError(f"book[{row['approach']!r}] has no a and b: got {law!r}")
        a_book = float(as_finite("a", law.a)) if law is not None else np.nan
        b_book = float(as_finite("b", law.b)) if law is not None else np.nan
        shown_a = round(a_book, decimals) if decimals is not None else a_book
        shown_b = round(b_book, decimals) if decimals is not None else b_book
        rec = {"approach": row["approach"]}
        for q in ("a", "b"):
            rec[f"{q}_paper"] = float(row[q])
            rec[f"{q}_p10"] = float(row[f"{q}_p10"])
            rec[f"{q}_p90"] = float(row[f"{q}_p90"])
        rec.update(a_book=a_book, b_book=b_book)
        rec["a_diff"] = shown_a - rec["a_paper"]
        rec["b_diff"] = shown_b - rec["b_paper"]
        for q, value in (("a", a_book), ("b", b_book)):
            rec[f"{q}_book_in_interval"] = _inside(value, rec[f"{q}_p10"], rec[f"{q}_p90"])
            rec[f"{q}_paper_in_interval"] = _inside(
                rec[f"{q}_paper"], rec[f"{q}_p10"], rec[f"{q}_p90"]
            )
        rows.append(rec)
    return pd.DataFrame(rows).set_index("approach")[list(EXPONENT_COLUMNS)]
