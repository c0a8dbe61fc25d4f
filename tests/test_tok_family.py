"""The tiktoken family: gpt2, r50k_base, p50k_base, cl100k_base, o200k_base (issue 9 §3).

Ids equal tiktoken's on 5 MB of mixed text per main encoding, `encode_iterable` equals `encode`, and
for every pattern the fast `re` path equals the `regex` reference and every reported cut is safe.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.data import embedded_corpus, stdlib_source
from lecture_utils.encodings import get_encoding
from lecture_utils.tokenizers import BPETokenizer
from lecture_utils.tokenizers.pretokenize import (PATTERNS, exact_pattern, fast_pattern, find_byte_cut, find_cut,
                                                  iter_blocks, pretokenize)

MAIN = ["gpt2", "cl100k_base", "o200k_base"]
TRICKY = (" \n\t\r\x0b\x0c\x1c\x1f\x85\xa0\u2009\u3000'sdmtlvreSDMTLVRE ABab019٣²½,.!?-_/你好。🎉👩‍👧\u0301"
          "\u017f\u212a𝐀𝟙")  # ſ and K (case folding), 𝐀 and 𝟙 (a letter and a digit beyond U+FFFF)
tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=60)
any_text = st.text(max_size=60)


def mixed_text(n_bytes: int) -> str:
    """Code, English, Chinese, emoji and digit-heavy text, interleaved in 64 KB pieces, about n_bytes long."""
    rng = random.Random(9)
    digits = "".join(rng.choice(["3.14159 ", "2026-12-01 ", "1,234,567 ", "0x1F600 ", "１２３ ", "٣٤ ", "\n"])
                     for _ in range(40_000))
    emoji = "".join(rng.choice(["🎉", "👩‍👧", "😀 ", "🇨🇳", "✨\n", "👍🏽", " 🙂🙂", "𝐀𝐁 "]) for _ in range(60_000))
    sources = [stdlib_source(n_bytes), embedded_corpus("all"), digits, emoji]
    pieces, at = [], [0] * len(sources)
    while sum(len(p.encode("utf-8")) for p in pieces) < n_bytes and any(a < len(s) for a, s in zip(at, sources)):
        for k, s in enumerate(sources):
            pieces.append(s[at[k]:at[k] + 65536])
            at[k] += 65536
    return "".join(pieces)


@pytest.fixture(scope="module")
def text():
    return mixed_text(5_000_000)


@pytest.fixture(scope="module", params=MAIN)
def pair(request):
    return _tokenizer(request.param), get_encoding(request.param)


def test_same_ids_as_tiktoken_on_5mb(pair, text):
    tok, enc = pair
    assert len(text.encode("utf-8")) >= 5_000_000
    assert tok.encode(text) == enc.encode(text, allowed_special="all")


@pytest.mark.parametrize("name", ["r50k_base", "p50k_base"])
def test_r50k_p50k(name, text):
    tok, enc = BPETokenizer.from_tiktoken(name), get_encoding(name)
    sample = text[:1_000_000] + "<|endoftext|>" + " " * 30 + "x" + "\t  \n   y"
    assert tok.encode(sample) == enc.encode(sample, allowed_special="all")
    assert tok.special_tokens == {"<|endoftext|>": 50256} and tok.vocab_size == enc.n_vocab


def test_special_tokens_of_each(pair):
    tok, enc = pair
    assert tok.special_tokens == {s: enc.encode_single_token(s) for s in enc.special_tokens_set}
    for s in enc.special_tokens_set:
        assert tok.encode(f"a{s}b") == enc.encode(f"a{s}b", allowed_special="all")


def test_encode_iterable_equals_encode(pair, text):
    tok, _ = pair
    sample = text[2_000_000:2_300_000]
    lines = sample.splitlines(keepends=True)
    assert list(tok.encode_iterable(lines)) == tok.encode(sample)
    assert list(tok.encode_iterable(iter([sample]), chunk_chars=1000)) == tok.encode(sample)


@pytest.mark.parametrize("name", MAIN)
@settings(max_examples=60, deadline=None)
@given(st.one_of(tricky_text, any_text))
def test_property_round_trip_and_tiktoken(name, text):
    tok, enc = _tokenizer(name), get_encoding(name)
    ids = tok.encode(text)
    assert ids == enc.encode(text, disallowed_special=())
    assert tok.decode(ids) == text


_TOKENIZERS: dict[str, BPETokenizer] = {}


def _tokenizer(name: str) -> BPETokenizer:
    if name not in _TOKENIZERS:
        _TOKENIZERS[name] = BPETokenizer.from_tiktoken(name)
    return _TOKENIZERS[name]


@pytest.mark.parametrize("name", list(PATTERNS))
@settings(max_examples=150, deadline=None)
@given(st.one_of(tricky_text, any_text))
def test_fast_path_equals_regex(name, text):
    assert pretokenize(text, name) == exact_pattern(name).findall(text)
    if all(ord(c) <= 0xFFFF for c in text):
        assert fast_pattern(name).findall(text) == exact_pattern(name).findall(text)


@pytest.mark.parametrize("name", MAIN)
@settings(max_examples=150, deadline=None)
@given(tricky_text)
def test_every_cut_is_safe(name, text):
    full = exact_pattern(name).findall(text)
    for c in range(1, len(text)):
        if find_cut(text, c, c - 1, name) == c:
            assert exact_pattern(name).findall(text[:c]) + exact_pattern(name).findall(text[c:]) == full, c
    data = text.encode("utf-8")
    cut = find_byte_cut(data, 0, name)
    while cut >= 0:
        head, tail = data[:cut].decode("utf-8"), data[cut:].decode("utf-8")
        assert exact_pattern(name).findall(head) + exact_pattern(name).findall(tail) == full
        cut = find_byte_cut(data, cut + 1, name)
    blocks = list(iter_blocks(text, 5, pattern=name))
    assert "".join(blocks) == text and [p for b in blocks for p in exact_pattern(name).findall(b)] == full


def test_custom_pattern_is_used_whole():
    tok = BPETokenizer({i: bytes([i]) for i in range(256)}, [], pattern=r"\w+|\s+|[^\w\s]+")
    assert pretokenize("ab, cd", tok.pattern) == ["ab", ",", " ", "cd"]
    assert tok.decode(tok.encode("ab, cd 你好")) == "ab, cd 你好"
    assert find_cut("ab cd", 3, pattern=tok.pattern) == -1
