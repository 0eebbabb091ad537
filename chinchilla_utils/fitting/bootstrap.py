"""Resampling schemes shared by the three approaches' bootstraps, and their common defaults.

Two schemes: the ordinary bootstrap (draw as many items as there are, with replacement)
and the paper's variant (Section 3.1 and the Table 2 caption: "80% of the dataset is sampled
100 times", i.e. fit on a random 80% subsample, 100 times). Every approach's bootstrap takes
the same arguments with the same defaults, defined here once:

- ``n_resamples`` = :data:`DEFAULT_N_RESAMPLES` (100, the paper's count);
- ``method`` = :data:`DEFAULT_METHOD` (``"subsample"``, the paper's variant);
- ``fraction`` = :data:`DEFAULT_FRACTION` (0.8, the paper's 80%);
- ``flops_for_ratio`` = :data:`~chinchilla_utils.constants.CHINCHILLA_FLOPS` (the budget at
  which ``n_opt`` and ``tokens_per_param`` are reported);
- ``rng``: a :class:`numpy.random.Generator` or an integer seed; None means the fixed seed
  :data:`DEFAULT_SEED`, so an unseeded call is still reproducible (:func:`as_generator`);
- ``progress`` = False (no bar unless asked; ``None`` shows one when interactive).

A resample whose fit fails, or that the approach's point fit would refuse (too few budgets,
an optimal size that does not grow with compute), is a failure: a row of NaN in
:attr:`BootstrapResult.samples` with its reason in :attr:`BootstrapResult.failure_reason`,
counted and never dropped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_finite, check_choice, check_count

from .errors import FitError

__all__ = [
    "DEFAULT_FRACTION",
    "DEFAULT_METHOD",
    "DEFAULT_N_RESAMPLES",
    "DEFAULT_SEED",
    "RESAMPLING_METHODS",
    "BootstrapResult",
    "as_generator",
    "check_fraction",
    "percentile_summary",
    "progress_iter",
    "resample_indices",
]

RESAMPLING_METHODS = ("replacement", "subsample")
#: Resamples per bootstrap (the paper: 100).
DEFAULT_N_RESAMPLES = 100
#: The paper's resampling scheme: a random ``fraction`` of the data without replacement.
DEFAULT_METHOD = "subsample"
#: The paper's subsample fraction (80%).
DEFAULT_FRACTION = 0.8
#: The seed used when ``rng`` is None (the same as Approach 3's bootstrap uses).
DEFAULT_SEED = 0
#: What ``failure_reason`` holds for a resample that succeeded.
NOT_FAILED = ""


def as_generator(rng: Any) -> np.random.Generator:
    """The generator a bootstrap draws from: ``rng`` itself, a seed, or the default seed.

    Parameters
    ----------
    rng : a :class:`numpy.random.Generator` (used as is, so its state advances), an integer
        seed (``numpy.random.default_rng(rng)``) or None (:data:`DEFAULT_SEED`).

    Raises
    ------
    TypeError
        For anything else (a float, a bool, a legacy ``RandomState``).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng as a seed must be >= 0, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, an integer seed or None (seed {DEFAULT_SEED}), "
        f"got {rng!r} ({type(rng).__name__}); pass numpy.random.default_rng(seed)"
    )


def check_fraction(fraction: Any) -> float:
    """The subsample fraction as a float in (0, 1], or a ValueError naming it."""
    value = as_finite("fraction", fraction)
    if value.ndim != 0 or not 0 < float(value) <= 1:
        raise ValueError(f"fraction must be one number in (0, 1], got {fraction!r}")
    return float(value)


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
    failure_reason : one entry per resample, aligned with ``samples``: ``""`` where the fit
        succeeded, else the short reason code of the failure (as in
        :class:`~chinchilla_utils.fitting.errors.FitError`, e.g. ``"no frontier"``).
    """

    samples: pd.DataFrame
    summary: pd.DataFrame
    method: str
    n_resamples: int
    fraction: float
    unit: str
    failure_reason: pd.Series

    @classmethod
    def from_samples(
        cls,
        samples: pd.DataFrame,
        method: str,
        n_resamples: int,
        fraction: float,
        unit: str,
        failure_reason: Sequence[str] | None = None,
    ) -> BootstrapResult:
        """Wrap a table of per-resample estimates, summarised by :func:`percentile_summary`.

        ``failure_reason`` gives each resample's failure code (``""`` if it succeeded); when
        None, a resample whose every estimate is NaN is recorded as ``"fit failed"``.
        """
        if failure_reason is None:
            failed = samples.isna().all(axis=1).to_numpy() if samples.shape[1] else []
            failure_reason = ["fit failed" if f else NOT_FAILED for f in failed]
        reasons = pd.Series(list(failure_reason), index=samples.index, dtype=object)
        if len(reasons) != len(samples):
            raise ValueError(
                f"failure_reason has {len(reasons)} entries for {len(samples)} resamples"
            )
        return cls(
            samples=samples,
            summary=percentile_summary(samples),
            method=method,
            n_resamples=int(n_resamples),
            fraction=float(fraction),
            unit=unit,
            failure_reason=reasons.rename("failure_reason"),
        )

    @property
    def n_failed(self) -> int:
        """Resamples whose fit failed (or was refused), whatever the reason."""
        return int((self.failure_reason != NOT_FAILED).sum())

    def failure_counts(self) -> pd.Series:
        """How many resamples failed for each reason (empty when none failed)."""
        failed = self.failure_reason[self.failure_reason != NOT_FAILED]
        return failed.value_counts().rename("n_resamples")

    def interval(self, quantity: str, low: float = 10, high: float = 90) -> tuple[float, float]:
        """The (low, high) percentiles of one quantity, ignoring failed resamples.

        Raises
        ------
        ValueError
            For an unknown quantity.
        FitError
            When no resample gave a finite value (reason ``"all resamples failed"``); the
            message counts the failures by reason.
        """
        if quantity not in self.samples.columns:
            raise ValueError(
                f"unknown quantity {quantity!r}; choose one of {list(self.samples.columns)}"
            )
        values = self.samples[quantity].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            reasons = ", ".join(f"{n} {r!r}" for r, n in self.failure_counts().items())
            raise FitError(
                f"all {len(self.samples)} resamples failed for {quantity!r}, so it has no "
                f"interval ({reasons or 'no finite value'}); check the point fit on the same "
                "data, or use more data per resample (a larger fraction)",
                reason="all resamples failed",
            )
        return float(np.percentile(values, low)), float(np.percentile(values, high))


def resample_indices(
    n_items: int,
    n_resamples: int,
    rng: np.random.Generator,
    method: str = DEFAULT_METHOD,
    fraction: float = DEFAULT_FRACTION,
) -> np.ndarray:
    """Index arrays for ``n_resamples`` resamples of ``n_items`` items.

    Parameters
    ----------
    n_items : number of units to resample (runs, or points).
    n_resamples : number of resamples (an integer >= 1).
    rng : a :class:`numpy.random.Generator`, an integer seed or None (see
        :func:`as_generator`); the only source of randomness.
    method : ``"subsample"`` (default; the paper's variant: ``round(fraction * n_items)``
        draws without replacement) or ``"replacement"`` (classic bootstrap, ``n_items`` draws
        with replacement).
    fraction : subsample fraction for ``method="subsample"``, in (0, 1].

    Returns
    -------
    Integer array of shape ``(n_resamples, k)``, one row of indices per resample.
    """
    check_choice("resampling method", method, RESAMPLING_METHODS)
    n_resamples = check_count("n_resamples", n_resamples, minimum=1)
    n_items = check_count("n_items", n_items, minimum=2)
    generator = as_generator(rng)
    if method == "replacement":
        return generator.integers(0, n_items, size=(n_resamples, n_items))
    k = max(2, int(round(check_fraction(fraction) * n_items)))
    return np.stack([generator.choice(n_items, size=k, replace=False) for _ in range(n_resamples)])


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
