"""The shape of a decoder-only Transformer: the numbers parameter and FLOP accounting start from.

Kept apart from `lecture_utils.flops` (which computes with it) and `lecture_utils.facts` (which loads
published shapes as data), so neither has to import the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TransformerShape"]


@dataclass(frozen=True)
class TransformerShape:
    """Shape of a decoder-only Transformer; defaults match the CS336 assignment-1 model.

    Defaults: no biases, RMSNorm (one gain vector per norm), RoPE (no position parameters),
    untied input embedding and output head. GPT-2/3 and OPT use ``ffn="gelu", bias=True,
    norm="layernorm", learned_positions=True, tied_embeddings=True``.
    """

    n_layers: int
    d_model: int
    n_heads: int
    d_ff: int
    context_length: int
    vocab_size: int
    ffn: Literal["gelu", "swiglu"] = "gelu"
    tied_embeddings: bool = False
    bias: bool = False
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    learned_positions: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("n_layers", "d_model", "n_heads", "d_ff", "context_length", "vocab_size"):
            value = getattr(self, field)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{field} must be a positive int, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}; "
                             "choose n_heads so that d_head = d_model / n_heads is an integer")
        if self.ffn not in ("gelu", "swiglu"):
            raise ValueError(f"ffn must be 'gelu' or 'swiglu', got {self.ffn!r}")
        if self.norm not in ("rmsnorm", "layernorm"):
            raise ValueError(f"norm must be 'rmsnorm' or 'layernorm', got {self.norm!r}")

    @property
    def d_head(self) -> int:
        """Width of one attention head."""
        return self.d_model // self.n_heads

    @property
    def ffn_matrices(self) -> int:
        """Weight matrices of size d_model × d_ff per FFN: 2 (W1, W2) or 3 for SwiGLU (W1, W2, W3)."""
        return 3 if self.ffn == "swiglu" else 2
