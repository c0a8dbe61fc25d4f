"""The real BPE trainer: hand-checked cases, the tie rule, special tokens, equality with a naive
recount-every-merge reference, parallel == serial, file == text, determinism, clear errors."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lecture_utils.tokenizers.bpe_count as bpe_count
import lecture_utils.tokenizers.encode_file as encode_file
from lecture_utils.data import embedded_corpus
from lecture_utils.tokenizers.bpe_train import (TrainingStoppedEarly, count_pretokens, count_pretokens_in_text,
                                                train_bpe, train_bpe_from_counts, train_bpe_from_text)
from lecture_utils.tokenizers.pretokenize import exact_pattern

# Tiny texts often run out of pairs before vocab_size: that warning is tested once, below, and ignored here.
pytestmark = pytest.mark.filterwarnings("ignore::lecture_utils.tokenizers.bpe_train.TrainingStoppedEarly")

EOT = "<|endoftext|>"


def naive_bpe(text: str, vocab_size: int, specials=()) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Reference: split out specials (longest first), pre-tokenize with `regex`, recount every merge."""
    parts = [text]
    for s in sorted(specials, key=len, reverse=True):
        parts = [q for p in parts for q in p.split(s)]
    return naive_bpe_from_words(Counter(w for p in parts for w in exact_pattern().findall(p)), vocab_size, specials)


def naive_bpe_from_words(words: Counter, vocab_size: int, specials=()):
    """The merge loop of the reference: a full recount of every pair before each merge."""
    vocab = {i: bytes([i]) for i in range(256)}
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
    words = Counter({tuple(bytes([b]) for b in w.encode("utf-8")): c for w, c in words.items()})
    merges = []
    while len(vocab) < vocab_size:
        counts = Counter()
        for word, c in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] += c
        if not counts:
            break
        best = max(counts, key=lambda pair: (counts[pair], pair))  # most frequent, then lexicographically greatest
        merges.append(best)
        vocab[len(vocab)] = best[0] + best[1]
        merged = Counter()
        for word, c in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += c
        words = merged
    return vocab, merges


# --- hand-checked cases --------------------------------------------------------------------------

def test_the_cat_in_the_hat():
    vocab, merges = train_bpe_from_text("the cat in the hat", 258)
    # (t,h), (h,e) and (a,t) all occur twice; (t,h) is the lexicographically greatest pair.
    assert merges == [(b"t", b"h"), (b"th", b"e")]
    assert vocab[256] == b"th" and vocab[257] == b"the" and len(vocab) == 258


def test_tie_goes_to_lexicographically_greater_pair():
    # "ab" and "cd" occur once each: (c, d) > (a, b).
    assert train_bpe_from_counts({"ab": 1, "cd": 1}, 257)[1] == [(b"c", b"d")]
    # Comparison is on bytes, first element first: (b"b", b"a") > (b"a", b"z").
    assert train_bpe_from_counts({"az": 1, "ba": 1}, 257)[1] == [(b"b", b"a")]
    # A longer second element is greater than its prefix: (x, bc) beats (x, b) at equal counts.
    merges = train_bpe_from_counts({"bc": 5, "xbc": 1, "xb": 1}, 259)[1]
    assert merges == [(b"b", b"c"), (b"x", b"bc"), (b"x", b"b")]
    # Frequency first: a more frequent, smaller pair beats a rarer, greater one.
    assert train_bpe_from_counts({"ab": 3, "zz": 2}, 257)[1] == [(b"a", b"b")]


def test_low_lower_lowest():
    vocab, merges = train_bpe_from_text("low low lower lowest", 260)
    # (l,o) and (o,w) both occur 4 times: (o,w) is greater, then (l,ow) 4x, (' ',low) 3x, (' low',e) 2x.
    assert merges == [(b"o", b"w"), (b"l", b"ow"), (b" ", b"low"), (b" low", b"e")]


def test_overlapping_pairs_are_counted_like_the_reference():
    text = "aaaa aaa aa a " * 3
    assert train_bpe_from_text(text, 262) == naive_bpe(text, 262)


def test_chinese_bytes_merge_into_characters():
    vocab, merges = train_bpe_from_text("你好你好你好，世界", 260)
    assert "你".encode("utf-8") in vocab.values() or "好".encode("utf-8") in vocab.values()
    assert train_bpe_from_text("你好你好你好，世界", 270) == naive_bpe("你好你好你好，世界", 270)


@pytest.mark.filterwarnings("error")
def test_vocab_layout_and_early_stop():
    with pytest.warns(TrainingStoppedEarly, match="after 2 merges.*260 ids, not the 1,000"):
        vocab, merges = train_bpe_from_text("ab ab", 1000, [EOT, "<pad>"])
    assert [vocab[i] for i in range(256)] == [bytes([i]) for i in range(256)]
    assert vocab[256] == EOT.encode() and vocab[257] == b"<pad>"
    assert merges == [(b"a", b"b"), (b" ", b"ab")]  # ran out of pairs: smaller than asked
    assert len(vocab) == 260 and [vocab[258], vocab[259]] == [b"ab", b" ab"]


# --- special tokens ----------------------------------------------------------------------------------

def test_special_tokens_are_never_merged():
    text = f"hello{EOT}hello {EOT}{EOT} world{EOT}" * 50
    vocab, merges = train_bpe_from_text(text, 320, [EOT])
    learned = [vocab[i] for i in range(257, len(vocab))]
    assert all(b"<|" not in t and b"|>" not in t and b"endoftext" not in t for t in learned)
    assert (b"o", b"<") not in merges and (b">", b"h") not in merges  # nothing across a special token
    assert list(vocab.values()).count(EOT.encode()) == 1
    assert (vocab, merges) == naive_bpe(text, 320, [EOT])


def test_without_the_special_token_it_would_be_merged():
    text = f"hello{EOT}" * 50
    vocab, _ = train_bpe_from_text(text, 300)
    assert any(b"endoftext" in t for t in vocab.values())


def test_overlapping_specials_longest_first():
    text = "x<|a|><|b|>y<|a|>z" * 20
    vocab, merges = train_bpe_from_text(text, 300, ["<|a|>", "<|a|><|b|>"])
    assert (vocab, merges) == naive_bpe(text, 300, ["<|a|>", "<|a|><|b|>"])
    # Longest first: "<|a|><|b|>" is one special token, so no "<|b|>" is left to learn from.
    assert merges == [(b"z", b"x")]
    assert (b"<", b"|") in train_bpe_from_text(text, 300, ["<|a|>"])[1]  # with only "<|a|>", "<|b|>" is text


# --- against the naive reference ---------------------------------------------------------------

CORPUS_ALPHABET = st.sampled_from(list("aabbc  \n\n\t'sl你🎉.1") + [EOT])


@settings(max_examples=150, deadline=None)
@given(st.lists(CORPUS_ALPHABET, max_size=80).map("".join), st.integers(256, 300), st.booleans())
def test_matches_naive_reference(text, extra, with_special):
    specials = [EOT] if with_special else []
    vocab_size = extra + len(specials)
    assert train_bpe_from_text(text, vocab_size, specials) == naive_bpe(text, vocab_size, specials)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(alphabet="abcd é", min_size=1, max_size=12), st.integers(1, 50), max_size=15),
       st.integers(256, 320))
def test_from_counts_matches_naive_reference(counts, vocab_size):
    # Keys need not be real pre-tokens here: any bag of strings (or bytes) with counts works.
    expected = naive_bpe_from_words(Counter(counts), vocab_size)
    assert train_bpe_from_counts(counts, vocab_size) == expected
    assert train_bpe_from_counts({w.encode(): c for w, c in counts.items()}, vocab_size) == expected


def test_real_text_matches_naive_reference():
    text = embedded_corpus()[:20_000]
    assert train_bpe_from_text(text, 400, [EOT]) == naive_bpe(text, 400, [EOT])


# --- parallel, files, determinism ------------------------------------------------------------------

@pytest.fixture
def small_parallel(monkeypatch):
    """Make the parallel path kick in on small inputs, with many small chunks."""
    monkeypatch.setattr(bpe_count, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(bpe_count, "BLOCK_BYTES", 1 << 10)
    monkeypatch.setattr(bpe_count, "TASK_BYTES", 1 << 12)
    monkeypatch.setattr(encode_file, "WINDOW_BYTES", 64)


def _sample_text(seed: int, n: int) -> str:
    rng = random.Random(seed)
    words = ["the", " cat", " 你好", "\n\n", "    ", " 🎉", EOT, "'s", " 123", "!!", "\t", " x"]
    return "".join(rng.choice(words) for _ in range(n))


def test_parallel_equals_serial_and_file_equals_text(tmp_path, small_parallel):
    text = _sample_text(0, 20_000) + embedded_corpus()[:60_000]
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8", newline="")
    serial = count_pretokens_in_text(text, [EOT])
    assert count_pretokens(path, [EOT], num_processes=2) == serial
    assert count_pretokens(path, [EOT], num_processes=1) == serial
    words = Counter(w for p in text.split(EOT) for w in exact_pattern().findall(p))
    assert serial == words
    result = train_bpe(path, 500, [EOT], num_processes=2)
    assert result == train_bpe_from_text(text, 500, [EOT])
    assert result == train_bpe(path, 500, [EOT], num_processes=2)  # deterministic


def test_specials_with_spaces_survive_chunking(tmp_path, small_parallel):
    specials = [EOT, " <sep> ", "\n\n"]
    text = _sample_text(7, 8_000).replace("'s", " <sep> ")
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8", newline="")
    expected = Counter(w for p in _split_all(text, specials) for w in exact_pattern().findall(p))
    assert count_pretokens(path, specials, num_processes=2) == expected
    assert count_pretokens_in_text(text, specials) == expected


def _split_all(text: str, specials: list[str]) -> list[str]:
    import re

    return re.split("|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True)), text)


def test_file_boundaries_are_safe(tmp_path):
    for seed in range(5):
        text = _sample_text(seed, 3000)
        path = tmp_path / f"c{seed}.txt"
        path.write_bytes(text.encode("utf-8"))
        bounds = bpe_count.chunk_boundaries(path, 37, (EOT,))
        assert bounds[0] == 0 and bounds[-1] == path.stat().st_size and bounds == sorted(set(bounds))
        data = path.read_bytes()
        chunks = [data[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]
        counts = Counter(w for c in chunks for p in c.split(EOT) for w in exact_pattern().findall(p))
        assert counts == Counter(w for p in text.split(EOT) for w in exact_pattern().findall(p))
        assert sum(c.count(EOT) for c in chunks) == text.count(EOT)


def test_empty_inputs(tmp_path):
    assert train_bpe_from_text("", 300) == ({i: bytes([i]) for i in range(256)}, [])
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert train_bpe(empty, 300)[1] == []


def test_progress_bar(capsys):
    train_bpe_from_text("ab ab ab", 258, progress=True)
    assert "merging" in capsys.readouterr().err


# --- errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    (dict(vocab_size=255), ValueError, "at least 256"),
    (dict(vocab_size=256, special_tokens=[EOT]), ValueError, "at least 257"),
    (dict(vocab_size=300.0), TypeError, "int"),
    (dict(vocab_size=True), TypeError, "int"),
    (dict(vocab_size=300, special_tokens=EOT), TypeError, "list of str"),
    (dict(vocab_size=300, special_tokens=[b"<s>"]), TypeError, "must be str"),
    (dict(vocab_size=300, special_tokens=[""]), ValueError, "empty"),
    (dict(vocab_size=300, special_tokens=["<s>", "<s>"]), ValueError, "distinct"),
    (dict(vocab_size=300, special_tokens=["\ud800"]), ValueError, "surrogate"),
    (dict(vocab_size=300, pattern="[gpt"), ValueError, "pattern"),
    (dict(vocab_size=300, pattern=2), TypeError, "pattern"),
    (dict(vocab_size=300, pattern=r"(\w+)"), ValueError, "capture groups"),
    (dict(vocab_size=300, num_processes=0), ValueError, "num_processes"),
])
def test_bad_arguments(kwargs, error, message, tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("some text", encoding="utf-8")
    with pytest.raises(error, match=message):
        train_bpe(path, **kwargs)
    kwargs.pop("num_processes", None)
    if kwargs != {"vocab_size": 300}:
        with pytest.raises(error, match=message):
            train_bpe_from_text("some text", **kwargs)


def test_bad_text_and_counts():
    with pytest.raises(ValueError, match="lone surrogate"):
        train_bpe_from_text("ab\udc80cd", 300)
    with pytest.raises(TypeError, match="str or bytes.*bytes\\(5\\)|str or bytes"):
        train_bpe_from_counts({5: 10}, 257)
    with pytest.raises(TypeError, match="must be an int"):
        train_bpe_from_counts({"ab": 1.5}, 257)
    with pytest.raises(TypeError, match="must be an int"):
        train_bpe_from_counts({"ab": True}, 257)
    with pytest.raises(ValueError, match="negative"):
        train_bpe_from_counts({"ab": -1}, 257)
    import numpy as np
    assert train_bpe_from_counts({"ab": np.int64(2), b"cd": 1}, 257)[1] == [(b"a", b"b")]
    with pytest.raises(ValueError, match="lone surrogate"):
        train_bpe_from_counts({"a\ud800": 1}, 257)


def test_bad_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        train_bpe(tmp_path / "missing.txt", 300)
    with pytest.raises(IsADirectoryError, match="load_text"):
        train_bpe(tmp_path, 300)
    with pytest.raises(TypeError, match="decode"):
        train_bpe(b"bytes", 300)
    with pytest.raises(TypeError, match="pathlib.Path"):
        train_bpe(123, 300)
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("你好".encode("gbk"))
    with pytest.raises(ValueError, match="not valid UTF-8"):
        train_bpe(bad, 300)
    assert isinstance(Path(bad), Path)


def test_workers_start_from_a_multi_threaded_parent(small_parallel, tmp_path):
    """A Jupyter kernel runs threads: counting starts fresh worker processes (no fork), so it still works."""
    import threading

    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        text = _sample_text(3, 5_000)
        path = tmp_path / "c.txt"
        path.write_text(text, encoding="utf-8", newline="")
        assert count_pretokens(path, [EOT], num_processes=2) == count_pretokens_in_text(text, [EOT])
    finally:
        stop.set()
        busy.join()


def test_a_str_is_a_path_as_in_cs336(tmp_path, monkeypatch):
    path = tmp_path / "corpus.txt"
    path.write_text("hello hello hello", encoding="utf-8")
    assert train_bpe(str(path), 257) == train_bpe(path, 257) == train_bpe_from_text("hello hello hello", 257)
    monkeypatch.chdir(tmp_path)
    assert train_bpe("corpus.txt", 258) == train_bpe_from_text("hello hello hello", 258)
    assert train_bpe_from_text("abab", 257, None) == train_bpe_from_text("abab", 257, ())


@pytest.mark.parametrize("text, message", [
    ("missing.txt", "not found.*train_bpe_from_text"),
    ("low low\nlower lowest", "looks like the text itself.*line breaks.*train_bpe_from_text"),
    ("x" * 5000, "looks like the text itself.*train_bpe_from_text"),
])
def test_a_str_that_is_no_file_names_the_fix(text, message):
    with pytest.raises(FileNotFoundError, match=message):
        train_bpe(text, 300)


def test_from_text_rejects_paths_and_bytes(tmp_path):
    with pytest.raises(TypeError, match="train_bpe\\("):
        train_bpe_from_text(tmp_path / "c.txt", 300)
    with pytest.raises(TypeError, match="decode"):
        train_bpe_from_text(b"abc", 300)


# --- the fast merge loop (bpe_merge) learns exactly what the readable loop learns --------------------

import lecture_utils.tokenizers.bpe_merge as bpe_merge  # noqa: E402
import lecture_utils.tokenizers.bpe_train as bpe_train  # noqa: E402

# NUMPY_MIN: 0 sends every merge through numpy, a huge value every merge through plain Python
PATHS = {"numpy": 0, "python": 10**9, "mixed": 3}


def both_loops(word_counts, vocab_size: int, specials=(), numpy_min: int = 3):
    """(readable loop's result, fast loop's result) on the same pre-token counts."""
    words, counts = bpe_train._as_id_strings(word_counts)
    readable = bpe_train._readable_merge_loop(list(words), list(counts), vocab_size, tuple(specials), False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bpe_merge, "NUMPY_MIN", numpy_min)
        fast = bpe_train._merge_loop(words, counts, vocab_size, tuple(specials), False)
    return readable, fast


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("word_counts", [
    {"a" * n: 1 for n in range(1, 10)},  # runs of one byte, odd and even: (a, a) left to right, no overlaps
    {"aaaaaaa": 3, "aaaa": 2, "aaab": 5, "baaa": 1},
    {"abab": 4, "ababab": 2, "abcabc": 3, "ab": 1},  # back to back: the middle (b, a) becomes (new, new)
    {"abcd": 5, "bc": 9, "xbcy": 2, "bcbc": 1},  # (b, c) first: (a, b), (c, d) lose counts, some go to zero
    {"the": 10, " the": 7, " then": 3, "there": 2, "other": 1},
    {"你好": 6, "你们好": 3, "你好你好": 2, "🌍🌍": 4, "a🌍b": 1, "😀😀😀": 2},  # CJK, emoji
    {"x": 5, "ab": 1},  # one word with a pair, one without
    {"abc": 1},
    {},
])
def test_fast_loop_equals_readable_loop(word_counts, path):
    readable, fast = both_loops(word_counts, 256 + 40, numpy_min=PATHS[path])
    assert fast == readable
    assert fast[1] == naive_bpe_from_words(Counter(word_counts), 256 + 40)[1]


@pytest.mark.parametrize("path", PATHS)
def test_fast_loop_with_specials_and_early_stop(path):
    with pytest.warns(TrainingStoppedEarly, match="after 3 merges.*261 ids"):
        readable, fast = both_loops({"ab ab": 1, "ab": 2}, 1000, ["<|endoftext|>", "<pad>"], PATHS[path])
    assert fast == readable and fast[0][256] == b"<|endoftext|>" and len(fast[0]) == 261


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.text(alphabet="aab你🌍", min_size=1, max_size=14), st.integers(1, 6), max_size=12),
       st.integers(256, 330), st.sampled_from(list(PATHS.values())))
def test_fast_loop_matches_readable_loop(word_counts, vocab_size, numpy_min):
    readable, fast = both_loops(word_counts, vocab_size, numpy_min=numpy_min)
    assert fast == readable


def test_fast_loop_on_real_text_in_every_path():
    """Chinese and English pre-tokens of the embedded corpus, 1,200 merges (pairs go stale, counts reach 0)."""
    text = embedded_corpus()
    counts = count_pretokens_in_text(text[:150_000] + text[-150_000:], [EOT])
    readable, _ = both_loops(counts, 1500, [EOT])
    for numpy_min in (0, 60, 10**9):
        assert both_loops(counts, 1500, [EOT], numpy_min)[1] == readable


def test_fast_loop_counts_beyond_int32():
    """A pre-token counted more than 2**31 times (weights are int32 inside: it is split into copies)."""
    counts = {"ab": 3 * 2**31 + 5, "bc": 2**31 - 1, "abc": 7, "cab": 2**40}
    for numpy_min in PATHS.values():
        readable, fast = both_loops(counts, 262, numpy_min=numpy_min)
        assert fast == readable
    assert train_bpe_from_counts(counts, 258)[1] == [(b"a", b"b"), (b"c", b"ab")]  # 2**40 + 3 * 2**31 + 12, then 2**40
