"""The shipped published-run tables: their derivation from upstream files, checks and loaders."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.datasets._files import data_path
from chinchilla_utils.datasets.published_runs import (
    GADRE2024_COLUMNS,
    GADRE2024_EVAL_SETS,
    SARDANA2024_COLUMNS,
    derive_gadre2024,
    derive_sardana2024,
    load_gadre2024,
    load_sardana2024,
)

# --- the shipped tables ---------------------------------------------------------------------


def test_gadre_table_has_every_model_once():
    runs = load_gadre2024()
    assert len(runs) == 104
    assert runs["run_id"].is_unique
    assert runs.groupby("corpus").size().to_dict() == {"c4": 34, "redpajama": 35, "refinedweb": 35}
    sizes = sorted(runs["n_params"].unique())
    assert sizes == [10569312, 78914048, 153677376, 411616256, 1439795200, 6889410560]
    assert sorted(runs["chinchilla_multiplier"].unique()) == [0.25, 0.5, 1, 2, 4, 8, 16, 32]


def test_gadre_known_rows():
    # values read off the upstream JSON of the paper's headline target (1.4B, M = 640)
    runs = load_gadre2024(corpus="redpajama").set_index("run_id")
    row = runs.loc["rpj-open_lm_1b-32.0"]
    assert row["n_params"] == 1439795200
    assert row["n_tokens"] == 921468928000
    assert row["tokens_per_param"] == 640
    assert row["flops"] == pytest.approx(6 * 1439795200 * 921468928000, rel=1e-15)
    assert row["loss"] == pytest.approx(2.502054, abs=5e-7)
    assert row["loss_lower_95"] < row["loss"] < row["loss_upper_95"]


def test_gadre_eval_set_selects_the_loss_column():
    c4 = load_gadre2024("c4_val")
    code = load_gadre2024("paloma_code")
    assert np.array_equal(code["loss"], code["loss_paloma_code"])
    assert not np.allclose(c4["loss"], code["loss"])


def test_gadre_loader_rejects_unknown_choices():
    with pytest.raises(ValueError, match="eval_set"):
        load_gadre2024("c4")
    with pytest.raises(ValueError, match="corpus"):
        load_gadre2024(corpus="pile")


def test_sardana_table():
    runs = load_sardana2024()
    assert len(runs) == 47
    assert runs.groupby("model_name").size().to_dict() == {
        "150M": 12, "370M": 10, "750M": 9, "1.3B": 8, "2.5B": 7, "6B": 1,
    }  # fmt: skip
    assert runs["tokens_per_param"].min() == 10 and runs["tokens_per_param"].max() == 10000
    first = runs.iloc[0]
    assert first["run_id"] == "150M_tpp10"
    assert first["loss"] == pytest.approx(3.6832035779953, rel=1e-12)
    assert np.allclose(runs["flops"], 6 * runs["n_params"] * runs["n_tokens"], rtol=1e-12)


@pytest.mark.parametrize("folder", ["gadre2024", "sardana2024"])
def test_licence_and_attribution_ship_beside_each_table(folder):
    readme = data_path(f"{folder}/README.md").read_text(encoding="utf-8")
    licence = "LICENSE.txt" if folder == "gadre2024" else "LICENSE"
    text = data_path(f"{folder}/{licence}").read_text(encoding="utf-8")
    assert ("MIT License" in text) if folder == "gadre2024" else ("Apache License" in text)
    assert re.search(r"commit\s+`[0-9a-f]{40}`", readme)
    # the README records the table's hash: a regenerated table must update it
    digest = hashlib.sha256(data_path(f"{folder}/runs.csv").read_bytes()).hexdigest()
    assert digest in readme


# --- derivation from upstream-shaped files ----------------------------------------------------


def _model_json(name, dataset, params, tokens, multiplier, loss=3.0):
    results = []
    for key in GADRE2024_EVAL_SETS:
        path = (
            f"training/eval_data/val_tok_mult/de-en/{key}.tar"
            if key.startswith("val_de-en")
            else f"training/eval_data/{key}/shard.tar"
        )
        results.append(
            {
                "loss": loss,
                "loss_sequences_lower_95": loss - 0.1,
                "loss_sequences_upper_95": loss + 0.1,
                "val_data": [path],
            }
        )
    return {
        "name": name,
        "dataset_name": dataset,
        "hyperparameters": {
            "params": params,
            "params_no_embed": params // 2,
            "tokens": tokens,
            "chinchilla_multiplier": multiplier,
            "model": "scaling/open_lm_configs/d=96_l=8_h=4.json",
        },
        "results": results,
    }


@pytest.fixture
def upstream_gadre(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for name, dataset, params, tokens, mult, loss in (
        ("rpj-small-1.0", "rpj", 1000, 20000, 1.0, 4.0),
        ("c4_original-small-2.0", "c4_original", 1000, 40000, 2.0, 3.5),
    ):
        payload = _model_json(name, dataset, params, tokens, mult, loss)
        (models / f"{name}.json").write_text(json.dumps(payload), encoding="utf-8")
    return tmp_path


def test_derive_gadre_flattens_each_model(upstream_gadre):
    table = derive_gadre2024(upstream_gadre)
    assert list(table.columns) == list(GADRE2024_COLUMNS)
    assert table["run_id"].tolist() == ["c4_original-small-2.0", "rpj-small-1.0"]  # sorted
    row = table.iloc[1]
    assert row["corpus"] == "redpajama"
    assert row["flops"] == 6 * 1000 * 20000
    assert row["tokens_per_param"] == 20
    assert row["loss_c4_german"] == 4.0 and row["loss_c4_german_upper_95"] == pytest.approx(4.1)
    # the models folder itself works too
    assert derive_gadre2024(upstream_gadre / "models").equals(table)


def test_derive_gadre_refuses_inconsistent_upstream(upstream_gadre, tmp_path):
    with pytest.raises(ValueError, match="no models"):
        derive_gadre2024(tmp_path / "elsewhere")
    bad = _model_json("pile-small-1.0", "pile", 1000, 20000, 1.0)
    (upstream_gadre / "models" / "pile-small-1.0.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="dataset_name 'pile'"):
        derive_gadre2024(upstream_gadre)


def test_derive_gadre_checks_the_multiplier(upstream_gadre):
    wrong = _model_json("rpj-small-4.0", "rpj", 1000, 20000, 4.0)  # 20 tokens/param is 1x
    (upstream_gadre / "models" / "rpj-small-4.0.json").write_text(json.dumps(wrong))
    with pytest.raises(ValueError, match="chinchilla_multiplier"):
        derive_gadre2024(upstream_gadre)


def _write_sardana(folder, rows):
    header = "Model Name,Parameters,Tokens/Params,Tokens,Batch Size,Smoothed Loss,mmlu_5_shot_avg"
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    (folder / "trainingresults.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_derive_sardana(tmp_path):
    _write_sardana(tmp_path, [("150M", 1.5e8, 10, 1.5e9, 160.0, 3.5, 0.25)])
    table = derive_sardana2024(tmp_path)
    assert list(table.columns) == list(SARDANA2024_COLUMNS)
    row = table.iloc[0]
    assert row["run_id"] == "150M_tpp10"
    assert row["flops"] == pytest.approx(6 * 1.5e8 * 1.5e9, rel=1e-15)
    _write_sardana(tmp_path, [("150M", 1.5e8, 20, 1.5e9, 160.0, 3.5, 0.25)])
    with pytest.raises(ValueError, match="Tokens/Params"):
        derive_sardana2024(tmp_path)
    with pytest.raises(ValueError, match="trainingresults.csv"):
        derive_sardana2024(tmp_path / "missing")


def test_derivation_is_byte_for_byte_repeatable(upstream_gadre, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for target in (first, second):
        derive_gadre2024(upstream_gadre).to_csv(target, index=False, float_format="%.17g")
    assert first.read_bytes() == second.read_bytes()
    assert load_gadre2024(path=first)["run_id"].tolist() == [
        "c4_original-small-2.0",
        "rpj-small-1.0",
    ]


# --- the loaders' checks on damaged files ---------------------------------------------------


def _damaged(tmp_path, edit):
    frame = pd.read_csv(data_path("gadre2024/runs.csv"))
    frame = edit(frame)
    target = tmp_path / "runs.csv"
    frame.to_csv(target, index=False)
    return target


def test_loader_names_a_missing_column(tmp_path):
    target = _damaged(tmp_path, lambda f: f.drop(columns=["n_tokens"]))
    with pytest.raises(ValueError, match=r"lacks the expected column\(s\) \['n_tokens'\]"):
        load_gadre2024(path=target)


def test_loader_rejects_a_non_positive_size(tmp_path):
    target = _damaged(tmp_path, lambda f: f.assign(n_params=f["n_params"].where(f.index != 3, -1)))
    with pytest.raises(ValueError, match="not positive, first in row 3 column 'n_params'"):
        load_gadre2024(path=target)


def test_loader_rejects_compute_that_is_not_6nd(tmp_path):
    target = _damaged(tmp_path, lambda f: f.assign(flops=f["flops"] * 1.01))
    with pytest.raises(ValueError, match="flops disagrees"):
        load_gadre2024(path=target)


def test_loader_rejects_a_loss_outside_its_bounds(tmp_path):
    target = _damaged(tmp_path, lambda f: f.assign(loss_c4_val=f["loss_c4_val_upper_95"] + 1))
    with pytest.raises(ValueError, match="loss_c4_val lies outside its 95% bounds"):
        load_gadre2024(path=target)


def test_loader_rejects_repeated_runs(tmp_path):
    target = _damaged(tmp_path, lambda f: pd.concat([f, f.iloc[:1]]))
    with pytest.raises(ValueError, match="run_id values repeat"):
        load_gadre2024(path=target)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_sardana2024(path=tmp_path / "nope.csv")
