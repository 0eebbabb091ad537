"""Inference-aware sizing: the cheapest model that reaches a loss and then serves its users.

Sardana, Portes, Doubov and Frankle (2024), *Beyond Chinchilla-Optimal: Accounting for
Inference in Language Model Scaling Laws* (ICML 2024, arXiv:2401.00448): a model is trained
once, on ``D`` tokens, and then run on ``T`` tokens of inference over its lifetime. Training
costs ``6 N D`` FLOPs and inference ``2 N T`` (a forward pass is a third of a training step),
so the model that reaches a target loss ``l`` most cheaply minimises

    ``6 N D + 2 N T``  subject to  ``L(N, D) = l``

on a :class:`~chinchilla_utils.laws.ParametricLoss` ``L = E + A/N^alpha + B/D^beta``. With
``T = 0`` this is the Chinchilla optimum of the same loss, in closed form. With ``T > 0`` the
first-order condition, written with ``x = A/N^alpha`` and ``y = B/D^beta`` (the two loss terms,
``x + y = l - E``), is ``T = 3 D r`` where ``r = alpha x / (beta y) - 1``; along the iso-loss
curve ``y = alpha (l - E) / (alpha + beta (1 + r))``, so ``log T`` rises strictly with ``r``
from ``-inf`` to ``+inf`` and the optimum is the single root of a 1-D equation, found by
bracketed root-finding (tested against brute-force minimisation). Introduced in the
planning chapter of the book.

The cost-optimal variant (their Section 3) prices training and inference FLOPs differently
(accelerator, utilisation, hourly price; prompt tokens at the prefill utilisation, generated
tokens at the decode utilisation). Because both costs stay linear in ``N D`` and ``N T``, it is
the FLOP problem with the inference tokens weighted by the ratio of dollars per FLOP, and is
solved exactly the same way.

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, inference tokens in
tokens, FLOPs, losses in nats per token, money in US dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .._validation import _describe, as_finite, as_positive, as_scalar_or_array
from ..compute.cost import Accelerator, _resolve_accelerator, training_cost_usd
from ..laws import ParametricLoss

__all__ = [
    "CostAwareOptimum",
    "InferenceAwareOptimum",
    "IsoLossPoint",
    "ServingHardware",
    "TrainingHardware",
    "chinchilla_point_for_loss",
    "cost_optimal",
    "inference_optimal",
    "lifetime_flops",
    "min_params_for_loss",
    "tokens_for_loss",
]

#: FLOPs per parameter per training token (forward and backward) and per inference token.
TRAINING_FLOPS_PER_PARAM_TOKEN = 6.0
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0


# -- argument checks -----------------------------------------------------------------------
def _check_law(law: Any) -> ParametricLoss:
    if not isinstance(law, ParametricLoss):
        raise TypeError(
            f"law must be a ParametricLoss (it needs a loss surface L(N, D) to hold the loss "
            f"fixed), got {type(law).__name__}; a PowerLawFrontier gives N_opt(C) but no loss"
        )
    return law


def _check_loss(law: ParametricLoss, loss: Any) -> float:
    value = as_finite("loss", loss)
    if value.ndim != 0:
        raise ValueError(f"loss must be a single target loss in nats, got {_describe(loss)}")
    if float(value) <= law.E:
        raise ValueError(
            f"loss {float(value)!r} nats is at or below the law's irreducible loss E = {law.E:.6g}: "
            "no finite model reaches it; choose a target loss above E"
        )
    return float(value)


def _check_tokens(name: str, tokens: Any) -> float:
    value = as_finite(name, tokens)
    if value.ndim != 0:
        raise ValueError(f"{name} must be a single token count, got {_describe(tokens)}")
    if float(value) < 0:
        raise ValueError(
            f"{name} must be >= 0 (tokens served over the model's lifetime), got {tokens!r}"
        )
    return float(value)


def _target_loss(law: ParametricLoss, loss: Any, flops: Any) -> float:
    """The loss to hold fixed: given, or the Chinchilla-optimal loss of a training budget."""
    if (loss is None) == (flops is None):
        raise ValueError(
            "give exactly one of loss (a target in nats) or flops (a training budget whose "
            f"Chinchilla-optimal loss is the target), got loss={loss!r} and flops={flops!r}"
        )
    if loss is None:
        budget = as_positive("flops", flops)
        if budget.ndim != 0:
            raise ValueError(f"flops must be a single budget in FLOPs, got {_describe(flops)}")
        return _check_loss(law, law.loss_opt(float(budget)))
    return _check_loss(law, loss)


# -- the iso-loss curve --------------------------------------------------------------------
def min_params_for_loss(law: ParametricLoss, loss: float) -> float:
    """Fewest parameters that reach ``loss`` (nats) with unlimited data: ``(A/(l-E))^(1/alpha)``."""
    law = _check_law(law)
    target = _check_loss(law, loss)
    return float((law.A / (target - law.E)) ** (1.0 / law.alpha))


def tokens_for_loss(law: ParametricLoss, n_params: Any, loss: float) -> float | np.ndarray:
    """Training tokens that bring ``n_params`` parameters to ``loss`` nats (the iso-loss curve).

    ``D = (B / (l - E - A/N^alpha))^(1/beta)``. Sizes at or below :func:`min_params_for_loss`
    never reach the loss and are refused, naming the smallest admissible size.
    """
    law = _check_law(law)
    target = _check_loss(law, loss)
    n = as_positive("n_params", n_params)
    data_term = target - law.E - law.A / n**law.alpha
    if np.any(data_term <= 0):
        too_small = float(np.ravel(n)[np.ravel(data_term <= 0)][0])
        raise ValueError(
            f"n_params {too_small:.4g} cannot reach loss {target} nats with any amount of data; "
            f"every size must exceed {min_params_for_loss(law, target):.4g} parameters"
        )
    return as_scalar_or_array((law.B / data_term) ** (1.0 / law.beta))


def lifetime_flops(n_params: Any, n_tokens: Any, inference_tokens: Any) -> float | np.ndarray:
    """Training plus inference FLOPs, ``6 N D + 2 N T`` (parameters, tokens, tokens)."""
    n = as_positive("n_params", n_params)
    d = as_positive("n_tokens", n_tokens)
    t = as_finite("inference_tokens", inference_tokens)
    if np.any(t < 0):
        raise ValueError(f"inference_tokens must be >= 0, got {_describe(inference_tokens)}")
    return as_scalar_or_array(
        TRAINING_FLOPS_PER_PARAM_TOKEN * n * d + INFERENCE_FLOPS_PER_PARAM_TOKEN * n * t
    )


@dataclass(frozen=True)
class IsoLossPoint:
    """A model on an iso-loss curve: ``n_params`` parameters trained on ``n_tokens`` tokens."""

    n_params: float
    n_tokens: float
    loss: float

    @property
    def training_flops(self) -> float:
        """``6 N D`` FLOPs."""
        return TRAINING_FLOPS_PER_PARAM_TOKEN * self.n_params * self.n_tokens

    @property
    def tokens_per_param(self) -> float:
        """``D / N``."""
        return self.n_tokens / self.n_params

    def inference_flops(self, inference_tokens: float) -> float:
        """``2 N T`` FLOPs for ``inference_tokens`` tokens served."""
        return INFERENCE_FLOPS_PER_PARAM_TOKEN * self.n_params * float(inference_tokens)


def _point_on_curve(law: ParametricLoss, loss: float, r: float) -> IsoLossPoint:
    """The iso-loss point whose loss terms satisfy ``alpha x / (beta y) = 1 + r``."""
    excess = loss - law.E
    y = law.alpha * excess / (law.alpha + law.beta * (1.0 + r))
    x = excess - y
    return IsoLossPoint(
        n_params=float((law.A / x) ** (1.0 / law.alpha)),
        n_tokens=float((law.B / y) ** (1.0 / law.beta)),
        loss=loss,
    )


def chinchilla_point_for_loss(law: ParametricLoss, loss: float) -> IsoLossPoint:
    """The training-compute-optimal model of loss ``l`` (closed form).

    Minimising ``6 N D`` on ``L(N, D) = l`` gives ``alpha A/N^alpha = beta B/D^beta``, so
    ``N = (A (alpha+beta) / (beta (l-E)))^(1/alpha)`` and
    ``D = (B (alpha+beta) / (alpha (l-E)))^(1/beta)``: the point of the paper's frontier whose
    loss is ``l``.
    """
    law = _check_law(law)
    return _point_on_curve(law, _check_loss(law, loss), 0.0)


def _solve_ratio(law: ParametricLoss, loss: float, inference_tokens: float) -> float:
    """The ``r > 0`` with ``3 D(r) r = T`` (see the module docstring); ``log T`` rises with r."""
    log_t = np.log(inference_tokens)

    def excess(log_r: float) -> float:
        r = float(np.exp(log_r))
        return float(np.log(3.0 * _point_on_curve(law, loss, r).n_tokens) + log_r - log_t)

    lo, hi = -1.0, 1.0
    while excess(lo) > 0:
        lo -= 8.0
    while excess(hi) < 0:
        hi += 8.0
    return float(np.exp(brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)))


@dataclass(frozen=True)
class InferenceAwareOptimum:
    """The model of least lifetime FLOPs for a target loss and inference demand.

    Attributes
    ----------
    law : the loss law the optimum is computed on.
    inference_tokens : lifetime inference tokens ``T`` (for :func:`cost_optimal`, the
        cost-weighted equivalent; see :class:`CostAwareOptimum`).
    optimum : the inference-aware model (:class:`IsoLossPoint`).
    chinchilla : the training-compute-optimal model of the same loss, the baseline.
    """

    law: ParametricLoss
    inference_tokens: float
    optimum: IsoLossPoint
    chinchilla: IsoLossPoint

    @property
    def loss(self) -> float:
        """The target loss (nats) both models reach."""
        return self.optimum.loss

    def _total(self, point: IsoLossPoint) -> float:
        return point.training_flops + point.inference_flops(self.inference_tokens)

    @property
    def total_flops(self) -> float:
        """Lifetime FLOPs of the optimum, ``6 N D + 2 N T``."""
        return self._total(self.optimum)

    @property
    def chinchilla_total_flops(self) -> float:
        """Lifetime FLOPs of the Chinchilla-optimal model of the same loss."""
        return self._total(self.chinchilla)

    @property
    def flops_saved(self) -> float:
        """FLOPs the optimum saves against the Chinchilla baseline (>= 0)."""
        return self.chinchilla_total_flops - self.total_flops

    @property
    def saving_fraction(self) -> float:
        """``flops_saved / chinchilla_total_flops`` (0.17 is a 17% saving)."""
        return self.flops_saved / self.chinchilla_total_flops

    @property
    def n_params_ratio(self) -> float:
        """Optimum's parameters over the Chinchilla model's (< 1 when T > 0)."""
        return self.optimum.n_params / self.chinchilla.n_params

    @property
    def n_tokens_ratio(self) -> float:
        """Optimum's training tokens over the Chinchilla model's (> 1 when T > 0)."""
        return self.optimum.n_tokens / self.chinchilla.n_tokens


def inference_optimal(
    law: ParametricLoss,
    *,
    inference_tokens: float,
    loss: float | None = None,
    flops: float | None = None,
) -> InferenceAwareOptimum:
    """The (N, D) of least ``6 N D + 2 N T`` that reach a loss (Sardana et al. 2024).

    Parameters
    ----------
    law : a :class:`~chinchilla_utils.laws.ParametricLoss`.
    inference_tokens : lifetime inference tokens ``T`` (>= 0; prompt and generated tokens).
    loss : the target loss in nats (> ``law.E``); or
    flops : a training budget (FLOPs, > 0) whose Chinchilla-optimal model sets the target loss
        (the paper's framing: "a developer seeking to train a 13B model").

    Returns
    -------
    InferenceAwareOptimum with the optimum and the Chinchilla model of the same loss. For
    ``T = 0`` both are the same closed-form point.
    """
    law = _check_law(law)
    target = _target_loss(law, loss, flops)
    tokens = _check_tokens("inference_tokens", inference_tokens)
    chinchilla = _point_on_curve(law, target, 0.0)
    if tokens == 0:
        return InferenceAwareOptimum(law, tokens, chinchilla, chinchilla)
    optimum = _point_on_curve(law, target, _solve_ratio(law, target, tokens))
    return InferenceAwareOptimum(law, tokens, optimum, chinchilla)


# -- the cost-optimal variant ---------------------------------------------------------------
def _check_utilisation(name: str, value: Any) -> float:
    arr = as_finite(name, value)
    # a fraction of peak: above 1 is impossible and 0 would mean infinite time
    if arr.ndim != 0 or not 0 < float(arr) <= 1:
        raise ValueError(
            f"{name} must be one number in (0, 1] (a fraction of peak throughput), got "
            f"{_describe(value)}; write 40% as 0.4"
        )
    return float(arr)


def _check_price(usd_per_hour: Any) -> float:
    price = as_positive("usd_per_hour", usd_per_hour)
    if price.ndim != 0:
        raise ValueError(f"usd_per_hour must be one price, got {_describe(usd_per_hour)}")
    return float(price)


@dataclass(frozen=True)
class TrainingHardware:
    """Where the model is trained: accelerator, model FLOPs utilisation and hourly price.

    ``accelerator`` is a key of :data:`chinchilla_utils.compute.cost.ACCELERATORS` or an
    :class:`~chinchilla_utils.compute.cost.Accelerator` (e.g. an INT8 or FP8 peak of your own).
    """

    accelerator: str | Accelerator
    mfu: float
    usd_per_hour: float

    def __post_init__(self) -> None:
        _resolve_accelerator(self.accelerator)
        object.__setattr__(self, "mfu", _check_utilisation("mfu", self.mfu))
        object.__setattr__(self, "usd_per_hour", _check_price(self.usd_per_hour))

    @property
    def usd_per_flop(self) -> float:
        """US dollars per training FLOP at this utilisation."""
        return float(training_cost_usd(1.0, self.accelerator, self.mfu, self.usd_per_hour))


@dataclass(frozen=True)
class ServingHardware:
    """Where the model serves: accelerator, prefill and decode utilisation, hourly price.

    Prompt tokens run at ``prefill_mfu``, generated tokens at ``decode_mfu``; decoding one
    token at a time is memory-bound, so ``decode_mfu`` is typically far lower.
    """

    accelerator: str | Accelerator
    prefill_mfu: float
    decode_mfu: float
    usd_per_hour: float

    def __post_init__(self) -> None:
        _resolve_accelerator(self.accelerator)
        for name in ("prefill_mfu", "decode_mfu"):
            object.__setattr__(self, name, _check_utilisation(name, getattr(self, name)))
        object.__setattr__(self, "usd_per_hour", _check_price(self.usd_per_hour))

    def usd_per_flop(self, mfu: float) -> float:
        """US dollars per inference FLOP at utilisation ``mfu``."""
        return float(training_cost_usd(1.0, self.accelerator, mfu, self.usd_per_hour))


@dataclass(frozen=True)
class CostAwareOptimum:
    """The model of least lifetime dollars for a target loss and inference demand.

    Attributes
    ----------
    flop_problem : the equivalent FLOP problem, an :class:`InferenceAwareOptimum` whose
        ``inference_tokens`` are the cost-weighted tokens
        ``(prompt * usd_prefill + generated * usd_decode) / usd_train`` (per FLOP).
    prompt_tokens, generated_tokens : lifetime inference tokens (tokens).
    training, serving : the hardware and prices.
    """

    flop_problem: InferenceAwareOptimum
    prompt_tokens: float
    generated_tokens: float
    training: TrainingHardware
    serving: ServingHardware

    @property
    def optimum(self) -> IsoLossPoint:
        """The cost-optimal model."""
        return self.flop_problem.optimum

    @property
    def chinchilla(self) -> IsoLossPoint:
        """The training-compute-optimal model of the same loss."""
        return self.flop_problem.chinchilla

    @property
    def inference_tokens(self) -> float:
        """Prompt plus generated tokens."""
        return self.prompt_tokens + self.generated_tokens

    def training_usd(self, point: IsoLossPoint) -> float:
        """Dollars to train ``point``."""
        return point.training_flops * self.training.usd_per_flop

    def inference_usd(self, point: IsoLossPoint) -> float:
        """Dollars to serve the lifetime demand with ``point``."""
        prefill = point.inference_flops(self.prompt_tokens) * self.serving.usd_per_flop(
            self.serving.prefill_mfu
        )
        decode = point.inference_flops(self.generated_tokens) * self.serving.usd_per_flop(
            self.serving.decode_mfu
        )
        return prefill + decode

    def total_usd(self, point: IsoLossPoint) -> float:
        """Training plus inference dollars of ``point``."""
        return self.training_usd(point) + self.inference_usd(point)

    @property
    def usd_saved(self) -> float:
        """Dollars the optimum saves against the Chinchilla model of the same loss."""
        return self.total_usd(self.chinchilla) - self.total_usd(self.optimum)

    @property
    def saving_fraction(self) -> float:
        """``usd_saved`` over the Chinchilla model's lifetime dollars."""
        return self.usd_saved / self.total_usd(self.chinchilla)


def cost_optimal(
    law: ParametricLoss,
    *,
    prompt_tokens: float,
    generated_tokens: float,
    training: TrainingHardware,
    serving: ServingHardware,
    loss: float | None = None,
    flops: float | None = None,
) -> CostAwareOptimum:
    """The (N, D) of least lifetime dollars that reach a loss (Sardana et al. 2024, Section 3).

    Parameters
    ----------
    law : a :class:`~chinchilla_utils.laws.ParametricLoss`.
    prompt_tokens, generated_tokens : lifetime inference tokens (>= 0), run at the prefill
        and the decode utilisation of ``serving``.
    training, serving : :class:`TrainingHardware` and :class:`ServingHardware`.
    loss, flops : the target, as for :func:`inference_optimal`.

    Returns
    -------
    CostAwareOptimum; its ``flop_problem`` is the equivalent FLOP problem.
    """
    law = _check_law(law)
    prompt = _check_tokens("prompt_tokens", prompt_tokens)
    generated = _check_tokens("generated_tokens", generated_tokens)
    for name, value, kind in (
        ("training", training, TrainingHardware),
        ("serving", serving, ServingHardware),
    ):
        if not isinstance(value, kind):
            raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
    usd_train = training.usd_per_flop
    weighted = (
        prompt * serving.usd_per_flop(serving.prefill_mfu)
        + generated * serving.usd_per_flop(serving.decode_mfu)
    ) / usd_train
    flop_problem = inference_optimal(law, inference_tokens=weighted, loss=loss, flops=flops)
    return CostAwareOptimum(flop_problem, prompt, generated, training, serving)
