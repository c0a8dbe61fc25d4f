"""Parameter and FLOP accounting (lecture_utils.flops) against published tables and hand counts."""
from __future__ import annotations

import dataclasses
import math

import pytest

from lecture_utils.facts import load_gpt3_sizes, load_opt_sizes, load_roller_table
from lecture_utils.flops import (PARTS, TransformerShape, flops_per_token, flops_per_update,
                                 non_embedding_params, param_breakdown, param_count, shares,
                                 six_n_d, training_flops, training_flops_per_token)

ROLLER = load_roller_table()
OPT = load_opt_sizes()
GPT3 = load_gpt3_sizes()
# A CS336-assignment-1-like model: SwiGLU, RMSNorm, RoPE, untied head, no biases.
SWIGLU = TransformerShape(n_layers=4, d_model=512, n_heads=16, d_ff=1344, context_length=256,
                          vocab_size=10_000, ffn="swiglu")


@pytest.mark.parametrize("row", ROLLER, ids=lambda r: r.description)
def test_roller_rows_reproduced(row):
    model = OPT[row.opt_size]
    got = shares(training_flops(model.shape, model.batch_tokens, "roller"))
    for part, published in row.pcts.items():
        assert abs(got[part] - published) <= 0.5, (part, got[part], published)
    # FLOPs/update as printed: two significant figures.
    assert float(f"{flops_per_update(model.shape, int(model.batch_tokens)):.1e}") == row.flops_per_update


def test_roller_table_has_eight_rows_all_in_opt_sizes():
    assert [r.description for r in ROLLER] == ["760M", "1.3B", "2.7B", "6.7B", "13B", "30B", "66B", "175B"]
    assert all(r.opt_size in OPT for r in ROLLER)


@pytest.mark.parametrize("size, expected", [  # facts §3.3, standard accounting, training shares
    ("760m", (25.0, 49.9, 16.6, 8.5)), ("6.7b", (29.9, 59.8, 7.5, 2.9)), ("175b", (32.3, 64.6, 2.7, 0.3))])
def test_standard_accounting_spot_values(size, expected):
    got = shares(training_flops(OPT[size].shape, 1.0, "standard"))
    for part, want in zip(("attn_proj", "ffn", "attn_scores", "logits"), expected):
        assert got[part] == pytest.approx(want, abs=0.06)


@pytest.mark.parametrize("name, expected", [  # facts §3.5, Kaplan forward accounting (causal scores)
    ("GPT-3 Small", (19.9, 39.8, 13.3, 27.1)), ("GPT-3 XL", (28.5, 57.1, 7.1, 7.3)),
    ("GPT-3 13B", (31.6, 63.3, 3.2, 1.9)), ("GPT-3 175B", (32.8, 65.5, 1.4, 0.3))])
def test_kaplan_forward_shares(name, expected):
    got = shares(flops_per_token(GPT3[name].shape, causal=True))
    for part, want in zip(("attn_proj", "ffn", "attn_scores", "logits"), expected):
        assert got[part] == pytest.approx(want, abs=0.1)


def test_six_n_d_gpt3_175b():
    n = non_embedding_params(GPT3["GPT-3 175B"].shape)
    assert n == 12 * 96 * 12288**2
    assert n / 1e9 == pytest.approx(173.9, abs=0.05)
    assert six_n_d(n, 300e9) == pytest.approx(3.13e23, rel=0.005)
    assert six_n_d(175e9, 300e9) == pytest.approx(3.1e23, rel=0.02)  # Wei et al. Table 1


def test_gpt3_corrected_typos_and_param_counts():
    assert GPT3["GPT-3 13B"].shape.d_model == 5120
    assert (GPT3["GPT-3 XL"].shape.n_heads, GPT3["GPT-3 XL"].shape.d_head) == (32, 64)
    for model in GPT3.values():  # full count (with embeddings) within 10% of the published size
        assert param_count(model.shape) == pytest.approx(model.params_published, rel=0.1), model.name


def test_swiglu_param_count_by_hand():
    h, f, l, V = 512, 1344, 4, 10_000
    per_layer = 4 * h * h + 3 * h * f + 2 * h  # W_Q,K,V,O + W1,W2,W3 + two RMSNorm gains
    assert param_count(SWIGLU) == V * h + l * per_layer + h + V * h == 22_696_448
    tied = dataclasses.replace(SWIGLU, tied_embeddings=True)
    assert param_count(tied) == param_count(SWIGLU) - V * h
    assert param_breakdown(SWIGLU)["positions"] == 0


def test_swiglu_flops_per_token_by_hand():
    h, f, l, V, s = 512, 1344, 4, 10_000, 256
    fwd = flops_per_token(SWIGLU)
    assert fwd["attn_proj"] == l * 8 * h * h
    assert fwd["ffn"] == l * 6 * h * f
    assert fwd["attn_scores"] == l * 4 * s * h
    assert fwd["logits"] == 2 * h * V
    assert fwd["total"] == sum(fwd[p] for p in PARTS)
    assert training_flops_per_token(SWIGLU)["total"] == 3 * fwd["total"]
    assert flops_per_token(SWIGLU, causal=True)["attn_scores"] == l * 2 * (s + 1) * h


def test_standard_matches_torch_flop_counter():
    """A hand-written forward pass, counted by PyTorch, costs exactly the standard accounting."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    shape = TransformerShape(n_layers=2, d_model=32, n_heads=4, d_ff=48, context_length=16,
                             vocab_size=100, ffn="swiglu")
    h, f, s, nh = shape.d_model, shape.d_ff, 8, shape.n_heads
    x = torch.randn(1, s, h)  # (B, T, C)
    w = lambda *dims: torch.randn(*dims)  # noqa: E731
    with FlopCounterMode(display=False) as counter:
        for _ in range(shape.n_layers):
            q, k, v = (x @ w(h, h)).view(1, s, nh, -1).transpose(1, 2), \
                (x @ w(h, h)).view(1, s, nh, -1).transpose(1, 2), \
                (x @ w(h, h)).view(1, s, nh, -1).transpose(1, 2)  # (B, nh, T, dh)
            att = torch.softmax(q @ k.transpose(-1, -2), dim=-1)  # (B, nh, T, T)
            x = x + (att @ v).transpose(1, 2).reshape(1, s, h) @ w(h, h)  # (B, T, C)
            x = x + (torch.nn.functional.silu(x @ w(h, f)) * (x @ w(h, f))) @ w(f, h)
        x @ w(h, shape.vocab_size)  # (B, T, V)
    assert counter.get_total_flops() == s * flops_per_token(shape, seq_len=s)["total"]


def test_longer_context_grows_score_share():
    short = TransformerShape(24, 2048, 16, 8192, 2048, 50272)
    long = TransformerShape(24, 2048, 16, 8192, 32768, 50272)
    assert shares(flops_per_token(long))["attn_scores"] > 3 * shares(flops_per_token(short))["attn_scores"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_heads=7), "divisible"), (dict(d_model=0), "positive"), (dict(ffn="relu"), "ffn"),
    (dict(norm="batchnorm"), "norm")])
def test_bad_shapes_are_refused(kwargs, message):
    base = dict(n_layers=2, d_model=64, n_heads=4, d_ff=256, context_length=32, vocab_size=100)
    with pytest.raises(ValueError, match=message):
        TransformerShape(**{**base, **kwargs})


def test_bad_accounting_is_refused():
    with pytest.raises(ValueError, match="accounting"):
        flops_per_token(SWIGLU, "chinchilla")


def test_shares_sum_to_100():
    for model in OPT.values():
        for accounting in ("standard", "roller"):
            assert math.isclose(sum(shares(flops_per_token(model.shape, accounting)).values()), 100.0)


def test_other_fact_tables_load_and_agree_with_6nd():
    from lecture_utils.facts import (ERAS, load_chinchilla_table1, load_landscape_timeline,
                                     load_web_documents, load_wei_table1, source_note)
    from lecture_utils.references import REFERENCES

    wei = load_wei_table1()
    assert len(wei) == 22 and {r.kind for r in wei} == {"few-shot", "augmented"}
    gpt3_175b = [r for r in wei if r.model == "GPT-3" and r.params == 175e9]
    assert gpt3_175b and all(r.flops == pytest.approx(six_n_d(175e9, 300e9), rel=0.02) for r in gpt3_175b)
    chinchilla = {r.model: r for r in load_chinchilla_table1()}
    assert chinchilla["Chinchilla"].tokens / chinchilla["Chinchilla"].params == pytest.approx(20)
    timeline = load_landscape_timeline()
    assert {e.era for e in timeline} == set(ERAS) and all(e.reference in REFERENCES for e in timeline)
    docs = load_web_documents()
    assert len(docs) == 12 and len({d.url for d in docs}) == 12
    assert "arXiv:2005.14165" in source_note("gpt3_table_2_1.csv")
