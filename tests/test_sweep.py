"""Tests of the laptop training sweep.

Plans, counts, loaders and the shipped ``book`` results need no torch and always run. The
``sweep``-marked tests train the ``smoke`` plan (seconds) and need torch, which CI installs
(``torch==2.13.0``); they fail, rather than skip, when it is missing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.datasets.sweep import (
    CURVES_COLUMNS,
    RUNS_COLUMNS,
    SWEEP_DIR,
    load_sweep_curves,
    load_sweep_meta,
    load_sweep_runs,
    verify_sweep_files,
)
from chinchilla_utils.sweep.corpus import is_validation_path, stdlib_py_files
from chinchilla_utils.sweep.model_shapes import (
    SEQ_LEN,
    VOCAB_SIZE,
    SweepShape,
    count_params,
    training_flops_per_token,
)
from chinchilla_utils.sweep.plans import (
    BOOK_BUDGETS,
    BOOK_PEAK_LR,
    BOOK_SECOND_SEED_BUDGETS,
    TOKENS_PER_STEP,
    get_plan,
    ladder_shapes,
    lr_calibration_factors,
    lr_calibration_plan,
    shapes_for_budget,
    steps_for_budget,
    width_rule_lr,
)

# --- no torch needed -------------------------------------------------------------------------


def test_importing_the_sweep_package_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, chinchilla_utils.sweep, chinchilla_utils.sweep.runner, "
        "chinchilla_utils.sweep.plans; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_param_count_by_hand_for_the_smallest_model():
    # L1, d16, tied head: tok 256*16 + pos 128*16 + attn 4*16^2 + mlp 2*16*64 + 3 LayerNorms.
    shape = SweepShape(1, 16, 1)
    by_hand = 256 * 16 + 128 * 16 + 4 * 256 + 2 * 16 * 64 + 3 * 2 * 16
    assert count_params(shape) == by_hand == 9312
    assert count_params(shape, include_embeddings=False) == by_hand - 384 * 16


def test_exact_flops_per_token_agrees_with_the_flops_module():
    flops = pytest.importorskip("chinchilla_utils.compute.flops")  # a sibling module, not torch
    for shape in ladder_shapes():
        paper_shape = flops.TransformerShape(
            n_layers=shape.n_layers,
            d_model=shape.d_model,
            ffw_size=shape.ffw_size,
            n_heads=shape.n_heads,
            kv_size=shape.kv_size,
            vocab_size=VOCAB_SIZE,
            seq_len=SEQ_LEN,
        )
        assert training_flops_per_token(shape) == pytest.approx(
            flops.training_flops_per_token(paper_shape, convention="appendix_f"), rel=1e-12
        )


def test_exact_flops_exceed_6n_at_byte_scale():
    # Attention over 128 positions and the 256-way logits are large next to tiny matrices.
    ratios = [training_flops_per_token(s) / (6 * count_params(s)) for s in ladder_shapes()]
    assert all(1.1 < r < 2.2 for r in ratios)
    assert ratios[0] > ratios[-1]


def test_validation_split_is_about_two_percent_and_stable():
    rel_paths = [rel for rel, _ in stdlib_py_files()]
    assert rel_paths == sorted(rel_paths)
    val = [p for p in rel_paths if is_validation_path(p)]
    assert 0.005 < len(val) / len(rel_paths) < 0.05
    assert is_validation_path(val[0]) and [is_validation_path(p) for p in val[:5]] == [True] * 5


def test_book_plan_shape():
    plan = get_plan("book")
    frame = pd.DataFrame(
        {
            "budget": [s.budget for s in plan],
            "seed": [s.seed for s in plan],
            "n_params": [count_params(s.shape) for s in plan],
            "n_steps": [s.n_steps for s in plan],
        }
    )
    assert sorted(frame["budget"].unique()) == sorted(BOOK_BUDGETS)
    per = frame.groupby(["budget", "seed"])["n_params"].nunique()
    assert (per == 6).all()
    assert set(frame.loc[frame["seed"] == 1, "budget"]) == set(BOOK_SECOND_SEED_BUDGETS)
    # Under ~500 optimizer steps runs stall and are noisy (the largest size at the smallest
    # budget has 492, documented in data/sweep/README.md).
    assert frame["n_steps"].min() >= 490
    # D = C / (6N), to within one step's rounding.
    tokens = frame["n_steps"] * TOKENS_PER_STEP
    assert np.allclose(6 * frame["n_params"] * tokens, frame["budget"], rtol=0.07)
    assert len({s.run_id for s in plan}) == len(plan)


def test_sizes_are_centred_on_the_byte_optimum():
    for budget in BOOK_BUDGETS:
        logs = [math.log10(count_params(s)) for s in shapes_for_budget(budget)]
        centre = 0.5 * math.log10(budget / 660)
        assert min(logs) < centre < max(logs)


def test_peak_lr_table_is_frozen_and_evidenced():
    assert BOOK_PEAK_LR is not None, "run the lr_calibration plan and freeze its table"
    widths = {s.shape.d_model for s in get_plan("book")}
    assert widths <= set(BOOK_PEAK_LR)
    evidence = pd.read_csv(SWEEP_DIR / "lr_calibration.csv")
    assert sorted(evidence["peak_lr"]) == pytest.approx(
        sorted(s.peak_lr for s in lr_calibration_plan())
    )
    for d_model, lr in BOOK_PEAK_LR.items():
        rows = evidence[evidence["d_model"] == d_model]
        assert len(rows) == len(lr_calibration_factors(d_model))
        best = rows.loc[rows["final_val_loss"].idxmin(), "peak_lr"]
        assert lr == pytest.approx(best)
        assert rows.loc[rows["peak_lr"] == best, "best"].all()
        # Bracketed: a worse rate on each side of the chosen one.
        assert rows["peak_lr"].min() < best < rows["peak_lr"].max(), (d_model, best)


def test_shipped_calibration_evidence_is_what_the_runner_writes():
    from chinchilla_utils.datasets.sweep import lr_calibration_summary

    shipped = pd.read_csv(SWEEP_DIR / "lr_calibration.csv")
    # Scramble the row order: the summary sorts and recomputes rule, factor and best itself.
    runs = shipped.drop(columns=["rule_lr", "factor", "best"]).sample(frac=1, random_state=0)
    rebuilt = lr_calibration_summary(runs)
    assert list(rebuilt.columns) == list(shipped.columns)
    pd.testing.assert_frame_equal(rebuilt, shipped, check_exact=False, rtol=1e-5)


def test_calibration_plan_spans_the_width_rule():
    specs = lr_calibration_plan()
    for d_model in {s.shape.d_model for s in specs}:
        rates = sorted(s.peak_lr for s in specs if s.shape.d_model == d_model)
        rule = width_rule_lr(d_model)
        assert rates == pytest.approx([f * rule for f in lr_calibration_factors(d_model)])
        assert {0.5, 1.0, 2.0} <= set(lr_calibration_factors(d_model))
    # Every book width is searched, at the smallest book budget that gives it 1,000 steps.
    assert {s.shape.d_model for s in get_plan("book")} <= {s.shape.d_model for s in specs}
    for spec in specs:
        assert spec.budget in BOOK_BUDGETS and spec.n_steps >= 1000
        smaller = [b for b in BOOK_BUDGETS if b < spec.budget]
        if smaller:
            assert steps_for_budget(max(smaller), count_params(spec.shape)) < 1000


def test_bare_invocations_never_overwrite_the_shipped_results():
    from chinchilla_utils.sweep.runner import default_out_dir

    assert default_out_dir("book") == SWEEP_DIR
    # lr_calibration writes only lr_calibration.csv there (see the runner).
    assert default_out_dir("lr_calibration") == SWEEP_DIR
    assert SWEEP_DIR not in default_out_dir("smoke").parents
    assert default_out_dir("smoke") != SWEEP_DIR
    with pytest.raises(ValueError, match="did you mean 'book'"):
        default_out_dir("bok")


def test_run_key_changes_with_what_changes_the_numbers():
    spec = get_plan("smoke")[0]
    other = get_plan("smoke")[1]
    assert spec.key("abc") == spec.key("abc")
    assert spec.key("abc") != spec.key("abd")
    assert spec.key("abc") != other.key("abc")


def test_unknown_plan_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match="did you mean 'smoke'"):
        get_plan("smok")


def test_loader_rejects_a_file_missing_columns(tmp_path):
    import hashlib
    import json

    pd.DataFrame({"plan": ["x"]}).to_csv(tmp_path / "runs.csv", index=False)
    digest = hashlib.sha256((tmp_path / "runs.csv").read_bytes()).hexdigest()
    (tmp_path / "sweep_meta.json").write_text(json.dumps({"sha256": {"runs.csv": digest}}))
    with pytest.raises(ValueError, match="lacks columns"):
        load_sweep_runs(tmp_path)
    with pytest.raises(ValueError, match="unknown kind"):
        load_sweep_curves(tmp_path, kind="training")


# --- the shipped book results ----------------------------------------------------------------


@pytest.fixture(scope="module")
def book_runs() -> pd.DataFrame:
    return load_sweep_runs()


def test_shipped_files_match_their_recorded_hashes():
    checks = verify_sweep_files()
    assert set(checks) == {"runs.csv", "curves.csv"}
    assert all(checks.values()), checks


def test_shipped_results_are_the_book_plan(book_runs):
    assert list(book_runs.columns) == list(RUNS_COLUMNS)
    assert set(book_runs["plan"]) == {"book"}
    assert sorted(book_runs["run_id"]) == sorted(s.run_id for s in get_plan("book"))
    meta = load_sweep_meta()
    assert meta["plan"] == "book" and meta["n_runs"] == len(book_runs)
    assert meta["corpus"]["n_bytes_train"] > 1e6


def test_every_budget_has_an_interior_minimum(book_runs):
    for (budget, seed), group in book_runs.groupby(["budget", "seed"]):
        group = group.sort_values("n_params")
        best = int(np.argmin(group["final_val_loss"].to_numpy()))
        assert 0 < best < len(group) - 1, (budget, seed, group["final_val_loss"].tolist())


def test_approach2_exponent_on_the_sweep(book_runs):
    from chinchilla_utils.fitting.approach2 import fit_approach2

    points = book_runs[book_runs["seed"] == 0].rename(columns={"final_val_loss": "loss"})
    result = fit_approach2(points[["n_params", "loss", "budget"]])
    assert 0.3 < result.a < 0.8


def test_shipped_curves_are_consistent_with_runs(book_runs):
    curves = load_sweep_curves(kind="all")
    assert list(curves.columns) == list(CURVES_COLUMNS)
    last_val = curves[curves["kind"] == "val"].groupby("run_id")["loss"].last()
    merged = book_runs.set_index("run_id")["final_val_loss"]
    assert np.allclose(last_val.loc[merged.index], merged)
    train = load_sweep_curves(kind="train")
    counts = train.groupby("run_id").size()
    # Whole-step blocks of n_steps // 200 steps: 200 points, up to twice that for short runs.
    assert counts.between(200, 400).all()
    # Losses in nats per byte: below uniform (ln 256), above zero, falling along each run.
    assert (curves["loss"] > 0).all() and (curves["loss"] < math.log(256) + 0.5).all()
    ends = train.groupby("run_id")["loss"].agg(["first", "last"])
    assert (ends["last"] < ends["first"] - 1).all()


# --- torch: the smoke plan, trained here -----------------------------------------------------


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    from chinchilla_utils.sweep.runner import run_plan

    root = tmp_path_factory.mktemp("smoke")
    first = run_plan(
        "smoke", jobs=2, out_dir=root / "out", cache_dir=root / "cache", progress=False
    )
    return root, first


@pytest.mark.sweep
def test_torch_model_has_the_counted_parameters():
    import torch  # noqa: F401  (fail loudly without torch: CI installs it)

    from chinchilla_utils.sweep.train import build_model

    for shape in ladder_shapes():
        model = build_model(shape)
        assert sum(p.numel() for p in model.parameters()) == count_params(shape)
        embedding = model.tok.weight.numel() + model.pos.weight.numel()
        assert count_params(shape) - embedding == count_params(shape, include_embeddings=False)


@pytest.mark.sweep
def test_learning_rate_schedule_spans_the_run():
    from chinchilla_utils.sweep.train import lr_at, warmup_steps_for

    n_steps, peak = 1000, 1e-2
    warmup = warmup_steps_for(n_steps)
    assert warmup == 50 and warmup_steps_for(100) == 10 and warmup_steps_for(10_000) == 200
    lrs = [lr_at(s, n_steps, peak, warmup) for s in range(n_steps)]
    assert lrs[warmup - 1] == pytest.approx(peak)
    assert max(lrs) == pytest.approx(peak)
    assert lrs[-1] == pytest.approx(0.1 * peak, rel=1e-3)  # cosine ends at the run's horizon
    assert all(a >= b for a, b in zip(lrs[warmup:], lrs[warmup + 1 :], strict=False))


@pytest.mark.sweep
def test_smoke_plan_results_are_well_formed(smoke):
    root, first = smoke
    assert first.n_executed == len(get_plan("smoke")) and first.n_skipped == 0
    runs = load_sweep_runs(root / "out")
    curves = load_sweep_curves(root / "out", kind="all")
    assert list(runs.columns) == list(RUNS_COLUMNS)
    assert list(curves.columns) == list(CURVES_COLUMNS)
    assert len(runs) == 4 and runs["run_id"].is_unique
    assert (runs["n_threads"] == 1).all()
    assert np.allclose(runs["flops_6nd"], 6 * runs["n_params"] * runs["n_tokens"])
    assert (runs["flops_exact"] > runs["flops_6nd"]).all()
    assert (runs["final_val_loss"] < math.log(256)).all()
    for run_id, group in curves.groupby("run_id"):
        for _, g in group.groupby("kind"):
            assert g["step"].is_monotonic_increasing and g["step"].is_unique
        n_steps = runs.set_index("run_id").loc[run_id, "n_steps"]
        assert group["step"].max() == n_steps
    assert all(verify_sweep_files(root / "out").values())


@pytest.mark.sweep
def test_second_invocation_runs_nothing(smoke):
    from chinchilla_utils.sweep.runner import run_plan

    root, _ = smoke
    before = (root / "out" / "runs.csv").read_bytes()
    again = run_plan(
        "smoke", jobs=2, out_dir=root / "out", cache_dir=root / "cache", progress=False
    )
    assert again.n_executed == 0 and again.n_skipped == len(get_plan("smoke"))
    assert (root / "out" / "runs.csv").read_bytes() == before


@pytest.mark.sweep
def test_same_seed_gives_bit_identical_results(smoke, tmp_path):
    import torch

    from chinchilla_utils.sweep.runner import execute_run

    root, _ = smoke
    spec = get_plan("smoke")[0]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # Re-train in this process; the first copy was trained in a worker process.
        path = Path(execute_run(spec, str(tmp_path)))
    finally:
        torch.set_num_threads(threads)
    again = json.loads(path.read_text())
    first = json.loads((root / "cache" / path.name).read_text())
    for field in ("loss", "val_loss", "step", "val_step", "n_params_torch"):
        assert again[field] == first[field], field
