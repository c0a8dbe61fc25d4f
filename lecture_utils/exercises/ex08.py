"""Checks for notebook 08 (the Transformer): each shown component, and the 练习 answers.

Every component check takes the implementation (the package's, or the learner's edited copy made with
`lecture_utils.edit_source`) and compares it with an independent reference: PyTorch's own operator
where one exists (`F.rms_norm`, `F.silu`, `F.scaled_dot_product_attention`, `F.cross_entropy`,
`torch.optim.AdamW`), otherwise the formula written out loop by loop (RoPE).

    >>> from lecture_utils import model as M
    >>> check_rmsnorm(M.RMSNorm)
    ✅ 正确！RMSNorm 与 F.rms_norm 一致（float32 与 bfloat16 输入，4 种形状）。
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import _UNANSWERED, Verdict, _right, _wrong, check_value, unanswered

__all__ = [
    "check_rmsnorm", "check_rope", "check_softmax", "check_attention", "check_swiglu",
    "check_multihead_attention", "check_cross_entropy", "check_adamw",
    "check_head_counts", "check_no_position_attention", "swap_attention", "check_attention_share",
    "check_same_checkpoints", "check_cached_generate", "greedy_reference", "tiny_config", "quick_train",
]


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _build(cls: Any, *args, **kwargs):
    """Instantiate the learner's class, or return the reason it failed as a wrong Verdict."""
    if unanswered(cls):
        return None, Verdict(False, _UNANSWERED)
    try:
        return cls(*args, **kwargs), None
    except Exception as err:  # the learner's constructor: report, do not raise
        return None, _wrong(f"构造 {getattr(cls, '__name__', cls)}{args} 时抛出了 {type(err).__name__}: {err}")


def _call(fn: Callable, *args):
    try:
        return fn(*args), None
    except Exception as err:
        return None, _wrong(f"调用时抛出了 {type(err).__name__}: {err}")


def _close(a: Any, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.detach().float(), b.detach().float(), atol=atol, rtol=rtol))


def _shape_or_values(got: Any, want: torch.Tensor, what: str, hint: str) -> Verdict:
    if not isinstance(got, torch.Tensor):
        return _wrong(f"{what}应当返回张量，而不是 {type(got).__name__}。", hint)
    if got.shape != want.shape:
        return _wrong(f"{what}的输出形状是 {tuple(got.shape)}，应当是 {tuple(want.shape)}。", hint)
    return _wrong(f"{what}的数值与参考实现不一致（最大差 {float((got.detach().float() - want.detach().float()).abs().max()):.2g}）。", hint)


# ------------------------------------------------------------------------------------ components


def check_rmsnorm(cls: Any) -> Verdict:
    """`cls(d_model, eps=1e-5)` with a `weight` gain must match `F.rms_norm`, keep the input dtype."""
    hint = "RMSNorm(x) = x / sqrt(mean(x²) + eps) · g，均值沿最后一维；先转成 float32 再算，最后转回输入的类型。"
    for shape in [(6,), (3, 6), (2, 4, 6), (2, 3, 4, 6)]:
        norm, bad = _build(cls, 6)
        if bad is not None:
            return bad
        with torch.no_grad():
            norm.weight.copy_(torch.randn(6, generator=_gen(1)))
        x = torch.randn(*shape, generator=_gen(2)) * 10
        got, bad = _call(norm, x)
        if bad is not None:
            return bad
        want = F.rms_norm(x, (6,), norm.weight.detach(), eps=1e-5)
        if not _close(got, want):
            return _shape_or_values(got, want, "RMSNorm ", hint)
    xb = torch.randn(4, 6, generator=_gen(3)).to(torch.bfloat16) * 300
    got, bad = _call(norm, xb)
    if bad is not None:
        return bad
    if not isinstance(got, torch.Tensor) or got.dtype != torch.bfloat16:
        return _wrong("输入是 bfloat16 时，输出也应当是 bfloat16。", hint)
    want = F.rms_norm(xb.float(), (6,), norm.weight.detach().float(), eps=1e-5)
    if not _close(got, want, atol=2e-2, rtol=2e-2):
        return _shape_or_values(got, want.to(torch.bfloat16), "bfloat16 输入时 RMSNorm ", hint)
    return _right("RMSNorm 与 F.rms_norm 一致（float32 与 bfloat16 输入，4 种形状）。")


def _rope_reference(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """Each adjacent pair (x[2i], x[2i+1]) at position p rotated by p·θ^(-2i/d), written out pair by pair."""
    d = x.shape[-1]
    out = x.clone().double()
    pos = positions.double()[..., None]  # (..., T, 1)
    for i in range(d // 2):
        angle = pos[..., 0] * theta ** (-2 * i / d)  # (..., T)
        a, b = x[..., 2 * i].double(), x[..., 2 * i + 1].double()
        out[..., 2 * i] = a * torch.cos(angle) - b * torch.sin(angle)
        out[..., 2 * i + 1] = a * torch.sin(angle) + b * torch.cos(angle)
    return out.to(x.dtype)


def check_rope(cls: Any) -> Verdict:
    """`cls(theta, d_k, max_seq_len)`, called as `rope(x, token_positions)`, must rotate adjacent pairs."""
    hint = ("第 i 对是相邻的 (x[2i], x[2i+1])，位置 p 上旋转角度 p·θ^(−2i/d_k)；"
            "token_positions 不一定是 0, 1, 2, …，要按它给的位置取角度。")
    cases = [  # (theta, d_k, x shape, positions)
        (10000.0, 8, (5, 8), torch.arange(5)),
        (10000.0, 8, (5, 8), torch.tensor([7, 0, 3, 3, 30])),
        (500.0, 16, (2, 3, 6, 16), torch.arange(6) + 10),
        (10000.0, 8, (2, 4, 8), torch.tensor([[0, 1, 2, 3], [5, 9, 2, 0]])),
    ]
    for theta, d_k, shape, positions in cases:
        rope, bad = _build(cls, theta, d_k, 64)
        if bad is not None:
            return bad
        x = torch.randn(*shape, generator=_gen(d_k))
        got, bad = _call(rope, x, positions)
        if bad is not None:
            return bad
        want = _rope_reference(x, positions.expand(shape[:-1]), theta)
        if not _close(got, want):
            return _shape_or_values(got, want, f"x 形状 {shape}、位置 {positions.tolist()} 时 RoPE ", hint)
    return _right("RoPE 与逐对写出的二维旋转一致（任意位置、批次与头的维度、θ ≠ 10000）。")


def check_softmax(fn: Any) -> Verdict:
    """`fn(x, dim)` must match `torch.softmax`, also for logits large enough to overflow `exp`."""
    hint = "先减去该维上的最大值再取 exp（数学上不变，但不会溢出），再除以该维上的和。"
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    for x, dim in [(torch.randn(3, 5, generator=_gen(0)), -1), (torch.randn(4, 2, 3, generator=_gen(1)) * 1000, 0),
                   (torch.tensor([[1000.0, 1000.0, -1000.0]]), 1)]:
        got, bad = _call(fn, x, dim)
        if bad is not None:
            return bad
        want = torch.softmax(x, dim=dim)
        if not _close(got, want, atol=1e-6):
            return _shape_or_values(got, want, f"dim={dim} 时 softmax ", hint)
    return _right("softmax 与 torch.softmax 一致（包括会让 exp 溢出的大 logits、dim 不是最后一维）。")


def check_attention(fn: Any) -> Verdict:
    """`fn(q, k, v, mask)` (mask True = may attend, or None) must match `F.scaled_dot_product_attention`."""
    hint = "softmax(QKᵀ/√d_k)V：掩码里 False 的位置在 softmax 之前设成 −∞；d_k 是 q 的最后一维。"
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    g = _gen(0)
    q, k, v = torch.randn(2, 3, 5, 8, generator=g), torch.randn(2, 3, 7, 8, generator=g), torch.randn(2, 3, 7, 4, generator=g)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    random_mask = torch.rand(5, 7, generator=g) > 0.3
    random_mask[:, 0] = True  # every query may attend to something
    for qq, kk, vv, mask, what in [(q, k, v, None, "不带掩码"), (q, k, v, random_mask, "任意布尔掩码"),
                                   (q, k[..., :5, :], v[..., :5, :], causal, "因果掩码")]:
        got, bad = _call(fn, qq, kk, vv, mask)
        if bad is not None:
            return bad
        want = F.scaled_dot_product_attention(qq, kk, vv, attn_mask=mask)
        if not _close(got, want):
            return _shape_or_values(got, want, f"{what}时注意力", hint)
    return _right("注意力与 F.scaled_dot_product_attention 一致（无掩码、任意掩码、因果掩码；T_q ≠ T_k，d_v ≠ d_k）。")


def check_swiglu(cls: Any) -> Verdict:
    """`cls(d_model, d_ff)` with linear layers `w1, w2, w3` must compute W2(SiLU(W1 x) ⊙ W3 x)."""
    hint = "FFN(x) = W2(SiLU(W1 x) ⊙ W3 x)，SiLU(z) = z·σ(z)；w1、w3 把 d_model 变成 d_ff，w2 再变回来。"
    ffn, bad = _build(cls, 16, 48)
    if bad is not None:
        return bad
    try:
        w1, w2, w3 = ffn.w1.weight, ffn.w2.weight, ffn.w3.weight
    except AttributeError:
        return _wrong("找不到 w1、w2、w3 三个线性层（CS336 的参数名是 ffn.w1.weight 等）。", hint)
    if w1.shape != (48, 16) or w3.shape != (48, 16) or w2.shape != (16, 48):
        return _wrong(f"权重形状是 w1 {tuple(w1.shape)}、w2 {tuple(w2.shape)}、w3 {tuple(w3.shape)}，"
                      "应当是 (d_ff, d_model)、(d_model, d_ff)、(d_ff, d_model)。", hint)
    for shape in [(16,), (2, 16), (2, 3, 16)]:
        x = torch.randn(*shape, generator=_gen(len(shape)))
        got, bad = _call(ffn, x)
        if bad is not None:
            return bad
        want = F.linear(F.silu(F.linear(x, w1)) * F.linear(x, w3), w2)
        if not _close(got, want):
            return _shape_or_values(got, want, "SwiGLU ", hint)
    return _right("SwiGLU 与 W2(F.silu(W1 x) ⊙ W3 x) 一致（3 种形状）。")


def check_multihead_attention(cls: Any) -> Verdict:
    """`cls(d_model, num_heads, max_seq_len)` (q/k/v/output_proj, RoPE on q and k) vs a reference built on F."""
    hint = ("把 d_model 拆成 num_heads 个头 (B, T, d) → (B, h, T, d_k)；只对 Q、K 做 RoPE；"
            "因果注意力之后把头拼回去，再乘 output_proj。")
    attn, bad = _build(cls, 16, 4, 32)
    if bad is not None:
        return bad
    try:
        weights = [getattr(attn, name).weight for name in ("q_proj", "k_proj", "v_proj", "output_proj")]
    except AttributeError:
        return _wrong("找不到 q_proj、k_proj、v_proj、output_proj（CS336 的参数名）。", hint)
    x = torch.randn(2, 10, 16, generator=_gen(0))
    got, bad = _call(attn, x)
    if bad is not None:
        return bad
    wq, wk, wv, wo = (w.detach() for w in weights)
    heads = lambda t: t.unflatten(-1, (4, 4)).transpose(1, 2)  # (B, T, d) -> (B, h, T, d_k)
    pos = torch.arange(10).expand(2, 4, 10)
    q, k = _rope_reference(heads(x @ wq.T), pos, 10000.0), _rope_reference(heads(x @ wk.T), pos, 10000.0)
    out = F.scaled_dot_product_attention(q, k, heads(x @ wv.T), is_causal=True)  # (B, h, T, d_k)
    want = out.transpose(1, 2).flatten(-2) @ wo.T  # (B, T, d)
    if not _close(got, want):
        return _shape_or_values(got, want, "多头注意力", hint)
    return _right("多头因果自注意力与用 F.scaled_dot_product_attention 搭的参考实现一致。")


def check_cross_entropy(fn: Any) -> Verdict:
    """`fn(logits, targets)` must match `F.cross_entropy` in value and gradient, also for huge logits."""
    hint = "ℓ = log Σ_j e^{z_j} − z_y，先减去每行的最大值；结果是所有位置的平均。"
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    for scale, shape in [(1.0, (4, 10)), (100.0, (4, 10)), (3.0, (2, 3, 7))]:
        logits = (torch.randn(*shape, generator=_gen(int(scale))) * scale).requires_grad_()
        targets = torch.randint(0, shape[-1], shape[:-1], generator=_gen(1))
        got, bad = _call(fn, logits, targets)
        if bad is not None:
            return bad
        want = F.cross_entropy(logits.detach().flatten(0, -2), targets.flatten())
        if not _close(got, want):
            return _shape_or_values(got, want, "交叉熵", hint)
        try:
            (grad,) = torch.autograd.grad(got, logits)
        except Exception as err:
            return _wrong(f"无法对结果求梯度（{type(err).__name__}: {err}）。", hint)
        ref = logits.detach().clone().requires_grad_()
        F.cross_entropy(ref.flatten(0, -2), targets.flatten()).backward()
        if not _close(grad, ref.grad):
            return _wrong("损失值对了，但对 logits 的梯度不对：应当是 (softmax(z) − onehot(y)) / 词元数。", hint)
    return _right("交叉熵的数值和梯度都与 F.cross_entropy 一致（包括很大的 logits、多出来的批次维度）。")


def check_adamw(cls: Any) -> Verdict:
    """`cls(params, lr, betas, eps, weight_decay)` must take the same steps as `torch.optim.AdamW`."""
    hint = ("每步：p ← p − lr·λ·p（解耦的权重衰减），m、v 按 β1、β2 更新，"
            "再用偏差修正后的 m̂ / (√v̂ + eps) 更新 p。")
    start = torch.randn(5, 3, generator=_gen(0))
    ours, ref = nn.Parameter(start.clone()), nn.Parameter(start.clone())
    kwargs = dict(lr=0.05, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    opt, bad = _build(cls, [ours], **kwargs)
    if bad is not None:
        return bad
    torch_opt = torch.optim.AdamW([ref], **kwargs)
    for step in range(1, 6):
        grad = torch.randn(5, 3, generator=_gen(step))
        ours.grad, ref.grad = grad.clone(), grad.clone()
        _, bad = _call(opt.step)
        if bad is not None:
            return bad
        torch_opt.step()
        if not torch.allclose(ours.detach(), ref.detach(), atol=1e-6, rtol=1e-5):
            return _wrong(f"第 {step} 步之后参数与 torch.optim.AdamW 不一致。", hint)
    return _right("5 步之后参数与 torch.optim.AdamW 一致。")


# ------------------------------------------------------------------------------------ the 练习


def tiny_config(vocab_size: int, **changes):
    """A model small enough that the 参考答案 train it in about a second: 2 layers, d_model 32, context 32."""
    from ..model import ModelConfig

    base = dict(vocab_size=vocab_size, context_length=32, d_model=32, num_layers=2, num_heads=4, d_ff=96)
    return ModelConfig(**{**base, **changes})


def quick_train(config, train_ids, val_ids, *, steps: int = 60, lr: float = 2e-2, model: nn.Module | None = None,
                eval_interval: int = 0):
    """Train `model` (default: a fresh `TransformerLM(config)`, seed 0) for a few steps; return the TrainResult."""
    from ..model import TransformerLM
    from ..train import TrainConfig, train

    if model is None:
        torch.manual_seed(0)
        model = TransformerLM.from_config(config)
    cfg = TrainConfig(batch_size=8, max_steps=steps, lr=lr, min_lr=lr / 10, warmup_steps=max(1, steps // 10),
                      log_interval=max(1, eval_interval or steps), eval_interval=eval_interval, eval_tokens=2048,
                      seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors this small run faster on one thread (and a busy machine hurts less)
    try:
        return train(model, cfg, train_ids, val_ids)
    finally:
        torch.set_num_threads(threads)


def check_head_counts(answer: Any, d_model: int) -> Verdict:
    """Exercise 1: the head counts (1 … d_model) that a model of width `d_model` accepts."""
    hint = "每个头分到 d_model / num_heads 维，这必须是整数。"
    if unanswered(answer):
        return Verdict(False, _UNANSWERED)
    try:
        got = sorted({int(h) for h in answer})
    except (TypeError, ValueError):
        return _wrong(f"请给出一组整数（列表、集合或 range），而不是 {type(answer).__name__}。", hint)
    want = [h for h in range(1, d_model + 1) if d_model % h == 0]
    if got == want:
        return _right(f"d_model = {d_model} 时可用的头数共 {len(want)} 个。")
    extra = [h for h in got if h not in want]
    if extra:
        return _wrong(f"{extra[0]} 不能用：试试用它构造 ModelConfig。", hint)
    return _wrong(f"还漏了 {len(want) - len(got)} 个可用的头数。", hint)


def swap_attention(model: nn.Module, cls: type) -> nn.Module:
    """Replace every block's attention with an instance of `cls` (a subclass) holding the same weights."""
    for layer in model.layers:
        old = layer.attn
        new = cls(old.q_proj.weight.shape[1], old.num_heads, old.rope.cos.shape[0])
        new.load_state_dict(old.state_dict())
        layer.attn = new.to(old.q_proj.weight.device)
    return model


def check_no_position_attention(cls: Any, base: type) -> Verdict:
    """Exercise 2: a subclass of `base` whose forward skips RoPE: still causal, blind to the order of the past."""
    hint = "在 forward 里照抄父类的写法，只是 Q、K 不经过 self.rope；掩码仍然是因果的。"
    if unanswered(cls):
        return Verdict(False, _UNANSWERED)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        return _wrong(f"请写一个 {base.__name__} 的子类，只重写 forward。", hint)
    attn, bad = _build(cls, 16, 4, 32)
    if bad is not None:
        return bad
    x = torch.randn(1, 8, 16, generator=_gen(0))
    shuffled = x.clone()
    shuffled[:, :7] = x[:, torch.tensor([3, 0, 6, 1, 5, 2, 4])]  # the past in another order, same last token
    changed = x.clone()
    changed[:, 5] += 1.0
    with torch.no_grad():
        out, bad = _call(attn, x)
        if bad is not None:
            return bad
        out_shuffled, out_changed = attn(shuffled), attn(changed)
        with_rope = base(16, 4, 32)
        with_rope.load_state_dict(attn.state_dict())
        out_rope = with_rope(x)
    if not torch.allclose(out[:, :5], out_changed[:, :5], atol=1e-5):
        return _wrong("改动第 5 个位置，前面位置的输出也变了：注意力不再是因果的。", hint)
    if torch.allclose(out, out_rope, atol=1e-5):
        return _wrong("输出和带 RoPE 的原版完全一样：Q、K 还在经过 self.rope。", hint)
    if not torch.allclose(out[:, -1], out_shuffled[:, -1], atol=1e-5):
        return _wrong("把前面的词元换个顺序，最后一个位置的输出变了：还有位置信息混在里面。", hint)
    return _right("没有位置编码：最后一个位置只看见前文的“集合”，看不见它们的顺序；注意力仍然是因果的。")


def check_attention_share(answer: Any, config, context_length: int) -> Verdict:
    """Exercise 3: the share of the attention scores (QKᵀ and AV) in the forward FLOPs per token of `config`
    with its context length set to `context_length`."""
    from dataclasses import replace

    from .. import flops
    from ..model import transformer_shape

    config = replace(config, context_length=context_length)
    counts = flops.flops_per_token(transformer_shape(config))
    want = counts["attn_scores"] / counts["total"]
    hint = (f"在 context_length = {config.context_length} 的配置上用 flops.flops_per_token 算："
            "注意力分数那一项除以总数（是 0 到 1 之间的比例，不是百分数）。")
    if isinstance(answer, (int, float)) and not isinstance(answer, bool) and 1 < answer <= 100:
        return _wrong(f"{answer} 看起来是百分数；请给 0 到 1 之间的比例。", hint)
    return check_value(answer, want, rel_tol=5e-3, hint=hint)


def check_same_checkpoints(path_a: Any, path_b: Any) -> Verdict:
    """Exercise 5: two checkpoint files hold bit-identical model weights, optimizer state and step."""
    if unanswered(path_a) or unanswered(path_b):
        return Verdict(False, _UNANSWERED)
    hint = "两次训练的配置要完全相同（包括 train.cosine_steps），续训前后的总步数也要相同。"
    from ..train import read_checkpoint

    try:
        a, b = read_checkpoint(Path(path_a)), read_checkpoint(Path(path_b))
    except Exception as err:
        return _wrong(f"读不出检查点（{type(err).__name__}: {err}）。", "路径应当指向 --out 文件夹里的 checkpoint.pt。")
    step_a, step_b = a.get("iteration"), b.get("iteration")
    if step_a != step_b:
        return _wrong(f"两个检查点的步数不同（{step_a} 与 {step_b}）。", hint)
    for name in a["model"]:
        if not torch.equal(a["model"][name], b["model"][name]):
            return _wrong(f"权重 {name} 不完全相同。", hint)
    if not _same_nested(a.get("optimizer"), b.get("optimizer")):
        return _wrong("权重相同，但优化器状态（m、v）不完全相同。", hint)
    return _right(f"第 {step_a} 步的权重和优化器状态逐位相同。")


def _same_nested(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_nested(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same_nested(x, y) for x, y in zip(a, b))
    return a == b


@torch.no_grad()
def greedy_reference(model: nn.Module, prompt: list[int], max_new_tokens: int) -> list[int]:
    """Greedy decoding without a cache: the whole sequence goes through the model for every new token."""
    ids = list(prompt)
    for _ in range(max_new_tokens):
        logits = model(torch.tensor(ids[-model.config.context_length:])[None])[0, -1]  # (V,)
        ids.append(int(logits.argmax()))
    return ids[len(prompt):]


def check_cached_generate(fn: Any, model: nn.Module) -> Verdict:
    """Exercise 6: `fn(model, prompt_ids, max_new_tokens)` with a KV cache gives the same greedy ids."""
    hint = ("每一层缓存已经算过的 K、V（旋转后的 K）；新词元只算自己的 Q、K、V，位置是它在序列里的下标；"
            "它的 Q 可以看所有缓存的 K，不需要因果掩码。")
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    gen = _gen(0)
    for length, new in [(1, 5), (4, 12)]:
        prompt = torch.randint(0, model.config.vocab_size, (length,), generator=gen).tolist()
        want = greedy_reference(model, prompt, new)
        got, bad = _call(fn, model, prompt, new)
        if bad is not None:
            return bad
        got = [int(i) for i in got] if isinstance(got, (list, tuple, torch.Tensor)) else got
        if got != want:
            return _wrong(f"提示长 {length} 个词元、生成 {new} 个时，结果与不带缓存的贪心解码不同。", hint)
    return _right("带 KV 缓存的贪心解码与每步重算整个序列的结果完全相同。")
