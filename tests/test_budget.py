"""Known answers and error paths for chinchilla_utils.compute.cost."""

from __future__ import annotations

import numpy as np
import pytest

from chinchilla_utils.compute.cost import (
    ACCELERATORS,
    PF_DAY_FLOPS,
    Accelerator,
    accelerator_days,
    flops_to_pf_days,
    pf_days_to_flops,
    training_cost_usd,
)
from chinchilla_utils.datasets.paper import load_table


def test_pf_day_is_petaflop_per_second_for_a_day() -> None:
    assert PF_DAY_FLOPS == 8.64e19
    assert flops_to_pf_days(8.64e19) == 1.0
    assert pf_days_to_flops(1.0) == 8.64e19


def test_pf_day_constant_matches_kaplan_table() -> None:
    # Kaplan et al. (2020, Section 1.3) define the unit their C_min constants are given in.
    kaplan = load_table("kaplan2020_constants").set_index("quantity")
    assert PF_DAY_FLOPS == kaplan.loc["pf_day_flops", "value"]


def test_gopher_unit_in_pf_days() -> None:
    # 5.76e23 FLOPs (the paper's Gopher unit) is 6,666.7 PF-days.
    assert flops_to_pf_days(5.76e23) == pytest.approx(6666.666666, rel=1e-9)


def test_pf_day_round_trip_on_arrays() -> None:
    flops = np.array([0.0, 6e18, 3e21, 5.88e23])
    pf_days = flops_to_pf_days(flops)
    assert isinstance(pf_days, np.ndarray)
    np.testing.assert_allclose(pf_days_to_flops(pf_days), flops, rtol=1e-15)


def test_accelerator_table_values_and_sources() -> None:
    assert set(ACCELERATORS) == {"TPUv3", "TPUv4", "A100", "H100"}
    peaks = {k: a.peak_flops_per_s for k, a in ACCELERATORS.items()}
    assert peaks == {"TPUv3": 123e12, "TPUv4": 275e12, "A100": 312e12, "H100": 989e12}
    for accelerator in ACCELERATORS.values():
        assert "datasheet" in accelerator.source or "documentation" in accelerator.source


def test_accelerator_days_one_day_at_forty_percent() -> None:
    flops_one_day = 312e12 * 0.4 * 86_400
    assert accelerator_days(flops_one_day) == pytest.approx(1.0, rel=1e-15)
    assert accelerator_days(flops_one_day, "A100", 0.8) == pytest.approx(0.5, rel=1e-15)
    assert accelerator_days(flops_one_day, "H100", 0.4) == pytest.approx(312 / 989, rel=1e-15)


def test_accelerator_days_full_utilisation_allowed() -> None:
    assert accelerator_days(275e12 * 86_400, "TPUv4", 1.0) == pytest.approx(1.0, rel=1e-15)


def test_accelerator_days_arrays_and_zero() -> None:
    days = accelerator_days(np.array([0.0, 123e12 * 86_400]), "TPUv3", np.array([0.5, 0.5]))
    np.testing.assert_allclose(days, [0.0, 2.0], rtol=1e-15)


def test_custom_accelerator_instance() -> None:
    chip = Accelerator(name="test chip", peak_flops_per_s=1e12, source="made up for a test")
    assert accelerator_days(1e12 * 86_400, chip, 1.0) == pytest.approx(1.0, rel=1e-15)


def test_training_cost_usd_one_day() -> None:
    flops_one_day = 312e12 * 0.4 * 86_400
    assert training_cost_usd(flops_one_day, "A100", 0.4, 2.0) == pytest.approx(48.0, rel=1e-15)


def test_chinchilla_budget_cost_order_of_magnitude() -> None:
    # 5.88e23 FLOPs on A100s at 40 % MFU is about 54,500 GPU-days.
    days = accelerator_days(5.88e23, "A100", 0.4)
    assert days == pytest.approx(5.88e23 / (312e12 * 0.4) / 86_400, rel=1e-15)
    assert 5.4e4 < days < 5.5e4
    assert training_cost_usd(5.88e23, "A100", 0.4, 1.0) == pytest.approx(24 * days, rel=1e-15)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, -1.0, np.array([1e20, -1.0]), "lots"])
@pytest.mark.parametrize(
    "call",
    [
        flops_to_pf_days,
        accelerator_days,
        lambda flops: training_cost_usd(flops, "A100", 0.4, 2.0),
    ],
)
def test_bad_flops_rejected(call, bad) -> None:
    with pytest.raises(ValueError, match="flops"):
        call(bad)


@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf])
def test_bad_pf_days_rejected(bad) -> None:
    with pytest.raises(ValueError, match="pf_days"):
        pf_days_to_flops(bad)


def test_unknown_accelerator_suggests_closest() -> None:
    with pytest.raises(ValueError, match="unknown accelerator 'A10'.*did you mean 'A100'"):
        accelerator_days(1e20, "A10")
    with pytest.raises(ValueError, match="unknown accelerator"):
        training_cost_usd(1e20, "V100", 0.4, 2.0)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.01, 40.0, np.nan, np.array([0.4, 0.0])])
def test_mfu_outside_unit_interval_rejected(bad) -> None:
    with pytest.raises(ValueError, match="mfu"):
        accelerator_days(1e20, "A100", bad)
    with pytest.raises(ValueError, match="mfu"):
        training_cost_usd(1e20, "A100", bad, 2.0)


@pytest.mark.parametrize("bad", [0.0, -2.0, np.nan])
def test_bad_price_rejected(bad) -> None:
    with pytest.raises(ValueError, match="usd_per_hour"):
        training_cost_usd(1e20, "A100", 0.4, bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "x", "peak_flops_per_s": 0.0, "source": "s"}, "peak_flops_per_s"),
        ({"name": "x", "peak_flops_per_s": np.nan, "source": "s"}, "peak_flops_per_s"),
        ({"name": "x", "peak_flops_per_s": 1e12, "source": "  "}, "source"),
    ],
)
def test_accelerator_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Accelerator(**kwargs)


def test_flops_for_cost_inverts_training_cost():
    from chinchilla_utils.compute.cost import flops_for_cost_usd, training_cost_usd

    flops = flops_for_cost_usd(1e6, "H100", 0.4, 2.5)
    assert training_cost_usd(flops, "H100", 0.4, 2.5) == pytest.approx(1e6, rel=1e-12)
    # one H100-hour at 40% MFU: 989e12 * 0.4 * 3600 FLOPs for 2.5 dollars
    assert flops_for_cost_usd(2.5, "H100", 0.4, 2.5) == pytest.approx(989e12 * 0.4 * 3600)


@pytest.mark.parametrize("usd", [-1.0, float("nan"), float("inf")])
def test_flops_for_cost_rejects_bad_budget(usd):
    from chinchilla_utils.compute.cost import flops_for_cost_usd

    with pytest.raises(ValueError, match="usd"):
        flops_for_cost_usd(usd, "A100", 0.4, 2.0)


# --- issue 13: errors that name the argument and the fix -----------------------------------------


def test_mismatched_arrays_are_named() -> None:
    """Issue 13: mismatched arrays in training_cost_usd gave numpy's raw broadcast error."""
    from chinchilla_utils.compute.cost import flops_for_cost_usd

    flops = np.array([1e20, 2e20, 3e20])
    with pytest.raises(ValueError, match=r"flops \(3,\).*mfu \(2,\)") as info:
        training_cost_usd(flops, "A100", np.array([0.4, 0.5]), 2.0)
    assert "broadcast" in str(info.value) and "operands could not" not in str(info.value)
    with pytest.raises(ValueError, match=r"flops \(3,\).*usd_per_hour \(2,\)"):
        training_cost_usd(flops, "A100", 0.4, np.array([2.0, 3.0]))
    with pytest.raises(ValueError, match=r"flops \(3,\).*mfu \(2,\)"):
        accelerator_days(flops, "A100", np.array([0.4, 0.5]))
    with pytest.raises(ValueError, match=r"usd \(3,\).*usd_per_hour \(2,\)"):
        flops_for_cost_usd(np.array([1.0, 2.0, 3.0]), "A100", 0.4, np.array([2.0, 3.0]))


def test_broadcastable_arrays_still_broadcast() -> None:
    days = accelerator_days(np.array([[1e20], [2e20]]), "A100", np.array([0.4, 0.5]))
    assert days.shape == (2, 2)
    assert days[1, 0] == pytest.approx(2e20 / (312e12 * 0.4) / 86_400, rel=1e-15)
    costs = training_cost_usd(np.array([1e20, 2e20]), "H100", 0.4, np.array([2.0, 3.0]))
    np.testing.assert_allclose(
        costs, [1e20 / (989e12 * 0.4) / 3600 * 2, 2e20 / (989e12 * 0.4) / 3600 * 3], rtol=1e-15
    )


@pytest.mark.parametrize("spelling", ["a100", "A100", " a100 ", "a-100", "A 100"])
def test_accelerator_names_match_case_insensitively(spelling) -> None:
    """Issue 13: "a100" was answered with "did you mean 'H100'"."""
    assert accelerator_days(1e20, spelling) == accelerator_days(1e20, "A100")
    assert training_cost_usd(1e20, spelling, 0.4, 2.0) == training_cost_usd(1e20, "A100", 0.4, 2.0)


def test_accelerator_names_other_spellings() -> None:
    assert accelerator_days(1e20, "tpuv4") == accelerator_days(1e20, "TPUv4")
    assert accelerator_days(1e20, "TPU v3") == accelerator_days(1e20, "TPUv3")
    assert accelerator_days(1e20, "h100") == accelerator_days(1e20, "H100")
    with pytest.raises(ValueError, match=r"unknown accelerator 'a10'.*did you mean 'A100'"):
        accelerator_days(1e20, "a10")
    with pytest.raises(ValueError, match=r"unknown accelerator 'tpu v5'.*did you mean 'TPUv"):
        accelerator_days(1e20, "tpu v5")
    with pytest.raises(TypeError, match=r"accelerator must be a name .* or an Accelerator"):
        accelerator_days(1e20, 100)


@pytest.mark.parametrize(
    ("call", "result", "named"),
    [
        (lambda: pf_days_to_flops(1e300), "flops", "pf_days=1e+300"),
        (lambda: training_cost_usd(1e308, "A100", 0.4, 1e200), "usd", "usd_per_hour=1e+200"),
        (
            lambda: accelerator_days(1e308, Accelerator("slow", 1e-300, "a test"), 0.4),
            "days",
            "peak_flops_per_s=1e-300",
        ),
        (
            lambda: accelerator_days(np.array([1.0, 1e308]), Accelerator("slow", 1e-300, "t")),
            "days",
            "flops=array of shape (2,) (first at index (1,))",
        ),
    ],
)
def test_overflow_is_refused(call, result, named) -> None:
    """Issue 13: the budget conversions overflowed to inf without a word."""
    with pytest.raises(ValueError, match=rf"^{result} overflows float64") as info:
        call()
    assert named in str(info.value) and "no finite answer" in str(info.value)


def test_intermediate_overflow_is_computed_in_log_space() -> None:
    """Issue 13: a finite answer whose intermediate product overflows is still given."""
    from chinchilla_utils.compute.cost import flops_for_cost_usd

    slow = Accelerator(name="slow", peak_flops_per_s=1e-10, source="made up for a test")
    # 1e300 USD at 1e-5 USD/hour is 3.6e308 s (over float64's 1.8e308), times 1e-10 FLOP/s
    expected = 1e300 / 1e-5 * (3600 * 1e-10)
    assert flops_for_cost_usd(1e300, slow, 1.0, 1e-5) == pytest.approx(expected, rel=1e-12)
    # 1e300 FLOPs at 1e-10 FLOP/s is 1e310 s; at 1e-20 USD/hour it costs about 2.8e286 USD
    cost = training_cost_usd(1e300, slow, 1.0, 1e-20)
    assert cost == pytest.approx(1e300 * 1e-20 / 1e-10 / 3600, rel=1e-12)
    assert np.isfinite(cost)
