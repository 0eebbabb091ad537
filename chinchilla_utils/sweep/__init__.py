"""The laptop-scale training sweep: byte-level transformers trained on the Python stdlib.

Reading the shipped results needs no torch::

    from chinchilla_utils.sweep import load_sweep_runs, load_sweep_curves

Regenerating them does (``pip install chinchilla_utils[sweep]``)::

    python -m chinchilla_utils.sweep --plan book --jobs 2

Only :mod:`chinchilla_utils.sweep.train` imports torch, and only inside the worker processes.
Used by the Approach 1, 2 and 3 chapters.
"""

from .io import (
    CURVES_COLUMNS,
    RUNS_COLUMNS,
    SWEEP_DIR,
    load_sweep_curves,
    load_sweep_meta,
    load_sweep_runs,
    lr_calibration_summary,
    verify_sweep_files,
)

__all__ = [
    "CURVES_COLUMNS",
    "RUNS_COLUMNS",
    "SWEEP_DIR",
    "load_sweep_curves",
    "load_sweep_meta",
    "load_sweep_runs",
    "lr_calibration_summary",
    "verify_sweep_files",
]
