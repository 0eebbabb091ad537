"""Training curves of the laptop sweep as Approach 1's input, and what they show. Chapter 2.

:func:`chinchilla_utils.fitting.approach1.fit_approach1` takes a long table of logged points
(``run_id, n_params, n_tokens, loss, flops``). This module builds that table from the sweep's
``curves.csv`` and ``runs.csv`` under a named parameter-counting convention, and reads the
result back in the terms of the paper's Section 3.1:

* :func:`approach1_curves`: the input table, counting all parameters (the paper's convention,
  ``count_embeddings=True``) or only the non-embedding ones with ``C = 6 N D`` recomputed from
  that count (Kaplan et al. 2020's convention), with FLOPs counted as ``6 N D`` or by the
  paper's Appendix F (``flop_count``); optionally dropping the early part of every run;
* :func:`smooth_curves`: every run's loss smoothed exactly as
  :func:`~chinchilla_utils.fitting.approach1.fit_approach1` smooths it (``smooth=``), for
  figures and for the horizon comparison below;
* :func:`envelope_runs`: which runs form the envelope, over which FLOPs and tokens, and how far
  through their own training they were there (the paper's footnote 4: every selected point lies
  in the final 15% of its run);
* :func:`horizon_pairs`: the same model trained to two horizons, compared at equal tokens; the
  run whose cosine schedule ended there is better, which is why the paper sets each run's
  schedule to its own horizon and why intermediate points of a longer run are not optimal.

Units: ``n_params`` parameters, ``n_tokens`` tokens (bytes, in the sweep), ``flops`` training
FLOPs, ``loss`` nats per token (per byte in the sweep).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chinchilla_utils._validation import (
    as_finite,
    as_positive,
    check_choice,
    check_count,
    check_frame,
)

__all__ = [
    "APPROACH1_CURVE_COLUMNS",
    "ENVELOPE_RUN_COLUMNS",
    "FLOP_COUNTS",
    "HORIZON_PAIR_COLUMNS",
    "approach1_curves",
    "envelope_runs",
    "fraction_in_final_part",
    "horizon_pairs",
    "smooth_curves",
]

#: How the ``flops`` column of :func:`approach1_curves` is counted: ``"6nd"`` (6 N D with the
#: chosen N, the paper's budgets) or ``"appendix_f"`` (the curves' ``flops_exact``: the paper's
#: Appendix F applied to each shape, 1.3 to 1.8 times 6N per token at the sweep's sizes).
FLOP_COUNTS = ("6nd", "appendix_f")

#: Columns of :func:`approach1_curves`.
APPROACH1_CURVE_COLUMNS = (
    "run_id",
    "budget",
    "seed",
    "n_params",
    "n_tokens",
    "flops",
    "loss",
    "run_fraction",
)
#: Columns of :func:`envelope_runs`.
ENVELOPE_RUN_COLUMNS = (
    "run_id",
    "budget",
    "seed",
    "n_params",
    "n_points",
    "flops_from",
    "flops_to",
    "tokens_from",
    "tokens_to",
    "tokens_per_param_to",
    "run_fraction_from",
    "run_fraction_to",
)
#: Columns of :func:`horizon_pairs`.
HORIZON_PAIR_COLUMNS = (
    "n_params",
    "seed",
    "short_run_id",
    "long_run_id",
    "short_budget",
    "long_budget",
    "n_tokens",
    "loss_short_final",
    "loss_long_same_tokens",
    "gap",
)

_CURVE_REQUIRED = ("run_id", "n_params", "n_tokens", "loss")
_RUN_REQUIRED = ("run_id", "budget", "seed", "n_params", "n_params_non_embedding", "n_tokens")


def approach1_curves(
    curves: pd.DataFrame,
    runs: pd.DataFrame,
    count_embeddings: bool = True,
    start_fraction: float = 0.0,
    flop_count: str = "6nd",
) -> pd.DataFrame:
    """The sweep's logged training losses as the long table Approach 1 fits.

    Parameters
    ----------
    curves : one row per logged point (``load_sweep_curves()``): ``run_id``, ``n_params``,
        ``n_tokens`` (tokens seen so far), ``loss`` (nats per token).
    runs : one row per run (``load_sweep_runs()``): ``run_id``, ``budget`` (FLOPs), ``seed``,
        ``n_params``, ``n_params_non_embedding`` (parameters), ``n_tokens`` (the run's
        total tokens, its horizon).
    count_embeddings : True (the paper's convention): ``n_params`` counts every parameter and
        ``flops = 6 n_params n_tokens``. False (Kaplan et al. 2020's): ``n_params`` is the
        non-embedding count, and ``flops`` is recomputed as ``6 n_params n_tokens`` with it, so
        both axes of the fit change.
    start_fraction : keep only the points at or after this fraction of each run's horizon
        (0 keeps everything; 0.85 keeps the final 15%, where the paper's footnote 4 says all
        its selected points lie). In [0, 1).
    flop_count : ``"6nd"`` (default): ``flops = 6 n_params n_tokens``; ``"appendix_f"``: the
        curves' ``flops_exact`` column (FLOPs by the paper's Appendix F, which does not depend
        on what N counts), so only the FLOP axis changes.

    Returns
    -------
    DataFrame with columns :data:`APPROACH1_CURVE_COLUMNS`, sorted by run and tokens;
    ``run_fraction`` is ``n_tokens`` over the run's horizon.
    """
    check_frame("curves", curves, _CURVE_REQUIRED)
    check_frame("runs", runs, _RUN_REQUIRED)
    check_choice("flop_count", flop_count, FLOP_COUNTS)
    if flop_count == "appendix_f":
        check_frame("curves", curves, ("flops_exact",))
    if not isinstance(count_embeddings, (bool, np.bool_)):
        raise ValueError(f"count_embeddings must be True or False, got {count_embeddings!r}")
    start = float(as_finite("start_fraction", start_fraction))
    if not 0.0 <= start < 1.0:
        raise ValueError(f"start_fraction must be in [0, 1), got {start_fraction!r}")
    if runs["run_id"].duplicated().any():
        dup = runs.loc[runs["run_id"].duplicated(), "run_id"].tolist()
        raise ValueError(f"runs lists run_id(s) {dup[:5]} more than once")
    unknown = sorted(set(curves["run_id"]) - set(runs["run_id"]))
    if unknown:
        raise ValueError(f"curves has run(s) {unknown[:5]} that runs does not list")
    per_run = runs.set_index("run_id")
    ids = curves["run_id"]
    n_total = curves["n_params"].to_numpy(dtype=float)
    if not np.allclose(n_total, ids.map(per_run["n_params"]).to_numpy(dtype=float)):
        raise ValueError("curves and runs disagree on n_params for some run")
    n_params = (
        n_total if count_embeddings else ids.map(per_run["n_params_non_embedding"]).to_numpy(float)
    )
    n_tokens = curves["n_tokens"].to_numpy(dtype=float)
    horizon = ids.map(per_run["n_tokens"]).to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "run_id": ids.to_numpy(),
            "budget": ids.map(per_run["budget"]).to_numpy(dtype=float),
            "seed": ids.map(per_run["seed"]).to_numpy(),
            "n_params": n_params,
            "n_tokens": n_tokens,
            # 6ND with the chosen N: the FLOP axis moves with the counting convention.
            "flops": (
                6.0 * n_params * n_tokens
                if flop_count == "6nd"
                else as_positive("flops_exact", curves["flops_exact"].to_numpy(dtype=float))
            ),
            "loss": curves["loss"].to_numpy(dtype=float),
            "run_fraction": n_tokens / horizon,
        }
    )
    # A hair of slack so that start_fraction=0.85 keeps a point logged at exactly 85%.
    table = table[table["run_fraction"] >= start - 1e-12]
    return table.sort_values(["run_id", "n_tokens"]).reset_index(drop=True)[
        list(APPROACH1_CURVE_COLUMNS)
    ]


def _run_horizons(runs: pd.DataFrame) -> pd.DataFrame:
    return check_frame("runs", runs, _RUN_REQUIRED).set_index("run_id")


def envelope_runs(envelope: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that form an Approach 1 envelope, one row each, smallest first.

    Parameters
    ----------
    envelope : ``Approach1Result.envelope`` (or :func:`~chinchilla_utils.fitting.approach1.envelope_of_curves`'s output):
        ``flops``, ``run_id``, ``n_params``, ``n_tokens``, optional boolean ``fitted`` (only
        fitted points count when present).
    runs : the sweep's runs table (for each run's budget, seed and horizon in tokens).

    Returns
    -------
    DataFrame with columns :data:`ENVELOPE_RUN_COLUMNS`: the grid points each run wins
    (``n_points``), the FLOP and token range it holds the envelope over, the tokens per
    parameter at the end of that stretch, and how far through its own horizon the run was at
    the start and end of it (``run_fraction_*``; 1 = the run's last logged point).
    """
    check_frame("envelope", envelope, ("flops", "run_id", "n_params", "n_tokens"))
    per_run = _run_horizons(runs)
    points = envelope[envelope["fitted"]] if "fitted" in envelope.columns else envelope
    unknown = sorted(set(points["run_id"]) - set(per_run.index))
    if unknown:
        raise ValueError(f"envelope has run(s) {unknown[:5]} that runs does not list")
    rows = []
    for run_id, won in points.groupby("run_id", sort=False):
        horizon = float(per_run.loc[run_id, "n_tokens"])
        n_params = float(won["n_params"].iloc[0])
        rows.append(
            {
                "run_id": run_id,
                "budget": float(per_run.loc[run_id, "budget"]),
                "seed": per_run.loc[run_id, "seed"],
                "n_params": n_params,
                "n_points": int(len(won)),
                "flops_from": float(won["flops"].min()),
                "flops_to": float(won["flops"].max()),
                "tokens_from": float(won["n_tokens"].min()),
                "tokens_to": float(won["n_tokens"].max()),
                "tokens_per_param_to": float(won["n_tokens"].max()) / n_params,
                "run_fraction_from": float(won["n_tokens"].min()) / horizon,
                "run_fraction_to": float(won["n_tokens"].max()) / horizon,
            }
        )
    table = pd.DataFrame(rows, columns=list(ENVELOPE_RUN_COLUMNS))
    return table.sort_values(["n_params", "flops_from"]).reset_index(drop=True)


def fraction_in_final_part(
    envelope: pd.DataFrame, runs: pd.DataFrame, final_fraction: float = 0.15
) -> float:
    """Share of envelope points that lie in the final ``final_fraction`` of their own run.

    The paper's footnote 4 reports that all its selected points lie in the final 15% of their
    run. Only ``fitted`` points count when the column is present. Returns a fraction in [0, 1].
    """
    check_frame("envelope", envelope, ("run_id", "n_tokens"))
    part = float(as_finite("final_fraction", final_fraction))
    if not 0.0 < part <= 1.0:
        raise ValueError(f"final_fraction must be in (0, 1], got {final_fraction!r}")
    per_run = _run_horizons(runs)
    points = envelope[envelope["fitted"]] if "fitted" in envelope.columns else envelope
    if len(points) == 0:
        raise ValueError("envelope has no (fitted) points")
    fraction = points["n_tokens"].to_numpy(float) / points["run_id"].map(per_run["n_tokens"])
    # Interpolated token counts carry rounding; 1e-9 keeps a point exactly at the boundary.
    return float(np.mean(fraction.to_numpy(float) >= 1.0 - part - 1e-9))


def horizon_pairs(curves: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The same model and seed trained to two horizons, compared at the shorter one's end.

    For every model size and seed trained at two or more budgets, and every pair (shorter run,
    longer run): the shorter run's last logged loss, and the longer run's loss interpolated
    (linearly in log loss against log tokens) at the same number of tokens. The longer run's
    cosine schedule is then only part way down, so with the schedule set to each run's own
    horizon the gap ``loss_long_same_tokens - loss_short_final`` is expected to be positive:
    an intermediate point of a long run overstates the loss reachable with that compute.

    Parameters
    ----------
    curves : logged points with ``run_id``, ``n_params``, ``n_tokens``, ``loss``.
    runs : the runs table (``budget``, ``seed``, ``n_params`` per ``run_id``).

    Returns
    -------
    DataFrame with columns :data:`HORIZON_PAIR_COLUMNS` (``gap`` in nats), sorted by size,
    seed and budgets; empty (with those columns) when no size is trained at two budgets.
    """
    check_frame("curves", curves, _CURVE_REQUIRED)
    per_run = _run_horizons(runs)
    rows = []
    keys = runs[["run_id", "n_params", "seed", "budget"]].sort_values("budget")
    for (n_params, seed), group in keys.groupby(["n_params", "seed"], sort=True):
        ids = group["run_id"].tolist()
        for i, short_id in enumerate(ids):
            short = curves[curves["run_id"] == short_id].sort_values("n_tokens")
            if len(short) == 0:
                continue
            tokens = float(short["n_tokens"].iloc[-1])
            for long_id in ids[i + 1 :]:
                long = curves[curves["run_id"] == long_id].sort_values("n_tokens")
                if len(long) < 2 or not (
                    long["n_tokens"].iloc[0] <= tokens <= long["n_tokens"].iloc[-1]
                ):
                    continue
                log_loss = np.interp(
                    np.log(tokens),
                    np.log(long["n_tokens"].to_numpy(float)),
                    np.log(long["loss"].to_numpy(float)),
                )
                loss_long = float(np.exp(log_loss))
                loss_short = float(short["loss"].iloc[-1])
                rows.append(
                    {
                        "n_params": float(n_params),
                        "seed": seed,
                        "short_run_id": short_id,
                        "long_run_id": long_id,
                        "short_budget": float(per_run.loc[short_id, "budget"]),
                        "long_budget": float(per_run.loc[long_id, "budget"]),
                        "n_tokens": tokens,
                        "loss_short_final": loss_short,
                        "loss_long_same_tokens": loss_long,
                        "gap": loss_long - loss_short,
                    }
                )
    return pd.DataFrame(rows, columns=list(HORIZON_PAIR_COLUMNS))


def smooth_curves(curves: pd.DataFrame, window: int) -> pd.DataFrame:
    """Every run's loss smoothed as ``fit_approach1(..., smooth=window)`` smooths it.

    A centred moving average of the log loss over ``window`` logged points of the same run
    (in token order; shorter at the ends of the run, where fewer points exist), then
    exponentiated. The paper smooths its training curves before taking the envelope; the
    sweep's logged points are block averages over few bytes, so neighbours differ by noise
    of about 1.5% of the loss, and the envelope's minimum would otherwise pick lucky dips.

    Parameters
    ----------
    curves : one row per logged point with ``run_id``, ``n_tokens`` and ``loss`` (nats).
    window : points in the moving average (>= 1; 1 returns the curves unchanged).

    Returns
    -------
    A copy of ``curves`` sorted by run and tokens, with ``loss`` smoothed (nats).
    """
    check_frame("curves", curves, ("run_id", "n_tokens", "loss"))
    window = check_count("window", window, minimum=1)
    table = curves.sort_values(["run_id", "n_tokens"]).reset_index(drop=True)
    log_loss = np.log(as_positive("loss", table["loss"].to_numpy(dtype=float)))
    smoothed = (
        pd.Series(log_loss)
        .groupby(table["run_id"].to_numpy(), sort=False)
        .transform(lambda run: run.rolling(window, center=True, min_periods=1).mean())
    )
    table["loss"] = np.exp(smoothed.to_numpy())
    return table
