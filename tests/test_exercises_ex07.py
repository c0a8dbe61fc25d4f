"""Notebook 07's checks: right answers (several spellings) pass, wrong ones get a Chinese hint, not the answer."""
from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.exercises import ex07
from lecture_utils.tokenizers import bpe_train, merge, train_toy_bpe
from lecture_utils.tokenizers.bpe_train import train_bpe_from_counts
from lecture_utils.tokenizers.toy_bpe import ToyBPETokenizer, count_pairs, recount_bpe


def right(verdict):
    assert verdict.ok, verdict.message
    assert verdict.message.startswith("✅")


def wrong(verdict, *words):
    assert not verdict.ok
    assert verdict.message.startswith("❌") or verdict.message.startswith("⏳"), verdict.message
    for w in words:
        assert w in verdict.message, verdict.message


# --- merge -------------------------------------------------------------------------------------

def merge_with_index(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if ids[i:i + 2] == list(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_recursive(ids, pair, new_id):
    ids = list(ids)
    if len(ids) < 2:
        return ids
    if (ids[0], ids[1]) == tuple(pair):
        return [new_id] + merge_recursive(ids[2:], pair, new_id)
    return [ids[0]] + merge_recursive(ids[1:], pair, new_id)


def merge_tuple(ids, pair, new_id):
    return tuple(merge(ids, pair, new_id))


@pytest.mark.parametrize("fn", [merge, merge_with_index, merge_recursive, merge_tuple])
def test_merge_right(fn):
    right(ex07.check_merge(fn))


def merge_overlapping(ids, pair, new_id):  # replaces at every position: [1, 1, 1] -> [9, 9]
    return [new_id if (a, b) == tuple(pair) else a for a, b in zip(ids, ids[1:])]


def merge_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_in_place(ids, pair, new_id):
    i = 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == tuple(pair):
            ids[i:i + 2] = [new_id]
        i += 1
    return ids


def merge_unordered(ids, pair, new_id):  # treats (1, 2) and (2, 1) as the same pair
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and {ids[i], ids[i + 1]} == set(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


@pytest.mark.parametrize("fn, words", [
    (merge_overlapping, ["第 1 个测试用例", "💡"]),
    (merge_drops_last, ["第 2 个测试用例", "第三个 1"]),
    (merge_in_place, ["修改了传进来的列表"]),
    (merge_unordered, ["第 6 个测试用例", "顺序有关"]),
    (lambda ids, pair, new_id: 1 / 0, ["ZeroDivisionError"]),
    (42, ["需要一个函数"]),
])
def test_merge_wrong(fn, words):
    wrong(ex07.check_merge(fn), *words)


def test_merge_unanswered_and_empty_body():
    def my_merge(ids, pair, new_id):
        ...

    wrong(ex07.check_merge(...), "还没有作答")
    wrong(ex07.check_merge(my_merge), "还没有返回任何值")


def test_merge_hints_do_not_give_the_answer():
    verdict = ex07.check_merge(merge_drops_last)
    assert "[9, 1]" not in verdict.message  # the expected output of the failing case is not shown


# --- count_pairs ---------------------------------------------------------------------------------

def count_with_counter(ids):
    return Counter(zip(ids, ids[1:]))


def count_with_defaultdict(ids):
    counts = defaultdict(int)
    for i in range(len(ids) - 1):
        counts[ids[i], ids[i + 1]] += 1
    return counts


@pytest.mark.parametrize("fn", [count_pairs, count_with_counter, count_with_defaultdict])
def test_count_pairs_right(fn):
    right(ex07.check_count_pairs(fn))


def count_sorted(ids):
    return dict(sorted(Counter(zip(ids, ids[1:])).items()))


def count_non_overlapping(ids):
    counts, i = {}, 0
    while i < len(ids) - 1:
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if ids[i] == ids[i + 1] else 1
    return counts


@pytest.mark.parametrize("fn, words", [
    (count_sorted, ["第 5 个测试用例", "第一次出现的先后"]),
    (count_non_overlapping, ["第 4 个测试用例", "重叠也算"]),
    (lambda ids: set(zip(ids, ids[1:])), ["第 1 个测试用例"]),
])
def test_count_pairs_wrong(fn, words):
    wrong(ex07.check_count_pairs(fn), *words)


# --- train_toy_bpe --------------------------------------------------------------------------------

def test_train_toy_bpe_right():
    right(ex07.check_train_toy_bpe(train_toy_bpe))
    right(ex07.check_train_toy_bpe(lambda text, n: train_toy_bpe(text, n, record=True)))


def train_lexicographic(text, n):
    return train_toy_bpe(text, n, tie_break="lexicographic")


def train_one_short(text, n):
    return train_toy_bpe(text, max(0, n - 1))


@pytest.mark.parametrize("fn, words", [
    (train_lexicographic, ["第 2 个测试用例", "并列取最先出现"]),
    (train_one_short, ["第 1 个测试用例"]),
    (lambda text, n: [], ["第 1 个测试用例"]),
])
def test_train_toy_bpe_wrong(fn, words):
    wrong(ex07.check_train_toy_bpe(fn), *words)


# --- the real trainer's merge loop ----------------------------------------------------------------

def test_merge_loop_right():
    right(ex07.check_merge_loop(bpe_train._readable_merge_loop))  # the loop 07 shows
    right(ex07.check_merge_loop(bpe_train._merge_loop))  # the fast loop train_bpe runs


def loop_from_recount(words, counts, vocab_size, specials, progress):  # another correct loop: the slow one
    word_counts = Counter()
    for w, c in zip(words, counts):
        word_counts[w.encode("latin-1")] += c
    vocab = {i: bytes([i]) for i in range(256)}
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
    merges = recount_bpe(word_counts, vocab_size - len(vocab))
    for a, b in merges:
        vocab[len(vocab)] = a + b
    return vocab, merges


def test_merge_loop_right_when_written_differently():
    right(ex07.check_merge_loop(loop_from_recount))


def loop_smaller_wins(words, counts, vocab_size, specials, progress):  # ties to the smaller pair
    vocab, merges = {i: bytes([i]) for i in range(256)}, []
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
    toks = {tuple(bytes([b]) for b in w.encode("latin-1")): c for w, c in zip(words, counts)}
    while len(vocab) < vocab_size:
        pc = Counter()
        for t, c in toks.items():
            for p in zip(t, t[1:]):
                pc[p] += c
        if not pc:
            break
        best = max(pc, key=lambda p: (pc[p], [-x for x in p[0] + b"\xff" + p[1]]))
        merges.append(best)
        vocab[len(vocab)] = best[0] + best[1]
        toks = {tuple(merge(t, best, best[0] + best[1])): c for t, c in toks.items()}
    return vocab, merges


def incremental_loop(words, counts, vocab_size, specials, progress, forget_old_pairs=False):
    """A small incremental trainer: after a merge, only the words holding the pair are recounted."""
    vocab = {i: bytes([i]) for i in range(256)}
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
    toks = [[bytes([b]) for b in w.encode("latin-1")] for w in words]
    pc = Counter()
    for t, c in zip(toks, counts):
        for p in zip(t, t[1:]):
            pc[p] += c
    merges = []
    while len(vocab) < vocab_size:
        pc = +pc  # drop pairs whose count fell to 0
        if not pc:
            break
        best = max(pc, key=lambda p: (pc[p], p))
        for wi, (t, c) in enumerate(zip(toks, counts)):
            if best not in zip(t, t[1:]):
                continue
            if not forget_old_pairs:  # the realistic mistake: skip this, so old pairs keep their counts
                for p in zip(t, t[1:]):
                    pc[p] -= c
            toks[wi] = t = merge(t, best, best[0] + best[1])
            for p in zip(t, t[1:]):
                pc[p] += c
        merges.append(best)
        vocab[len(vocab)] = best[0] + best[1]
    return vocab, merges


def test_merge_loop_accepts_an_incremental_loop_and_catches_its_classic_bug():
    right(ex07.check_merge_loop(incremental_loop))
    forgetful = lambda *args: incremental_loop(*args, forget_old_pairs=True)  # noqa: E731
    wrong(ex07.check_merge_loop(forgetful), "次合并不对", "减去旧对的计数")


def test_merge_loop_wrong():
    wrong(ex07.check_merge_loop(loop_smaller_wins), "第 1 个测试用例", "不对", "💡")
    wrong(ex07.check_merge_loop(lambda *args: 1 / 0), "ZeroDivisionError")
    wrong(ex07.check_merge_loop(...), "还没有作答")
    wrong(ex07.check_merge_loop("x"), "需要一个函数")


# --- exercise 2: three merges by hand --------------------------------------------------------------

@pytest.mark.parametrize("answer", [[b"aa", b"aaa", b"aaab"], ["aa", "aaa", "aaab"], (b"aa", "aaa", bytearray(b"aaab"))])
def test_warmup_right(answer):
    right(ex07.check_warmup(answer))


@pytest.mark.parametrize("answer, words", [
    (["aa", "ab", "aaab"], ["第 2 次合并不对", "前 1 次是对的"]),  # Wikipedia's order (another tie rule)
    (["ab", "aaa", "aaab"], ["第 1 次合并不对"]),
    (["aa", "aaa"], ["3 个字节串"]),
    ("aa aaa aaab", ["3 个字节串"]),
    (..., ["还没有作答"]),
])
def test_warmup_wrong(answer, words):
    wrong(ex07.check_warmup(answer), *words)


def test_warmup_expected_is_computed_from_the_toy_trainer():
    params = train_toy_bpe(ex07.WARMUP_TEXT, 3)
    assert [params.vocab[i] for i in params.merges.values()] == [b"aa", b"aaa", b"aaab"]


# --- exercise 3: the tie rules part at merge 2 ------------------------------------------------------

def test_tie_break_string_right():
    right(ex07.check_tie_break_string("abbb"))
    found = next("".join(t) for n in range(3, 7) for t in itertools.product("xyz", repeat=n)
                 if ex07.check_tie_break_string("".join(t)).ok)
    first = train_toy_bpe(found, 2)
    lexi = train_toy_bpe(found, 2, tie_break="lexicographic")
    assert first.vocab[256] == lexi.vocab[256] and first.vocab[257] != lexi.vocab[257]


@pytest.mark.parametrize("answer, words", [
    ("low lower lowest", ["第 1 次合并就分歧"]),
    ("the cat in the hat", ["前两次合并两种规则都一样"]),
    ("ab", ["两次合并都做不了"]),
    (b"abbb", ["字符串"]),
])
def test_tie_break_string_wrong(answer, words):
    wrong(ex07.check_tie_break_string(answer), *words)


# --- exercise 4: the ceiling of the compression ratio ----------------------------------------------

GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
TEXT = "Once upon a time, there was a little cat.\nIt's 2024 and the cat's name is Tom!  "


def test_ratio_ceiling_right():
    expected = len(TEXT.encode("utf-8")) / len(regex.findall(GPT2, TEXT))
    right(ex07.check_ratio_ceiling(expected, TEXT))
    right(ex07.check_ratio_ceiling(round(expected, 3), TEXT))


def test_ratio_ceiling_wrong():
    wrong(ex07.check_ratio_ceiling(len(TEXT.encode()) / len(TEXT), TEXT), "偏小", "片段")
    wrong(ex07.check_ratio_ceiling(len(TEXT.encode()) / len(TEXT.split()), TEXT), "偏大")
    wrong(ex07.check_ratio_ceiling(..., TEXT), "还没有作答")
    wrong(ex07.check_ratio_ceiling(4.0, ""), "空的")


# --- exercise 5: a faster encoder ------------------------------------------------------------------

def encode_by_rank(text, merges):
    ids = list(text.encode("utf-8"))
    while len(ids) >= 2:
        pair = min(zip(ids, ids[1:]), key=lambda p: merges.get(p, float("inf")))
        if pair not in merges:
            break
        ids = merge(ids, pair, merges[pair])
    return ids


def encode_one_at_a_time(text, merges):
    ids = list(text.encode("utf-8"))
    while True:
        ranked = [(merges[p], i) for i, p in enumerate(zip(ids, ids[1:])) if p in merges]
        if not ranked:
            return ids
        _, i = min(ranked)
        ids[i:i + 2] = [merges[(ids[i], ids[i + 1])]]


@pytest.mark.parametrize("fn", [encode_by_rank, encode_one_at_a_time])
def test_fast_encode_right(fn):
    right(ex07.check_fast_encode(fn))


def encode_most_frequent(text, merges):
    ids = list(text.encode("utf-8"))
    while True:
        counts = Counter(p for p in zip(ids, ids[1:]) if p in merges)
        if not counts:
            return ids
        pair = max(counts, key=counts.get)
        ids = merge(ids, pair, merges[pair])


def encode_reversed(text, merges):
    ids = list(text.encode("utf-8"))
    for pair, new_id in reversed(list(merges.items())):
        ids = merge(ids, pair, new_id)
    return ids


def encode_crashes_on_empty(text, merges):
    ids = list(text.encode("utf-8"))
    while True:
        pair = min(zip(ids, ids[1:]), key=lambda p: merges.get(p, float("inf")))
        if pair not in merges:
            return ids
        ids = merge(ids, pair, merges[pair])


@pytest.mark.parametrize("fn, words", [
    (encode_most_frequent, ["不对", "排名最靠前"]),  # "bcbcbc abc": (b, c) is more frequent, (a, b) ranks first
    (encode_reversed, ["不对"]),
    (encode_crashes_on_empty, ["第 1 个测试用例", "ValueError"]),
    (lambda text, merges: text.encode("utf-8"), ["不对"]),
])
def test_fast_encode_wrong(fn, words):
    wrong(ex07.check_fast_encode(fn), *words)


def test_fast_encode_cases_cover_the_edge_cases():
    texts = ex07._ENCODE_TEXTS
    assert "" in texts and any("🌍" in t for t in texts) and any(regex.search(r"\p{Han}", t) for t in texts)
    params = train_toy_bpe(ex07._ENCODE_TRAIN, 40)
    slow = ToyBPETokenizer(params)
    # the wrong encoders really differ from the toy encoder on some case (the check is not vacuous)
    assert any(encode_most_frequent(t, params.merges) != slow.encode(t) for t in texts)


# --- exercise 6: Han tokens ------------------------------------------------------------------------

WORDS = {"你好": 5, "你们好": 3, "世界": 4, "大家好": 2, " hello": 6, "。": 7}


def han_counts_by_recount(word_counts, vocab_size):
    han = {w: c for w, c in word_counts.items() if regex.search(r"\p{Han}", w)}
    tokens = [a + b for a, b in recount_bpe(han, vocab_size - 256)]
    counts = Counter()
    for t in tokens:
        try:
            n = len(regex.findall(r"\p{Han}", t.decode("utf-8")))
        except UnicodeDecodeError:
            continue
        counts["一个汉字" if n == 1 else "多个汉字" if n > 1 else "其他"] += 1
    return {"一个汉字": counts["一个汉字"], "多个汉字": counts["多个汉字"]}


def test_han_counts_right():
    expected = han_counts_by_recount(WORDS, ex07.HAN_VOCAB_SIZE)
    assert expected["一个汉字"] > 0 and expected["多个汉字"] > 0
    right(ex07.check_han_counts(expected, WORDS))
    right(ex07.check_han_counts((expected["一个汉字"], expected["多个汉字"]), WORDS))


def test_han_counts_wrong():
    expected = han_counts_by_recount(WORDS, ex07.HAN_VOCAB_SIZE)
    wrong(ex07.check_han_counts({**expected, "一个汉字": expected["一个汉字"] + 1}, WORDS), "一个汉字", "多了")
    wrong(ex07.check_han_counts({**expected, "多个汉字": expected["多个汉字"] - 1}, WORDS), "多个汉字", "少了")
    wrong(ex07.check_han_counts({"one": 1, "many": 2}, WORDS), "答案应该是")
    wrong(ex07.check_han_counts({"一个汉字": 1.5, "多个汉字": 2}, WORDS), "整数")
    wrong(ex07.check_han_counts(..., WORDS), "还没有作答")


# --- the slow reference itself ---------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(alphabet="ab你🌍", min_size=1, max_size=6), st.integers(1, 5), max_size=6),
       st.integers(0, 12))
def test_recount_bpe_agrees_with_the_incremental_trainer(word_counts, num_merges):
    import warnings

    expected = recount_bpe(word_counts, num_merges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ex07._stopped_early())  # small tables run out of pairs
        merges = train_bpe_from_counts(word_counts, 256 + num_merges)[1]
    assert merges == expected


def test_recount_bpe_on_the_lecture_style_example_and_bad_input():
    assert recount_bpe({"low": 5, "lower": 2, "newest": 6}, 3) == [(b"w", b"e"), (b"l", b"o"), (b"we", b"s")]
    assert recount_bpe({"aaa": 1}, 5) == [(b"a", b"a"), (b"aa", b"a")]  # stops when one token is left
    assert recount_bpe({b"ab": 2, "ab": 1}, 1) == [(b"a", b"b")]  # str and bytes keys add up
    with pytest.raises(ValueError, match="num_merges"):
        recount_bpe({"ab": 1}, -1)


# --- a learner's edited copy (lecture_utils.edit_source) is checked like the original ---------------

@pytest.mark.parametrize("name, check", [
    ("merge", ex07.check_merge), ("count_pairs", ex07.check_count_pairs),
    ("train_toy_bpe", ex07.check_train_toy_bpe), ("_readable_merge_loop", ex07.check_merge_loop),
])
def test_an_edit_source_copy_runs_and_is_checked(name, check, capsys):
    import lecture_utils
    from lecture_utils.tokenizers import toy_bpe

    obj = getattr(bpe_train if name == "_readable_merge_loop" else toy_bpe, name)
    cell = lecture_utils.edit_source(obj)  # outside IPython the cell's text is printed and returned
    namespace: dict = {}
    exec(compile(cell, f"<edited {name}>", "exec"), namespace)
    assert namespace[name] is not obj
    right(check(namespace[name]))
    # the same copy with a deliberate slip is caught
    if name == "merge":
        broken = cell.replace("i += 2", "i += 1")
        assert broken != cell
        exec(compile(broken, "<broken merge>", "exec"), namespace)
        wrong(check(namespace[name]), "不对")


# --- notebook 07 explains the trainer's core as it is ---------------------------------------------

def test_notebook_07_explains_the_merge_loop_that_exists():
    """The names the step-by-step explanation cites are still in bpe_train's source (else re-word 07)."""
    import inspect
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "notebooks" / "07_bpe_tokenizer.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    shown = [c for c in cells if c["cell_type"] == "code"
             and "show_source(bpe_train._readable_merge_loop)" in "".join(c["source"])]
    assert shown, "07 no longer shows bpe_train._readable_merge_loop"
    explanation = next("".join(c["source"]) for c in cells
                       if c["cell_type"] == "markdown" and "一步一步看" in "".join(c["source"]))
    module = inspect.getsource(bpe_train)
    loop = inspect.getsource(bpe_train._readable_merge_loop)
    for name in regex.findall(r"`([A-Za-z_][A-Za-z_0-9]*)`", explanation):
        if name in {"str", "chr", "split", "join", "id"}:
            continue
        where = module if name.startswith("_") else loop
        assert regex.search(rf"\b{regex.escape(name)}\b", where), f"07 explains `{name}`, which bpe_train no longer has"
