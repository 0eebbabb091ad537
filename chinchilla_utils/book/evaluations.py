"""Head-to-head comparisons of two models' evaluation scores (chapter 6, Gopher versus Chinchilla).

The paper compares Chinchilla with Gopher task by task (Tables 6-10, A5-A7) and
summarises each suite by how many tasks Chinchilla wins, ties and loses, and by
an average. This module does that bookkeeping from the printed per-task tables:

* :func:`task_outcomes` / :func:`win_tie_loss`: the outcome of every task, with a
  tie tolerance, for scores where higher is better (accuracy, in percent) or lower
  is better (bits per byte, toxicity).
* :func:`compare_models`: one row per task (both scores, the difference, the outcome)
  from a wide table such as ``tablea6_mmlu_tasks``; :func:`count_outcomes` sums it.
* :func:`mean_vs_printed`: the plain mean of the per-task values beside the
  average the paper prints, and their difference (the paper's Gopher MMLU and
  Chinchilla BIG-bench averages do not follow from its own per-task tables).
* :func:`scores_wide` / :func:`tidy_scores`: reshape between the long layout
  (one row per model and setting) and the wide one (one column per model).
* :func:`plot_task_differences`, :func:`plot_paired_scores`, :func:`plot_grouped_scores`:
  the figures of chapter 6.

Column names follow the reference CSVs: a model's score column is
``<model><value_suffix>``, e.g. ``chinchilla_accuracy_pct`` or
``gopher_bits_per_byte``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_finite, check_choice, check_same_shape

OUTCOMES = ("win", "tie", "loss")
"""Outcome labels, always from the first model's point of view."""

# Differences of printed one-decimal values carry binary round-off
# (70.4 - 69.9 = 0.50000000000000711); without this slack a tolerance of exactly
# 0.5 points would call that pair a win instead of a tie.
_ROUND_OFF = 1e-9

MODEL_LABELS: dict[str, str] = {
    "chinchilla": "Chinchilla",
    "gopher": "Gopher",
    "gpt3": "GPT-3",
    "mt_nlg_530b": "MT-NLG 530B",
    "jurassic1": "Jurassic-1",
    "supervised_sota": "Supervised SOTA",
    "sota_open_book": "Open-book SOTA",
}
"""Display names for the model prefixes used in the reference CSV column names."""

MODEL_COLORS: dict[str, str] = {
    "Chinchilla": "#1f77b4",
    "Gopher": "#d62728",
    "GPT-3": "#7f7f7f",
    "MT-NLG 530B": "#9467bd",
    "Jurassic-1": "#8c564b",
    "Supervised SOTA": "#2ca02c",
    "Open-book SOTA": "#2ca02c",
}
"""One colour per model, shared by every chapter-6 figure."""

OUTCOME_COLORS: dict[str, str] = {"win": "#1f77b4", "tie": "#bcbd22", "loss": "#d62728"}
_PLURAL = {"win": "wins", "tie": "ties", "loss": "losses"}


@dataclass(frozen=True)
class WinTieLoss:
    """Counts of tasks the first model wins, ties and loses against the second.

    ``tie_tolerance`` is in the units of the scores (percentage points for
    accuracies, bits per byte for the Pile); ``higher_is_better`` says which
    direction counted as a win.
    """

    wins: int
    ties: int
    losses: int
    tie_tolerance: float
    higher_is_better: bool

    @property
    def n_tasks(self) -> int:
        """Number of tasks compared."""
        return self.wins + self.ties + self.losses

    def as_dict(self) -> dict[str, int]:
        """The three counts and their total, as plain ints (ready to glue)."""
        return {
            "wins": self.wins,
            "ties": self.ties,
            "losses": self.losses,
            "n_tasks": self.n_tasks,
        }


@dataclass(frozen=True)
class MeanCheck:
    """A per-task mean recomputed from a table, beside the average the paper prints.

    ``difference`` is ``computed - printed`` in the units of the scores
    (percentage points for accuracies).
    """

    computed: float
    printed: float
    difference: float
    n_values: int

    def matches(self, decimals: int = 1) -> bool:
        """Whether the computed mean, rounded to ``decimals``, equals the printed value."""
        return bool(round(self.computed, decimals) == round(self.printed, decimals))


def _check_tolerance(tie_tolerance: Any) -> float:
    tol = as_finite("tie_tolerance", tie_tolerance)
    if tol.ndim != 0 or tol < 0:
        raise ValueError(
            f"tie_tolerance must be a single number >= 0 (in the units of the scores), "
            f"got {tie_tolerance!r}"
        )
    return float(tol)


def task_outcomes(
    scores_a: Sequence[float] | np.ndarray,
    scores_b: Sequence[float] | np.ndarray,
    tie_tolerance: float = 0.0,
    higher_is_better: bool = True,
) -> np.ndarray:
    """Outcome of each task for model A against model B: ``"win"``, ``"tie"`` or ``"loss"``.

    A task is a tie when ``|score_a - score_b| <= tie_tolerance`` (same units as
    the scores: percentage points for accuracies, bits per byte for the Pile);
    otherwise model A wins when its score is better, i.e. higher when
    ``higher_is_better`` (accuracy) and lower when not (bits per byte, toxicity).

    Scores must be finite and of the same shape: drop tasks one model lacks
    first (see :func:`compare_models` with ``drop_missing=True``).
    """
    a = as_finite("scores_a", scores_a)
    b = as_finite("scores_b", scores_b)
    check_same_shape(scores_a=a, scores_b=b)
    tol = _check_tolerance(tie_tolerance)
    if not isinstance(higher_is_better, bool | np.bool_):
        raise ValueError(f"higher_is_better must be True or False, got {higher_is_better!r}")
    advantage = (a - b) if higher_is_better else (b - a)
    outcome = np.where(advantage > 0, "win", "loss").astype(object)
    outcome[np.abs(advantage) <= tol + _ROUND_OFF] = "tie"
    return outcome


def win_tie_loss(
    scores_a: Sequence[float] | np.ndarray,
    scores_b: Sequence[float] | np.ndarray,
    tie_tolerance: float = 0.0,
    higher_is_better: bool = True,
) -> WinTieLoss:
    """Count the tasks model A wins, ties and loses against model B (see :func:`task_outcomes`)."""
    outcome = task_outcomes(scores_a, scores_b, tie_tolerance, higher_is_better)
    return WinTieLoss(
        wins=int(np.sum(outcome == "win")),
        ties=int(np.sum(outcome == "tie")),
        losses=int(np.sum(outcome == "loss")),
        tie_tolerance=_check_tolerance(tie_tolerance),
        higher_is_better=bool(higher_is_better),
    )


def _score_column(table: pd.DataFrame, model: str, value_suffix: str) -> str:
    column = f"{model}{value_suffix}"
    if column not in table.columns:
        models = [c[: -len(value_suffix)] for c in table.columns if c.endswith(value_suffix)]
        check_choice("model", model, models)
    return column


def compare_models(
    table: pd.DataFrame,
    model_a: str = "chinchilla",
    model_b: str = "gopher",
    value_suffix: str = "_accuracy_pct",
    id_columns: Sequence[str] = ("task",),
    tie_tolerance: float = 0.0,
    higher_is_better: bool = True,
    drop_missing: bool = False,
) -> pd.DataFrame:
    """One row per task: both models' scores, their difference and model A's outcome.

    ``table`` is wide, with a column ``<model><value_suffix>`` per model (the
    layout of ``tablea6_mmlu_tasks.csv``, ``tablea5_pile_bpb.csv``...). Returns
    the ``id_columns`` then ``score_a``, ``score_b``, ``difference``
    (``score_a - score_b``, in the units of the scores), ``relative_difference``
    (``difference / score_b``) and ``outcome`` (see :func:`task_outcomes`).

    Rows where either score is missing (the paper prints no value) raise a
    ``ValueError`` unless ``drop_missing`` is true, in which case they are left out.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    id_columns = list(id_columns)
    for col in id_columns:
        check_choice("id column", col, list(table.columns))
    col_a = _score_column(table, model_a, value_suffix)
    col_b = _score_column(table, model_b, value_suffix)
    out = table[id_columns].copy()
    out["score_a"] = pd.to_numeric(table[col_a], errors="coerce")
    out["score_b"] = pd.to_numeric(table[col_b], errors="coerce")
    missing = out["score_a"].isna() | out["score_b"].isna()
    if missing.any():
        if not drop_missing:
            rows = out.loc[missing, id_columns].astype(str).agg(" ".join, axis=1).tolist()
            raise ValueError(
                f"{col_a} or {col_b} is missing for {rows}; pass drop_missing=True to "
                "compare only the tasks both models report"
            )
        out = out.loc[~missing]
    out = out.reset_index(drop=True)
    out["difference"] = out["score_a"] - out["score_b"]
    out["relative_difference"] = out["difference"] / out["score_b"]
    out["outcome"] = task_outcomes(
        out["score_a"].to_numpy(), out["score_b"].to_numpy(), tie_tolerance, higher_is_better
    )
    out.attrs.update(
        model_a=model_a,
        model_b=model_b,
        value_suffix=value_suffix,
        tie_tolerance=float(tie_tolerance),
        higher_is_better=bool(higher_is_better),
    )
    return out


def count_outcomes(comparison: pd.DataFrame) -> WinTieLoss:
    """Sum the ``outcome`` column of a :func:`compare_models` result into a :class:`WinTieLoss`."""
    if "outcome" not in getattr(comparison, "columns", []):
        raise ValueError("comparison must be a compare_models() result with an 'outcome' column")
    unknown = set(comparison["outcome"]) - set(OUTCOMES)
    if unknown:
        raise ValueError(f"unknown outcomes {sorted(unknown)}; expected {OUTCOMES}")
    counts = comparison["outcome"].value_counts()
    return WinTieLoss(
        wins=int(counts.get("win", 0)),
        ties=int(counts.get("tie", 0)),
        losses=int(counts.get("loss", 0)),
        tie_tolerance=float(comparison.attrs.get("tie_tolerance", np.nan)),
        higher_is_better=bool(comparison.attrs.get("higher_is_better", True)),
    )


def outcome_summary(comparisons: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per benchmark: tasks compared, wins, ties, losses and the tie tolerance.

    ``comparisons`` maps a benchmark name to its :func:`compare_models` result.
    """
    rows = []
    for name, comparison in comparisons.items():
        counts = count_outcomes(comparison)
        rows.append(
            {
                "benchmark": name,
                "n_tasks": counts.n_tasks,
                "wins": counts.wins,
                "ties": counts.ties,
                "losses": counts.losses,
                "tie_tolerance": counts.tie_tolerance,
                "better_is": "higher" if counts.higher_is_better else "lower",
            }
        )
    return pd.DataFrame(rows)


def mean_vs_printed(values: Sequence[float] | np.ndarray, printed: float) -> MeanCheck:
    """Plain (unweighted) mean of per-task ``values`` against the ``printed`` average.

    Units are those of the inputs (percent for accuracies); ``difference`` is
    ``mean - printed``. Missing values are not allowed: a mean over a subset
    is a different quantity from the paper's average.
    """
    arr = as_finite("values", values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"values must be a non-empty 1-d sequence, got shape {arr.shape}")
    ref = as_finite("printed", printed)
    if ref.ndim != 0:
        raise ValueError(f"printed must be a single number, got shape {ref.shape}")
    computed = float(np.mean(arr))
    return MeanCheck(
        computed=computed,
        printed=float(ref),
        difference=computed - float(ref),
        n_values=int(arr.size),
    )


def tidy_scores(
    table: pd.DataFrame,
    id_columns: Sequence[str],
    value_suffix: str = "_accuracy_pct",
    models: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Wide table (one score column per model) to long: ``id_columns``, ``model``, ``score``.

    ``models`` (column prefixes, e.g. ``["chinchilla", "gopher"]``) default to
    every column ending in ``value_suffix``; ``model`` holds the display name
    from ``labels`` (default :data:`MODEL_LABELS`). Missing scores are dropped,
    so a model the paper does not report on a task simply has no row for it.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    id_columns = list(id_columns)
    for col in id_columns:
        check_choice("id column", col, list(table.columns))
    available = [c[: -len(value_suffix)] for c in table.columns if c.endswith(value_suffix)]
    if not available:
        raise ValueError(f"no column of table ends with value_suffix {value_suffix!r}")
    models = available if models is None else list(models)
    for model in models:
        check_choice("model", model, available)
    labels = {**MODEL_LABELS, **(labels or {})}
    long = table.melt(
        id_vars=id_columns,
        value_vars=[f"{m}{value_suffix}" for m in models],
        var_name="model",
        value_name="score",
    )
    long["model"] = [
        labels.get(c[: -len(value_suffix)], c[: -len(value_suffix)]) for c in long["model"]
    ]
    long["score"] = pd.to_numeric(long["score"], errors="coerce")
    return long.dropna(subset=["score"]).reset_index(drop=True)


def scores_wide(
    long: pd.DataFrame,
    id_columns: Sequence[str],
    model_column: str = "model",
    value_column: str = "accuracy_pct",
    value_suffix: str = "_accuracy_pct",
) -> pd.DataFrame:
    """Long table (one row per model and setting, like ``truthfulqa.csv``) to wide.

    Gives the ``id_columns`` plus one column ``<model><value_suffix>`` per model,
    the model name lower-cased (``"Chinchilla"`` -> ``chinchilla_accuracy_pct``),
    so the result feeds :func:`compare_models`. A setting one model lacks is NaN.
    """
    if not isinstance(long, pd.DataFrame):
        raise ValueError(f"long must be a pandas DataFrame, got {type(long).__name__}")
    id_columns = list(id_columns)
    for col in [*id_columns, model_column, value_column]:
        check_choice("column", col, list(long.columns))
    if long.duplicated([*id_columns, model_column]).any():
        raise ValueError(f"long has several rows for one {[*id_columns, model_column]} combination")
    wide = long.pivot(index=id_columns, columns=model_column, values=value_column)
    wide.columns = [
        f"{str(m).lower().replace('-', '').replace(' ', '_')}{value_suffix}" for m in wide.columns
    ]
    return wide.reset_index()


def plot_task_differences(
    ax: Any,
    comparison: pd.DataFrame,
    label_column: str = "task",
    relative: bool = False,
    max_label_chars: int = 28,
    unit: str = "percentage points",
) -> Any:
    """Bar per task of model A's score minus model B's, sorted, coloured by outcome.

    The Figure 6 / Figure 7 analogue of the paper (which plots relative
    improvement): ``relative=True`` plots ``relative_difference`` in percent of
    model B's score, otherwise the difference is in ``unit``. Returns ``ax``.
    """
    check_choice("label_column", label_column, list(comparison.columns))
    column = "relative_difference" if relative else "difference"
    scale = 100.0 if relative else 1.0
    ordered = comparison.sort_values(column, ascending=False).reset_index(drop=True)
    x = np.arange(len(ordered))
    colors = [OUTCOME_COLORS[o] for o in ordered["outcome"]]
    ax.bar(x, ordered[column] * scale, color=colors, width=0.8)
    ax.axhline(0.0, color="black", linewidth=0.8)
    labels = [str(s)[:max_label_chars] for s in ordered[label_column]]
    ax.set_xticks(x, labels, rotation=90, fontsize=6)
    ax.set_xlim(-0.7, len(ordered) - 0.3)
    a = MODEL_LABELS.get(comparison.attrs.get("model_a", ""), "model A")
    b = MODEL_LABELS.get(comparison.attrs.get("model_b", ""), "model B")
    ax.set_ylabel(f"{a} - {b} " + (f"(% of {b})" if relative else f"({unit})"))
    from matplotlib.patches import Patch

    present = [o for o in OUTCOMES if o in set(ordered["outcome"])]
    ax.legend(
        handles=[Patch(color=OUTCOME_COLORS[o], label=f"{a} {_PLURAL[o]}") for o in present],
        loc="upper right",
        frameon=False,
    )
    return ax


def plot_paired_scores(
    ax: Any,
    comparison: pd.DataFrame,
    unit: str = "accuracy (%)",
    annotate: Sequence[str] = (),
    label_column: str = "task",
) -> Any:
    """Scatter of model B's score (x) against model A's (y), one point per task, with y = x.

    Points above the diagonal are tasks where model A scores higher; colours
    follow the outcome. Tasks named in ``annotate`` are labelled. Returns ``ax``.
    """
    for outcome in OUTCOMES:
        part = comparison[comparison["outcome"] == outcome]
        if len(part):
            ax.scatter(
                part["score_b"],
                part["score_a"],
                s=14,
                color=OUTCOME_COLORS[outcome],
                label=f"{outcome} ({len(part)})",
                zorder=3,
            )
    lo = float(min(comparison["score_a"].min(), comparison["score_b"].min()))
    hi = float(max(comparison["score_a"].max(), comparison["score_b"].max()))
    pad = 0.03 * (hi - lo)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", linewidth=0.8, zorder=1)
    for name in annotate:
        row = comparison[comparison[label_column] == name]
        if len(row):
            ax.annotate(
                name,
                (float(row["score_b"].iloc[0]), float(row["score_a"].iloc[0])),
                fontsize=7,
                xytext=(3, -8),
                textcoords="offset points",
            )
    a = MODEL_LABELS.get(comparison.attrs.get("model_a", ""), "model A")
    b = MODEL_LABELS.get(comparison.attrs.get("model_b", ""), "model B")
    ax.set_xlabel(f"{b} {unit}")
    ax.set_ylabel(f"{a} {unit}")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(frameon=False, loc="upper left")
    return ax


def plot_grouped_scores(
    ax: Any,
    long: pd.DataFrame,
    group_column: str,
    unit: str = "accuracy (%)",
    value_column: str = "score",
    model_column: str = "model",
) -> Any:
    """Grouped bars: one group per ``group_column`` value, one bar per model.

    ``long`` is a :func:`tidy_scores` result. Colours come from
    :data:`MODEL_COLORS`. Returns ``ax``.
    """
    for col in (group_column, value_column, model_column):
        check_choice("column", col, list(long.columns))
    groups = list(dict.fromkeys(long[group_column]))
    models = list(dict.fromkeys(long[model_column]))
    width = 0.8 / len(models)
    x = np.arange(len(groups))
    for i, model in enumerate(models):
        part = long[long[model_column] == model].set_index(group_column)[value_column]
        heights = [float(part.get(g, np.nan)) for g in groups]
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            heights,
            width=width,
            label=model,
            color=MODEL_COLORS.get(model),
        )
    ax.set_xticks(x, [str(g) for g in groups])
    ax.set_ylabel(unit)
    # Headroom above the tallest bar keeps the one-row legend clear of the bars.
    top = float(np.nanmax(long[value_column].to_numpy(dtype=float)))
    if top > 0:
        ax.set_ylim(0, top * 1.2)
    ax.legend(frameon=False, fontsize=8, loc="upper center", ncol=min(len(models), 5))
    return ax


def plot_outcome_summary(ax: Any, summary: pd.DataFrame) -> Any:
    """Stacked horizontal bars: share of each benchmark's tasks won, tied and lost.

    ``summary`` is an :func:`outcome_summary` result; each bar is labelled with
    the raw counts (wins/ties/losses). Returns ``ax``.
    """
    for col in ("benchmark", "n_tasks", "wins", "ties", "losses"):
        check_choice("summary column", col, list(summary.columns))
    y = np.arange(len(summary))[::-1]
    left = np.zeros(len(summary))
    n_tasks = summary["n_tasks"].to_numpy(dtype=float)
    for outcome, column in zip(OUTCOMES, ("wins", "ties", "losses"), strict=True):
        share = summary[column].to_numpy(dtype=float) / n_tasks
        ax.barh(y, share, left=left, color=OUTCOME_COLORS[outcome], label=column, height=0.7)
        left += share
    for yi, (_, row) in zip(y, summary.iterrows(), strict=True):
        ax.text(
            1.01,
            yi,
            f"{row['wins']}/{row['ties']}/{row['losses']}",
            va="center",
            fontsize=8,
            transform=ax.get_yaxis_transform(),
        )
    ax.set_yticks(y, summary["benchmark"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of tasks (wins/ties/losses at right)")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, fontsize=8)
    return ax
