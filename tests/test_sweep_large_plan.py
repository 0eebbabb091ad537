"""The ``large`` plan (budgets to 1e15 FLOPs): well-formed, centred where the book's fits point.

Nothing here trains (the plan is never run in CI); one test builds its shapes in torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chinchilla_utils.sweep.model_shapes import count_params
from chinchilla_utils.sweep.plans import (
    BOOK_PEAK_LR,
    LARGE_BUDGETS,
    LARGE_CENTRE_COEFFICIENT,
    LARGE_CENTRE_EXPONENT,
    LARGE_LR_FACTOR_BEYOND_TABLE,
    TOKENS_PER_STEP,
    centre_params,
    get_plan,
    large_centre_params,
    large_ladder_shapes,
    nearest_ladder_shapes,
    width_rule_lr,
)


@pytest.fixture(scope="module")
def plan():
    return get_plan("large")


def test_the_frozen_centre_is_approach2s_fit_on_the_shipped_sweep():
    from chinchilla_utils.datasets.sweep import load_sweep_runs
    from chinchilla_utils.fitting.approach2 import fit_approach2

    runs = load_sweep_runs()
    points = runs[runs["seed"] == 0].rename(columns={"final_val_loss": "loss"})
    frontier = fit_approach2(points[["n_params", "loss", "budget"]]).frontier
    # Frozen to 4 significant figures.
    assert LARGE_CENTRE_EXPONENT == pytest.approx(frontier.exponent, abs=5e-5)
    assert LARGE_CENTRE_COEFFICIENT == pytest.approx(frontier.coefficient, rel=1e-3)
    for budget in LARGE_BUDGETS:
        predicted = frontier.coefficient * budget**frontier.exponent
        assert large_centre_params(budget) == pytest.approx(predicted, rel=2e-3)


def test_budgets_continue_the_book_grid_to_1e15(plan):
    assert sorted({s.budget for s in plan}) == sorted(LARGE_BUDGETS)
    assert max(LARGE_BUDGETS) == 1e15
    ratios = np.diff(np.log10(sorted(LARGE_BUDGETS)))
    assert np.all((ratios > 0.45) & (ratios < 0.55))  # about half a decade apart


@pytest.mark.parametrize("budget", LARGE_BUDGETS)
def test_sizes_bracket_the_predicted_optimum(plan, budget):
    sizes = sorted(count_params(s.shape) for s in plan if s.budget == budget)
    assert len(sizes) == len(set(sizes)) == 6
    logs = np.log10(sizes)
    fitted = math.log10(large_centre_params(budget))
    # At least two sizes on each side of Approach 2's prediction, so the valley's minimum is
    # interior even if the optimum sits one size off; the book's fixed-ratio rule (a smaller
    # N, up to 0.25 dex below at 1e15) is inside the span too.
    assert (logs < fitted).sum() >= 2 and (logs > fitted).sum() >= 2
    assert logs.min() < math.log10(centre_params(budget)) < logs.max()
    # Rungs about 0.2 dex apart: the span is about a decade, no gap above 0.35 dex.
    assert 0.8 < logs.max() - logs.min() < 1.2
    assert np.diff(logs).max() < 0.35


def test_steps_tokens_rates_and_keys(plan):
    for spec in plan:
        assert spec.plan == "large" and spec.seed == 0 and spec.n_steps > 0
        n_params = count_params(spec.shape)
        tokens = spec.n_steps * TOKENS_PER_STEP
        # D = C / (6N) to within half a step.
        assert abs(6 * n_params * tokens - spec.budget) <= 3 * n_params * TOKENS_PER_STEP
        d_model = spec.shape.d_model
        expected_lr = BOOK_PEAK_LR.get(
            d_model, LARGE_LR_FACTOR_BEYOND_TABLE * width_rule_lr(d_model)
        )
        assert spec.peak_lr == expected_lr > 0
    assert len({s.run_id for s in plan}) == len(plan) == 24
    for device in ("cpu", "cuda"):
        keys = {s.key("corpus-sha", device=device) for s in plan}
        assert len(keys) == len(plan)
    # The book's evaluation settings, so large and book runs are comparable point for point.
    book = get_plan("book")[0]
    assert {(s.n_val_windows, s.n_val_evals, s.n_curve_points) for s in plan} == {
        (book.n_val_windows, book.n_val_evals, book.n_curve_points)
    }


def test_nearest_ladder_shapes_refuses_more_sizes_than_rungs():
    ladder = large_ladder_shapes()
    assert len(nearest_ladder_shapes(1e6, ladder, len(ladder), 0.1)) == len(ladder)
    with pytest.raises(ValueError, match="exceeds the ladder"):
        nearest_ladder_shapes(1e6, ladder, len(ladder) + 1, 0.1)
    with pytest.raises(ValueError, match="centre_n_params"):
        nearest_ladder_shapes(-1.0, ladder, 3, 0.1)


@pytest.mark.sweep
def test_large_shapes_have_the_counted_parameters_in_torch():
    from chinchilla_utils.sweep.train import build_model

    for shape in {s.shape for s in get_plan("large")}:
        model = build_model(shape)
        assert sum(p.numel() for p in model.parameters()) == count_params(shape)
