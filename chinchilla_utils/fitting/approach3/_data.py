"""The runs an Approach 3 function takes: a tidy frame, or three arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._validation import as_positive, check_frame, check_same_shape

#: Columns of the tidy input frame (one row per training run).
RUN_COLUMNS = ("n_params", "n_tokens", "loss")
#: Approach 3 fits 5 parameters.
MIN_RUNS = 5


def log_runs(runs: Any, n_tokens: Any = None, loss: Any = None) -> tuple[np.ndarray, ...]:
    """``(log N, log D, log L)`` of the runs, validated.

    ``runs`` is either a DataFrame with columns ``n_params`` (parameters), ``n_tokens``
    (training tokens) and ``loss`` (final loss, nats), one row per run (other columns are
    ignored), with ``n_tokens`` and ``loss`` left out; or the model sizes as a 1-d array, with
    ``n_tokens`` and ``loss`` the matching arrays.
    """
    if isinstance(runs, pd.DataFrame):
        if n_tokens is not None or loss is not None:
            raise TypeError(
                "pass either a DataFrame of runs (with columns n_params, n_tokens, loss) or "
                "the three arrays n_params, n_tokens, loss, not a DataFrame and arrays"
            )
        check_frame("runs", runs, RUN_COLUMNS)
        n_params, n_tokens, loss = (runs[c].to_numpy() for c in RUN_COLUMNS)
    else:
        if n_tokens is None or loss is None:
            missing = [name for name, v in (("n_tokens", n_tokens), ("loss", loss)) if v is None]
            raise TypeError(
                f"{' and '.join(missing)} missing: pass the three arrays n_params, n_tokens, "
                "loss, or one DataFrame with those columns"
            )
        n_params = runs
    n = as_positive("n_params", n_params)
    d = as_positive("n_tokens", n_tokens)
    el = as_positive("loss", loss)
    check_same_shape(n_params=n, n_tokens=d, loss=el)
    if n.ndim != 1:
        raise ValueError(f"n_params, n_tokens and loss must be 1-d arrays, got shape {n.shape}")
    if n.size < MIN_RUNS:
        raise ValueError(
            f"Approach 3 fits 5 parameters and needs at least {MIN_RUNS} runs, got {n.size}"
        )
    return np.log(n), np.log(d), np.log(el)
