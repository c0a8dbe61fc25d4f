"""BPETokenizer: tiktoken's gpt2 ids on megabytes of real text, special tokens, streaming encode,
decoding partial UTF-8, save/load round trips and corrupt files, clear errors."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.data import embedded_corpus, stdlib_source
from lecture_utils.encodings import get_encoding
from lecture_utils.tokenizers import BPETokenizer
from lecture_utils.tokenizers.bpe_train import train_bpe_from_text as train_bpe
from lecture_utils.tokenizers.bpe import BPEFileError, FORMAT_NAME, gpt2_bytes_to_unicode

EOT = "<|endoftext|>"


@pytest.fixture(scope="module")
def enc():
    return get_encoding("gpt2")


@pytest.fixture(scope="module")
def gpt2(enc):
    return BPETokenizer.from_tiktoken(enc)


@pytest.fixture(scope="module")
def small():
    """A tokenizer trained on the embedded corpus, with two overlapping special tokens."""
    vocab, merges = train_bpe(embedded_corpus()[:200_000], 600, [EOT, "<|a|>", "<|a|><|b|>"])
    return BPETokenizer(vocab, merges, [EOT, "<|a|>", "<|a|><|b|>"])


# --- equal to tiktoken ---------------------------------------------------------------------------

def test_gpt2_files_and_tiktoken_agree(gpt2):
    files = BPETokenizer.from_gpt2_files()
    assert files.vocab == gpt2.vocab and files.merges == gpt2.merges
    assert files.special_tokens == gpt2.special_tokens == {EOT: 50256}
    assert gpt2.vocab_size == 50257 and len(gpt2.merges) == 50000


def test_same_ids_as_tiktoken_on_5mb_of_real_text(gpt2, enc):
    text = stdlib_source(5_000_000, include_tests=True)
    assert len(text.encode("utf-8")) >= 4_990_000
    ours = gpt2.encode(text)
    assert ours == enc.encode(text, allowed_special="all")
    assert gpt2.decode(ours) == text


@pytest.mark.parametrize("text", [
    "Hello, 🌍! 你好!",
    "人工智能（AI）正在改变世界。大型语言模型的训练需要海量的数据和算力，分词器是其中的第一步。",
    "日本語のテキスト、한국어 텍스트, русский текст, ελληνικά, עברית, العربية",
    "🎉🎉🎉 👩‍👩‍👧‍👦 🇨🇳🇺🇸 ❤️‍🔥 🏳️‍🌈 emoji-heavy 😀😃😄😁",
    "1234567890 3.14159265358979 1e-10 0x1F 12,345,678.90 2024-06-01 +86 138 0013 8000 ¾ ² ٣٤٥",
    "  leading spaces\n\n\n\ttabs \r\n CRLF   trailing   ",
    "I'll say it's can't won't you'RE we've they'd 'S",
    "x" * 5000 + " " * 300 + "!" * 700,
    "\x00\x01\x1c\x1f\x7f\x85\xa0\u2028\u3000\ufeff",
])
def test_same_ids_as_tiktoken(gpt2, enc, text):
    assert gpt2.encode(text) == enc.encode(text)
    assert gpt2.decode(gpt2.encode(text)) == text


def test_endoftext_examples(gpt2):
    assert gpt2.encode(f"{EOT}\n\n") == [50256, 628]
    assert gpt2.encode(f"{EOT}\n\ntesting!") == [50256, 198, 198, 33407, 0]
    assert gpt2.encode("Hello, world!") == [15496, 11, 995, 0]
    assert gpt2.encode_ordinary(EOT) == [27, 91, 437, 1659, 5239, 91, 29]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_same_ids_as_tiktoken_property(gpt2, enc, text):
    assert gpt2.encode_ordinary(text) == enc.encode_ordinary(text)


# --- special tokens --------------------------------------------------------------------------------

def test_overlapping_specials_longest_wins(small):
    a, ab = small.special_tokens["<|a|>"], small.special_tokens["<|a|><|b|>"]
    assert small.encode("<|a|><|b|>") == [ab]
    assert small.encode("<|a|><|a|>") == [a, a]
    assert small.encode("x<|a|><|b|><|a|>") == small.encode("x") + [ab, a]
    assert small.decode(small.encode("<|a|><|b|> and <|a|>")) == "<|a|><|b|> and <|a|>"


def test_special_tokens_are_added_when_missing():
    vocab, merges = train_bpe("hello hello", 260)
    tok = BPETokenizer(vocab, merges, ["<pad>"])
    assert tok.special_tokens == {"<pad>": len(vocab)}
    assert tok.encode("hi<pad>") == tok.encode("hi") + [len(vocab)]


def test_special_token_sharing_bytes_with_a_learned_token():
    vocab, merges = train_bpe("ab ab abc abc ab", 259)  # all 3 merges; learns b"ab" as an ordinary token (id 256)
    assert merges[0] == (b"a", b"b") and vocab[256] == b"ab"
    tok = BPETokenizer(vocab, merges, ["ab"])
    assert tok.special_tokens["ab"] == len(vocab)  # a new id: 256 stays the ordinary token
    assert tok.encode("abc") == [len(vocab), ord("c")]  # special tokens are cut out first
    assert tok.encode_ordinary("abc")[0] != len(vocab) and tok.decode(tok.encode("ab abc")) == "ab abc"
    # Two ids with the same bytes: the merge product is the larger one (train_bpe's layout puts special
    # tokens before merges), and the special token takes the spare one.
    shared = BPETokenizer({**vocab, 999: b"ab"}, merges, ["ab"])
    assert shared.special_tokens["ab"] == 256 and shared.encode_ordinary("ab") == [999]


# --- encode matches "apply every merge in order" (the lecture's definition) ---------------------------

def replay_merges(tok: BPETokenizer, piece: str) -> list[bytes]:
    """The lecture's encoder, per pre-token: apply each merge, in learned order, over the whole piece."""
    parts = [bytes([b]) for b in piece.encode("utf-8")]
    for a, b in tok.merges:
        out, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(parts[i])
                i += 1
        parts = out
    return parts


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="the cat sat on 猫咪坐在垫子上。 1234'", max_size=40))
def test_encode_equals_merge_replay(small, text):
    from lecture_utils.tokenizers.pretokenize import pretokenize

    expected = [t for piece in pretokenize(text) for t in replay_merges(small, piece)]
    assert [small.vocab[i] for i in small.encode_ordinary(text)] == expected


# --- encode_iterable --------------------------------------------------------------------------------

def split_at(text: str, cuts: list[int]) -> list[str]:
    cuts = sorted({min(c, len(text)) for c in cuts})
    return [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]


STREAM_ALPHABET = st.sampled_from(list("ab 你🎉'sl1.\n\t") + ["\n\n\n", "   ", EOT, "<|endof", "text|>", "<|a|>", "<|b|>"])


@settings(max_examples=150, deadline=None)
@given(st.lists(STREAM_ALPHABET, max_size=60).map("".join), st.lists(st.integers(0, 400), max_size=30),
       st.integers(1, 40))
def test_encode_iterable_equals_encode(gpt2, small, text, cuts, chunk_chars):
    chunks = split_at(text, cuts)
    assert "".join(chunks) == text
    for tok in (gpt2, small):
        assert list(tok.encode_iterable(chunks, chunk_chars=chunk_chars)) == tok.encode(text)


@pytest.mark.parametrize("chunks", [
    ["hello\n", "\n", "\nworld"],  # a whitespace run split over three chunks
    ["hel", "lo wor", "ld"],  # words cut in half
    ["<|endof", "text|>", "\n\n", "testing!"],  # a special token cut in half
    ["<", "|", "e", "n", "d", "o", "f", "t", "e", "x", "t", "|", ">"],
    ["   ", "   ", "  x"],
    ["", "", "a", ""],
    [],
])
def test_encode_iterable_adversarial(gpt2, chunks):
    assert list(gpt2.encode_iterable(chunks, chunk_chars=1)) == gpt2.encode("".join(chunks))


def test_encode_iterable_on_a_file(gpt2, tmp_path):
    text = stdlib_source(300_000) + f"\n{EOT}\n你好 🎉\n" * 50
    path = tmp_path / "input.txt"
    path.write_text(text, encoding="utf-8", newline="")
    with open(path, encoding="utf-8", newline="") as f:
        assert list(gpt2.encode_iterable(f)) == gpt2.encode(text)


def test_encode_iterable_is_lazy(gpt2):
    endless = itertools.cycle(["one line of text,\n", "and another one\n\n"])
    first = list(itertools.islice(gpt2.encode_iterable(endless, chunk_chars=64), 1000))
    assert len(first) == 1000  # returned although the input never ends: memory stays bounded



def test_encode_leaves_the_garbage_collector_as_it_was(gpt2):
    import gc

    assert gc.isenabled()
    assert gpt2.encode("gc stays on 你好") == gpt2.encode_ordinary("gc stays on 你好")
    assert gc.isenabled()
    with pytest.raises(ValueError, match="surrogate"):
        gpt2.encode("lone \ud800 surrogate")  # an error inside the paused stretch still resumes it
    assert gc.isenabled()
    gc.disable()
    try:
        gpt2.encode("left off when it was off")
        assert not gc.isenabled()
    finally:
        gc.enable()

# --- decoding ----------------------------------------------------------------------------------------

def test_decode_partial_utf8_never_raises(gpt2):
    ids = gpt2.encode("你好 🌍")
    pieces = [gpt2.decode([i]) for i in ids]
    assert "\ufffd" in "".join(pieces)  # some tokens are parts of a character
    assert gpt2.decode(ids) == "你好 🌍"
    assert gpt2.decode_bytes(ids) == "你好 🌍".encode("utf-8")
    assert gpt2.decode(ids[:1]) == "\ufffd"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100))
def test_round_trip_any_text(small, text):
    assert small.decode(small.encode(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 599), max_size=30))
def test_decode_any_ids(small, ids):
    assert small.decode(ids) == small.decode_bytes(ids).decode("utf-8", errors="replace")


# --- save / load -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["small", "gpt2"])
def test_save_load_round_trip(request, tmp_path, name):
    tok = request.getfixturevalue(name)
    path = tok.save(tmp_path / "sub" / "tok.txt")
    loaded = BPETokenizer.load(path)
    assert loaded.vocab == tok.vocab and loaded.merges == tok.merges
    assert loaded.special_tokens == tok.special_tokens
    sample = "Hello, 🌍! 你好! <|endoftext|> x<|a|><|b|>"
    assert loaded.encode(sample) == tok.encode(sample)
    assert path.read_text(encoding="utf-8").startswith(f"{FORMAT_NAME} v1\nvocab {tok.vocab_size}\n")
    assert [p.name for p in path.parent.iterdir()] == ["tok.txt"]  # no temporary file left behind


def test_round_trip_arbitrary_bytes(tmp_path):
    vocab = {i: bytes([i]) for i in range(256)}
    weird = [(b"\x00", b"\n"), (b"\xff", b" "), (b"\x00\n", b"\xff ")]
    for a, b in weird:
        vocab[len(vocab)] = a + b
    tok = BPETokenizer(vocab, weird, ["<|\u00e9\u4f60|>"])
    loaded = BPETokenizer.load(tok.save(tmp_path / "t.bpe"))
    assert loaded.merges == weird and loaded.vocab == tok.vocab and loaded.special_tokens == tok.special_tokens


def test_save_is_atomic(small, tmp_path, monkeypatch):
    path = small.save(tmp_path / "tok.txt")
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        small.save(path)
    assert path.read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["tok.txt"]


def _corrupt(text: str, how: str) -> str:
    lines = text.split("\n")
    if how == "header":
        lines[0] = "something else"
    elif how == "version":
        lines[0] = f"{FORMAT_NAME} v99"
    elif how == "truncated":
        return "\n".join(lines[: len(lines) // 2])
    elif how == "no_end":
        return "\n".join(lines[:-2]) + "\n"
    elif how == "bad_hex":
        lines[300] = "300 zz"
    elif how == "edited":
        lines[300] = lines[300].split(" ")[0] + " ff"
    elif how == "count":
        lines[1] = "vocab 12x"
    elif how == "duplicate_id":
        lines[3] = "0 " + lines[3].split(" ")[1]
    elif how == "extra":
        return text + "more\n"
    elif how == "empty":
        return ""
    return "\n".join(lines)


@pytest.mark.parametrize("how, message", [
    ("header", "line 1: expected"),
    ("version", "v99"),
    ("truncated", "line"),
    ("no_end", "end sha256"),
    ("bad_hex", "line 301"),
    ("edited", "sha256 digest does not match"),
    ("count", "line 2"),
    ("duplicate_id", "line 4: id 0 appears twice"),
    ("extra", "after the 'end' line"),
    ("empty", "empty"),
])
def test_corrupt_files_name_the_line(small, tmp_path, how, message):
    path = small.save(tmp_path / "tok.txt")
    path.write_text(_corrupt(path.read_text(encoding="utf-8"), how), encoding="utf-8")
    with pytest.raises(BPEFileError, match=message) as info:
        BPETokenizer.load(path)
    assert "BPETokenizer" in str(info.value)  # and says what to do


def test_missing_file_and_folder_say_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer file not found"):
        BPETokenizer.load(tmp_path / "nope.txt")
    with pytest.raises(IsADirectoryError, match="is a folder; pass the tokenizer file"):
        BPETokenizer.load(tmp_path)


def test_mismatched_file(small, tmp_path):
    import hashlib

    text = small.save(tmp_path / "tok.txt").read_text(encoding="utf-8")
    lines = text.split("\n")[:-2]  # drop the end line, then swap the first merge for one that cannot exist
    first_merge = lines.index(next(l for l in lines if l.startswith("merges "))) + 1
    lines[first_merge] = "7a7a7a 7a7a7a"
    body = "\n".join(lines) + "\n"
    (tmp_path / "bad.txt").write_text(body + f"end sha256={hashlib.sha256(body.encode()).hexdigest()}\n",
                                      encoding="utf-8")
    with pytest.raises(BPEFileError, match="do not fit together"):
        BPETokenizer.load(tmp_path / "bad.txt")
    with pytest.raises(FileNotFoundError, match="not found"):
        BPETokenizer.load(tmp_path / "missing.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BPEFileError, match="not UTF-8"):
        BPETokenizer.load(tmp_path / "binary.txt")


# --- errors ------------------------------------------------------------------------------------------

def test_clear_errors(gpt2, small):
    with pytest.raises(TypeError, match="decode them first"):
        gpt2.encode(b"bytes")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        gpt2.decode([50257])
    with pytest.raises(TypeError, match="not an int id"):
        gpt2.decode([1.0])
    with pytest.raises(TypeError, match="not an int id"):
        gpt2.decode([True])
    with pytest.raises(TypeError, match="list of int ids"):
        gpt2.decode("abc")
    with pytest.raises(TypeError, match="iterable of str"):
        list(gpt2.encode_iterable("a string"))
    with pytest.raises(TypeError, match="text mode"):
        list(gpt2.encode_iterable([b"bytes"]))
    with pytest.raises(ValueError, match="lone surrogate"):
        gpt2.encode("a\ud800b")
    with pytest.raises(TypeError, match="tiktoken.Encoding or an encoding name"):
        BPETokenizer.from_tiktoken(42)
    with pytest.raises(ValueError, match="choose one of"):
        BPETokenizer.from_tiktoken("gpt5")


def test_bad_vocab_or_merges():
    vocab = {i: bytes([i]) for i in range(256)}
    with pytest.raises(ValueError, match="lacks 1 single byte"):
        BPETokenizer({i: v for i, v in vocab.items() if i != 7}, [])
    with pytest.raises(ValueError, match="not in vocab"):
        BPETokenizer(vocab, [(b"a", b"b")])
    with pytest.raises(ValueError, match="earlier merge"):
        BPETokenizer({**vocab, 256: b"abc"}, [(b"ab", b"c")])
    with pytest.raises(TypeError, match="pair of bytes"):
        BPETokenizer(vocab, [("a", "b")])
    with pytest.raises(TypeError, match="non-empty bytes"):
        BPETokenizer({**vocab, 256: "ab"}, [])
    with pytest.raises(TypeError, match="list of str"):
        BPETokenizer(vocab, [], EOT)


def test_gpt2_byte_alphabet():
    table = gpt2_bytes_to_unicode()
    assert len(set(table.values())) == 256 and table[32] == "Ġ" and table[ord("a")] == "a"


def test_gpt2_files_errors(tmp_path):
    enc_json, merges = tmp_path / "encoder.json", tmp_path / "vocab.bpe"
    enc_json.write_text('{"a": 0}', encoding="utf-8")
    merges.write_text("#version: 0.2\na b c\n", encoding="utf-8")
    with pytest.raises(ValueError, match="vocab.bpe line 2"):
        BPETokenizer.from_gpt2_files(enc_json, merges)
    with pytest.raises(ValueError, match="both"):
        BPETokenizer.from_gpt2_files(enc_json)
    assert isinstance(Path(enc_json), Path)
