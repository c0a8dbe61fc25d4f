"""Checks for notebook 07 (BPE): each shown implementation, and the 练习 answers.

Every implementation check takes the implementation (the package's, or the learner's edited copy
made with `lecture_utils.edit_source`) and compares it with an independent reference on several
inputs, including the edge cases the notebook discusses (overlaps such as [1, 1, 1], empty input,
no match, a pair at the end, emoji and CJK bytes). Answers that are values are recomputed here from
the same data, never stored.

    >>> from lecture_utils.tokenizers import merge
    >>> check_merge(merge)
    ✅ 正确！9 个测试用例全部通过。
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from . import _UNANSWERED, Verdict, _right, _wrong, check_function, check_value, unanswered

__all__ = [
    "check_merge", "check_count_pairs", "check_train_toy_bpe", "check_merge_loop",
    "check_warmup", "check_tie_break_string", "check_ratio_ceiling", "check_fast_encode", "check_han_counts",
    "WARMUP_TEXT", "HAN_VOCAB_SIZE",
]

WARMUP_TEXT = "aaabdaaabac"  # exercise 2: three merges by hand
HAN_VOCAB_SIZE = 3000  # exercise 6: vocabulary trained on the pre-tokens that contain Han characters

_NO_RETURN = "⏳ 还没有作答：你的函数还没有返回任何值（把 `...` 换成你的实现，再运行这一格）。"


def _stub(fn: Callable, args: tuple) -> bool:
    """True if `fn` is still the exercise's empty body (it returns None)."""
    try:
        return fn(*args) is None
    except Exception:
        return False


def _cases_with_hints(fn: Any, cases: list[tuple[tuple, Any, str]], *, same=None, right: str = "") -> Verdict:
    """check_function case by case, each with its own hint; ✅ with the number of cases when all pass."""
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    if callable(fn) and _stub(fn, cases[0][0]):
        return Verdict(False, _NO_RETURN)
    for number, (args, expected, hint) in enumerate(cases, 1):
        verdict = check_function(fn, [(args, expected)], hint=hint, same=same)
        if not verdict.ok:
            return Verdict(False, verdict.message.replace("第 1 个测试用例", f"第 {number} 个测试用例", 1))
    return _right(right or f"{len(cases)} 个测试用例全部通过。")


# --- the toy BPE's building blocks --------------------------------------------------------------

def _unchanged_input(fn: Callable) -> Callable:
    """Wrap a learner's merge so that changing its input list counts as a wrong answer."""
    def wrapped(ids, pair, new_id):
        before = list(ids)
        out = fn(ids, pair, new_id)
        if list(ids) != before:
            return "（你的函数修改了传进来的列表 ids）"
        return list(out) if isinstance(out, tuple) else out
    return wrapped


def check_merge(merge: Any) -> Verdict:
    """Does `merge(ids, pair, new_id)` replace each non-overlapping pair, left to right, by `new_id`?"""
    scan = "从左往右扫描；一对被换掉以后，它占的两个位置都不能再和别的元素配对。"
    cases = [
        (([1, 2, 3, 1, 2], (1, 2), 9), [9, 3, 9], scan),
        (([1, 1, 1], (1, 1), 9), [9, 1], "重叠的情况：换掉前两个 1 之后，第三个 1 已经没有伙伴了。"),
        (([1, 1, 1, 1], (1, 1), 9), [9, 9], "四个 1 里有两对不重叠的 (1, 1)。"),
        (([], (1, 2), 9), [], "空序列：没有可以换的，结果也是空的（别越界）。"),
        (([1], (1, 2), 9), [1], "只有一个元素时凑不成一对；注意下标不要越界。"),
        (([2, 1], (1, 2), 9), [2, 1], "(1, 2) 和 (2, 1) 不是同一对：顺序有关。"),
        (([3, 1, 2], (1, 2), 9), [3, 9], "这一对在序列末尾：最后一个位置也要检查。"),
        (([1, 2, 1, 2, 1], (2, 1), 7), [1, 7, 7], scan),
        (([5, 6, 5, 6], (5, 6), 300), [300, 300], "new_id 可以是任何整数（比如 256 以上的新 id）。"),
    ]
    if unanswered(merge) or not callable(merge):
        return _cases_with_hints(merge, cases)
    return _cases_with_hints(_unchanged_input(merge), cases)


def _ordered_equal(got: Any, expected: dict) -> bool:
    """Same pairs, counts and first-seen order (the order decides the lecture's tie-break)."""
    return isinstance(got, Mapping) and dict(got) == expected and list(got) == list(expected)


def check_count_pairs(count_pairs: Any) -> Verdict:
    """Does `count_pairs(ids)` count every adjacent pair, keyed in first-seen order?"""
    cases = [
        (([1, 2, 3, 1, 2],), {(1, 2): 2, (2, 3): 1, (3, 1): 1}, "每个位置 i 和 i + 1 组成一对，逐对计数。"),
        (([],), {}, "空序列没有相邻对。"),
        (([5],), {}, "一个元素凑不成一对。"),
        (([1, 1, 1],), {(1, 1): 2}, "数对时重叠也算：[1, 1, 1] 里 (1, 1) 出现在位置 0 和 1。"),
        (([5, 4, 3, 4, 5],), {(5, 4): 1, (4, 3): 1, (3, 4): 1, (4, 5): 1},
         "字典的键要按第一次出现的先后排列：讲座的并列规则靠这个顺序。"),
    ]
    return _cases_with_hints(count_pairs, cases, same=_ordered_equal)


_TOY_TEXTS = [("the cat in the hat", 3), ("low lower lowest", 6), ("aaaa", 3), ("你好你好🌍🌍", 4), ("", 2), ("ab", 5)]


def _params_equal(got: Any, expected: Any) -> bool:
    return (hasattr(got, "merges") and hasattr(got, "vocab") and dict(got.merges) == expected.merges
            and list(got.merges) == list(expected.merges) and dict(got.vocab) == expected.vocab)


def check_train_toy_bpe(train_toy_bpe: Any) -> Verdict:
    """Does `train_toy_bpe(text, num_merges)` learn the lecture's merges (ties: first seen) and vocab?"""
    from ..tokenizers.toy_bpe import train_toy_bpe as reference

    hint = ("每一步都重新数一遍所有相邻对（count_pairs），取次数最多的一对（并列取最先出现的），"
            "新 id 依次是 256、257……；序列用完了就提前停下。结果要有 .merges 和 .vocab。")
    cases = [((text, n), reference(text, n), hint) for text, n in _TOY_TEXTS]
    return _cases_with_hints(train_toy_bpe, cases, same=_params_equal)


# --- the real trainer's merge loop ---------------------------------------------------------------

def _stopped_early() -> type[Warning]:
    """The warning the trainer gives when it runs out of pairs before vocab_size."""
    from ..tokenizers import bpe_train

    return getattr(bpe_train, "TrainingStoppedEarly", UserWarning)


_LOOP_CASES: list[tuple[dict, int, tuple[str, ...]]] = [
    ({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 256 + 10, ()),  # Sennrich et al.'s example
    ({"aaaa": 3, "aaa": 2, "ab": 1}, 256 + 6, ()),  # back-to-back occurrences: (a, a) twice in "aaa"
    ({" the": 9, " then": 4, "the": 3, " cat": 2}, 257 + 6, ("<|endoftext|>",)),  # with a special token
    ({"你好": 4, "你们": 2, "🌍": 3, "a🌍": 1}, 256 + 8, ()),  # CJK and emoji bytes
    ({"ab": 2}, 256 + 5, ()),  # runs out of pairs: stops early
    ({}, 256 + 3, ()),  # nothing to train on
]


def check_merge_loop(merge_loop: Any) -> Verdict:
    """Does a copy of `bpe_train._readable_merge_loop` learn the same merges as recounting every pair each time?

    Each case's pre-token counts are prepared as `train_bpe_from_counts` prepares them, then passed to
    `merge_loop(words, counts, vocab_size, specials, progress)`; the merges and the vocabulary are
    compared with `toy_bpe.recount_bpe` (the slow way, no incremental updates).
    """
    from ..tokenizers import bpe_train
    from ..tokenizers.toy_bpe import recount_bpe

    if unanswered(merge_loop):
        return Verdict(False, _UNANSWERED)
    if not callable(merge_loop):
        return _wrong(f"需要一个函数，而你给的是 {type(merge_loop).__name__}。")
    hint = ("增量更新只改动含有这一对的片段：左邻 (x, a) 变成 (x, 新)，右邻 (b, y) 变成 (新, y)，"
            "两个紧挨着的出现之间的 (b, a) 变成 (新, 新)；别忘了减去旧对的计数。")
    for number, (word_counts, vocab_size, specials) in enumerate(_LOOP_CASES, 1):
        expected = recount_bpe(word_counts, vocab_size - 256 - len(specials))
        words, counts = bpe_train._as_id_strings(word_counts)
        shown = f"{word_counts}, vocab_size={vocab_size}"
        try:
            with warnings.catch_warnings():  # some cases run out of pairs on purpose: no "stopped early" warning
                warnings.simplefilter("ignore", _stopped_early())
                vocab, merges = merge_loop(words, counts, vocab_size, specials, False)
        except Exception as err:  # the learner's bug: report it, keep the notebook running
            return _wrong(f"第 {number} 个测试用例（{shown}）抛出了 {type(err).__name__}: {err}。", hint)
        if list(merges) != expected:
            same = next((i for i, (g, e) in enumerate(zip(merges, expected)) if g != e), min(len(merges), len(expected)))
            return _wrong(f"第 {number} 个测试用例（{shown}）：前 {same} 次合并都对，第 {same + 1} 次合并不对"
                          f"（共应有 {len(expected)} 次）。", hint)
        want = {i: bytes([i]) for i in range(256)}
        for s in specials:
            want[len(want)] = s.encode("utf-8")
        for a, b in expected:
            want[len(want)] = a + b
        if dict(vocab) != want:
            return _wrong(f"第 {number} 个测试用例（{shown}）：合并对了，但词表不对（应当是 256 个字节、"
                          "特殊词元，再按顺序每次合并一个新词元）。")
    return _right(f"{len(_LOOP_CASES)} 个测试用例的合并与词表都和“每次重数”的结果一致。")


# --- the 练习 -------------------------------------------------------------------------------------

def _as_bytes(x: Any) -> bytes | None:
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    if isinstance(x, str):
        return x.encode("utf-8")
    return None


def check_warmup(answer: Any) -> Verdict:
    """Exercise 2: the three merges of `train_toy_bpe(WARMUP_TEXT, 3)`, as byte strings (or str) in order."""
    from ..tokenizers.toy_bpe import train_toy_bpe

    if unanswered(answer):
        return Verdict(False, _UNANSWERED)
    params = train_toy_bpe(WARMUP_TEXT, 3)
    expected = [params.vocab[i] for i in params.merges.values()]
    if not isinstance(answer, (list, tuple)) or len(answer) != 3 or any(_as_bytes(a) is None for a in answer):
        return _wrong("答案应该是 3 个字节串（或字符串）组成的列表，按合并的先后顺序，例如 [b'..', b'...', b'....']。")
    got = [_as_bytes(a) for a in answer]
    for k, (g, e) in enumerate(zip(got, expected), 1):
        if g != e:
            hint = ("第 1 步：数一数每一对出现几次，重叠也算。" if k == 1 else
                    "合并之后序列变了：用新序列重新数一遍；并列时讲座取最先出现的那一对。")
            return _wrong(f"第 {k} 次合并不对" + (f"（前 {k - 1} 次是对的）" if k > 1 else "") + "。", hint)
    return _right("三次合并都对。")


def check_tie_break_string(text: Any) -> Verdict:
    """Exercise 3: a text on which the two tie rules agree on merge 1 and first disagree on merge 2."""
    from ..tokenizers.toy_bpe import train_toy_bpe

    if unanswered(text):
        return Verdict(False, _UNANSWERED)
    if not isinstance(text, str):
        return _wrong(f"答案应该是一个字符串，而你给的是 {type(text).__name__}。")
    runs = {rule: train_toy_bpe(text, 2, tie_break=rule) for rule in ("first", "lexicographic")}
    made = {rule: [p.vocab[i] for i in p.merges.values()] for rule, p in runs.items()}
    first, lexi = made["first"], made["lexicographic"]
    if len(first) < 2 or len(lexi) < 2:
        return _wrong("这个字符串连两次合并都做不了，太短了。")
    if first[0] != lexi[0]:
        return _wrong(f"两种规则在第 1 次合并就分歧了（{first[0]!r} 对 {lexi[0]!r}）；要的是第 2 次才第一次分歧。",
                      "让第 1 步有唯一的最多的一对（不并列），把并列留到第 2 步。")
    if first[1] == lexi[1]:
        return _wrong(f"前两次合并两种规则都一样（{first[0]!r}、{first[1]!r}）。",
                      "第 2 步要有并列，而且最先出现的那一对不是字节串字典序最大的那一对。")
    return _right(f"第 1 次合并都是 {first[0]!r}；第 2 次讲座的规则选 {first[1]!r}，作业 1 的规则选 {lexi[1]!r}。")


def check_ratio_ceiling(answer: Any, text: str) -> Verdict:
    """Exercise 4: the highest compression ratio any BPE with GPT-2 pre-tokenization can reach on `text`."""
    from ..tokenizers.pretokenize import pretokenize

    pieces = pretokenize(text)
    if not pieces:
        return _wrong("这段文本是空的，没有压缩率可言：请传入英文验证集 val_by_lang['英文']。")
    expected = len(text.encode("utf-8")) / len(pieces)
    return check_value(answer, expected, rel_tol=1e-3,
                       hint="词元不会跨过预分词片段，所以最好的情况是每个片段正好一个词元：字节数 / 片段数。",
                       right=f"上限约 {expected:.3f} 字节/词元。")


_ENCODE_TRAIN = ("the cat in the hat sat on the mat; the hat is a cat's hat. aaaa bbbb aaaa abababab bcbcbc "
                 "你好，你好世界！世界你好。🌍🌍 🌍! 1234 1234 12")
# "bcbcbc abc": (b, c) is the most frequent pair there, but (a, b) was learned first: order matters
_ENCODE_TEXTS = ["", "a", "the cat in the hat", "the quick brown fox", "aaaaaaa", "bcbcbc abc", "你好世界你好",
                 "🌍🌍🌍 🌍", "hat, mat, cat. 你好 🌍 1234", "ßüé ✓ \n\t end"]


def check_fast_encode(fast_encode: Any) -> Verdict:
    """Exercise 5: `fast_encode(text, merges)` gives the same ids as the toy encoder (every merge, in order)."""
    from ..tokenizers.toy_bpe import ToyBPETokenizer, train_toy_bpe

    params = train_toy_bpe(_ENCODE_TRAIN, 40)
    slow = ToyBPETokenizer(params)
    hint = ("每一轮在当前序列的相邻对里找排名最靠前（新 id 最小）的那条合并，全部换掉；"
            "没有任何一对在 merges 里时就停下。")
    cases = [((text,), slow.encode(text), hint) for text in _ENCODE_TEXTS]
    if unanswered(fast_encode) or not callable(fast_encode):
        return _cases_with_hints(fast_encode, cases)

    def encode(text: str):  # the learner's function with this check's merges (so a failure shows only the text)
        return fast_encode(text, dict(params.merges))

    return _cases_with_hints(encode, cases, right=f"在 {len(cases)} 段文本上（含空串、emoji、汉字）与教学版编码完全相同。")


def _han_counts(word_counts: Mapping[str, int]) -> dict[str, int]:
    import regex

    from ..tokenizers.bpe_train import train_bpe_from_counts

    han = {w: c for w, c in word_counts.items() if regex.search(r"\p{Han}", w)}
    with warnings.catch_warnings():  # a small table of pre-tokens may run out of pairs: that is fine here
        warnings.simplefilter("ignore", _stopped_early())
        vocab, _ = train_bpe_from_counts(han, HAN_VOCAB_SIZE)
    result = {"一个汉字": 0, "多个汉字": 0}
    for token in list(vocab.values())[256:]:
        try:
            n = len(regex.findall(r"\p{Han}", token.decode("utf-8")))
        except UnicodeDecodeError:
            continue
        if n == 1:
            result["一个汉字"] += 1
        elif n > 1:
            result["多个汉字"] += 1
    return result


def check_han_counts(answer: Any, word_counts: Mapping[str, int]) -> Verdict:
    """Exercise 6: how many tokens of a `HAN_VOCAB_SIZE` vocabulary (trained on the Han pre-tokens) are one / several Han characters."""
    if unanswered(answer):
        return Verdict(False, _UNANSWERED)
    if isinstance(answer, (list, tuple)) and len(answer) == 2:
        answer = {"一个汉字": answer[0], "多个汉字": answer[1]}
    if not isinstance(answer, Mapping) or set(answer) != {"一个汉字", "多个汉字"}:
        return _wrong("答案应该是 {'一个汉字': 个数, '多个汉字': 个数}（或按这个顺序的两个数）。")
    expected = _han_counts(word_counts)
    for key in ("一个汉字", "多个汉字"):
        got = answer[key]
        if isinstance(got, bool) or not isinstance(got, int):
            return _wrong(f"“{key}”的个数应该是整数，而你给的是 {got!r}。")
        if got != expected[key]:
            direction = "多" if got > expected[key] else "少"
            return _wrong(f"“{key}”的词元数{direction}了。",
                          "只数合并出来的词元（id ≥ 256）；能完整解码成 UTF-8 的才算，再数里面有几个汉字（\\p{Han}）。")
    total = sum(expected.values())
    return _right(f"{HAN_VOCAB_SIZE - 256} 个新词元里，{total} 个由汉字组成，其中 {expected['多个汉字']} 个不止一个字。")

