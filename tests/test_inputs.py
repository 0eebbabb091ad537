"""Tests for chinchilla_utils.fitting.inputs: the one input shape of the approaches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from known_law import KnownLaw

from chinchilla_utils.fitting.approach1 import fit_approach1
from chinchilla_utils.fitting.approach2 import fit_approach2
from chinchilla_utils.fitting.inputs import runs_table, source_label
from chinchilla_utils.fitting.synthetic import synthetic_isoflop_points, synthetic_training_curves

LAW = KnownLaw()
BUDGETS = np.array([1e19, 1e20, 1e21, 1e22])


def test_columns_by_name_or_by_value_give_the_same_table():
    frame = pd.DataFrame({"N": [1.0, 2.0], "L": [3.0, 2.5]}, index=[10, 11])
    by_name = runs_table(frame, {"n_params": "N", "loss": "L"})
    by_value = runs_table(frame, {"n_params": np.array([1.0, 2.0]), "loss": frame["L"]})
    pd.testing.assert_frame_equal(by_name, by_value)
    assert list(by_name.columns) == ["n_params", "loss"]
    assert list(by_name.index) == [10, 11]  # rows keep their labels for messages
    arrays = runs_table(None, {"n_params": [1.0, 2.0], "loss": [3.0, 2.5], "budget": None})
    assert list(arrays.columns) == ["n_params", "loss"] and list(arrays.index) == [0, 1]
    assert arrays["n_params"].dtype == float


@pytest.mark.parametrize(
    ("data", "columns", "match"),
    [
        ([1, 2], {"loss": "loss"}, "data must be a pandas DataFrame"),
        (None, {"loss": "loss"}, r"loss='loss' names a column, but no data frame was given"),
        (pd.DataFrame({"x": [1.0]}), {"loss": "loss"}, r"data lacks column 'loss' \(for loss\)"),
        (None, {"loss": [1.0, 2.0], "n_params": [1.0]}, r"one value per row.*n_params.*: 1"),
        (pd.DataFrame({"x": [1.0]}), {"loss": [1.0, 2.0]}, r"1 rows in data"),
        (None, {"loss": np.ones((2, 2))}, "1-d"),
        (pd.DataFrame({"loss": []}), {"loss": "loss"}, "data has no rows"),
    ],
)
def test_bad_input_names_the_quantity_and_the_fix(data, columns, match):
    with pytest.raises(ValueError, match=match):
        runs_table(data, columns)


def test_source_label_names_a_renamed_column():
    assert source_label("budget", "budget") == "budget"
    assert source_label("budget", "isoflop_budget") == "budget (column 'isoflop_budget')"
    assert source_label("budget", np.ones(3)) == "budget"


def test_approach2_from_arrays_equals_the_frame():
    points = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=7)
    frame = fit_approach2(points)
    arrays = fit_approach2(
        budget=points["budget"], n_params=points["n_params"], loss=points["loss"]
    )
    renamed = fit_approach2(points.rename(columns={"budget": "C"}), budget="C")
    assert arrays.a == frame.a == renamed.a
    assert frame.a == pytest.approx(LAW.a, abs=1e-9)


def test_approach1_from_arrays_equals_the_frame():
    curves = synthetic_training_curves(LAW, np.logspace(7, 10, 13), 1e21, flops_min=1e16)
    frame = fit_approach1(curves, flops_min=1e18)
    arrays = fit_approach1(
        run_id=curves["run_id"],
        n_params=curves["n_params"],
        n_tokens=curves["n_tokens"],
        loss=curves["loss"],
        flops_min=1e18,
    )
    assert arrays.a == frame.a
    # The frame's flops column is used when present; without it flops = 6 N D, here the same.
    no_flops = fit_approach1(curves.drop(columns="flops"), flops_min=1e18)
    assert no_flops.a == pytest.approx(frame.a, rel=1e-12)


def test_a_misnamed_column_error_says_which_argument():
    points = synthetic_isoflop_points(LAW, BUDGETS, n_per_budget=7)
    with pytest.raises(ValueError, match=r"lacks column 'isoflop_budget' \(for budget\)"):
        fit_approach2(points, budget="isoflop_budget")
