"""Tests of chinchilla_utils.book.compute_audit (the FLOPs budgeting chapter's tables).

Known answers are worked out by hand from the Appendix F formulas and the paper's printed
numbers, independently of the functions under test where the arithmetic allows.
"""

from __future__ import annotations

import math

import matplotlib
import pytest

from chinchilla_utils.book import compute_audit as ca
from chinchilla_utils.compute.cost import PF_DAY_FLOPS
from chinchilla_utils.compute.flops import CHINCHILLA_70B, TransformerShape, count_params
from chinchilla_utils.laws import PowerLawFrontier

matplotlib.use("Agg")

TINY = TransformerShape(n_layers=2, d_model=8, ffw_size=32, n_heads=2, kv_size=4, vocab_size=10)


def test_appendix_f_shares_add_up_and_match_the_formulas():
    terms = ca.appendix_f_terms(CHINCHILLA_70B)
    total = terms.dense_share_pct + terms.attention_share_pct + terms.embed_logits_share_pct
    assert total == pytest.approx(100.0, rel=1e-12)
    assert terms.shares.sum() == pytest.approx(1.0, rel=1e-12)
    s, d, f, w, v, n = 2048, 8192, 32768, 64 * 128, 32_000, 80
    dense = n * 2 * s * 2 * d * f
    attention = n * (6 * s * d * w + 4 * s * s * w + 3 * 64 * s * s + 2 * s * w * d)
    forward = dense + attention + 4 * s * v * d
    assert terms.dense_share_pct == pytest.approx(100 * dense / forward, rel=1e-12)
    context = n * (4 * s * s * w + 3 * 64 * s * s)
    assert terms.context_share_pct == pytest.approx(100 * context / forward, rel=1e-12)
    assert terms.table.loc["total", "forward FLOPs per sequence"] == pytest.approx(forward)


def test_param_count_shares_are_the_embedding_and_relative_position_weights():
    counted = ca.param_count(CHINCHILLA_70B, printed_params=7.0e10)
    n = counted.params_counted
    assert counted.params_with_embeddings - n == 32_000 * 8192
    assert counted.embedding_share_pct == pytest.approx(100 * 32_000 * 8192 / n, rel=1e-12)
    assert counted.relpos_share_pct == pytest.approx(100 * 80 * (8192**2 + 2 * 8192) / n)
    assert counted.params_vs_printed_pct == pytest.approx(100 * (n / 7.0e10 - 1))
    # 6ND errs high for Chinchilla: relative-position weights carry no FLOP term.
    assert counted.ratio_table_a4 < counted.ratio_appendix_f < 1.0
    assert list(counted.per_token.index) == ["appendix_f", "table_a4"]
    with pytest.raises(ValueError, match="printed_params"):
        ca.param_count(CHINCHILLA_70B, printed_params=-1.0)


def test_omitted_costs_known_answer_on_a_tiny_shape():
    costs = ca.omitted_costs(
        TINY, batch_size_tokens=1000, flops_per_element=10, flops_per_param_update=6
    )
    s, d, f, w, n = 2048, 8, 32, 8, 2
    counted_per_token = (
        3 * n * (6 * s * d * w + 4 * s * s * w + 3 * 2 * s * s + 2 * s * w * d + 4 * s * d * f) / s
    )
    elementwise = 3 * 10 * n * (4 * d + f)
    assert costs.elementwise_share_pct == pytest.approx(100 * elementwise / counted_per_token)
    optimizer = 6 * count_params(TINY) / 1000
    assert costs.optimizer_share_pct == pytest.approx(100 * optimizer / counted_per_token)


def test_omitted_costs_are_negligible_for_chinchilla_and_shrink_with_width():
    big = ca.omitted_costs(CHINCHILLA_70B, batch_size_tokens=1.5e6)
    assert big.elementwise_share_pct < 0.1
    assert big.optimizer_share_pct < 1e-3
    narrow = TransformerShape(n_layers=80, d_model=1024, ffw_size=4096, n_heads=8, kv_size=128)
    assert ca.omitted_costs(narrow, 1.5e6).elementwise_share_pct > big.elementwise_share_pct


@pytest.mark.parametrize(
    "kwargs",
    [{"batch_size_tokens": 0.0}, {"batch_size_tokens": 1e6, "flops_per_element": -1.0}],
)
def test_omitted_costs_rejects_non_positive_inputs(kwargs):
    with pytest.raises(ValueError):
        ca.omitted_costs(CHINCHILLA_70B, **kwargs)


def test_table_a4_reproduces_under_table_a4_convention_only():
    a4 = ca.table_a4_check()
    assert len(a4.table) == 6
    assert a4.max_abs_error < 0.005  # printed to two decimals
    assert a4.max_abs_error_appendix_f == pytest.approx(0.5499, abs=1e-3)
    # The two dropped terms add 12 V d per token against 6 N: 2 V d / N.
    n_smallest = a4.table["n_params_counted"].iloc[0]
    assert a4.smallest_dropped_vs_6n == pytest.approx(2 * 32_000 * 640 / n_smallest, rel=1e-12)
    assert a4.smallest_vocab_x_d == 32_000 * 640
    first = a4.table.iloc[0]
    assert first["ratio_appendix_f"] == pytest.approx(
        first["ratio_table_a4"] + a4.smallest_dropped_vs_6n, rel=1e-12
    )


def test_table_a9_counts_and_the_smallest_models_undercount():
    a9 = ca.table_a9_check()
    assert (a9.n_rows, a9.n_mismatched_rows) == (50, 6)
    assert sorted(a9.mismatched["params_printed"] / 1e6) == [
        3530,
        4084,
        11452,
        12569,
        13735,
        14940,
    ]
    assert a9.max_error_heads_x_kv_pct < 0.7
    assert a9.min_error_mismatched_pct > 1.5
    assert a9.smallest_params == 44e6
    assert a9.smallest_ratio_appendix_f == pytest.approx(1.714, abs=5e-4)
    assert a9.smallest_6nd_share_pct == pytest.approx(100 / 1.7137636, rel=1e-6)
    assert a9.smallest_6nd_share_pct + a9.smallest_undercount_pct == pytest.approx(100.0)
    assert a9.ratio_appendix_f_max == a9.smallest_ratio_appendix_f


def test_gopher_budget_known_answers():
    g = ca.gopher_budget()
    assert g.gopher_flops_6nd == pytest.approx(6 * 2.8e11 * 3.0e11, rel=1e-12)
    assert g.chinchilla_flops_6nd == pytest.approx(6 * 7.0e10 * 1.4e12, rel=1e-12)
    assert g.gopher_budget_vs_6nd_pct == pytest.approx(100 * (5.76 / 5.04 - 1), rel=1e-12)
    assert g.paper_appendix_f_vs_budget_pct == pytest.approx(100 * (6.3 / 5.76 - 1), rel=1e-12)
    assert g.gopher_four_forward == pytest.approx(4 / 3 * g.gopher_appendix_f, rel=1e-12)
    assert g.chinchilla_6nd_vs_gopher_6nd_pct == pytest.approx(100 * (5.88 / 5.04 - 1))
    assert g.chinchilla_tokens_per_param == pytest.approx(20.0)
    assert math.isnan(g.table.loc["Chinchilla", "paper's Appendix F figure"])


def test_budget_plan_known_answers_and_bad_input():
    plan = ca.budget_plan(5.76e23, "A100", 0.4, 2.0, 1024)
    assert plan.pf_days == pytest.approx(5.76e23 / PF_DAY_FLOPS)
    days = 5.76e23 / (312e12 * 0.4) / 86_400
    assert plan.accelerator_days == pytest.approx(days, rel=1e-12)
    assert plan.wallclock_days == pytest.approx(days / 1024, rel=1e-12)
    assert plan.cost_usd == pytest.approx(days * 24 * 2.0, rel=1e-12)
    assert set(plan.table.index) == {"TPUv3", "TPUv4", "A100", "H100"}
    assert ca.budget_plan(5.76e23, "a100", 0.4, 2.0, 1024).cost_usd == plan.cost_usd
    with pytest.raises(ValueError, match="accelerator"):
        ca.budget_plan(1e21, "B200", 0.4, 2.0, 8)
    with pytest.raises(ValueError, match="n_accelerators"):
        ca.budget_plan(1e21, "A100", 0.4, 2.0, 0)
    with pytest.raises(TypeError, match="n_accelerators"):
        ca.budget_plan(1e21, "A100", 0.4, 2.0, 8.0)


def test_context_ratios_grow_with_the_sequence_length():
    ratios = ca.context_ratios({"70B": CHINCHILLA_70B}, [2048, 8192, 32768])
    column = ratios["70B"]
    assert column.is_monotonic_increasing
    assert column.loc[2048] == pytest.approx(ca.param_count().ratio_table_a4, rel=1e-12)


def test_embedding_effect_is_v_d_over_n():
    frame = ca.embedding_effect({"tiny": TINY})
    n = count_params(TINY)
    assert frame.loc["tiny", "change in 6ND (%)"] == pytest.approx(100 * 10 * 8 / n)


def test_sizing_for_budget_rule_of_thumb_is_twenty_tokens_per_parameter():
    rule = PowerLawFrontier.from_anchor(7.0e10, 5.88e23, 0.5, name="20 tokens per parameter")
    sizing = ca.sizing_for_budget(1e21, {"rule": rule})
    assert sizing.loc["tokens per param", "rule"] == pytest.approx(20.0, rel=1e-9)
    assert sizing.loc["params N", "rule"] == pytest.approx(math.sqrt(1e21 / 120), rel=1e-9)
    with pytest.raises(ValueError, match="flops"):
        ca.sizing_for_budget(-1.0, {"rule": rule})


def test_plots_draw_on_the_axes_they_are_given():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    assert ca.plot_term_shares(left, ca.appendix_f_terms()) is left
    assert len(left.patches) == 8
    assert ca.plot_a9_ratios(right, ca.table_a9_check(), ca.table_a4_check()) is right
    assert len(right.lines) == 4
    plt.close(fig)
