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


def test_the_bootstraps_share_one_signature_of_defaults():
    """Issue 7 item 3: the same arguments with the same defaults across the approaches."""
    import inspect

    from chinchilla_utils.constants import CHINCHILLA_FLOPS
    from chinchilla_utils.fitting.approach1 import bootstrap_approach1
    from chinchilla_utils.fitting.approach2 import bootstrap_approach2
    from chinchilla_utils.fitting.approach3 import bootstrap_approach3

    expected = {
        "n_resamples": 100,
        "method": "subsample",
        "fraction": 0.8,
        "flops_for_ratio": CHINCHILLA_FLOPS,
        "rng": None,
        "progress": False,
    }
    for bootstrap in (bootstrap_approach1, bootstrap_approach2, bootstrap_approach3):
        params = inspect.signature(bootstrap).parameters
        defaults = {name: params[name].default for name in expected}
        assert defaults == expected, bootstrap.__name__
    for bootstrap in (bootstrap_approach1, bootstrap_approach2):
        params = inspect.signature(bootstrap).parameters
        assert list(params)[0] == "data"
        assert all(params[name].kind is inspect.Parameter.KEYWORD_ONLY for name in expected)


def test_the_default_seed_is_one_seed():
    from chinchilla_utils.fitting import approach3
    from chinchilla_utils.fitting.bootstrap import DEFAULT_SEED

    assert approach3.DEFAULT_SEED == DEFAULT_SEED


def test_as_generator_accepts_a_generator_a_seed_or_none():
    from chinchilla_utils.fitting.bootstrap import DEFAULT_SEED, as_generator

    gen = np.random.default_rng(1)
    assert as_generator(gen) is gen
    assert as_generator(7).integers(1000) == np.random.default_rng(7).integers(1000)
    assert as_generator(None).integers(1000) == np.random.default_rng(DEFAULT_SEED).integers(1000)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        as_generator(-1)
