"""The laptop training sweep's shipped results, read without torch.

Introduced with Approach 1. The runs were trained by :mod:`chinchilla_utils.sweep` (which needs
torch); their CSVs ship in ``data/sweep/`` with a recipe, the machine and SHA-256 hashes
(``sweep_meta.json``). The loaders check those hashes (:func:`verify_sweep_files`) before they
read, so a changed or truncated file is refused with both hashes rather than fitted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from chinchilla_utils._validation import check_choice
from chinchilla_utils.datasets._files import DataChecksumError, data_dir, file_sha256, read_csv

#: ``data/sweep`` (shipped inside the package): the ``book`` plan's results.
SWEEP_DIR = data_dir() / "sweep"

RUNS_COLUMNS = (
    "plan",
    "run_id",
    "run_key",
    "budget",
    "seed",
    "shape",
    "n_layers",
    "d_model",
    "n_heads",
    "ffw_size",
    "n_params",
    "n_params_non_embedding",
    "n_steps",
    "batch_size",
    "seq_len",
    "n_tokens",
    "tokens_per_param",
    "flops_6nd",
    "flops_per_token_6n",
    "flops_per_token_exact",
    "flops_exact",
    "peak_lr",
    "warmup_steps",
    "final_train_loss",
    "final_val_loss",
    "n_val_windows",
    "wall_seconds",
    "cpu_seconds",
    "n_threads",
    "torch_version",
    "python_version",
)
CURVES_COLUMNS = (
    "plan",
    "run_id",
    "kind",
    "budget",
    "seed",
    "n_params",
    "step",
    "n_tokens",
    "flops",
    "flops_exact",
    "loss",
)


_REGENERATE = (
    "restore the shipped files from git (git checkout -- data/sweep/), or regenerate the "
    "folder with the sweep CLI (python -m chinchilla_utils.sweep)"
)


def _check_hashes(sweep_dir: Path) -> None:
    """Refuse a sweep folder whose CSVs are not the ones ``sweep_meta.json`` records."""
    checks = verify_sweep_files(sweep_dir)
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        recorded = load_sweep_meta(sweep_dir)["sha256"]
        listed = "; ".join(
            f"{sweep_dir / name} has SHA-256 {file_sha256(sweep_dir / name)}, expected "
            f"{recorded[name]}"
            for name in bad
        )
        raise DataChecksumError(
            f"{listed} (recorded in {sweep_dir / 'sweep_meta.json'}). They are not the files the "
            f"sweep wrote: {_REGENERATE}"
        )


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    _check_hashes(path.parent)
    frame = read_csv(path, fix=_REGENERATE)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks columns {missing}; regenerate it with the sweep CLI")
    return frame


def load_sweep_runs(sweep_dir: Path | str | None = None) -> pd.DataFrame:
    """One row per training run: budget (FLOPs), shape, n_params (all, and non-embedding),
    n_tokens, FLOPs (6ND and exact), peak LR, seed, final validation loss (nats/byte), timings."""
    sweep_dir = Path(sweep_dir) if sweep_dir is not None else SWEEP_DIR
    return _read(sweep_dir / "runs.csv", RUNS_COLUMNS)


def load_sweep_curves(sweep_dir: Path | str | None = None, kind: str = "train") -> pd.DataFrame:
    """Loss curves, one row per logged point (long format, Approach 1's input).

    ``kind="train"``: about 200 block-averaged training losses per run; ``"val"``: validation
    loss on fixed windows at 8 points of each run (the last is the run's final loss);
    ``"all"``: both. ``flops`` is ``6 N D`` at that point, ``flops_exact`` the Appendix F count.
    """
    check_choice("kind", kind, ("train", "val", "all"))
    sweep_dir = Path(sweep_dir) if sweep_dir is not None else SWEEP_DIR
    curves = _read(sweep_dir / "curves.csv", CURVES_COLUMNS)
    if kind != "all":
        curves = curves[curves["kind"] == kind].reset_index(drop=True)
    return curves


def load_sweep_meta(sweep_dir: Path | str | None = None) -> dict:
    """The sweep's provenance: plan, corpus hashes, machine, timings, file SHA-256s.

    Raises
    ------
    FileNotFoundError
        The folder has no ``sweep_meta.json`` (it was not written by the sweep CLI).
    """
    sweep_dir = Path(sweep_dir) if sweep_dir is not None else SWEEP_DIR
    meta = sweep_dir / "sweep_meta.json"
    if not meta.is_file():
        raise FileNotFoundError(
            f"{meta} is missing: a sweep folder holds the CSVs and the sweep_meta.json (with "
            f"their SHA-256) that the sweep CLI writes; {_REGENERATE}"
        )
    return json.loads(meta.read_text())


def verify_sweep_files(sweep_dir: Path | str | None = None) -> dict[str, bool]:
    """Whether each CSV's SHA-256 matches the one recorded in ``sweep_meta.json``.

    Each file is hashed once per process (again only if it changes on disk).
    """
    sweep_dir = Path(sweep_dir) if sweep_dir is not None else SWEEP_DIR
    recorded = load_sweep_meta(sweep_dir)["sha256"]
    return {name: file_sha256(sweep_dir / name) == digest for name, digest in recorded.items()}


def lr_calibration_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """The learning-rate search as evidence: one row per (width, rate), best rate flagged.

    ``runs`` is the ``lr_calibration`` plan's runs (the columns of ``runs.csv``); the result is
    what ``data/sweep/lr_calibration.csv`` holds and what ``plans.BOOK_PEAK_LR`` was frozen from:
    ``rule_lr`` is the width rule's rate and ``factor`` the multiple of it that was tried.
    """
    from chinchilla_utils.sweep.plans import width_rule_lr

    cols = ["d_model", "shape", "n_params", "budget", "n_steps", "peak_lr", "final_val_loss"]
    table = runs[cols].sort_values(["d_model", "peak_lr"]).reset_index(drop=True)
    table.insert(5, "rule_lr", [width_rule_lr(int(d)) for d in table["d_model"]])
    table.insert(7, "factor", (table["peak_lr"] / table["rule_lr"]).round(6))
    best = table.groupby("d_model")["final_val_loss"].transform("min")
    table["best"] = table["final_val_loss"] == best
    return table
