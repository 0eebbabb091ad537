"""Resampling schemes shared by the three approaches' bootstraps.

Two schemes: the ordinary bootstrap (draw as many items as there are, with replacement)
and the paper's variant (Section 3.1: fit on a random 80% subsample, 100 times). Both take
a seeded :class:`numpy.random.Generator`, so a seed fixes every draw.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import check_choice

RESAMPLING_METHODS = ("replacement", "subsample")


@dataclass(frozen=True)
class BootstrapResult:
    """Estimates from many resampled fits.

    Attributes
    ----------
    samples : one row per resample, one column per estimated quantity (NaN where that
        resample's fit failed; failures are counted, never dropped silently).
    summary : :func:`percentile_summary` of ``samples``.
    method : ``"replacement"`` or ``"subsample"``.
    n_resamples : number of resamples drawn.
    fraction : subsample fraction (only meaningful for ``"subsample"``).
    unit : what was resampled (``"runs"`` or ``"points"``).
    """

    samples: pd.DataFrame
    summary: pd.DataFrame
    method: str
    n_resamples: int
    fraction: float
    unit: str

    @classmethod
    def from_samples(
        cls, samples: pd.DataFrame, method: str, n_resamples: int, fraction: float, unit: str
    ) -> BootstrapResult:
        """Wrap a table of per-resample estimates, summarised by :func:`percentile_summary`."""
        return cls(
            samples=samples,
            summary=percentile_summary(samples),
            method=method,
            n_resamples=int(n_resamples),
            fraction=float(fraction),
            unit=unit,
        )

    def interval(self, quantity: str, low: float = 10, high: float = 90) -> tuple[float, float]:
        """The (low, high) percentiles of one quantity, ignoring failed resamples."""
        if quantity not in self.samples.columns:
            raise ValueError(
                f"unknown quantity {quantity!r}; choose one of {list(self.samples.columns)}"
            )
        values = self.samples[quantity].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        return float(np.percentile(values, low)), float(np.percentile(values, high))


def resample_indices(
    n_items: int,
    n_resamples: int,
    rng: np.random.Generator,
    method: str = "replacement",
    fraction: float = 0.8,
) -> np.ndarray:
    """Index arrays for ``n_resamples`` resamples of ``n_items`` items.

    Parameters
    ----------
    n_items : number of units to resample (runs, or points).
    n_resamples : number of resamples.
    rng : a seeded generator; the only source of randomness.
    method : ``"replacement"`` (classic bootstrap, ``n_items`` draws with replacement) or
        ``"subsample"`` (the paper's variant: ``round(fraction * n_items)`` draws without
        replacement).
    fraction : subsample fraction for ``method="subsample"``, in (0, 1].

    Returns
    -------
    Integer array of shape ``(n_resamples, k)``, one row of indices per resample.
    """
    check_choice("resampling method", method, RESAMPLING_METHODS)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}; "
            "pass numpy.random.default_rng(seed)"
        )
    if int(n_items) < 2:
        raise ValueError(f"n_items must be at least 2 to resample, got {n_items}")
    if int(n_resamples) < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    if method == "replacement":
        return rng.integers(0, n_items, size=(n_resamples, n_items))
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction!r}")
    k = max(2, int(round(fraction * n_items)))
    return np.stack([rng.choice(n_items, size=k, replace=False) for _ in range(n_resamples)])


def percentile_summary(
    samples: pd.DataFrame, percentiles: Sequence[float] = (10, 50, 90)
) -> pd.DataFrame:
    """Percentiles of each column of a table of bootstrap estimates.

    Rows are the quantities (columns of ``samples``), columns are ``p10``, ``p50``, ... ;
    NaN rows (failed resamples) are ignored and counted in ``n_failed``.
    """
    out = {}
    for column in samples.columns:
        values = pd.to_numeric(samples[column], errors="coerce").to_numpy(dtype=float)
        ok = values[np.isfinite(values)]
        row = {f"p{p:g}": (np.percentile(ok, p) if ok.size else np.nan) for p in percentiles}
        row["n_failed"] = int(values.size - ok.size)
        out[column] = row
    return pd.DataFrame.from_dict(out, orient="index")


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _in_widget_notebook() -> bool:
    """True in a Jupyter kernel where tqdm's notebook bar can draw (ipywidgets installed)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    try:  # without ipywidgets tqdm.auto warns and tqdm.notebook raises; stay silent instead
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def progress_iter(
    iterable: Iterable[Any], total: int, desc: str, progress: bool | None = None
) -> Iterator[Any]:
    """Wrap ``iterable`` in a tqdm bar when ``progress`` is True, or None and interactive.

    Interactive means a terminal, or a Jupyter kernel with ipywidgets; batch runs (pytest,
    papermill builds without widgets, CI logs) get no bar. Shared by the bootstraps of all
    three approaches.
    """
    widget = _in_widget_notebook()
    show = (_stderr_is_tty() or widget) if progress is None else bool(progress)
    if not show:
        return iter(iterable)
    if widget:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return iter(tqdm(iterable, total=total, desc=desc))
