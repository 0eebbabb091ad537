"""Input checks shared by every public function.

Each check raises a :class:`ValueError` that names the argument, shows the offending
value and says what would be accepted, so a reader's typo is caught at the call that
made it rather than three functions later as a NaN.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def _describe(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(value)
    return f"array of shape {arr.shape}"


def _is_boolean(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and np.dtype(dtype) == np.bool_


def as_finite(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float array, rejecting NaN, infinities and booleans.

    Raises
    ------
    TypeError
        For booleans (``True`` is not a size of one parameter).
    ValueError
        For anything that is not a finite number, including integers too large for a float.
    """
    if _is_boolean(value):
        raise TypeError(
            f"{name} must be numeric, got a boolean {_describe(value)}; pass numbers "
            "(a flag column is not a size, a count or a budget)"
        )
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError as exc:  # a Python int beyond float range, e.g. 10**400
        raise ValueError(
            f"{name} must be finite, got an integer too large for a float (above 1.8e308) in "
            f"{'an array' if np.ndim(value) else 'a scalar'}; pass values within float range"
        ) from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)] if arr.ndim else arr
        raise ValueError(
            f"{name} must be finite, got {_describe(value)} containing {np.ravel(bad)[:3]}; "
            "drop or repair the non-finite entries before calling"
        )
    return arr


def as_positive(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float array of finite, strictly positive numbers."""
    arr = as_finite(name, value)
    if np.any(arr <= 0):
        bad = arr[arr <= 0] if arr.ndim else arr
        raise ValueError(
            f"{name} must be strictly positive, got {_describe(value)} containing "
            f"{np.ravel(bad)[:3]}; sizes, token counts, FLOP budgets and losses are all > 0"
        )
    return arr


def as_scalar_or_array(arr: np.ndarray) -> float | np.ndarray:
    """Give back a plain ``float`` for 0-d input, an array otherwise."""
    return float(arr) if np.ndim(arr) == 0 else arr


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Reject ``value`` unless it is one of ``choices``; suggest the closest spelling."""
    choices = list(choices)
    if value in choices:
        return value
    import difflib

    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown {name} {value!r}{hint}; choose one of {choices}")


def check_same_shape(**arrays: np.ndarray) -> None:
    """Reject arrays whose shapes differ, naming each argument and its shape."""
    shapes = {k: np.shape(v) for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{k} {s}" for k, s in shapes.items())
        raise ValueError(f"arguments must have the same shape, got {listed}")


def check_min_length(name: str, arr: np.ndarray, minimum: int) -> None:
    """Reject 1-d inputs with fewer than ``minimum`` entries."""
    if np.size(arr) < minimum:
        raise ValueError(f"{name} needs at least {minimum} values, got {np.size(arr)}")


def check_frame(name: str, frame: Any, required: Iterable[str]) -> Any:
    """Reject anything but a non-empty pandas DataFrame holding the ``required`` columns.

    Returns ``frame`` unchanged, so a caller can check and use it in one expression.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")
    if len(frame) == 0:
        raise ValueError(f"{name} has no rows")
    return frame


def as_scalar(name: str, value: Any, positive: bool = False) -> float:
    """Return ``value`` as one finite float (strictly positive when ``positive``).

    Raises
    ------
    TypeError
        For booleans.
    ValueError
        For arrays (naming their shape), non-numeric or non-finite values, and non-positive
        ones when ``positive``.
    """
    arr = as_positive(name, value) if positive else as_finite(name, value)
    if arr.ndim != 0:
        raise ValueError(
            f"{name} must be a scalar, got {_describe(value)}; pass one number (a law or a "
            "frontier has one value per constant: build one object per set of constants)"
        )
    return float(arr)


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as a Python ``int`` of at least ``minimum``.

    Raises
    ------
    TypeError
        Unless ``value`` is an integer (``int`` or a numpy integer; not a bool, a float such as
        ``100.0`` or a string such as ``"100"``).
    ValueError
        If it is below ``minimum``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer, got {value!r} ({type(value).__name__}); "
            f"pass a whole number such as {max(minimum, 100) if minimum <= 100 else minimum}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def _object_series(values: Any, index: Any) -> Any:
    """``values`` as a 1-d object Series (entries untouched), labelled by ``index``."""
    import pandas as pd

    if isinstance(values, pd.Series):
        series = values.astype(object)
        return series if index is None else series.set_axis(index)
    return pd.Series(list(np.ravel(np.asarray(values, dtype=object))), index=index, dtype=object)


def _first_bad_row(index: Any, bad: np.ndarray) -> Any:
    return index[int(np.flatnonzero(bad)[0])]


def as_numeric_column(name: str, values: Any, index: Any = None) -> np.ndarray:
    """A column of numbers as floats, missing entries (``None``, NaN) as NaN.

    Unlike ``pandas.to_numeric(errors="coerce")``, an entry that is present but not a number
    (``"1e20 FLOPs"``, ``"n/a"``) is an error naming its row, not a NaN that drops the row
    silently. ``index`` labels the rows in messages (default: positions).
    """
    import pandas as pd

    series = _object_series(values, index)
    parsed = pd.to_numeric(series, errors="coerce")
    missing = series.isna().to_numpy()
    unparsed = parsed.isna().to_numpy() & ~missing
    is_bool = np.array([isinstance(v, (bool, np.bool_)) for v in series], dtype=bool)
    bad = unparsed | is_bool
    if bad.any():
        row = _first_bad_row(series.index, bad)
        raise ValueError(
            f"{name} must hold numbers, but row {row} holds {series[row]!r} "
            f"({int(bad.sum())} such row(s)); repair or drop those rows (a missing value is "
            "written as NaN or left empty)"
        )
    return parsed.to_numpy(dtype=float)


def as_flag_column(name: str, values: Any, index: Any = None) -> np.ndarray:
    """A column of flags as booleans: ``True``/``False``, 0/1, missing entries as ``False``.

    Strings are refused (``bool("False")`` is True, so a column of the text ``"False"`` would
    flag every row); the message names the first bad row. ``index`` labels the rows.
    """
    series = _object_series(values, index)
    missing = series.isna().to_numpy()
    ok = np.array(
        [
            isinstance(v, (bool, np.bool_))
            or (isinstance(v, (int, np.integer, float, np.floating)) and v in (0, 1))
            for v in series
        ],
        dtype=bool,
    )
    bad = ~ok & ~missing
    if bad.any():
        row = _first_bad_row(series.index, bad)
        raise ValueError(
            f"{name} must hold flags, but row {row} holds {series[row]!r} ({int(bad.sum())} "
            "such row(s)); a flag is True or False (or 1 or 0; empty for not flagged): convert "
            f'the column first, e.g. column.map({{"True": True, "False": False}})'
        )
    return np.where(missing, False, series.to_numpy()).astype(bool)


def check_exact_groups(name: str, values: np.ndarray, rtol: float = 1e-6) -> None:
    """Refuse distinct values closer than ``rtol`` (relative): they look like one group.

    Callers that group rows on exact equality (the IsoFLOP budgets of Approach 2) call this,
    so values jittered by round-off (1e20 and 1.0000000000001e20) are not silently split into
    separate groups.
    """
    distinct = np.unique(np.asarray(values, dtype=float)[np.isfinite(values)])
    if distinct.size < 2:
        return
    gaps = np.diff(distinct) / np.abs(distinct[1:])
    if np.any(gaps < rtol):
        i = int(np.argmin(gaps))
        close = int(np.sum(gaps < rtol))
        raise ValueError(
            f"{name} values {distinct[i]!r} and {distinct[i + 1]!r} differ by only "
            f"{gaps[i]:.1e} (relative; {close} such pair(s)): rows are grouped by exact value "
            f"of {name}, so these would form separate groups; round {name} to the nominal "
            "values first (e.g. assign each run to the budget it was planned at)"
        )
