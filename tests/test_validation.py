"""Tests for the shared input checks in chinchilla_utils._validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils._validation import as_positive, check_choice, check_frame


def test_check_frame_returns_a_good_frame():
    frame = pd.DataFrame({"params": [1.0], "flops": [2.0]})
    assert check_frame("table", frame, ("params", "flops")) is frame


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ([1, 2], "table must be a pandas DataFrame, got list"),
        (pd.DataFrame({"params": [1.0]}), r"table lacks column\(s\) \['flops'\]"),
        (pd.DataFrame({"params": [], "flops": []}), "table has no rows"),
    ],
)
def test_check_frame_names_the_argument_and_the_problem(frame, message):
    with pytest.raises(ValueError, match=message):
        check_frame("table", frame, ("params", "flops"))


def test_as_positive_and_check_choice_name_the_value():
    with pytest.raises(ValueError, match="flops must be strictly positive"):
        as_positive("flops", np.array([1.0, -2.0]))
    with pytest.raises(ValueError, match="did you mean 'sum'"):
        check_choice("reduction", "summ", ("sum", "mean"))


def test_an_integer_too_large_for_a_float_names_the_argument():
    """Issue 13, errors: 10**400 raised a bare OverflowError."""
    with pytest.raises(ValueError, match=r"flops must be finite.*too large"):
        as_positive("flops", 10**400)
    with pytest.raises(ValueError, match=r"flops must be finite.*too large"):
        as_positive("flops", [1e20, 10**400])


@pytest.mark.parametrize("value", [True, np.bool_(False), np.array([True, False])])
def test_booleans_are_not_sizes(value):
    """Issue 13, errors: True passed as a model size of 1 parameter."""
    with pytest.raises(TypeError, match=r"n_params must be numeric, got a boolean"):
        as_positive("n_params", value)
