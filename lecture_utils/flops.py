"""Parameters and FLOPs of a decoder-only Transformer, computed from its shape.

Two accountings (facts doc §3.3), both split into the same four parts:

- ``"attn_proj"``   the Q/K/V/output projection matmuls (O(h²) per token);
- ``"attn_scores"`` QKᵀ and A·V (O(s·h) per token: grows with the context length s);
- ``"ffn"``         the feed-forward (MLP) matmuls (O(h·d_ff) per token);
- ``"logits"``      the output head (de-embedding), 2·h·V per token.

``accounting="standard"`` is the series' 「矩阵乘记账」: every matmul at 2 FLOPs per multiply-add,
the attention scores QKᵀ and A·V included. Forward per token per layer: projections 8·h², FFN
4·h·d_ff (6·h·d_ff for SwiGLU), scores 4·s·h; logits 2·h·V once; training = 3 × forward everywhere
(backward ≈ 2 × forward). Kaplan et al. 2020, Table 1 counts the same projections and FFN but only
2·n_ctx·d_attn per layer for the scores (forward).

``accounting="roller"`` (「Roller 记账」) reproduces Stephen Roller's "OPT setups" spreadsheet (tweet of 2022-10-11)
to rounding: per layer per token "MHA" = 2·h² + 8·s·h, FFN 16·h² (= 4·h·d_ff), "attn" = 4·s·h;
training multiplies the layers by 4 (forward + backward + activation recompute) and the logits by 3.
The 2·h² + 8·s·h "MHA" column is Roller's own bookkeeping (a reconstruction; his sheet is not public).

Causal attention scores (a convention, state it when you quote a number): by default every query is
charged for all s keys (4·s·h per token per layer), which is what both tables above and PyTorch's
FLOP counter do. With ``causal=True`` only the unmasked entries count: a query at position i sees i
keys, so on average (s + 1)/2, giving 2·(s + 1)·h, close to Kaplan's 2·n_ctx·d_attn.

Deliberate simplifications: a multiply-add is 2 FLOPs; embedding look-ups, norms, softmax,
nonlinearities, biases and residual adds cost 0 FLOPs; d_attn = n_heads · d_head = d_model.
"""
from __future__ import annotations

from typing import Literal

from .facts import load_opt_sizes, load_roller_table
from .shape import TransformerShape

__all__ = [
    "PARTS", "TransformerShape", "param_count", "param_breakdown", "non_embedding_params",
    "flops_per_token", "training_flops_per_token", "training_flops", "flops_per_update",
    "shares", "six_n_d", "PF_DAY", "roller_comparison",
]

PARTS = ("attn_proj", "attn_scores", "ffn", "logits")
PF_DAY = 8.64e19  # one petaFLOP/s for a day, in FLOPs (Kaplan et al. 2020)
Accounting = Literal["standard", "roller"]
# Training FLOPs / forward FLOPs, per part: (layer parts, logits).
TRAINING_MULTIPLIER = {"standard": (3, 3), "roller": (4, 3)}


def param_breakdown(shape: TransformerShape) -> dict[str, int]:
    """Parameter count per part: embedding, positions, attention, ffn, norms, lm_head."""
    h, f, l, V = shape.d_model, shape.d_ff, shape.n_layers, shape.vocab_size
    norm_size = h * (2 if shape.norm == "layernorm" else 1)  # gain (+ bias for LayerNorm)
    attention = 4 * h * h + (4 * h if shape.bias else 0)  # W_Q, W_K, W_V, W_O (h × h each)
    ffn = shape.ffn_matrices * h * f
    if shape.bias:
        ffn += (shape.ffn_matrices - 1) * f + h  # up-projection biases (d_ff each) + down bias (h)
    return {
        "embedding": V * h,
        "positions": shape.context_length * h if shape.learned_positions else 0,
        "attention": l * attention,
        "ffn": l * ffn,
        "norms": (2 * l + 1) * norm_size,  # two per block + the final norm
        "lm_head": 0 if shape.tied_embeddings else V * h,
    }


def param_count(shape: TransformerShape) -> int:
    """Total number of parameters (what ``sum(p.numel() for p in model.parameters())`` gives)."""
    return sum(param_breakdown(shape).values())


def non_embedding_params(shape: TransformerShape) -> int:
    """Kaplan's N: attention + FFN weight matrices only, 12·l·h² for a GELU FFN with d_ff = 4h."""
    return shape.n_layers * (4 * shape.d_model**2 + shape.ffn_matrices * shape.d_model * shape.d_ff)


def _check_accounting(accounting: str) -> None:
    if accounting not in TRAINING_MULTIPLIER:
        raise ValueError(f"accounting must be 'standard' or 'roller', got {accounting!r}")


def flops_per_token(shape: TransformerShape, accounting: Accounting = "standard", *,
                    seq_len: int | None = None, causal: bool = False) -> dict[str, float]:
    """Forward FLOPs per token, by part (keys ``PARTS``) plus ``"total"``.

    ``seq_len`` defaults to ``shape.context_length``; ``causal=True`` charges only unmasked scores.
    Example: a GPT-3 Small forward pass costs ≈ 2.8e8 FLOPs per token at s = 2048.
    """
    _check_accounting(accounting)
    s = shape.context_length if seq_len is None else seq_len
    if s <= 0:
        raise ValueError(f"seq_len must be positive, got {s}")
    h, l = shape.d_model, shape.n_layers
    keys = (s + 1) / 2 if causal else s  # mean number of keys a query is charged for
    if accounting == "standard":
        proj = 2 * 4 * h * h  # Q, K, V, O: four h × h matmuls
    else:
        proj = 2 * h * h + 8 * keys * h  # Roller's "MHA" column, reproduced as is
    parts = {
        "attn_proj": l * proj,
        "attn_scores": l * 4 * keys * h,  # QKᵀ (2·s·h) + A·V (2·s·h)
        "ffn": l * 2 * shape.ffn_matrices * h * shape.d_ff,
        "logits": 2 * h * shape.vocab_size,
    }
    parts = {k: float(v) for k, v in parts.items()}
    parts["total"] = sum(parts.values())
    return parts


def training_flops_per_token(shape: TransformerShape, accounting: Accounting = "standard", *,
                             seq_len: int | None = None, causal: bool = False) -> dict[str, float]:
    """Forward + backward FLOPs per training token, by part, with the accounting's multipliers."""
    forward = flops_per_token(shape, accounting, seq_len=seq_len, causal=causal)
    layer_mult, logit_mult = TRAINING_MULTIPLIER[accounting]
    parts = {k: forward[k] * (logit_mult if k == "logits" else layer_mult) for k in PARTS}
    parts["total"] = sum(parts.values())
    return parts


def training_flops(shape: TransformerShape, tokens: float, accounting: Accounting = "standard", *,
                   seq_len: int | None = None, causal: bool = False) -> dict[str, float]:
    """Training FLOPs for ``tokens`` tokens, by part plus ``"total"``."""
    per_token = training_flops_per_token(shape, accounting, seq_len=seq_len, causal=causal)
    return {k: v * tokens for k, v in per_token.items()}


def flops_per_update(shape: TransformerShape, batch_tokens: int,
                     accounting: Accounting = "roller") -> float:
    """Training FLOPs of one optimizer step on ``batch_tokens`` tokens (Roller's "FLOPs/update")."""
    return training_flops(shape, batch_tokens, accounting)["total"]


def shares(parts: dict[str, float]) -> dict[str, float]:
    """Percent of the total for each part: ``shares({'a': 1, 'b': 3})`` -> {'a': 25.0, 'b': 75.0}."""
    total = sum(v for k, v in parts.items() if k != "total")
    return {k: 100.0 * v / total for k, v in parts.items() if k != "total"}


def six_n_d(n_params: float, n_tokens: float) -> float:
    """Kaplan's rule of thumb for training compute: C ≈ 6·N·D FLOPs (2 forward + 4 backward)."""
    return 6.0 * n_params * n_tokens


def roller_comparison() -> list[dict[str, float | str]]:
    """Roller's eight published rows next to both recomputed accountings (training shares, %).

    Keys: model, flops_per_update (published), flops_per_update_roller, then
    ``<part>_published``, ``<part>_roller``, ``<part>_standard`` for each part in ``PARTS``.
    """
    sizes = load_opt_sizes()
    rows = []
    for published in load_roller_table():
        model = sizes[published.opt_size]
        roller = shares(training_flops(model.shape, model.batch_tokens, "roller"))
        standard = shares(training_flops(model.shape, model.batch_tokens, "standard"))
        row: dict[str, float | str] = {
            "model": published.description,
            "flops_per_update": published.flops_per_update,
            "flops_per_update_roller": flops_per_update(model.shape, int(model.batch_tokens)),
        }
        for part in PARTS:
            row[f"{part}_published"] = published.pcts[part]
            row[f"{part}_roller"] = roller[part]
            row[f"{part}_standard"] = standard[part]
        rows.append(row)
    return rows
