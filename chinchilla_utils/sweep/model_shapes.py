"""Shapes of the sweep's byte-level transformers: parameter and FLOP counts, no torch needed.

The model (built in :mod:`chinchilla_utils.sweep.train`) is a pre-norm decoder-only
transformer with learned positions, a byte vocabulary (256), context 128, bias-free linear
layers, a GELU MLP of width ``4 d``, LayerNorms with bias, and an output head tied to the token
embedding. ``N`` counts *all* parameters, embeddings included, as the Chinchilla paper does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from chinchilla_utils._validation import as_positive, check_choice

VOCAB_SIZE = 256
SEQ_LEN = 128
HEAD_DIM = 16


@dataclass(frozen=True)
class SweepShape:
    """One model shape: layers, width, heads (head size ``d_model // n_heads``)."""

    n_layers: int
    d_model: int
    n_heads: int

    def __post_init__(self) -> None:
        as_positive("n_layers", self.n_layers)
        as_positive("d_model", self.d_model)
        as_positive("n_heads", self.n_heads)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} must be divisible by n_heads {self.n_heads}")

    @property
    def ffw_size(self) -> int:
        return 4 * self.d_model

    @property
    def kv_size(self) -> int:
        return self.d_model // self.n_heads

    @property
    def name(self) -> str:
        return f"L{self.n_layers}-d{self.d_model}-h{self.n_heads}"

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def shape_from_width(n_layers: int, d_model: int) -> SweepShape:
    """A shape with heads of size :data:`HEAD_DIM` (one head below that width)."""
    return SweepShape(n_layers, d_model, max(1, d_model // HEAD_DIM))


def count_params(shape: SweepShape, include_embeddings: bool = True) -> int:
    """Parameters of the model built by ``train.build_model`` (verified against torch in tests).

    ``include_embeddings=True`` (the paper's convention) adds the token table (shared with the
    output head) and the position table; ``False`` gives the Kaplan-style non-embedding count.
    """
    d = shape.d_model
    per_layer = 4 * d * d + 2 * d * shape.ffw_size + 2 * (2 * d)  # attn, mlp, two LayerNorms
    non_embedding = shape.n_layers * per_layer + 2 * d  # + final LayerNorm
    if not include_embeddings:
        return non_embedding
    return non_embedding + (VOCAB_SIZE + SEQ_LEN) * d


def forward_flops_per_sequence(shape: SweepShape) -> dict[str, float]:
    """Forward FLOPs of one ``SEQ_LEN``-byte sequence, term by term (Chinchilla Appendix F).

    Follows Appendix F literally: the embedding lookup is counted as a matmul, attention is
    not halved for the causal mask, and the final logits are included.
    """
    s, d, v = SEQ_LEN, shape.d_model, VOCAB_SIZE
    inner = shape.kv_size * shape.n_heads
    layers = shape.n_layers
    return {
        "embeddings": 2.0 * s * v * d,
        "attention_qkv": layers * 2.0 * 3 * s * d * inner,
        "attention_logits": layers * 2.0 * s * s * inner,
        "attention_softmax": layers * 3.0 * shape.n_heads * s * s,
        "attention_reduction": layers * 2.0 * s * s * inner,
        "attention_project": layers * 2.0 * s * inner * d,
        "dense": layers * 2.0 * s * (d * shape.ffw_size + shape.ffw_size * d),
        "final_logits": 2.0 * s * d * v,
    }


def training_flops_per_token(shape: SweepShape, convention: str = "appendix_f") -> float:
    """Training FLOPs per token: 3x the forward pass (Appendix F), or ``6 N`` for ``"6n"``."""
    check_choice("convention", convention, ("appendix_f", "6n"))
    if convention == "6n":
        return 6.0 * count_params(shape)
    return 3.0 * sum(forward_flops_per_sequence(shape).values()) / SEQ_LEN
