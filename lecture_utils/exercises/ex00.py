"""Checks for the 练习 of notebook 00 (overview): a traced running maximum, a cluster-time estimate,
the references from 2024 on.

Each check returns a `Verdict` (✅ or ❌ with a hint that does not give the answer away).
"""
from __future__ import annotations

from typing import Any, Iterable

from . import Verdict, check_all, check_value, unanswered

__all__ = ["check_running_max", "check_cluster_time", "check_recent_references",
           "training_hours", "GPT3_FLOPS", "H100_BF16_DENSE"]

GPT3_FLOPS = 3.1e23  # GPT-3 175B training compute (Wei et al. 2022, Table 1)
H100_BF16_DENSE = 989e12  # FLOP/s per H100 SXM, BF16 dense (NVIDIA datasheet; 1979 is the 2:4-sparse figure)

_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")
_MAX_CASES = ([3, 1, 4, 1, 5, 9, 2, 6], [7], [5, 4, 3], [1, 2, 3], [-2, -5, -1], [2, 2, 2])


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


def _running_maxima(xs: list) -> list:
    """The distinct successive values of a running maximum: [3, 1, 4, 1, 5] -> [3, 4, 5]."""
    out = [xs[0]]
    for x in xs[1:]:
        if x > out[-1]:
            out.append(x)
    return out


def check_running_max(fn: Any) -> Verdict:
    """`fn(xs)` returns max(xs) and marks `best` with `# @inspect best`; its traced history is the running max."""
    from ..trace import trace_calls

    if unanswered(fn):
        return _UNANSWERED
    if not callable(fn) or not hasattr(fn, "__code__"):
        return _wrong(f"需要一个用 def 定义的普通函数，而你给的是 {type(fn).__name__}。",
                      "像讲座的 total_of 那样写一个 def 函数。")
    for xs in _MAX_CASES:
        try:
            trace = trace_calls(fn, list(xs))
        except ValueError:
            return _wrong("读不到函数的源代码，找不到 `# @inspect best`。", "请在笔记本的代码格里用 def 定义这个函数。")
        except Exception as err:  # the learner's bug: say where, keep the notebook running
            return _wrong(f"对输入 {xs} 运行时抛出了 {type(err).__name__}: {err}。",
                          "循环开始前先让 best = xs[0]。")
        if "best" not in trace.names:
            return _wrong("没有被跟踪的变量 best。", "在给 best 赋初值的那一行末尾写注释 `# @inspect best`。")
        if trace.result != max(xs):
            return _wrong(f"对输入 {xs}，函数返回了 {trace.result!r}，不是最大值。", "函数最后要 return best。")
        history = trace.history("best")
        if history and history[0] is None:  # `best = None` first is fine too
            history = history[1:]
        if history != _running_maxima(xs):
            return _wrong(f"对输入 {xs}，best 依次取过的值是 {history}，不对。",
                          "best 的初值是 xs[0]，之后只在遇到更大的数时才更新。")
    return Verdict(True, f"✅ 正确！{len(_MAX_CASES)} 个输入（含只有一个数、递减、有负数、全相等）都对。")


def training_hours(flops: float, n_gpus: int, peak_flops_per_gpu: float, mfu: float) -> float:
    """Wall-clock hours to spend `flops` on `n_gpus` GPUs running at `mfu` of their peak."""
    return flops / (n_gpus * peak_flops_per_gpu * mfu) / 3600


def _estimate(answer: Any, expected: float, unit: str) -> Verdict:
    hint = "时间 = 总 FLOPs ÷（GPU 数 × 每张峰值 FLOP/s × MFU），得到的是秒。"
    if not unanswered(answer) and isinstance(answer, (int, float)) and not isinstance(answer, bool) and answer > 0:
        ratio = answer / expected
        units = {"小时": ((60, "分钟"), (3600, "秒"), (1 / 24, "天")),
                 "天": ((24, "小时"), (1440, "分钟"), (86400, "秒"))}[unit]
        for factor, why in units:
            if abs(ratio / factor - 1) < 0.03:
                hint = f"单位不对：你给的像是以{why}为单位，题目要的是{unit}。"
        if abs(ratio * 2 - 1) < 0.03:
            hint = "差了一半：峰值要用稠密的 989 TFLOP/s，不是 2:4 稀疏的 1979。"
        if abs(ratio / 2 - 1) < 0.03:
            hint = "差了一倍：MFU 是 20%，即 0.2。"
    return check_value(answer, expected, rel_tol=0.03, hint=hint)


def check_cluster_time(hours_on_200k: Any, days_on_1000: Any) -> Verdict:
    """GPT-3 (3.1e23 FLOPs) at 20% MFU: hours on 200,000 H100s, days on 1,000 H100s (±3%)."""
    if unanswered(hours_on_200k) or unanswered(days_on_1000):
        return _UNANSWERED
    return check_all([
        _estimate(hours_on_200k, training_hours(GPT3_FLOPS, 200_000, H100_BF16_DENSE, 0.2), "小时"),
        _estimate(days_on_1000, training_hours(GPT3_FLOPS, 1_000, H100_BF16_DENSE, 0.2) / 24, "天"),
    ])


def _keys(answer: Iterable) -> list[str]:
    """Reference keys from a list of keys or of `Reference` records."""
    return [getattr(item, "key", item) for item in answer]


def check_recent_references(answer: Any) -> Verdict:
    """The keys of every entry of `REFERENCES` whose `year` is 2024 or later (any order; Reference objects ok)."""
    from ..references import REFERENCES

    if unanswered(answer):
        return _UNANSWERED
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return _wrong(f"需要一组条目的键（list 或 set），而你给的是 {type(answer).__name__}。",
                      "遍历 REFERENCES.items()，收集满足条件的键。")
    got = set(_keys(answer))
    expected = {key for key, ref in REFERENCES.items() if ref.year >= 2024}
    unknown = sorted(k for k in got if k not in REFERENCES)
    if unknown:
        return _wrong(f"{unknown[:3]} 不是 REFERENCES 里的键。", "用 REFERENCES 的键（如 'gpt3'），而不是标题。")
    extra = sorted(got - expected)
    if extra:
        return _wrong(f"多了 {len(extra)} 条，例如 {extra[0]!r}（{REFERENCES[extra[0]].year} 年）。",
                      "按每条记录的 year 字段筛选。")
    missing = expected - got
    if missing:
        only_2024 = all(REFERENCES[k].year == 2024 for k in missing)
        return _wrong(f"少了 {len(missing)} 条。",
                      "题目说的是 2024 年及以后：2024 年本身也算。" if only_2024 else "按每条记录的 year 字段筛选。")
    return Verdict(True, f"✅ 正确！共 {len(expected)} 条。")
