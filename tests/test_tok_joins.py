"""Cutting long non-ASCII pre-tokens at free joins: the fast regex never cuts where a token could straddle.

`BPETokenizer._free_parts` cuts a pre-token between characters where no learned token can straddle
the join; a regex (`_join_regexes`) keeps only the joins whose left character may end and right
character may start a straddling token. These tests check the character sets against brute force
over the whole BMP, each cut against the pair-by-pair test, and the ids against tiktoken.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.encodings import get_encoding
from lecture_utils.tokenizers import BPETokenizer
from lecture_utils.tokenizers import bpe
from lecture_utils.tokenizers.bpe_train import train_bpe_from_text
from test_bpe_tokenizer import replay_merges

# CJK, kana, hangul, Latin-1, Cyrillic, a combining mark, emoji and letters beyond U+FFFF, ASCII letters
ALPHABET = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
            "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
            "あいうアイウ한국어éàüßñçøЖжЯя\u0301😀🎉𝐀 abcXYZ'。，！")
pieces = st.text(alphabet=st.sampled_from(ALPHABET), min_size=2, max_size=40)


@pytest.fixture(scope="module")
def gpt2():
    return BPETokenizer.from_tiktoken("gpt2")


@pytest.fixture(scope="module")
def trained():
    """A tokenizer trained on Chinese-heavy text: many merges that straddle character joins."""
    text = "".join(ALPHABET[(i * i + 7 * i) % len(ALPHABET)] for i in range(6000)) + "你好，世界。的一是不了人我在有他" * 50
    vocab, merges = train_bpe_from_text(text, 460)
    return BPETokenizer(vocab, merges)


def _brute_sets(tok: BPETokenizer) -> tuple[set[int], set[int]]:
    """The BMP characters that end / start one side of some straddling token, by testing every character."""
    straddlers = {pair for pairs in tok._index_straddlers().values() for pair in pairs}
    heads, tails = {}, {}
    for head, tail in straddlers:
        heads.setdefault(head[-1], []).append(head)
        tails.setdefault(tail[0], []).append(tail)
    ends, starts = set(), set()
    for c in range(0x10000):
        if 0xD800 <= c < 0xE000:
            continue
        x = chr(c).encode("utf-8")
        if any(x.endswith(h) if len(h) <= len(x) else h.endswith(x) for h in heads.get(x[-1], ())):
            ends.add(c)
        if any(x.startswith(t) if len(t) <= len(x) else t.startswith(x) for t in tails.get(x[0], ())):
            starts.add(c)
    return ends, starts


def _points(ranges) -> set[int]:
    return {c for first, last in ranges for c in range(first, last + 1) if not 0xD800 <= c < 0xE000}


@pytest.mark.parametrize("which", ["gpt2", "trained"])
def test_character_sets_equal_brute_force(request, which):
    tok = request.getfixturevalue(which)
    straddlers = tok._index_straddlers()
    heads = {head[-4:] for pairs in straddlers.values() for head, _ in pairs}
    tails = {tail[:4] for pairs in straddlers.values() for _, tail in pairs}
    ends, starts = _brute_sets(tok)
    assert ends and starts
    assert _points(bpe._merge_ranges(bpe._chars_ending(heads))) == ends
    assert _points(bpe._merge_ranges(bpe._chars_starting(tails))) == starts


def test_regex_is_used_only_where_it_pays(gpt2, trained):
    assert gpt2._join_regexes() and trained._join_regexes()  # few characters end a straddling token
    cl100k = BPETokenizer.from_tiktoken("cl100k_base")
    assert cl100k._join_regexes() is False  # ~43% of the BMP: the pair-by-pair test alone is faster
    assert cl100k.encode("中文的分词，很长的一句话没有空格") == get_encoding("cl100k_base").encode("中文的分词，很长的一句话没有空格")


@pytest.mark.parametrize("which", ["gpt2", "trained"])
@settings(max_examples=300, deadline=None)
@given(piece=pieces)
def test_every_cut_is_free(request, which, piece):
    tok = request.getfixturevalue(which)
    parts = tok._free_parts(piece)
    assert "".join(parts) == piece
    at = 0
    for part in list(parts)[:-1]:
        at += len(part)
        assert not tok._straddled(piece[at - 1:at + 1]), (piece, at)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(pieces, max_size=8).map(" ".join))
def test_same_ids_as_tiktoken_on_long_non_ascii_runs(gpt2, text):
    assert gpt2.encode(text) == get_encoding("gpt2").encode(text)


def test_trained_tokenizer_equals_merge_replay(trained):
    text = "你好，世界。的一是不了人我在有他这中大来上国个到说们为子和你地出道" * 3 + "あいう한국어😀𝐀的"
    ids = trained.encode(text)
    parts = replay_merges(trained, text)  # the lecture's definition: apply every merge in the order learned
    assert b"".join(trained.vocab[i] for i in ids) == text.encode("utf-8")
    assert [trained.vocab[i] for i in ids] == parts


def test_cache_keeps_a_previous_generation_and_clear_forgets_both():
    calls = []
    memo = bpe._Memo(lambda key: calls.append(key) or (len(key),), limit=4)  # two generations of 2
    assert [memo["a"], memo["bb"], memo["ccc"]] == [(1,), (2,), (3,)]  # the third starts a new generation
    assert len(memo) == 1 and set(memo.previous) == {"a", "bb"}
    assert memo["a"] == (1,) and calls == ["a", "bb", "ccc"]  # found in the previous generation, not recomputed
    memo["dddd"], memo["eeeee"]  # the current generation ("ccc", "a") is full: it becomes the previous one
    assert len(memo) + len(memo.previous) <= 4 and set(memo.previous) == {"ccc", "a"}  # "bb" is gone
    memo.clear()
    assert not memo and not memo.previous
    assert memo["a"] == (1,) and calls[-1] == "a"  # cold again: computed anew


def test_encode_is_exact_across_cache_turnovers():
    tok = BPETokenizer.from_tiktoken("gpt2", cache_size=64)
    text = " ".join(f"word{i % 300}的中文{i % 7}" for i in range(3000))
    assert tok.encode(text) == get_encoding("gpt2").encode(text)
    assert tok._cache.previous  # the cache did turn over


def test_vocabulary_without_straddling_tokens():
    vocab, merges = train_bpe_from_text("the cat sat on the mat " * 20, 266)  # ASCII merges only
    tok = BPETokenizer(vocab, merges)
    text = "猫坐在垫子上 the cat 😀𝐀的"
    assert tok._join_regexes()
    assert tok.decode(tok.encode(text)) == text
    assert tok._free_parts("猫坐在垫子上") == "猫坐在垫子上"  # every join free
