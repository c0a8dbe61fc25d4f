"""Tests for lecture_utils.model: each component against PyTorch's reference ops or a direct formula."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from torch.utils.flop_counter import FlopCounterMode

from lecture_utils import flops
from lecture_utils import model as M

TINY = dict(vocab_size=97, context_length=16, d_model=32, num_layers=2, num_heads=4, d_ff=64)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def tiny_model(**overrides) -> M.TransformerLM:
    return M.TransformerLM(**{**TINY, **overrides})


# ---------------------------------------------------------------- components vs references


def test_linear_matches_f_linear_and_init():
    layer = M.Linear(48, 80)
    assert layer.weight.shape == (80, 48)  # (d_out, d_in), as in the assignment
    x = torch.randn(3, 5, 48)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight))
    std = math.sqrt(2 / (48 + 80))
    assert layer.weight.abs().max() <= 3 * std + 1e-6
    assert 0.7 * std < layer.weight.std() < 1.1 * std  # truncation shrinks the std a little


def test_embedding_matches_f_embedding():
    emb = M.Embedding(50, 8)
    ids = torch.randint(0, 50, (4, 7))
    torch.testing.assert_close(emb(ids), F.embedding(ids, emb.weight))
    assert emb.weight.abs().max() <= 3.0


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_rmsnorm_matches_formula_and_torch(dtype):
    norm = M.RMSNorm(16, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 1.5, 16))
    x = (torch.randn(2, 3, 16) * 5).to(dtype)
    x32 = x.float()
    direct = x32 / torch.sqrt((x32**2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    out = norm(x)
    assert out.dtype == dtype
    torch.testing.assert_close(out, direct.to(dtype))
    torch.testing.assert_close(out, F.rms_norm(x32, (16,), norm.weight, eps=1e-5).to(dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_silu_matches_torch_values_and_gradients(dtype):
    x = torch.cat([torch.linspace(-30, 30, 101), torch.tensor([0.0, -1e-3, 1e-3, -88.0, 88.0])]).to(dtype)
    x = x.requires_grad_(True)
    ref = x.detach().clone().requires_grad_(True)
    out, expected = M.silu(x), F.silu(ref)
    assert out.dtype == dtype and torch.isfinite(out).all()
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    if dtype == torch.bfloat16:  # z * sigmoid(z) rounds twice in bf16, torch's fused kernel once: compare to exact
        z = x.detach().double()
        exact = torch.sigmoid(z) * (1 + z * (1 - torch.sigmoid(z)))  # d/dz z·σ(z)
        torch.testing.assert_close(x.grad.double(), exact, atol=1e-2, rtol=2e-2)
    else:
        torch.testing.assert_close(x.grad, ref.grad)


def test_silu_hand_written_backward_passes_gradcheck():
    z = torch.cat([torch.linspace(-12, 12, 25), torch.tensor([0.0, 1e-4, -1e-4])]).double().requires_grad_(True)
    assert torch.autograd.gradcheck(M.silu, (z,))
    g = torch.randn(28, dtype=torch.float64)
    (grad,) = torch.autograd.grad(M.silu(z), z, g)
    zd = z.detach()
    torch.testing.assert_close(grad, g * torch.autograd.grad((zd.requires_grad_() * torch.sigmoid(zd)).sum(), zd)[0])


def test_swiglu_uses_the_projects_silu(monkeypatch):
    ffn = M.SwiGLU(12, 20)
    calls = []
    monkeypatch.setattr(M, "silu", lambda z: calls.append(z.shape) or z * torch.sigmoid(z))
    ffn(torch.randn(3, 12))
    assert calls == [torch.Size([3, 20])]


def test_swiglu_matches_silu_formula():
    ffn = M.SwiGLU(12, 20)
    assert (ffn.w1.weight.shape, ffn.w2.weight.shape, ffn.w3.weight.shape) == ((20, 12), (12, 20), (20, 12))
    x = torch.randn(2, 5, 12)
    expected = F.linear(F.silu(F.linear(x, ffn.w1.weight)) * F.linear(x, ffn.w3.weight), ffn.w2.weight)
    torch.testing.assert_close(ffn(x), expected)


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_softmax_matches_torch_and_is_stable(scale):
    x = torch.randn(4, 9) * scale
    out = M.softmax(x, dim=-1)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.softmax(x, dim=-1))
    torch.testing.assert_close(M.softmax(x, dim=0), torch.softmax(x, dim=0))


def naive_attention(q, k, v, mask):
    """Loop-free but direct reference: explicit exp/normalise with -inf on masked scores."""
    d_k = q.shape[-1]
    scores = torch.einsum("...qd,...kd->...qk", q, k) / d_k**0.5
    scores = torch.where(mask, scores, torch.tensor(float("-inf")))
    weights = torch.exp(scores - scores.max(-1, keepdim=True).values)
    return torch.einsum("...qk,...kd->...qd", weights / weights.sum(-1, keepdim=True), v)


@pytest.mark.parametrize("kind", ["causal", "random", "none"])
def test_sdpa_matches_torch_and_naive(kind):
    q, k = torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 8)
    v = torch.randn(2, 3, 6, 5)
    if kind == "causal":
        mask = M.causal_mask(6)
    elif kind == "random":
        mask = torch.rand(6, 6) > 0.5
        mask[:, 0] = True  # every query may attend to something
    else:
        mask = torch.ones(6, 6, dtype=torch.bool)
    ours = M.scaled_dot_product_attention(q, k, v, mask)
    assert ours.shape == (2, 3, 6, 5)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    torch.testing.assert_close(ours, naive_attention(q, k, v, mask))
    if kind == "none":
        torch.testing.assert_close(M.scaled_dot_product_attention(q, k, v), ours)


def test_causal_mask_is_lower_triangular():
    mask = M.causal_mask(4)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[j <= i for j in range(4)] for i in range(4)]


def rope_reference(x, positions, theta):
    """RoPE through complex numbers: pair (x[2i], x[2i+1]) -> (x[2i] + i x[2i+1]) * exp(i p theta^(-2i/d))."""
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = positions.double()[:, None] * freqs  # (T, d/2)
    z = torch.view_as_complex(x.double().reshape(*x.shape[:-1], d // 2, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(angles), angles)).flatten(-2).float()


def test_rope_matches_complex_reference():
    rope = M.RotaryPositionalEmbedding(10000.0, 8, max_seq_len=32)
    x = torch.randn(2, 5, 8)
    pos = torch.tensor([0, 3, 7, 8, 31])
    torch.testing.assert_close(rope(x, pos), rope_reference(x, pos, 10000.0))
    torch.testing.assert_close(rope(x, torch.zeros(5, dtype=torch.long)), x)  # position 0: no rotation
    torch.testing.assert_close(rope(x, pos).norm(dim=-1), x.norm(dim=-1))  # rotations keep lengths


@settings(max_examples=25, deadline=None)
@given(p=st.integers(0, 40), s=st.integers(0, 40), shift=st.integers(0, 20))
def test_rope_scores_depend_only_on_relative_position(p, s, shift):
    rope = M.RotaryPositionalEmbedding(10000.0, 16, max_seq_len=64)
    gen = torch.Generator().manual_seed(1)
    q, k = torch.randn(16, generator=gen), torch.randn(16, generator=gen)

    def score(a, b):
        return rope(q[None], torch.tensor([a])) @ rope(k[None], torch.tensor([b])).T

    torch.testing.assert_close(score(p, s), score(p + shift, s + shift), atol=1e-4, rtol=1e-4)


B, H, T, D_K = 3, 2, 6, 8


def _rows_of_positions(shape: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(positions in the given layout, the same positions as one (T,) row per sequence: (B, T))."""
    rows = torch.stack([torch.randperm(20)[:T] for _ in range(B)])  # (B, T): a different order per sequence
    if shape == "(T,)":
        return rows[0], rows[:1].expand(B, T)
    if shape == "(1, T)":
        return rows[:1], rows[:1].expand(B, T)
    if shape == "(B, T)":
        return rows, rows
    return rows[:, None, :], rows  # (B, 1, T)


@pytest.mark.parametrize("shape", ["(T,)", "(1, T)", "(B, T)"])
def test_rope_batched_positions_match_each_row_alone(shape):
    rope = M.RotaryPositionalEmbedding(10000.0, D_K, max_seq_len=20)
    x = torch.randn(B, T, D_K)
    pos, rows = _rows_of_positions(shape)
    expected = torch.stack([rope(x[b], rows[b]) for b in range(B)])
    torch.testing.assert_close(rope(x, pos), expected)
    torch.testing.assert_close(expected[1], rope_reference(x[1], rows[1], 10000.0))


@pytest.mark.parametrize("shape", ["(T,)", "(1, T)", "(B, 1, T)"])
def test_rope_on_heads_matches_each_row_alone(shape):
    rope = M.RotaryPositionalEmbedding(10000.0, D_K, max_seq_len=20)
    x = torch.randn(B, H, T, D_K)  # queries or keys split into heads
    pos, rows = _rows_of_positions(shape)
    expected = torch.stack([torch.stack([rope(x[b, h], rows[b]) for h in range(H)]) for b in range(B)])
    torch.testing.assert_close(rope(x, pos), expected)


@pytest.mark.parametrize("bad, message", [(torch.arange(T)[None, None, None], "line up"),
                                          (torch.zeros(B, T + 1, dtype=torch.long), "line up"),
                                          (torch.arange(T).float(), "integers")])
def test_rope_rejects_positions_that_do_not_line_up(bad, message):
    rope = M.RotaryPositionalEmbedding(10000.0, D_K, max_seq_len=20)
    with pytest.raises(ValueError, match=message):
        rope(torch.randn(B, T, D_K), bad)


@pytest.mark.parametrize("attention", ["fused", "naive"])
@pytest.mark.parametrize("shape", ["(T,)", "(1, T)", "(B, T)", "(B, 1, T)"])
def test_attention_positions_match_each_row_alone(shape, attention):
    # B == H: the old bug (a (B, T) batch lined up against the heads) ran silently in this case.
    mha = M.MultiHeadSelfAttention(4 * B, B, max_seq_len=20, attention=attention)
    x = torch.randn(B, T, 4 * B)
    pos, rows = _rows_of_positions(shape)
    expected = torch.cat([mha(x[b : b + 1], rows[b]) for b in range(B)])
    torch.testing.assert_close(mha(x, pos), expected, atol=1e-6, rtol=1e-5)
    if shape == "(B, T)":  # and with H != B, which used to raise
        mha4 = M.MultiHeadSelfAttention(16, 4, max_seq_len=20, attention=attention)
        x4 = torch.randn(B, T, 16)
        expected4 = torch.cat([mha4(x4[b : b + 1], rows[b]) for b in range(B)])
        torch.testing.assert_close(mha4(x4, pos), expected4, atol=1e-6, rtol=1e-5)


def test_lm_positions_default_to_arange():
    lm = tiny_model()
    ids = torch.randint(0, 97, (2, 9))
    torch.testing.assert_close(lm(ids), lm(ids, torch.arange(9).expand(2, 9)))


@pytest.mark.parametrize("attention", ["fused", "naive"])
def test_attention_matches_per_head_reference(attention):
    mha = M.MultiHeadSelfAttention(16, 4, max_seq_len=8, theta=500.0, attention=attention)
    x = torch.randn(2, 7, 16)
    pos = torch.arange(7)
    heads = []
    for h in range(4):  # one head at a time, written out directly
        rows = slice(4 * h, 4 * h + 4)
        q = rope_reference(F.linear(x, mha.q_proj.weight[rows]), pos, 500.0)
        k = rope_reference(F.linear(x, mha.k_proj.weight[rows]), pos, 500.0)
        v = F.linear(x, mha.v_proj.weight[rows])
        heads.append(naive_attention(q, k, v, M.causal_mask(7)))
    expected = F.linear(torch.cat(heads, dim=-1), mha.output_proj.weight)
    torch.testing.assert_close(mha(x), expected, atol=1e-5, rtol=1e-4)


def test_fused_and_naive_models_agree():
    fused = tiny_model()
    naive = tiny_model(attention="naive")
    naive.load_state_dict(fused.state_dict())
    ids = torch.randint(0, 97, (3, 16))
    torch.testing.assert_close(fused(ids), naive(ids), atol=1e-5, rtol=1e-4)


def test_block_is_pre_norm_residual():
    block = M.TransformerBlock(16, 2, 24, max_seq_len=8)
    x = torch.randn(1, 5, 16)
    h = x + block.attn(block.ln1(x))
    torch.testing.assert_close(block(x), h + block.ffn(block.ln2(h)))


# ---------------------------------------------------------------- the language model


def test_lm_shapes_and_state_dict_names():
    lm = tiny_model()
    logits = lm(torch.randint(0, 97, (2, 10)))
    assert logits.shape == (2, 10, 97)
    keys = set(lm.state_dict())
    for key in ["token_embeddings.weight", "layers.1.attn.q_proj.weight", "layers.0.attn.output_proj.weight",
                "layers.0.ln1.weight", "layers.0.ffn.w3.weight", "ln_final.weight", "lm_head.weight"]:
        assert key in keys
    assert lm.lm_head.weight.data_ptr() != lm.token_embeddings.weight.data_ptr()  # untied


@pytest.mark.parametrize("attention", ["fused", "naive"])
@settings(max_examples=10, deadline=None)
@given(j=st.integers(0, 15), new=st.integers(0, 96))
def test_lm_is_causal(attention, j, new):
    """Changing token j never changes the logits at positions before j."""
    torch.manual_seed(0)
    lm = tiny_model(attention=attention).eval()
    ids = torch.randint(0, 97, (1, 16))
    changed = ids.clone()
    changed[0, j] = new
    with torch.no_grad():
        a, b = lm(ids), lm(changed)
    torch.testing.assert_close(a[:, :j], b[:, :j])


def test_parameter_count_formula():
    lm = tiny_model()
    v, d, layers, ff = 97, 32, 2, 64
    per_layer = 4 * d * d + 3 * d * ff + 2 * d
    assert sum(p.numel() for p in lm.parameters()) == 2 * v * d + layers * per_layer + d
    # one counter: count_parameters calls flops.param_count, for a model, a config or a dict alike
    assert M.count_parameters(lm) == M.count_parameters(lm.config) == M.count_parameters(TINY) \
        == flops.param_count(M.transformer_shape(lm.config)) == 2 * v * d + layers * per_layer + d
    with pytest.raises(TypeError, match="numel"):
        M.count_parameters(M.SwiGLU(4, 8))


@pytest.mark.parametrize("cfg", [TINY, dict(TINY, vocab_size=300, d_model=48, num_heads=3, d_ff=128, num_layers=3)])
def test_parameters_and_flops_agree_with_flops_module(cfg):
    """Parameter count and measured matmul FLOPs equal lecture_utils.flops' standard accounting."""
    lm = M.TransformerLM(**cfg, attention="naive")  # the flop counter sees every matmul of the naive path
    shape = M.transformer_shape(lm.config)
    assert sum(p.numel() for p in lm.parameters()) == flops.param_count(shape)  # the module, measured
    batch, seq = 2, cfg["context_length"]
    ids = torch.randint(0, cfg["vocab_size"], (batch, seq))
    with FlopCounterMode(display=False) as counter:
        logits = lm(ids)
    assert counter.get_total_flops() == flops.flops_per_token(shape)["total"] * batch * seq
    with FlopCounterMode(display=False) as counter:
        logits.sum().backward()
    backward = counter.get_total_flops()
    assert backward == 2 * flops.flops_per_token(shape)["total"] * batch * seq  # backward = 2 x forward
    assert backward * 3 / 2 == flops.training_flops_per_token(shape)["total"] * batch * seq


def test_swiglu_hidden_size():
    # CS336 assignment 1's TinyStories model: d_model 512, d_ff 1344 (8/3 * 512 = 1365.3, nearest multiple of 64)
    assert M.swiglu_hidden_size(512) == 1344
    assert M.swiglu_hidden_size(256) == 704 and M.swiglu_hidden_size(128) == 320 and M.swiglu_hidden_size(384) == 1024
    assert M.swiglu_hidden_size(8) == 64  # never zero
    assert M.swiglu_hidden_size(6, multiple_of=32) == 32  # 8/3 * 6 / 32 = 0.5: halves round up
    for d in range(1, 600):
        f = M.swiglu_hidden_size(d, 16)
        assert f % 16 == 0 and (abs(f - 8 * d / 3) <= 8 or f == 16)
    with pytest.raises(ValueError, match="positive integers"):
        M.swiglu_hidden_size(512, 0)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(num_heads=5), "does not divide d_model"),
        (dict(num_heads=32), "odd"),
        (dict(d_model=0), "positive integer"),
        (dict(vocab_size=3.5), "positive integer"),
        (dict(attention="flash"), "'fused' or 'naive'"),
        (dict(rope_theta=-1.0), "positive"),
    ],
)
def test_bad_config_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        M.ModelConfig(**{**TINY, **overrides})


def test_unknown_config_key():
    with pytest.raises(ValueError, match="unknown model config key"):
        M.ModelConfig.from_dict({**TINY, "n_embd": 3})
    assert M.ModelConfig.from_dict(M.ModelConfig(**TINY).to_dict()) == M.ModelConfig(**TINY)


def test_context_too_long_error():
    with pytest.raises(ValueError, match="longer than the model's context_length 16"):
        tiny_model()(torch.zeros(1, 17, dtype=torch.long))


# ---------------------------------------------------------------- generation


def test_generate_greedy_stop_and_limits():
    lm = tiny_model()
    prompt = [1, 2, 3]
    greedy = lm.generate(prompt, 20, temperature=0)
    assert len(greedy) == 20 and greedy == lm.generate(prompt, 20, temperature=0)
    # top-k = 1 and a tiny nucleus both reduce sampling to greedy decoding
    assert lm.generate(prompt, 20, top_k=1, generator=torch.Generator().manual_seed(0)) == greedy
    assert lm.generate(prompt, 20, top_p=1e-6, generator=torch.Generator().manual_seed(0)) == greedy
    stop = greedy[4]
    stopped = lm.generate(prompt, 20, temperature=0, stop_token=stop)
    assert stopped[-1] == stop and stop not in stopped[:-1]
    assert lm.generate(prompt, 0) == []
    long_prompt = list(range(40))  # longer than context_length: cropped, not an error
    assert len(lm.generate(long_prompt, 3, temperature=0)) == 3


def test_generate_is_reproducible_with_a_generator():
    lm = tiny_model()
    a = lm.generate([5], 15, temperature=1.0, top_k=10, top_p=0.9, generator=torch.Generator().manual_seed(3))
    b = lm.generate([5], 15, temperature=1.0, top_k=10, top_p=0.9, generator=torch.Generator().manual_seed(3))
    assert a == b and all(0 <= t < 97 for t in a)


def test_generate_restores_training_mode_when_interrupted(monkeypatch):
    lm = tiny_model()
    lm.train()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(M, "sample_next_token", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lm.generate([5], 3)
    assert lm.training  # the caller's mode is restored, not left in eval mode


def test_top_k_and_top_p_restrict_support():
    logits = torch.tensor([3.0, 2.0, 1.0, 0.0, -1.0])
    gen = torch.Generator().manual_seed(0)
    assert {M.sample_next_token(logits, top_k=2, generator=gen) for _ in range(200)} == {0, 1}
    probs = torch.softmax(logits, -1)  # 0.64, 0.24, 0.09, ...
    seen = {M.sample_next_token(logits, top_p=0.8, generator=gen) for _ in range(200)}
    assert seen == {0, 1} and probs[0] < 0.8 <= probs[:2].sum()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_new_tokens=-1), "max_new_tokens"),
        (dict(temperature=-0.5), "temperature"),
        (dict(top_p=0.0), "top_p"),
        (dict(top_k=0), "top_k"),
    ],
)
def test_generate_errors(kwargs, message):
    args = {"max_new_tokens": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        tiny_model().generate([1], **args)


def test_generate_rejects_bad_prompts():
    with pytest.raises(ValueError, match="at least one token"):
        tiny_model().generate([], 3)
    for bad in ([1.7, 2.0], torch.tensor([1.0, 2.0]), [True, False], torch.tensor([True])):
        with pytest.raises(ValueError, match="integer token ids"):
            tiny_model().generate(bad, 3)
    with pytest.raises(ValueError, match="integer token ids"):
        tiny_model()(torch.zeros(1, 4))
    import numpy as np
    assert len(tiny_model().generate(np.array([1, 2], dtype=np.uint16), 2)) == 2
    with pytest.raises(ValueError, match=r"\[0, 97\)"):
        tiny_model().generate([97], 3)


def _fake_vocab() -> dict[int, bytes]:
    """97 ids: the 96 bytes 0x20-0x7F and 0x80-0xDF mixed so that half-characters are likely, and one 3-byte char."""
    vocab = {i: bytes([0x41 + i % 26]) for i in range(97)}
    for i in range(0, 97, 3):
        vocab[i] = bytes([0x80 + i % 64])  # a lone continuation byte
    for i in range(1, 97, 7):
        vocab[i] = bytes([0xE4])  # the start of a 3-byte character
    vocab[96] = "好".encode("utf-8")
    return vocab


def test_generate_with_token_bytes_keeps_utf8_whole():
    lm, vocab = tiny_model(), _fake_vocab()
    for seed in range(5):
        gen = torch.Generator().manual_seed(seed)
        plain = lm.generate([5], 40, temperature=1.5, generator=gen)
        joined = b"".join(vocab[i] for i in plain)
        with pytest.raises(UnicodeDecodeError):  # without the constraint this vocabulary breaks characters
            joined.decode("utf-8")
        ids = lm.generate([5], 40, temperature=1.5, token_bytes=vocab, generator=torch.Generator().manual_seed(seed))
        data = b"".join(vocab[i] for i in ids)
        tail = M._unfinished_utf8(data)
        data[: len(data) - len(tail)].decode("utf-8")  # strict: everything but an unfinished last character
        assert len(ids) == 40
    greedy = lm.generate([5], 20, temperature=0, token_bytes=list(vocab.values()))
    assert greedy == lm.generate([5], 20, temperature=0, token_bytes=vocab)


def test_generate_token_bytes_errors_and_padding():
    lm = tiny_model()
    with pytest.raises(TypeError, match="tokenizer.vocab"):
        lm.generate([5], 3, token_bytes="abc")
    with pytest.raises(TypeError, match="not to str"):
        lm.generate([5], 3, token_bytes={i: chr(65 + i % 26) for i in range(97)})
    ascii_only = {i: b"x" for i in range(10)}  # ids 10..96 missing (padding): never drawn
    assert all(i < 10 for i in lm.generate([5], 30, temperature=2.0, token_bytes=ascii_only,
                                           generator=torch.Generator().manual_seed(0)))
