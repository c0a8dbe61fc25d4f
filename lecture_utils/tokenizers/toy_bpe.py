"""The lecture's teaching version of byte-pair encoding (BPE): small, slow on purpose, easy to follow.

Training starts from the UTF-8 bytes of one string and, `num_merges` times, recounts *every*
adjacent pair, picks the most frequent one, gives it the next id (256, 257, ...) and replaces it
everywhere. Encoding replays every merge, in the order they were learned, over the whole sequence.

Deliberate simplifications (the real trainer in `bpe_train.py` fixes each): no pre-tokenization
(merges may cross spaces, e.g. "the "), no special tokens, a full recount per merge, and an encoder
that loops over all merges even when most of them cannot apply.

Ties between equally frequent pairs: the lecture takes `max(counts, key=counts.get)`, which returns
the pair seen *first* in the text (dicts keep insertion order): `tie_break="first"`. The CS336
assignment 1 instead prefers the lexicographically greater pair of byte strings:
`tie_break="lexicographic"`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .base import Tokenizer, check_ids, check_text, utf8

__all__ = ["merge", "count_pairs", "train_toy_bpe", "ToyBPEParams", "MergeStep", "ToyBPETokenizer",
           "pair_count_table", "recount_bpe"]

TIE_BREAKS = ("first", "lexicographic")


def merge(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each non-overlapping `pair`, left to right, by `new_id`: `merge([1, 1, 1], (1, 1), 9) -> [9, 1]`."""
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def count_pairs(ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """Count adjacent pairs, in first-seen order: `count_pairs([1, 2, 3, 1, 2]) -> {(1, 2): 2, (2, 3): 1, (3, 1): 1}`."""
    counts: dict[tuple[int, int], int] = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


@dataclass(frozen=True)
class MergeStep:
    """One training step: the pair counts it saw, the pair it chose and the sequence after merging."""

    counts: dict[tuple[int, int], int]  # every adjacent pair before this merge, first-seen order
    pair: tuple[int, int]  # the chosen pair
    new_id: int  # the id it became
    ids: list[int]  # the training sequence after the merge


@dataclass(frozen=True)
class ToyBPEParams:
    """What training learns: `vocab` (id -> bytes) and `merges` ((id, id) -> new id, in creation order)."""

    vocab: dict[int, bytes]
    merges: dict[tuple[int, int], int]
    steps: list[MergeStep] = field(default_factory=list)  # filled only with train_toy_bpe(..., record=True)


def _choose(counts: dict[tuple[int, int], int], vocab: dict[int, bytes], tie_break: str) -> tuple[int, int]:
    """The most frequent pair; ties go to the first seen, or to the lexicographically greater bytes pair."""
    if tie_break == "first":
        return max(counts, key=counts.get)  # max() keeps the first of equal keys: the first-seen pair
    return max(counts, key=lambda p: (counts[p], vocab[p[0]], vocab[p[1]]))


def train_toy_bpe(text: str, num_merges: int, tie_break: str = "first", record: bool = False) -> ToyBPEParams:
    """Learn `num_merges` merges from `text`, recounting all pairs each time.

    >>> params = train_toy_bpe("the cat in the hat", 3)
    >>> [params.vocab[i] for i in params.merges.values()]
    [b'th', b'the', b'the ']
    """
    check_text(text)
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")
    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"num_merges must be an int >= 0, got {num_merges!r}")
    ids = list(utf8(text))
    vocab = {i: bytes([i]) for i in range(256)}
    merges: dict[tuple[int, int], int] = {}
    steps: list[MergeStep] = []
    for i in range(num_merges):
        counts = count_pairs(ids)
        if not counts:  # the whole text is a single token: nothing left to merge
            break
        pair = _choose(counts, vocab, tie_break)
        new_id = 256 + i
        merges[pair] = new_id
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        ids = merge(ids, pair, new_id)
        if record:
            steps.append(MergeStep(counts, pair, new_id, ids))
    return ToyBPEParams(vocab, merges, steps)


class ToyBPETokenizer(Tokenizer):
    """The lecture's BPE tokenizer: UTF-8 bytes, then every merge in creation order over the whole text."""

    def __init__(self, params: ToyBPEParams) -> None:
        self.params = params

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes plus one per merge."""
        return len(self.params.vocab)

    def encode(self, text: str) -> list[int]:
        """Bytes, then apply each merge in the order it was learned (slow: it tries every merge)."""
        ids = list(utf8(check_text(text)))
        for pair, new_id in self.params.merges.items():
            ids = merge(ids, pair, new_id)
        return ids

    def decode(self, ids: list[int]) -> str:
        """Concatenate the bytes of each id and decode them as UTF-8 (broken sequences become "�")."""
        vocab = self.params.vocab
        return b"".join(vocab[i] for i in check_ids(ids, self.vocab_size)).decode("utf-8", errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes an id stands for (may be part of a UTF-8 character)."""
        return self.params.vocab[check_ids([token_id], self.vocab_size)[0]]

    def __repr__(self) -> str:
        return f"ToyBPETokenizer(vocab_size={self.vocab_size})"


def pair_count_table(step: MergeStep, vocab: dict[int, bytes], top: int | None = None):
    """The pair counts of one training step as a pandas DataFrame, most frequent first (ties in first-seen order).

    Columns: the pair of ids, the bytes they stand for, the count, its first-seen rank, and a ✓ on
    the chosen pair.
    """
    import pandas as pd

    rows = [{"字节对 (ids)": f"({a}, {b})", "字节 (bytes)": repr(vocab[a] + vocab[b]), "次数": c, "首次出现": rank,
             "选中": "✓" if (a, b) == step.pair else ""}
            for rank, ((a, b), c) in enumerate(step.counts.items(), start=1)]
    rows.sort(key=lambda r: -r["次数"])  # stable: equal counts stay in first-seen order
    return pd.DataFrame(rows[:top] if top else rows)


def recount_bpe(word_counts: Mapping[str, int] | Mapping[bytes, int], num_merges: int) -> list[tuple[bytes, bytes]]:
    """The real trainer's merges the slow way: before each merge, recount every pair in every pre-token.

    Pairs are counted inside each pre-token, weighted by its count; ties go to the lexicographically
    greater (bytes, bytes) pair, as in CS336 assignment 1. `train_bpe_from_counts` must agree with it.

    >>> recount_bpe({"low": 5, "lower": 2, "newest": 6}, 3)
    [(b'w', b'e'), (b'l', b'o'), (b'we', b's')]
    """
    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"num_merges must be an int >= 0, got {num_merges!r}")
    words: dict[tuple[bytes, ...], int] = {}
    for word, count in word_counts.items():
        raw = word.encode("utf-8") if isinstance(word, str) else bytes(word)
        key = tuple(bytes([b]) for b in raw)
        words[key] = words.get(key, 0) + count
    merges: list[tuple[bytes, bytes]] = []
    for _ in range(num_merges):
        counts: dict[tuple[bytes, bytes], int] = {}
        for word, c in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] = counts.get(pair, 0) + c
        counts = {p: c for p, c in counts.items() if c > 0}
        if not counts:  # every pre-token is a single token: nothing left to merge
            break
        best = max(counts, key=lambda p: (counts[p], p))  # equal counts: the greater (bytes, bytes) wins
        merges.append(best)
        # merge() only compares items, so it works on bytes tokens too: the new token is a + b
        words = {tuple(merge(word, best, best[0] + best[1])): c for word, c in words.items()}
    return merges
