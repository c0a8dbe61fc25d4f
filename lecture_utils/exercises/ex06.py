"""Checks for the 练习 of notebook 06 (word tokenizer): the GPT-2 split of a sentence and its branches,
min_count, splitting Chinese per character, bits per byte of a unigram model, and a learner's WordTokenizer.

Also `alternatives` / `branch_at`: which top-level branch of a regex matches at a position (used by 03).
Each check returns a `Verdict` (✅ or ❌ with a hint that does not give the answer away). Checks that
depend on the notebook's data take that data as arguments, so they follow the notebook's knobs.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping

import regex

from . import Verdict, check_value, unanswered

__all__ = ["alternatives", "branch_at", "SPLIT_TEXT", "check_split", "check_branches", "check_min_count",
           "check_han_split", "check_bits_per_byte", "check_tokenizer", "HAN_PATTERN"]

SPLIT_TEXT = "Don't   stop\n\nnow 2024!"  # exercise 1's sentence: a contraction, 3 spaces, 2 newlines, digits
HAN_PATTERN = r"\p{Han}|\w+|."  # exercise 3: every Chinese character on its own, else the simple split
_UNANSWERED = Verdict(False, "⏳ 还没有作答：把 `...` 换成你的答案，再运行这一格。")
_CHARACTER_WORDS = ("字符", "字符分词器", "character", "character tokenizer", "characters", "char")


def _right(message: str = "") -> Verdict:
    return Verdict(True, "✅ 正确！" + message)


def _wrong(message: str, hint: str = "") -> Verdict:
    return Verdict(False, f"❌ 还不对：{message}" + (f"\n💡 提示：{hint}" if hint else ""))


def alternatives(pattern: str) -> list[str]:
    """The top-level branches of a regex: `alternatives(r"a|(b|c)|[|]")` -> ['a', '(b|c)', '[|]']."""
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":  # a literal ] right after [ (or [^) belongs to the class
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def branch_at(pattern: str, text: str, pos: int) -> int | None:
    """Which branch (counted from 1) of `pattern` the engine uses at `text[pos:]`: the first that matches there."""
    for number, alt in enumerate(alternatives(pattern), 1):
        if regex.compile(alt).match(text, pos):
            return number
    return None


def _gpt2_pattern() -> str:
    from ..tokenizers import GPT2_SPLIT_PATTERN

    return GPT2_SPLIT_PATTERN


def check_split(answer: Any, text: str = SPLIT_TEXT) -> Verdict:
    """`answer` = the list of pieces `regex.findall(GPT2_SPLIT_PATTERN, text)` gives."""
    if unanswered(answer):
        return _UNANSWERED
    expected = regex.findall(_gpt2_pattern(), text)
    if not isinstance(answer, list) or not all(isinstance(s, str) for s in answer):
        return _wrong("答案应该是一个字符串列表。")
    if "".join(answer) != text:
        return _wrong("这些片段拼起来不等于原句：有字符丢了或多了。", "空格和换行也是片段，一个都不能少。")
    if len(answer) != len(expected):
        return _wrong(f"你切成了 {len(answer)} 段，段数不对。",
                      "连续的空白不一定是一段：`\\s+(?!\\S)` 会把「紧挨着下一个词的那个空格」留给下一个词。")
    return check_value(answer, expected, hint="前导空格跟着后面的字母或数字；缩写 't 单独成段。")


def check_branches(answer: Any, text: str = SPLIT_TEXT) -> Verdict:
    """`answer` = for each piece of the split, the number (from 1) of the GPT2_SPLIT_PATTERN branch that matched it."""
    if unanswered(answer):
        return _UNANSWERED
    pattern = _gpt2_pattern()
    starts, pos = [], 0
    for piece in regex.findall(pattern, text):
        starts.append(pos)
        pos += len(piece)
    expected = [branch_at(pattern, text, p) for p in starts]
    if not isinstance(answer, list) or len(answer) != len(expected):
        return _wrong(f"答案应该是 {len(expected)} 个分支号组成的列表（每个片段一个）。")
    wrong = [i for i, (a, e) in enumerate(zip(answer, expected)) if a != e]
    if wrong:
        return _wrong(f"第 {', '.join(str(i + 1) for i in wrong)} 个片段的分支号不对。",
                      "分支从 1 数：引擎在每个位置从左往右试，用第一个能匹配的分支。")
    return _right()


def check_min_count(answer: Any, train_docs: Iterable[str], val_text: str, pattern: str | None = None,
                    min_counts: Iterable[int] = (2, 5)) -> Verdict:
    """`answer` = {min_count: (词表大小, 验证集 OOV 比例)} for WordTokenizer.train(train_docs, pattern, min_count=…)."""
    if unanswered(answer):
        return _UNANSWERED
    split = regex.compile(pattern or _gpt2_pattern(), regex.DOTALL)
    min_counts = list(min_counts)
    if not isinstance(answer, dict) or set(answer) != set(min_counts):
        return _wrong(f"答案应该是一个字典，键正好是 {min_counts}。", "例如 {2: (词表大小, OOV 比例), 5: (…, …)}。")
    # one counting pass serves every min_count: WordTokenizer.train keeps the segments seen >= min_count times
    counts = Counter(s for doc in train_docs for s in split.findall(doc))
    val_segments = split.findall(val_text)
    for mc in min_counts:
        kept = {s for s, n in counts.items() if n >= mc and s != "<|unk|>"}
        expected = (len(kept) + 1, sum(s not in kept for s in val_segments) / len(val_segments))
        got = answer[mc]
        if not isinstance(got, tuple) or len(got) != 2:
            return _wrong(f"min_count={mc} 的答案应该是 (词表大小, OOV 比例) 两个数。")
        if got[0] != expected[0]:
            return _wrong(f"min_count={mc} 时的词表大小 {got[0]!r} 不对。", "用 tok.vocab_size，它已经算上了 UNK。")
        if not isinstance(got[1], (int, float)) or not math.isclose(got[1], expected[1], rel_tol=1e-3, abs_tol=1e-6):
            return _wrong(f"min_count={mc} 时的 OOV 比例 {got[1]!r} 不对。", "在验证集上算：tok.oov_rate(验证集文本)。")
    return _right(" min_count 越大，词表越小，OOV 越多。")


def check_han_split(answer: Any, train_docs: Iterable[str], val_text: str) -> Verdict:
    """`answer` = (词表大小, 验证集 OOV 比例, 这退回到了哪种分词器) with pattern HAN_PATTERN."""
    from ..tokenizers import WordTokenizer

    if unanswered(answer):
        return _UNANSWERED
    if not isinstance(answer, tuple) or len(answer) != 3:
        return _wrong("答案应该是三个值组成的元组：(词表大小, OOV 比例, '某种分词器')。")
    tok = WordTokenizer.train(list(train_docs), HAN_PATTERN)
    if answer[0] != tok.vocab_size:
        return _wrong(f"词表大小 {answer[0]!r} 不对。", f"用 WordTokenizer.train(训练文档, {HAN_PATTERN!r}) 训练，再看 vocab_size。")
    if not isinstance(answer[1], (int, float)) or not math.isclose(answer[1], tok.oov_rate(val_text), rel_tol=1e-3, abs_tol=1e-6):
        return _wrong(f"OOV 比例 {answer[1]!r} 不对。", "在验证集上算 tok.oov_rate(验证集文本)。")
    kind = str(answer[2]).strip().lower()
    if kind not in _CHARACTER_WORDS:
        return _wrong(f"{answer[2]!r} 不是这里要的分词器。", "每个汉字各占一个 id：这和 04 里的哪种分词器一样？")
    return _right(" 中文部分每个汉字一个词元，正是 04 的字符分词器（只是词表只收训练集里见过的字）。")


def _unigram_nll(tok, val: str, segment_counts: Mapping[str, int]) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of `val` under the add-one unigram model, and the number of tokens."""
    counts: Counter = Counter()
    for segment, n in segment_counts.items():
        counts[tok.word_to_id.get(segment, tok.unk_id)] += n
    total, vocab = sum(counts.values()), tok.vocab_size
    ids = tok.encode(val)
    return -sum(math.log((counts[i] + 1) / (total + vocab)) for i in ids), len(ids)


def check_bits_per_byte(fn: Any, tokenizers: Iterable, val_text: str, segment_counts: Mapping[str, int]) -> Verdict:
    """`fn(tok, val)` = total NLL (nats) of the notebook's unigram model / ln 2 / UTF-8 bytes of val; ValueError if val is empty."""
    if unanswered(fn):
        return _UNANSWERED
    if not callable(fn):
        return _wrong(f"需要一个函数 bits_per_byte(tok, val)，而你给的是 {type(fn).__name__}。")
    tokenizers = list(tokenizers)
    short = "Hello, 🌍! 你好!"  # unseen characters: UNK ids
    cases = [(tokenizers[0], val_text)] + [(tok, short) for tok in tokenizers]  # one long text is enough
    for tok, text in cases:
        nll, _ = _unigram_nll(tok, text, segment_counts)
        expected = nll / math.log(2) / len(text.encode("utf-8"))
        try:
            got = fn(tok, text)
        except Exception as err:  # the learner's bug: report it, keep the notebook running
            return _wrong(f"对词表大小 {tok.vocab_size} 的分词器抛出了 {type(err).__name__}: {err}。")
        if not isinstance(got, (int, float)) or not math.isclose(got, expected, rel_tol=1e-6):
            short = text if len(text) < 20 else text[:17] + "…"
            return _wrong(f"词表大小 {tok.vocab_size}、文本 {short!r}：得到 {got!r}，不对。",
                          "总负对数似然（自然对数）先除以 ln 2 变成比特，再除以 UTF-8 字节数（不是词元数）。")
    try:
        fn(tokenizers[0], "")
    except ValueError:
        pass
    except Exception as err:
        return _wrong(f"空文本时抛出的是 {type(err).__name__}，而不是 ValueError。", "空文本没有字节：raise ValueError 说明原因。")
    else:
        return _wrong("空文本没有字节，每字节比特数没有定义，函数却返回了一个值。", "空文本时 raise ValueError。")
    return _right(f" {len(cases)} 个用例和空文本都对。")


def check_tokenizer(cls: Any) -> Verdict:
    """The notebook's own checks, run on a WordTokenizer class (the package's or a learner's edited copy)."""
    from ..tokenizers import SIMPLE_WORD_PATTERN, compression_ratio

    if unanswered(cls):
        return _UNANSWERED
    sentence = "I'll say supercalifragilisticexpialidocious!"
    try:
        tok = cls.train(sentence, _gpt2_pattern())
        ids = tok.encode(sentence)
        if len(ids) != 5 or tok.decode(ids) != sentence or compression_ratio(sentence, ids) != 8.8:
            return _wrong("讲座的例句用 GPT-2 正则应切成 5 个词元、压缩率 8.8，并且能往返。")
        small = cls.train("the cat sat on the mat")
        if small.encode("the dog") != [2, 1, 0] or small.decode([2, 1, 0]) != "the <|unk|>":
            return _wrong("在 'the cat sat on the mat' 上训练后，'the dog' 应编码为 [2, 1, 0]，解码为 'the <|unk|>'。",
                          "id 0 留给 UNK，其余按频率从高到低（同频按首次出现）。")
        text = "Hello, 🌍! 你好!\n\n第二行"
        own = cls.train(text, SIMPLE_WORD_PATTERN)
        if own.decode(own.encode(text)) != text:
            return _wrong("在一段文本自己身上训练后，它应当能往返（包括换行）。")
        if cls.train("a a a b b c", min_count=2).vocab_size != 4:
            return _wrong("min_count=2 时出现不到 2 次的片段不该进词表。")
    except Exception as err:  # the learner's bug: report it, keep the notebook running
        return _wrong(f"运行时抛出了 {type(err).__name__}: {err}。")
    return _right(" 这个 WordTokenizer 通过了本笔记本的检查。")
