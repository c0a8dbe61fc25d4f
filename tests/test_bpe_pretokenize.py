"""GPT-2 pre-tokenization (fast `re` path == `regex` reference), safe cut points, special-token splitting."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.data import stdlib_source
from lecture_utils.tokenizers.pretokenize import (
    exact_pattern,
    fast_pattern,
    find_byte_cut,
    find_cut,
    find_cut_forward,
    inside_special,
    iter_blocks,
    piece_regex,
    pretokenize,
    split_specials,
)

# Characters that exercise every alternative of the pattern and every class boundary: contractions,
# letters (Latin, CJK), digits (ASCII, other scripts), symbols, emoji, and whitespace of all kinds
# (including U+001C..U+001F, which `re` calls whitespace but `regex` does not, and U+0085/U+3000).
TRICKY = " \n\t\r\x0b\x0c\x1c\x1f\x85\xa0\u2009\u3000'sdmtlvre ABab019٣²½,.!?-_你好。🎉👩‍👧\u0301"
tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=60)
any_text = st.text(max_size=60)  # any code point except lone surrogates


def pieces(text: str) -> list[str]:
    return exact_pattern().findall(text)


def test_known_split():
    assert pretokenize("I'll say supercalifragilisticexpialidocious!") == [
        "I", "'ll", " say", " supercalifragilisticexpialidocious", "!"]
    assert pretokenize("Hello world!!  \n\n x") == ["Hello", " world", "!!", "  \n\n", " x"]
    assert pretokenize("") == []


@settings(max_examples=300, deadline=None)
@given(st.one_of(tricky_text, any_text))
def test_pretokenize_equals_regex(text):
    assert pretokenize(text) == pieces(text)
    if all(ord(c) <= 0xFFFF for c in text):
        assert fast_pattern().findall(text) == pieces(text)


def test_pretokenize_equals_regex_on_real_text():
    text = stdlib_source(1_000_000)
    assert pretokenize(text) == pieces(text)


def test_long_text_with_emoji_takes_block_path():
    text = ("def f(x):\n    return x  # 你好 🎉\n" * 4000) + "end 👩‍👧"
    assert len(text) > 65536
    assert pretokenize(text) == pieces(text)


@settings(max_examples=200, deadline=None)
@given(tricky_text)
def test_every_reported_cut_is_safe(text):
    full = pieces(text)
    for c in range(1, len(text)):
        if find_cut(text, c, c - 1) == c:  # c is a cut point
            assert pieces(text[:c]) + pieces(text[c:]) == full, c


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(tricky_text, any_text), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_whitespace_led_pieces_join_in_any_order(texts, rng):
    """bpe_count's pieces: every boundary is a cut, and the inner pieces of any texts join in any order."""
    rule = piece_regex("gpt2")
    inner = []
    for text in texts:
        found = rule.findall(text)
        assert "".join(found) == text
        assert [w for p in found for w in pieces(p)] == pieces(text)
        inner += found[1:-1]  # the first may start without whitespace, the last may be whitespace only
    rng.shuffle(inner)
    assert pretokenize("".join(inner)) == [w for p in inner for w in pieces(p)]
    assert piece_regex("cl100k_base") is None and piece_regex(r"\w+|\s") is None


@settings(max_examples=200, deadline=None)
@given(tricky_text, st.integers(0, 70), st.integers(1, 9))
def test_cut_search_contracts(text, hi, size):
    cut = find_cut(text, hi)
    assert cut == -1 or 0 < cut <= hi and cut < len(text)
    forward = find_cut_forward(text, hi)
    assert forward == -1 or hi <= forward < len(text) and find_cut(text, forward, forward - 1) == forward
    blocks = list(iter_blocks(text, size))
    assert "".join(blocks) == text
    assert [p for b in blocks for p in pieces(b)] == pieces(text)


@settings(max_examples=200, deadline=None)
@given(tricky_text)
def test_byte_cuts_are_str_cuts(text):
    data = text.encode("utf-8")
    cut = find_byte_cut(data, 0)
    while cut >= 0:
        head, tail = data[:cut].decode("utf-8"), data[cut:].decode("utf-8")
        assert pieces(head) + pieces(tail) == pieces(text)
        cut = find_byte_cut(data, cut + 1)


def test_specials_longest_first_and_inside():
    specials = ["<|a|>", "<|a|><|b|>"]
    assert split_specials("x<|a|><|b|>y<|a|>", specials) == ["x", "<|a|><|b|>", "y", "<|a|>", ""]
    assert split_specials("plain", []) == ["plain"]
    text = "ab<|a|>cd"
    assert [c for c in range(len(text) + 1) if inside_special(text, c, ["<|a|>"])] == [3, 4, 5, 6]
    assert inside_special(b"ab<|a|>cd", 4, [b"<|a|>"])


@pytest.mark.parametrize("text", ["", "x", " ", "\n\n\n", "abc def", "你好 世界"])
def test_iter_blocks_small(text):
    assert "".join(iter_blocks(text, 2)) == text
