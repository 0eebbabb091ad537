"""One training run of the sweep (the only module that imports torch).

Imported by the sweep's worker processes, never by the rest of the package: the book and the
tests of everything else run without torch.
"""

from __future__ import annotations

import math
import platform
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .model_shapes import SEQ_LEN, VOCAB_SIZE, SweepShape

BATCH_SIZE = 8
BETAS = (0.9, 0.95)
WEIGHT_DECAY = 0.1
GRAD_CLIP = 1.0
MIN_LR_FRACTION = 0.1
INIT_STD = 0.02


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(ln(x))`` then ``x + mlp(ln(x))``."""

    def __init__(self, shape: SweepShape) -> None:
        super().__init__()
        d = shape.d_model
        self.n_heads = shape.n_heads
        self.ln_attn = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.ln_mlp = nn.LayerNorm(d)
        self.up = nn.Linear(d, shape.ffw_size, bias=False)
        self.down = nn.Linear(shape.ffw_size, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln_attn(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.down(F.gelu(self.up(self.ln_mlp(x))))


class ByteTransformer(nn.Module):
    """Decoder-only byte-level language model with learned positions and a tied output head."""

    def __init__(self, shape: SweepShape) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB_SIZE, shape.d_model)
        self.pos = nn.Embedding(SEQ_LEN, shape.d_model)
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.n_layers))
        self.ln_final = nn.LayerNorm(shape.d_model)
        # GPT-2 initialisation; residual projections shrunk with depth so the residual stream's
        # variance does not grow with the number of layers.
        for name, param in self.named_parameters():
            if param.dim() == 2:
                std = INIT_STD
                if name.endswith(("proj.weight", "down.weight")):
                    std = INIT_STD / math.sqrt(2 * shape.n_layers)
                nn.init.normal_(param, 0.0, std)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos.weight[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.ln_final(x) @ self.tok.weight.T


def build_model(shape: SweepShape) -> ByteTransformer:
    """The sweep's model for ``shape`` (parameter count equals ``count_params(shape)``)."""
    return ByteTransformer(shape)


def lr_at(step: int, n_steps: int, peak_lr: float, warmup_steps: int) -> float:
    """Learning rate at ``step``: linear warm-up, then cosine to 10% of peak at ``n_steps``.

    The cosine spans exactly this run's own horizon (Chinchilla's correction to Kaplan et al.,
    who used one long schedule for every token count).
    """
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, n_steps - warmup_steps)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return peak_lr * (MIN_LR_FRACTION + (1.0 - MIN_LR_FRACTION) * cosine)


def warmup_steps_for(n_steps: int) -> int:
    """5% of the run, clamped to [10, 200] optimizer steps (never more than the run)."""
    return min(n_steps, max(10, min(200, round(0.05 * n_steps))))


def validation_windows(val: np.ndarray, n_windows: int) -> torch.Tensor:
    """``n_windows`` fixed, evenly spaced ``SEQ_LEN + 1``-byte windows of the validation split."""
    starts = np.linspace(0, val.size - SEQ_LEN - 1, n_windows).astype(np.int64)
    return torch.from_numpy(np.stack([val[s : s + SEQ_LEN + 1] for s in starts]).astype(np.int64))


@torch.no_grad()
def evaluate(model: nn.Module, windows: torch.Tensor, batch: int = 64) -> float:
    """Mean validation loss (nats per byte) over fixed windows."""
    model.eval()
    total = 0.0
    for i in range(0, windows.shape[0], batch):
        w = windows[i : i + batch]
        logits = model(w[:, :-1])
        total += F.cross_entropy(
            logits.reshape(-1, VOCAB_SIZE), w[:, 1:].reshape(-1), reduction="sum"
        ).item()
    model.train()
    return total / (windows.shape[0] * SEQ_LEN)


def train_run(
    shape: SweepShape,
    n_steps: int,
    peak_lr: float,
    seed: int,
    train_bytes: np.ndarray,
    val_bytes: np.ndarray,
    n_curve_points: int = 200,
    n_val_evals: int = 8,
    n_val_windows: int = 256,
    progress=None,
    device: str = "cpu",
) -> dict[str, object]:
    """Train one model for ``n_steps`` steps of ``BATCH_SIZE x SEQ_LEN`` bytes on ``device``.

    Returns the averaged training curve (``step``, ``loss`` lists: mean loss over each block of
    about ``n_steps / n_curve_points`` steps, indexed by the block's last step), the validation
    curve (``val_step``, ``val_loss``) and timings. Same seed and thread count give
    bit-identical results: the batches come from a generator seeded with ``seed`` alone, so
    every size in a seed sees the same bytes in the same order.

    ``device="cuda"`` trains the same recipe on a GPU: the weights are initialised and the
    batches drawn on the CPU exactly as for ``"cpu"``, then moved, so both devices start from
    the same weights and see the same bytes; the arithmetic stays float32 (torch's default
    keeps TF32 off for matmuls), but GPU kernels sum in other orders than CPU ones, so losses
    agree with a CPU run's only to rounding, growing along the run.
    """
    torch.manual_seed(seed)
    data_gen = torch.Generator().manual_seed(seed)
    model = build_model(shape).to(device)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": matrices, "weight_decay": WEIGHT_DECAY},
            {"params": vectors, "weight_decay": 0.0},
        ],
        lr=peak_lr,
        betas=BETAS,
        foreach=True,
    )
    train_t = torch.from_numpy(np.array(train_bytes, dtype=np.uint8))  # writable copy
    offsets = torch.arange(SEQ_LEN + 1)
    windows = validation_windows(np.asarray(val_bytes), n_val_windows).to(device)
    warmup = warmup_steps_for(n_steps)
    block = max(1, n_steps // n_curve_points)
    eval_at = {max(1, round(n_steps * (i + 1) / n_val_evals)) for i in range(n_val_evals)}

    curve_step: list[int] = []
    curve_loss: list[float] = []
    val_step: list[int] = []
    val_loss: list[float] = []
    running, n_running = 0.0, 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for step in range(n_steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, n_steps, peak_lr, warmup)
        starts = torch.randint(0, train_t.numel() - SEQ_LEN - 1, (BATCH_SIZE,), generator=data_gen)
        xy = train_t[starts[:, None] + offsets].long().to(device)
        logits = model(xy[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), xy[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP, foreach=True)
        optimizer.step()
        running += loss.item()
        n_running += 1
        done = step + 1
        if n_running == block or done == n_steps:
            curve_step.append(done)
            curve_loss.append(running / n_running)
            running, n_running = 0.0, 0
        if done in eval_at:
            val_step.append(done)
            val_loss.append(evaluate(model, windows))
        if progress is not None:
            progress(done)
    return {
        "step": curve_step,
        "loss": curve_loss,
        "val_step": val_step,
        "val_loss": val_loss,
        "warmup_steps": warmup,
        "wall_seconds": time.perf_counter() - wall0,
        "cpu_seconds": time.process_time() - cpu0,
        "n_params_torch": sum(p.numel() for p in model.parameters()),
        "torch_version": torch.__version__,
        "n_threads": torch.get_num_threads(),
        "device": device,
        "device_name": (
            torch.cuda.get_device_name(torch.device(device))
            if device.startswith("cuda")
            else platform.processor() or platform.machine()
        ),
    }
