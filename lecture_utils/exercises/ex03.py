"""Checks for the 练习 of notebook 03 (tokenization): token counts of a name, a leading-space
counterexample, tokens per character, a streaming decoder, and which cl100k regex branch cuts a space.

Each check returns a `Verdict` (✅ or ❌ with a hint that does not give the answer away).
"""
from __future__ import annotations

import codecs
from functools import lru_cache
from typing import Any, Iterator

from . import Verdict, check_value, unanswered
from .ex06 import branch_at

__all__ = ["check_name_counts", "check_space_counterexample", "check_tokens_per_char",
           "check_stream_decoder", "check_cl100k_branches", "complete_prefix", "STREAM_CASES"]

ENCODINGS = ("gpt2", "cl100k_base", "o200k_base")
_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")

# (encoding, text) pairs the streaming decoder must handle: the running example, emoji alone (split
# inside its bytes by gpt2), Chinese, an emoji with a skin-tone modifier, a ZWJ flag, plain ASCII, empty.
STREAM_CASES = (("gpt2", "Hello, 🌍! 你好!"), ("gpt2", "🌍"), ("gpt2", "你好"), ("o200k_base", "Hello, 🌍! 你好!"),
                ("gpt2", "a👍🏽b🏳️‍🌈c"), ("cl100k_base", "分词器把文本切成词元。"), ("gpt2", "plain ascii"), ("gpt2", ""))


def _right(message: str = "") -> Verdict:
    return Verdict(True, "✅ 正确！" + message)


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


@lru_cache(maxsize=None)
def _enc(name: str):
    """The real encoding (loaded once: get_encoding re-verifies its files on every call)."""
    from ..encodings import get_encoding

    return get_encoding(name)


def check_name_counts(name: Any, counts: Any) -> Verdict:
    """`counts` = {"gpt2": n, "cl100k_base": n, "o200k_base": n}: how many tokens `name` takes in each."""
    if unanswered(name) or unanswered(counts):
        return _UNANSWERED
    if not isinstance(name, str) or not name.strip():
        return _wrong("name 应该是一个非空的字符串，比如你的中文名字。")
    if not isinstance(counts, dict) or set(counts) != set(ENCODINGS):
        return _wrong("counts 应该是一个字典，键正好是 'gpt2'、'cl100k_base'、'o200k_base' 三个。",
                      "例如 {'gpt2': 3, 'cl100k_base': 2, 'o200k_base': 1}（数字换成你数出来的）。")
    for enc_name in ENCODINGS:
        expected = len(_enc(enc_name).encode(name))
        if counts[enc_name] != expected:
            return _wrong(f"{enc_name} 的词元数 {counts[enc_name]!r} 不对。",
                          "数色块时别漏了只含半个汉字的红色 \\x.. 色块；也可以直接用 len(enc.encode(name))。")
    return _right(f"{name!r} 在 gpt2 / cl100k_base / o200k_base 里分别是 "
                  f"{counts['gpt2']} / {counts['cl100k_base']} / {counts['o200k_base']} 个词元。")



def check_space_counterexample(word: Any) -> Verdict:
    """`word` (English letters only) takes a different number of GPT-2 tokens than `" " + word`."""
    if unanswered(word):
        return _UNANSWERED
    if not isinstance(word, str) or not word.isascii() or not word.isalpha():
        return _wrong(f"{word!r} 不是一个只由英文字母组成的单词。", "去掉空格、数字和标点，只留字母。")
    gpt2 = _enc("gpt2")
    plain, spaced = len(gpt2.encode(word)), len(gpt2.encode(" " + word))
    if plain == spaced:
        return _wrong(f"{word!r} 和 {' ' + word!r} 都是 {plain} 个词元，一样多。",
                      "GPT-2 的词表里很多常见词只收了带前导空格的版本：试试比较常见、但不太短的词。")
    return _right(f"{word!r} 是 {plain} 个词元，{' ' + word!r} 是 {spaced} 个。")


def check_tokens_per_char(fn: Any) -> Verdict:
    """`fn(enc, text)` = len(enc.encode(text)) / len(text); raises ValueError for empty text."""
    if unanswered(fn):
        return _UNANSWERED
    if not callable(fn):
        return _wrong(f"需要一个函数 tokens_per_char(enc, text)，而你给的是 {type(fn).__name__}。")
    cases = [("gpt2", "你好"), ("o200k_base", "你好"), ("cl100k_base", "Hello, 🌍! 你好!"), ("gpt2", "a"),
             ("o200k_base", "语言模型读的不是文字，而是词元。"), ("gpt2", "🌍")]
    for enc_name, text in cases:
        enc = _enc(enc_name)
        expected = len(enc.encode(text)) / len(text)
        try:
            got = fn(enc, text)
        except Exception as err:  # the learner's bug: report it, keep the notebook running
            return _wrong(f"tokens_per_char({enc_name}, {text!r}) 抛出了 {type(err).__name__}: {err}。")
        if not isinstance(got, (int, float)) or isinstance(got, bool) or abs(got - expected) > 1e-9 * max(1, expected):
            return _wrong(f"tokens_per_char({enc_name}, {text!r}) 得到 {got!r}，不对。",
                          "分子是词元数，分母是字符数 len(text)（不是字节数）。")
    try:
        fn(_enc("gpt2"), "")
    except ValueError:
        pass
    except Exception as err:
        return _wrong(f"空文本时抛出的是 {type(err).__name__}，而不是 ValueError。",
                      "先检查 text 是否为空，再 raise ValueError('…')，说清楚原因。")
    else:
        return _wrong("空文本没有字符，比例没有定义，函数却返回了一个值。", "空文本时 raise ValueError，说清楚原因。")
    return _right(f"{len(cases)} 个用例和空文本都对。")


def complete_prefix(data: bytes) -> str:
    """The text of the longest prefix of `data` that is complete UTF-8 (what a stream may show so far)."""
    return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)


class _Feed:
    """Hands out ids one at a time; before each next id it checks that the output is up to date."""

    def __init__(self, ids: list[int], enc, outputs: list) -> None:
        self.ids, self.enc, self.outputs, self.k = ids, enc, outputs, 0
        self.late: tuple[int, str, str] | None = None  # (k, shown so far, should have shown)

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        if self.late is None:
            shown, due = "".join(self.outputs), complete_prefix(self.enc.decode_bytes(self.ids[:self.k]))
            if shown != due:
                self.late = (self.k, shown, due)
        if self.k == len(self.ids):
            raise StopIteration
        self.k += 1
        return self.ids[self.k - 1]


def _check_stream_case(fn, enc_name: str, ids: list[int], label: str) -> Verdict | None:
    """None if `fn` streams `ids` correctly, else the wrong Verdict."""
    enc = _enc(enc_name)
    outputs: list = []
    feed = _Feed(ids, enc, outputs)
    try:
        result = fn(feed, enc)
        if result is None:
            return _wrong("函数没有 yield 也没有返回任何东西。", "用 yield 把每段完整的文本交出去。")
        for piece in result:
            if not isinstance(piece, str):
                return _wrong(f"{label}：yield 出的 {piece!r} 不是字符串。", "yield 解码后的文本（str），而不是字节。")
            outputs.append(piece)
    except Exception as err:  # the learner's bug: report it, keep the notebook running
        return _wrong(f"{label} 抛出了 {type(err).__name__}: {err}。",
                      "增量解码器用 decoder.decode(字节, final=False)，不完整的字节它会先攒着。")
    shown = "".join(outputs)
    due = complete_prefix(enc.decode_bytes(ids))
    if "\ufffd" in shown:
        return _wrong(f"{label}：输出里出现了 �。", "不要逐个词元 decode；把字节交给增量解码器，它会等字符凑齐。")
    if shown != due:
        return _wrong(f"{label}：输出拼起来是 {shown!r}，应该是全部完整字符。",
                      "每个 id 的字节都要交给解码器；结尾不完整的字节不输出。")
    if feed.late is not None:
        k, early, should = feed.late
        return _wrong(f"{label}：读完前 {k} 个 id 时只输出了 {early!r}，而完整的字符 {should!r} 早就可以显示了。",
                      "流式解码要边读边输出：每读入一个 id，就把已经完整的字符 yield 出来，再读下一个。")
    return None


def check_stream_decoder(fn: Any) -> Verdict:
    """`fn(ids, enc)` yields text as soon as characters are complete: never �, never late, nothing lost."""
    if unanswered(fn):
        return _UNANSWERED
    if not callable(fn):
        return _wrong(f"需要一个生成器函数 stream_decode(ids, enc)，而你给的是 {type(fn).__name__}。")
    for enc_name, text in STREAM_CASES:
        bad = _check_stream_case(fn, enc_name, _enc(enc_name).encode(text), f"{enc_name} 上的 {text!r}")
        if bad is not None:
            return bad
    cut = _enc("gpt2").encode("ok🌍")[:-1]  # the stream stops inside 🌍: only "ok" may be shown
    bad = _check_stream_case(fn, "gpt2", cut, "在 🌍 中间断开的 id 序列")
    if bad is not None:
        return bad
    return _right(f"{len(STREAM_CASES) + 1} 个用例全部通过（含 emoji、空序列和在字符中间断开的序列）。")


def check_cl100k_branches(answer: Any) -> Verdict:
    """`answer` = (branch matching the space of " 1234567", branch matching " hello"), branches counted from 1."""
    from ..tokenizers.pretokenize import PATTERNS

    pattern = PATTERNS["cl100k_base"]
    expected = (branch_at(pattern, " 1234567", 0), branch_at(pattern, " hello", 0))
    if unanswered(answer):
        return _UNANSWERED
    if not isinstance(answer, tuple) or len(answer) != 2:
        return _wrong("答案应该是两个整数组成的元组，例如 (3, 5)。")
    if answer[0] != expected[0] and answer[1] != expected[1]:
        return _wrong("两个分支号都不对。", "从左往右逐个分支试：正则引擎在当前位置用第一个能匹配的分支。")
    if answer[0] != expected[0]:
        return _wrong("\" 1234567\" 的空格所用的分支不对。", "空格后面紧跟的是数字：哪些分支允许「空格 + 数字」？一个都没有时，还剩哪几个只管空白？")
    if answer[1] != expected[1]:
        return _wrong("\" hello\" 所用的分支不对。", "看看哪个分支的开头允许一个「不是字母也不是数字」的字符。")
    return check_value(answer, expected, right=" 数字分支前面不带可选的前导字符，所以空格只能单独成词元。")
