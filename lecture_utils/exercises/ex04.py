"""Checks for the 练习 of notebook 04 (character tokenizer): combining marks, the ratio of a text with
emoji, a `SeenCharacterTokenizer` with UNK, the vocabulary-size / UNK-rate curve, and a learner's
edited `CharacterTokenizer` run through the notebook's own checks.

Each check returns a `Verdict` (✅ or ❌ with a hint that does not give the answer away). Checks that
depend on the notebook's data take that data as arguments, so they follow the notebook's knobs.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable

from . import Verdict, check_value, unanswered

__all__ = ["check_combining", "check_char_ratio", "check_seen_tokenizer", "check_seen_answers",
           "check_unk_curve", "check_tokenizer", "seen_vocab", "UNK", "EXAMPLE_TEXT", "EXAMPLE_IDS"]

UNK = "<|unk|>"  # what SeenCharacterTokenizer.decode writes for the UNK id (as WordTokenizer in 06)
EXAMPLE_TEXT = "Hello, 🌍! 你好!"
EXAMPLE_IDS = [72, 101, 108, 108, 111, 44, 32, 127757, 33, 32, 20320, 22909, 33]  # the lecture's trace
_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")


def _right(message: str = "") -> Verdict:
    return Verdict(True, "✅ 正确！" + message)


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


def check_combining(answer: Any) -> Verdict:
    """`answer` = (ids of "é", ids of "e\\u0301") under the character tokenizer."""
    return check_value(answer, (len("é"), len("e\u0301")),
                       hint="字符分词器给每个码点一个 id：数一数每个字符串里有几个码点（len 或 [hex(ord(c)) for c in s]）。")


def check_char_ratio(text: Any, answer: Any) -> Verdict:
    """`answer` = the character tokenizer's compression ratio on `text` (UTF-8 bytes / code points)."""
    if unanswered(text) or unanswered(answer):
        return _UNANSWERED
    if not isinstance(text, str) or not text:
        return _wrong("text 应该是一段非空的文本。")
    return check_value(answer, len(text.encode("utf-8")) / len(text), rel_tol=1e-3,
                       hint="压缩率 = UTF-8 字节数 / 词元数；字符分词器的词元数就是字符数。")


def seen_vocab(corpus: str, min_count: int = 1) -> list[str]:
    """Characters seen at least `min_count` times, most frequent first (ties: first seen first)."""
    counts = Counter(corpus)  # Counter keeps first-seen order; sorted() is stable
    return [ch for ch, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n >= min_count]


# (corpus, text, expected ids): id 0 is UNK, then the corpus's characters by falling frequency
_SEEN_CASES = (
    ("abracadabra", "bad!", [2, 1, 5, 0]),          # a:5, b:2, r:2, c:1, d:1 (ties by first sight)
    ("abracadabra", "", []),                       # empty input: no ids
    ("🌍🌍a你", "a🌍你好", [2, 1, 3, 0]),              # emoji and Chinese are ordinary characters here
    ("Hello", "Hello, 🌍! 你好!", [2, 3, 1, 1, 4] + [0] * 8),  # l:2 first, then H, e, o
)


def check_seen_tokenizer(cls: Any) -> Verdict:
    """`cls(corpus)` gives ids 1.. to the corpus's characters by falling frequency, 0 (UNK) to the rest."""
    if unanswered(cls):
        return _UNANSWERED
    if not callable(cls):
        return _wrong(f"需要一个类 SeenCharacterTokenizer，而你给的是 {type(cls).__name__}。")
    for corpus, text, expected in _SEEN_CASES:
        try:
            tok = cls(corpus)
            ids = tok.encode(text)
            decoded = tok.decode(ids)
            size = tok.vocab_size
        except Exception as err:  # the learner's bug: report it, keep the notebook running
            return _wrong(f"在语料 {corpus!r} 上编码 {text!r} 时抛出了 {type(err).__name__}: {err}。")
        if list(ids) != expected:
            return _wrong(f"在语料 {corpus!r} 上，{text!r} 编码成了 {list(ids)}，不对。",
                          "id 0 留给 UNK；其余按出现次数从多到少编号，次数相同的按首次出现的先后。")
        want = "".join(ch if ch in corpus else UNK for ch in text)
        if decoded != want:
            return _wrong(f"在语料 {corpus!r} 上，解码 {list(ids)} 得到 {decoded!r}，不对。",
                          f"UNK（id 0）解码成标记 {UNK!r}，其余 id 解码回原来的字符。")
        if size != len(set(corpus)) + 1:
            return _wrong(f"在语料 {corpus!r} 上，vocab_size 是 {size!r}，不对。", "词表大小要算上 UNK。")
    return _right(f"{len(_SEEN_CASES)} 个用例全部通过（含空输入、emoji 和没见过的字符）。")


def check_seen_answers(answer: Any, corpus: str, text: str) -> Verdict:
    """`answer` = (vocab_size of a SeenCharacterTokenizer trained on `corpus`, whether `text` round-trips)."""
    if unanswered(answer):
        return _UNANSWERED
    expected = (len(set(corpus)) + 1, set(text) <= set(corpus))
    if not isinstance(answer, tuple) or len(answer) != 2:
        return _wrong("答案应该是 (词表大小, 能否往返) 两个值，例如 (100, True)。")
    if answer[0] != expected[0]:
        return _wrong(f"词表大小 {answer[0]!r} 不对。", "语料里不同字符的个数，再加上 UNK。")
    if answer[1] is not expected[1]:
        return _wrong(f"{answer[1]!r} 不对。", "看看例子字符串里的每个字符是否都在语料里出现过：一个 UNK 就无法往返。")
    return _right()


def check_unk_curve(answer: Any, train_text: str, val_text: str, min_counts: Iterable[int]) -> Verdict:
    """`answer` = {min_count: (vocab_size with UNK, UNK rate on val_text)} for characters kept when seen ≥ min_count times."""
    if unanswered(answer):
        return _UNANSWERED
    min_counts = list(min_counts)
    if not isinstance(answer, dict) or set(answer) != set(min_counts):
        return _wrong(f"答案应该是一个字典，键正好是 {min_counts}。")
    if not val_text:
        return _wrong("验证集为空，UNK 比例没有定义。")
    for mc in min_counts:
        kept = set(seen_vocab(train_text, mc))
        expected = (len(kept) + 1, sum(ch not in kept for ch in val_text) / len(val_text))
        got = answer[mc]
        if not isinstance(got, tuple) or len(got) != 2:
            return _wrong(f"min_count={mc} 的答案应该是 (词表大小, UNK 比例) 两个数。")
        if got[0] != expected[0]:
            return _wrong(f"min_count={mc} 时的词表大小 {got[0]!r} 不对。",
                          "只留出现次数 ≥ min_count 的字符（在训练集上数），再加上 UNK。")
        if not isinstance(got[1], (int, float)) or not math.isclose(got[1], expected[1], rel_tol=1e-3, abs_tol=1e-9):
            return _wrong(f"min_count={mc} 时的 UNK 比例 {got[1]!r} 不对。",
                          "UNK 比例 = 验证集里不在词表中的字符数 / 验证集字符数。")
    return _right(" 词表越小，UNK 越多。")


def check_tokenizer(cls: Any) -> Verdict:
    """The notebook's own checks, run on a CharacterTokenizer class (the package's or a learner's edited copy)."""
    if unanswered(cls):
        return _UNANSWERED
    try:
        tok = cls()
        if tok.encode(EXAMPLE_TEXT) != EXAMPLE_IDS:
            return _wrong(f"例子字符串编码成了 {tok.encode(EXAMPLE_TEXT)}，和讲座的 13 个 id 不同。", "encode 是每个字符的 ord。")
        for text in [EXAMPLE_TEXT, "", "a", "🌍", "e\u0301", "第一行\n第二行\t!", "\U0010ffff\x00"]:
            if tok.decode(tok.encode(text)) != text:
                return _wrong(f"{text!r} 往返失败。", "decode 是每个 id 的 chr，再拼起来。")
            if text and not math.isclose(len(text.encode("utf-8")) / len(tok.encode(text)),
                                         len(text.encode("utf-8")) / len(text)):
                return _wrong(f"{text!r} 的词元数不等于字符数。")
        if getattr(tok, "vocab_size", None) != 0x110000:
            return _wrong(f"vocab_size 是 {getattr(tok, 'vocab_size', None)!r}。", "整个码点空间 0..0x10FFFF 共 1,114,112 个。")
    except Exception as err:  # the learner's bug: report it, keep the notebook running
        return _wrong(f"运行时抛出了 {type(err).__name__}: {err}。")
    for bad in ([0x110000], [-1]):
        try:
            tok.decode(bad)
        except (ValueError, OverflowError):
            continue
        except Exception as err:
            return _wrong(f"decode({bad}) 抛出的是 {type(err).__name__}，应是一个说明原因的 ValueError。")
        return _wrong(f"decode({bad}) 没有报错：这个 id 不是码点。")
    return _right(" 这个 CharacterTokenizer 通过了本笔记本的检查。")
