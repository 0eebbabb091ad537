"""Tests of the counting conventions (compute.conventions) and Pearce and Song's relation
(compute.reconcile): hand counts for real shapes, each convention applied to a known frame, the
``paper`` convention giving exactly today's fits, Table A9 matching, and the local exponent
checked against finite differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book.training_curves import approach1_curves
from chinchilla_utils.compute.conventions import (
    CONVENTIONS,
    COUNT_COLUMNS,
    CountingConvention,
    apply_convention,
    get_convention,
    match_table_a9,
    shape_counts,
    sweep_counts,
)
from chinchilla_utils.compute.flops import CHINCHILLA_70B, TransformerShape
from chinchilla_utils.compute.reconcile import (
    fit_embedding_relation,
    local_exponent,
    non_embedding_compute,
    range_exponent,
)
from chinchilla_utils.datasets.paper import table_a9
from chinchilla_utils.datasets.sweep import load_sweep_curves, load_sweep_runs
from chinchilla_utils.fitting.approach1 import fit_approach1
from chinchilla_utils.fitting.approach2 import fit_approach2
from chinchilla_utils.fitting.approach3 import fit_approach3, subsample_grid
from chinchilla_utils.laws import ParametricLoss
from chinchilla_utils.sweep.model_shapes import SweepShape

# --- hand counts -----------------------------------------------------------------------------


def test_sweep_shape_hand_count():
    # L2-d32-h2, vocabulary 256, context 128, tied head: per layer 4d^2 + 8d^2 + 4d = 12,416.
    counts = shape_counts(SweepShape(2, 32, 2))
    non_embedding = 2 * (4 * 32**2 + 2 * 32 * 128 + 4 * 32) + 2 * 32
    assert counts["n_params_non_embedding"] == non_embedding == 24_896
    assert counts["n_params_non_embedding_with_head"] == non_embedding + 256 * 32
    assert counts["n_params_all"] == non_embedding + (256 + 128) * 32 == 37_184
    # DeepSeek's M = 72 n_layer d^2 + 12 n_layer d l_seq (ffw = 4d, heads x kv = d).
    assert counts["flops_per_token_deepseek_m"] == 72 * 2 * 32**2 + 12 * 2 * 32 * 128
    # Appendix F per sequence, term by term, then 3 x forward / seq_len.
    s, d, v, layers, heads = 128, 32, 256, 2, 2
    forward = (
        2 * s * v * d
        + layers * (6 * s * d * d + 2 * s * s * d + 3 * heads * s * s + 2 * s * s * d)
        + layers * (2 * s * d * d + 2 * s * 2 * d * 4 * d)
        + 2 * s * d * v
    )
    assert counts["flops_per_token_appendix_f"] == 3 * forward / s == 348_672


def test_chinchilla_70b_hand_count():
    d, f, w, layers, vocab, s, heads = 8192, 32768, 8192, 80, 32_000, 2048, 64
    per_layer = (3 * d * w + 3 * w) + (w * d + 2 * w) + (w * d + d) + (2 * d * f + f + d) + 4 * d
    non_embedding = layers * per_layer + 2 * d
    counts = shape_counts(CHINCHILLA_70B)
    assert counts["n_params_non_embedding"] == non_embedding
    assert counts["n_params_non_embedding_with_head"] == non_embedding + d * vocab
    assert counts["n_params_all"] == non_embedding + 2 * d * vocab
    assert counts["flops_per_token_deepseek_m"] == 72 * layers * d**2 + 12 * layers * d * s
    forward = 4 * s * vocab * d + layers * (
        6 * s * d * w + 4 * s * s * w + 3 * heads * s * s + 2 * s * w * d + 4 * s * d * f
    )
    assert counts["flops_per_token_appendix_f"] == pytest.approx(3 * forward / s, rel=1e-15)


def test_shape_counts_refuses_other_objects():
    with pytest.raises(TypeError, match="SweepShape or a TransformerShape"):
        shape_counts((2, 32, 2))


# --- the convention object -------------------------------------------------------------------


def test_named_conventions_and_their_columns():
    assert set(CONVENTIONS) == {
        "paper",
        "kaplan",
        "non_embedding_with_head",
        "appendix_f",
        "deepseek",
    }
    assert get_convention("kaplan").required_columns == (
        "n_params",
        "n_tokens",
        "n_params_non_embedding",
    )
    assert get_convention("appendix_f").required_columns[-1] == "flops_per_token_appendix_f"
    assert not get_convention("appendix_f").closed_form_frontier
    assert get_convention("deepseek").closed_form_frontier
    with pytest.raises(ValueError, match="convention"):
        get_convention("chinchilla")
    with pytest.raises(ValueError, match="go together"):
        CountingConvention("odd", "deepseek_m", "6nd")
    with pytest.raises(ValueError, match="flops"):
        CountingConvention("odd", "all", "7nd")


def _two_runs() -> pd.DataFrame:
    shapes = [SweepShape(1, 16, 1), SweepShape(2, 32, 2)]
    counts = [shape_counts(s) for s in shapes]
    frame = pd.DataFrame(counts)
    frame["n_params"] = frame["n_params_all"]
    frame["n_tokens"] = [1e6, 4e6]
    frame["budget"] = [1e11, 1e11]
    return frame


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_apply_convention_gives_the_hand_count(name):
    frame = _two_runs()
    out = apply_convention(frame, name)
    d = frame["n_tokens"].to_numpy()
    expected_n = {
        "paper": frame["n_params_all"],
        "kaplan": frame["n_params_non_embedding"],
        "non_embedding_with_head": frame["n_params_non_embedding_with_head"],
        "appendix_f": frame["n_params_all"],
        "deepseek": frame["flops_per_token_deepseek_m"] / 6,
    }[name].to_numpy()
    per_token = {
        "appendix_f": frame["flops_per_token_appendix_f"].to_numpy(),
        "deepseek": frame["flops_per_token_deepseek_m"].to_numpy(),
    }.get(name, 6 * expected_n)
    np.testing.assert_allclose(out["n_params"], expected_n, rtol=1e-15)
    np.testing.assert_allclose(out["flops"], per_token * d, rtol=1e-14)
    # The budget group keeps its runs; its value is rescaled by the geometric-mean ratio.
    ratio = per_token / (6 * frame["n_params"].to_numpy())
    np.testing.assert_allclose(out["budget"], 1e11 * np.exp(np.log(ratio).mean()), rtol=1e-14)
    assert (out["convention"] == name).all()
    np.testing.assert_array_equal(out["n_params_source"], frame["n_params"])


def test_apply_convention_refuses_a_frame_without_the_columns():
    frame = _two_runs().drop(columns=["n_params_non_embedding", "flops_per_token_deepseek_m"])
    with pytest.raises(ValueError, match=r"\['n_params_non_embedding'\].*sweep_counts"):
        apply_convention(frame, "kaplan")
    with pytest.raises(ValueError, match="flops_per_token_deepseek_m"):
        apply_convention(frame, "deepseek")
    with pytest.raises(ValueError, match="n_tokens"):
        apply_convention(frame.drop(columns="n_tokens"), "paper")
    holes = _two_runs()
    holes.loc[0, "n_params_non_embedding"] = np.nan
    with pytest.raises(ValueError, match="1 rows have no 'n_params_non_embedding'.*shape_reason"):
        apply_convention(holes, "kaplan")


def test_sweep_counts_match_the_shipped_columns():
    runs = sweep_counts(load_sweep_runs())
    np.testing.assert_array_equal(runs["n_params_all"], runs["n_params"])
    np.testing.assert_array_equal(runs["n_params_non_embedding"], runs["n_params_non_embedding"])
    np.testing.assert_array_equal(runs["flops_per_token_appendix_f"], runs["flops_per_token_exact"])
    assert runs[list(COUNT_COLUMNS)].notna().all().all()


# --- the paper convention gives exactly today's numbers ---------------------------------------


@pytest.fixture(scope="module")
def runs():
    return sweep_counts(load_sweep_runs())


def test_paper_convention_reproduces_approach1(runs):
    curves = approach1_curves(load_sweep_curves(), runs, count_embeddings=True)
    flops_min = float(runs["budget"].min())
    today = fit_approach1(curves, flops_min=flops_min)
    merged = curves.merge(runs[["run_id", *COUNT_COLUMNS]], on="run_id")
    again = fit_approach1(apply_convention(merged, "paper"), flops_min=flops_min)
    assert (again.a, again.b, again.n_envelope_points) == (
        today.a,
        today.b,
        today.n_envelope_points,
    )


def test_paper_convention_reproduces_approach2(runs):
    today = fit_approach2(runs, budget="budget", loss="final_val_loss")
    again = fit_approach2(apply_convention(runs, "paper"), loss="final_val_loss")
    assert (again.a, again.b) == (today.a, today.b)
    pd.testing.assert_frame_equal(again.per_budget, today.per_budget)


def test_paper_convention_reproduces_approach3(runs):
    grid = subsample_grid(40, np.random.default_rng(0))
    today = fit_approach3(
        runs["n_params"].to_numpy(float),
        runs["n_tokens"].to_numpy(float),
        runs["final_val_loss"].to_numpy(float),
        grid=grid,
        n_jobs=1,
    )
    conv = apply_convention(runs, "paper")
    again = fit_approach3(
        conv["n_params"].to_numpy(float),
        conv["n_tokens"].to_numpy(float),
        conv["final_val_loss"].to_numpy(float),
        grid=grid,
        n_jobs=1,
    )
    np.testing.assert_array_equal(again.theta, today.theta)


def test_kaplan_convention_moves_approach2_up(runs):
    # Leaving the embeddings out shrinks small models most, so N_opt grows faster with C.
    paper = fit_approach2(apply_convention(runs, "paper"), loss="final_val_loss")
    kaplan = fit_approach2(apply_convention(runs, "kaplan"), loss="final_val_loss")
    assert kaplan.a > paper.a + 0.05


# --- Table A9 matching -----------------------------------------------------------------------


def _a9_counts() -> np.ndarray:
    shapes = [TransformerShape.from_table_row(row) for _, row in table_a9().iterrows()]
    return np.array([shape_counts(s)["n_params_non_embedding_with_head"] for s in shapes])


def test_match_table_a9_matches_and_explains():
    counts = _a9_counts()
    between = np.sqrt(counts[27] * counts[28])  # 1,424M and 1,429M, 0.34% apart
    points = pd.DataFrame({"n_params": [counts[0] * (1 + 2e-4), counts[10] * 1.005, between]})
    out = match_table_a9(points)
    assert out["shape_matched"].tolist() == [True, False, False]
    assert out.loc[0, "shape_params_millions"] == 44 and out.loc[0, "d_model"] == 512
    assert out.loc[0, "n_params_non_embedding_with_head"] == counts[0]
    assert "0.50% away" in out.loc[1, "shape_reason"] and out.loc[0, "shape_reason"] == ""
    assert np.isnan(out.loc[1, "n_params_all"]) and np.isnan(out.loc[1, "d_model"])
    wide = match_table_a9(points.iloc[[2]], rel_tol=0.003)
    assert "ambiguous" in wide["shape_reason"].iloc[0]
    with pytest.raises(ValueError, match="rel_tol"):
        match_table_a9(points, rel_tol=0)


# --- Pearce and Song -------------------------------------------------------------------------


def test_embedding_relation_recovers_gamma():
    n_ne = np.geomspace(1e6, 1e10, 12)
    fit = fit_embedding_relation(n_ne + 5e4 * np.cbrt(n_ne), n_ne)
    assert fit.gamma == pytest.approx(5e4, rel=1e-6)
    assert fit.max_abs_rel_error < 1e-7 and fit.n_shapes == 12
    with pytest.raises(ValueError, match="exceed"):
        fit_embedding_relation(n_ne, n_ne)


def test_local_exponent_is_the_slope_and_has_the_limits():
    law = ParametricLoss.paper_unrounded()
    n = np.geomspace(1e3, 1e11, 9)
    h = 1e-5
    slope = (2 * h) / (
        np.log(non_embedding_compute(law, n * np.exp(h), 5e4))
        - np.log(non_embedding_compute(law, n * np.exp(-h), 5e4))
    )
    np.testing.assert_allclose(local_exponent(law, n, 5e4), slope, rtol=1e-7)
    large = local_exponent(law, 1e30, 5e4)
    assert large == pytest.approx(law.beta / (law.alpha + law.beta), rel=1e-5)
    small = local_exponent(law, 1e-6, 5e4)
    assert small == pytest.approx(law.beta / (law.alpha / 3 + law.beta), rel=1e-3)
    # Without embeddings (gamma -> 0) the range fit is Chinchilla's a.
    assert range_exponent(law, 1e-9, 1e3, 1e9) == pytest.approx(law.a, rel=1e-6)


# --- the chapter's table (book layer) --------------------------------------------------------


def test_exponents_by_convention_table(runs):
    from chinchilla_utils.book.conventions import exponents_by_convention

    frame = runs.assign(loss=runs["final_val_loss"])
    grid = subsample_grid(20, np.random.default_rng(0))
    result = exponents_by_convention(
        frame, ["paper", "appendix_f"], approaches=("approach_2", "approach_3"),
        n_bootstrap=5, seed=1, grid=grid,
    )  # fmt: skip
    table = result.table.set_index(["convention", "approach"])
    today = fit_approach2(runs, budget="budget", loss="final_val_loss")
    assert table.loc[("paper", "approach_2"), "a"] == today.a
    assert (
        table.loc[("paper", "approach_2"), "a_p10"] <= table.loc[("paper", "approach_2"), "a_p90"]
    )
    row = table.loc[("appendix_f", "approach_3")]
    assert np.isnan(row["a"]) and "not proportional" in row["note"]
    assert ("appendix_f", "approach_3") not in result.fits
    with pytest.raises(ValueError, match="approach"):
        exponents_by_convention(frame, ["paper"], approaches=("approach_4",))
    with pytest.raises(ValueError, match="curves"):
        exponents_by_convention(frame, ["paper"], approaches=("approach_1",))
