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


def as_finite(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float array, rejecting NaN and infinities."""
    try:
        arr = np.asarray(value, dtype=float)
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
