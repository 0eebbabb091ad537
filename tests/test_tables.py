"""tables.py: Approach 3 fit tables, scoring a law by Eq. 11, Table A3 columns from a law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book.tables import (
    APPROACH3_TABLE_COLUMNS,
    approach3_table,
    law_objective,
)
from chinchilla_utils.fitting.approach3 import approach3_objective, fit_approach3
from chinchilla_utils.laws import ParametricLoss

TRUE_LAW = ParametricLoss(E=1.8, A=480.0, B=2000.0, alpha=0.35, beta=0.37)


def _runs(noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 10 ** rng.uniform(7.5, 10, 60)
    d = 10 ** rng.uniform(9, 11.5, 60)
    loss = np.asarray(TRUE_LAW.loss(n, d)) * np.exp(noise * rng.standard_normal(60))
    return n, d, loss


def _small_grid() -> np.ndarray:
    # a few starts around the truth: enough for a noiseless recovery, fast
    return np.array(
        [[6.0, 7.5, 0.5, 0.3, 0.3], [6.5, 8.0, 0.6, 0.4, 0.4], [5.0, 5.0, 0.0, 0.5, 0.5]]
    )


def test_approach3_table_law_row_matches_closed_form() -> None:
    table = approach3_table({"paper": ParametricLoss.paper_unrounded()}, flops=5.88e23)
    row = table.loc["paper"]
    assert list(table.columns) == list(APPROACH3_TABLE_COLUMNS)
    law = ParametricLoss.paper_unrounded()
    assert row["a"] == pytest.approx(law.beta / (law.alpha + law.beta), rel=1e-12)
    assert row["tokens_per_param"] == pytest.approx(law.d_opt(5.88e23) / law.n_opt(5.88e23))
    assert np.isnan(row["objective_sum"])
    assert pd.isna(row["converged"])


def test_approach3_table_fit_rows_and_mean_objective_as_sum() -> None:
    n, d, loss = _runs()
    fits = {
        "sum": fit_approach3(n, d, loss, grid=_small_grid()),
        "mean": fit_approach3(n, d, loss, grid=_small_grid(), reduction="mean"),
    }
    table = approach3_table(fits)
    assert table.loc["sum", "alpha"] == pytest.approx(TRUE_LAW.alpha, rel=1e-4)
    assert table.loc["sum", "n_starts"] == 3
    assert table.loc["sum", "on_grid_edge"] == "none"
    # the mean fit's objective is reported as a sum: n_points times its own
    assert table.loc["mean", "objective_sum"] == pytest.approx(
        fits["mean"].objective * len(n), rel=1e-12
    )


def test_approach3_table_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="entries"):
        approach3_table({})
    with pytest.raises(ValueError, match="ParametricLoss"):
        approach3_table({"x": (1, 2, 3)})
    with pytest.raises(ValueError, match="flops"):
        approach3_table({"p": TRUE_LAW}, flops=-1.0)


def test_law_objective_is_zero_at_truth_and_matches_objective() -> None:
    n, d, loss = _runs()
    assert law_objective(TRUE_LAW, n, d, loss) == pytest.approx(0.0, abs=1e-20)
    n, d, loss = _runs(noise=0.02, seed=1)
    expected, _ = approach3_objective(
        TRUE_LAW.theta, np.log(n), np.log(d), np.log(loss), delta=1e-3, reduction="mean"
    )
    assert law_objective(TRUE_LAW, n, d, loss, reduction="mean") == pytest.approx(expected)
    # a minimiser of the objective scores at most the truth's value on the same runs
    fit = fit_approach3(n, d, loss, grid=_small_grid())
    assert fit.objective <= law_objective(TRUE_LAW, n, d, loss) + 1e-15


def test_law_objective_validates() -> None:
    n, d, loss = _runs()
    with pytest.raises(ValueError, match="ParametricLoss"):
        law_objective("paper", n, d, loss)
    with pytest.raises(ValueError, match="loss"):
        law_objective(TRUE_LAW, n, d, -loss)
