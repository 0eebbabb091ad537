"""Inference-aware sizing: closed forms, brute force, and the numbers Sardana et al. print."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from chinchilla_utils.compute.cost import Accelerator
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier
from chinchilla_utils.planning import (
    ServingHardware,
    TrainingHardware,
    chinchilla_point_for_loss,
    cost_optimal,
    inference_optimal,
    lifetime_flops,
    min_params_for_loss,
    named_law,
    tokens_for_loss,
)

PAPER = ParametricLoss.paper_unrounded()
SARDANA = named_law("sardana")
LAWS = [PAPER, ParametricLoss.paper_rounded(), named_law("epoch"), SARDANA]


def _brute_force(law: ParametricLoss, loss: float, inference_tokens: float) -> float:
    """Size of least lifetime FLOPs on the iso-loss curve: a dense grid, then Brent."""
    n_min = min_params_for_loss(law, loss)
    grid = np.log(n_min) + np.linspace(1e-6, 12.0, 20001)

    def total(log_n: float) -> float:
        n = np.exp(log_n)
        return float(np.log(lifetime_flops(n, tokens_for_loss(law, n, loss), inference_tokens)))

    n = np.exp(grid)
    values = np.log(lifetime_flops(n, tokens_for_loss(law, n, loss), inference_tokens))
    i = int(np.argmin(values))
    res = minimize_scalar(
        total, bounds=(grid[max(i - 1, 0)], grid[i + 1]), method="bounded", options={"xatol": 1e-12}
    )
    return float(np.exp(res.x))


# -- closed forms -------------------------------------------------------------------------------
@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("flops", [1e19, 5.76e23, 1e26])
def test_chinchilla_point_for_loss_is_the_compute_optimal_frontier(law, flops):
    point = chinchilla_point_for_loss(law, law.loss_opt(flops))
    assert point.n_params == pytest.approx(law.n_opt(flops), rel=1e-10)
    assert point.n_tokens == pytest.approx(law.d_opt(flops), rel=1e-10)
    assert point.training_flops == pytest.approx(flops, rel=1e-10)


def test_iso_loss_curve_reaches_the_loss_and_its_floor():
    loss = 2.0
    n = np.geomspace(min_params_for_loss(PAPER, loss) * 1.01, 1e13, 50)
    np.testing.assert_allclose(PAPER.loss(n, tokens_for_loss(PAPER, n, loss)), loss, rtol=1e-13)
    # just above the floor the data needed explodes
    assert tokens_for_loss(PAPER, min_params_for_loss(PAPER, loss) * (1 + 1e-9), loss) > 1e30


def test_zero_inference_is_the_chinchilla_point():
    res = inference_optimal(PAPER, loss=2.0, inference_tokens=0.0)
    assert res.optimum == res.chinchilla
    assert res.flops_saved == 0.0 and res.saving_fraction == 0.0


# -- the 1-D root against brute force -----------------------------------------------------------
@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("inference_tokens", [1e9, 1e12, 2e13, 1e16])
def test_optimum_matches_brute_force_minimisation(law, inference_tokens):
    loss = float(law.loss_opt(1e23))
    res = inference_optimal(law, loss=loss, inference_tokens=inference_tokens)
    assert res.optimum.n_params == pytest.approx(
        _brute_force(law, loss, inference_tokens), rel=1e-6
    )
    assert res.optimum.loss == loss
    assert law.loss(res.optimum.n_params, res.optimum.n_tokens) == pytest.approx(loss, rel=1e-13)


def test_first_order_condition_holds_at_the_optimum():
    loss, tokens = 1.95, 3e12
    res = inference_optimal(PAPER, loss=loss, inference_tokens=tokens)

    def total(log_n: float) -> float:
        n = np.exp(log_n)
        return float(lifetime_flops(n, tokens_for_loss(PAPER, n, loss), tokens))

    u, h = np.log(res.optimum.n_params), 1e-4
    slope = (total(u + h) - total(u - h)) / (2 * h)
    curvature = (total(u + h) - 2 * total(u) + total(u - h)) / h**2
    assert abs(slope) < 1e-6 * res.total_flops  # stationary (central difference, O(h^2))
    assert curvature > 0  # a minimum


def test_more_inference_means_smaller_models_trained_longer():
    demand = np.geomspace(1e9, 1e15, 13)
    results = [inference_optimal(PAPER, loss=2.0, inference_tokens=t) for t in demand]
    n = np.array([r.optimum.n_params for r in results])
    d = np.array([r.optimum.n_tokens for r in results])
    saving = np.array([r.saving_fraction for r in results])
    assert np.all(np.diff(n) < 0) and np.all(np.diff(d) > 0)
    assert np.all(np.diff(saving) > 0) and np.all((saving > 0) & (saving < 1))


def test_target_from_a_training_budget():
    by_budget = inference_optimal(PAPER, flops=1e23, inference_tokens=1e12)
    by_loss = inference_optimal(PAPER, loss=PAPER.loss_opt(1e23), inference_tokens=1e12)
    assert by_budget == by_loss
    assert by_budget.chinchilla.training_flops == pytest.approx(1e23, rel=1e-10)


# -- Sardana et al. 2024's printed numbers -------------------------------------------------------
def test_sardana_figure_1_13b_model_with_2t_inference_tokens():
    """Figure 1 caption: a 13B model with 2T tokens of demand; a 7B model saves 1.7e22 FLOPs (17%)."""
    res = inference_optimal(SARDANA, flops=SARDANA.flops_for_n_opt(13e9), inference_tokens=2e12)
    assert res.chinchilla.n_params == pytest.approx(13e9, rel=1e-12)
    assert res.optimum.n_params == pytest.approx(7e9, abs=0.05e9)  # "7B": 6.97B
    assert res.flops_saved == pytest.approx(1.7e22, abs=0.05e22)  # "1.7 x 10^22": 1.69e22
    assert 0.165 <= res.saving_fraction < 0.175  # "17%": 17.4%


def test_sardana_repository_readme_compute_optimal_example():
    """beyond-chinchilla README (commit 190f70e): loss 1.947 and 2e12 inference tokens."""
    assert SARDANA.loss(70e9, 1e12) == pytest.approx(1.947, abs=5e-4)  # "70B on 1T: 1.947"
    res = inference_optimal(SARDANA, loss=1.947, inference_tokens=2e12)
    assert res.optimum.n_params == pytest.approx(2.418e10, abs=0.0005e10)
    assert res.optimum.n_tokens == pytest.approx(2.657e12, abs=0.0005e12)
    assert 100 * res.n_params_ratio == pytest.approx(70.96, abs=0.005)
    assert 100 * res.n_tokens_ratio == pytest.approx(146.77, abs=0.005)
    assert 100 * res.total_flops / res.chinchilla_total_flops == pytest.approx(95.22, abs=0.005)


def _a100_int8() -> Accelerator:
    return Accelerator(
        name="NVIDIA A100, INT8",
        peak_flops_per_s=624e12,
        source="NVIDIA A100 Tensor Core GPU datasheet: INT8 Tensor Core 624 TOPS dense",
    )


def test_sardana_repository_readme_cost_optimal_example():
    """README: A100 training at $1.40/h and 50% MFU; A100 INT8 serving at $0.60/h, prefill 40%,
    decode 20%; 1e10 requests of 1000 prompt and 250 generated tokens."""
    res = cost_optimal(
        SARDANA,
        loss=1.947,
        prompt_tokens=1e10 * 1000,
        generated_tokens=1e10 * 250,
        training=TrainingHardware("A100", mfu=0.5, usd_per_hour=1.40),
        serving=ServingHardware(_a100_int8(), prefill_mfu=0.4, decode_mfu=0.2, usd_per_hour=0.60),
    )
    assert res.optimum.n_params == pytest.approx(2.053e10, abs=0.0005e10)
    assert res.optimum.n_tokens == pytest.approx(3.302e12, abs=0.0005e12)
    assert 100 * res.optimum.n_params / res.chinchilla.n_params == pytest.approx(60.23, abs=0.005)
    assert 100 * res.optimum.n_tokens / res.chinchilla.n_tokens == pytest.approx(182.41, abs=0.005)
    ratio = res.total_usd(res.optimum) / res.total_usd(res.chinchilla)
    assert 100 * ratio == pytest.approx(88.76, abs=0.005)


def test_cost_variant_reduces_to_flops_when_every_flop_costs_the_same():
    hardware = TrainingHardware("H100", mfu=0.5, usd_per_hour=2.0)
    serving = ServingHardware("H100", prefill_mfu=0.5, decode_mfu=0.5, usd_per_hour=2.0)
    res = cost_optimal(
        PAPER,
        loss=2.0,
        prompt_tokens=3e11,
        generated_tokens=7e11,
        training=hardware,
        serving=serving,
    )
    flops = inference_optimal(PAPER, loss=2.0, inference_tokens=1e12)
    assert res.optimum.n_params == pytest.approx(flops.optimum.n_params, rel=1e-12)
    usd_per_flop = 2.0 / 3600 / (989e12 * 0.5)
    assert res.total_usd(res.optimum) == pytest.approx(flops.total_flops * usd_per_flop, rel=1e-12)
    assert res.saving_fraction == pytest.approx(flops.saving_fraction, rel=1e-10)


def test_slow_decoding_pushes_towards_smaller_models():
    kwargs = dict(loss=2.0, prompt_tokens=1e11, generated_tokens=1e12)
    train = TrainingHardware("H100", mfu=0.5, usd_per_hour=2.0)
    fast = cost_optimal(
        PAPER, training=train, serving=ServingHardware("H100", 0.5, 0.5, 2.0), **kwargs
    )
    slow = cost_optimal(
        PAPER, training=train, serving=ServingHardware("H100", 0.5, 0.01, 2.0), **kwargs
    )
    assert slow.optimum.n_params < fast.optimum.n_params


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(loss=1.69, inference_tokens=1e12), r"loss 1.69 nats is at or below .* E = 1.69"),
        (dict(loss=1.5, inference_tokens=1e12), r"at or below the law's irreducible loss"),
        (dict(loss=float("nan"), inference_tokens=1e12), "loss must be finite"),
        (dict(loss=2.0, inference_tokens=-1.0), r"inference_tokens must be >= 0.*-1.0"),
        (dict(loss=2.0, inference_tokens=float("inf")), "inference_tokens must be finite"),
        (dict(inference_tokens=1e12), "give exactly one of loss"),
        (dict(loss=2.0, flops=1e23, inference_tokens=1e12), "give exactly one of loss"),
        (dict(flops=0.0, inference_tokens=1e12), r"flops must be strictly positive.*0\."),
        (dict(flops=-1e20, inference_tokens=1e12), r"flops must be strictly positive.*-1e\+20"),
        (dict(flops=float("inf"), inference_tokens=1e12), "flops must be finite"),
        (dict(loss=[2.0, 2.1], inference_tokens=1e12), "single target loss"),
    ],
)
def test_inference_optimal_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        inference_optimal(ParametricLoss.paper_rounded(), **kwargs)


def test_a_frontier_is_refused_with_a_type_error():
    with pytest.raises(TypeError, match="PowerLawFrontier gives N_opt"):
        inference_optimal(PowerLawFrontier.kaplan2020(), loss=2.0, inference_tokens=1e12)


def test_tokens_for_loss_names_the_smallest_size():
    floor = min_params_for_loss(PAPER, 2.0)
    expected = rf"n_params {floor / 2:.4g} cannot reach .* exceed {floor:.4g} parameters"
    with pytest.raises(ValueError, match=expected.replace("+", r"\+")):
        tokens_for_loss(PAPER, [floor / 2, floor * 2], 2.0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: TrainingHardware("A100", mfu=0.0, usd_per_hour=1.0), r"mfu must be .* \(0, 1\]"),
        (lambda: TrainingHardware("A100", mfu=40, usd_per_hour=1.0), "write 40% as 0.4"),
        (
            lambda: TrainingHardware("A100", mfu=0.4, usd_per_hour=0),
            "usd_per_hour must be strictly",
        ),
        (lambda: TrainingHardware("A1000", mfu=0.4, usd_per_hour=1), "did you mean 'A100'"),
        (lambda: ServingHardware("H100", 0.5, 1.5, 2.0), r"decode_mfu must be .* got 1.5"),
        (lambda: ServingHardware("H100", -0.5, 0.1, 2.0), r"prefill_mfu must be .* got -0.5"),
    ],
)
def test_hardware_refuses_bad_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_cost_optimal_refuses_negative_tokens_and_wrong_hardware():
    train = TrainingHardware("H100", 0.5, 2.0)
    serve = ServingHardware("H100", 0.5, 0.1, 2.0)
    with pytest.raises(ValueError, match=r"generated_tokens must be >= 0.*-5"):
        cost_optimal(
            PAPER, loss=2.0, prompt_tokens=1.0, generated_tokens=-5, training=train, serving=serve
        )
    with pytest.raises(TypeError, match="serving must be a ServingHardware"):
        cost_optimal(
            PAPER, loss=2.0, prompt_tokens=1.0, generated_tokens=1.0, training=train, serving=train
        )
