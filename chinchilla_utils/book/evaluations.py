"""Head-to-head comparisons of two models' evaluation scores (Gopher versus Chinchilla).

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
  the recurring figures.

The Gopher versus Chinchilla chapter (``notebooks/06_gopher_vs_chinchilla``) reads every
benchmark through one function returning a frozen :class:`Benchmark` (the comparison frame, its
counts and the numbers the prose quotes): :func:`mmlu` and :func:`bigbench` (with the printed
averages beside the per-task means), :func:`pile` (with Jurassic-1 and WikiText-103),
:func:`reading_comprehension`, :func:`common_sense`, :func:`closed_book_qa`, :func:`truthfulqa`,
:func:`winogender` and :func:`toxicity`; :func:`benchmark_summary` tabulates them. Before the
benchmarks: :func:`compute_split` (Table 1's split of the compute), :func:`predicted_losses`
(the paper's parametric loss at both models), :func:`setup_differences` and
:func:`data_mixture` (Tables 4 and A1). For the exercises: :func:`tolerance_sweep`,
:func:`leave_one_out_means`, :func:`loss_gap_by_budget`.

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

from chinchilla_utils._validation import as_finite, check_choice, check_frame, check_same_shape
from chinchilla_utils.datasets.paper import load_table

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
"""One colour per model, shared by every figure of the Gopher versus Chinchilla chapter."""

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


# --- The chapter's benchmarks, one result object each ---------------------------------------------
#
# Each function below reads one printed table (through datasets.paper), compares Chinchilla with
# Gopher on it and returns a frozen result: the comparison frame plus the numbers the chapter's
# prose quotes, as fields or properties (so ``glue_numbers(prefix, result, fields)`` can glue
# them). Scores are in the table's units (percent for accuracies, bits per byte, toxicity score).


@dataclass(frozen=True, kw_only=True)
class Benchmark:
    """One benchmark compared task by task (Chinchilla as model A, another model as B).

    ``comparison`` is a :func:`compare_models` result; ``label_column`` names the column that
    identifies a task (``task``, ``subset``, ``group``, ``statistic``, ``setting``);
    ``scores_long`` is the printed table in :func:`tidy_scores` form with every model it
    reports (GPT-3, MT-NLG 530B, ...), for grouped-bar figures, or ``None``.
    """

    name: str
    comparison: pd.DataFrame
    label_column: str = "task"
    scores_long: pd.DataFrame | None = None

    @property
    def counts(self) -> WinTieLoss:
        """Wins, ties and losses of model A."""
        return count_outcomes(self.comparison)

    @property
    def wins(self) -> int:
        """Tasks model A wins."""
        return self.counts.wins

    @property
    def ties(self) -> int:
        """Tasks within the tie tolerance."""
        return self.counts.ties

    @property
    def losses(self) -> int:
        """Tasks model A loses."""
        return self.counts.losses

    @property
    def n_tasks(self) -> int:
        """Tasks compared."""
        return self.counts.n_tasks

    @property
    def max_gain(self) -> float:
        """Largest ``score_a - score_b`` (score units; for lower-is-better scores, the worst)."""
        return float(self.comparison["difference"].max())

    @property
    def min_gain(self) -> float:
        """Smallest ``score_a - score_b`` (score units)."""
        return float(self.comparison["difference"].min())

    def tasks(self, outcome: str) -> tuple[str, ...]:
        """Labels of the tasks with ``outcome`` (``"win"``, ``"tie"`` or ``"loss"``), in order."""
        check_choice("outcome", outcome, OUTCOMES)
        rows = self.comparison[self.comparison["outcome"] == outcome]
        return tuple(str(label) for label in rows[self.label_column])

    def extreme_tasks(self, n: int) -> list[str]:
        """The ``n`` tasks with the most extreme differences: half the lowest, half the highest."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"n must be an integer >= 0, got {n!r}")
        ordered = list(self.comparison.sort_values("difference")[self.label_column])
        low = ordered[: n // 2]
        high = ordered[len(ordered) - (n - n // 2) :] if n - n // 2 else []
        return [str(label) for label in low + high]

    def score(self, label: str, column: str = "score_a") -> float:
        """One task's ``score_a``, ``score_b`` or ``difference``, by its label."""
        check_choice("column", column, ("score_a", "score_b", "difference"))
        rows = self.comparison[self.comparison[self.label_column] == label]
        if len(rows) != 1:
            labels = list(self.comparison[self.label_column])
            raise ValueError(f"label must be one of {labels}, got {label!r}")
        return float(rows[column].iloc[0])


def _summary(table: str) -> pd.DataFrame:
    return load_table(table).set_index("quantity")


def _named_tasks(summary: pd.DataFrame, quantity: str) -> tuple[str, ...]:
    return tuple(str(summary.loc[quantity, "value_text"]).split("; "))


@dataclass(frozen=True, kw_only=True)
class MeanAgainstPrinted(Benchmark):
    """A benchmark with per-task means of both models beside the averages the paper prints.

    ``chinchilla_printed`` and ``gopher_printed`` are the printed averages,
    ``chinchilla_task_mean`` and ``gopher_task_mean`` the plain means of the per-task table,
    ``printed_gain`` the printed improvement (percentage points); ``paper_loss_tasks`` names
    the tasks the paper says Chinchilla loses.
    """

    chinchilla_printed: float
    gopher_printed: float
    printed_gain: float
    paper_loss_tasks: tuple[str, ...]

    @property
    def chinchilla_task_mean(self) -> float:
        """Plain mean of Chinchilla's per-task scores."""
        return float(self.comparison["score_a"].mean())

    @property
    def gopher_task_mean(self) -> float:
        """Plain mean of Gopher's per-task scores."""
        return float(self.comparison["score_b"].mean())

    @property
    def chinchilla_mean_minus_printed(self) -> float:
        """Chinchilla's per-task mean minus its printed average (points)."""
        return self.chinchilla_task_mean - self.chinchilla_printed

    @property
    def gopher_mean_minus_printed(self) -> float:
        """Gopher's per-task mean minus its printed average (points)."""
        return self.gopher_task_mean - self.gopher_printed

    @property
    def task_mean_gain(self) -> float:
        """The gain computed from the per-task table alone (points)."""
        return self.chinchilla_task_mean - self.gopher_task_mean

    @property
    def paper_losses(self) -> int:
        """How many tasks the paper says Chinchilla loses."""
        return len(self.paper_loss_tasks)

    @property
    def losses_named_by_paper(self) -> int:
        """How many of the table's losses are among the tasks the paper names."""
        return len(set(self.tasks("loss")) & set(self.paper_loss_tasks))

    @property
    def averages(self) -> pd.DataFrame:
        """Per-task mean against printed average, per model (index: model)."""
        rows = {
            "Chinchilla": (self.chinchilla_task_mean, self.chinchilla_printed),
            "Gopher": (self.gopher_task_mean, self.gopher_printed),
        }
        frame = pd.DataFrame(rows, index=["per-task mean", "printed"]).T
        frame["difference"] = frame["per-task mean"] - frame["printed"]
        return frame


@dataclass(frozen=True, kw_only=True)
class Mmlu(MeanAgainstPrinted):
    """MMLU (Tables 6 and A6, Figure 6 caption, Section 4.2.2, abstract).

    Beyond :class:`MeanAgainstPrinted`: the Figure 6 caption's counts (``paper_wins``,
    ``paper_ties``), the abstract's average (``chinchilla_abstract``), the count of subjects
    above 90% (``above_90``, and the paper's ``paper_above_90``), human experts' accuracy
    (``expert``) and the June 2023 forecast (``forecast_2023``), all in percent.
    """

    paper_wins: int
    paper_ties: int
    chinchilla_abstract: float
    above_90: int
    paper_above_90: int
    expert: float
    forecast_2023: float

    @property
    def abstract_minus_table(self) -> float:
        """The abstract's average minus Table 6's (points)."""
        return self.chinchilla_abstract - self.chinchilla_printed

    @property
    def chinchilla_mean_minus_abstract(self) -> float:
        """Chinchilla's per-task mean minus the abstract's average (points)."""
        return self.chinchilla_task_mean - self.chinchilla_abstract

    @property
    def counts_match_paper(self) -> bool:
        """Whether Table A6 gives the caption's wins, ties and losses."""
        return (self.wins, self.ties, self.losses) == (
            self.paper_wins,
            self.paper_ties,
            self.paper_losses,
        )


def mmlu(tie_tolerance: float = 0.0) -> Mmlu:
    """MMLU from Table A6, beside Table 6, the Figure 6 caption and the abstract.

    ``tie_tolerance`` is in percentage points (the paper's "same": identical values, 0).
    """
    tasks = load_table("tablea6_mmlu_tasks")
    table6 = load_table("table6_mmlu").set_index("entry")["accuracy_pct"]
    summary = _summary("mmlu_summary")
    value = summary["value"]
    return Mmlu(
        name="MMLU (Table A6)",
        comparison=compare_models(tasks, tie_tolerance=tie_tolerance),
        chinchilla_printed=float(table6["Chinchilla"]),
        gopher_printed=float(table6["Gopher"]),
        printed_gain=float(value["improvement_over_gopher_pct_points"]),
        paper_loss_tasks=_named_tasks(summary, "n_tasks_chinchilla_worse"),
        paper_wins=int(value["n_tasks_chinchilla_better"]),
        paper_ties=int(value["n_tasks_chinchilla_same"]),
        chinchilla_abstract=float(value["chinchilla_average_accuracy_pct_abstract"]),
        above_90=int((tasks["chinchilla_accuracy_pct"] > 90).sum()),
        paper_above_90=int(value["n_tasks_chinchilla_above_90pct"]),
        expert=float(table6["Average human expert performance"]),
        forecast_2023=float(table6["June 2023 Forecast"]),
    )


def bigbench(tie_tolerance: float = 0.0) -> MeanAgainstPrinted:
    """BIG-bench from Table A7, beside the averages and losses of Section 4.2.4."""
    summary = _summary("bigbench_summary")
    value = summary["value"]
    return MeanAgainstPrinted(
        name="BIG-bench (Table A7)",
        comparison=compare_models(
            load_table("tablea7_bigbench_tasks"), tie_tolerance=tie_tolerance
        ),
        chinchilla_printed=float(value["chinchilla_average_accuracy_pct"]),
        gopher_printed=float(value["gopher_average_accuracy_pct"]),
        printed_gain=float(value["improvement_over_gopher_pct_points"]),
        paper_loss_tasks=_named_tasks(summary, "n_tasks_chinchilla_worse"),
    )


def leave_one_out_means(benchmark: Benchmark, printed: float, decimals: int = 1) -> pd.DataFrame:
    """Model A's mean with each task left out in turn, and whether it rounds to ``printed``.

    Returns one row per task (``task``, ``mean without task``, ``rounds to printed``), highest
    mean first.
    """
    ref = float(as_finite("printed", printed))
    values = benchmark.comparison["score_a"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "task": benchmark.comparison[benchmark.label_column].to_numpy(),
            "mean without task": (values.sum() - values) / (values.size - 1),
        }
    )
    frame["rounds to printed"] = frame["mean without task"].round(decimals) == round(ref, decimals)
    return frame.sort_values("mean without task", ascending=False).reset_index(drop=True)


@dataclass(frozen=True, kw_only=True)
class Pile(Benchmark):
    """The Pile (Table A5, bits per byte, lower is better) and WikiText-103 (Section 4.2.1).

    ``jurassic`` compares Chinchilla with Jurassic-1 on the subsets both report
    (``jurassic_missing`` subsets lack a Jurassic-1 value). ``median_improvement_pct`` and
    ``best_improvement_pct`` are Chinchilla's relative improvements over Gopher in percent of
    Gopher's bits per byte, ``best_subset`` where the largest is. ``wikitext_*_ppl`` are the
    WikiText-103 perplexities.
    """

    jurassic: Benchmark
    jurassic_missing: int
    wikitext_chinchilla_ppl: float
    wikitext_gopher_ppl: float

    @property
    def median_improvement_pct(self) -> float:
        """Median relative improvement over Gopher (% of Gopher's bits per byte)."""
        return float(-100 * self.comparison["relative_difference"].median())

    @property
    def best_improvement_pct(self) -> float:
        """Largest relative improvement over Gopher (%)."""
        return float(-100 * self.comparison["relative_difference"].min())

    @property
    def best_subset(self) -> str:
        """The subset with the largest relative improvement."""
        best = self.comparison["relative_difference"].idxmin()
        return str(self.comparison.loc[best, self.label_column])


def pile(tie_tolerance: float = 0.0) -> Pile:
    """Table A5 against Gopher and Jurassic-1; ``tie_tolerance`` in bits per byte."""
    table = load_table("tablea5_pile_bpb")
    options = dict(
        value_suffix="_bits_per_byte",
        id_columns=["subset"],
        tie_tolerance=tie_tolerance,
        higher_is_better=False,
    )
    gopher = compare_models(table, **options)
    jurassic = compare_models(table, model_b="jurassic1", drop_missing=True, **options)
    wikitext = load_table("wikitext103").set_index("model")["perplexity"]
    return Pile(
        name="Pile bits/byte (Table A5)",
        comparison=gopher,
        label_column="subset",
        scores_long=tidy_scores(table, ["subset"], value_suffix="_bits_per_byte"),
        jurassic=Benchmark(name="Pile vs Jurassic-1", comparison=jurassic, label_column="subset"),
        jurassic_missing=len(gopher) - len(jurassic),
        wikitext_chinchilla_ppl=float(wikitext["Chinchilla"]),
        wikitext_gopher_ppl=float(wikitext["Gopher"]),
    )


def reading_comprehension(tie_tolerance: float = 0.0) -> Benchmark:
    """Table 7 (LAMBADA, RACE-m, RACE-h) against Gopher; ``tie_tolerance`` in points."""
    table = load_table("table7_reading_comprehension")
    comparison = compare_models(table, tie_tolerance=tie_tolerance)
    return Benchmark(
        name="Reading comprehension (Table 7)",
        comparison=comparison,
        scores_long=tidy_scores(table, ["task"]),
    )


def common_sense(tie_tolerance: float = 0.0) -> Benchmark:
    """Table 8 (five zero-shot common-sense tasks) against Gopher."""
    table = load_table("table8_common_sense")
    return Benchmark(
        name="Common sense (Table 8)",
        comparison=compare_models(table, tie_tolerance=tie_tolerance),
        scores_long=tidy_scores(table, ["task"]),
    )


@dataclass(frozen=True, kw_only=True)
class ClosedBookQa(Benchmark):
    """Table 9 (Natural Questions, TriviaQA) against Gopher, one row per setting.

    ``nq_gopher_5shot`` and ``nq_gopher_64shot`` are Gopher's Natural Questions accuracies in
    Table 9, which the Section 4.2.6 text rounds differently (see the errata).
    """

    nq_gopher_5shot: float
    nq_gopher_64shot: float


def closed_book_qa(tie_tolerance: float = 0.0) -> ClosedBookQa:
    """Table 9 compared setting by setting (dataset, variant, split, shots)."""
    table = load_table("table9_closed_book_qa")
    ids = ["dataset", "variant", "split", "n_shots"]
    comparison = compare_models(table, id_columns=ids, tie_tolerance=tie_tolerance)
    name = table["dataset"].str.replace("Natural Questions", "NQ") + " " + table["variant"]
    comparison.insert(
        0, "setting", name.str.strip() + ", " + table["n_shots"].astype(str) + "-shot"
    )
    nq = table[table["dataset"] == "Natural Questions"].set_index("n_shots")["gopher_accuracy_pct"]
    return ClosedBookQa(
        name="Closed-book QA (Table 9)",
        comparison=comparison,
        label_column="setting",
        scores_long=tidy_scores(table.assign(setting=comparison["setting"]), ["setting"]),
        nq_gopher_5shot=float(nq[5]),
        nq_gopher_64shot=float(nq[64]),
    )


def truthfulqa(tie_tolerance: float = 0.0) -> Benchmark:
    """TruthfulQA (Section 4.2.5) at the numbers of shots both models report."""
    long = load_table("truthfulqa")
    wide = scores_wide(long, ["n_shots"])
    comparison = compare_models(
        wide, id_columns=["n_shots"], tie_tolerance=tie_tolerance, drop_missing=True
    )
    return Benchmark(
        name="TruthfulQA (Section 4.2.5)",
        comparison=comparison,
        label_column="n_shots",
        scores_long=long.rename(columns={"accuracy_pct": "score"})[["n_shots", "model", "score"]],
    )


def plot_shots(ax: Any, benchmark: Benchmark, unit: str = "accuracy (%)") -> Any:
    """Score against the number of shots, one line per model (``benchmark.scores_long``)."""
    if benchmark.scores_long is None:
        raise ValueError(f"benchmark {benchmark.name!r} has no scores_long table to plot")
    check_frame("scores_long", benchmark.scores_long, ["n_shots", "model", "score"])
    for model, part in benchmark.scores_long.groupby("model", sort=False):
        ax.plot(part["n_shots"], part["score"], "o-", color=MODEL_COLORS.get(model), label=model)
    ax.set_xlabel("shots")
    ax.set_ylabel(unit)
    ax.legend(frameon=False)
    return ax


@dataclass(frozen=True, kw_only=True)
class Winogender(Benchmark):
    """Table 10: Winogender accuracy by pronoun group (percent).

    ``gotcha_gap_chinchilla`` and ``gotcha_gap_gopher`` are each model's accuracy on female
    "gotcha" examples minus its accuracy on male ones (points).
    """

    @property
    def gotcha_gap_chinchilla(self) -> float:
        """Female-gotcha minus male-gotcha accuracy for Chinchilla (points)."""
        return self.score("Female gotcha") - self.score("Male gotcha")

    @property
    def gotcha_gap_gopher(self) -> float:
        """Female-gotcha minus male-gotcha accuracy for Gopher (points)."""
        return self.score("Female gotcha", "score_b") - self.score("Male gotcha", "score_b")


def winogender(tie_tolerance: float = 0.0) -> Winogender:
    """Table 10 compared group by group."""
    table = load_table("table10_winogender")
    comparison = compare_models(table, id_columns=["group"], tie_tolerance=tie_tolerance)
    return Winogender(
        name="Winogender (Table 10)",
        comparison=comparison,
        label_column="group",
        scores_long=tidy_scores(table, ["group"]),
    )


def toxicity(tie_tolerance: float = 0.0) -> Benchmark:
    """Section 4.2.7's toxicity statistics (lower is better); ``tie_tolerance`` in score units."""
    table = load_table("toxicity")
    comparison = compare_models(
        table,
        value_suffix="_toxicity_score",
        id_columns=["statistic"],
        tie_tolerance=tie_tolerance,
        higher_is_better=False,
    )
    return Benchmark(
        name="Toxicity (Section 4.2.7)",
        comparison=comparison,
        label_column="statistic",
        scores_long=tidy_scores(table, ["statistic"], value_suffix="_toxicity_score"),
    )


def benchmark_summary(benchmarks: Sequence[Benchmark]) -> pd.DataFrame:
    """One row per benchmark (see :func:`outcome_summary`), from :class:`Benchmark` results."""
    return outcome_summary({b.name: b.comparison for b in benchmarks})


def tolerance_sweep(benchmark: Benchmark, tolerances: Sequence[float]) -> pd.DataFrame:
    """Wins, ties, losses and task count of ``benchmark`` recounted at each tie tolerance."""
    attrs = benchmark.comparison.attrs
    higher = bool(attrs.get("higher_is_better", True))
    a, b = benchmark.comparison["score_a"], benchmark.comparison["score_b"]
    rows = [
        {"tie_tolerance": float(t), **win_tie_loss(a, b, float(t), higher).as_dict()}
        for t in tolerances
    ]
    return pd.DataFrame(rows)


def plot_tolerance_sweep(ax: Any, sweep: pd.DataFrame, n_tasks: int) -> Any:
    """Wins, ties and losses against the tie tolerance, with half the tasks marked."""
    check_frame("sweep", sweep, ["tie_tolerance", "wins", "ties", "losses"])
    for column, outcome in zip(("wins", "ties", "losses"), OUTCOMES, strict=True):
        ax.plot(
            sweep["tie_tolerance"], sweep[column], "o-", label=column, color=OUTCOME_COLORS[outcome]
        )
    ax.axhline(n_tasks / 2, color="grey", linestyle=":", label="half of the tasks")
    ax.set_xlabel("tie tolerance (percentage points)")
    ax.set_ylabel("tasks")
    ax.legend(frameon=False)
    return ax


# --- Same compute, a different split; what the fitted loss predicts -------------------------------


@dataclass(frozen=True)
class ComputeSplit:
    """How Chinchilla and Gopher split about the same compute (Table 1).

    ``params_ratio`` is Gopher's size over Chinchilla's, ``tokens_ratio`` Chinchilla's tokens
    over Gopher's; ``*_tokens_per_param`` are D / N; ``flops_6nd_ratio`` is Chinchilla's 6ND
    over Gopher's and ``chinchilla_vs_paper_budget_pct`` Chinchilla's 6ND against the paper's
    Gopher budget (percent). ``table`` shows sizes, tokens, tokens per parameter and 6ND.
    """

    table: pd.DataFrame
    params_ratio: float
    tokens_ratio: float
    gopher_tokens_per_param: float
    chinchilla_tokens_per_param: float
    flops_6nd_ratio: float
    chinchilla_vs_paper_budget_pct: float


def compute_split() -> ComputeSplit:
    """Table 1's sizes and tokens of Gopher and Chinchilla, and their 6ND compute."""
    from chinchilla_utils.compute.flops import flops_6nd
    from chinchilla_utils.constants import GOPHER_FLOPS

    models = load_table("table1_models").set_index("model").loc[["Gopher", "Chinchilla"]]
    table = pd.DataFrame(
        {
            "parameters": models["params"],
            "tokens": models["tokens"],
            "tokens per parameter": models["tokens"] / models["params"],
            "6ND (FLOPs)": flops_6nd(models["params"].to_numpy(), models["tokens"].to_numpy()),
        }
    )
    gopher, chinchilla = table.loc["Gopher"], table.loc["Chinchilla"]
    return ComputeSplit(
        table=table,
        params_ratio=float(gopher["parameters"] / chinchilla["parameters"]),
        tokens_ratio=float(chinchilla["tokens"] / gopher["tokens"]),
        gopher_tokens_per_param=float(gopher["tokens per parameter"]),
        chinchilla_tokens_per_param=float(chinchilla["tokens per parameter"]),
        flops_6nd_ratio=float(chinchilla["6ND (FLOPs)"] / gopher["6ND (FLOPs)"]),
        chinchilla_vs_paper_budget_pct=float(100 * (chinchilla["6ND (FLOPs)"] / GOPHER_FLOPS - 1)),
    )


@dataclass(frozen=True)
class LossPrediction:
    """The paper's parametric loss at the two models, rounded and unrounded constants.

    Losses in nats per token. ``table`` has one row per constant set (``rounded``,
    ``unrounded``) with both models' losses, their gap (Gopher minus Chinchilla), and the
    loss-optimal size (``N_opt``, parameters) and loss at the Gopher budget ``budget``
    (FLOPs). The flat fields repeat the table for the prose; ``n_opt_*_b`` are in billions,
    ``n_opt_gopher_budget_paper_b`` is the Figure 4 caption's figure.
    """

    table: pd.DataFrame
    budget: float
    laws: Mapping[str, Any]
    loss_gopher_rounded: float
    loss_chinchilla_rounded: float
    loss_gap_rounded: float
    loss_gap_unrounded: float
    n_opt_gopher_budget_rounded_b: float
    n_opt_gopher_budget_unrounded_b: float
    n_opt_gopher_budget_paper_b: float
    law_E_rounded: float  # noqa: N815 - the paper's symbol


def predicted_losses() -> LossPrediction:
    """Eq. 2 with the paper's constants (Eq. 10, rounded and unrounded) at Table 1's models."""
    from chinchilla_utils.constants import (
        CHINCHILLA_PARAMS,
        CHINCHILLA_TOKENS,
        GOPHER_FLOPS,
        GOPHER_PARAMS,
        GOPHER_TOKENS,
    )
    from chinchilla_utils.datasets.paper import experiment_value
    from chinchilla_utils.laws import ParametricLoss

    laws = {
        "rounded": ParametricLoss.paper_rounded(),
        "unrounded": ParametricLoss.paper_unrounded(),
    }
    rows = {
        name: {
            "Gopher loss": float(law.loss(GOPHER_PARAMS, GOPHER_TOKENS)),
            "Chinchilla loss": float(law.loss(CHINCHILLA_PARAMS, CHINCHILLA_TOKENS)),
            "N_opt at Gopher budget": float(law.n_opt(GOPHER_FLOPS)),
            "loss_opt at Gopher budget": float(law.loss_opt(GOPHER_FLOPS)),
        }
        for name, law in laws.items()
    }
    table = pd.DataFrame(rows).T
    table.insert(2, "Gopher - Chinchilla", table["Gopher loss"] - table["Chinchilla loss"])
    return LossPrediction(
        table=table,
        budget=GOPHER_FLOPS,
        laws=laws,
        loss_gopher_rounded=float(table.loc["rounded", "Gopher loss"]),
        loss_chinchilla_rounded=float(table.loc["rounded", "Chinchilla loss"]),
        loss_gap_rounded=float(table.loc["rounded", "Gopher - Chinchilla"]),
        loss_gap_unrounded=float(table.loc["unrounded", "Gopher - Chinchilla"]),
        n_opt_gopher_budget_rounded_b=float(table.loc["rounded", "N_opt at Gopher budget"] / 1e9),
        n_opt_gopher_budget_unrounded_b=float(
            table.loc["unrounded", "N_opt at Gopher budget"] / 1e9
        ),
        n_opt_gopher_budget_paper_b=experiment_value("approach3_n_opt_at_gopher_budget") / 1e9,
        law_E_rounded=float(laws["rounded"].E),
    )


def plot_isoflop_line(ax: Any, prediction: LossPrediction, split: ComputeSplit) -> Any:
    """The parametric loss along the Gopher budget's IsoFLOP line, with both models placed.

    Lines for both constant sets; the models at their Table 1 sizes and tokens (rounded
    constants); a dotted line at the rounded constants' ``N_opt``. Returns ``ax``.
    """
    n_grid = np.geomspace(1e10, 1e12, 300)
    for (name, law), style in zip(prediction.laws.items(), ["-", "--"], strict=True):
        tokens = prediction.budget / (6 * n_grid)
        ax.plot(n_grid, law.loss(n_grid, tokens), style, color="black", label=f"{name} constants")
    law = prediction.laws["rounded"]
    for model in ("Gopher", "Chinchilla"):
        row = split.table.loc[model]
        loss = law.loss(row["parameters"], row["tokens"])
        ax.scatter(row["parameters"], loss, color=MODEL_COLORS[model], s=40, zorder=3, label=model)
    ax.axvline(law.n_opt(prediction.budget), color="grey", linestyle=":", label="N_opt, rounded")
    ax.set_xscale("log")
    ax.set_xlabel("Parameters N")
    ax.set_ylabel("predicted loss (nats per token)")
    ax.legend(frameon=False, fontsize=8)
    return ax


def setup_differences() -> pd.DataFrame:
    """Table 4's training setup of both models, one row per setting (text cells as printed)."""
    columns = [
        "params",
        "tokens",
        "n_layers",
        "n_heads",
        "kv_size",
        "d_model",
        "ffw_size_rule",
        "max_lr",
        "batch_size_tokens_start",
        "batch_size_tokens_end",
        "optimizer",
        "precision",
        "tokenizer",
        "vocab_overlap_with_gopher_pct",
        "training_data",
    ]
    setup = load_table("table4_gopher_chinchilla_setup").set_index("model")
    return setup[columns].T.astype(object).where(setup[columns].T.notna(), "")


def data_mixture() -> pd.DataFrame:
    """Table A1: the MassiveText subsets with Chinchilla's and Gopher's sampling proportions."""
    mix = load_table("tablea1_massivetext_mix").drop(columns=["source", "note"])
    return mix.rename(
        columns={
            "sampling_proportion_pct": "Chinchilla sampling (%)",
            "gopher_sampling_proportion_pct": "Gopher sampling (%)",
        }
    ).set_index("subset")


def plot_table6(ax: Any) -> Any:
    """Table 6's MMLU averages as horizontal bars, Chinchilla and Gopher in their colours."""
    ordered = load_table("table6_mmlu").set_index("entry")["accuracy_pct"].sort_values()
    colors = [MODEL_COLORS.get(entry, "#cccccc") for entry in ordered.index]
    ax.barh(ordered.index, ordered.to_numpy(), color=colors)
    ax.set_xlabel("MMLU 5-shot accuracy (%)")
    return ax


def loss_gap_by_budget(
    law: Any, budgets: Sequence[float], tokens_per_param: Mapping[str, float]
) -> pd.DataFrame:
    """Predicted loss of models of fixed tokens-per-parameter shapes at each budget (C = 6ND).

    ``tokens_per_param`` maps a shape name to its D / N; the first two shapes' difference is
    the ``gap`` column (first minus second, nats). One row per budget (FLOPs).
    """
    if len(tokens_per_param) < 2:
        raise ValueError("tokens_per_param needs at least two shapes to compare")
    rows = []
    for flops in budgets:
        budget = float(as_finite("budgets", flops))
        losses = {}
        for shape, ratio in tokens_per_param.items():
            n_params = np.sqrt(budget / (6 * float(ratio)))
            losses[shape] = float(law.loss(n_params, float(ratio) * n_params))
        first, second = list(losses)[:2]
        rows.append({"flops": budget, **losses, "gap": losses[first] - losses[second]})
    return pd.DataFrame(rows)
