"""The paper's initialisation grid for Approach 3 (Appendix D.2) and checks of a custom grid."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import as_finite
from .objective import THETA_NAMES

__all__ = ["PAPER_GRID_AXES", "paper_initial_grid"]

#: The paper's initialisation grid (Appendix D.2), endpoints included.
PAPER_GRID_AXES: dict[str, np.ndarray] = {
    "a": np.arange(0.0, 25.0 + 1e-9, 5.0),
    "b": np.arange(0.0, 25.0 + 1e-9, 5.0),
    "e": np.arange(-1.0, 1.0 + 1e-9, 0.5),
    "alpha": np.arange(0.0, 2.0 + 1e-9, 0.5),
    "beta": np.arange(0.0, 2.0 + 1e-9, 0.5),
}


def paper_initial_grid() -> np.ndarray:
    """The paper's 4,500 L-BFGS starting points (Appendix D.2), shape ``(4500, 5)``.

    Columns in ``THETA_NAMES`` order ``(a, b, e, alpha, beta)``: a, b in {0, 5, ..., 25},
    e in {-1, -0.5, ..., 1}, alpha, beta in {0, 0.5, ..., 2}; rows vary beta fastest.
    """
    axes = [PAPER_GRID_AXES[name] for name in THETA_NAMES]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([m.ravel() for m in mesh])


def check_grid(grid: Any) -> np.ndarray:
    """``grid`` as a finite ``(n_starts, 5)`` float array, or a ValueError naming it."""
    g = as_finite("grid", grid)
    if g.ndim != 2 or g.shape[1] != 5 or g.shape[0] < 1:
        raise ValueError(
            f"grid must have shape (n_starts, 5) with columns {THETA_NAMES}, got {g.shape}"
        )
    return g


def edge_names(theta: np.ndarray, grid: np.ndarray) -> tuple[str, ...]:
    """Names of the coordinates of ``theta`` at or beyond the grid's extreme values."""
    lo, hi = grid.min(axis=0), grid.max(axis=0)
    tol = 1e-9 * np.maximum(hi - lo, 1.0)
    on = (theta <= lo + tol) | (theta >= hi - tol)
    return tuple(name for name, flag in zip(THETA_NAMES, on, strict=True) if flag)
