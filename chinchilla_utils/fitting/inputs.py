"""The one input shape the three approaches share: a tidy table of runs, or arrays.

Every fit and bootstrap takes ``data``, a :class:`pandas.DataFrame` with one row per run (or per
logged point of a training curve), and says by keyword where each quantity comes from, in the
style of seaborn's ``data=`` argument: the **name of a column** of ``data`` (the defaults are
the canonical names below, so a table that uses them needs no keywords), or **the values
themselves** (an array with one entry per row; then ``data`` may be None).

Canonical columns and units (:data:`RUN_COLUMNS`):

- ``n_params``: model size (parameters);
- ``n_tokens``: training tokens seen (tokens);
- ``flops``: training compute (FLOPs; ``6 * n_params * n_tokens`` where a table has none);
- ``loss``: final (or logged) training loss (nats);
- ``budget``: the IsoFLOP budget a run was planned at (FLOPs; Approach 2 groups on it);
- ``run_id``: which run a logged point belongs to (Approach 1's curves).

So ``fit_approach2(runs)`` fits a table with ``budget``, ``n_params`` and ``loss`` columns;
``fit_approach2(points, budget="isoflop_budget")`` reads the budgets from another column;
``fit_approach2(budget=b, n_params=n, loss=l)`` fits three arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pandas as pd

__all__ = ["RUN_COLUMNS", "Column", "runs_table", "source_label"]

#: The canonical column names of a table of runs (see the module docstring for units).
RUN_COLUMNS = ("run_id", "budget", "n_params", "n_tokens", "flops", "loss")

#: Where a quantity comes from: a column name of ``data``, the values, or None (not given).
Column = Union[str, "np.ndarray", "pd.Series", list, None]


def _describe_source(spec: Any) -> str:
    return f"column {spec!r}" if isinstance(spec, str) else f"{len(spec)} values"


def runs_table(data: Any, columns: Mapping[str, Column], name: str = "data") -> pd.DataFrame:
    """Gather each quantity from its column of ``data`` or from the array given for it.

    Parameters
    ----------
    data : a DataFrame, one row per run (or logged point), or None when every quantity in
        ``columns`` is given as an array.
    columns : ``{quantity: spec}`` in output order, ``spec`` a column name of ``data``, an
        array-like of one value per row, or None (the quantity is left out).
    name : what ``data`` is called in messages.

    Returns
    -------
    DataFrame with one column per quantity whose spec is not None, named by the quantity,
    values as given (the fits check types and ranges); indexed like ``data`` (else 0..n-1),
    so messages can name a row by its label.

    Raises
    ------
    ValueError
        ``data`` that is not a DataFrame; a column name with no ``data``, or not in it; an
        array of another length than the others (or than ``data``), or not 1-d; no rows.
    """
    if data is not None and not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"{name} must be a pandas DataFrame (one row per run), or None with every quantity "
            f"given as an array; got {type(data).__name__}"
        )
    gathered: dict[str, Any] = {}
    for quantity, spec in columns.items():
        if spec is None:
            continue
        if isinstance(spec, str):
            if data is None:
                raise ValueError(
                    f"{quantity}={spec!r} names a column, but no {name} frame was given; pass "
                    f"{name}=<DataFrame>, or the values themselves as {quantity}=<array>"
                )
            if spec not in data.columns:
                raise ValueError(
                    f"{name} lacks column {spec!r} (for {quantity}); it has {list(data.columns)}; "
                    f"name the right column with {quantity}='<column>' or pass the values"
                )
            gathered[quantity] = data[spec].to_numpy()
            continue
        if isinstance(spec, pd.Series):
            values = spec.to_numpy()  # by position: a Series' own index is not aligned
        elif isinstance(spec, np.ndarray):
            values = spec
        else:  # a list: keep each entry as given (a list of text and numbers stays mixed)
            values = np.asarray(spec, dtype=object)
        if values.ndim != 1:
            raise ValueError(
                f"{quantity} must be one value per row (1-d), got an array of shape {values.shape}"
            )
        gathered[quantity] = values
    if not gathered:
        raise ValueError(f"no quantity given: pass {name}=<DataFrame> or arrays")
    lengths = {q: len(v) for q, v in gathered.items()}
    expected = len(data) if data is not None else next(iter(lengths.values()))
    wrong = {q: n for q, n in lengths.items() if n != expected}
    if wrong:
        sources = ", ".join(
            f"{q} ({_describe_source(columns[q])}): {n}" for q, n in lengths.items()
        )
        raise ValueError(
            f"every quantity needs one value per row ({expected} rows"
            f"{f' in {name}' if data is not None else ''}); got {sources}"
        )
    if expected == 0:
        raise ValueError(f"{name} has no rows")
    index = data.index if data is not None else pd.RangeIndex(expected)
    table = pd.DataFrame(gathered, index=index)
    # Object arrays from lists of numbers: back to numbers where every entry is one.
    return table.infer_objects()


def source_label(quantity: str, spec: Column) -> str:
    """How messages name a quantity: ``"budget"``, or ``"budget (column 'isoflop_budget')"``."""
    if isinstance(spec, str) and spec != quantity:
        return f"{quantity} (column {spec!r})"
    return quantity
