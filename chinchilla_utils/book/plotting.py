"""The book's figure style and its recurring figures. Introduced in Chapter 1; used throughout.

One style (:func:`use_book_style`) and three figure kinds that recur across chapters, so that
chapters stay short: iso-FLOP points coloured by budget (Chapter 3, the paper's Figure 3),
compute-optimal frontiers with the Table 1 models marked (Chapters 2-5, the paper's Figure 1)
and loss contours over compute and size with the efficient frontier (Chapter 4, the paper's
Figure 4). Every function draws on an ``Axes`` it is given and returns it; compute and size
axes are logarithmic and axis labels carry units (FLOPs, parameters, nats).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from chinchilla_utils._validation import as_positive, check_frame, check_same_shape

__all__ = [
    "BUDGET_CMAP",
    "FLOPS_LABEL",
    "LOSS_LABEL",
    "PARAMS_LABEL",
    "TOKENS_LABEL",
    "budget_palette",
    "plot_frontiers",
    "plot_isoflop_points",
    "plot_loss_contours",
    "use_book_style",
]

FLOPS_LABEL = "Training compute C (FLOPs)"
PARAMS_LABEL = "Parameters N"
TOKENS_LABEL = "Training tokens D"
LOSS_LABEL = "Loss (nats per token)"

#: Sequential, perceptually uniform and colour-blind safe: larger budgets are lighter.
BUDGET_CMAP = "viridis"

# Seaborn's theme, written out: what ``seaborn.set_theme(context="notebook", style="whitegrid",
# palette="colorblind")`` sets (seaborn 0.13.2), so that the style needs no seaborn import:
# seaborn imports scipy.stats, about a second of every chapter's start.
# tests/test_plotting.py checks these against seaborn itself.
#: seaborn's "colorblind" palette (the figures' colour cycle).
_COLORBLIND = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
    "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9",
)  # fmt: skip
#: The one-letter colours as seaborn's theme redefines them (``color="k"`` is a soft black).
_COLOUR_CODES = {
    "b": "#0173b2", "g": "#029e73", "r": "#d55e00", "m": "#cc78bc",
    "y": "#ece133", "c": "#56b4e9", "k": (0.1, 0.1, 0.1),
}  # fmt: skip
_SEABORN_NOTEBOOK_CONTEXT = {
    "axes.linewidth": 1.25, "grid.linewidth": 1, "lines.linewidth": 1.5, "lines.markersize": 6,
    "patch.linewidth": 1, "xtick.major.width": 1.25, "ytick.major.width": 1.25,
    "xtick.minor.width": 1, "ytick.minor.width": 1, "xtick.major.size": 6,
    "ytick.major.size": 6, "xtick.minor.size": 4, "ytick.minor.size": 4, "font.size": 12,
    "axes.labelsize": 12, "axes.titlesize": 12, "xtick.labelsize": 11, "ytick.labelsize": 11,
    "legend.fontsize": 11, "legend.title_fontsize": 12,
}  # fmt: skip
# seaborn's whitegrid also sets image.cmap to its "rocket" map; _BOOK_RC sets it to viridis.
_SEABORN_WHITEGRID_STYLE = {
    "figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out",
    "ytick.direction": "out", "xtick.color": ".15", "ytick.color": ".15",
    "axes.axisbelow": True, "grid.linestyle": "-", "text.color": ".15",
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "xtick.top": False, "ytick.right": False, "axes.grid": True, "axes.facecolor": "white",
    "axes.edgecolor": ".8", "grid.color": ".8", "axes.spines.left": True,
    "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True,
    "xtick.bottom": False, "ytick.left": False,
}  # fmt: skip

_BOOK_RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.figsize": (6.4, 4.2),
    "figure.constrained_layout.use": True,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "lines.linewidth": 1.8,
    "image.cmap": BUDGET_CMAP,
}


def use_book_style() -> None:
    """Set the book's figure style for the rest of the session.

    Seaborn's ``whitegrid`` style (light grid for reading values off log axes) with the
    ``colorblind`` palette, readable font sizes, a 110 dpi inline figure and constrained
    layout. Call once per notebook, in the imports cell. Sets what
    ``seaborn.set_theme(context="notebook", style="whitegrid", palette="colorblind")`` sets,
    one-letter colour codes included, without importing seaborn.
    """
    mpl.rcParams.update(_SEABORN_NOTEBOOK_CONTEXT)
    mpl.rcParams.update(_SEABORN_WHITEGRID_STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=[mpl.colors.to_rgb(c) for c in _COLORBLIND])
    named_colours = mpl.colors.get_named_colors_mapping()
    for code, colour in _COLOUR_CODES.items():
        named_colours[code] = mpl.colors.to_rgb(colour)
    mpl.rcParams.update(_BOOK_RC)


def budget_palette(
    budgets: Sequence[float] | np.ndarray, cmap: str = BUDGET_CMAP
) -> dict[float, tuple[float, float, float, float]]:
    """One colour per budget from a sequential colormap, keyed on log10 of the budget.

    Parameters
    ----------
    budgets : training budgets (FLOPs, > 0); duplicates are fine.
    cmap : a matplotlib sequential colormap name.

    Returns
    -------
    ``{budget: RGBA}`` in ascending budget order. Colours are spread over 85% of the
    colormap, evenly in log budget, so the smallest and largest budgets stay distinguishable
    and the lightest end (nearly white in many maps) is not used.
    """
    values = np.unique(np.ravel(as_positive("budgets", budgets)))
    if values.size == 0:
        raise ValueError("budgets needs at least one value, got an empty sequence")
    colormap = mpl.colormaps[cmap]
    logs = np.log10(values)
    span = np.ptp(logs)
    positions = (logs - logs.min()) / span * 0.85 if span > 0 else np.full(values.size, 0.45)
    return {
        float(b): tuple(float(c) for c in colormap(p))
        for b, p in zip(values, positions, strict=True)
    }


def _flops_grid(flops_range: Sequence[float], n_points: int = 200) -> np.ndarray:
    lo, hi = (float(v) for v in np.ravel(as_positive("flops_range", flops_range)))
    if lo >= hi:
        raise ValueError(f"flops_range must be (low, high) with low < high, got {flops_range!r}")
    return np.logspace(np.log10(lo), np.log10(hi), n_points)


def _check_axes(ax: Any) -> None:
    if not isinstance(ax, Axes):
        raise ValueError(
            f"ax must be a matplotlib Axes, got {type(ax).__name__}; use fig, ax = plt.subplots()"
        )


def plot_isoflop_points(
    ax: Axes,
    df: pd.DataFrame,
    n_col: str = "n_params",
    loss_col: str = "loss",
    budget_col: str = "budget",
    parabolas: Mapping[float, Any] | Any | None = None,
    legend: bool = True,
) -> Axes:
    """Iso-FLOP profiles: final loss against size, one colour per budget (paper Figure 3).

    Parameters
    ----------
    ax : axes to draw on.
    df : one row per trained model: size (parameters), loss (nats) and budget (FLOPs). Rows
        whose budget is NaN (on no iso-FLOP slice) are drawn small and grey, not dropped.
    n_col, loss_col, budget_col : column names.
    parabolas : optional fitted parabolas, ``{budget: ParabolaFit}`` (or an
        ``Approach2Result``, whose ``parabolas`` are used): each is drawn over its sampled
        sizes in its budget's colour with its vertex marked.
    legend : add a legend of budgets.

    Returns
    -------
    The axes, with a log size axis and a linear loss axis (as the paper's Figure 3).
    """
    _check_axes(ax)
    check_frame("df", df, (n_col, loss_col, budget_col))
    budget = pd.to_numeric(df[budget_col], errors="coerce")
    n_params = as_positive(n_col, df[n_col].to_numpy())
    loss = as_positive(loss_col, df[loss_col].to_numpy())
    on_slice = budget.notna().to_numpy()
    if parabolas is not None and hasattr(parabolas, "parabolas"):
        parabolas = parabolas.parabolas
    fitted = dict(parabolas or {})
    keyed = list(budget[on_slice].unique()) + list(fitted)
    palette = budget_palette(keyed) if keyed else {}
    if (~on_slice).any():
        ax.scatter(
            n_params[~on_slice], loss[~on_slice], s=10, color="0.6", label="no budget", zorder=1
        )
    for value, colour in palette.items():
        mask = on_slice & np.isclose(budget.to_numpy(dtype=float), value, rtol=1e-9, atol=0)
        if mask.any():
            ax.scatter(
                n_params[mask], loss[mask], s=18, color=colour, label=f"{value:.0e} FLOPs", zorder=2
            )
        fit = fitted.get(value)
        if fit is not None:
            sizes = np.logspace(np.log10(fit.n_min_sampled), np.log10(fit.n_max_sampled), 100)
            ax.plot(sizes, fit.predict(sizes), color=colour, zorder=3)
            ax.plot(
                [fit.n_opt], [fit.loss_opt], marker="D", ms=5, color=colour, mec="black", zorder=4
            )
    ax.set_xscale("log")
    ax.set_xlabel(PARAMS_LABEL)
    ax.set_ylabel(LOSS_LABEL)
    if legend and palette:
        # Outside the axes: iso-FLOP curves fill the plot area.
        ax.legend(title="Budget", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def _model_names(models: pd.DataFrame) -> pd.Series:
    for column in ("name", "model"):
        if column in models.columns:
            return models[column].astype(str)
    return pd.Series([""] * len(models), index=models.index)


def merge_close_labels(
    names: Sequence[str], x: Sequence[float], y: Sequence[float], min_dex: float = 0.05
) -> list[tuple[str, float, float]]:
    """One label per cluster of markers closer than ``min_dex`` in both log10 x and log10 y.

    Coinciding markers (GPT-3 and Jurassic in Table 1 differ by 1.7% in size) would print their
    names on top of each other; they share one label, ``"GPT-3 / Jurassic"``, at the first
    marker's position. Returns ``(label, x, y)`` tuples in the order of first appearance.
    """
    log_x = np.log10(as_positive("x", np.asarray(x, dtype=float)))
    log_y = np.log10(as_positive("y", np.asarray(y, dtype=float)))
    check_same_shape(names=np.asarray(names), x=log_x, y=log_y)
    labels: list[tuple[str, float, float]] = []
    anchors: list[tuple[float, float]] = []
    for name, lx, ly in zip(names, log_x, log_y, strict=True):
        for k, (ax_, ay_) in enumerate(anchors):
            if abs(lx - ax_) < min_dex and abs(ly - ay_) < min_dex:
                label, px, py = labels[k]
                labels[k] = (f"{label} / {name}", px, py)
                break
        else:
            anchors.append((lx, ly))
            labels.append((str(name), 10.0**lx, 10.0**ly))
    return labels


def separate_labels(
    ax: Axes, texts: Sequence[Any], obstacles_px: Sequence[Any] = (), pad_px: float = 2.0
) -> None:
    """Move annotation labels up, in their offset points, until no two overlap on screen.

    ``texts`` are ``ax.annotate`` results placed with ``textcoords="offset points"``; the
    lowest marker's label stays put and each label above it moves up just enough to clear the
    labels below it and the ``obstacles_px`` (display-space ``Bbox`` es, e.g. the markers).
    Draws the figure once to measure the text. Labels only move up, so annotate with a leader
    line (``arrowprops``) to keep a moved label attached to its marker.
    """
    _check_axes(ax)
    renderer = ax.figure.canvas.get_renderer()
    points_per_px = 72.0 / ax.figure.dpi

    def text_box(text: Any) -> Bbox:
        # The text alone: an Annotation's own extent also covers its leader line, and its
        # position in pixels is only refreshed by update_positions.
        text.update_positions(renderer)
        return Text.get_window_extent(text, renderer)

    placed = list(obstacles_px)
    for text in sorted(texts, key=lambda t: ax.transData.transform(t.xy)[1]):
        for _ in range(len(placed) + 1):  # each step clears one box for good
            box = text_box(text)
            hit = next((other for other in placed if box.overlaps(other)), None)
            if hit is None:
                break
            dx, dy = text.get_position()
            text.set_position((dx, dy + (hit.y1 - box.y0 + pad_px) * points_per_px))
        placed.append(text_box(text))


def plot_frontiers(
    ax: Axes,
    frontiers: Mapping[str, Any],
    flops_range: Sequence[float] = (1e17, 1e26),
    models: pd.DataFrame | None = None,
    annotate: bool = True,
) -> Axes:
    """Compute-optimal model size against compute for several laws (paper Figure 1).

    Parameters
    ----------
    ax : axes to draw on.
    frontiers : ``{label: law}`` where each law has ``n_opt(flops)`` in parameters, e.g. a
        :class:`~chinchilla_utils.laws.PowerLawFrontier` or
        :class:`~chinchilla_utils.laws.ParametricLoss`.
    flops_range : ``(low, high)`` training compute to draw over (FLOPs).
    models : optional table of trained models (Table 1: ``model`` or ``name``, ``params``,
        ``tokens``), marked at ``C = 6 N D`` (FLOPs) against ``N`` (parameters).
    annotate : write each model's name next to its marker.

    Returns
    -------
    The axes, log-log, with a legend.
    """
    _check_axes(ax)
    if not isinstance(frontiers, Mapping) or not frontiers:
        raise ValueError(
            f"frontiers must be a non-empty dict of label -> law, got {type(frontiers).__name__}"
        )
    flops = _flops_grid(flops_range)
    for label, law in frontiers.items():
        if not hasattr(law, "n_opt"):
            raise ValueError(f"frontier {label!r} has no n_opt(flops) method: got {law!r}")
        ax.plot(flops, np.asarray(law.n_opt(flops), dtype=float), label=str(label))
    ax.set_xscale("log")
    ax.set_yscale("log")
    if models is not None:
        check_frame("models", models, ("params", "tokens"))
        params = as_positive("models.params", models["params"].to_numpy())
        tokens = as_positive("models.tokens", models["tokens"].to_numpy())
        model_flops = 6.0 * params * tokens
        marker_size = 90.0  # points^2
        ax.scatter(
            model_flops, params, marker="*", s=marker_size, color="black", zorder=4, label="models"
        )
        if annotate:
            texts = [
                ax.annotate(
                    name,
                    (x, y),
                    xytext=(5, 3),
                    textcoords="offset points",
                    fontsize=8,
                    zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4", "shrinkB": 4},
                )
                for name, x, y in merge_close_labels(
                    list(_model_names(models)), model_flops, params
                )
            ]
            # Table 1's models sit within half a decade of each other: keep their names apart,
            # and off the other stars.
            ax.autoscale_view()
            radius_px = 0.5 * np.sqrt(marker_size) * ax.figure.dpi / 72.0
            stars = [
                Bbox.from_extents(px - radius_px, py - radius_px, px + radius_px, py + radius_px)
                for px, py in ax.transData.transform(np.column_stack([model_flops, params]))
            ]
            separate_labels(ax, texts, obstacles_px=stars)
    ax.set_xlabel(FLOPS_LABEL)
    ax.set_ylabel(PARAMS_LABEL)
    ax.legend()
    return ax


def plot_loss_contours(
    ax: Axes,
    law: Any,
    flops_range: Sequence[float] = (1e18, 1e24),
    n_range: Sequence[float] = (1e7, 1e12),
    levels: int | Sequence[float] = 12,
    n_grid: int = 200,
    frontier: bool = True,
) -> Axes:
    """Contours of ``law.loss(N, C / 6N)`` over compute and size, with the efficient frontier.

    The paper's Figure 4 (left): each contour is an iso-loss line; the frontier
    ``law.n_opt(C)`` passes through the point of each contour reached with least compute.

    Parameters
    ----------
    ax : axes to draw on.
    law : object with ``loss(n_params, n_tokens)`` (nats) and, for the frontier,
        ``n_opt(flops)``, e.g. :class:`~chinchilla_utils.laws.ParametricLoss`.
    flops_range : ``(low, high)`` training compute (FLOPs) on the x axis.
    n_range : ``(low, high)`` model size (parameters) on the y axis.
    levels : number of contour levels, or the loss values (nats) to draw.
    n_grid : grid points per axis.
    frontier : overlay ``law.n_opt`` as a line.

    Returns
    -------
    The axes, log-log, with the contour set labelled in nats.
    """
    _check_axes(ax)
    if not hasattr(law, "loss"):
        raise ValueError(f"law must have a loss(n_params, n_tokens) method, got {law!r}")
    flops = _flops_grid(flops_range, int(n_grid))
    n_lo, n_hi = (float(v) for v in np.ravel(as_positive("n_range", n_range)))
    if n_lo >= n_hi:
        raise ValueError(f"n_range must be (low, high) with low < high, got {n_range!r}")
    sizes = np.logspace(np.log10(n_lo), np.log10(n_hi), int(n_grid))
    c_mesh, n_mesh = np.meshgrid(flops, sizes)
    loss = np.asarray(law.loss(n_mesh, c_mesh / (6.0 * n_mesh)), dtype=float)
    if isinstance(levels, int | np.integer):
        if int(levels) < 1:
            raise ValueError(f"levels must be a positive count or loss values, got {levels!r}")
        # Evenly spaced losses over the bulk of the plotted region; matplotlib's own choice
        # wastes levels on the huge losses of tiny models trained on few tokens.
        low, high = np.percentile(loss, [2, 80])
        levels = np.linspace(low, high, int(levels))
    else:
        levels = np.sort(np.ravel(as_positive("levels", levels)))
    # Darker for higher loss; stop short of magma's near-white end so every level is visible.
    colours = [mpl.colormaps["magma"](p) for p in np.linspace(0.75, 0.0, len(levels))]
    contours = ax.contour(c_mesh, n_mesh, loss, levels=levels, colors=colours, linewidths=1.0)
    ax.clabel(contours, fmt="%.2f", fontsize=7)
    if frontier:
        if not hasattr(law, "n_opt"):
            raise ValueError("frontier=True needs law.n_opt(flops); pass frontier=False")
        n_opt = np.asarray(law.n_opt(flops), dtype=float)
        inside = (n_opt >= n_lo) & (n_opt <= n_hi)
        ax.plot(
            flops[inside],
            n_opt[inside],
            color=_COLORBLIND[0],
            lw=2.2,
            label="Efficient frontier",
        )
        ax.legend(loc="lower right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(FLOPS_LABEL)
    ax.set_ylabel(PARAMS_LABEL)
    ax.set_title("Iso-loss contours, labelled in nats per token", fontsize=10)
    return ax
