"""Notebook 08's checks: the package's components pass, broken copies fail with a Chinese hint."""
import math

import pytest
import torch
import torch.nn.functional as F

from lecture_utils import model as M
from lecture_utils import train as T
from lecture_utils.exercises import ex08


def assert_right(verdict):
    assert verdict.ok, verdict.message
    assert verdict.message.startswith("✅")


def assert_wrong(verdict, *words):
    assert not verdict.ok
    assert verdict.message.startswith("❌"), verdict.message
    for word in words:
        assert word in verdict.message, verdict.message


def test_the_package_components_pass():
    for check, impl in [(ex08.check_rmsnorm, M.RMSNorm), (ex08.check_rope, M.RotaryPositionalEmbedding),
                        (ex08.check_softmax, M.softmax), (ex08.check_attention, M.scaled_dot_product_attention),
                        (ex08.check_swiglu, M.SwiGLU), (ex08.check_multihead_attention, M.MultiHeadSelfAttention),
                        (ex08.check_cross_entropy, T.cross_entropy), (ex08.check_adamw, T.AdamW)]:
        assert_right(check(impl))


@pytest.mark.parametrize("check", [ex08.check_rmsnorm, ex08.check_rope, ex08.check_softmax, ex08.check_attention,
                                   ex08.check_swiglu, ex08.check_multihead_attention, ex08.check_cross_entropy,
                                   ex08.check_adamw, ex08.check_cached_generate])
def test_an_untouched_cell_is_unanswered(check):
    args = (..., M.TransformerLM.from_config(ex08.tiny_config(50))) if check is ex08.check_cached_generate else (...,)
    verdict = check(*args)
    assert not verdict.ok and verdict.message.startswith("⏳")


class RMSNormNoEps(M.RMSNorm):
    def forward(self, x):
        return x / x.pow(2).mean(-1, keepdim=True).sqrt() * self.weight * 1.01


class RMSNormLayerNormLike(M.RMSNorm):
    def forward(self, x):  # subtracts the mean: that is LayerNorm, not RMSNorm
        x = x - x.mean(-1, keepdim=True)
        return super().forward(x)


class RMSNormKeepsFloat32(M.RMSNorm):
    def forward(self, x):
        return super().forward(x).float()


@pytest.mark.parametrize("cls", [RMSNormNoEps, RMSNormLayerNormLike])
def test_wrong_rmsnorm_values(cls):
    assert_wrong(ex08.check_rmsnorm(cls), "数值", "💡")


def test_rmsnorm_must_return_the_input_dtype():
    assert_wrong(ex08.check_rmsnorm(RMSNormKeepsFloat32), "bfloat16")


class RopeHalves(torch.nn.Module):
    """Rotates (x[i], x[i + d/2]) instead of adjacent pairs: the other RoPE convention."""

    def __init__(self, theta, d_k, max_seq_len):
        super().__init__()
        self.theta, self.d_k = theta, d_k

    def forward(self, x, token_positions):
        half = self.d_k // 2
        inv = self.theta ** (-torch.arange(half) * 2 / self.d_k)
        ang = token_positions[..., None].float() * inv  # (..., T, d/2)
        a, b = x[..., :half], x[..., half:]
        return torch.cat((a * ang.cos() - b * ang.sin(), a * ang.sin() + b * ang.cos()), dim=-1)


class RopeIgnoresPositions(M.RotaryPositionalEmbedding):
    def forward(self, x, token_positions):
        return super().forward(x, torch.arange(x.shape[-2]))


@pytest.mark.parametrize("cls", [RopeHalves, RopeIgnoresPositions])
def test_wrong_rope(cls):
    assert_wrong(ex08.check_rope(cls), "RoPE", "相邻")


def test_rope_that_crashes_is_reported_not_raised():
    class Broken(M.RotaryPositionalEmbedding):
        def forward(self, x, token_positions):
            raise RuntimeError("boom")
    assert_wrong(ex08.check_rope(Broken), "RuntimeError", "boom")


def test_wrong_softmax_and_attention():
    naive_softmax = lambda x, dim: x.exp() / x.exp().sum(dim, keepdim=True)  # overflows on large logits
    assert_wrong(ex08.check_softmax(naive_softmax), "最大值")
    assert_wrong(ex08.check_softmax(lambda x, dim: torch.softmax(x, dim=-1)), "dim=0")
    no_scale = lambda q, k, v, mask=None: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
    assert_wrong(ex08.check_attention(no_scale), "√d_k")
    inverted = lambda q, k, v, mask=None: M.scaled_dot_product_attention(q, k, v, None if mask is None else ~mask)
    assert_wrong(ex08.check_attention(inverted), "掩码")


class ReluFFN(M.SwiGLU):
    def forward(self, x):
        return self.w2(torch.relu(self.w1(x)) * self.w3(x))


class SwappedFFN(M.SwiGLU):
    def forward(self, x):
        return self.w2(self.w1(x) * F.silu(self.w3(x)))


@pytest.mark.parametrize("cls", [ReluFFN, SwappedFFN])
def test_wrong_swiglu(cls):
    assert_wrong(ex08.check_swiglu(cls), "SiLU")


class NoRopeMHA(M.MultiHeadSelfAttention):
    def forward(self, x, token_positions=None):
        heads = lambda t: t.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2)
        out = F.scaled_dot_product_attention(heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x)),
                                             is_causal=True)
        return self.output_proj(out.transpose(-3, -2).flatten(-2))


class NotCausalMHA(M.MultiHeadSelfAttention):
    def forward(self, x, token_positions=None):
        heads = lambda t: t.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2)
        pos = torch.arange(x.shape[-2])
        q, k = self.rope(heads(self.q_proj(x)), pos), self.rope(heads(self.k_proj(x)), pos)
        out = F.scaled_dot_product_attention(q, k, heads(self.v_proj(x)))
        return self.output_proj(out.transpose(-3, -2).flatten(-2))


@pytest.mark.parametrize("cls", [NoRopeMHA, NotCausalMHA])
def test_wrong_multihead_attention(cls):
    assert_wrong(ex08.check_multihead_attention(cls), "多头注意力")


def test_wrong_cross_entropy_and_adamw():
    unstable = lambda z, y: (z.exp().sum(-1).log() - z.gather(-1, y[..., None])[..., 0]).mean()
    assert_wrong(ex08.check_cross_entropy(unstable), "交叉熵")
    summed = lambda z, y: F.cross_entropy(z.flatten(0, -2), y.flatten(), reduction="sum")
    assert_wrong(ex08.check_cross_entropy(summed), "平均")

    class AdamCoupledDecay(torch.optim.Adam):  # L2 in the gradient, not decoupled decay
        def __init__(self, params, lr, betas, eps, weight_decay):
            super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    assert_wrong(ex08.check_adamw(AdamCoupledDecay), "torch.optim.AdamW", "解耦")


def test_head_counts():
    assert_right(ex08.check_head_counts([1, 2, 4, 8, 16, 32, 64, 128], 128))
    assert_right(ex08.check_head_counts({128, 64, 32, 16, 8, 4, 2, 1}, 128))
    assert_right(ex08.check_head_counts(range(1, 2), 1))
    assert_wrong(ex08.check_head_counts([1, 2, 3, 4], 128), "3 不能用")
    assert_wrong(ex08.check_head_counts([1, 2, 4], 128), "漏了 5 个")
    assert_wrong(ex08.check_head_counts("all", 128))
    assert "128" not in ex08.check_head_counts([1, 2, 4], 128).message.split("💡")[1]


def test_no_position_attention():
    assert_right(ex08.check_no_position_attention(NoRopeMHA, M.MultiHeadSelfAttention))
    assert_wrong(ex08.check_no_position_attention(M.MultiHeadSelfAttention, M.MultiHeadSelfAttention), "self.rope")
    assert_wrong(ex08.check_no_position_attention(NotCausalMHA, M.MultiHeadSelfAttention), "因果")
    assert_wrong(ex08.check_no_position_attention(lambda *a: None, M.MultiHeadSelfAttention), "子类")


def test_swap_attention_keeps_weights_and_changes_the_class():
    torch.manual_seed(0)
    model = M.TransformerLM.from_config(ex08.tiny_config(50))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ex08.swap_attention(model, NoRopeMHA)
    assert all(type(layer.attn) is NoRopeMHA for layer in model.layers)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_attention_share():
    cfg = M.ModelConfig(vocab_size=2000, context_length=128, d_model=128, num_layers=4, num_heads=4, d_ff=384)
    share = 4 * 512 * 128 * 4 / (4 * 512 * 128 * 4 + 4 * 2 * 4 * 128 * 128 + 4 * 2 * 3 * 128 * 384 + 2 * 128 * 2000)
    assert_right(ex08.check_attention_share(share, cfg, context_length=512))
    assert_right(ex08.check_attention_share(round(share, 3), cfg, context_length=512))
    assert_wrong(ex08.check_attention_share(share * 100, cfg, context_length=512), "百分数")
    assert_wrong(ex08.check_attention_share(share / 2, cfg, context_length=512), "偏小", "flops.flops_per_token")
    # the context length of the question, not of the config it is applied to
    assert_wrong(ex08.check_attention_share(share, cfg, context_length=128), "偏大")


def test_same_checkpoints(tmp_path):
    torch.manual_seed(0)
    model = M.TransformerLM.from_config(ex08.tiny_config(50))
    opt = T.AdamW(model.parameters())
    T.save_checkpoint(model, opt, 3, tmp_path / "a.pt")
    T.save_checkpoint(model, opt, 3, tmp_path / "b.pt")
    assert_right(ex08.check_same_checkpoints(tmp_path / "a.pt", str(tmp_path / "b.pt")))
    T.save_checkpoint(model, opt, 4, tmp_path / "c.pt")
    assert_wrong(ex08.check_same_checkpoints(tmp_path / "a.pt", tmp_path / "c.pt"), "步数不同")
    with torch.no_grad():
        model.lm_head.weight[0, 0] += 1e-6
    T.save_checkpoint(model, opt, 3, tmp_path / "d.pt")
    assert_wrong(ex08.check_same_checkpoints(tmp_path / "a.pt", tmp_path / "d.pt"), "lm_head.weight")
    assert_wrong(ex08.check_same_checkpoints(tmp_path / "a.pt", tmp_path / "missing.pt"), "读不出")
    assert ex08.check_same_checkpoints(..., ...).message.startswith("⏳")


def test_cached_generate():
    torch.manual_seed(0)
    model = M.TransformerLM.from_config(ex08.tiny_config(50))
    assert_right(ex08.check_cached_generate(lambda m, p, n: ex08.greedy_reference(m, p, n), model))
    off_by_one = lambda m, p, n: ex08.greedy_reference(m, p, n + 1)[1:]
    assert_wrong(ex08.check_cached_generate(off_by_one, model), "不同")
    assert_wrong(ex08.check_cached_generate(lambda m, p, n: 1 / 0, model), "ZeroDivisionError")


def test_greedy_reference_is_generate_at_temperature_zero():
    torch.manual_seed(1)
    model = M.TransformerLM.from_config(ex08.tiny_config(50))
    assert ex08.greedy_reference(model, [1, 2, 3], 6) == model.generate([1, 2, 3], 6, temperature=0.0)


def test_quick_train_is_quick_and_learns():
    train_ids = torch.randint(0, 50, (4000,)).numpy().astype("uint16") % 5  # a tiny repetitive "language"
    res = ex08.quick_train(ex08.tiny_config(50), train_ids, train_ids, steps=20, lr=1e-2)
    assert res.steps == 20 and res.final_val_loss < math.log(50)
