"""Tests for chinchilla_utils.fitting.bootstrap (the resampling shared by the three approaches)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.fitting.bootstrap import BootstrapResult, resample_indices
from chinchilla_utils.fitting.errors import FitError


def _result(values: list[float]) -> BootstrapResult:
    samples = pd.DataFrame({"a": values, "b": [1 - v for v in values]})
    return BootstrapResult.from_samples(samples, "subsample", len(values), 0.8, unit="points")


def test_interval_with_every_resample_failed_says_so():
    """Issue 13 item 8: interval() crashed with IndexError when every resample had failed."""
    boot = _result([np.nan, np.nan, np.nan])
    with pytest.raises(FitError, match=r"all 3 resamples failed.*'a'") as info:
        boot.interval("a")
    assert info.value.reason == "all resamples failed"


def test_interval_ignores_failed_resamples():
    boot = _result([0.4, np.nan, 0.6])
    assert boot.interval("a", 0, 100) == (pytest.approx(0.4), pytest.approx(0.6))
    assert boot.n_failed == 1


@pytest.mark.parametrize("n_resamples", [2.5, "100", None, True])
def test_n_resamples_of_the_wrong_type_names_the_argument(n_resamples):
    """Issue 13, errors: a float or string n_resamples raised a bare TypeError from numpy."""
    with pytest.raises(TypeError, match=r"n_resamples must be an integer.*got"):
        resample_indices(10, n_resamples, np.random.default_rng(0))


def test_n_resamples_below_one_is_refused():
    with pytest.raises(ValueError, match="n_resamples must be at least 1, got 0"):
        resample_indices(10, 0, np.random.default_rng(0))
