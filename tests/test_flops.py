"""Known answers for chinchilla_utils.compute.flops: Tables A4 and A9, Table 1 arithmetic, Appendix F."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.compute.flops import (
    ATTENTION_WIDTHS,
    CHINCHILLA_70B,
    FLOP_CONVENTIONS,
    FORWARD_TERMS,
    GOPHER_280B,
    TransformerShape,
    count_params,
    flops_6nd,
    flops_ratio_to_6nd,
    forward_flops,
    forward_flops_terms,
    training_flops,
    training_flops_per_sequence,
    training_flops_per_token,
)
from chinchilla_utils.datasets.paper import load_table

# Table A9 rows (params in millions) where n_heads * kv_size != d_model (reference item 7).
INCONSISTENT_A9_MILLIONS = {3530, 4084, 11452, 12569, 13735, 14940}

# A shape small enough to count by hand: s=3, d=4, w=heads*kv=2*3=6, f=8, vocab=10, 2 layers.
TINY = TransformerShape(
    n_layers=2, d_model=4, ffw_size=8, n_heads=2, kv_size=3, vocab_size=10, seq_len=3
)


@pytest.fixture(scope="module")
def table_a4() -> pd.DataFrame:
    return load_table("tablea4_flops_ratio")


@pytest.fixture(scope="module")
def table_a9() -> pd.DataFrame:
    return load_table("tablea9_architectures")


@pytest.fixture(scope="module")
def table1() -> pd.DataFrame:
    return load_table("table1_models").set_index("model")


def _a9_relative_errors(table_a9: pd.DataFrame, attention_width: str) -> pd.Series:
    counted = np.array(
        [
            count_params(TransformerShape.from_table_row(row), attention_width=attention_width)
            for _, row in table_a9.iterrows()
        ],
        dtype=float,
    )
    printed = table_a9["params_millions"].to_numpy() * 1e6
    return pd.Series(counted / printed - 1, index=table_a9["params_millions"].astype(int))


# --- 6ND --------------------------------------------------------------------------------


def test_flops_6nd_table1_gopher_and_chinchilla(table1: pd.DataFrame) -> None:
    gopher = flops_6nd(table1.loc["Gopher", "params"], table1.loc["Gopher", "tokens"])
    chinchilla = flops_6nd(table1.loc["Chinchilla", "params"], table1.loc["Chinchilla", "tokens"])
    # Reference item 8: 6ND of Table 1 gives 5.04e23 for Gopher, not the 5.76e23 "Gopher unit".
    assert gopher == pytest.approx(5.04e23, rel=1e-12)
    assert chinchilla == pytest.approx(5.88e23, rel=1e-12)
    assert isinstance(gopher, float)


def test_flops_6nd_broadcasts_arrays() -> None:
    out = flops_6nd(np.array([1e9, 2e9]), 1e10)
    np.testing.assert_allclose(out, [6e19, 1.2e20], rtol=1e-15)
    assert out.shape == (2,)


@pytest.mark.parametrize(
    ("n_params", "n_tokens", "match"),
    [
        (0.0, 1e9, "n_params"),
        (-1e9, 1e9, "n_params"),
        (np.nan, 1e9, "n_params"),
        (1e9, np.inf, "n_tokens"),
        (1e9, -5.0, "n_tokens"),
        ("many", 1e9, "n_params"),
        (np.ones(2), np.ones(3), "broadcast"),
    ],
)
def test_flops_6nd_rejects_bad_input(n_params, n_tokens, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        flops_6nd(n_params, n_tokens)


# --- TransformerShape -------------------------------------------------------------------


def test_shape_defaults_and_attention_width() -> None:
    assert CHINCHILLA_70B.vocab_size == 32_000
    assert CHINCHILLA_70B.seq_len == 2_048
    assert CHINCHILLA_70B.attention_width == 8192
    assert TINY.attention_width == 6


def test_shape_converts_numpy_integers_to_int() -> None:
    shape = TransformerShape(np.int64(2), 4, 8, 2, 3)
    assert type(shape.n_layers) is int


@pytest.mark.parametrize(
    "field", ["n_layers", "d_model", "ffw_size", "n_heads", "kv_size", "vocab_size", "seq_len"]
)
@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "8", None])
def test_shape_rejects_non_positive_integers(field: str, bad) -> None:
    kwargs = dict(n_layers=2, d_model=4, ffw_size=8, n_heads=2, kv_size=3, vocab_size=10, seq_len=3)
    kwargs[field] = bad
    with pytest.raises(ValueError, match=field):
        TransformerShape(**kwargs)


def test_from_table_row_accepts_integral_floats(table_a9: pd.DataFrame) -> None:
    row = table_a9.iloc[0].astype(object)
    row["d_model"] = 512.0
    shape = TransformerShape.from_table_row(row)
    assert shape == TransformerShape(n_layers=8, d_model=512, ffw_size=2048, n_heads=8, kv_size=64)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ({"n_layers": 2, "d_model": 4, "ffw_size": 8, "n_heads": 2}, "kv_size"),
        ({"n_layers": 2.5, "d_model": 4, "ffw_size": 8, "n_heads": 2, "kv_size": 3}, "n_layers"),
        ({"n_layers": 2, "d_model": np.nan, "ffw_size": 8, "n_heads": 2, "kv_size": 3}, "d_model"),
        ({"n_layers": 2, "d_model": 4, "ffw_size": "x", "n_heads": 2, "kv_size": 3}, "ffw_size"),
        ({"n_layers": 2, "d_model": 4, "ffw_size": 8, "n_heads": 0, "kv_size": 3}, "n_heads"),
    ],
)
def test_from_table_row_rejects_bad_rows(row: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TransformerShape.from_table_row(row)


def test_shape_is_frozen() -> None:
    with pytest.raises(AttributeError):
        TINY.n_layers = 3  # type: ignore[misc]


# --- Appendix F terms -------------------------------------------------------------------


def test_forward_terms_by_hand() -> None:
    # s=3, d=4, w=6, f=8, heads=2, vocab=10, 2 layers; every number multiplied out by hand.
    expected = {
        "embeddings": 2 * 3 * 10 * 4,  # 240
        "attention_qkv": 2 * (2 * 3 * 3 * 4 * 6),  # 2 layers x 432
        "attention_logits": 2 * (2 * 3 * 3 * 6),  # 2 x 108
        "attention_softmax": 2 * (3 * 2 * 3 * 3),  # 2 x 54
        "attention_reduction": 2 * (2 * 3 * 3 * 6),  # 2 x 108
        "attention_project": 2 * (2 * 3 * 6 * 4),  # 2 x 144
        "dense": 2 * (2 * 3 * (4 * 8 + 4 * 8)),  # 2 x 384
        "final_logits": 2 * 3 * 4 * 10,  # 240
    }
    terms = forward_flops_terms(TINY)
    assert list(terms) == list(FORWARD_TERMS)
    assert terms == expected
    assert all(isinstance(v, float) for v in terms.values())


def test_conventions_differ_by_embeddings_and_logits_only() -> None:
    terms = forward_flops_terms(TINY)
    full = forward_flops(TINY, "appendix_f")
    assert full == sum(terms.values()) == 2940
    assert full - forward_flops(TINY, "table_a4") == terms["embeddings"] + terms["final_logits"]


@pytest.mark.parametrize("convention", FLOP_CONVENTIONS)
def test_training_is_three_forward_passes(convention: str) -> None:
    forward = forward_flops(CHINCHILLA_70B, convention)
    per_sequence = training_flops_per_sequence(CHINCHILLA_70B, convention)
    assert per_sequence == 3 * forward
    assert training_flops_per_token(CHINCHILLA_70B, convention) == per_sequence / 2048
    assert training_flops(CHINCHILLA_70B, 2048.0, convention) == pytest.approx(
        per_sequence, rel=1e-15
    )


# --- Table A4 ---------------------------------------------------------------------------


def test_table_a4_reproduced_under_table_a4_convention(table_a4: pd.DataFrame) -> None:
    assert len(table_a4) == 6
    for _, row in table_a4.iterrows():
        shape = TransformerShape.from_table_row(row)
        ratio = flops_ratio_to_6nd(shape, "table_a4")
        assert abs(ratio - row["flops_ratio_vs_6nd"]) <= 0.01, (row["params"], ratio)


def test_table_a4_default_convention_is_table_a4(table_a4: pd.DataFrame) -> None:
    shape = TransformerShape.from_table_row(table_a4.iloc[0])
    assert flops_ratio_to_6nd(shape) == flops_ratio_to_6nd(shape, "table_a4")


def test_table_a4_not_reproduced_under_appendix_f(table_a4: pd.DataFrame) -> None:
    # The documented inconsistency (reference item 6): counting what Appendix F says it counts
    # gives larger ratios than printed, by more than the 0.01 tolerance on every row.
    for _, row in table_a4.iterrows():
        shape = TransformerShape.from_table_row(row)
        full = flops_ratio_to_6nd(shape, "appendix_f")
        assert full > flops_ratio_to_6nd(shape, "table_a4")
        assert full - row["flops_ratio_vs_6nd"] > 0.01, (row["params"], full)


def test_table_a4_model_sizes_match_count_params(table_a4: pd.DataFrame) -> None:
    for _, row in table_a4.iterrows():
        n_params = count_params(TransformerShape.from_table_row(row))
        # The printed sizes have two significant figures; the 1.1B row is 1.14B counted.
        assert n_params == pytest.approx(row["params"], rel=0.05), row["params"]


# --- Table A9 ---------------------------------------------------------------------------


def test_table_a9_consistent_rows_within_one_percent(table_a9: pd.DataFrame) -> None:
    errors = _a9_relative_errors(table_a9, "d_model")
    consistent = (
        table_a9["n_heads"].to_numpy() * table_a9["kv_size"].to_numpy()
        == table_a9["d_model"].to_numpy()
    )
    assert consistent.sum() == 44
    assert np.abs(errors[consistent]).max() < 0.01


def test_table_a9_inconsistent_rows_miss_with_d_model_width(table_a9: pd.DataFrame) -> None:
    # Keeps the documentation true: exactly these six rows miss by more than 1 % when the
    # attention projections are taken d_model wide (nanoGPT's formula).
    errors = _a9_relative_errors(table_a9, "d_model")
    missed = {int(m) for m in errors.index[np.abs(errors.to_numpy()) > 0.01]}
    assert missed == INCONSISTENT_A9_MILLIONS


def test_table_a9_all_rows_match_with_heads_x_kv_width(table_a9: pd.DataFrame) -> None:
    errors = _a9_relative_errors(table_a9, "heads_x_kv")
    assert len(errors) == 50
    assert np.abs(errors).max() < 0.01
    # On the six rows the paper's printed sizes follow n_heads * kv_size to within 0.1 %.
    inconsistent = errors[errors.index.isin(INCONSISTENT_A9_MILLIONS)]
    assert np.abs(inconsistent).max() < 0.001


def test_attention_widths_agree_when_heads_times_kv_is_d_model(table_a9: pd.DataFrame) -> None:
    for _, row in table_a9.iterrows():
        shape = TransformerShape.from_table_row(row)
        same = count_params(shape) == count_params(shape, attention_width="heads_x_kv")
        assert same == (shape.attention_width == shape.d_model), row["params_millions"]


# --- count_params -----------------------------------------------------------------------


def test_count_params_by_hand() -> None:
    # TINY with d-wide attention: per layer 3*16+12 + 16+8 + 16+4 + 64+8+4 + 16 = 196;
    # 2 layers + final norm 8 + output projection 40.
    assert count_params(TINY) == 2 * 196 + 8 + 40
    # w = 6: 3*4*6+18 + 24+12 + 24+4 + 76 + 16 = 246 per layer.
    assert count_params(TINY, attention_width="heads_x_kv") == 2 * 246 + 8 + 40


def test_count_params_embeddings_add_vocab_times_d_model() -> None:
    assert (
        count_params(CHINCHILLA_70B, include_embeddings=True) - count_params(CHINCHILLA_70B)
        == 32_000 * 8192
    )


def test_named_models_match_table1(table1: pd.DataFrame) -> None:
    assert count_params(CHINCHILLA_70B) == pytest.approx(
        table1.loc["Chinchilla", "params"], rel=0.01
    )
    assert count_params(GOPHER_280B) == pytest.approx(table1.loc["Gopher", "params"], rel=0.01)
    assert isinstance(count_params(GOPHER_280B), int)


def test_named_models_match_table4() -> None:
    setup = load_table("table4_gopher_chinchilla_setup").set_index("model")
    for name, shape in (("Chinchilla", CHINCHILLA_70B), ("Gopher", GOPHER_280B)):
        for field in ("n_layers", "n_heads", "kv_size", "d_model"):
            assert getattr(shape, field) == setup.loc[name, field], (name, field)
        assert shape.ffw_size == 4 * shape.d_model  # Table 4 caption: ffw = 4 x d_model


# --- Appendix F vs 6ND for the named models ---------------------------------------------


@pytest.mark.parametrize("convention", FLOP_CONVENTIONS)
def test_chinchilla_appendix_f_count_close_to_6nd(convention: str, table1: pd.DataFrame) -> None:
    n_tokens = table1.loc["Chinchilla", "tokens"]
    counted = training_flops(CHINCHILLA_70B, n_tokens, convention)
    approx = flops_6nd(count_params(CHINCHILLA_70B), n_tokens)
    # At 70B the attention and logit terms are a few percent of the dense matmuls.
    assert 0.95 < counted / approx < 1.0
    assert counted == pytest.approx(5.88e23, rel=0.05)


def test_gopher_appendix_f_count_does_not_give_printed_6_3e23(table1: pd.DataFrame) -> None:
    # Reference item 8: the paper quotes 6.3e23 FLOPs for Gopher from Appendix F's count.
    # The term-by-term count with vocab 32,000 and seq 2,048 gives about 4.75e23 instead,
    # close to 6ND (5.04e23); this test keeps that unexplained gap documented.
    counted = training_flops(GOPHER_280B, table1.loc["Gopher", "tokens"], "appendix_f")
    assert counted == pytest.approx(5.04e23, rel=0.06)
    assert counted < 0.8 * 6.3e23


# --- error paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: forward_flops(TINY, "appendix-f"),
        lambda: training_flops_per_sequence(TINY, "table_A4"),
        lambda: training_flops_per_token(TINY, "kaplan"),
        lambda: training_flops(TINY, 1e9, "nanogpt"),
        lambda: flops_ratio_to_6nd(TINY, "appendixf"),
    ],
)
def test_unknown_convention_rejected(call) -> None:
    with pytest.raises(ValueError, match="unknown convention"):
        call()


def test_unknown_convention_suggests_closest() -> None:
    with pytest.raises(ValueError, match="did you mean 'appendix_f'"):
        forward_flops(TINY, "appendix-f")


def test_unknown_attention_width_rejected() -> None:
    assert "heads_x_kv" in ATTENTION_WIDTHS
    with pytest.raises(ValueError, match="did you mean 'heads_x_kv'"):
        count_params(TINY, attention_width="heads_kv")
    with pytest.raises(ValueError, match="attention_width"):
        flops_ratio_to_6nd(TINY, attention_width="kv")


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_include_embeddings_must_be_bool(bad) -> None:
    with pytest.raises(ValueError, match="include_embeddings"):
        count_params(TINY, include_embeddings=bad)


@pytest.mark.parametrize(
    "call",
    [
        lambda: forward_flops_terms((80, 8192, 32768, 64, 128)),
        lambda: forward_flops({"n_layers": 2}),
        lambda: count_params(None),
        lambda: flops_ratio_to_6nd("chinchilla"),
    ],
)
def test_non_shape_rejected(call) -> None:
    with pytest.raises(ValueError, match="shape must be a TransformerShape"):
        call()


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.array([1e9, np.inf])])
def test_training_flops_rejects_bad_tokens(bad) -> None:
    with pytest.raises(ValueError, match="n_tokens"):
        training_flops(TINY, bad)


def test_param_breakdown_sums_to_count_params():
    from chinchilla_utils.compute.flops import CHINCHILLA_70B, count_params, param_breakdown

    parts = param_breakdown(CHINCHILLA_70B)
    assert sum(parts.values()) - parts["input_embedding"] == count_params(CHINCHILLA_70B)
    assert sum(parts.values()) == count_params(CHINCHILLA_70B, include_embeddings=True)
    # Relative-position weights are about one d^2 per layer out of ~12 d^2: 7-8 % of N.
    share = parts["relative_position"] / count_params(CHINCHILLA_70B)
    assert 0.07 < share < 0.08


def test_param_breakdown_rejects_unknown_width():
    import pytest

    from chinchilla_utils.compute.flops import CHINCHILLA_70B, param_breakdown

    with pytest.raises(ValueError, match="attention_width"):
        param_breakdown(CHINCHILLA_70B, attention_width="heads")
