"""Compute budgets in the units people plan with: PF-days, accelerator-days and dollars.

Introduced in Chapter 1 (FLOPs budgeting) of the book, next to :mod:`chinchilla_utils.compute.flops`.
Kaplan et al. (2020) quote compute in PF-days (1 PF-day = 1e15 FLOP/s for a day = 8.64e19
FLOPs); Hoffmann et al. (2022) quote raw FLOPs. Turning FLOPs into time needs a peak rate
and a model FLOPs utilisation (MFU, the fraction of peak a training run sustains), and
into money an hourly price per accelerator, so each is a named, explicit argument.

Peak rates in :data:`ACCELERATORS` are the vendors' dense bf16 figures per chip; each entry
carries its source. NVIDIA's datasheets print the bf16 figure "with sparsity"; the dense
rate used here is half of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chinchilla_utils._validation import (
    _describe,
    as_finite,
    as_positive,
    as_scalar_or_array,
    check_choice,
)

PF_DAY_FLOPS: float = 1e15 * 86_400
"""FLOPs in one PF-day: 1e15 FLOP/s sustained for 86,400 s = 8.64e19 FLOPs."""

_SECONDS_PER_DAY = 86_400.0
_HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Accelerator:
    """One accelerator chip and its peak dense bf16 throughput.

    Attributes
    ----------
    name : str
        Human-readable name.
    peak_flops_per_s : float
        Peak dense bf16 matrix throughput per chip (FLOP/s).
    source : str
        Where the figure comes from (vendor datasheet or documentation).
    """

    name: str
    peak_flops_per_s: float
    source: str

    def __post_init__(self) -> None:
        peak = float(as_positive("peak_flops_per_s", self.peak_flops_per_s))
        object.__setattr__(self, "peak_flops_per_s", peak)
        if not str(self.source).strip():
            raise ValueError(f"source must cite where {self.name!r}'s peak rate comes from")


ACCELERATORS: dict[str, Accelerator] = {
    "TPUv3": Accelerator(
        name="Google TPU v3",
        peak_flops_per_s=123e12,
        source=(
            "Google Cloud TPU documentation, 'TPU v3' (cloud.google.com/tpu/docs/v3): "
            "123 TFLOP/s bf16 peak per chip"
        ),
    ),
    "TPUv4": Accelerator(
        name="Google TPU v4",
        peak_flops_per_s=275e12,
        source=(
            "Google Cloud TPU documentation, 'TPU v4' (cloud.google.com/tpu/docs/v4): "
            "275 TFLOP/s bf16 peak per chip"
        ),
    ),
    "A100": Accelerator(
        name="NVIDIA A100 (SXM)",
        peak_flops_per_s=312e12,
        source=(
            "NVIDIA A100 Tensor Core GPU datasheet: BF16 Tensor Core 312 TFLOPS dense "
            "(624 TFLOPS with structured sparsity)"
        ),
    ),
    "H100": Accelerator(
        name="NVIDIA H100 SXM",
        peak_flops_per_s=989e12,
        source=(
            "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM: BF16 Tensor Core 1,979 TFLOPS "
            "with structured sparsity, i.e. 989 TFLOPS dense"
        ),
    ),
}
"""Accelerators by key; the key is what :func:`accelerator_days` accepts."""


def _as_flops(flops: Any) -> np.ndarray:
    # Zero FLOPs is a legitimate (empty) budget, unlike a zero model size, so only
    # negatives are rejected here.
    arr = as_finite("flops", flops)
    if np.any(arr < 0):
        raise ValueError(f"flops must be non-negative, got {_describe(flops)}")
    return arr


def _as_pf_days(pf_days: Any) -> np.ndarray:
    arr = as_finite("pf_days", pf_days)
    if np.any(arr < 0):
        raise ValueError(f"pf_days must be non-negative, got {_describe(pf_days)}")
    return arr


def _as_mfu(mfu: Any) -> np.ndarray:
    arr = as_finite("mfu", mfu)
    # MFU is a fraction of peak: above 1 is impossible and 0 would mean infinite time.
    if np.any((arr <= 0) | (arr > 1)):
        raise ValueError(
            f"mfu must lie in (0, 1] (a fraction of peak throughput), got {_describe(mfu)}; "
            "write 40% as 0.4"
        )
    return arr


def _resolve_accelerator(accelerator: str | Accelerator) -> Accelerator:
    if isinstance(accelerator, Accelerator):
        return accelerator
    return ACCELERATORS[check_choice("accelerator", accelerator, ACCELERATORS)]


def flops_to_pf_days(flops: Any) -> float | np.ndarray:
    """Convert FLOPs (>= 0) to PF-days (1 PF-day = 8.64e19 FLOPs)."""
    return as_scalar_or_array(_as_flops(flops) / PF_DAY_FLOPS)


def pf_days_to_flops(pf_days: Any) -> float | np.ndarray:
    """Convert PF-days (>= 0) to FLOPs."""
    return as_scalar_or_array(_as_pf_days(pf_days) * PF_DAY_FLOPS)


def accelerator_days(
    flops: Any, accelerator: str | Accelerator = "A100", mfu: Any = 0.4
) -> float | np.ndarray:
    """Days one accelerator needs for ``flops`` at utilisation ``mfu``.

    Parameters
    ----------
    flops : float or array
        Training FLOPs, >= 0.
    accelerator : str or Accelerator
        A key of :data:`ACCELERATORS` ("TPUv3", "TPUv4", "A100", "H100") or an
        :class:`Accelerator` of your own.
    mfu : float or array
        Model FLOPs utilisation in (0, 1]; 0.4 is a typical well-tuned large run.

    Returns
    -------
    float or ndarray
        Accelerator-days (divide by the number of chips for wall-clock days).
    """
    arr = _as_flops(flops)
    chip = _resolve_accelerator(accelerator)
    util = _as_mfu(mfu)
    return as_scalar_or_array(arr / (chip.peak_flops_per_s * util) / _SECONDS_PER_DAY)


def training_cost_usd(
    flops: Any, accelerator: str | Accelerator, mfu: Any, usd_per_hour: Any
) -> float | np.ndarray:
    """Rental cost in US dollars of ``flops`` of training.

    Parameters
    ----------
    flops : float or array
        Training FLOPs, >= 0.
    accelerator : str or Accelerator
        As in :func:`accelerator_days`.
    mfu : float or array
        Model FLOPs utilisation in (0, 1].
    usd_per_hour : float or array
        Price of one accelerator for one hour (USD), > 0.

    Returns
    -------
    float or ndarray
        US dollars: accelerator-days x 24 x ``usd_per_hour``.
    """
    days = accelerator_days(flops, accelerator, mfu)
    price = as_positive("usd_per_hour", usd_per_hour)
    return as_scalar_or_array(np.asarray(days) * _HOURS_PER_DAY * price)


def flops_for_cost_usd(
    usd: Any, accelerator: str | Accelerator, mfu: Any, usd_per_hour: Any
) -> float | np.ndarray:
    """Training FLOPs that ``usd`` US dollars buy: the inverse of :func:`training_cost_usd`.

    Parameters
    ----------
    usd : float or array
        Budget in US dollars, >= 0.
    accelerator, mfu, usd_per_hour
        As in :func:`training_cost_usd`.

    Returns
    -------
    float or ndarray
        FLOPs.
    """
    dollars = as_finite("usd", usd)
    if np.any(dollars < 0):
        raise ValueError(f"usd must be >= 0, got {_describe(usd)}")
    price = as_positive("usd_per_hour", usd_per_hour)
    chip = _resolve_accelerator(accelerator)
    util = _as_mfu(mfu)
    seconds = dollars / price * 3600.0
    return as_scalar_or_array(seconds * chip.peak_flops_per_s * util)
