"""The sweep's plans: which shapes train at which FLOP budgets, with which learning rates.

``book`` is the sweep behind the book's Approach 1, 2 and 3 chapters; ``smoke`` is a handful of
tiny runs for CI; ``lr_calibration`` is the short search that froze ``BOOK_PEAK_LR``; ``kaplan``
trains the book's sizes once each on one long schedule, as Kaplan et al. (2020) did, for the
counting-conventions chapter.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

from chinchilla_utils._validation import as_positive, check_choice

from .model_shapes import SEQ_LEN, SweepShape, count_params, shape_from_width

#: Bump when anything that changes a run's numbers changes (model, optimiser, data sampling,
#: evaluation); it is part of every run's cache key.
RECIPE_VERSION = "sweep-v1"
BATCH_SIZE = 8
TOKENS_PER_STEP = BATCH_SIZE * SEQ_LEN

#: The size ladder: (layers, width), about 0.1 dex apart in N, depth growing with width.
LADDER: tuple[tuple[int, int], ...] = (
    (1, 16),
    (2, 16),
    (1, 24),
    (2, 24),
    (3, 24),
    (2, 32),
    (3, 32),
    (4, 32),
    (3, 40),
    (3, 48),
    (4, 48),
    (3, 64),
    (4, 64),
    (5, 64),
    (4, 80),
    (5, 80),
    (4, 96),
)

#: Budgets in FLOPs: about half a decade apart from 3e11 to 1e13 (1.5 decades).
BOOK_BUDGETS: tuple[float, ...] = (3e11, 1e12, 3e12, 1e13)
#: Budgets (FLOPs) that also run with a second seed, to show run-to-run noise.
BOOK_SECOND_SEED_BUDGETS: tuple[float, ...] = (1e12,)
#: Byte tokens are cheap: the optimum sits near D/N ~ 110, i.e. C ~ 660 N^2 (not 20 tokens/param).
CENTRE_FLOPS_PER_PARAM_SQUARED = 660.0
SIZES_PER_BUDGET = 6
SIZE_SPACING_DEX = 0.2

#: The learning-rate search: one shape per width, each at one budget (FLOPs), the smallest of
#: the book's budgets that trains it for at least 1,000 steps (short runs favour high rates).
LR_CALIBRATION_RUNS: tuple[tuple[int, int, float], ...] = (
    (2, 16, 3e11),
    (2, 24, 3e11),
    (2, 32, 3e11),
    (3, 40, 1e12),
    (3, 48, 1e12),
    (3, 64, 3e12),
    (5, 80, 3e12),
)
#: Rates tried per width, as multiples of the width rule.
LR_CALIBRATION_FACTORS = (0.5, 1.0, 2.0)
#: More rates beyond the grid's edge for the widths whose best rate sat on an edge (16, 24 and
#: 40 at 0.5x; 64 and 80 at 2x), added until every choice is bracketed by a worse rate on each
#: side. (40's 4x is from an earlier search at 3e11 FLOPs, where 2x was best.)
LR_CALIBRATION_EDGE_FACTORS: dict[int, tuple[float, ...]] = {
    16: (0.25,),
    24: (0.25,),
    40: (0.25, 4.0),
    64: (4.0,),
    80: (4.0,),
}

#: Peak learning rate per width, frozen from the calibration in
#: ``data/sweep/lr_calibration.csv``: the rate with the best final validation loss per width
#: (seed 0). See data/sweep/README.md for the caveats.
BOOK_PEAK_LR: dict[int, float] | None = {
    16: 0.01,
    24: 0.01,
    32: 0.018,
    40: 0.00576,
    48: 0.008,
    64: 0.009,
    80: 0.00576,
}


def width_rule_lr(d_model: int) -> float:
    """The starting rule for the peak learning rate: ``min(0.02, 0.018 (32/d)^2)``."""
    d_model = float(as_positive("d_model", d_model))
    return min(0.02, 0.018 * (32.0 / d_model) ** 2)


def ladder_shapes() -> list[SweepShape]:
    """The ladder's shapes, smallest first."""
    return sorted((shape_from_width(n, d) for n, d in LADDER), key=count_params)


def centre_params(budget: float) -> float:
    """Centre of a budget's sizes, N = sqrt(C / 660) parameters, for ``budget`` in FLOPs."""
    return math.sqrt(float(as_positive("budget", budget)) / CENTRE_FLOPS_PER_PARAM_SQUARED)


def shapes_for_budget(
    budget: float, n_sizes: int = SIZES_PER_BUDGET, spacing_dex: float = SIZE_SPACING_DEX
) -> list[SweepShape]:
    """``n_sizes`` distinct ladder shapes around ``centre_params(budget)``, ``spacing_dex`` apart.

    Each target size takes the nearest unused ladder rung (in log N), so the sizes stay distinct
    where the ladder is coarser than the spacing.
    """
    centre = math.log10(centre_params(budget))
    ladder = ladder_shapes()
    logs = [math.log10(count_params(s)) for s in ladder]
    chosen: list[int] = []
    for k in range(n_sizes):
        target = centre + (k - (n_sizes - 1) / 2) * spacing_dex
        order = sorted(range(len(ladder)), key=lambda i: (abs(logs[i] - target), i))
        chosen.append(next(i for i in order if i not in chosen))
    return [ladder[i] for i in sorted(chosen)]


def steps_for_budget(budget: float, n_params: int) -> int:
    """Optimizer steps for D = C / (6 N) tokens at ``TOKENS_PER_STEP`` tokens a step."""
    tokens = float(as_positive("budget", budget)) / (6.0 * n_params)
    return max(1, round(tokens / TOKENS_PER_STEP))


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run's numbers (plus the plan it is listed in)."""

    plan: str
    budget: float
    shape: SweepShape
    peak_lr: float
    seed: int
    n_steps: int
    n_val_windows: int = 256
    n_val_evals: int = 8
    n_curve_points: int = 200

    @property
    def run_id(self) -> str:
        """Readable identifier, e.g. ``C1.2e12_L3-d32-h2_s0`` (unique within a plan)."""
        budget = f"{self.budget:.2g}".replace("e+", "e")
        lr = f"_lr{self.peak_lr:.3g}" if self.plan == "lr_calibration" else ""
        return f"C{budget}_{self.shape.name}_s{self.seed}{lr}"

    def key(self, corpus_sha256: str, device: str = "cpu", n_threads: int = 1) -> str:
        """Cache key: a hash of everything that changes the run's numbers (not the plan name).

        The device and, on the CPU, torch's thread count change the numbers too (kernels sum
        in other orders); they enter the hash only when they are not the defaults (``"cpu"``,
        1 thread), so that the keys of runs made before these options existed are unchanged.
        """
        extra: dict[str, object] = {}
        if device != "cpu":
            extra["device"] = device
        elif n_threads != 1:
            extra["n_threads"] = n_threads
        payload = {
            **extra,
            "recipe": RECIPE_VERSION,
            "corpus": corpus_sha256,
            "shape": self.shape.as_dict(),
            "peak_lr": repr(float(self.peak_lr)),
            "seed": self.seed,
            "n_steps": self.n_steps,
            "batch": [BATCH_SIZE, SEQ_LEN],
            "val": [self.n_val_windows, self.n_val_evals],
            "curve_points": self.n_curve_points,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def peak_lr_for(d_model: int, table: dict[int, float] | None = None) -> float:
    """Peak LR for a width: the frozen table's entry when there is one, else the width rule."""
    table = BOOK_PEAK_LR if table is None else table
    if table and d_model in table:
        return table[d_model]
    return width_rule_lr(d_model)


def book_plan() -> list[RunSpec]:
    """The book's sweep: 6 sizes at each of 4 budgets, and a second seed at 1e12 FLOPs."""
    specs = []
    for budget in BOOK_BUDGETS:
        seeds = (0, 1) if budget in BOOK_SECOND_SEED_BUDGETS else (0,)
        for seed in seeds:
            for shape in shapes_for_budget(budget):
                steps = steps_for_budget(budget, count_params(shape))
                specs.append(
                    RunSpec("book", budget, shape, peak_lr_for(shape.d_model), seed, steps)
                )
    return specs


def lr_calibration_factors(d_model: int) -> tuple[float, ...]:
    """Multiples of the width rule searched for ``d_model``, smallest first."""
    extra = LR_CALIBRATION_EDGE_FACTORS.get(d_model, ())
    return tuple(sorted({*LR_CALIBRATION_FACTORS, *extra}))


def lr_calibration_plan() -> list[RunSpec]:
    """Peak rates around the width rule (0.5, 1 and 2 times, plus edge extensions) per width.

    The shapes and budgets are ``LR_CALIBRATION_RUNS``; a calibration run at the rate the book
    uses for the same shape and budget is the same run (same cache key) as the book's.
    """
    specs = []
    for n_layers, d_model, budget in LR_CALIBRATION_RUNS:
        shape = shape_from_width(n_layers, d_model)
        steps = steps_for_budget(budget, count_params(shape))
        for factor in lr_calibration_factors(d_model):
            lr = width_rule_lr(d_model) * factor
            specs.append(RunSpec("lr_calibration", budget, shape, lr, 0, steps))
    return specs


def smoke_plan() -> list[RunSpec]:
    """Four tiny runs (two sizes, two budgets) for CI: seconds on one core."""
    specs = []
    for budget in (5e9, 1e10):
        for layers, width in ((1, 16), (1, 24)):
            shape = shape_from_width(layers, width)
            steps = steps_for_budget(budget, count_params(shape))
            specs.append(
                RunSpec(
                    "smoke",
                    budget,
                    shape,
                    width_rule_lr(width),
                    0,
                    steps,
                    n_val_windows=32,
                    n_val_evals=4,
                    n_curve_points=50,
                )
            )
    return specs


#: Sizes of the ``kaplan`` plan: the book plan's sizes nearest to this many log-even targets
#: from its smallest to its largest (about 0.2 dex apart, 9.3k to 416k parameters).
KAPLAN_N_SIZES = 9
#: One horizon for every size (Kaplan et al. trained every model for the same number of steps):
#: 10,000 steps of 1,024 bytes, about the book plan's compute-optimal token count at its top
#: budget (D/N near 67 at 1e13 FLOPs gives D near 1.06e7 bytes).
KAPLAN_STEPS = 10_000
#: Validation checkpoints per run, evenly spaced (every 250 steps): each is later used as if it
#: were a finished run, which is Kaplan et al.'s practice that the Chinchilla paper corrects.
KAPLAN_VAL_EVALS = 40


def kaplan_shapes(n_sizes: int = KAPLAN_N_SIZES) -> list[SweepShape]:
    """``n_sizes`` of the book plan's shapes, nearest (in log N) to log-even targets, smallest first.

    The targets run from the book plan's smallest to its largest size, so the plan covers the
    same range of sizes with about half as many.
    """
    if int(n_sizes) < 2:
        raise ValueError(f"n_sizes must be at least 2, got {n_sizes!r}")
    book = sorted({s.shape for s in book_plan()}, key=count_params)
    logs = [math.log10(count_params(s)) for s in book]
    step = (logs[-1] - logs[0]) / (int(n_sizes) - 1)
    chosen = set()
    for k in range(int(n_sizes)):
        target = logs[0] + k * step
        order = sorted(range(len(book)), key=lambda i: (abs(logs[i] - target), i))
        chosen.add(next(i for i in order if i not in chosen))
    return [book[i] for i in sorted(chosen)]


def kaplan_plan() -> list[RunSpec]:
    """Kaplan et al.'s practice on the laptop: one long cosine schedule per size, same horizon.

    Every size of :func:`kaplan_shapes` trains once, seed 0, for ``KAPLAN_STEPS`` steps with the
    book's recipe and peak rates (only the horizon differs), and logs validation loss at
    ``KAPLAN_VAL_EVALS`` checkpoints. A run's ``budget`` is the FLOPs (6ND) of its whole horizon.
    Chinchilla (Section 2) points out that a checkpoint at ``D' < D`` tokens overstates the loss
    of a run whose schedule ends at ``D'``; using the checkpoints as if they were finished runs
    is what this plan is for.
    """
    tokens = KAPLAN_STEPS * TOKENS_PER_STEP
    return [
        RunSpec(
            "kaplan",
            6.0 * count_params(shape) * tokens,
            shape,
            peak_lr_for(shape.d_model),
            0,
            KAPLAN_STEPS,
            n_val_evals=KAPLAN_VAL_EVALS,
        )
        for shape in kaplan_shapes()
    ]


# --- the large plan: budgets to 1e15 FLOPs, for a cluster or a GPU (never run in CI) ---------

#: Budgets in FLOPs (6ND): the book's half-decade grid continued for two more decades.
LARGE_BUDGETS: tuple[float, ...] = (3e13, 1e14, 3e14, 1e15)
#: Where the large plan centres its sizes: the frontier N_opt = k C^a (parameters, C in FLOPs)
#: that Approach 2 fits to the shipped book sweep (seed 0, all four budgets accepted), frozen
#: here and checked against a fresh fit by the tests. At 1e15 FLOPs it predicts 2.2M
#: parameters, against 1.2M from the book's fixed ratio ``centre_params``.
LARGE_CENTRE_COEFFICIENT = 6.095e-3
LARGE_CENTRE_EXPONENT = 0.5701
#: Rungs above the book's ladder (layers, width), about 0.1 dex apart up to 8.0M parameters.
LARGE_LADDER_EXTENSION: tuple[tuple[int, int], ...] = (
    (5, 96),
    (5, 112),
    (6, 112),
    (6, 128),
    (8, 128),
    (7, 160),
    (8, 176),
    (9, 192),
    (10, 208),
    (10, 240),
    (10, 256),
)
#: Peak LR of widths the calibration did not reach, as a multiple of the width rule: the two
#: widest calibrated widths (64 and 80) both chose 2x (data/sweep/lr_calibration.csv).
LARGE_LR_FACTOR_BEYOND_TABLE = 2.0


def large_centre_params(budget: float) -> float:
    """The large plan's predicted optimum, ``k C^a`` parameters, for ``budget`` in FLOPs."""
    budget = float(as_positive("budget", budget))
    return LARGE_CENTRE_COEFFICIENT * budget**LARGE_CENTRE_EXPONENT


def large_ladder_shapes() -> list[SweepShape]:
    """The book's ladder and ``LARGE_LADDER_EXTENSION``, smallest first."""
    rungs = (*LADDER, *LARGE_LADDER_EXTENSION)
    return sorted((shape_from_width(n, d) for n, d in rungs), key=count_params)


def nearest_ladder_shapes(
    centre_n_params: float, ladder: list[SweepShape], n_sizes: int, spacing_dex: float
) -> list[SweepShape]:
    """``n_sizes`` distinct shapes of ``ladder`` around ``centre_n_params``, ``spacing_dex`` apart.

    Each target size takes the nearest unused rung (in log N), as ``shapes_for_budget`` does
    for the book.
    """
    centre = math.log10(float(as_positive("centre_n_params", centre_n_params)))
    if n_sizes > len(ladder):
        raise ValueError(f"n_sizes {n_sizes} exceeds the ladder's {len(ladder)} shapes")
    logs = [math.log10(count_params(s)) for s in ladder]
    chosen: list[int] = []
    for k in range(n_sizes):
        target = centre + (k - (n_sizes - 1) / 2) * spacing_dex
        order = sorted(range(len(ladder)), key=lambda i: (abs(logs[i] - target), i))
        chosen.append(next(i for i in order if i not in chosen))
    return [ladder[i] for i in sorted(chosen)]


def large_peak_lr(d_model: int) -> float:
    """The frozen book rate for a calibrated width, else ``LARGE_LR_FACTOR_BEYOND_TABLE`` x rule."""
    if BOOK_PEAK_LR and d_model in BOOK_PEAK_LR:
        return BOOK_PEAK_LR[d_model]
    return LARGE_LR_FACTOR_BEYOND_TABLE * width_rule_lr(d_model)


def large_plan() -> list[RunSpec]:
    """Six sizes 0.2 dex apart around ``large_centre_params`` at each of ``LARGE_BUDGETS``.

    24 runs, seed 0, the book's recipe and evaluation; 1.36M optimizer steps in all (see
    data/sweep/README.md for its cost in CPU- and GPU-hours). Never run in CI.
    """
    ladder = large_ladder_shapes()
    specs = []
    for budget in LARGE_BUDGETS:
        centre = large_centre_params(budget)
        for shape in nearest_ladder_shapes(centre, ladder, SIZES_PER_BUDGET, SIZE_SPACING_DEX):
            steps = steps_for_budget(budget, count_params(shape))
            specs.append(RunSpec("large", budget, shape, large_peak_lr(shape.d_model), 0, steps))
    return specs


PLANS = {
    "book": book_plan,
    "smoke": smoke_plan,
    "lr_calibration": lr_calibration_plan,
    "large": large_plan,
    "kaplan": kaplan_plan,
}


def get_plan(name: str) -> list[RunSpec]:
    """The named plan's runs: one of :data:`PLANS` (``"book"``, ``"smoke"``, ``"lr_calibration"``,
    ``"large"``, ``"kaplan"``)."""
    check_choice("plan", name, PLANS)
    return PLANS[name]()
