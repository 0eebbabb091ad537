"""The paper's named numbers, each defined once and read from the shipped tables.

Introduced where each is first used (compute accounting); every other module imports them from
here rather than typing the number again.

- ``CHINCHILLA_PARAMS``, ``CHINCHILLA_TOKENS``: Chinchilla's size (parameters) and training
  tokens, Table 1 (70B, 1.4T).
- ``CHINCHILLA_FLOPS``: its training compute by the ``6ND`` rule, 5.88e23 FLOPs (Section 4.1):
  the budget at which the book reports optimal sizes and tokens per parameter.
- ``GOPHER_PARAMS``, ``GOPHER_TOKENS``: Gopher's size and tokens, Table 1 (280B, 300B).
- ``GOPHER_FLOPS``: the Gopher budget the paper uses throughout (Table 3, Figure 1), 5.76e23
  FLOPs, Table 4; Appendix F's own count of the same run, ``GOPHER_FLOPS_APPENDIX_F``, is 6.3e23
  (the paper calls it "slightly more accurate"; see the errata page).
"""

from __future__ import annotations

from chinchilla_utils.datasets.paper import load_table

__all__ = [
    "CHINCHILLA_FLOPS",
    "CHINCHILLA_PARAMS",
    "CHINCHILLA_TOKENS",
    "GOPHER_FLOPS",
    "GOPHER_FLOPS_APPENDIX_F",
    "GOPHER_PARAMS",
    "GOPHER_TOKENS",
]


def _row(table: str, key_col: str, key: str) -> dict:
    frame = load_table(table)
    rows = frame[frame[key_col] == key]
    if len(rows) != 1:
        raise ValueError(
            f"{table} must have exactly one {key_col} == {key!r} row, found {len(rows)}"
        )
    return rows.iloc[0].to_dict()


_chinchilla = _row("table1_models", "model", "Chinchilla")
_gopher = _row("table1_models", "model", "Gopher")
_gopher_setup = _row("table4_gopher_chinchilla_setup", "model", "Gopher")

#: Chinchilla's size in parameters (Table 1: 70B).
CHINCHILLA_PARAMS: float = float(_chinchilla["params"])
#: Chinchilla's training tokens (Table 1: 1.4T).
CHINCHILLA_TOKENS: float = float(_chinchilla["tokens"])
#: Chinchilla's training compute by 6ND, FLOPs (5.88e23, Section 4.1).
CHINCHILLA_FLOPS: float = 6 * CHINCHILLA_PARAMS * CHINCHILLA_TOKENS
#: Gopher's size in parameters (Table 1: 280B).
GOPHER_PARAMS: float = float(_gopher["params"])
#: Gopher's training tokens (Table 1: 300B).
GOPHER_TOKENS: float = float(_gopher["tokens"])
#: The paper's Gopher budget, FLOPs (Table 4: 5.76e23; the "Gopher unit" of Table 3).
GOPHER_FLOPS: float = float(_gopher_setup["training_flops"])
#: Appendix F's count of Gopher's training compute, FLOPs (6.3e23).
GOPHER_FLOPS_APPENDIX_F: float = float(_gopher_setup["training_flops_appendix_f"])
