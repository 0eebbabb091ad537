"""Tables 3 and A3 regenerated: the budget and tokens at which a given size is optimal.

Introduced in the Approach 1 chapter (Table 3) and used again for Table A3 in the Approach 2
and 3 chapters and on the intro's status page. Table 3 of the paper (and Table A3 for
Approaches 2 and 3) inverts a compute-optimal frontier: for each model size ``N`` it prints the
budget ``C`` at which ``N`` is optimal, that budget in "Gopher units" (multiples of the Gopher
budget, 5.76e23 FLOPs) and the tokens ``D = C/(6N)``. :func:`projection_table` is the one
implementation: it recomputes those columns from any frontiers (a
:class:`~chinchilla_utils.laws.PowerLawFrontier`, a
:class:`~chinchilla_utils.laws.ParametricLoss`, or a fit's ``.frontier``) beside the printed
rows of any approach, in one column scheme (:data:`PROJECTION_COLUMNS`);
:func:`projection_max_rel_diff` summarises it. :func:`section34_comparison` sets the numbers
quoted in the paper's Section 3.4 text beside Table 3's own rows (they disagree; see
data/README.md).

Units: ``params`` parameters, ``flops`` FLOPs, ``tokens`` tokens; relative differences are
fractions (``book / paper - 1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive, as_scalar, check_choice, check_frame
from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets.paper import PROJECTION_APPROACHES, projection_rows

__all__ = [
    "PROJECTION_COLUMNS",
    "SECTION34_COLUMNS",
    "projection_max_rel_diff",
    "projection_table",
    "section34_comparison",
]


#: Columns of :func:`projection_table`: ``*_paper`` as printed, ``*_book`` from the law.
PROJECTION_COLUMNS = (
    "law",
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
    "flops_6nd_paper",
    "typo",
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


def _laws_by_label(laws: Any) -> Mapping[str, Any]:
    """``{label: law}`` from one law (labelled by its ``name``) or a mapping of them."""
    if not isinstance(laws, Mapping):
        laws = {str(getattr(laws, "name", "") or "law"): laws}
    if not laws:
        raise ValueError("laws must be a law or a non-empty dict of label -> law, got {}")
    for label, law in laws.items():
        law = getattr(law, "frontier", law)  # an Approach1Result or Approach2Result
        if not hasattr(law, "flops_for_n_opt"):
            raise ValueError(
                f"law {label!r} must have a flops_for_n_opt(n_params) method (a "
                f"PowerLawFrontier, a ParametricLoss or a fit's .frontier), got {law!r}"
            )
    return {str(label): getattr(law, "frontier", law) for label, law in laws.items()}


def projection_table(
    laws: Any, printed: str | pd.DataFrame = "approach_1", gopher_flops: float = GOPHER_FLOPS
) -> pd.DataFrame:
    """A printed projection table (Table 3, or a Table A3 column) regenerated from laws.

    For every printed model size ``N`` the law's compute-optimal budget is the ``C`` at which
    ``N_opt(C) = N`` (its ``flops_for_n_opt``) and its tokens ``C / (6 N)``.

    Parameters
    ----------
    laws : a law with ``flops_for_n_opt(n_params)`` (a
        :class:`~chinchilla_utils.laws.PowerLawFrontier`, a
        :class:`~chinchilla_utils.laws.ParametricLoss`, or a fit result with ``.frontier``),
        labelled by its ``name``; or ``{label: law}`` for several, in display order.
    printed : whose printed rows: an approach, ``"approach_1"`` (Table 3, default),
        ``"approach_2"`` or ``"approach_3"`` (Table A3's columns), as read by
        :func:`~chinchilla_utils.datasets.paper.projection_rows`; or a DataFrame of other rows
        (``params``, ``flops``, ``tokens``; optional ``flops_gopher_units`` and boolean
        ``typo``).
    gopher_flops : the Gopher unit in FLOPs (> 0).

    Returns
    -------
    Long DataFrame, one row per (law, printed size), columns :data:`PROJECTION_COLUMNS`: the
    printed (``*_paper``) and regenerated (``*_book``) budget in FLOPs and in Gopher units
    (``gopher_units_paper`` as printed in Table 3, else the printed FLOPs over
    ``gopher_flops``) and tokens; relative differences ``book / paper - 1``; the printed rows'
    own arithmetic, ``tokens_6nd_paper = flops_paper / (6 params)`` and
    ``flops_6nd_paper = 6 params tokens_paper`` (their gap from the printed values shows the
    rounding of the tokens, or a typo where it is a factor of 10); ``typo`` (the data file flags the row as
    misprinted: Table A3's Approach 3 175B row).
    """
    items = _laws_by_label(laws)
    if isinstance(printed, str):
        check_choice("approach", printed, PROJECTION_APPROACHES)
        printed = projection_rows(printed)
    table = check_frame("printed", printed, ("params", "flops", "tokens"))
    unit = as_scalar("gopher_flops", gopher_flops, positive=True)
    params = as_positive("params", table["params"].to_numpy(dtype=float))
    flops_paper = as_positive("flops", table["flops"].to_numpy(dtype=float))
    tokens_paper = as_positive("tokens", table["tokens"].to_numpy(dtype=float))
    units_paper = flops_paper / unit
    if "flops_gopher_units" in table.columns:
        printed_units = table["flops_gopher_units"].to_numpy(dtype=float)
        units_paper = np.where(np.isnan(printed_units), units_paper, printed_units)
    typo = table["typo"].to_numpy(dtype=bool) if "typo" in table.columns else False
    tokens_6nd = flops_paper / (6.0 * params)
    frames = []
    for label, law in items.items():
        flops_book = np.asarray(law.flops_for_n_opt(params), dtype=float).reshape(params.shape)
        tokens_book = flops_book / (6.0 * params)
        frames.append(
            pd.DataFrame(
                {
                    "law": label,
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
                    "flops_6nd_paper": 6.0 * params * tokens_paper,
                    "typo": typo,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(PROJECTION_COLUMNS)]


def projection_max_rel_diff(
    table: pd.DataFrame, quantity: str = "flops", skip_typo: bool = True
) -> pd.Series:
    """Largest ``|book / paper - 1|`` per law in a :func:`projection_table` table.

    Parameters
    ----------
    table : output of :func:`projection_table`.
    quantity : ``"flops"`` or ``"tokens"``.
    skip_typo : leave out rows flagged as typos (their printed FLOPs are off by 10x, which
        would swamp every other difference).

    Returns
    -------
    Series indexed by law label (in first-appearance order), relative differences as fractions.
    """
    check_choice("quantity", quantity, ("flops", "tokens"))
    check_frame("table", table, PROJECTION_COLUMNS)
    rows = table[~table["typo"].astype(bool)] if skip_typo else table
    diff = rows[f"{quantity}_rel_diff"].abs()
    out = diff.groupby(rows["law"], sort=False).max()
    out.name = f"max_rel_diff_{quantity}"
    return out


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
