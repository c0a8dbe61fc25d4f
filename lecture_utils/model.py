"""A small modern decoder-only Transformer language model, written piece by piece.

Scope: the model of CS336 assignment 1 ("basics"), in that assignment's conventions so a learner can
set their own implementation beside it: `Linear` (weight `(d_out, d_in)`, no bias), `Embedding`,
`RMSNorm` (computed in float32), rotary position embedding (RoPE, interleaved pairs `(2i, 2i+1)`
rotated by `pos * theta^(-2i/d_k)`), `silu`, the SwiGLU feed-forward `W2(SiLU(W1 x) * W3 x)`, `softmax`,
`scaled_dot_product_attention` (boolean mask, True = "may attend"), causal multi-head self-attention,
the pre-norm `TransformerBlock` and `TransformerLM` (embedding -> blocks -> final norm -> untied
output head -> logits). Parameter names match the assignment's state-dict keys
(`token_embeddings.weight`, `layers.0.attn.q_proj.weight`, `layers.0.ffn.w1.weight`, `ln_final.weight`,
`lm_head.weight`, ...). `generate()` samples with temperature, top-k, top-p, a stop token and a
length limit.

Deliberate simplifications:
- no dropout, no biases, no weight tying, no grouped-query attention, no KV cache in `generate()`
  (each new token reruns the whole window: fine for the short samples of a lecture);
- `attention="fused"` (the default) runs the same maths through PyTorch's
  `F.scaled_dot_product_attention(is_causal=True)` kernel for speed; `attention="naive"` uses the
  teaching `scaled_dot_product_attention` below. Tests check that the two agree.

Example::

    >>> cfg = ModelConfig(vocab_size=256, context_length=32, d_model=64, num_layers=2, num_heads=4, d_ff=172)
    >>> model = TransformerLM.from_config(cfg)
    >>> model(torch.zeros(1, 8, dtype=torch.long)).shape
    torch.Size([1, 8, 256])
"""
from __future__ import annotations

import codecs
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "ModelConfig",
    "Linear",
    "Embedding",
    "RMSNorm",
    "RotaryPositionalEmbedding",
    "silu",
    "SwiGLU",
    "softmax",
    "scaled_dot_product_attention",
    "causal_mask",
    "MultiHeadSelfAttention",
    "TransformerBlock",
    "TransformerLM",
    "count_parameters",
    "swiglu_hidden_size",
    "transformer_shape",
    "sample_next_token",
]

AttentionImpl = Literal["fused", "naive"]


def swiglu_hidden_size(d_model: int, multiple_of: int = 64) -> int:
    """SwiGLU width: 8/3 * d_model rounded to the nearest multiple of `multiple_of` (at least one): 512 -> 1344.

    Three d_model x d_ff matrices with d_ff ~= 8/3 * d_model cost about what a 4 * d_model two-matrix FFN
    costs. Source: CS336 Spring 2025 assignment 1 handout (v1.0.4), section 3.5.2 (d_ff ~= 8/3 * d_model,
    a multiple of 64) and its TinyStories configuration (d_model 512, d_ff 1344). Halves round up.
    """
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (d_model, multiple_of)):
        raise ValueError(f"d_model and multiple_of must be positive integers, got {d_model!r}, {multiple_of!r}")
    nearest = (16 * d_model + 3 * multiple_of) // (6 * multiple_of)  # floor(8d / (3m) + 1/2), in integers
    return multiple_of * max(1, nearest)


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of `TransformerLM`; validated on construction so mistakes fail early."""

    vocab_size: int
    context_length: int
    d_model: int
    num_layers: int
    num_heads: int
    d_ff: int
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    attention: AttentionImpl = "fused"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ModelConfig.{name} must be a positive integer, got {value!r}")
        if self.d_model % self.num_heads:
            raise ValueError(
                f"num_heads={self.num_heads} does not divide d_model={self.d_model}; "
                f"choose num_heads among the divisors of d_model (e.g. {_divisors_hint(self.d_model)})"
            )
        if (self.d_model // self.num_heads) % 2:
            raise ValueError(
                f"head size d_model/num_heads = {self.d_model // self.num_heads} is odd; RoPE rotates pairs "
                "of dimensions, so pick num_heads giving an even head size"
            )
        if not self.rope_theta > 0 or not self.norm_eps > 0:
            raise ValueError("rope_theta and norm_eps must be positive")
        if self.attention not in ("fused", "naive"):
            raise ValueError(f"attention must be 'fused' or 'naive', got {self.attention!r}")

    @property
    def head_dim(self) -> int:
        """Size of one attention head, d_k = d_model / num_heads."""
        return self.d_model // self.num_heads

    def to_dict(self) -> dict:
        """Plain-JSON form (for checkpoints and presets)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        """Build from a dict, naming any unknown key instead of failing with a bare TypeError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config key(s) {unknown}; allowed: {sorted(known)}")
        return cls(**data)


def _divisors_hint(n: int) -> str:
    """A few head counts that divide n and leave an even head size."""
    good = [h for h in range(1, n + 1) if n % h == 0 and (n // h) % 2 == 0]
    return ", ".join(str(h) for h in good[:6])


def _trunc_normal_(weight: Tensor, std: float) -> Tensor:
    """In-place N(0, std^2) truncated at +-3 std (the assignment's initialisation)."""
    return nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-3 * std, b=3 * std)


class Linear(nn.Module):
    """y = x W^T without bias; W has shape (d_out, d_in), init N(0, 2/(d_in+d_out)) truncated at 3 sigma."""

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        _trunc_normal_(self.weight, math.sqrt(2.0 / (in_features + out_features)))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T  # (..., d_in) @ (d_in, d_out) -> (..., d_out)

    def extra_repr(self) -> str:
        return f"d_in={self.weight.shape[1]}, d_out={self.weight.shape[0]}"


class Embedding(nn.Module):
    """Lookup table (vocab_size, d_model), init N(0, 1) truncated at 3."""

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        _trunc_normal_(self.weight, 1.0)

    def forward(self, token_ids: Tensor) -> Tensor:
        return self.weight[token_ids]  # (...) -> (..., d_model)

    def extra_repr(self) -> str:
        return f"vocab={self.weight.shape[0]}, d_model={self.weight.shape[1]}"


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * g, computed in float32 and cast back to the input dtype."""

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        in_dtype = x.dtype
        x32 = x.float()  # (..., d_model); squares of bf16 activations would lose precision
        inv_rms = torch.rsqrt(x32.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return (x32 * inv_rms * self.weight).to(in_dtype)  # (..., d_model)


def _check_positions(token_positions: Tensor, lead_shape: torch.Size) -> None:
    """Positions must be integers whose shape broadcasts to `lead_shape` (..., T) without adding dimensions."""
    if token_positions.is_floating_point() or token_positions.is_complex() or token_positions.dtype == torch.bool:
        raise ValueError(f"token_positions must be integers, got dtype {token_positions.dtype}; pass torch.arange(T)")
    try:
        shape = torch.broadcast_shapes(token_positions.shape, lead_shape)
    except RuntimeError:
        shape = None
    if shape != lead_shape:
        raise ValueError(f"token_positions of shape {tuple(token_positions.shape)} do not line up with inputs of shape "
                         f"{tuple(lead_shape)} (..., T); use shape (T,) or one row per sequence, e.g. (B, T)")


class RotaryPositionalEmbedding(nn.Module):
    """RoPE: rotate each pair (x[2i], x[2i+1]) at position p by the angle p * theta^(-2i/d_k)."""

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None) -> None:
        super().__init__()
        if d_k % 2:
            raise ValueError(f"RoPE needs an even d_k, got {d_k}")
        inv_freq = theta ** (-torch.arange(0, d_k, 2, dtype=torch.float64, device=device) / d_k)  # (d_k/2,)
        angles = torch.arange(max_seq_len, dtype=torch.float64, device=device)[:, None] * inv_freq  # (L, d_k/2)
        # Tables are derived data, not parameters: keep them out of the state dict.
        self.register_buffer("cos", angles.cos().float(), persistent=False)  # (L, d_k/2)
        self.register_buffer("sin", angles.sin().float(), persistent=False)  # (L, d_k/2)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        """Rotate x (..., T, d_k); token_positions (..., T) must broadcast against x's leading dims (None: 0..T-1)."""
        if token_positions is None:
            cos, sin = self.cos[: x.shape[-2]], self.sin[: x.shape[-2]]  # (T, d_k/2) each: a slice, no gather
        else:
            _check_positions(token_positions, x.shape[:-1])
            cos, sin = self.cos[token_positions], self.sin[token_positions]  # (..., T, d_k/2) each
        pairs = x.float().unflatten(-1, (-1, 2))  # (..., T, d_k/2, 2): (x[2i], x[2i+1])
        if x.device.type == "mps":  # no complex kernels there: the rotation written out
            x_even, x_odd = pairs.unbind(-1)  # (..., T, d_k/2) each
            rotated = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1)
        else:  # the same rotation as one complex product (x[2i] + i x[2i+1]) * e^(i angle): one fast kernel
            rotated = torch.view_as_real(torch.view_as_complex(pairs) * torch.complex(cos, sin))
        return rotated.flatten(-2).to(x.dtype)  # (..., T, d_k), pairs back in interleaved order


class _SiLU(torch.autograd.Function):
    """z * sigmoid(z) with a hand-written backward: two passes instead of autograd's four for the product rule."""

    @staticmethod
    def forward(ctx, z: Tensor) -> Tensor:
        s = torch.sigmoid(z)  # (...,)
        out = z * s  # (...,)
        ctx.save_for_backward(s, out)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: Tensor) -> Tensor:
        s, out = ctx.saved_tensors
        # d/dz z s(z) = s + z s (1 - s) = out + s (1 - out) = lerp(out, 1, s): one pass, then one for the chain rule
        return torch.lerp(out, out.new_ones(()), s).mul_(grad_out)


def silu(x: Tensor) -> Tensor:
    """SiLU (swish): z * sigmoid(z), smooth and non-monotonic near 0; equals torch.nn.functional.silu."""
    return _SiLU.apply(x)


class SwiGLU(nn.Module):
    """Gated feed-forward W2(SiLU(W1 x) * W3 x), SiLU(z) = z * sigmoid(z)."""

    def __init__(self, d_model: int, d_ff: int, device=None, dtype=None) -> None:
        super().__init__()
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(silu(self.w1(x)) * self.w3(x))  # (..., d_model) -> (..., d_ff) -> (..., d_model)


def softmax(x: Tensor, dim: int) -> Tensor:
    """Numerically stable softmax: subtracting the max changes nothing mathematically but avoids exp overflow."""
    shifted = x - x.amax(dim=dim, keepdim=True)
    exp = shifted.exp()
    return exp / exp.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(Q K^T / sqrt(d_k)) V, where mask[i, j] = True means query i may attend to key j."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # forbidden pairs get zero weight after softmax
    return softmax(scores, dim=-1) @ v  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def causal_mask(seq_len: int, device=None) -> Tensor:
    """(T, T) boolean lower-triangular mask: position i may attend to positions j <= i."""
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()


class MultiHeadSelfAttention(nn.Module):
    """Causal multi-head self-attention with RoPE on queries and keys (heads act as a batch dimension)."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        max_seq_len: int,
        theta: float = 10000.0,
        attention: AttentionImpl = "fused",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"num_heads={num_heads} does not divide d_model={d_model}")
        self.num_heads = num_heads
        self.attention = attention
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.rope = RotaryPositionalEmbedding(theta, d_model // num_heads, max_seq_len, device=device)

    def _heads(self, x: Tensor) -> Tensor:
        return x.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2)  # (..., T, d_model) -> (..., H, T, d_k)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        """x (..., T, d_model) -> (..., T, d_model); token_positions (T,), (..., T) or (..., 1, T) (None: 0..T-1)."""
        seq_len = x.shape[-2]
        if token_positions is not None and token_positions.ndim < x.ndim:
            token_positions = token_positions.unsqueeze(-2)  # (..., T) -> (..., 1, T): the same positions for every head
        q = self.rope(self._heads(self.q_proj(x)), token_positions)  # (..., H, T, d_k)
        k = self.rope(self._heads(self.k_proj(x)), token_positions)  # (..., H, T, d_k)
        v = self._heads(self.v_proj(x))  # (..., H, T, d_k)
        if self.attention == "fused":
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (..., H, T, d_k)
        else:
            out = scaled_dot_product_attention(q, k, v, causal_mask(seq_len, device=x.device))  # (..., H, T, d_k)
        return self.output_proj(out.transpose(-3, -2).flatten(-2))  # (..., T, d_model)


class TransformerBlock(nn.Module):
    """Pre-norm block: x + Attn(RMSNorm(x)), then + SwiGLU(RMSNorm(.))."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        max_seq_len: int,
        theta: float = 10000.0,
        eps: float = 1e-5,
        attention: AttentionImpl = "fused",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.ln1 = RMSNorm(d_model, eps, device=device, dtype=dtype)
        self.attn = MultiHeadSelfAttention(d_model, num_heads, max_seq_len, theta, attention, device, dtype)
        self.ln2 = RMSNorm(d_model, eps, device=device, dtype=dtype)
        self.ffn = SwiGLU(d_model, d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)  # (B, T, d_model)
        return x + self.ffn(self.ln2(x))  # (B, T, d_model)


class TransformerLM(nn.Module):
    """Token ids (B, T) -> next-token logits (B, T, vocab_size); arguments as in `ModelConfig`."""

    def __init__(
        self,
        vocab_size: int,
        context_length: int,
        d_model: int,
        num_layers: int,
        num_heads: int,
        d_ff: int,
        rope_theta: float = 10000.0,
        norm_eps: float = 1e-5,
        attention: AttentionImpl = "fused",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.config = ModelConfig(
            vocab_size, context_length, d_model, num_layers, num_heads, d_ff, rope_theta, norm_eps, attention
        )
        self.token_embeddings = Embedding(vocab_size, d_model, device=device, dtype=dtype)
        self.layers = nn.ModuleList(
            TransformerBlock(
                d_model, num_heads, d_ff, context_length, rope_theta, norm_eps, attention, device, dtype
            )
            for _ in range(num_layers)
        )
        self.ln_final = RMSNorm(d_model, norm_eps, device=device, dtype=dtype)
        self.lm_head = Linear(d_model, vocab_size, device=device, dtype=dtype)

    @classmethod
    def from_config(cls, config: ModelConfig, device=None, dtype=None) -> "TransformerLM":
        """Build a model from a `ModelConfig` (or a dict of its fields)."""
        if isinstance(config, dict):
            config = ModelConfig.from_dict(config)
        return cls(**config.to_dict(), device=device, dtype=dtype)

    def forward(self, token_ids: Tensor, token_positions: Tensor | None = None) -> Tensor:
        """Token ids (B, T) (or (T,)) -> logits (B, T, vocab_size)."""
        _check_integer_ids(token_ids, "token_ids")
        seq_len = token_ids.shape[-1]
        if seq_len > self.config.context_length:
            raise ValueError(
                f"sequence length {seq_len} is longer than the model's context_length "
                f"{self.config.context_length}; crop the input to the last {self.config.context_length} "
                "tokens or build the model with a larger context_length"
            )
        x = self.token_embeddings(token_ids)  # (B, T, d_model)
        for layer in self.layers:
            x = layer(x, token_positions)  # (B, T, d_model)
        return self.lm_head(self.ln_final(x))  # (B, T, vocab_size)

    @torch.no_grad()
    def generate(
        self,
        prompt: Tensor | list[int],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        stop_token: int | None = None,
        generator: torch.Generator | None = None,
        token_bytes: Mapping[int, bytes] | Sequence[bytes] | None = None,
    ) -> list[int]:
        """Sample up to `max_new_tokens` ids after `prompt`; temperature 0 means greedy. Returns only the new ids.

        With `token_bytes` (each id's bytes, e.g. `tokenizer.vocab`), only tokens that keep the text valid
        UTF-8 are drawn (a rejected draw is redrawn without it), so no U+FFFD appears mid-text; only the
        last character may be unfinished when `max_new_tokens` runs out.
        """
        if max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
        if top_p is not None and not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {top_p}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        device = self.lm_head.weight.device
        raw = prompt if isinstance(prompt, Tensor) else torch.as_tensor(prompt)
        if raw.numel() == 0:
            raise ValueError("the prompt must contain at least one token (e.g. an end-of-text token)")
        _check_integer_ids(raw, "prompt")
        ids = raw.to(device=device, dtype=torch.long).reshape(-1)  # (T0,)
        if int(ids.min()) < 0 or int(ids.max()) >= self.config.vocab_size:
            raise ValueError(f"prompt ids must lie in [0, {self.config.vocab_size}); re-encode with the model's tokenizer")
        table = None if token_bytes is None else _bytes_table(token_bytes, self.config.vocab_size)
        pending = None if table is None else _unfinished_utf8(b"".join(table[i] or b"" for i in ids.tolist()))
        was_training = self.training
        self.eval()
        new: list[int] = []
        try:  # restore train/eval mode even if sampling is interrupted (Ctrl-C in a notebook)
            for _ in range(max_new_tokens):
                window = ids[-self.config.context_length :]  # crop to the context window
                logits = self(window[None])[0, -1].float()  # (vocab,)
                next_id = sample_next_token(logits, temperature, top_k, top_p, generator)
                if table is not None:
                    next_id, pending = _redraw_until_utf8(logits, next_id, pending, table,
                                                          lambda lg: sample_next_token(lg, temperature, top_k, top_p, generator))
                new.append(next_id)
                if stop_token is not None and next_id == stop_token:
                    break
                ids = torch.cat((ids, torch.tensor([next_id], device=device)))
        finally:
            self.train(was_training)
        return new


def _bytes_table(token_bytes: Mapping[int, bytes] | Sequence[bytes], vocab_size: int) -> list[bytes | None]:
    """Each id's bytes as a list (None for an id the tokenizer lacks, e.g. padding: never drawn)."""
    if isinstance(token_bytes, Mapping):
        table = [token_bytes.get(i) for i in range(vocab_size)]
    elif isinstance(token_bytes, Sequence) and not isinstance(token_bytes, (str, bytes)):
        table = list(token_bytes[:vocab_size]) + [None] * (vocab_size - len(token_bytes))
    else:
        raise TypeError(f"token_bytes must map ids to bytes (e.g. tokenizer.vocab), got {type(token_bytes).__name__}")
    if not all(t is None or isinstance(t, bytes) for t in table):
        raise TypeError("token_bytes must map each id to its bytes (e.g. tokenizer.vocab), not to str or numbers")
    return table


def _unfinished_utf8(data: bytes) -> bytes:
    """The trailing bytes of `data` that begin a character not yet finished (b"" if none)."""
    _, used = codecs.utf_8_decode(data, "replace", False)
    return data[used:]


def _redraw_until_utf8(logits: Tensor, next_id: int, pending: bytes, table: list[bytes | None], draw) -> tuple[int, bytes]:
    """Redraw, without each rejected id, until a token keeps the text valid UTF-8; (id, its unfinished bytes)."""
    first, masked = next_id, None
    while True:
        token = table[next_id]
        if token is not None:
            data = pending + token
            try:
                _, used = codecs.utf_8_decode(data, "strict", False)
                return next_id, data[used:]
            except UnicodeDecodeError:
                pass
        masked = logits.clone() if masked is None else masked
        masked[next_id] = float("-inf")
        if torch.isinf(masked).all():  # no token can continue the text: keep the first draw
            return first, _unfinished_utf8(pending + (table[first] or b""))
        next_id = draw(masked)


def _check_integer_ids(ids: Tensor, what: str) -> None:
    """Token ids must be integers: a float or bool tensor would be truncated or read as a mask."""
    if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise ValueError(f"{what} must be integer token ids, got dtype {ids.dtype}; "
                         "encode text with the tokenizer, or convert with .long() if the values are whole numbers")


def sample_next_token(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> int:
    """Pick one id from logits (vocab,): greedy at temperature 0, else sample from the top-k / nucleus (top-p) set."""
    if temperature == 0:
        return int(logits.argmax())
    logits = logits / temperature  # (vocab,)
    if top_k is not None and top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = logits.sort(descending=True)  # (vocab,)
        cum = softmax(sorted_logits, dim=-1).cumsum(-1)  # (vocab,)
        drop = cum - softmax(sorted_logits, dim=-1) >= top_p  # keep the smallest prefix whose mass reaches top_p
        logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    probs = softmax(logits, dim=-1)  # (vocab,)
    return int(torch.multinomial(probs.cpu(), 1, generator=generator))


def transformer_shape(config: ModelConfig):
    """The same model as a `lecture_utils.flops.TransformerShape`, for parameter and FLOP accounting."""
    from .shape import TransformerShape

    return TransformerShape(
        n_layers=config.num_layers,
        d_model=config.d_model,
        n_heads=config.num_heads,
        d_ff=config.d_ff,
        context_length=config.context_length,
        vocab_size=config.vocab_size,
        ffn="swiglu",
        name="TransformerLM",
    )


def count_parameters(model_or_config) -> int:
    """Parameters of a `TransformerLM`, `ModelConfig` or config dict, by `lecture_utils.flops.param_count` (no model built)."""
    from .flops import param_count

    if isinstance(model_or_config, TransformerLM):
        config = model_or_config.config
    elif isinstance(model_or_config, dict):
        config = ModelConfig.from_dict(model_or_config)
    elif isinstance(model_or_config, ModelConfig):
        config = model_or_config
    else:
        raise TypeError(f"count_parameters takes a TransformerLM, ModelConfig or dict, got {type(model_or_config).__name__}; "
                        "for any other module use sum(p.numel() for p in module.parameters())")
    return param_count(transformer_shape(config))
