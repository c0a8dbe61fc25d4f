"""Checks for the 练习 of notebook 02 (course components): a compute-optimal model for a smaller
cluster, the arithmetic intensity of one decode step, Jaccard similarity against shingle length,
and an `[INST] … [/INST]` chat template with its preference rendering.

Each check returns a `Verdict` (✅ or ❌ with a hint that does not give the answer away).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .. import flops
from . import Verdict, check_all, check_value, unanswered

__all__ = ["check_compute_optimal", "check_decode_step", "check_shingle_jaccard", "check_inst_template",
           "compute_optimal", "LLAMA2_7B", "H100_BF16_DENSE", "TOMATO_PAIR"]

H100_BF16_DENSE = 989e12  # FLOP/s, NVIDIA H100 SXM datasheet (1979 is the 2:4-sparse figure)
LLAMA2_7B = flops.TransformerShape(n_layers=32, d_model=4096, n_heads=32, d_ff=11008, context_length=4096,
                                   vocab_size=32_000, ffn="swiglu")
TOMATO_PAIR = ("https://garden-notes.example/tomatoes", "https://recipes-copy.example/balcony-tomatoes")
_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def compute_optimal(n_gpus: int, days: float, mfu: float, peak: float = H100_BF16_DENSE) -> tuple[float, float]:
    """(N, D) with C = 6·N·D and D = 20·N for a cluster's compute budget: N = √(C / 120)."""
    budget = n_gpus * peak * mfu * days * 86_400
    n = math.sqrt(budget / 120)
    return n, 20 * n


def check_compute_optimal(n_params: Any, n_tokens: Any) -> Verdict:
    """Compute-optimal N and D (Chinchilla's D = 20·N) for 8 H100s, one week, MFU 30% (±2%)."""
    if unanswered(n_params) or unanswered(n_tokens):
        return _UNANSWERED
    n, d = compute_optimal(8, 7, 0.30)
    hint = "预算 C = GPU 数 × 稠密峰值 × MFU × 秒数；再由 C = 6·N·D、D = 20·N 解出 N = √(C/120)。"
    if _number(n_params) and _number(n_tokens) and n_params > 0 and n_tokens > 0:
        if math.isclose(n_params, d, rel_tol=0.02) and math.isclose(n_tokens, n, rel_tol=0.02):
            return _wrong("参数量和词元数填反了。", "D = 20·N：词元数是参数量的 20 倍。")
        if math.isclose(n_params, n * math.sqrt(2), rel_tol=0.02):
            hint = "偏大约 √2 倍：峰值要用稠密的 989 TFLOP/s，不是 2:4 稀疏的 1979。"
        elif math.isclose(n_params, n * math.sqrt(4 / 3), rel_tol=0.02):
            hint = "MFU 改成了 30%，不是 40%。"
        elif not math.isclose(n_tokens / n_params, 20, rel_tol=0.02):
            hint = "计算最优时 D = 20·N：先检查词元数是不是参数量的 20 倍。"
    return check_all([check_value(n_params, n, rel_tol=0.02, hint=hint),
                      check_value(n_tokens, d, rel_tol=0.02, hint=hint)])


def _decode_expected(prompt_len: int) -> tuple[float, float]:
    """Arithmetic intensity (FLOPs/byte) and KV-cache bytes of one decode step, batch 1, bf16."""
    weight_bytes = 2 * flops.param_count(LLAMA2_7B)
    kv_bytes = 2 * 2 * LLAMA2_7B.n_layers * LLAMA2_7B.d_model * prompt_len  # K and V, bf16
    step = flops.flops_per_token(LLAMA2_7B, seq_len=prompt_len + 1)["total"]
    return step / (weight_bytes + kv_bytes), float(kv_bytes)


def check_decode_step(fn: Any) -> Verdict:
    """`fn(prompt_len)` -> (arithmetic intensity, KV-cache bytes) for one decode step of Llama-2-7B (±1%)."""
    if unanswered(fn):
        return _UNANSWERED
    if not callable(fn):
        return _wrong(f"需要一个函数，而你给的是 {type(fn).__name__}。", "def decode_step(prompt_len): ... return intensity, kv_bytes")
    for prompt_len in (128, 8192, 1024, 1):
        try:
            got = fn(prompt_len)
        except Exception as err:  # the learner's bug: say where, keep the notebook running
            return _wrong(f"decode_step({prompt_len}) 抛出了 {type(err).__name__}: {err}。")
        if not (isinstance(got, (tuple, list)) and len(got) == 2 and all(map(_number, got))):
            return _wrong(f"decode_step({prompt_len}) 应返回两个数 (算术强度, KV 缓存字节数)，而它返回了 {got!r:.60}。")
        intensity, kv = _decode_expected(prompt_len)
        if not math.isclose(got[1], kv, rel_tol=0.01):
            hint = ("单位是字节，不是 GB。" if math.isclose(got[1] * 1e9, kv, rel_tol=0.01)
                    else "每个词元每层存 K 和 V 两个 d_model 维向量，bf16 每个数 2 字节。")
            return _wrong(f"提示词 {prompt_len} 个词元时，KV 缓存字节数不对。", hint)
        if not math.isclose(got[0], intensity, rel_tol=0.01):
            return _wrong(f"提示词 {prompt_len} 个词元时，算术强度不对。",
                          "分子是解码一步的 FLOPs（新词元要看 prompt_len + 1 个键），分母是权重字节 + KV 缓存字节。")
    return Verdict(True, "✅ 正确！提示词 1、128、1024、8192 个词元都对。")


def _jaccard(a_text: str, b_text: str, n: int) -> float:
    def shingles(text: str) -> set[str]:
        t = " ".join(text.lower().split())
        return {t[i:i + n] for i in range(len(t) - n + 1)}

    a, b = shingles(a_text), shingles(b_text)
    return len(a & b) / len(a | b)


def check_shingle_jaccard(jaccard_by_n: Any) -> Verdict:
    """True Jaccard similarity of the two tomato articles for shingle lengths 3, 5 and 9 (±0.01)."""
    from ..facts import load_web_documents

    if unanswered(jaccard_by_n):
        return _UNANSWERED
    if not isinstance(jaccard_by_n, dict) or set(jaccard_by_n) != {3, 5, 9}:
        return _wrong("需要一个字典，键正好是 3、5、9（shingle 长度）。", "例如 {3: ..., 5: ..., 9: ...}")
    texts = {d.url: d.text for d in load_web_documents()}
    a, b = (texts[url] for url in TOMATO_PAIR)
    verdicts = []
    for n in (3, 5, 9):
        v = check_value(jaccard_by_n[n], _jaccard(a, b, n), abs_tol=0.01,
                        hint="真实 Jaccard = |A∩B| / |A∪B|，A、B 是两篇文档规范化后的字符 n-gram 集合。")
        verdicts.append(v if v.ok else Verdict(False, v.message.replace("还不对：", f"还不对（n = {n}）：", 1)))
    verdict = check_all(verdicts)
    if verdict.ok:
        return Verdict(True, "✅ 正确！shingle 越短，两篇文档共有的片段越多，相似度越高。")
    return verdict


@dataclass(frozen=True)
class _Turn:
    role: str
    content: str


@dataclass(frozen=True)
class _Preference:
    history: list
    response_a: str
    response_b: str
    chosen: str


_CHATS = [
    [_Turn("user", "1 + 1 等于几？"), _Turn("assistant", "等于 2。")],
    [_Turn("system", "你是一个乐于助人的助手。"), _Turn("user", "你好"), _Turn("assistant", "你好！"),
     _Turn("user", "讲个笑话"), _Turn("assistant", "从前有座山……")],
    [_Turn("user", "只有一句话")],
]
_PREFERENCES = [
    _Preference([_Turn("user", "怎样训练更好的模型？")], "用更多高质量数据。", "训练几步就够了。", "a"),
    _Preference([_Turn("system", "简短回答。"), _Turn("user", "天空是什么颜色？")], "绿色。", "蓝色。", "b"),
]


def _user_segments(text: str) -> list[str]:
    return re.findall(r"\[INST\](.*?)\[/INST\]", text, flags=re.S)


def _check_chat(render_inst: Any, turns: list) -> Verdict | None:
    """None if `render_inst(turns)` puts every user message inside [INST] … [/INST], in order."""
    try:
        text = render_inst(turns)
    except Exception as err:  # the learner's bug: say where, keep the notebook running
        return _wrong(f"render_inst 抛出了 {type(err).__name__}: {err}。", "turns 里的每一项有 .role 和 .content。")
    if not isinstance(text, str):
        return _wrong(f"render_inst 应返回字符串，而它返回了 {type(text).__name__}。")
    segments = _user_segments(text)
    for t in turns:
        if t.content not in text:
            return _wrong(f"输出里找不到 {t.role} 的消息 {t.content!r}。", "每一轮的内容都要出现在文本里。")
        inside = any(t.content in s for s in segments)
        if t.role == "user" and not inside:
            return _wrong(f"用户消息 {t.content!r} 没有被 [INST] … [/INST] 包住。")
        if t.role == "assistant" and inside:
            return _wrong(f"助手的回答 {t.content!r} 不应放在 [INST] … [/INST] 里面。", "助手的回答紧跟在 [/INST] 之后。")
    positions = [text.find(t.content) for t in turns]
    if positions != sorted(positions):
        return _wrong("各轮消息的先后顺序变了。", "按 turns 的顺序依次渲染。")
    return None


def check_inst_template(render_inst: Any, render_preference: Any) -> Verdict:
    """`render_inst(turns)` wraps user messages in [INST] … [/INST]; `render_preference(ex)` -> (chosen, rejected)."""
    if unanswered(render_inst) or unanswered(render_preference):
        return _UNANSWERED
    if not callable(render_inst) or not callable(render_preference):
        return _wrong("render_inst 和 render_preference 都应该是函数。")
    for turns in _CHATS:
        problem = _check_chat(render_inst, turns)
        if problem is not None:
            return problem
    for ex in _PREFERENCES:
        try:
            pair = render_preference(ex)
        except Exception as err:  # the learner's bug: say where, keep the notebook running
            return _wrong(f"render_preference 抛出了 {type(err).__name__}: {err}。",
                          "偏好样本有 .history、.response_a、.response_b、.chosen。")
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            return _wrong("render_preference 应返回两段文本：(被选中的, 被拒绝的)。")
        chosen, rejected = pair
        good, bad = (ex.response_a, ex.response_b) if ex.chosen == "a" else (ex.response_b, ex.response_a)
        if good not in chosen or bad in chosen:
            return _wrong(f"chosen = {ex.chosen!r} 时，第一段文本应该以被选中的回答结尾。", "看 ex.chosen 决定哪个回答是“被选中的”。")
        if bad not in rejected or good in rejected:
            return _wrong(f"chosen = {ex.chosen!r} 时，第二段文本应该是被拒绝的回答。")
        for text in pair:
            if any(t.content not in text for t in ex.history):
                return _wrong("两段文本都要包含完整的对话历史。", "先用 render_inst 渲染 history，再接上回答。")
            if not all(any(t.content in s for s in _user_segments(text)) for t in ex.history if t.role == "user"):
                return _wrong("对话历史里的用户消息也要用 [INST] … [/INST] 包住。")
    return Verdict(True, "✅ 正确！3 段对话和 2 条偏好样本（chosen 为 a 和 b）都渲染对了。")
