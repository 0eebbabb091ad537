"""The Approach 1 chapter's figures (curves and envelope, the horizon effect, the frontier fits,
the bootstrap readings) and the style of its tables.

Every plotting function draws on the ``Axes`` it is given (one, or a sequence for multi-panel
figures) and returns it, so a chapter cell is ``fig, ax = plt.subplots(); plot_...(ax, ...)``.
Compute and size axes are logarithmic; labels carry units (FLOPs, parameters, bytes, nats per
byte). :func:`styled_table` formats a tidy frame's numbers by magnitude, so that FLOPs, sizes
and exponents each read naturally without a per-column format in every cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter

from chinchilla_utils._validation import check_count, check_frame
from chinchilla_utils.book.approach1_analysis import BootstrapReadings, PaperApproach1
from chinchilla_utils.book.plotting import FLOPS_LABEL, PARAMS_LABEL, TOKENS_LABEL

__all__ = [
    "LOSS_BYTES_LABEL",
    "styled_table",
    "plot_bootstrap_readings",
    "plot_envelope",
    "plot_frontier_fits",
    "plot_horizon_effect",
    "select_pairs",
]

LOSS_BYTES_LABEL = "Loss (nats per byte)"


def _column_format(values: pd.Series) -> str:
    """One format for a numeric column: 3 significant digits for large or tiny magnitudes,
    thousands separators for whole numbers, else 3 decimals."""
    finite = values[np.isfinite(values)].abs()
    if finite.empty:
        return "{:.3f}"
    if finite.max() >= 1e6 or (finite[finite > 0].min() < 1e-3 if (finite > 0).any() else False):
        return "{:.3g}"
    if np.allclose(finite, np.round(finite)):
        return "{:,.0f}"
    return "{:.3f}"


def styled_table(frame: pd.DataFrame, percent: Sequence[str] = ()) -> Any:
    """``frame`` as a pandas Styler, numbers formatted by magnitude, index hidden.

    Parameters
    ----------
    frame : a tidy DataFrame.
    percent : columns holding fractions to show as signed percentages (``+6.9%``).

    Returns
    -------
    ``pandas.io.formats.style.Styler``; missing values show as blanks.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in percent if c not in frame.columns]
    if missing:
        raise ValueError(f"percent names columns {missing} that frame does not have")
    formats = {
        column: "{:+.1%}" if column in percent else _column_format(frame[column].astype(float))
        for column in frame.select_dtypes("number").columns
        if frame[column].dtype != bool
    }
    return frame.style.format(formats, na_rep="").hide(axis="index")


def _check_axes(ax: Any, n: int | None = None) -> list[Axes]:
    axes = list(np.ravel(ax)) if isinstance(ax, Sequence | np.ndarray) else [ax]
    if not all(isinstance(a, Axes) for a in axes):
        raise ValueError(f"ax must be a matplotlib Axes (or a sequence of them), got {ax!r}")
    if n is not None and len(axes) != n:
        raise ValueError(f"ax must hold {n} Axes, got {len(axes)}")
    return axes


def plot_envelope(
    ax: Axes, curves: pd.DataFrame, result: Any, palette: Mapping[float, Any]
) -> Axes:
    """Every training curve, coloured by size, under the envelope of an Approach 1 fit.

    Parameters
    ----------
    ax : the Axes.
    curves : the curves the fit used (``run_id``, ``n_params``, ``flops``, ``loss``), as logged
        or smoothed.
    result : an :class:`~chinchilla_utils.fitting.approach1.Approach1Result`; its envelope is
        drawn dashed outside the fitted range and as dots (coloured by the winning size) in it,
        on a shaded band.
    palette : ``{n_params: colour}`` (``budget_palette(sizes)``).
    """
    (ax,) = _check_axes(ax)
    check_frame("curves", curves, ("run_id", "n_params", "flops", "loss"))
    for _, run in curves.groupby("run_id"):
        color = palette[float(run["n_params"].iloc[0])]
        ax.plot(run["flops"], run["loss"], color=color, lw=0.8, alpha=0.6)
    envelope = result.envelope
    fitted = envelope[envelope["fitted"]]
    ax.plot(envelope["flops"], envelope["loss"], color="0.2", lw=1, ls="--", label="envelope")
    colors = [palette[float(n)] for n in fitted["n_params"]]
    ax.scatter(fitted["flops"], fitted["loss"], c=colors, s=8, zorder=3, label="envelope, fitted")
    ax.axvspan(result.flops_min, result.flops_max, color="C0", alpha=0.08)
    for n_params, color in palette.items():
        ax.plot([], [], color=color, label=f"N = {n_params:,.0f}")
    ax.set(xscale="log", xlabel=FLOPS_LABEL, ylabel=LOSS_BYTES_LABEL)
    ax.legend(fontsize="x-small", ncol=2)
    return ax


def select_pairs(pairs: pd.DataFrame, n_panels: int = 3) -> pd.DataFrame:
    """``n_panels`` horizon pairs spread over the range of gaps: smallest, ..., largest.

    Pairs are ranked by ``gap`` and taken at evenly spaced ranks (the smallest, the median
    and the largest for three), so a figure shows the typical case and both extremes.
    """
    check_frame("pairs", pairs, ("gap", "short_run_id", "long_run_id"))
    n_panels = check_count("n_panels", n_panels, minimum=1)
    if len(pairs) < n_panels:
        raise ValueError(f"pairs has {len(pairs)} rows, fewer than n_panels={n_panels}")
    ranked = pairs.sort_values("gap").reset_index(drop=True)
    ranks = np.unique(np.round(np.linspace(0, len(ranked) - 1, n_panels)).astype(int))
    return ranked.iloc[ranks]


def plot_horizon_effect(
    axes: Sequence[Axes], train: pd.DataFrame, val: pd.DataFrame, pairs: pd.DataFrame
) -> Sequence[Axes]:
    """One size at two schedule lengths, one panel per pair of runs.

    Parameters
    ----------
    axes : one Axes per row of ``pairs``.
    train : training curves (``run_id``, ``n_tokens``, ``loss``), smoothed as the fit's.
    val : validation points (the same columns, 8 a run).
    pairs : rows of :func:`~chinchilla_utils.book.training_curves.horizon_pairs`
        (``select_pairs`` picks a few).

    Each panel draws the shorter run (solid) and the longer run (dashed) against tokens, with
    their validation points (circles) and a vertical line where the shorter run ends: there
    the longer run, part way down its schedule, is above the run whose schedule ended.
    """
    check_frame(
        "pairs",
        pairs,
        ("n_params", "short_run_id", "long_run_id", "n_tokens", "short_budget", "long_budget"),
    )
    panels = _check_axes(axes, len(pairs))
    for ax, (_, pair) in zip(panels, pairs.iterrows(), strict=True):
        runs = (("short", "C1", "-"), ("long", "C0", "--"))
        for which, color, style in runs:
            run_id = pair[f"{which}_run_id"]
            curve = train[train["run_id"] == run_id]
            points = val[val["run_id"] == run_id]
            label = f"schedule to {pair[f'{which}_budget']:.0e} FLOPs"
            ax.plot(curve["n_tokens"], curve["loss"], color=color, ls=style, lw=1.2, label=label)
            ax.plot(points["n_tokens"], points["loss"], "o", color=color, ms=4)
        ax.axvline(pair["n_tokens"], color="0.4", lw=0.8, ls=":")
        ax.set(xscale="log", xlabel=TOKENS_LABEL + " (bytes)", ylabel=LOSS_BYTES_LABEL)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(pair["n_tokens"] / 10, None)
        ax.set_ylim(
            *np.percentile(train.loc[train["run_id"] == pair["long_run_id"], "loss"], [1, 95])
        )
        ax.set_title(f"N = {pair['n_params']:,.0f}", fontsize="small")
        ax.legend(fontsize="x-small")
    return panels


def plot_frontier_fits(
    axes: Sequence[Axes], result: Any, palette: Mapping[float, Any]
) -> Sequence[Axes]:
    """Size (first Axes) and tokens (second) of the envelope's fitted points, with power laws.

    The analogue of the paper's Figure 2 (centre and right): the size axis is a staircase of
    the sizes trained, since only those can win.
    """
    panels = _check_axes(axes, 2)
    fitted = result.envelope[result.envelope["fitted"]]
    line = np.logspace(np.log10(result.flops_min), np.log10(result.flops_max), 50)
    colors = [palette[float(n)] for n in fitted["n_params"]]
    specs = (
        ("n_params", result.n_fit, "a", PARAMS_LABEL),
        ("n_tokens", result.d_fit, "b", TOKENS_LABEL + " (bytes)"),
    )
    for ax, (column, fit, name, label) in zip(panels, specs, strict=True):
        ax.scatter(fitted["flops"], fitted[column], c=colors, s=6)
        ax.plot(line, fit.predict(line), "k-", label=f"power law, {name} = {fit.exponent:.3f}")
        ax.set(xscale="log", yscale="log", xlabel=FLOPS_LABEL, ylabel=label)
        ax.legend(fontsize="small")
    return panels


def plot_bootstrap_readings(ax: Axes, readings: BootstrapReadings, paper: PaperApproach1) -> Axes:
    """Histograms of the bootstrap values of ``a`` under each reading, with Table 2's interval.

    Step histograms (density) for the classic bootstrap over runs, the subsample of runs and
    the classic bootstrap over envelope points; a vertical line at the point estimate; a grey
    band for the paper's 10-90% interval and a dotted line at its ``a``.
    """
    (ax,) = _check_axes(ax)
    series = (
        ("classic bootstrap, runs", readings.replacement, "C0"),
        (f"subsample {readings.fraction:.0%}, runs", readings.subsample, "C1"),
        ("classic bootstrap, envelope points", readings.points, "C2"),
    )
    values = np.concatenate([r.samples["a"].dropna().to_numpy() for _, r, _ in series])
    bins = np.linspace(values.min(), values.max(), 60)
    for label, result, color in series:
        low, high = result.interval("a")
        text = f"{label}: width {high - low:.3f}"
        ax.hist(
            result.samples["a"].dropna(),
            bins=bins,
            density=True,
            histtype="step",
            color=color,
            lw=1.4,
            label=text,
        )
    ax.axvspan(
        paper.a_p10,
        paper.a_p90,
        color="0.5",
        alpha=0.3,
        label=f"Table 2: width {paper.a_width:.3f}",
    )
    ax.axvline(paper.a, color="0.3", ls=":", lw=1)
    ax.axvline(readings.a, color="k", lw=1, label=f"laptop estimate a = {readings.a:.3f}")
    ax.set(xlabel="a (N_opt ∝ C^a)", ylabel="density of resamples")
    ax.legend(fontsize="x-small")
    return ax
