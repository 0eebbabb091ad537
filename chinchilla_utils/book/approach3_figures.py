"""The Approach 3 chapter's figures: each draws on an ``Axes`` it is given and returns it.

* :func:`plot_runs_on_contours`: a law's iso-loss contours and frontier with the runs on top
  (the paper's Figure 4, left);
* :func:`plot_residuals_vs_compute`: each law's log-loss residuals against compute, with the
  paper's ``1e21`` FLOPs line (its Section 3.4);
* :func:`plot_isoflop_slices`: the runs of each IsoFLOP budget and the laws' loss along it (the
  paper's Figure 4, right);
* :func:`plot_bootstrap_a`: the bootstrap distributions of ``a`` beside Table 2's interval;
* :func:`plot_alpha_beta_ridge`: the bootstrap's ``(alpha, beta)`` cloud, the ridge along which
  the fit is poorly determined, and the lines of constant ``a``;
* :func:`plot_scale_exponent_ridges`: ``log A`` against ``alpha`` and ``log B`` against ``beta``
  over the bootstrap, the two ridges along which the constants trade off;
* :func:`plot_laptop_contours`: the law fitted to the laptop sweep, with its short runs marked.

Axes carry units: FLOPs, parameters, nats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from chinchilla_utils._validation import check_frame
from chinchilla_utils.book.plotting import (
    FLOPS_LABEL,
    LOSS_LABEL,
    PARAMS_LABEL,
    budget_palette,
    plot_loss_contours,
)
from chinchilla_utils.fitting import diagnostics as dg
from chinchilla_utils.fitting.bootstrap import BootstrapResult
from chinchilla_utils.laws import ParametricLoss

__all__ = [
    "plot_alpha_beta_ridge",
    "plot_laptop_contours",
    "plot_bootstrap_a",
    "plot_isoflop_slices",
    "plot_residuals_vs_compute",
    "plot_runs_on_contours",
    "plot_scale_exponent_ridges",
]

_LINESTYLES = ("-", "--", ":", "-.")


def _check(ax: Any, laws: Mapping[str, Any] | None = None) -> None:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if laws is not None:
        if not isinstance(laws, Mapping) or not laws:
            raise ValueError(
                f"laws must be a non-empty dict of label -> ParametricLoss, got {laws!r}"
            )
        for label, law in laws.items():
            if not isinstance(law, ParametricLoss):
                raise TypeError(f"law {label!r} must be a ParametricLoss, got {type(law).__name__}")


def plot_runs_on_contours(
    ax: Axes,
    law: ParametricLoss,
    runs: pd.DataFrame,
    marked: tuple[float, float] | None = None,
    flops_range: Sequence[float] = (1e18, 1e24),
    n_range: Sequence[float] = (3e7, 3e11),
    loss_max: float | None = 3.5,
    flag: str = "outlier",
    flag_label: str = "flagged outliers",
    colorbar: bool = True,
) -> Axes:
    """Iso-loss contours and the frontier of ``law``, the runs coloured by their loss.

    Parameters
    ----------
    ax : axes to draw on.
    law : the law whose contours are drawn.
    runs : ``flops``, ``n_params``, ``loss`` per run; runs whose boolean column ``flag`` is
        True are drawn as red crosses labelled ``flag_label``.
    marked : ``(flops, n_params)`` of Chinchilla, marked with a star.
    flops_range, n_range : the axes' ranges (FLOPs, parameters).
    loss_max : top of the colour scale (nats); None for the largest loss of the unflagged
        runs (the outliers' huge losses would wash the scale out).
    colorbar : add a colour bar for the runs' losses.
    """
    _check(ax, {"law": law})
    check_frame("runs", runs, ("flops", "n_params", "loss"))
    plot_loss_contours(ax, law, flops_range=flops_range, n_range=n_range, levels=12)
    flagged = runs[flag].to_numpy(bool) if flag in runs else np.zeros(len(runs), bool)
    kept = runs[~flagged]
    top = float(kept["loss"].max()) if loss_max is None else float(loss_max)
    shown = ax.scatter(
        kept["flops"], kept["n_params"], c=kept["loss"], cmap="viridis", s=14, zorder=3,
        vmin=float(runs["loss"].min()), vmax=top, label="runs",
    )  # fmt: skip
    if flagged.any():
        ax.scatter(
            runs.loc[flagged, "flops"], runs.loc[flagged, "n_params"], marker="x", color="red",
            s=30, zorder=4, label=flag_label,
        )  # fmt: skip
    if marked is not None:
        ax.scatter([marked[0]], [marked[1]], marker="*", s=160, color="black", zorder=5,
                   label="Chinchilla")  # fmt: skip
    ax.legend(loc="upper left", fontsize=7)
    if colorbar:
        ax.figure.colorbar(shown, ax=ax, label="final loss of the run (nats)", shrink=0.8)
    return ax


def plot_residuals_vs_compute(
    ax: Axes, runs: pd.DataFrame, laws: Mapping[str, ParametricLoss], split_flops: float = 1e21
) -> Axes:
    """Each law's residual ``log L - log L_hat`` against the run's compute.

    A law that describes the runs scatters around zero at every compute; a trend with compute
    is a curvature the law cannot follow. The vertical line is ``split_flops``.
    """
    _check(ax, laws)
    check_frame("runs", runs, ("flops", "n_params", "n_tokens", "loss"))
    for i, (label, law) in enumerate(laws.items()):
        r = dg.log_residuals(law, runs["n_params"], runs["n_tokens"], runs["loss"])
        ax.scatter(runs["flops"], r, s=10, alpha=0.7, color=f"C{i}", label=label)
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.axvline(split_flops, color="0.3", ls=":", lw=1.0, label=f"{split_flops:.0e} FLOPs")
    ax.set_xscale("log")
    ax.set_xlabel(FLOPS_LABEL)
    ax.set_ylabel(r"residual $\log L - \log \hat L$")
    ax.legend(fontsize=8)
    return ax


def plot_isoflop_slices(
    ax: Axes, runs: pd.DataFrame, laws: Mapping[str, ParametricLoss], n_points: int = 200
) -> Axes:
    """The runs of each IsoFLOP budget against size, and each law's loss along that budget.

    ``runs`` needs ``isoflop_budget`` (NaN off every budget), ``n_params`` and ``loss``. The
    first law is drawn solid, the next dashed, then dotted.
    """
    _check(ax, laws)
    check_frame("runs", runs, ("isoflop_budget", "n_params", "loss"))
    on = runs[runs["isoflop_budget"].notna()]
    colours = budget_palette(on["isoflop_budget"].to_numpy(dtype=float))
    for budget, colour in colours.items():
        group = on[on["isoflop_budget"] == budget]
        ax.scatter(group["n_params"], group["loss"], s=12, color=colour, zorder=3)
        sizes = np.logspace(np.log10(group["n_params"].min() / 1.5),
                            np.log10(group["n_params"].max() * 1.5), n_points)  # fmt: skip
        for style, law in zip(_LINESTYLES, laws.values(), strict=False):
            ax.plot(sizes, dg.isoflop_slice(law, budget, sizes), ls=style, color=colour, lw=1.2)
    for style, label in zip(_LINESTYLES, laws, strict=False):
        ax.plot([], [], ls=style, color="0.3", label=label)
    ax.set_xscale("log")
    ax.set_xlabel(PARAMS_LABEL)
    ax.set_ylabel(LOSS_LABEL)
    ax.legend(fontsize=8, title="budgets 6e18 (dark) to 3e21 FLOPs", loc="upper right")
    return ax


def plot_bootstrap_a(
    ax: Axes,
    readings: Mapping[str, BootstrapResult],
    printed: tuple[float, float],
    marks: Mapping[str, float] | None = None,
) -> Axes:
    """Histograms of ``a`` from each bootstrap, Table 2's printed interval and marked values.

    Parameters
    ----------
    readings : ``{label: BootstrapResult}``.
    printed : Table 2's ``(a_p10, a_p90)``.
    marks : ``{label: a}`` drawn as vertical lines (the refit, the paper's constants).
    """
    _check(ax)
    values = [boot.samples["a"].dropna().to_numpy(float) for boot in readings.values()]
    bins = np.linspace(min(v.min() for v in values), max(v.max() for v in values), 30)
    for i, (label, v) in enumerate(zip(readings, values, strict=True)):
        ax.hist(v, bins=bins, color=f"C{i}", alpha=0.55, label=label)
    ax.axvspan(*printed, color="C3", alpha=0.8, label="Table 2, 10-90%")
    for j, (label, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color="black", ls=_LINESTYLES[j % 4], lw=1.3, label=label)
    ax.set_xlabel(r"$a = \beta / (\alpha + \beta)$")
    ax.set_ylabel("resamples")
    ax.legend(fontsize=7)
    return ax


def plot_alpha_beta_ridge(
    ax: Axes,
    samples: pd.DataFrame,
    laws: Mapping[str, ParametricLoss],
    a_lines: Sequence[float] = (0.454, 0.455),
    errors: tuple[float, float] | None = None,
) -> Axes:
    """The bootstrap's ``(alpha, beta)`` pairs, the laws, and the lines of constant ``a``.

    ``a = beta / (alpha + beta)`` is constant along rays ``beta = alpha a / (1 - a)`` through
    the origin; Table 2's interval is the thin wedge between two of them (``a_lines``).
    ``errors`` draws ``(s.e. alpha, s.e. beta)`` as error bars on the first law.
    """
    _check(ax, laws)
    check_frame("samples", samples, ("alpha", "beta"))
    ax.scatter(samples["alpha"], samples["beta"], s=8, alpha=0.5, color="C0", label="resamples")
    markers = ("*", "o", "s", "D")
    for i, (label, law) in enumerate(laws.items()):
        ax.scatter([law.alpha], [law.beta], marker=markers[i % 4], s=70, color=f"C{i + 1}",
                   edgecolor="black", zorder=4, label=label)  # fmt: skip
    if errors is not None:
        first = next(iter(laws.values()))
        ax.errorbar([first.alpha], [first.beta], xerr=[errors[0]], yerr=[errors[1]],
                    color="C1", capsize=3, zorder=3)  # fmt: skip
    lo, hi = ax.get_xlim()
    alphas = np.linspace(lo, hi, 2)
    for a in a_lines:
        ax.plot(alphas, alphas * a / (1 - a), color="C3", lw=0.9)
    ax.plot([], [], color="C3", lw=0.9, label=f"a = {a_lines[0]:g} and {a_lines[-1]:g}")
    ax.set_xlim(lo, hi)
    ax.set_xlabel(r"$\alpha$ (size exponent)")
    ax.set_ylabel(r"$\beta$ (data exponent)")
    ax.legend(fontsize=7)
    return ax


def plot_laptop_contours(
    ax: Axes, law: ParametricLoss, sweep: pd.DataFrame, min_tokens_per_param: float = 20.0
) -> Axes:
    """Contours of the law fitted to the laptop sweep over the sweep's own range (a third of a
    decade beyond it each way), the runs coloured by loss, the short runs (fewer bytes per
    parameter than ``min_tokens_per_param``) as red crosses."""
    check_frame("sweep", sweep, ("flops", "n_params", "loss", "tokens_per_param"))
    runs = sweep.assign(short=sweep["tokens_per_param"] < float(min_tokens_per_param))
    flops_range = (float(runs["flops"].min()) / 3, float(runs["flops"].max()) * 3)
    n_range = (float(runs["n_params"].min()) / 3, float(runs["n_params"].max()) * 3)
    plot_runs_on_contours(
        ax, law, runs, flops_range=flops_range, n_range=n_range, loss_max=None, flag="short",
        flag_label=f"short runs (< {min_tokens_per_param:g} bytes/param)",
    )  # fmt: skip
    ax.set_title("Laptop sweep: iso-loss contours in nats per byte", fontsize=10)
    return ax


def plot_scale_exponent_ridges(
    ax: Axes, samples: pd.DataFrame, laws: Mapping[str, ParametricLoss] | None = None
) -> Axes:
    """``log A`` against ``alpha`` and ``log B`` against ``beta`` for each bootstrap refit.

    Each scale trades off against its own exponent (``A / N**alpha`` barely changes along the
    ridge over the sizes fitted), so the points fall on two narrow lines; ``laws`` are marked
    on both.
    """
    _check(ax, laws)
    check_frame("samples", samples, ("A", "B", "alpha", "beta"))
    ok = samples[["A", "B", "alpha", "beta"]].notna().all(axis=1)
    kept = samples[ok]
    ax.scatter(kept["alpha"], np.log(kept["A"]), s=8, alpha=0.5, color="C0",
               label=r"$\log A$ against $\alpha$")  # fmt: skip
    ax.scatter(kept["beta"], np.log(kept["B"]), s=8, alpha=0.5, color="C2",
               label=r"$\log B$ against $\beta$")  # fmt: skip
    markers = ("*", "o", "s", "D")
    for i, (label, law) in enumerate((laws or {}).items()):
        ax.scatter([law.alpha, law.beta], [np.log(law.A), np.log(law.B)], marker=markers[i % 4],
                   s=60, color=f"C{i + 1}", edgecolor="black", zorder=4, label=label)  # fmt: skip
    ax.set_xlabel("exponent")
    ax.set_ylabel("log of its scale")
    ax.legend(fontsize=7)
    return ax
