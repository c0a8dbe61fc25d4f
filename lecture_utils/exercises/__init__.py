"""Self-checks for the notebooks' 练习: the learner passes a value or a function, the check answers in Chinese.

One module per notebook (`ex00` … `ex09`) holds that notebook's checks; this module holds the shared
machinery. A check never raises on a wrong answer: it returns a `Verdict` that the notebook shows.

    >>> from lecture_utils.exercises import check_value
    >>> check_value(20 / 12, 1.667, rel_tol=1e-3, hint="压缩率 = 字节数 / 词元数")
    ✅ 正确！

An answer left as `...` (Ellipsis) or `None` is reported as not yet answered, so an exercise cell
that the learner has not touched still runs cleanly under nbval.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

__all__ = ["Verdict", "unanswered", "check_value", "check_function", "check_all", "compare"]

_UNANSWERED = "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: `ok`, and a message in Chinese (with a hint when `ok` is False)."""

    ok: bool
    message: str

    def __repr__(self) -> str:  # what a notebook cell shows
        return self.message

    def __bool__(self) -> bool:
        return self.ok


def _right(message: str = "") -> Verdict:
    return Verdict(True, "✅ 正确！" + (f"{message}" if message else ""))


def _wrong(message: str, hint: str = "") -> Verdict:
    text = f"❌ 还不对：{message}"
    if hint:
        text += f"\n💡 提示：{hint}"
    return Verdict(False, text)


def unanswered(answer: Any) -> bool:
    """True for the placeholders an exercise cell starts with (`...` or `None`)."""
    return answer is ... or answer is None


def compare(got: Any, expected: Any, *, rel_tol: float = 0.0, abs_tol: float = 0.0) -> bool:
    """Equality that treats numbers with tolerances and walks lists, tuples and dicts."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if math.isnan(expected):
            return isinstance(got, float) and math.isnan(got)
        return math.isclose(got, expected, rel_tol=rel_tol, abs_tol=abs_tol) or got == expected
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(compare(got[k], expected[k], rel_tol=rel_tol, abs_tol=abs_tol) for k in expected))
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(compare(g, e, rel_tol=rel_tol, abs_tol=abs_tol) for g, e in zip(got, expected)))
    try:
        return bool(got == expected)
    except Exception:  # e.g. tensors: the caller should compare those itself
        return False


def check_value(answer: Any, expected: Any, *, rel_tol: float = 0.0, abs_tol: float = 0.0,
                hint: str = "", right: str = "") -> Verdict:
    """Is `answer` equal to `expected` (numbers within `rel_tol`/`abs_tol`)? Never reveals `expected`."""
    if unanswered(answer):
        return Verdict(False, _UNANSWERED)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            return _wrong(f"答案应该是一个数，而你给的是 {type(answer).__name__}。", hint)
        if not math.isfinite(answer) and math.isfinite(expected):
            return _wrong(f"{answer} 不是一个有限的数。", hint)
        if compare(answer, expected, rel_tol=rel_tol, abs_tol=abs_tol):
            return _right(right)
        direction = "偏大" if answer > expected else "偏小"
        return _wrong(f"{answer:.4g} {direction}了。", hint)
    if compare(answer, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return _right(right)
    return _wrong(f"{_short(answer)} 不是期望的结果。", hint)


def check_function(fn: Any, cases: Sequence[tuple[tuple, Any]], *, hint: str = "", right: str = "",
                   same: Callable[[Any, Any], bool] | None = None) -> Verdict:
    """Call the learner's `fn(*args)` on every `(args, expected)` case; report the first that fails.

    `same(got, expected)` decides equality (default: `compare`). The failing input is shown, the
    expected output is not, so the hint does not give the answer away.
    """
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    if not callable(fn):
        return _wrong(f"需要一个函数（或类），而你给的是 {type(fn).__name__}。", hint)
    same = same or compare
    for i, (args, expected) in enumerate(cases, 1):
        shown = ", ".join(_short(a) for a in args)
        try:
            got = fn(*args)
        except Exception as err:  # the learner's bug: say where, keep the notebook running
            last = traceback.extract_tb(err.__traceback__)[-1]
            return _wrong(f"第 {i} 个测试用例 `({shown})` 抛出了 {type(err).__name__}: {err}"
                          f"（第 {last.lineno} 行）。", hint)
        if not same(got, expected):
            return _wrong(f"第 {i} 个测试用例 `({shown})` 得到 {_short(got)}，不对。", hint)
    return _right(right or f"{len(cases)} 个测试用例全部通过。")


def check_all(verdicts: Iterable[Verdict]) -> Verdict:
    """Combine several verdicts: right only if all are; otherwise the first wrong one."""
    verdicts = list(verdicts)
    for v in verdicts:
        if not v.ok:
            return v
    return _right()


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
