"""The laptop sweep fitted by the three approaches, once per process, for every chapter.

The Approach 1, 2 and 3 chapters each report the exponents of the book's own laptop sweep
(``data/sweep``), and the Approach 3 chapter sets all three side by side. They take them from
here rather than refitting: one function per approach, each cached with
``functools.cache``, so within one process (one chapter's kernel, a test session) a
setting is fitted once and every caller gets the same result object. Results are shared:
read them, do not modify their tables.

The settings are the chapters' defaults, and each chapter passes its own parameters through,
so a papermill run with other settings fits those instead:

* :func:`laptop_approach1`: the training curves (``book.training_curves.approach1_curves``),
  the paper's 1,500-point grid, fitted from the sweep's smallest budget to the envelope's end;
* :func:`laptop_approach2`: the final validation losses at the four budgets;
* :func:`laptop_approach3`: the paper's recipe (Huber ``delta`` 1e-3) on the final validation
  losses of every run, from ``n_starts`` starting points drawn with a seed from the paper's
  grid (:func:`~chinchilla_utils.fitting.approach3.subsample_grid`);
* :func:`laptop_fits`: the three at their defaults in one :class:`LaptopFits`.

Units: sizes in parameters, tokens in bytes (the sweep is byte-level), FLOPs, nats per byte.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chinchilla_utils.book.training_curves import approach1_curves
from chinchilla_utils.datasets.sweep import SWEEP_DIR, load_sweep_curves, load_sweep_runs
from chinchilla_utils.fitting.approach1 import N_GRID, Approach1Result, fit_approach1
from chinchilla_utils.fitting.approach2 import Approach2Result, fit_approach2
from chinchilla_utils.fitting.approach3 import Approach3Result, fit_approach3, subsample_grid

__all__ = [
    "APPROACH3_N_STARTS",
    "APPROACH3_SEED",
    "LAPTOP_LOSS",
    "LaptopFits",
    "laptop_approach1",
    "laptop_approach2",
    "laptop_approach3",
    "laptop_fits",
]

#: The sweep's column of final losses that Approaches 2 and 3 fit (nats per byte).
LAPTOP_LOSS = "final_val_loss"
#: Starting points of the Approach 3 fit (of the paper's 4,500; all 4,500 in a full run).
APPROACH3_N_STARTS = 500
#: Seed of the draw of those starting points.
APPROACH3_SEED = 0


@dataclass(frozen=True)
class LaptopFits:
    """The three approaches fitted on the laptop sweep at the chapters' default settings."""

    approach1: Approach1Result
    approach2: Approach2Result
    approach3: Approach3Result


def _key(sweep_dir: Path | str | None) -> str:
    """One cache key per folder, however it is spelled (None is the shipped sweep)."""
    return str(Path(SWEEP_DIR if sweep_dir is None else sweep_dir).resolve())


def laptop_approach1(
    sweep_dir: Path | str | None = None,
    *,
    count_embeddings: bool = True,
    n_grid: int = N_GRID,
    flops_min: float | None = None,
    flops_max: float | None = None,
) -> Approach1Result:
    """Approach 1 on the sweep's training curves (cached per setting).

    Parameters
    ----------
    sweep_dir : the sweep folder (None: the shipped ``data/sweep``).
    count_embeddings : N counts every parameter (True, the paper's convention) or only the
        non-embedding ones, with ``C = 6 N D`` recomputed from that count (Kaplan's).
    n_grid : log-spaced FLOP values of the envelope (the paper's 1,500).
    flops_min, flops_max : the fitted FLOP range; ``flops_min=None`` starts at the sweep's
        smallest budget (below it the envelope is only the runs' early, unconverged parts),
        ``flops_max=None`` runs to the envelope's end.
    """
    return _approach1(_key(sweep_dir), bool(count_embeddings), n_grid, flops_min, flops_max)


@functools.cache
def _approach1(
    sweep_dir: str,
    count_embeddings: bool,
    n_grid: int,
    flops_min: float | None,
    flops_max: float | None,
) -> Approach1Result:
    runs = load_sweep_runs(sweep_dir)
    curves = approach1_curves(load_sweep_curves(sweep_dir), runs, count_embeddings)
    low = float(runs["budget"].min()) if flops_min is None else flops_min
    return fit_approach1(curves, n_grid=n_grid, flops_min=low, flops_max=flops_max)


def laptop_approach2(
    sweep_dir: Path | str | None = None, *, count_embeddings: bool = True
) -> Approach2Result:
    """Approach 2 on the sweep's final validation losses at its budgets (cached per setting).

    ``count_embeddings=False`` puts the same vertices on the non-embedding parameter count
    (Kaplan's convention): the budgets, and so ``C``, are unchanged.
    """
    return _approach2(_key(sweep_dir), bool(count_embeddings))


@functools.cache
def _approach2(sweep_dir: str, count_embeddings: bool) -> Approach2Result:
    runs = load_sweep_runs(sweep_dir)
    n_params = "n_params" if count_embeddings else "n_params_non_embedding"
    return fit_approach2(runs, n_params=n_params, loss=LAPTOP_LOSS)


def laptop_approach3(
    sweep_dir: Path | str | None = None,
    *,
    n_starts: int = APPROACH3_N_STARTS,
    seed: int = APPROACH3_SEED,
    delta: float = 1e-3,
) -> Approach3Result:
    """Approach 3 (the paper's recipe) on every run of the sweep (cached per setting).

    Parameters
    ----------
    sweep_dir : the sweep folder (None: the shipped ``data/sweep``).
    n_starts : starting points drawn from the paper's 4,500-point grid with
        ``subsample_grid(n_starts, numpy.random.default_rng(seed))`` (the first draw of that
        generator, as the Approach 3 chapter's own subset of starts).
    seed : seed of that draw.
    delta : the Huber threshold on log-loss residuals (the paper's 1e-3).
    """
    return _approach3(_key(sweep_dir), n_starts, seed, float(delta))


@functools.cache
def _approach3(sweep_dir: str, n_starts: int, seed: int, delta: float) -> Approach3Result:
    runs = load_sweep_runs(sweep_dir)
    grid = subsample_grid(n_starts, np.random.default_rng(seed))
    return fit_approach3(
        runs["n_params"].to_numpy(float),
        runs["n_tokens"].to_numpy(float),
        runs[LAPTOP_LOSS].to_numpy(float),
        delta=delta,
        grid=grid,
    )


def laptop_fits(sweep_dir: Path | str | None = None) -> LaptopFits:
    """The three approaches on the sweep at the default settings (each cached)."""
    return LaptopFits(
        approach1=laptop_approach1(sweep_dir),
        approach2=laptop_approach2(sweep_dir),
        approach3=laptop_approach3(sweep_dir),
    )
