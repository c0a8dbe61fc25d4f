"""bpe_merge's internals: the same merges as the readable loop on long CJK pre-tokens across the
numpy / plain-Python threshold, an arena that is compacted and grown, the heap's key order, and memory."""
from __future__ import annotations

import random
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lecture_utils.tokenizers.bpe_merge as bpe_merge
import lecture_utils.tokenizers.bpe_train as bpe_train

pytestmark = pytest.mark.filterwarnings("ignore::lecture_utils.tokenizers.bpe_train.TrainingStoppedEarly")

CJK = "".join(map(chr, range(0x4E00, 0x4E00 + 500)))  # 500 CJK ideographs, 3 UTF-8 bytes each

# NUMPY_MIN: 0 sends every merge through numpy, a huge value every merge through plain Python,
# the values between split the merges across both paths at different points.
THRESHOLDS = [0, 8, 60, 10**9]


def readable_and_fast(word_counts: dict[str, int], vocab_size: int, numpy_min: int, specials=("<|endoftext|>",)):
    """(readable loop's result, fast loop's result) on the same pre-token counts."""
    words, counts = bpe_train._as_id_strings(word_counts)
    readable = bpe_train._readable_merge_loop(list(words), list(counts), vocab_size, tuple(specials), False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bpe_merge, "NUMPY_MIN", numpy_min)
        fast = bpe_train._merge_loop(list(words), list(counts), vocab_size, tuple(specials), False)
    return readable, fast


def cjk_words(seed: int, n: int, longest: int, alphabet: str = CJK[:60]) -> dict[str, int]:
    """n random CJK phrases up to `longest` characters (3 UTF-8 bytes each), Zipf-like counts."""
    rng = random.Random(seed)
    return {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, longest))): max(1, int(200 / (i + 1)))
            for i in range(n)}


@pytest.mark.parametrize("numpy_min", THRESHOLDS)
def test_long_cjk_pre_tokens_equal_readable_loop(numpy_min):
    """Phrases of up to 80 characters (240 bytes): many neighbours per merge, pairs go stale, runs repeat."""
    word_counts = cjk_words(1, 300, 80)
    word_counts["的的的的的的的的的的的"] = 50  # runs of one character: (a, a) pairs overlap
    word_counts["中国中国中国中国"] = 40  # back to back: the middle pair becomes (new, new)
    readable, fast = readable_and_fast(word_counts, 1500, numpy_min)
    assert fast == readable
    assert len(fast[1]) == 1500 - 257


def test_wide_codes_for_tokens_beyond_16_bits(monkeypatch):
    """Tokens from 2**15 - 1 on (vocabularies beyond 32K) group new pairs by 64-bit codes: forced from the
    first merge here, through the numpy path, the merges do not change."""
    word_counts = cjk_words(5, 300, 80)
    word_counts["的的的的的的的的的的的"] = 50
    word_counts["中国中国中国中国"] = 40
    readable, _ = readable_and_fast(word_counts, 1200, 60)
    monkeypatch.setattr(bpe_merge, "_SMALL_TOKENS", 0)
    calls = []
    original = bpe_merge._Merger._add_pairs
    monkeypatch.setattr(bpe_merge._Merger, "_add_pairs", lambda self, codes, *rest: (
        calls.append(codes.dtype), original(self, codes, *rest))[1])
    assert readable_and_fast(word_counts, 1200, 0)[1] == readable
    assert calls and set(calls) == {np.dtype(np.int64)}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 120), st.sampled_from(THRESHOLDS))
def test_random_cjk_and_ascii_equal_readable_loop(seed, longest, numpy_min):
    rng = random.Random(seed)
    alphabet = rng.choice([CJK[:8], CJK[:200], "ab你好🌍", "abcdefgh "])
    word_counts = cjk_words(seed, rng.randint(1, 60), longest, alphabet)
    readable, fast = readable_and_fast(word_counts, rng.randint(257, 700), numpy_min)
    assert fast == readable


@pytest.mark.parametrize("numpy_min", [0, 60, 10**9])
def test_small_chunks_compact_and_grow_the_arena(monkeypatch, numpy_min):
    """Chunks of 7 positions, an arena with no room to spare: the byte pairs and every compaction work piece
    by piece, the arena is compacted and grown often (each merge asks for 16 more positions than it needs:
    a compaction that frees little grows the arena), and the merges do not change."""
    word_counts = cjk_words(2, 200, 40)
    readable, _ = readable_and_fast(word_counts, 900, 60)
    calls = {"compact": 0, "grow": 0}
    compact, room = bpe_merge._Merger._compact, bpe_merge._Merger._room

    def counting_compact(self):
        calls["compact"] += 1
        end = compact(self)
        check_arena(self, end)
        return end

    def counting_room(self, pairs, positions):
        size = self.arena.size
        used = room(self, pairs, positions + 16)
        calls["grow"] += self.arena.size > size
        return used

    monkeypatch.setattr(bpe_merge, "_CHUNK", 7)
    monkeypatch.setattr(bpe_merge, "_SPARE", 10**9)
    monkeypatch.setattr(bpe_merge, "_ROOMY", 0)
    monkeypatch.setattr(bpe_merge._Merger, "_compact", counting_compact)
    monkeypatch.setattr(bpe_merge._Merger, "_room", counting_room)
    _, fast = readable_and_fast(word_counts, 900, numpy_min)
    assert fast == readable
    assert calls["compact"] >= 2 and calls["grow"] >= 1


def check_arena(data: bpe_merge._Merger, end: int) -> None:
    """After compaction: every arena entry is live, and every live position is listed once, under its pair.

    (Compaction may run in the middle of a merge, when the left neighbours of the merged occurrences still hold
    their old pair, whose count is already down, maybe to 0: those of a pair with count 0 are dropped, as they
    are about to get the new pair's id and be listed under it.)"""
    start = np.array(data.start, dtype=np.int64)
    assert start[-1] == end and np.all(np.diff(start) >= 0)
    owner = np.repeat(np.arange(data.pairs), np.diff(start))
    listed = data.arena[:end]
    assert np.array_equal(data.pid[listed], owner)
    assert np.all(data.count[owner] > 0)
    pid = np.asarray(data.pid)
    live = np.flatnonzero((pid >= 0) & (data.count[pid] > 0))
    assert np.array_equal(np.sort(listed), live)


def test_byte_pairs_match_a_direct_count():
    """The counting sort of the pairs of two bytes: ids in order of (a, b), counts, positions left to right."""
    word_counts = cjk_words(3, 500, 30, CJK[:30] + "ab\x00")
    word_counts["\x00\x00\x00"] = 3  # the pair (0, 0), where word ends are parked while counting
    words, counts = bpe_train._as_id_strings(word_counts)
    data = bpe_merge._Merger(list(words), list(counts))
    expected: dict[tuple[int, int], list] = {}
    offset = 0
    for w, c in zip(words, counts):
        for i in range(len(w) - 1):
            entry = expected.setdefault((ord(w[i]), ord(w[i + 1])), [0, []])
            entry[0] += c
            entry[1].append(offset + i)
        offset += len(w)
    pairs = sorted(expected)
    assert data.pairs == len(pairs)
    for j, pair in enumerate(pairs):
        assert bpe_merge._pair_of(data.code[j]) == pair
        assert data.count_[j] == expected[pair][0]
        assert data.arena[data.start[j]:data.start[j + 1]].tolist() == expected[pair][1]
    check_arena(data, data.start[-1])


@given(st.lists(st.binary(min_size=1, max_size=4), min_size=4, max_size=4))
def test_heap_key_pairs_order_as_concatenated_keys(tokens):
    """(inv(a), inv(b)) orders pairs exactly as inv(a) + inv(b): reverse lexicographic on (a, b)."""
    a, b, c, d = tokens
    key = bpe_merge.inverted_key
    assert ((key(a), key(b)) < (key(c), key(d))) == (key(a) + key(b) < key(c) + key(d))
    assert ((key(a), key(b)) < (key(c), key(d))) == ((a, b) > (c, d))


def test_merge_phase_memory_per_position(monkeypatch):
    """Five int32 per position, a compacted arena and a few temporaries at a time: a peak under 36 bytes a
    position (the loop before the arena was compacted and the byte pairs were counted in chunks: about 50).

    (As on a large corpus: below 2 * _ROOMY positions the arena starts with up to _ROOMY positions more, so
    that a small corpus never compacts; 4 bytes each at most, and only those written are ever touched.)"""
    monkeypatch.setattr(bpe_merge, "_ROOMY", 0)
    word_counts = cjk_words(4, 20_000, 40, CJK)
    words, counts = bpe_train._as_id_strings(word_counts)
    positions = sum(map(len, words))
    vocab = bpe_train._first_vocab(("<|endoftext|>",))
    tracemalloc.start()
    try:
        bpe_merge.merge_loop(words, counts, vocab, 300, False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert positions > 1_000_000
    assert peak < 36 * positions, f"{peak / positions:.1f} bytes per position"


def test_cyclic_gc_is_paused_and_restored():
    """merge_loop pauses the cyclic GC while it runs and leaves it as it found it, on or off."""
    import gc

    seen = []
    words, counts = bpe_train._as_id_strings({"abab": 3, "ba": 2})
    original = bpe_merge._Merger.merge

    def spying_merge(self, pair, new):
        seen.append(gc.isenabled())
        return original(self, pair, new)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bpe_merge._Merger, "merge", spying_merge)
        assert gc.isenabled()
        bpe_merge.merge_loop(list(words), list(counts), bpe_train._first_vocab(()), 3, False)
        assert gc.isenabled() and seen and not any(seen)
        gc.disable()
        try:
            bpe_merge.merge_loop(list(words), list(counts), bpe_train._first_vocab(()), 3, False)
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_merge_loop_consumes_its_lists():
    """merge_loop empties `words` and `counts` once its arrays hold them (their memory is freed for the merges)."""
    words, counts = bpe_train._as_id_strings({"abab": 3, "ba": 2, "a" * 9: 2**31 + 1})  # (one count beyond int32)
    kept = (list(words), list(counts))
    bpe_merge._Merger(words, counts)
    assert (words, counts) == kept  # (only when asked)
    merges = bpe_merge.merge_loop(words, counts, bpe_train._first_vocab(()), 3, False)
    assert words == [] and counts == []
    assert merges == bpe_merge.merge_loop(*kept, bpe_train._first_vocab(()), 3, False)
