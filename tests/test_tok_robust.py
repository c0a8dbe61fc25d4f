"""Nothing crashes on long text without cut points, and bad input gets one clear error (issue 9 §1)."""
from __future__ import annotations

import pickle

import pytest

from lecture_utils.encodings import get_encoding, seed_tiktoken_cache
from lecture_utils.tokenizers import (BPETokenizer, ByteTokenizer, CharacterTokenizer, WordTokenizer,
                                      compression_ratio, render_tokens)
from lecture_utils.tokenizers.base import check_id, check_special_tokens
from lecture_utils.tokenizers.bpe import BPEFileError
from lecture_utils.tokenizers.pretokenize import BLOCK_CHARS, exact_pattern, pretokenize

N = 1_050_000  # characters: well past BLOCK_CHARS (65,536), where the old code recursed
# The kinds of text the property tests draw from (tests/test_bpe_pretokenize.py TRICKY), each as a
# stretch with no safe cut point for GPT-2's pattern, an emoji first so the `regex` path is taken.
# (Combining marks after letters, and mixed text, always have cut points: not a crash case.)
LONG = {
    "emoji": "😀" * N,
    "letters": "😀" + "a1" * (N // 2),  # letter/digit alternation: a million pre-tokens, no cut point
    "cjk": "😀" + "你" * N,
    "digits": "😀" + "7" * N,
    "whitespace": "😀" + " \t\u3000" * (N // 3),
    "crlf": "😀" + "\r\n" * (N // 2),
    "symbols": "😀" + "!?" * (N // 2),
}


@pytest.fixture(scope="module")
def gpt2():
    return BPETokenizer.from_tiktoken("gpt2")


def test_issue_reproducer_no_recursion(gpt2):
    text = "😀" * (BLOCK_CHARS + 1)
    assert pretokenize(text) == exact_pattern().findall(text)
    assert gpt2.encode(text) == get_encoding("gpt2").encode(text)
    assert list(gpt2.encode_iterable([text])) == gpt2.encode(text)


FEW_PIECES = ["emoji", "cjk", "digits", "whitespace", "crlf", "symbols"]  # a million characters in a few pre-tokens


@pytest.mark.parametrize("pattern", ["gpt2", "cl100k_base", "o200k_base"])
def test_pretokenize_million_chars(pattern):
    for kind in FEW_PIECES:
        assert pretokenize(LONG[kind], pattern) == exact_pattern(pattern).findall(LONG[kind]), kind


def test_encode_million_chars_without_a_cut(gpt2):
    text = LONG["letters"]  # a million pre-tokens and no cut point (marks and tricky text have cut points)
    ids = gpt2.encode(text)
    assert ids == get_encoding("gpt2").encode(text)
    assert list(gpt2.encode_iterable(iter([text[:1000], text[1000:]]))) == ids


# --- one clear error for each bad input ----------------------------------------------------------

def test_float_and_bool_ids_are_refused_not_truncated(gpt2):
    enc = get_encoding("gpt2")
    for bad in (3.0, True, 2.5):
        with pytest.raises(TypeError, match="not an int id"):
            render_tokens([bad], enc)
        with pytest.raises(TypeError, match="not an int id"):
            gpt2.token_bytes(bad)
        with pytest.raises(TypeError, match="not an int id"):
            CharacterTokenizer().token_bytes(bad)
    with pytest.raises(TypeError, match=r"for one id write \[5\]"):
        render_tokens(5, enc)
    assert check_id(7) == 7
    np = pytest.importorskip("numpy")
    assert check_id(np.int64(7)) == 7 and type(check_id(np.int64(7))) is int


def test_word_pattern_with_groups_is_refused():
    with pytest.raises(ValueError, match=r"capture groups.*\(\?:\.\.\.\)"):
        WordTokenizer.train("a b", pattern=r"(\w+)|.")
    with pytest.raises(ValueError, match="capture groups"):
        WordTokenizer(["a"], pattern=r"(a)|.")
    with pytest.raises(ValueError, match="capture groups"):
        BPETokenizer({i: bytes([i]) for i in range(256)}, [], pattern=r"(\w+)|\s")


def test_lone_surrogate_is_one_clear_error():
    word = WordTokenizer.train("a b")
    for call in (lambda: CharacterTokenizer().encode("a\ud800"), lambda: word.encode("a\ud800"),
                 lambda: WordTokenizer.train("a\udfff"), lambda: compression_ratio("a\ud800", [1]),
                 lambda: CharacterTokenizer().token_bytes(0xD800), lambda: check_special_tokens(["<\ud800>"])):
        with pytest.raises(ValueError, match="lone surrogate"):
            call()


def test_seed_tiktoken_cache_takes_one_name(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert seed_tiktoken_cache("gpt2") == tmp_path
    with pytest.raises(ValueError, match="choose one of"):
        seed_tiktoken_cache("gpt5")
    with pytest.raises(TypeError, match="encoding name"):
        seed_tiktoken_cache(5)


def test_gpt2_files_errors_name_the_path(tmp_path):
    bad = tmp_path / "encoder.json"
    bad.write_text("{not json", encoding="utf-8")
    merges = tmp_path / "vocab.bpe"
    merges.write_text("#version: 0.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"encoder\.json is not valid JSON \(line 1"):
        BPETokenizer.from_gpt2_files(bad, merges)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON object of token -> int id"):
        BPETokenizer.from_gpt2_files(bad, merges)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        BPETokenizer.from_gpt2_files(tmp_path / "missing.json", merges)


@pytest.mark.parametrize("name", ["gpt2", "o200k_base"])
def test_crlf_tokenizer_file_loads(tmp_path, name):
    tok = BPETokenizer.from_tiktoken(name) if name == "gpt2" else _small("o200k_base")
    path = tok.save(tmp_path / "tok.bpe")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # e.g. git autocrlf on Windows
    back = BPETokenizer.load(path)
    text = "Hello <|endoftext|> 你好, world!\r\n"
    assert back.encode(text) == tok.encode(text) and back.pattern == tok.pattern
    path.write_bytes(path.read_bytes().replace(b"vocab", b"vocob", 1))
    with pytest.raises(BPEFileError, match="line [23]: expected 'vocab <count>'"):
        BPETokenizer.load(path)


def _small(pattern: str) -> BPETokenizer:
    from lecture_utils.tokenizers import train_bpe_from_text

    vocab, merges = train_bpe_from_text("hello world, 你好世界 " * 50, 264, ["<|endoftext|>"], pattern=pattern)
    return BPETokenizer(vocab, merges, ["<|endoftext|>"], pattern=pattern)


def test_pickle_keeps_pattern_and_ids():
    tok = _small("cl100k_base")
    back = pickle.loads(pickle.dumps(tok))
    text = "hello world<|endoftext|>你好 123456"
    assert back.encode(text) == tok.encode(text) and back.pattern == "cl100k_base"


def test_special_tokens_check():
    assert check_special_tokens(None) == [] and check_special_tokens(("<a>", "<b>")) == ["<a>", "<b>"]
    for bad, err, match in [("<a>", TypeError, r"write special_tokens=\['<a>'\]"), ([b"<a>"], TypeError, "decode bytes"),
                            ([""], ValueError, "empty"), (["<a>", "<a>"], ValueError, "distinct"),
                            (5, TypeError, "list of str"), ([5], TypeError, "must be str")]:
        with pytest.raises(err, match=match):
            check_special_tokens(bad)
    with pytest.raises(TypeError, match="write special_tokens"):
        BPETokenizer({i: bytes([i]) for i in range(256)}, [], "<|endoftext|>")


def test_bad_patterns_and_arguments(gpt2):
    with pytest.raises(ValueError, match="neither a known name"):
        BPETokenizer({i: bytes([i]) for i in range(256)}, [], pattern="(")
    with pytest.raises(TypeError, match="pattern must be"):
        pretokenize("x", pattern=5)
    for typo in ("gpt5", "o200k", "cl100k-base"):  # a bare word is a mistyped name, not a literal regex
        with pytest.raises(ValueError, match="unknown pattern name"):
            pretokenize("x", pattern=typo)
    from lecture_utils.tokenizers import train_bpe_from_text
    with pytest.raises(ValueError, match="unknown pattern name"):
        train_bpe_from_text("some text", 260, pattern="gpt5")
    with pytest.raises(ValueError, match="chunk_chars"):
        gpt2.encode_iterable(["x"], chunk_chars=0)
    assert ByteTokenizer().encode("é") == [195, 169]
