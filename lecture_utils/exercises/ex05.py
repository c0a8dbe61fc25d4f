"""Checks for the 练习 of notebook 05 (byte tokenizer): bytes of combining marks, the attention-cost
factor of a corpus, `valid_prefix` for streaming output, and a learner's edited `ByteTokenizer` run
through the notebook's own checks.

Each check returns a `Verdict` (✅ or ❌ with a hint that does not give the answer away). Checks that
depend on the notebook's data take that data as arguments, so they follow the notebook's knobs.
"""
from __future__ import annotations

import math
from typing import Any

from . import Verdict, check_function, check_value, unanswered

__all__ = ["check_combining_bytes", "check_attention_cost", "check_valid_prefix", "check_tokenizer",
           "reference_valid_prefix", "EXAMPLE_TEXT", "EXAMPLE_IDS", "BROKEN"]

EXAMPLE_TEXT = "Hello, 🌍! 你好!"
EXAMPLE_IDS = [72, 101, 108, 108, 111, 44, 32, 240, 159, 140, 141, 33, 32, 228, 189, 160, 229, 165, 189, 33]
BROKEN = [72, 240, 159]  # "H" + the first two bytes of 🌍
_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")


def _right(message: str = "") -> Verdict:
    return Verdict(True, "✅ 正确！" + message)


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


def check_combining_bytes(answer: Any) -> Verdict:
    """`answer` = (UTF-8 bytes of "é", UTF-8 bytes of "e\\u0301", whether the byte ids are the same)."""
    expected = (len("é".encode("utf-8")), len("e\u0301".encode("utf-8")),
                list("é".encode("utf-8")) == list("e\u0301".encode("utf-8")))
    return check_value(answer, expected,
                       hint="用 list(s.encode('utf-8')) 看两个字符串的字节；U+0301 本身在 UTF-8 里占几个字节？")


def check_attention_cost(answer: Any, text: str) -> Verdict:
    """`answer` = (bytes / characters)² for `text`: how much more attention the byte sequence costs."""
    if unanswered(answer):
        return _UNANSWERED
    if not isinstance(text, str) or not text:
        return _wrong("text 应该是一段非空的文本（例如 corpus['all']）。")
    return check_value(answer, (len(text.encode("utf-8")) / len(text)) ** 2, rel_tol=1e-3,
                       hint="代价倍数 = (字节序列长度 / 字符序列长度)²；别忘了平方。")


def reference_valid_prefix(ids: list[int]) -> list[int]:
    """The longest prefix of `ids` (bytes 0..255) that is complete, valid UTF-8: `[72, 240, 159] -> [72]`."""
    data = bytes(ids)
    for end in range(len(data), -1, -1):
        try:
            data[:end].decode("utf-8")
            return list(data[:end])
        except UnicodeDecodeError:
            continue
    return []


_PREFIX_CASES = (
    BROKEN, EXAMPLE_IDS, [], [240, 159, 140, 141], [240, 159, 140], [228, 189, 160, 229, 165],
    [140, 72], [72, 140, 72], [0xFF, 72], [104, 105], [0xC3, 0xA9, 0x65, 0xCC], [0xC3],
)


def check_valid_prefix(fn: Any) -> Verdict:
    """`fn(ids)` returns the longest prefix of `ids` that decodes as complete UTF-8 (a list of ints)."""
    cases = [((list(ids),), reference_valid_prefix(list(ids))) for ids in _PREFIX_CASES]
    return check_function(fn, cases, same=lambda got, expected: isinstance(got, list) and list(got) == expected,
                          hint="从最长的前缀往短里试 bytes(前缀).decode('utf-8')；要返回 id 列表，空列表也是合法前缀。"
                               " 注意：非法字节在中间时，前缀就停在它前面。")


def check_tokenizer(cls: Any) -> Verdict:
    """The notebook's own checks, run on a ByteTokenizer class (the package's or a learner's edited copy)."""
    if unanswered(cls):
        return _UNANSWERED
    try:
        tok = cls()
        ids = tok.encode(EXAMPLE_TEXT)
        if list(ids) != EXAMPLE_IDS:
            return _wrong(f"例子字符串编码成了 {list(ids)}，和讲座的 20 个 id 不同。", "encode 是 text.encode('utf-8') 的每个字节。")
        for text in [EXAMPLE_TEXT, "", "a", "🌍", "e\u0301", "第一行\n第二行\t!", "\x00\U0010ffff"]:
            ids = tok.encode(text)
            if tok.decode(ids) != text or not all(0 <= i < 256 for i in ids):
                return _wrong(f"{text!r} 往返失败，或 id 超出了 0..255。")
            if text and not math.isclose(len(text.encode("utf-8")) / len(ids), 1.0):
                return _wrong(f"{text!r} 的压缩率不是 1.0。", "一个字节一个词元。")
        if getattr(tok, "vocab_size", None) != 256:
            return _wrong(f"vocab_size 是 {getattr(tok, 'vocab_size', None)!r}，应是 256。")
    except Exception as err:  # the learner's bug: report it, keep the notebook running
        return _wrong(f"运行时抛出了 {type(err).__name__}: {err}。")
    try:
        shown = tok.decode(BROKEN)
    except ValueError:  # a strict decoder (UnicodeDecodeError is a ValueError) is fine too
        pass
    except Exception as err:
        return _wrong(f"decode({BROKEN}) 抛出的是 {type(err).__name__}，应是 ValueError 或替换成 �。")
    else:
        if shown != "H\ufffd":
            return _wrong(f"decode({BROKEN}) 得到 {shown!r}：不完整的字节应替换成 � 或报错。")
    return _right(" 这个 ByteTokenizer 通过了本笔记本的检查。")
