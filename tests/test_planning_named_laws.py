"""Laws by name (read from data/), and a law fitted to a table of runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.datasets.paper import table3_approach1, table_a3
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier
from chinchilla_utils.planning import LAW_NAMES, law_from_runs, named_law

LOSS_LAWS = ("paper", "paper-rounded", "epoch", "sardana", "muennighoff-c4")


@pytest.mark.parametrize("name", list(LAW_NAMES))
def test_every_name_gives_a_law_with_a_frontier(name):
    law = named_law(name)
    assert isinstance(law, ParametricLoss if name in LOSS_LAWS else PowerLawFrontier)
    n, d = law.n_opt(5.76e23), law.d_opt(5.76e23)
    assert 6 * n * d == pytest.approx(5.76e23, rel=1e-12)


def test_paper_laws_are_the_classmethods():
    assert named_law("paper") == ParametricLoss.paper_unrounded()
    assert named_law("paper-rounded") == ParametricLoss.paper_rounded()


def test_epoch_refit_is_besiroglu_et_al():
    """Besiroglu et al. 2024: E 1.8172, A 482.01, B 2085.43, alpha 0.3478, beta 0.3658; a = 0.5126."""
    law = named_law("epoch")
    assert law == ParametricLoss(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)
    assert law.a == pytest.approx(0.5126, abs=5e-5)


def test_sardana_constants():
    assert named_law("sardana") == ParametricLoss(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283)


def test_paper_frontiers_pass_through_their_table_rows():
    t3 = table3_approach1().set_index("params")
    a3 = table_a3()
    a3 = a3[a3["approach"] == "approach_2"].set_index("params")
    assert named_law("approach1").n_opt(t3.loc[6.7e10, "flops"]) == pytest.approx(6.7e10, rel=1e-12)
    assert named_law("approach1").a == 0.50
    assert named_law("approach2").n_opt(a3.loc[6.7e10, "flops"]) == pytest.approx(6.7e10, rel=1e-12)
    assert named_law("approach2").a == 0.49


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"unknown law 'epok' \(did you mean 'epoch'\?\)"):
        named_law("epok")


@pytest.fixture(scope="module")
def synthetic_runs() -> tuple[pd.DataFrame, ParametricLoss]:
    law = ParametricLoss(E=1.8, A=400.0, B=1500.0, alpha=0.35, beta=0.33)
    n = np.repeat(np.geomspace(1e7, 1e9, 8), 6)
    d = np.tile(np.geomspace(1e9, 1e11, 6), 8)
    return pd.DataFrame({"n_params": n, "n_tokens": d, "loss": law.loss(n, d), "note": "x"}), law


def _reduced_grid() -> np.ndarray:
    from chinchilla_utils.fitting.approach3 import subsample_grid

    return subsample_grid(243, np.random.default_rng(0))


def test_law_from_runs_recovers_a_known_law(synthetic_runs, tmp_path: Path):
    runs, law = synthetic_runs
    fit = law_from_runs(runs, grid=_reduced_grid())
    for name in ("E", "A", "B", "alpha", "beta"):
        assert getattr(fit.law, name) == pytest.approx(getattr(law, name), rel=1e-5), name
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    from_file = law_from_runs(str(path), grid=_reduced_grid())
    assert from_file.law.a == pytest.approx(fit.law.a, rel=1e-9)


def test_law_from_runs_refuses_bad_tables(synthetic_runs):
    runs, _ = synthetic_runs
    with pytest.raises(ValueError, match=r"runs lacks column\(s\) \['loss'\]"):
        law_from_runs(runs.drop(columns="loss"))
    with pytest.raises(ValueError, match="needs at least 5 runs, got 3"):
        law_from_runs(runs.head(3))
    with pytest.raises(ValueError, match="loss must be strictly positive"):
        law_from_runs(runs.assign(loss=-1.0))
