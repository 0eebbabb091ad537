"""Tables A4 and A9 recounted beside the printed ones. Introduced in the compute chapter.

The compute-accounting chapter and the intro's status table check the same two appendix
tables; both call these functions, so the check is implemented once:

* :func:`table_a4_recount`: for each Table A4 shape, the parameters counted and the ratio of
  Appendix F FLOPs to ``6ND`` under both counting conventions, beside the printed ratio;
* :func:`table_a9_recount`: for each of the 50 Table A9 shapes, the parameters counted with the
  attention block ``d_model`` wide and ``n_heads x kv_size`` wide (six printed rows have
  ``n_heads x kv_size != d_model``), beside the printed count, and both FLOP ratios.

Units: parameters; ratios and relative errors are dimensionless fractions.
"""

from __future__ import annotations

import pandas as pd

from chinchilla_utils.compute.flops import TransformerShape, count_params, flops_ratio_to_6nd
from chinchilla_utils.datasets import paper

__all__ = [
    "TABLE_A4_RECOUNT_COLUMNS",
    "TABLE_A9_RECOUNT_COLUMNS",
    "table_a4_recount",
    "table_a9_recount",
]

#: Columns of :func:`table_a4_recount`.
TABLE_A4_RECOUNT_COLUMNS = (
    "params_printed",
    "n_params_counted",
    "ratio_printed",
    "ratio_table_a4",
    "ratio_appendix_f",
    "error_table_a4",
    "error_appendix_f",
)
#: Columns of :func:`table_a9_recount`.
TABLE_A9_RECOUNT_COLUMNS = (
    "params_printed",
    "d_model",
    "attention_width",
    "consistent",
    "n_params_d_model_wide",
    "n_params_heads_x_kv",
    "error_d_model_wide",
    "error_heads_x_kv",
    "ratio_table_a4",
    "ratio_appendix_f",
)


def table_a4_recount() -> pd.DataFrame:
    """Table A4 recounted: FLOPs over ``6ND`` for each printed shape, both conventions.

    Returns
    -------
    One row per Table A4 shape, columns :data:`TABLE_A4_RECOUNT_COLUMNS`: the printed size
    and ratio, the parameters counted (:func:`~chinchilla_utils.compute.flops.count_params`),
    the ratio under the ``"table_a4"`` convention (without embedding and final-logit FLOPs,
    which reproduces the table) and the ``"appendix_f"`` one (the text's full count), and
    each minus the printed ratio (``error_*``, absolute).
    """
    table = paper.table_a4()
    shapes = [TransformerShape.from_table_row(row) for _, row in table.iterrows()]
    out = pd.DataFrame(
        {
            "params_printed": table["params"].to_numpy(float),
            "n_params_counted": [count_params(s) for s in shapes],
            "ratio_printed": table["flops_ratio_vs_6nd"].to_numpy(float),
            "ratio_table_a4": [flops_ratio_to_6nd(s, "table_a4") for s in shapes],
            "ratio_appendix_f": [flops_ratio_to_6nd(s, "appendix_f") for s in shapes],
        }
    )
    out["error_table_a4"] = out["ratio_table_a4"] - out["ratio_printed"]
    out["error_appendix_f"] = out["ratio_appendix_f"] - out["ratio_printed"]
    return out[list(TABLE_A4_RECOUNT_COLUMNS)]


def table_a9_recount() -> pd.DataFrame:
    """Table A9 recounted: parameters of the 50 shapes two ways, and their FLOP ratios.

    Returns
    -------
    One row per Table A9 shape, columns :data:`TABLE_A9_RECOUNT_COLUMNS`: the printed size
    (``params_millions * 1e6``), ``d_model`` and ``attention_width``
    (``n_heads x kv_size``), ``consistent`` (the two are equal), the parameters counted with the attention
    block ``d_model`` wide and ``n_heads x kv_size`` wide with their relative errors against
    the printed size (``counted / printed - 1``), and the ratio of Appendix F FLOPs to
    ``6ND`` under both conventions, counted with the attention ``n_heads x kv_size`` wide (as
    the FLOP terms are, so the ratio is consistent).
    """
    table = paper.table_a9()
    shapes = [TransformerShape.from_table_row(row) for _, row in table.iterrows()]
    printed = table["params_millions"].to_numpy(float) * 1e6
    wide = [count_params(s) for s in shapes]
    heads = [count_params(s, attention_width="heads_x_kv") for s in shapes]
    out = pd.DataFrame(
        {
            "params_printed": printed,
            "d_model": table["d_model"].to_numpy(),
            "attention_width": [s.attention_width for s in shapes],
            "n_params_d_model_wide": wide,
            "n_params_heads_x_kv": heads,
            "ratio_table_a4": [
                flops_ratio_to_6nd(s, "table_a4", attention_width="heads_x_kv") for s in shapes
            ],
            "ratio_appendix_f": [
                flops_ratio_to_6nd(s, "appendix_f", attention_width="heads_x_kv") for s in shapes
            ],
        }
    )
    out["consistent"] = out["attention_width"] == out["d_model"]
    out["error_d_model_wide"] = out["n_params_d_model_wide"] / printed - 1.0
    out["error_heads_x_kv"] = out["n_params_heads_x_kv"] / printed - 1.0
    return out[list(TABLE_A9_RECOUNT_COLUMNS)]
