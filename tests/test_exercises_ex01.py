"""Notebook 01's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
import math
from dataclasses import replace

import numpy as np
import pytest

from lecture_utils import flops
from lecture_utils.exercises import ex01
from lecture_utils.facts import load_opt_sizes

ROLLER_ATTN, MATMUL_ATTN = 23.17, 36.29   # d_model 1024, 24 layers, s = 4096 (recomputed below)


def shares(shape, accounting):
    return flops.shares(flops.training_flops(shape, 1.0, accounting))


def test_the_expected_numbers_are_what_flops_computes():
    shape = ex01.explore_shape(1024, 24, 4096)
    assert round(shares(shape, "roller")["attn_scores"], 2) == ROLLER_ATTN
    assert round(shares(shape, ex01.MATMUL)["attn_scores"], 2) == MATMUL_ATTN
    assert ex01.MATMUL in flops.TRAINING_MULTIPLIER and ex01.MATMUL != "roller"


# --- exercise 1 ---

@pytest.mark.parametrize("roller, matmul", [(ROLLER_ATTN, MATMUL_ATTN), (23.2, 36.3), (23.1, 36.4)])
def test_attn_share_right(roller, matmul):
    assert ex01.check_attn_share(roller, matmul).ok


@pytest.mark.parametrize("roller, matmul, hint", [
    (MATMUL_ATTN, ROLLER_ATTN, "顺序反了"),
    (0.2317, 0.3629, "百分数"),
    (23.2, 30.0, "矩阵乘记账"),
    (20.0, 36.3, "Roller 记账"),
    ("23%", 36.3, "一个数"),
])
def test_attn_share_wrong(roller, matmul, hint):
    verdict = ex01.check_attn_share(roller, matmul)
    assert not verdict.ok and hint in verdict.message
    assert "36.29" not in verdict.message and "23.17" not in verdict.message


def test_attn_share_unanswered():
    assert "还没有作答" in ex01.check_attn_share(..., ...).message


# --- exercise 2 ---

def roller_ratio(h, s):
    return (2 * h * h + 8 * s * h) / (16 * h * h)


def roller_ratio_simplified(h, s):
    return 1 / 8 + s / (2 * h)


def roller_ratio_training(h, s):  # with the ×4 on both sides: same ratio
    return 4 * (2 * h**2 + 8 * s * h) / (4 * 16 * h**2)


@pytest.mark.parametrize("fn", [roller_ratio, roller_ratio_simplified, roller_ratio_training])
def test_mha_over_ffn_right(fn):
    verdict = ex01.check_mha_over_ffn(0.5, fn)
    assert verdict.ok, verdict.message
    assert ex01.check_mha_over_ffn(1 / 2, fn).ok


@pytest.mark.parametrize("ratio, fn", [
    (2, roller_ratio),                                       # FFN : MHA instead of MHA : FFN
    (0.5, lambda h, s: 8 * h * h / (16 * h * h)),            # forgets the 8sh term
    (0.5, lambda h, s: (2 * h * h + 4 * s * h) / (16 * h * h)),  # the attn column's 4sh
    (0.5, lambda h, s: (2 * h * h + 8 * s * h) / (16 * h * h + 4 * s * h)),
    (0.5, "1/8 + s/2h"),
])
def test_mha_over_ffn_wrong(ratio, fn):
    verdict = ex01.check_mha_over_ffn(ratio, fn)
    assert not verdict.ok and "提示" in verdict.message


# --- exercise 3 ---

def test_logit_share_right():
    opt = load_opt_sizes()
    got = [shares(replace(opt[n].shape, vocab_size=256_000), "roller")["logits"] for n in ("760m", "175b")]
    assert ex01.check_logit_share(*got).ok
    assert ex01.check_logit_share(round(got[0], 1), round(got[1], 1)).ok


@pytest.mark.parametrize("a, b", [(5.7, 0.3), (23.5, 0.3), (0.2345, 0.016), (30.0, 1.6)])
def test_logit_share_wrong(a, b):
    verdict = ex01.check_logit_share(a, b)
    assert not verdict.ok


# --- exercise 4 ---

@pytest.mark.parametrize("fn", [
    lambda p, L: L * np.log(p),
    lambda p, L: np.log(np.power(p, L)),
    lambda p, L: L * np.log(np.asarray(p, dtype=float)),
])
def test_log_likelihood_right(fn):
    verdict = ex01.check_log_likelihood(fn)
    assert verdict.ok, verdict.message


def test_log_likelihood_math_log_on_floats_fails_on_arrays_with_a_clear_message():
    verdict = ex01.check_log_likelihood(lambda p, L: L * math.log(p))
    assert not verdict.ok and "TypeError" in verdict.message


@pytest.mark.parametrize("fn, hint", [
    (lambda p, L: p ** L, "精确匹配率"),
    (lambda p, L: L * np.log10(p), "自然对数"),
    (lambda p, L: np.log(p), "提示"),
    (lambda p, L: -L * np.log(p), "提示"),
])
def test_log_likelihood_wrong(fn, hint):
    verdict = ex01.check_log_likelihood(fn)
    assert not verdict.ok and hint in verdict.message


# --- exercise 5 ---

def explore(d_model, context_length, n_layers=32):
    shape = ex01.explore_shape(d_model, n_layers, context_length)
    return {acc: round(shares(shape, acc)["attn_scores"], 1) for acc in ("roller", ex01.MATMUL)}


def test_explore_render_right():
    def render(d_model, context_length):
        pct = explore(d_model, context_length)
        return "<table>" + "".join(f"<tr><td>{k}</td><td>{v:.1f}</td></tr>" for k, v in pct.items()) + "</table>"

    assert ex01.check_explore_render(render).ok


@pytest.mark.parametrize("render, hint", [
    (lambda d_model, context_length: str(explore(d_model, 2048)), "找不到"),      # ignores the slider
    (lambda d_model, context_length: explore(d_model, context_length), "字符串"),  # returns a dict
    (lambda d, s: "", "抛出了 TypeError"),                                         # wrong parameter names
    (lambda d_model, context_length: str(explore(d_model, context_length, n_layers=24)), "找不到"),
    (None, "还没有作答"),
])
def test_explore_render_wrong(render, hint):
    verdict = ex01.check_explore_render(render)
    assert not verdict.ok and hint in verdict.message


# --- the editable flops_per_token ---

def test_flops_per_token_package_version_passes():
    verdict = ex01.check_flops_per_token(flops.flops_per_token)
    assert verdict.ok and "0.45" in verdict.message


def test_flops_per_token_edited_versions_are_caught():
    def no_sh_term(shape, accounting="standard", **kw):
        parts = flops.flops_per_token(shape, accounting, **kw)
        if accounting == "roller":
            parts["attn_proj"] = shape.n_layers * 8.0 * shape.d_model ** 2
            parts["total"] = sum(parts[p] for p in flops.PARTS)
        return parts

    def bad_total(shape, accounting="standard", **kw):
        parts = flops.flops_per_token(shape, accounting, **kw)
        parts["total"] *= 2
        return parts

    def kaplan_scores(shape, accounting="standard", **kw):  # still reproduces Roller, breaks nothing in 1 : 2
        parts = flops.flops_per_token(shape, accounting, **kw)
        if accounting != "roller":
            parts["attn_scores"] /= 2
            parts["total"] = sum(parts[p] for p in flops.PARTS)
        return parts

    def crashes(shape, accounting="standard", **kw):
        raise KeyError(accounting)

    assert "FLOPs/update" in ex01.check_flops_per_token(no_sh_term).message

    def moved_sh_term(shape, accounting="standard", **kw):  # same total, 8sh moved from MHA to attn
        parts = flops.flops_per_token(shape, accounting, **kw)
        if accounting == "roller":
            moved = shape.n_layers * 8.0 * shape.context_length * shape.d_model
            parts["attn_proj"] -= moved
            parts["attn_scores"] += moved
        return parts

    assert "超过 0.5" in ex01.check_flops_per_token(moved_sh_term).message
    assert "total" in ex01.check_flops_per_token(bad_total).message
    assert ex01.check_flops_per_token(kaplan_scores).ok
    assert "KeyError" in ex01.check_flops_per_token(crashes).message
