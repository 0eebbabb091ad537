"""The ``chinchilla`` command line: through its entry point (CliRunner) and as the installed script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from chinchilla_utils.cli import cli
from chinchilla_utils.compute import cost as budget
from chinchilla_utils.laws import ParametricLoss
from chinchilla_utils.planning import (
    LAW_NAMES,
    DataConstrainedLaw,
    ServingHardware,
    TrainingHardware,
    cost_optimal,
    named_law,
)

COMMANDS = ("optimal", "inference", "data-limited", "cost", "plan-sweep")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str):
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- help ---------------------------------------------------------------------------------------
def test_top_level_help_lists_every_command():
    code, out, _ = run("--help")
    assert code == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    code, out, _ = run(command, "--help")
    assert code == 0
    assert "Examples:" in out and f"chinchilla {command} --" in out


def test_no_arguments_prints_help():
    code, _, err = run()
    assert code == 2 and "Commands:" in err


# -- optimal ------------------------------------------------------------------------------------
def test_optimal_with_the_paper_law():
    (row,) = run_json("optimal", "--flops", "5.76e23")
    law = ParametricLoss.paper_unrounded()
    assert row["law"] == "paper" and row["flops"] == 5.76e23
    assert row["n_params"] == pytest.approx(law.n_opt(5.76e23), rel=1e-12)
    assert row["n_tokens"] == pytest.approx(law.d_opt(5.76e23), rel=1e-12)
    assert row["tokens_per_param"] == pytest.approx(law.tokens_per_param(5.76e23), rel=1e-12)
    assert row["loss"] == pytest.approx(law.loss_opt(5.76e23), rel=1e-12)


def test_optimal_epoch_refit_and_several_budgets():
    rows = run_json("optimal", "--flops", "1e21", "--flops", "1e23", "--law", "epoch")
    law = named_law("epoch")
    assert [r["flops"] for r in rows] == [1e21, 1e23]
    assert rows[1]["n_params"] == pytest.approx(law.n_opt(1e23), rel=1e-12)


def test_optimal_compare_includes_frontiers_without_loss():
    rows = run_json("optimal", "--flops", "5.76e23", "--compare")
    assert [r["law"] for r in rows] == list(LAW_NAMES)
    by_law = {r["law"]: r for r in rows}
    assert by_law["approach1"]["n_params"] == pytest.approx(6.7e10, rel=1e-12)
    assert by_law["approach1"]["loss"] is None and by_law["paper"]["loss"] > 1.69
    code, out, _ = run("optimal", "--flops", "5.76e23", "--compare")
    assert code == 0 and "n/a" in out and "approach2" in out


def test_optimal_from_your_own_runs(tmp_path: Path):
    law = ParametricLoss(E=1.8, A=400.0, B=1500.0, alpha=0.35, beta=0.33)
    n = np.repeat(np.geomspace(1e7, 1e9, 8), 6)
    d = np.tile(np.geomspace(1e9, 1e11, 6), 8)
    path = tmp_path / "runs.csv"
    pd.DataFrame({"n_params": n, "n_tokens": d, "loss": law.loss(n, d)}).to_csv(path, index=False)
    (row,) = run_json("optimal", "--flops", "1e21", "--runs", str(path))
    assert row["law"] == f"fit to {path}"
    assert row["n_params"] == pytest.approx(law.n_opt(1e21), rel=1e-4)


# -- inference ----------------------------------------------------------------------------------
def test_inference_reproduces_sardana_et_al_readme():
    rows = run_json(
        "inference", "--loss", "1.947", "--inference-tokens", "2e12", "--law", "sardana"
    )
    best, chinchilla = rows
    assert best["model"] == "lifetime-optimal" and chinchilla["model"] == "chinchilla"
    assert best["n_params"] == pytest.approx(2.418e10, abs=0.0005e10)
    assert best["n_tokens"] == pytest.approx(2.657e12, abs=0.0005e12)
    assert best["total_flops"] / chinchilla["total_flops"] == pytest.approx(0.9522, abs=5e-5)


def test_inference_from_a_budget_prints_the_saving():
    code, out, _ = run("inference", "--flops", "1e23", "--inference-tokens", "1e13")
    assert code == 0 and "lifetime FLOPs saved against Chinchilla:" in out


def test_inference_cost_mode_matches_the_library():
    args = [
        "inference", "--loss", "1.95", "--prompt-tokens", "1e13", "--generated-tokens", "2.5e12",
        "--train-accelerator", "A100", "--train-mfu", "0.5", "--train-usd-per-hour", "1.4",
        "--serve-accelerator", "H100", "--prefill-mfu", "0.4", "--decode-mfu", "0.2",
        "--serve-usd-per-hour", "0.6",
    ]  # fmt: skip
    best, _ = run_json(*args)
    expected = cost_optimal(
        ParametricLoss.paper_unrounded(),
        loss=1.95,
        prompt_tokens=1e13,
        generated_tokens=2.5e12,
        training=TrainingHardware("A100", 0.5, 1.4),
        serving=ServingHardware("H100", 0.4, 0.2, 0.6),
    )
    assert best["n_params"] == pytest.approx(expected.optimum.n_params, rel=1e-12)
    assert best["total_usd"] == pytest.approx(expected.total_usd(expected.optimum), rel=1e-12)


# -- data-limited -------------------------------------------------------------------------------
def test_data_limited_allocation_and_a_single_run():
    best, chinchilla = run_json(
        "data-limited", "--flops", str(6 * 8.67e9 * 178e9), "--unique-tokens", "25e9"
    )
    assert best["n_params"] == pytest.approx(6.8e9, abs=0.05e9)
    assert best["epochs"] == pytest.approx(9.1, abs=0.05)
    assert best["loss"] <= chinchilla["loss"]
    (row,) = run_json(
        "data-limited", "--n-params", "8.67e9", "--n-tokens", "178e9", "--unique-tokens", "25e9"
    )
    assert row["loss"] == pytest.approx(2.2269634075087867, rel=1e-13)
    assert row["epochs"] == pytest.approx(7.12, rel=1e-12)
    law = DataConstrainedLaw.muennighoff2023()
    assert row["loss_if_all_fresh"] == pytest.approx(law.base.loss(8.67e9, 178e9), rel=1e-13)


# -- cost ---------------------------------------------------------------------------------------
def test_cost_of_chinchilla_on_h100s():
    (row,) = run_json(
        "cost", "--n-params", "70e9", "--n-tokens", "1.4e12", "--usd-per-hour", "2.5",
        "--chips", "1024",
    )  # fmt: skip
    flops = 6 * 70e9 * 1.4e12
    assert row["flops"] == pytest.approx(flops, rel=1e-15)
    assert row["pf_days"] == pytest.approx(budget.flops_to_pf_days(flops), rel=1e-12)
    days = budget.accelerator_days(flops, "H100", 0.4)
    assert row["accelerator_days"] == pytest.approx(days, rel=1e-12)
    assert row["wall_clock_days"] == pytest.approx(days / 1024, rel=1e-12)
    assert row["usd"] == pytest.approx(budget.training_cost_usd(flops, "H100", 0.4, 2.5), rel=1e-12)


# -- plan-sweep ---------------------------------------------------------------------------------
def test_plan_sweep_design_and_expected_interval():
    out = run_json(
        "plan-sweep", "--budgets", "1e18,1e19,1e20", "--sizes", "5", "--simulations", "40"
    )
    assert len(out["design"]) == 15
    assert {"budget", "n_params", "n_tokens", "predicted_loss"} <= set(out["design"][0])
    expected = out["expected"]
    assert expected["true_a"] == pytest.approx(ParametricLoss.paper_unrounded().a, rel=1e-12)
    assert expected["a_p10"] < expected["true_a"] < expected["a_p90"]
    code, text, _ = run(
        "plan-sweep", "--budgets", "1e18,1e19,1e20", "--sizes", "5", "--simulations", "40"
    )
    assert code == 0 and "Approach 2 gives a in [" in text


# -- bad input: exit 2 and one line on stderr ---------------------------------------------------
BAD_INPUTS = [
    (["optimal", "--flops", "-1"], "flops must be strictly positive"),
    (["optimal", "--flops", "nan"], "flops must be finite"),
    (["optimal", "--flops", "inf"], "flops must be finite"),
    (["optimal", "--flops", "lots"], "'lots' is not a valid float"),
    (["optimal"], "Missing option '--flops'"),
    (["optimal", "--flops", "1e21", "--law", "nope"], "'nope' is not one of"),
    (["optimal", "--flops", "1e21", "--runs", "no/such.csv"], "does not exist"),
    (["inference", "--loss", "1.6", "--inference-tokens", "1e12"], "at or below the law's"),
    (["inference", "--loss", "2.0", "--inference-tokens", "-5"], "inference_tokens must be >= 0"),
    (["inference", "--inference-tokens", "1e12"], "give exactly one of loss"),
    (["inference", "--loss", "2", "--flops", "1e22", "--inference-tokens", "1"], "exactly one"),
    (["inference", "--loss", "2.0"], "give --inference-tokens"),
    (
        ["inference", "--loss", "2.0", "--inference-tokens", "1", "--prompt-tokens", "1"],
        "not both",
    ),
    (
        ["inference", "--loss", "2.0", "--prompt-tokens", "1", "--generated-tokens", "1",
         "--train-usd-per-hour", "2"],
        "cost mode needs",
    ),
    (
        ["inference", "--loss", "2.0", "--prompt-tokens", "1", "--generated-tokens", "1",
         "--train-usd-per-hour", "2", "--serve-usd-per-hour", "1", "--decode-mfu", "3"],
        "decode_mfu must be",
    ),
    (
        ["inference", "--loss", "2.0", "--inference-tokens", "1", "--law", "approach1"],
        "is a frontier without a loss",
    ),
    (["data-limited", "--unique-tokens", "1e9"], "give --flops, or both"),
    (["data-limited", "--unique-tokens", "0", "--flops", "1e21"], "must be strictly positive"),
    (["data-limited", "--unique-tokens", "1e9", "--flops", "-1e21"], "flops must be strictly"),
    (
        ["data-limited", "--unique-tokens", "2e11", "--n-params", "1e9", "--n-tokens", "1e11"],
        "exceeds n_tokens",
    ),
    (["data-limited", "--unique-tokens", "1e9", "--n-params", "1e9"], "give --flops, or both"),
    (["cost", "--flops", "1e21", "--mfu", "0"], "mfu must lie in (0, 1]"),
    (["cost", "--flops", "1e21", "--mfu", "1.5"], "mfu must lie in (0, 1]"),
    (["cost", "--flops", "-1e21"], "--flops must be a positive"),
    (["cost", "--flops", "1e21", "--accelerator", "Z80"], "'Z80' is not one of"),
    (["cost", "--flops", "1e21", "--chips", "0"], "--chips must be at least 1"),
    (["cost", "--flops", "1e21", "--usd-per-hour", "-2"], "usd_per_hour must be strictly"),
    (["cost", "--flops", "1e21", "--n-params", "1e9", "--n-tokens", "1e9"], "give --flops, or"),
    (["cost", "--n-params", "-1e9", "--n-tokens", "1e9"], "must be positive"),
    (["plan-sweep", "--budgets", "1e18"], "at least 2 distinct budgets"),
    (["plan-sweep", "--budgets", "1e18,abc"], "comma-separated numbers"),
    (["plan-sweep", "--budgets", "1e18,1e19", "--sizes", "2"], "n_sizes must be an integer >= 3"),
    (["plan-sweep", "--budgets", "1e18,1e19", "--offset", "0.6"], "outside the sampled sizes"),
    (["plan-sweep", "--budgets", "1e18,1e19", "--noise", "-1"], "noise must be >= 0"),
    (["plan-sweep", "--budgets", "1e18,1e19", "--simulations", "0"], "n_simulations must be"),
    (["plan-sweep", "--budgets", "1e18,-1e19"], "budgets must be strictly positive"),
    (["frobnicate"], "No such command 'frobnicate'"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_exits_2_with_one_line(args, message):
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("Error: "), err
    assert message in err and "Traceback" not in err


def test_a_runs_file_without_the_columns_is_bad_input(tmp_path: Path):
    path = tmp_path / "runs.csv"
    pd.DataFrame({"params": [1, 2], "loss": [3, 4]}).to_csv(path, index=False)
    code, _, err = run("optimal", "--flops", "1e21", "--runs", str(path))
    assert code == 2 and "runs lacks column(s) ['n_params', 'n_tokens']" in err


# -- the installed script, as a real subprocess -------------------------------------------------
def _script() -> Path:
    script = Path(sys.executable).parent / (
        "chinchilla.exe" if sys.platform == "win32" else "chinchilla"
    )
    if not script.exists():
        pytest.fail(
            f"the console script {script} is missing: reinstall the package (pip install -e .) "
            "so that pyproject.toml's [project.scripts] entry is installed"
        )
    return script


def test_installed_script_runs_and_refuses_bad_input():
    script = _script()
    ok = subprocess.run(
        [str(script), "optimal", "--flops", "5.76e23", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    (row,) = json.loads(ok.stdout)
    assert row["n_params"] == pytest.approx(ParametricLoss.paper_unrounded().n_opt(5.76e23))
    bad = subprocess.run(
        [str(script), "inference", "--loss", "1.0", "--inference-tokens", "1e12"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "at or below the law's irreducible loss" in bad.stderr
    assert "Traceback" not in bad.stderr
