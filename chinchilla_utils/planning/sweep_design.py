"""Designing an IsoFLOP sweep before paying for it: where to put the sizes, and how sure the
resulting exponents will be.

Approach 2 (:mod:`chinchilla_utils.fitting.approach2`) fits a parabola of loss against
``ln N`` at each budget and a power law through the vertices. Its answer depends on the design:
a parabola whose vertex falls outside the sampled sizes is refused; a grid that is off-centre,
or so wide that the iso-FLOP profile is no longer parabolic, moves the vertices
systematically (the effect that Open-Athena's scaling-law analysis measures); and noise on
the losses spreads the fitted exponent ``a`` of ``N_opt ∝ C^a``.

:func:`plan_isoflop_sweep` places the sizes around a prior law's optimum and checks that every
noise-free parabola has its vertex inside them. :func:`simulate_isoflop_sweep` draws runs of any
design from the law with a stated multiplicative noise on the loss
(as :mod:`chinchilla_utils.fitting.synthetic` draws them, ``loss * exp(noise * z)``), refits
Approach 2 each time with :func:`~chinchilla_utils.fitting.approach2.fit_approach2`, and
reports the interval and the bias of ``a`` and ``b``. :func:`describe_design` says where each
budget's sizes sit relative to the prior optimum, :func:`recentre_design` moves them onto it,
:func:`compare_sweep_designs` tabulates
several designs side by side, and :func:`repeat_noise` measures the noise level to simulate
from runs repeated with another seed. Introduced in the planning chapter of the book.

Units: budgets in FLOPs (``C = 6 N D``), sizes in parameters, losses in nats, widths and
offsets in dex (orders of magnitude, log10).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import as_finite, as_positive, check_frame
from ..fitting.approach2 import ParabolaError, fit_approach2, fit_isoflop_parabola
from ..fitting.errors import FitError
from ..fitting.synthetic import _loss_noise, synthetic_isoflop_points
from ..laws import ParametricLoss

__all__ = [
    "DESIGN_COLUMNS",
    "RepeatNoise",
    "SweepPlan",
    "SweepSimulation",
    "compare_sweep_designs",
    "describe_design",
    "plan_isoflop_sweep",
    "recentre_design",
    "repeat_noise",
    "simulate_isoflop_sweep",
]

#: Columns of :attr:`SweepPlan.design` (``describe_design`` adds its own per budget).
DESIGN_COLUMNS = ("budget", "n_params", "n_tokens", "predicted_loss", "dex_from_opt")

#: Fewest sizes that determine a parabola (as in Approach 2).
MIN_SIZES = 3


def _check_law(law: Any) -> ParametricLoss:
    if not isinstance(law, ParametricLoss):
        raise TypeError(
            f"law must be a ParametricLoss (runs are simulated from its loss surface), got "
            f"{type(law).__name__}"
        )
    return law


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class SweepPlan:
    """Sizes for an IsoFLOP sweep, centred on a prior law's optimum.

    Attributes
    ----------
    design : one row per run, columns :data:`DESIGN_COLUMNS`: ``budget`` (FLOPs),
        ``n_params``, ``n_tokens`` (``C / 6N``), ``predicted_loss`` (nats, the law's) and
        ``dex_from_opt`` (``log10(N / N_opt(C))``).
    law : the prior law.
    n_sizes, half_width_dex, centre_offset_dex : the design's settings.
    noise_free_a : Approach 2's ``a`` on the design's exact losses: the design's own
        systematic error, before any noise (the law's true value is ``law.a``).
    """

    design: pd.DataFrame
    law: ParametricLoss
    n_sizes: int
    half_width_dex: float
    centre_offset_dex: float | tuple[float, ...]
    noise_free_a: float

    @property
    def n_runs(self) -> int:
        """Runs in the design."""
        return len(self.design)


def plan_isoflop_sweep(
    law: ParametricLoss,
    budgets: Any,
    n_sizes: int = 7,
    half_width_dex: float = 0.5,
    centre_offset_dex: float = 0.0,
) -> SweepPlan:
    """Place ``n_sizes`` log-spaced sizes per budget around the prior optimum.

    Parameters
    ----------
    law : the prior :class:`~chinchilla_utils.laws.ParametricLoss` (a published law, or a
        fit to a pilot sweep).
    budgets : at least two training budgets (FLOPs, > 0, distinct).
    n_sizes : sizes per budget (>= 3, a parabola's minimum).
    half_width_dex : sizes span ``N_opt * 10^[-w, +w]`` (dex, > 0).
    centre_offset_dex : shift of the grid's centre from ``N_opt`` (dex), one for all budgets
        or one per budget (in ascending budget order); each must stay inside the half-width
        so that the optimum is sampled.

    Raises
    ------
    ValueError : bad settings, or a design in which some budget's noise-free parabola has its
        vertex outside the sampled sizes (the message names the budget).
    """
    law = _check_law(law)
    flops = np.ravel(as_positive("budgets", budgets))
    if np.unique(flops).size < 2 or np.unique(flops).size != flops.size:
        raise ValueError(
            f"budgets must hold at least 2 distinct budgets (one power law needs two vertices), "
            f"got {flops.tolist()}"
        )
    sizes = _check_count("n_sizes", n_sizes, MIN_SIZES)
    width = float(as_positive("half_width_dex", half_width_dex))
    offset = as_finite("centre_offset_dex", centre_offset_dex)
    if offset.ndim > 1 or offset.size not in (1, flops.size):
        raise ValueError(
            f"centre_offset_dex must be one number or one per budget ({flops.size}), got "
            f"shape {offset.shape}"
        )
    if np.any(np.abs(offset) >= width):
        raise ValueError(
            f"centre_offset_dex {offset.tolist()} puts the prior optimum outside the sampled "
            f"sizes (half_width_dex {width}): every parabola's vertex must be interior; use "
            "|centre_offset_dex| < half_width_dex"
        )
    points = synthetic_isoflop_points(
        law, np.sort(flops), sizes, half_width_dex=width, centre_offset_dex=offset
    )
    for budget, group in points.groupby("budget"):
        try:
            fit_isoflop_parabola(group["n_params"], group["loss"], budget=float(budget))
        except ParabolaError as err:
            raise ValueError(
                f"this design cannot locate the optimum at {float(budget):.3g} FLOPs even "
                f"without noise ({err.reason}); narrow or re-centre the grid"
            ) from err
    design = pd.DataFrame(
        {
            "budget": points["budget"],
            "n_params": points["n_params"],
            "n_tokens": points["n_tokens"],
            "predicted_loss": points["loss"],
            # rounded so that a size on the optimum reads 0, not 1e-16
            "dex_from_opt": np.round(
                np.log10(points["n_params"] / law.n_opt(points["budget"].to_numpy())), 12
            ),
        }
    )
    noise_free = fit_approach2(design, loss="predicted_loss")
    offsets = float(offset) if offset.ndim == 0 else tuple(float(v) for v in offset)
    return SweepPlan(design, law, sizes, width, offsets, float(noise_free.a))


def _check_design(design: Any) -> pd.DataFrame:
    frame = check_frame("design", design, ("budget", "n_params"))
    budgets = as_positive("design budget", frame["budget"].to_numpy(dtype=float))
    sizes = as_positive("design n_params", frame["n_params"].to_numpy(dtype=float))
    return pd.DataFrame({"budget": budgets, "n_params": sizes})


def describe_design(design: Any, law: ParametricLoss) -> pd.DataFrame:
    """Where each budget's sizes sit relative to the law's optimum.

    Parameters
    ----------
    design : a frame with ``budget`` (FLOPs) and ``n_params`` columns, one row per run (a
        :class:`SweepPlan` design, or a real sweep's runs).
    law : the law whose optimum ``N_opt(C)`` the sizes are compared with.

    Returns
    -------
    One row per budget: ``budget``, ``n_runs``, ``n_sizes`` (distinct), ``n_min``, ``n_max``
    (parameters), ``span_dex`` (``log10(n_max / n_min)``), ``n_opt`` (the law's),
    ``centre_offset_dex`` (geometric centre of the sizes minus ``log10 n_opt``) and
    ``opt_position`` (where ``n_opt`` falls in ``[n_min, n_max]`` on a log scale: 0.5 is
    centred, outside ``[0, 1]`` is not sampled).
    """
    law = _check_law(law)
    runs = _check_design(design)
    rows = []
    for budget, group in runs.groupby("budget", sort=True):
        log_n = np.log10(group["n_params"].to_numpy())
        lo, hi = float(log_n.min()), float(log_n.max())
        log_opt = float(np.log10(law.n_opt(float(budget))))
        rows.append(
            {
                "budget": float(budget),
                "n_runs": int(len(group)),
                "n_sizes": int(np.unique(log_n).size),
                "n_min": 10**lo,
                "n_max": 10**hi,
                "span_dex": hi - lo,
                "n_opt": 10**log_opt,
                "centre_offset_dex": 0.5 * (lo + hi) - log_opt,
                "opt_position": (log_opt - lo) / (hi - lo) if hi > lo else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def recentre_design(design: Any, law: ParametricLoss) -> pd.DataFrame:
    """The same sizes, scaled per budget so that their geometric centre is the law's optimum.

    Keeps each budget's spacing and span (and any repeated runs); only the grid's position
    moves. Comparing a design with its re-centred copy shows what the placement costs.

    Returns
    -------
    A frame with ``budget`` (FLOPs) and ``n_params`` (parameters), one row per input row.
    """
    runs = _check_design(design)
    offsets = describe_design(runs, law).set_index("budget")["centre_offset_dex"]
    shift = runs["budget"].map(offsets).to_numpy()
    return runs.assign(n_params=runs["n_params"].to_numpy() * 10.0 ** (-shift))


@dataclass(frozen=True)
class SweepSimulation:
    """Approach 2 refitted on many simulated runs of one design.

    Attributes
    ----------
    samples : one row per simulation: ``a``, ``b``, ``n_opt`` (the fitted frontier's size at
        ``reference_flops``; NaN where the refit failed) and ``n_budgets_refused`` (parabolas
        refused in that simulation).
    true_a : the law's exponent ``beta / (alpha + beta)``.
    noise_free_a : Approach 2's ``a`` on the design's exact losses.
    noise : standard deviation of the log-loss noise (dimensionless).
    n_simulations : simulations drawn.
    reference_flops : the budget at which ``n_opt`` is read (FLOPs).
    true_n_opt, noise_free_n_opt : the law's ``N_opt`` there, and the noise-free refit's.
    """

    samples: pd.DataFrame
    true_a: float
    noise_free_a: float
    noise: float
    n_simulations: int
    reference_flops: float
    true_n_opt: float
    noise_free_n_opt: float

    def _finite(self, column: str) -> np.ndarray:
        values = self.samples[column].to_numpy(dtype=float)
        return values[np.isfinite(values)]

    @property
    def n_failed(self) -> int:
        """Simulations with fewer than two accepted parabolas (no exponent; counted, kept)."""
        return int(self.n_simulations - self._finite("a").size)

    def interval(self, column: str = "a", low: float = 10, high: float = 90) -> tuple[float, float]:
        """The (low, high) percentiles of ``a``, ``b`` or ``n_opt`` over successful simulations."""
        if column not in ("a", "b", "n_opt"):
            raise ValueError(f"column must be 'a', 'b' or 'n_opt', got {column!r}")
        values = self._finite(column)
        if values.size == 0:
            raise FitError(
                f"none of the {self.n_simulations} simulated sweeps gave an Approach 2 fit",
                reason="all simulations failed",
            )
        return float(np.percentile(values, low)), float(np.percentile(values, high))

    def width(self, column: str = "a") -> float:
        """Width of the 10-90% interval of ``a`` or ``b`` (for ``n_opt``: in dex)."""
        lo, hi = self.interval(column)
        return float(np.log10(hi / lo)) if column == "n_opt" else hi - lo

    @property
    def a_p10(self) -> float:
        """10th percentile of the refitted ``a``."""
        return self.interval("a")[0]

    @property
    def a_p90(self) -> float:
        """90th percentile of the refitted ``a``."""
        return self.interval("a")[1]

    @property
    def a_width(self) -> float:
        """``a_p90 - a_p10``: the 10-90% width of ``a`` the design should expect."""
        return self.width("a")

    @property
    def a_median(self) -> float:
        """Median of the refitted ``a``."""
        return float(np.median(self._finite("a")))

    @property
    def a_bias(self) -> float:
        """Median refitted ``a`` minus the law's ``a``: systematic plus noise-induced error."""
        return self.a_median - self.true_a

    @property
    def a_systematic(self) -> float:
        """``noise_free_a - true_a``: the design's error with no noise at all."""
        return self.noise_free_a - self.true_a

    @property
    def n_opt_bias_dex(self) -> float:
        """``log10`` of the median refitted ``N_opt`` over the law's, at ``reference_flops``."""
        return float(np.log10(np.median(self._finite("n_opt")) / self.true_n_opt))

    def summary(self) -> dict[str, float]:
        """The numbers a design table shows, as plain floats."""
        return {
            "a_p10": self.a_p10,
            "a_p50": self.a_median,
            "a_p90": self.a_p90,
            "a_width": self.a_width,
            "b_width": self.width("b"),
            "a_bias": self.a_bias,
            "a_systematic": self.a_systematic,
            "true_a": self.true_a,
            "n_opt_width_dex": self.width("n_opt"),
            "n_opt_bias_dex": self.n_opt_bias_dex,
            "n_failed": float(self.n_failed),
        }


def simulate_isoflop_sweep(
    design: Any,
    law: ParametricLoss,
    noise: float,
    n_simulations: int = 200,
    rng: np.random.Generator | None = None,
    reference_flops: float | None = None,
) -> SweepSimulation:
    """Expected spread and bias of Approach 2's exponents for a design.

    Each simulation draws every run's loss from ``law`` times ``exp(noise * z)`` (``z``
    standard normal, independent per run) and refits Approach 2; a refit with fewer than two
    accepted parabolas is a failure, kept as a NaN row.

    Parameters
    ----------
    design : a frame with ``budget`` (FLOPs) and ``n_params`` columns, one row per run
        (repeated sizes are repeated runs, e.g. a second seed).
    law : the prior law the runs are drawn from.
    noise : standard deviation of the log-loss noise (>= 0; 0.01 is about 1% of the loss).
    n_simulations : simulated sweeps (>= 1).
    rng : a seeded ``numpy.random.Generator`` (required when ``noise > 0``).
    reference_flops : budget (FLOPs) at which to read each refit's ``N_opt``; default the
        design's largest budget.
    """
    law = _check_law(law)
    runs = _check_design(design)
    count = _check_count("n_simulations", n_simulations, 1)
    sigma = float(as_finite("noise", noise))
    if sigma < 0:
        raise ValueError(f"noise must be >= 0 (a standard deviation of log loss), got {noise!r}")
    ref = float(runs["budget"].max() if reference_flops is None else reference_flops)
    ref = float(as_positive("reference_flops", ref))
    exact = np.asarray(law.loss(runs["n_params"], runs["budget"] / (6 * runs["n_params"])))
    frame = runs.assign(loss=exact)
    try:
        noise_free = fit_approach2(frame)
    except FitError as err:
        raise ValueError(
            f"this design cannot measure the law's frontier even without noise ({err}); "
            "place each budget's sizes around the optimum (describe_design shows where it is)"
        ) from err
    failed = {"a": np.nan, "b": np.nan, "n_opt": np.nan, "n_budgets_refused": np.nan}
    rows = []
    for _ in range(count):
        frame["loss"] = exact * _loss_noise(rng, sigma, exact.size)
        try:
            fit = fit_approach2(frame)
        except FitError:  # fewer than two accepted parabolas: no exponent, a NaN row
            rows.append(failed)
            continue
        rows.append(
            {
                "a": fit.a,
                "b": fit.b,
                "n_opt": float(fit.n_fit.predict(ref)),
                "n_budgets_refused": float(fit.n_budgets_refused),
            }
        )
    return SweepSimulation(
        samples=pd.DataFrame(rows, columns=list(failed)),
        true_a=float(law.a),
        noise_free_a=float(noise_free.a),
        noise=sigma,
        n_simulations=count,
        reference_flops=ref,
        true_n_opt=float(law.n_opt(ref)),
        noise_free_n_opt=float(noise_free.n_fit.predict(ref)),
    )


def compare_sweep_designs(
    law: ParametricLoss,
    budgets: Any,
    designs: Iterable[Mapping[str, Any]],
    noise: float,
    n_simulations: int = 200,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Plan and simulate several designs on the same budgets; one row per design.

    Parameters
    ----------
    law, budgets : as for :func:`plan_isoflop_sweep`.
    designs : keyword sets for :func:`plan_isoflop_sweep` (``n_sizes``, ``half_width_dex``,
        ``centre_offset_dex``), e.g. ``[{"n_sizes": k} for k in range(3, 12, 2)]``.
    noise, n_simulations, rng : as for :func:`simulate_isoflop_sweep` (one generator, drawn
        from in order, so the table is reproducible from its seed).

    Returns
    -------
    Columns ``n_sizes``, ``half_width_dex``, ``centre_offset_dex``, ``n_runs`` and the keys of
    :meth:`SweepSimulation.summary`.
    """
    rows = []
    for settings in designs:
        if not isinstance(settings, Mapping):
            raise ValueError(f"each design must be a dict of plan settings, got {settings!r}")
        plan = plan_isoflop_sweep(law, budgets, **settings)
        sim = simulate_isoflop_sweep(plan.design, law, noise, n_simulations, rng)
        rows.append(
            {
                "n_sizes": plan.n_sizes,
                "half_width_dex": plan.half_width_dex,
                "centre_offset_dex": plan.centre_offset_dex,
                "n_runs": plan.n_runs,
                **sim.summary(),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RepeatNoise:
    """Run-to-run noise of the log loss, pooled over groups of repeated runs.

    Attributes
    ----------
    sigma : pooled standard deviation of ``ln(loss)`` within groups (dimensionless; 0.01 is
        about 1% of the loss), the ``noise`` :func:`simulate_isoflop_sweep` takes.
    n_groups : groups with at least two runs.
    n_runs : runs in those groups.
    """

    sigma: float
    n_groups: int
    n_runs: int

    @property
    def dof(self) -> int:
        """Degrees of freedom of the pooled variance, ``n_runs - n_groups``."""
        return self.n_runs - self.n_groups


def repeat_noise(
    runs: Any, loss_col: str = "loss", by: tuple[str, ...] = ("budget", "n_params")
) -> RepeatNoise:
    """Pooled within-group spread of ``ln(loss)`` over runs repeated with the same ``by`` values.

    Parameters
    ----------
    runs : one row per run (e.g. the laptop sweep's ``runs.csv``).
    loss_col : the loss column (nats).
    by : columns whose equal values mark repeats of one configuration (budget and size; the
        seed is what differs).

    Raises
    ------
    ValueError : missing columns, non-positive losses, or no configuration run twice.
    """
    frame = check_frame("runs", runs, (*by, loss_col))
    log_loss = np.log(as_positive(loss_col, frame[loss_col].to_numpy(dtype=float)))
    groups = frame.assign(_log_loss=log_loss).groupby(list(by))["_log_loss"]
    sizes = groups.size()
    repeated = sizes[sizes >= 2]
    if repeated.empty:
        raise ValueError(
            f"runs has no configuration ({', '.join(by)}) run more than once, so the run-to-run "
            "noise cannot be measured; repeat a few runs with another seed"
        )
    squares = groups.apply(lambda v: float(((v - v.mean()) ** 2).sum()))[repeated.index]
    n_runs, n_groups = int(repeated.sum()), int(repeated.size)
    return RepeatNoise(float(np.sqrt(squares.sum() / (n_runs - n_groups))), n_groups, n_runs)
