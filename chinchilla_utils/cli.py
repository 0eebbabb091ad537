"""``chinchilla``: size a training run from the command line.

A thin layer over :mod:`chinchilla_utils.planning` and :mod:`chinchilla_utils.compute.cost`; every
number it prints comes from those tested functions. Subcommands:

- ``optimal``: N, D, tokens per parameter and predicted loss for a training budget, by a named
  law or one fitted to your own runs;
- ``inference``: the model of least lifetime FLOPs (or dollars) for a target loss and an
  inference demand (Sardana et al. 2024);
- ``data-limited``: the best split of a budget when unique data are capped, or the loss of one
  run on repeated data (Muennighoff et al. 2023);
- ``cost``: PF-days, accelerator-days and dollars of a budget;
- ``plan-sweep``: sizes for an IsoFLOP sweep and the interval on ``a`` to expect from it.

Human-readable tables by default, ``--json`` for scripts. A bad input exits with status 2 and
one line on stderr naming the value; a fit that fails on valid input exits with status 1.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click
import numpy as np
import pandas as pd

from .compute.cost import ACCELERATORS, accelerator_days, flops_to_pf_days, training_cost_usd
from .fitting.errors import FitError
from .laws import ParametricLoss
from .planning import (
    LAW_NAMES,
    DataConstrainedLaw,
    ServingHardware,
    TrainingHardware,
    compare_sweep_designs,
    cost_optimal,
    inference_optimal,
    law_from_runs,
    named_law,
    plan_isoflop_sweep,
)
from .planning.data_constrained import MUENNIGHOFF_VARIANTS

__all__ = ["cli", "main"]


class _OneLineErrors(click.Group):
    """A group whose errors are one line on stderr, never a usage dump or a traceback."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any):
        extra.pop("standalone_mode", None)
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as err:
            click.echo(err.format_message(), err=True)
            sys.exit(err.exit_code)
        except click.ClickException as err:
            message = " ".join(err.format_message().split())
            click.echo(f"Error: {message}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)


class _BadInput(click.ClickException):
    exit_code = 2


def _refusing_bad_input(command: Callable[..., None]) -> Callable[..., None]:
    """Turn the library's refusals into exit codes: bad input 2, a failed fit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (ValueError, TypeError) as err:  # the package's documented bad-input errors
            raise _BadInput(str(err)) from err
        except FitError as err:
            raise click.ClickException(f"the fit failed: {err}") from err

    return wrapper


# -- output -----------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _emit(rows: list[dict[str, Any]], as_json: bool, note: str = "") -> None:
    if as_json:
        click.echo(json.dumps([{k: _plain(v) for k, v in row.items()} for row in rows], indent=2))
        return
    table = pd.DataFrame(rows)

    def fmt(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "n/a" if not math.isfinite(float(value)) else f"{float(value):.4g}"
        return str(value)

    formatters = {c: fmt for c in table.columns}
    click.echo(table.to_string(index=False, formatters=formatters, na_rep="n/a"))
    if note:
        click.echo(note)


def _budgets(text: str) -> list[float]:
    try:
        values = [float(item) for item in text.split(",") if item.strip()]
    except ValueError as err:
        raise _BadInput(f"--budgets must be comma-separated numbers, got {text!r}") from err
    if not values:
        raise _BadInput(f"--budgets must list at least two budgets, got {text!r}")
    return values


def _law(name: str, runs: str | None) -> tuple[str, Any]:
    if runs is not None:
        return f"fit to {runs}", law_from_runs(runs).law
    return name, named_law(name)


def _loss_law(name: str, runs: str | None) -> tuple[str, ParametricLoss]:
    label, law = _law(name, runs)
    if not isinstance(law, ParametricLoss):
        raise _BadInput(
            f"law {name!r} is a frontier without a loss; this command needs one of "
            f"{[k for k, v in LAW_NAMES.items() if 'frontier' not in v]} or --runs"
        )
    return label, law


_LAW_OPTION = click.option(
    "--law",
    "law_name",
    type=click.Choice(list(LAW_NAMES)),
    default="paper",
    show_default=True,
    help="Named law: " + "; ".join(f"{k}: {v}" for k, v in LAW_NAMES.items()),
)
_RUNS_OPTION = click.option(
    "--runs",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CSV of your runs (columns n_params, n_tokens, loss): fit Approach 3 and use that law.",
)
_JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(cls=_OneLineErrors, no_args_is_help=True)
@click.version_option(package_name="chinchilla_utils")
def cli() -> None:
    """Size a language-model training run: compute-optimal, inference-aware, data-limited,
    its cost, and the IsoFLOP sweep that would measure the law.

    Numbers accept scientific notation (5.76e23). Run `chinchilla COMMAND --help` for examples.
    """


@cli.command("optimal")
@click.option(
    "--flops", multiple=True, type=float, required=True, help="Training budget, FLOPs (repeatable)."
)
@_LAW_OPTION
@click.option(
    "--compare", is_flag=True, help="Show every named law (ignores --law; --runs adds yours)."
)
@_RUNS_OPTION
@_JSON_OPTION
@_refusing_bad_input
def optimal(
    flops: tuple[float, ...], law_name: str, compare: bool, runs: str | None, as_json: bool
) -> None:
    """Compute-optimal size, tokens and loss for a training budget.

    \b
    Examples:
      chinchilla optimal --flops 5.76e23
      chinchilla optimal --flops 1e21 --flops 1e23 --law epoch --json
      chinchilla optimal --flops 5.76e23 --compare
      chinchilla optimal --flops 1e13 --runs my_runs.csv
    """
    laws: list[tuple[str, Any]] = []
    if compare:
        laws = [(name, named_law(name)) for name in LAW_NAMES]
        if runs is not None:
            laws.append(_law("", runs))
    else:
        laws = [_law(law_name, runs)]
    rows = []
    for label, law in laws:
        for budget in flops:
            loss = law.loss_opt(budget) if isinstance(law, ParametricLoss) else float("nan")
            rows.append(
                {
                    "law": label,
                    "flops": float(budget),
                    "n_params": float(law.n_opt(budget)),
                    "n_tokens": float(law.d_opt(budget)),
                    "tokens_per_param": float(law.tokens_per_param(budget)),
                    "loss": float(loss),
                }
            )
    _emit(rows, as_json, note="loss in nats; n/a: a frontier predicts no loss")


@cli.command("inference")
@click.option("--loss", type=float, default=None, help="Target loss, nats.")
@click.option(
    "--flops",
    type=float,
    default=None,
    help="Or: a training budget whose Chinchilla-optimal loss is the target.",
)
@click.option("--inference-tokens", type=float, default=None, help="Lifetime inference tokens.")
@click.option("--prompt-tokens", type=float, default=None, help="Lifetime prompt tokens (prefill).")
@click.option("--generated-tokens", type=float, default=None, help="Lifetime generated tokens.")
@click.option(
    "--train-accelerator",
    type=click.Choice(list(ACCELERATORS)),
    default="H100",
    show_default=True,
    help="Training accelerator (cost mode).",
)
@click.option(
    "--train-mfu", type=float, default=0.4, show_default=True, help="Training utilisation."
)
@click.option("--train-usd-per-hour", type=float, default=None, help="Price: sets cost mode.")
@click.option(
    "--serve-accelerator",
    type=click.Choice(list(ACCELERATORS)),
    default="H100",
    show_default=True,
    help="Serving accelerator (cost mode).",
)
@click.option("--prefill-mfu", type=float, default=0.5, show_default=True, help="Prompt tokens.")
@click.option(
    "--decode-mfu",
    type=float,
    default=0.01,
    show_default=True,
    help="Generated tokens (memory-bound; Sardana et al.'s scripts also default to 1%).",
)
@click.option("--serve-usd-per-hour", type=float, default=None, help="Price: sets cost mode.")
@_LAW_OPTION
@_RUNS_OPTION
@_JSON_OPTION
@_refusing_bad_input
def inference(
    loss: float | None,
    flops: float | None,
    inference_tokens: float | None,
    prompt_tokens: float | None,
    generated_tokens: float | None,
    train_accelerator: str,
    train_mfu: float,
    train_usd_per_hour: float | None,
    serve_accelerator: str,
    prefill_mfu: float,
    decode_mfu: float,
    serve_usd_per_hour: float | None,
    law_name: str,
    runs: str | None,
    as_json: bool,
) -> None:
    """The cheapest model over its lifetime: training plus inference (Sardana et al. 2024).

    Minimises 6ND + 2NT FLOPs at a fixed loss. With both prices it minimises dollars
    instead, prompt tokens at the prefill and generated tokens at the decode utilisation
    (give --prompt-tokens and --generated-tokens).

    \b
    Examples:
      chinchilla inference --loss 1.947 --inference-tokens 2e12 --law sardana
      chinchilla inference --flops 1e23 --inference-tokens 1e13 --json
      chinchilla inference --loss 1.947 --prompt-tokens 1e13 --generated-tokens 2.5e12 \\
          --train-accelerator A100 --train-mfu 0.5 --train-usd-per-hour 1.40 \\
          --serve-accelerator A100 --prefill-mfu 0.4 --decode-mfu 0.2 --serve-usd-per-hour 0.60
    """
    label, law = _loss_law(law_name, runs)
    split = (prompt_tokens, generated_tokens)
    if inference_tokens is not None and any(v is not None for v in split):
        raise _BadInput("give --inference-tokens or --prompt-tokens/--generated-tokens, not both")
    priced = (train_usd_per_hour, serve_usd_per_hour)
    if any(p is not None for p in priced):
        if any(p is None for p in priced) or any(v is None for v in split):
            raise _BadInput(
                "cost mode needs --train-usd-per-hour, --serve-usd-per-hour, --prompt-tokens "
                "and --generated-tokens"
            )
        result = cost_optimal(
            law,
            loss=loss,
            flops=flops,
            prompt_tokens=prompt_tokens,
            generated_tokens=generated_tokens,
            training=TrainingHardware(train_accelerator, train_mfu, train_usd_per_hour),
            serving=ServingHardware(serve_accelerator, prefill_mfu, decode_mfu, serve_usd_per_hour),
        )
        tokens, saving = result.inference_tokens, result.saving_fraction
        cost_of = result.total_usd
    else:
        if inference_tokens is None:
            if any(v is None for v in split):
                raise _BadInput(
                    "give --inference-tokens (or both --prompt-tokens and --generated-tokens)"
                )
            inference_tokens = float(prompt_tokens) + float(generated_tokens)
        result = inference_optimal(law, loss=loss, flops=flops, inference_tokens=inference_tokens)
        tokens, saving, cost_of = result.inference_tokens, result.saving_fraction, None
    rows = []
    for name, point in (("lifetime-optimal", result.optimum), ("chinchilla", result.chinchilla)):
        row = {
            "model": name,
            "law": label,
            "loss": point.loss,
            "n_params": point.n_params,
            "n_tokens": point.n_tokens,
            "tokens_per_param": point.tokens_per_param,
            "training_flops": point.training_flops,
            "inference_flops": point.inference_flops(tokens),
        }
        row["total_flops"] = row["training_flops"] + row["inference_flops"]
        if cost_of is not None:
            row["total_usd"] = cost_of(point)
        rows.append(row)
    measure = "dollars" if cost_of is not None else "FLOPs"
    _emit(rows, as_json, note=f"lifetime {measure} saved against Chinchilla: {saving:.2%}")


@cli.command("data-limited")
@click.option(
    "--unique-tokens",
    type=float,
    required=True,
    help="Unique tokens available (with --flops), or seen by the run (<= --n-tokens).",
)
@click.option("--flops", type=float, default=None, help="Training budget, FLOPs: find the split.")
@click.option("--n-params", type=float, default=None, help="Or: a run's parameters ...")
@click.option("--n-tokens", type=float, default=None, help="... and training tokens: its loss.")
@click.option(
    "--constants",
    type=click.Choice(list(MUENNIGHOFF_VARIANTS)),
    default="appendix_unrounded",
    show_default=True,
    help="Muennighoff et al. 2023's constants: Appendix A/B values or Eq. 17 as printed.",
)
@_JSON_OPTION
@_refusing_bad_input
def data_limited(
    unique_tokens: float,
    flops: float | None,
    n_params: float | None,
    n_tokens: float | None,
    constants: str,
    as_json: bool,
) -> None:
    """Repeated data: the best split of a budget, or one run's loss (Muennighoff et al. 2023).

    \b
    Examples:
      chinchilla data-limited --flops 9.26e21 --unique-tokens 25e9
      chinchilla data-limited --n-params 8.67e9 --n-tokens 178e9 --unique-tokens 25e9
    """
    law = DataConstrainedLaw.muennighoff2023(constants)
    run = (n_params, n_tokens)
    if (flops is None) == all(v is None for v in run) or (flops is None and None in run):
        raise _BadInput("give --flops, or both --n-params and --n-tokens")
    if flops is None:
        used = unique_tokens  # the unique tokens this run sees: the law refuses more than D
        rows = [
            {
                "n_params": n_params,
                "n_tokens": n_tokens,
                "unique_tokens": used,
                "epochs": n_tokens / used,
                "effective_params": float(law.effective_params(n_params, used)),
                "effective_tokens": float(law.effective_tokens(n_tokens, used)),
                "loss": float(law.loss(n_params, n_tokens, used)),
                "loss_if_all_fresh": float(law.base.loss(n_params, n_tokens)),
            }
        ]
        _emit(rows, as_json, note="losses in nats (C4-fitted law; compare runs, not absolutes)")
        return
    best = law.optimal_allocation(flops, unique_tokens)
    rows = [
        {
            "allocation": "data-constrained",
            "n_params": best.n_params,
            "n_tokens": best.n_tokens,
            "epochs": best.epochs,
            "loss": best.loss,
        },
        {
            "allocation": "chinchilla",
            "n_params": best.chinchilla_n_params,
            "n_tokens": best.chinchilla_n_tokens,
            "epochs": best.chinchilla_epochs,
            "loss": best.chinchilla_loss,
        },
    ]
    _emit(rows, as_json, note="losses in nats under the data-constrained law")


@cli.command("cost")
@click.option("--flops", type=float, default=None, help="Training FLOPs.")
@click.option("--n-params", type=float, default=None, help="Or: parameters ...")
@click.option("--n-tokens", type=float, default=None, help="... and tokens (FLOPs = 6ND).")
@click.option(
    "--accelerator", type=click.Choice(list(ACCELERATORS)), default="H100", show_default=True
)
@click.option("--mfu", type=float, default=0.4, show_default=True, help="Utilisation, (0, 1].")
@click.option("--usd-per-hour", type=float, default=None, help="Price of one accelerator-hour.")
@click.option("--chips", type=int, default=None, help="Accelerators in parallel: wall-clock days.")
@_JSON_OPTION
@_refusing_bad_input
def cost(
    flops: float | None,
    n_params: float | None,
    n_tokens: float | None,
    accelerator: str,
    mfu: float,
    usd_per_hour: float | None,
    chips: int | None,
    as_json: bool,
) -> None:
    """PF-days, accelerator-days and dollars of a training budget.

    \b
    Examples:
      chinchilla cost --flops 5.76e23 --accelerator TPUv4 --mfu 0.4
      chinchilla cost --n-params 70e9 --n-tokens 1.4e12 --usd-per-hour 2.5 --chips 1024 --json
    """
    run = (n_params, n_tokens)
    if (flops is None) == all(v is None for v in run) or (flops is None and None in run):
        raise _BadInput("give --flops, or both --n-params and --n-tokens")
    if flops is None:
        if n_params <= 0 or n_tokens <= 0 or not all(map(math.isfinite, run)):
            raise _BadInput(
                f"--n-params and --n-tokens must be positive, got {n_params}, {n_tokens}"
            )
        flops = 6.0 * n_params * n_tokens
    if not math.isfinite(flops) or flops <= 0:
        raise _BadInput(f"--flops must be a positive, finite budget, got {flops!r}")
    if chips is not None and chips < 1:
        raise _BadInput(f"--chips must be at least 1, got {chips}")
    days = float(accelerator_days(flops, accelerator, mfu))
    row: dict[str, Any] = {
        "flops": flops,
        "pf_days": float(flops_to_pf_days(flops)),
        "accelerator": accelerator,
        "mfu": mfu,
        "accelerator_days": days,
    }
    if chips is not None:
        row["wall_clock_days"] = days / chips
    if usd_per_hour is not None:
        row["usd"] = float(training_cost_usd(flops, accelerator, mfu, usd_per_hour))
    _emit(
        [row], as_json, note=f"{ACCELERATORS[accelerator].name}: {ACCELERATORS[accelerator].source}"
    )


@cli.command("plan-sweep")
@click.option("--budgets", required=True, help="Comma-separated budgets, FLOPs (at least 2).")
@click.option("--sizes", type=int, default=7, show_default=True, help="Model sizes per budget.")
@click.option("--half-width", type=float, default=0.5, show_default=True, help="Dex each side.")
@click.option(
    "--offset", type=float, default=0.0, show_default=True, help="Grid centre shift, dex."
)
@click.option("--noise", type=float, default=0.01, show_default=True, help="Std of log loss.")
@click.option("--simulations", type=int, default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@_LAW_OPTION
@_RUNS_OPTION
@_JSON_OPTION
@_refusing_bad_input
def plan_sweep(
    budgets: str,
    sizes: int,
    half_width: float,
    offset: float,
    noise: float,
    simulations: int,
    seed: int,
    law_name: str,
    runs: str | None,
    as_json: bool,
) -> None:
    """Sizes for an IsoFLOP sweep, and the interval on a it should give.

    Places the sizes around the law's optimum at each budget, then simulates the sweep
    (loss times exp(noise z)) and refits Approach 2.

    \b
    Examples:
      chinchilla plan-sweep --budgets 1e18,1e19,1e20,1e21
      chinchilla plan-sweep --budgets 3e11,1e12,3e12,1e13 --runs my_runs.csv --noise 0.02 --json
    """
    label, law = _loss_law(law_name, runs)
    flops = _budgets(budgets)
    settings = {"n_sizes": sizes, "half_width_dex": half_width, "centre_offset_dex": offset}
    plan = plan_isoflop_sweep(law, flops, **settings)
    expected = compare_sweep_designs(
        law, flops, [settings], noise, simulations, np.random.default_rng(seed)
    ).iloc[0]
    rows = plan.design.assign(law=label).to_dict("records")
    if as_json:
        click.echo(
            json.dumps(
                {
                    "design": [{k: _plain(v) for k, v in row.items()} for row in rows],
                    "expected": {k: _plain(v) for k, v in expected.items()},
                },
                indent=2,
            )
        )
        return
    _emit(rows, False)
    click.echo(
        f"a = {expected['true_a']:.4f} under {label}; with noise {noise} over {simulations} "
        f"simulated sweeps Approach 2 gives a in [{expected['a_p10']:.4f}, "
        f"{expected['a_p90']:.4f}] (10-90%), width {expected['a_width']:.4f}, "
        f"{int(expected['n_failed'])} failed"
    )


def main() -> None:
    """Entry point of the ``chinchilla`` console script."""
    cli()
