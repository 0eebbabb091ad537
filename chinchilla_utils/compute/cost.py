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

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np

from chinchilla_utils._validation import (
    _describe,
    as_finite,
    as_positive,
    as_scalar_or_array,
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


def _key(name: str) -> str:
    # "a100", "A 100", "tpu-v4" and "TPUv4" name the same chip: compare without case or spacing.
    return "".join(ch for ch in name.casefold() if ch not in " -_")


def _resolve_accelerator(accelerator: str | Accelerator) -> Accelerator:
    if isinstance(accelerator, Accelerator):
        return accelerator
    if not isinstance(accelerator, str):
        raise TypeError(
            f"accelerator must be a name (one of {list(ACCELERATORS)}, in any case) or an "
            f"Accelerator, got {type(accelerator).__name__}: {accelerator!r}"
        )
    by_key = {_key(name): name for name in ACCELERATORS}
    if _key(accelerator) in by_key:
        return ACCELERATORS[by_key[_key(accelerator)]]
    # Unknown: suggest by the normalised spelling, so "a10" gets 'A100', not 'H100'.
    close = difflib.get_close_matches(_key(accelerator), list(by_key), n=1)
    hint = f" (did you mean {by_key[close[0]]!r}?)" if close else ""
    raise ValueError(
        f"unknown accelerator {accelerator!r}{hint}; choose one of {list(ACCELERATORS)} "
        "(in any case), or pass an Accelerator of your own"
    )


def _broadcast(**arrays: np.ndarray) -> None:
    """Refuse arguments that numpy cannot combine elementwise, naming each array and its shape."""
    try:
        np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        listed = ", ".join(f"{k} {np.shape(a)}" for k, a in arrays.items() if np.ndim(a) > 0)
        raise ValueError(
            f"the array arguments do not broadcast together: {listed}; pass scalars, or arrays "
            "of one shape (one value per budget), or shapes numpy can broadcast"
        ) from None


_LOG_MAX_FLOAT = float(np.log(np.finfo(float).max))


def _finite_result(
    what: str,
    direct: np.ndarray,
    numerators: dict[str, Any],
    denominators: dict[str, Any],
) -> np.ndarray:
    """``direct``, with entries that overflowed recomputed in log space, or an error.

    ``direct`` is ``prod(numerators) / prod(denominators)`` computed in the natural order (exact
    in the usual range); names starting with ``_`` are unit conversions, left out of the error. Where an intermediate product overflowed although the answer is
    finite, the answer is ``exp(sum(log(numerators)) - sum(log(denominators)))`` (relative error
    about 1e-13). Where the answer itself exceeds float64 there is none to give: ValueError.
    """
    direct = np.asarray(direct, dtype=float)
    overflowed = ~np.isfinite(direct)
    if not overflowed.any():
        return direct
    with np.errstate(divide="ignore"):  # log(0) = -inf, exp(-inf) = 0: a zero budget stays 0
        log_value = sum(np.log(np.asarray(v, dtype=float)) for v in numerators.values()) - sum(
            np.log(np.asarray(v, dtype=float)) for v in denominators.values()
        )
    log_value = np.broadcast_to(log_value, direct.shape)
    too_large = overflowed & (log_value > _LOG_MAX_FLOAT)
    if too_large.any():
        where = ""
        if direct.ndim:
            where = f" (first at index {tuple(int(i) for i in np.argwhere(too_large)[0])})"
        inputs = ", ".join(
            f"{k}={float(v):g}" if np.ndim(v) == 0 else f"{k}=array of shape {np.shape(v)}{where}"
            for k, v in {**numerators, **denominators}.items()
            if not k.startswith("_")  # a unit conversion, not the caller's argument
        )
        raise ValueError(
            f"{what} overflows float64 (above 1.8e308) for {inputs}; no finite answer exists: "
            "pass smaller budgets or prices (or work in log space yourself)"
        )
    return np.where(overflowed, np.exp(log_value), direct)


def flops_to_pf_days(flops: Any) -> float | np.ndarray:
    """Convert FLOPs (>= 0) to PF-days (1 PF-day = 8.64e19 FLOPs)."""
    return as_scalar_or_array(_as_flops(flops) / PF_DAY_FLOPS)


def pf_days_to_flops(pf_days: Any) -> float | np.ndarray:
    """Convert PF-days (>= 0) to FLOPs.

    Raises
    ------
    ValueError
        For negative or non-finite ``pf_days``, or FLOPs beyond float64 (``pf_days`` > 2e288).
    """
    days = _as_pf_days(pf_days)
    with np.errstate(over="ignore"):
        flops = days * PF_DAY_FLOPS
    flops = _finite_result("flops", flops, {"pf_days": days, "_flops_per_pf_day": PF_DAY_FLOPS}, {})
    return as_scalar_or_array(flops)


def _days(flops: Any, accelerator: str | Accelerator, mfu: Any) -> tuple:
    """Checked inputs and the accelerator-days, computed directly (may hold inf: see callers)."""
    arr = _as_flops(flops)
    chip = _resolve_accelerator(accelerator)
    util = _as_mfu(mfu)
    _broadcast(flops=arr, mfu=util)
    with np.errstate(over="ignore"):
        days = arr / (chip.peak_flops_per_s * util) / _SECONDS_PER_DAY
    return arr, chip, util, days


def accelerator_days(
    flops: Any, accelerator: str | Accelerator = "A100", mfu: Any = 0.4
) -> float | np.ndarray:
    """Days one accelerator needs for ``flops`` at utilisation ``mfu``.

    Parameters
    ----------
    flops : float or array
        Training FLOPs, >= 0.
    accelerator : str or Accelerator
        A key of :data:`ACCELERATORS` ("TPUv3", "TPUv4", "A100", "H100"; matched without
        regard to case, spaces or hyphens, so "a100" and "TPU v4" work) or an
        :class:`Accelerator` of your own.
    mfu : float or array
        Model FLOPs utilisation in (0, 1]; 0.4 is a typical well-tuned large run.

    Returns
    -------
    float or ndarray
        Accelerator-days (divide by the number of chips for wall-clock days).

    Raises
    ------
    ValueError
        Negative or non-finite ``flops``, ``mfu`` outside (0, 1], an unknown accelerator (with
        the closest name), arrays that do not broadcast together (each named with its shape),
        or a result beyond float64 (an intermediate overflow with a finite answer is computed
        in log space instead).
    TypeError
        An ``accelerator`` that is neither a name nor an :class:`Accelerator`.
    """
    arr, chip, util, days = _days(flops, accelerator, mfu)
    numerators = {"flops": arr}
    denominators = {"peak_flops_per_s": chip.peak_flops_per_s, "mfu": util, "_s_per_day": 86_400.0}
    return as_scalar_or_array(_finite_result("days", days, numerators, denominators))


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

    Raises
    ------
    ValueError, TypeError
        As in :func:`accelerator_days`, and for a ``usd_per_hour`` that is not > 0.
    """
    arr, chip, util, days = _days(flops, accelerator, mfu)
    price = as_positive("usd_per_hour", usd_per_hour)
    _broadcast(flops=arr, mfu=util, usd_per_hour=price)
    with np.errstate(over="ignore", invalid="ignore"):
        usd = np.asarray(days) * _HOURS_PER_DAY * price
    numerators = {"flops": arr, "usd_per_hour": price}
    denominators = {"peak_flops_per_s": chip.peak_flops_per_s, "mfu": util, "_s_per_hour": 3600.0}
    return as_scalar_or_array(_finite_result("usd", usd, numerators, denominators))


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
    _broadcast(usd=dollars, mfu=util, usd_per_hour=price)
    with np.errstate(over="ignore", invalid="ignore"):
        seconds = dollars / price * 3600.0
        flops = seconds * chip.peak_flops_per_s * util
    numerators = {"usd": dollars, "_s_per_hour": 3600.0, "peak_flops_per_s": chip.peak_flops_per_s}
    numerators["mfu"] = util
    return as_scalar_or_array(_finite_result("flops", flops, numerators, {"usd_per_hour": price}))
