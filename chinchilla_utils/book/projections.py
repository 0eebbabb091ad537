"""Tables 3 and A3 regenerated: the budget and tokens at which a given size is optimal. Chapter 2.

Table 3 of the paper (and Table A3 for Approaches 2 and 3) inverts a compute-optimal frontier:
for each model size ``N`` it prints the budget ``C`` at which ``N`` is optimal, that budget in
"Gopher units" (multiples of the Gopher budget, 5.76e23 FLOPs) and the tokens ``D = C/(6N)``.
:func:`projection_table` recomputes those columns from any frontier and sets them beside the
printed ones; :func:`section34_comparison` sets the numbers quoted in the paper's Section 3.4
text beside the table's own rows (they disagree: reference README item 3).

Units: ``params`` parameters, ``flops`` FLOPs, ``tokens`` tokens; relative differences are
fractions (``book / paper - 1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive, check_frame
from chinchilla_utils.constants import GOPHER_FLOPS

__all__ = [
    "PROJECTION_COLUMNS",
    "SECTION34_COLUMNS",
    "projection_table",
    "section34_comparison",
]


PROJECTION_COLUMNS = (
    "params",
    "flops_paper",
    "flops_book",
    "flops_rel_diff",
    "gopher_units_paper",
    "gopher_units_book",
    "tokens_paper",
    "tokens_book",
    "tokens_rel_diff",
    "tokens_6nd_paper",
    "tokens_6nd_rel_diff",
)

#: Columns of :func:`section34_comparison`'s table.
SECTION34_COLUMNS = (
    "params",
    "claim",
    "flops_text",
    "flops_table",
    "flops_text_vs_table",
    "tokens_text",
    "tokens_table",
    "tokens_text_vs_table",
    "gopher_units_text",
    "gopher_units_of_text_flops",
    "gopher_units_table",
)


def projection_table(
    frontier: Any, printed: pd.DataFrame, gopher_flops: float = GOPHER_FLOPS
) -> pd.DataFrame:
    """A printed projection table (Table 3 or a Table A3 column) regenerated from a frontier.

    Parameters
    ----------
    frontier : any law with ``flops_for_n_opt(n_params)`` (a
        :class:`~chinchilla_utils.laws.PowerLawFrontier` or
        :class:`~chinchilla_utils.laws.ParametricLoss`).
    printed : the printed rows: ``params`` (parameters), ``flops`` (FLOPs), ``tokens``;
        optional ``flops_gopher_units`` (else computed from ``flops``).
    gopher_flops : the Gopher unit in FLOPs (> 0).

    Returns
    -------
    One row per printed row, columns :data:`PROJECTION_COLUMNS`: the printed and regenerated
    budget (FLOPs and Gopher units) and tokens, their relative differences, and
    ``tokens_6nd_paper = flops_paper / (6 params)``, the tokens the printed FLOPs imply (its
    difference from the printed tokens shows their rounding, reference README item 11).
    """
    table = check_frame("printed", printed, ("params", "flops", "tokens"))
    if not hasattr(frontier, "flops_for_n_opt"):
        raise ValueError(f"frontier must have a flops_for_n_opt method, got {frontier!r}")
    unit = float(as_positive("gopher_flops", gopher_flops))
    params = as_positive("params", table["params"].to_numpy(dtype=float))
    flops_paper = as_positive("flops", table["flops"].to_numpy(dtype=float))
    tokens_paper = as_positive("tokens", table["tokens"].to_numpy(dtype=float))
    flops_book = np.asarray(frontier.flops_for_n_opt(params), dtype=float).reshape(params.shape)
    tokens_book = flops_book / (6.0 * params)
    tokens_6nd = flops_paper / (6.0 * params)
    if "flops_gopher_units" in table.columns:
        units_paper = table["flops_gopher_units"].to_numpy(dtype=float)
    else:
        units_paper = flops_paper / unit
    return pd.DataFrame(
        {
            "params": params,
            "flops_paper": flops_paper,
            "flops_book": flops_book,
            "flops_rel_diff": flops_book / flops_paper - 1.0,
            "gopher_units_paper": units_paper,
            "gopher_units_book": flops_book / unit,
            "tokens_paper": tokens_paper,
            "tokens_book": tokens_book,
            "tokens_rel_diff": tokens_book / tokens_paper - 1.0,
            "tokens_6nd_paper": tokens_6nd,
            "tokens_6nd_rel_diff": tokens_6nd / tokens_paper - 1.0,
        }
    )[list(PROJECTION_COLUMNS)]


def section34_comparison(
    claims: pd.DataFrame, table: pd.DataFrame, gopher_flops: float = GOPHER_FLOPS
) -> pd.DataFrame:
    """The Section 3.4 text's numbers beside Table 3's rows for the same model sizes.

    Parameters
    ----------
    claims : ``load_table("section34_text_claims")``: ``params``, ``flops``, ``tokens``,
        ``gopher_units`` (NaN where the text gives none), ``claim``.
    table : Table 3 (``table3_approach1()``): ``params``, ``flops``, ``tokens``,
        ``flops_gopher_units``.
    gopher_flops : the Gopher unit in FLOPs.

    Returns
    -------
    One row per claim, columns :data:`SECTION34_COLUMNS`; ``*_text_vs_table`` are relative
    differences (``text / table - 1``), ``gopher_units_of_text_flops`` the text's own FLOPs in
    Gopher units (to set beside the text's "over 250x").
    """
    claims = check_frame("claims", claims, ("params", "flops", "tokens", "gopher_units", "claim"))
    table = check_frame("table", table, ("params", "flops", "tokens", "flops_gopher_units"))
    unit = float(as_positive("gopher_flops", gopher_flops))
    by_size = table.set_index("params")
    missing = sorted(set(claims["params"]) - set(by_size.index))
    if missing:
        raise ValueError(f"the table has no row for size(s) {missing} named in the claims")
    rows = []
    for _, claim in claims.iterrows():
        row = by_size.loc[claim["params"]]
        rows.append(
            {
                "params": float(claim["params"]),
                "claim": claim["claim"],
                "flops_text": float(claim["flops"]),
                "flops_table": float(row["flops"]),
                "flops_text_vs_table": float(claim["flops"]) / float(row["flops"]) - 1.0,
                "tokens_text": float(claim["tokens"]),
                "tokens_table": float(row["tokens"]),
                "tokens_text_vs_table": float(claim["tokens"]) / float(row["tokens"]) - 1.0,
                "gopher_units_text": float(claim["gopher_units"]),
                "gopher_units_of_text_flops": float(claim["flops"]) / unit,
                "gopher_units_table": float(row["flops_gopher_units"]),
            }
        )
    return pd.DataFrame(rows, columns=list(SECTION34_COLUMNS))
