"""The published scaling laws by name, and a law fitted to your own runs.

One place that turns a name into a law object, so the planning functions, the ``chinchilla``
command line and the planning chapter agree on what "the paper's law" or "Epoch's refit"
means. Every law comes from a table in ``data/`` (nothing is typed here):

- ``paper``: Hoffmann et al. (2022), Approach 3, the unrounded constants of the paper's TeX
  source (``approach3_constants.csv``, ``tex_unrounded``);
- ``paper-rounded``: the same, as printed in Eq. 10 (``published_rounded``);
- ``epoch``: Besiroglu et al. (2024)'s refit on the points extracted from Figure 4
  (``besiroglu2024_refit``);
- ``sardana``: the constants Sardana et al. (2024)'s scripts use (``sardana2024_defaults``);
- ``muennighoff-c4``: Muennighoff et al. (2023)'s single-epoch C4 fit (Appendix B,
  ``muennighoff2023_constants.csv``);
- ``approach1``, ``approach2``: the paper's power-law frontiers, Table 2's exponent through
  the Gopher-size row of Table 3 (Approach 1) or Table A3 (Approach 2);
- ``kaplan``: Kaplan et al. (2020)'s frontier (:meth:`~chinchilla_utils.laws.PowerLawFrontier.kaplan2020`).

The first five are :class:`~chinchilla_utils.laws.ParametricLoss` (they predict a loss); the
frontiers give only ``N_opt`` and ``D_opt``. :func:`law_from_runs` fits Approach 3 to a table
of your runs (columns ``n_params``, ``n_tokens``, ``loss``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_choice
from ..datasets.paper import approach3_constants, table2_exponents, table3_approach1, table_a3
from ..fitting.approach3 import Approach3Result, fit_approach3
from ..laws import ParametricLoss, PowerLawFrontier

__all__ = ["LAW_NAMES", "law_from_runs", "named_law"]

#: Accepted names and what each is.
LAW_NAMES: dict[str, str] = {
    "paper": "Hoffmann et al. 2022, Approach 3 (unrounded TeX constants)",
    "paper-rounded": "Hoffmann et al. 2022, Approach 3 (Eq. 10 as printed)",
    "epoch": "Besiroglu et al. 2024, refit of Approach 3 (Epoch AI)",
    "sardana": "Sardana et al. 2024, the constants of their scripts",
    "muennighoff-c4": "Muennighoff et al. 2023, single-epoch fit on C4 (Appendix B)",
    "approach1": "Hoffmann et al. 2022, Approach 1 frontier (Table 2 exponent, Table 3 row)",
    "approach2": "Hoffmann et al. 2022, Approach 2 frontier (Table 2 exponent, Table A3 row)",
    "kaplan": "Kaplan et al. 2020 frontier",
}

_CONSTANT_VARIANTS = {
    "paper": "tex_unrounded",
    "paper-rounded": "published_rounded",
    "epoch": "besiroglu2024_refit",
    "sardana": "sardana2024_defaults",
}

# Table 3 and Table A3 rows of this size anchor the paper's Approach 1 and 2 frontiers
# (the Gopher budget's optimum, as the chapter comparing the approaches does).
_ANCHOR_PARAMS = 6.7e10


def _constants_law(variant: str, name: str) -> ParametricLoss:
    rows = approach3_constants().set_index("variant")
    if variant not in rows.index:
        raise ValueError(
            f"data/approach3_constants.csv has no {variant!r} row for law {name!r}; "
            f"it has {list(rows.index)}"
        )
    r = rows.loc[variant]
    return ParametricLoss(E=r["E"], A=r["A"], B=r["B"], alpha=r["alpha"], beta=r["beta"])


def _paper_frontier(approach: str) -> PowerLawFrontier:
    exponent = float(table2_exponents().set_index("approach").loc[approach, "a"])
    if approach == "approach_1":
        rows, label = table3_approach1(), "Approach 1 (paper, Table 3)"
    else:
        a3 = table_a3()
        rows, label = a3[a3["approach"] == approach], "Approach 2 (paper, Table A3)"
    anchor = rows[np.isclose(rows["params"], _ANCHOR_PARAMS)]
    if len(anchor) != 1:
        raise ValueError(f"expected one {_ANCHOR_PARAMS:.3g}-parameter row for {approach}")
    return PowerLawFrontier.from_anchor(
        float(anchor["params"].iloc[0]), float(anchor["flops"].iloc[0]), exponent, name=label
    )


def named_law(name: str) -> ParametricLoss | PowerLawFrontier:
    """The law called ``name`` (a key of :data:`LAW_NAMES`)."""
    check_choice("law", name, LAW_NAMES)
    if name in _CONSTANT_VARIANTS:
        return _constants_law(_CONSTANT_VARIANTS[name], name)
    if name == "muennighoff-c4":
        from .data_constrained import DataConstrainedLaw

        return DataConstrainedLaw.muennighoff2023().base
    if name == "kaplan":
        return PowerLawFrontier.kaplan2020()
    return _paper_frontier("approach_1" if name == "approach1" else "approach_2")


def law_from_runs(runs: Any, **fit_options: Any) -> Approach3Result:
    """Fit Approach 3 to your own runs.

    Parameters
    ----------
    runs : a DataFrame, or the path of a CSV, with one row per training run and the columns
        ``RUN_COLUMNS`` of :mod:`chinchilla_utils.fitting.approach3`: ``n_params`` (parameters),
        ``n_tokens`` (training tokens) and ``loss`` (final loss, nats); other columns are
        ignored.
    **fit_options : passed to :func:`~chinchilla_utils.fitting.approach3.fit_approach3`
        (e.g. ``grid`` for fewer starts).

    Returns
    -------
    The :class:`~chinchilla_utils.fitting.approach3.Approach3Result`; ``.law`` is the law.

    Raises
    ------
    ValueError : an unreadable file, missing columns, too few runs or invalid values.
    FitError : the fit itself failed on valid runs.
    """
    if isinstance(runs, pd.DataFrame):
        return fit_approach3(runs, **fit_options)
    try:
        frame = pd.read_csv(runs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"runs file {str(runs)!r} is not a readable CSV: {err}") from err
    return fit_approach3(frame, **fit_options)
