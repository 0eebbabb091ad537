"""Sizing a training run beyond "20 tokens per parameter" (library layer).

- :mod:`~chinchilla_utils.planning.inference`: the model of least lifetime FLOPs (or dollars)
  for a target loss and an expected inference demand (Sardana et al. 2024);
- :mod:`~chinchilla_utils.planning.data_constrained`: the value of repeated epochs and excess
  parameters, and the best allocation when unique data are capped (Muennighoff et al. 2023);
- :mod:`~chinchilla_utils.planning.sweep_design`: placing the sizes of an IsoFLOP sweep, and
  the interval and bias of Approach 2's exponents such a design should expect;
- :mod:`~chinchilla_utils.planning.named_laws`: the published laws by name, and a law fitted
  to your own runs.

The ``chinchilla`` command line (:mod:`chinchilla_utils.cli`) is a thin layer over these.
"""

from .data_constrained import DataConstrainedLaw, DataConstrainedOptimum, decayed_count
from .inference import (
    CostAwareOptimum,
    InferenceAwareOptimum,
    IsoLossPoint,
    ServingHardware,
    TrainingHardware,
    chinchilla_point_for_loss,
    cost_optimal,
    inference_optimal,
    lifetime_flops,
    min_params_for_loss,
    tokens_for_loss,
)
from .named_laws import LAW_NAMES, law_from_runs, named_law
from .sweep_design import (
    RepeatNoise,
    SweepPlan,
    SweepSimulation,
    compare_sweep_designs,
    describe_design,
    plan_isoflop_sweep,
    recentre_design,
    repeat_noise,
    simulate_isoflop_sweep,
)

__all__ = [
    "LAW_NAMES",
    "CostAwareOptimum",
    "DataConstrainedLaw",
    "DataConstrainedOptimum",
    "InferenceAwareOptimum",
    "IsoLossPoint",
    "RepeatNoise",
    "ServingHardware",
    "SweepPlan",
    "SweepSimulation",
    "TrainingHardware",
    "chinchilla_point_for_loss",
    "compare_sweep_designs",
    "cost_optimal",
    "decayed_count",
    "describe_design",
    "inference_optimal",
    "law_from_runs",
    "lifetime_flops",
    "min_params_for_loss",
    "named_law",
    "plan_isoflop_sweep",
    "recentre_design",
    "repeat_noise",
    "simulate_isoflop_sweep",
    "tokens_for_loss",
]
