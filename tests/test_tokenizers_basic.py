"""Character, byte and word tokenizers: round trips, the lecture's numbers, clear errors, UNK/OOV."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.tokenizers import (GPT2_SPLIT_PATTERN, SIMPLE_WORD_PATTERN, ByteTokenizer, CharacterTokenizer,
                                      WordTokenizer, compression_ratio)
from lecture_utils.tokenizers.base import UNK_TOKEN

EXAMPLE = "Hello, 🌍! 你好!"  # the lecture's running example: 13 code points, 20 UTF-8 bytes
SUPERCAL = "I'll say supercalifragilisticexpialidocious!"
STRINGS = ["", "a", "🌍", "你好", "e\u0301", "Hello, 🌍! 你好!", "line one\nline two\r\n\ttab", "x" * 1000,
           "🏳️‍🌈 family 👨‍👩‍👧", "٣ digits ١٢ and ½"]
# any Unicode except lone surrogates (they have no UTF-8 form), with combining marks, emoji and CJK mixed in
TEXT = st.text(st.characters(blacklist_categories=("Cs",))) | st.lists(
    st.sampled_from(["e", "\u0301", "\u0308", "🌍", "👍🏽", "\u200d", "你", "好", " ", "\n", "!"])).map("".join)

SIMPLE_TOKENIZERS = [CharacterTokenizer(), ByteTokenizer(), ByteTokenizer(errors="strict")]


@pytest.mark.parametrize("tok", SIMPLE_TOKENIZERS, ids=repr)
@pytest.mark.parametrize("text", STRINGS)
def test_round_trip_examples(tok, text):
    assert tok.decode(tok.encode(text)) == text


@pytest.mark.parametrize("tok", SIMPLE_TOKENIZERS, ids=repr)
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_round_trip_any_unicode(tok, text):
    ids = tok.encode(text)
    assert all(0 <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == text


@pytest.mark.parametrize("pattern", [SIMPLE_WORD_PATTERN, GPT2_SPLIT_PATTERN])
@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_word_round_trip_in_vocabulary(pattern, text):
    tok = WordTokenizer.train(text, pattern)  # every segment of the training text is in the vocabulary
    ids = tok.encode(text)
    assert tok.unk_id not in ids
    assert tok.decode(ids) == text


def test_lecture_character_tokenizer():
    ids = CharacterTokenizer().encode(EXAMPLE)
    assert ids == [72, 101, 108, 108, 111, 44, 32, 127757, 33, 32, 20320, 22909, 33]
    assert max(ids) + 1 == 127758
    assert round(compression_ratio(EXAMPLE, ids), 3) == 1.538


def test_lecture_byte_tokenizer():
    ids = ByteTokenizer().encode(EXAMPLE)
    assert ids == [72, 101, 108, 108, 111, 44, 32, 240, 159, 140, 141, 33, 32, 228, 189, 160, 229, 165, 189, 33]
    assert compression_ratio(EXAMPLE, ids) == 1.0
    assert ByteTokenizer().encode("🌍") == list(b"\xf0\x9f\x8c\x8d")


def test_lecture_word_splits_and_ratio():
    simple = WordTokenizer.train(SUPERCAL, SIMPLE_WORD_PATTERN)
    assert simple.split(SUPERCAL) == ["I", "'", "ll", " ", "say", " ", "supercalifragilisticexpialidocious", "!"]
    gpt2 = WordTokenizer.train(SUPERCAL, GPT2_SPLIT_PATTERN)
    assert gpt2.split(SUPERCAL) == ["I", "'ll", " say", " supercalifragilisticexpialidocious", "!"]
    ids = gpt2.encode(SUPERCAL)
    assert (len(SUPERCAL.encode()), len(ids)) == (44, 5)
    assert compression_ratio(SUPERCAL, ids) == 8.8


def test_compression_ratio_definition():
    assert compression_ratio("hello", [1, 2]) == 2.5
    assert compression_ratio("你", [0]) == 3.0  # bytes, not characters
    with pytest.raises(ValueError, match="at least one token"):
        compression_ratio("", [])
    with pytest.raises(TypeError, match="text as a str first"):  # arguments swapped, or a tokenizer passed
        compression_ratio([1, 2], "hello")


def test_byte_decode_partial_utf8():
    assert ByteTokenizer().decode([72, 240, 159]) == "H\ufffd"
    with pytest.raises(ValueError, match=r"ids\[1:3\].*not valid UTF-8.*errors='replace'"):
        ByteTokenizer(errors="strict").decode([72, 240, 159])
    with pytest.raises(ValueError, match="errors must be"):
        ByteTokenizer(errors="ignore")


@pytest.mark.parametrize("tok", [CharacterTokenizer(), ByteTokenizer(), WordTokenizer.train("a b")], ids=repr)
@pytest.mark.parametrize("bad, error, message", [
    ([1, -1], ValueError, r"ids\[1\] = -1 is out of range"),
    ([1, 2**40], ValueError, r"ids\[1\] = 1099511627776 is out of range"),
    ([1.0], TypeError, r"ids\[0\] = 1.0 is a float"),
    ([True], TypeError, r"ids\[0\] = True is a bool"),
    (["a"], TypeError, r"ids\[0\] = 'a' is a str"),
    ("abc", TypeError, "got str .*call encode"),
    (b"ab", TypeError, "got bytes"),
    (7, TypeError, "got int"),
])
def test_decode_errors(tok, bad, error, message):
    with pytest.raises(error, match=message):
        tok.decode(bad)


@pytest.mark.parametrize("tok", [CharacterTokenizer(), ByteTokenizer(), WordTokenizer.train("a b")], ids=repr)
def test_encode_errors(tok):
    with pytest.raises(TypeError, match="got bytes; decode them first"):
        tok.encode(b"abc")
    with pytest.raises(TypeError, match="got list"):
        tok.encode(["abc"])


def test_lone_surrogate_has_clear_error():
    with pytest.raises(ValueError, match="lone surrogate"):
        ByteTokenizer().encode("a\ud800")


def test_decode_accepts_numpy_ints():
    np = pytest.importorskip("numpy")
    assert ByteTokenizer().decode(np.array([104, 105])) == "hi"
    assert CharacterTokenizer().decode(np.array([104, 105])) == "hi"


def test_word_vocabulary_order_min_count_and_max_vocab():
    corpus = "the cat sat on the mat"
    tok = WordTokenizer.train(corpus)
    # " " (5 times), "the" (2), then the rest in first-seen order; id 0 is UNK
    assert tok.id_to_word == [UNK_TOKEN, " ", "the", "cat", "sat", "on", "mat"]
    assert WordTokenizer.train(corpus, min_count=2).id_to_word == [UNK_TOKEN, " ", "the"]
    assert WordTokenizer.train(corpus, max_vocab=4).id_to_word == [UNK_TOKEN, " ", "the", "cat"]
    assert WordTokenizer.train(["the cat", "the dog"]).id_to_word == [UNK_TOKEN, "the", " ", "cat", "dog"]


def test_word_unk_and_oov_rate_hand_checked():
    tok = WordTokenizer.train("the cat sat on the mat")
    # "the dog sat." -> the, " ", dog, " ", sat, "."  : dog and "." are unseen -> 2 of 6 segments
    assert tok.encode("the dog sat.") == [2, 1, 0, 1, 4, 0]
    assert tok.decode(tok.encode("the dog sat.")) == "the <|unk|> sat<|unk|>"
    assert tok.oov_rate("the dog sat.") == pytest.approx(2 / 6)
    assert tok.oov_rate("the cat") == 0.0
    with pytest.raises(ValueError, match="text is empty"):
        tok.oov_rate("")


def test_word_newlines_are_segments():
    tok = WordTokenizer.train("a\nb")
    assert tok.split("a\nb") == ["a", "\n", "b"]
    assert tok.decode(tok.encode("a\nb")) == "a\nb"


def test_word_pattern_that_drops_text_is_an_error():
    tok = WordTokenizer.train("ab", pattern=r"\w+")
    with pytest.raises(ValueError, match="does not cover the whole text"):
        tok.encode("a b")


@pytest.mark.parametrize("kwargs, message", [
    ({"min_count": 0}, "min_count"), ({"max_vocab": 0}, "max_vocab"), ({"max_vocab": 2.5}, "max_vocab")])
def test_word_train_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WordTokenizer.train("a b", **kwargs)


def test_word_reserved_and_duplicate_words():
    with pytest.raises(ValueError, match="reserved"):
        WordTokenizer([UNK_TOKEN])
    with pytest.raises(ValueError, match="distinct"):
        WordTokenizer(["a", "a"])


@pytest.mark.parametrize("tok, token_id, expected", [
    (ByteTokenizer(), 240, b"\xf0"), (CharacterTokenizer(), 127757, "🌍".encode()),
    (WordTokenizer.train("hi you"), 1, b"hi"), (WordTokenizer.train("hi you"), 0, UNK_TOKEN.encode())])
def test_token_bytes(tok, token_id, expected):
    assert tok.token_bytes(token_id) == expected
