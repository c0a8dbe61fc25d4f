"""Checks for the 练习 of notebook 01 (scale): FLOPs shares under both accountings, the MHA:FFN
ratio, a larger vocabulary, the log-likelihood of an answer, the explorer widget's view, and a
learner's edited copy of `flops.flops_per_token`.

「Roller 记账」 is ``accounting="roller"``; 「矩阵乘记账」 is the package's other accounting
(``"standard"``): every matmul at 2 FLOPs per multiply-add, training = 3 × forward.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .. import flops
from . import Verdict, check_all, check_function, check_value, unanswered

__all__ = ["check_attn_share", "check_mha_over_ffn", "check_logit_share", "check_log_likelihood",
           "check_explore_render", "check_flops_per_token", "explore_shape", "MATMUL", "ROLLER"]

ROLLER = "roller"
MATMUL = next(k for k in flops.TRAINING_MULTIPLIER if k != ROLLER)  # 矩阵乘记账
_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


def explore_shape(d_model: int, n_layers: int, context_length: int, vocab_size: int = 50272):
    """The shape the notebook's `explore` builds: GELU FFN 4·d_model, d_head 128 (heads do not change FLOPs)."""
    return flops.TransformerShape(n_layers=n_layers, d_model=d_model, n_heads=max(1, d_model // 128),
                                  d_ff=4 * d_model, context_length=context_length, vocab_size=vocab_size)


def _share(shape, part: str, accounting: str) -> float:
    """Percent of training FLOPs spent in `part`."""
    return flops.shares(flops.training_flops(shape, 1.0, accounting))[part]


def _percent(answer: Any, expected: float, name: str) -> Verdict:
    hint = "占比用百分数（0–100），保留一位小数即可。"
    if isinstance(answer, (int, float)) and not isinstance(answer, bool) and 0 < answer < 1 < expected:
        hint = "看起来你给的是比例（0–1）：题目要的是百分数，乘以 100。"
    verdict = check_value(answer, expected, abs_tol=0.15, hint=hint)
    if verdict.ok or unanswered(answer):
        return verdict
    return Verdict(False, verdict.message.replace("还不对：", f"还不对（{name}）：", 1))


def check_attn_share(roller_pct: Any, matmul_pct: Any) -> Verdict:
    """Attention-score share of training FLOPs for d_model 1024, 24 layers, context 4096 (Roller, 矩阵乘)."""
    if unanswered(roller_pct) or unanswered(matmul_pct):
        return _UNANSWERED
    shape = explore_shape(1024, 24, 4096)
    roller, matmul = _share(shape, "attn_scores", ROLLER), _share(shape, "attn_scores", MATMUL)
    if (isinstance(roller_pct, (int, float)) and isinstance(matmul_pct, (int, float))
            and abs(roller_pct - matmul) <= 0.15 and abs(matmul_pct - roller) <= 0.15):
        return _wrong("两个数的顺序反了。", "先填 Roller 记账，再填矩阵乘记账。")
    return check_all([_percent(roller_pct, roller, "Roller 记账"), _percent(matmul_pct, matmul, "矩阵乘记账")])


def check_mha_over_ffn(matmul_ratio: Any, roller_ratio: Any) -> Verdict:
    """MHA:FFN FLOPs under 矩阵乘记账 (a number) and Roller 记账 (a function of h and s), FFN = 4h wide."""
    if unanswered(matmul_ratio) or unanswered(roller_ratio):
        return _UNANSWERED
    first = check_value(matmul_ratio, 0.5, rel_tol=1e-6,
                        hint="矩阵乘记账：投影 4 个 h×h 矩阵，FFN 2 个 h×4h 矩阵；比值与 h、s 都无关。")
    if not first.ok:
        return first
    cases = [((h, s), (2 * h * h + 8 * s * h) / (16 * h * h))
             for h, s in [(768, 2048), (1536, 2048), (12288, 2048), (4096, 32768), (1024, 1), (64, 64)]]
    return check_function(roller_ratio, cases,
                          same=lambda got, want: isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-6),
                          hint="Roller 的 MHA 列每层每词元是 2h² + 8sh，FFN 是 16h²；前向、反向的倍数两边相同，会约掉。",
                          right="矩阵乘记账恒为 1 : 2；Roller 的比值 1/8 + s/(2h) 随宽度 h 变大而下降。")


def check_logit_share(pct_760m: Any, pct_175b: Any, vocab_size: int = 256_000) -> Verdict:
    """Logits share of training FLOPs (Roller 记账, s = 2048) of OPT-760M and OPT-175B with a 256k vocabulary."""
    from ..facts import load_opt_sizes

    if unanswered(pct_760m) or unanswered(pct_175b):
        return _UNANSWERED
    opt = load_opt_sizes()
    expected = [_share(_with_vocab(opt[name].shape, vocab_size), "logits", ROLLER) for name in ("760m", "175b")]
    return check_all([_percent(pct_760m, expected[0], "OPT-760M"), _percent(pct_175b, expected[1], "OPT-175B")])


def _with_vocab(shape, vocab_size: int):
    from dataclasses import replace

    return replace(shape, vocab_size=vocab_size)


def _close_arrays(got: Any, want: Any) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(want) and bool(np.allclose(got, want, rtol=1e-9, atol=1e-12))


def check_log_likelihood(fn: Any) -> Verdict:
    """`fn(p, L)`: natural-log likelihood of an L-token answer with per-token accuracy p (floats or arrays)."""
    p = np.array([0.2, 0.5, 0.9, 0.99])
    cases = [((0.5, 1), math.log(0.5)), ((0.9, 10), 10 * math.log(0.9)), ((1.0, 30), 0.0),
             ((p, 3), 3 * np.log(p)), ((p, 1), np.log(p))]
    verdict = check_function(fn, cases, same=_close_arrays,
                             hint="每个词元独立时，整段答案的概率是 p 的 L 次方；取对数。",
                             right="对数似然 L·ln p 随 p 平滑变化，没有“突然跳起来”。")
    if verdict.ok or unanswered(fn) or not callable(fn):
        return verdict
    try:
        got = float(np.asarray(fn(0.5, 2), dtype=float))
    except Exception:  # noqa: BLE001 - already reported by check_function
        return verdict
    if math.isclose(got, 0.25, rel_tol=1e-6):
        return _wrong("这是精确匹配率 p^L，不是它的对数。", "对 p^L 取自然对数。")
    if math.isclose(got, 2 * math.log10(0.5), rel_tol=1e-6):
        return _wrong("用的是以 10 为底的对数。", "对数似然通常用自然对数：np.log。")
    return verdict


def check_explore_render(render: Any, n_layers: int = 32) -> Verdict:
    """`render(d_model, context_length)` returns HTML that shows the attention-score share (both accountings, .1f)."""
    if unanswered(render):
        return _UNANSWERED
    if not callable(render):
        return _wrong(f"需要一个函数，而你给的是 {type(render).__name__}。", "render(d_model, context_length) 返回 HTML 字符串。")
    for d_model, s in [(1024, 2048), (4096, 32768), (256, 512), (8192, 131072)]:
        try:
            page = render(d_model=d_model, context_length=s)
        except Exception as err:  # the learner's bug: say where, keep the notebook running
            return _wrong(f"render(d_model={d_model}, context_length={s}) 抛出了 {type(err).__name__}: {err}。",
                          "参数名要和滑块的名字一致：d_model 和 context_length。")
        if not isinstance(page, str):
            return _wrong(f"render 应返回 HTML 字符串，而它返回了 {type(page).__name__}。", "例如返回 DataFrame.to_html()。")
        shape = explore_shape(d_model, n_layers, s)
        for accounting, name in ((ROLLER, "Roller 记账"), (MATMUL, "矩阵乘记账")):
            if f"{_share(shape, 'attn_scores', accounting):.1f}" not in page:
                return _wrong(f"d_model={d_model}、context_length={s} 时，页面里找不到{name}的注意力分数占比。",
                              f"用 explore(d_model, {n_layers}, context_length) 的结果，占比保留一位小数。")
    return Verdict(True, "✅ 正确！4 组滑块位置的页面都对。")


def check_flops_per_token(fn: Callable = flops.flops_per_token) -> Verdict:
    """Rerun notebook 01's asserts on a (possibly edited) `flops_per_token`: Roller's table, 1 : 2, totals."""
    from ..facts import load_opt_sizes, load_roller_table

    if unanswered(fn):
        return _UNANSWERED
    sizes = load_opt_sizes()
    worst, where = 0.0, ""
    for row in load_roller_table():
        shape = sizes[row.opt_size].shape
        try:
            parts = {acc: fn(shape, acc) for acc in (ROLLER, MATMUL)}
        except Exception as err:  # the learner's bug: say where, keep the notebook running
            return _wrong(f"对 OPT-{row.opt_size} 抛出了 {type(err).__name__}: {err}。")
        for acc, forward in parts.items():
            if not math.isclose(forward["total"], sum(forward[p] for p in flops.PARTS), rel_tol=1e-9):
                return _wrong(f"OPT-{row.opt_size}（{acc}）的 'total' 不等于四个部分之和。")
        layer, logit = flops.TRAINING_MULTIPLIER[ROLLER]
        train = {p: parts[ROLLER][p] * (logit if p == "logits" else layer) for p in flops.PARTS}
        pct = flops.shares(train)
        for part in flops.PARTS:
            gap = abs(pct[part] - row.pcts[part])
            if gap > worst:
                worst, where = gap, f"{row.description} 的 {part}"
        per_update = sum(train.values()) * sizes[row.opt_size].batch_tokens
        if f"{per_update:.1e}" != f"{row.flops_per_update:.1e}":
            return _wrong(f"Roller 记账下 {row.description} 的 FLOPs/update 是 {per_update:.2e}，推文是 {row.flops_per_update:.1e}。")
        ratio = parts[MATMUL]["attn_proj"] / parts[MATMUL]["ffn"]
        if not math.isclose(ratio, 0.5, rel_tol=1e-9):
            return _wrong(f"矩阵乘记账下 {row.description} 的投影 : FFN = {ratio:.3f}，不是 1 : 2。")
    if worst > 0.5:
        return _wrong(f"Roller 记账与推文最大偏差 {worst:.2f} 个百分点（{where}），超过 0.5。",
                      "推文的表是 Roller 记账重建出来的：MHA 列 2h² + 8sh，FFN 16h²，attn 4sh。")
    return Verdict(True, f"✅ 正确！Roller 记账八行都在 0.5 个百分点以内（最大偏差 {worst:.2f}），"
                         "矩阵乘记账投影 : FFN 恒为 1 : 2。")
