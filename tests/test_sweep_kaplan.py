"""The ``kaplan`` sweep plan (Kaplan et al.'s practice: one long schedule per size) and its
shipped results in ``data/sweep/kaplan`` (no torch needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chinchilla_utils.datasets.sweep import (
    RUNS_COLUMNS,
    SWEEP_DIR,
    load_sweep_curves,
    load_sweep_meta,
    load_sweep_runs,
    verify_sweep_files,
)
from chinchilla_utils.sweep.model_shapes import count_params
from chinchilla_utils.sweep.plans import (
    KAPLAN_STEPS,
    KAPLAN_VAL_EVALS,
    TOKENS_PER_STEP,
    get_plan,
    kaplan_shapes,
)

KAPLAN_DIR = SWEEP_DIR / "kaplan"


def test_kaplan_plan_is_one_long_schedule_per_size():
    plan = get_plan("kaplan")
    book_shapes = {s.shape for s in get_plan("book")}
    sizes = [count_params(s.shape) for s in plan]
    assert len(plan) == 9 and sizes == sorted(sizes) and len(set(sizes)) == 9
    assert {s.shape for s in plan} <= book_shapes
    book_sizes = [count_params(s) for s in book_shapes]
    assert (min(sizes), max(sizes)) == (min(book_sizes), max(book_sizes))
    # About 0.2 dex apart: Kaplan et al.'s ladder, thinned.
    gaps = np.diff(np.log10(sizes))
    assert 0.1 < gaps.min() and gaps.max() < 0.3
    assert {s.n_steps for s in plan} == {KAPLAN_STEPS} and {s.seed for s in plan} == {0}
    assert {s.n_val_evals for s in plan} == {KAPLAN_VAL_EVALS}
    for spec in plan:
        assert math.isclose(
            spec.budget, 6 * count_params(spec.shape) * KAPLAN_STEPS * TOKENS_PER_STEP
        )
    assert len({s.run_id for s in plan}) == len(plan)


def test_kaplan_runs_are_new_runs_not_book_runs():
    # Same shapes and rates as the book, but other horizons: no cache key is shared.
    book = {s.key("x") for s in get_plan("book")}
    assert not book & {s.key("x") for s in get_plan("kaplan")}


def test_kaplan_shapes_refuses_too_few_sizes():
    with pytest.raises(ValueError, match="n_sizes"):
        kaplan_shapes(1)


def test_shipped_kaplan_results_match_their_hashes_and_the_plan():
    assert all(verify_sweep_files(KAPLAN_DIR).values())
    runs = load_sweep_runs(KAPLAN_DIR)
    meta = load_sweep_meta(KAPLAN_DIR)
    assert list(runs.columns) == list(RUNS_COLUMNS) and set(runs["plan"]) == {"kaplan"}
    assert sorted(runs["run_id"]) == sorted(s.run_id for s in get_plan("kaplan"))
    assert meta["plan"] == "kaplan" and meta["n_runs"] == len(runs)
    val = load_sweep_curves(KAPLAN_DIR, kind="val")
    assert (val.groupby("run_id").size() == KAPLAN_VAL_EVALS).all()
    # Each checkpoint is a point on the run's one schedule: validation loss falls along it.
    last = val.groupby("run_id")["loss"].agg(["first", "last"])
    assert (last["last"] < last["first"]).all()
