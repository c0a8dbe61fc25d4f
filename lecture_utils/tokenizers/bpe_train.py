"""The real byte-level BPE trainer: tiktoken-family pre-tokenization, special tokens, incremental pair counts.

    >>> vocab, merges = train_bpe_from_text("low low lower lowest", 260)
    >>> merges  # (o, w) and (l, o) tie at 4: the lexicographically greater (o, w) wins
    [(b'o', b'w'), (b'l', b'ow'), (b' ', b'low'), (b' low', b'e')]

What it does, step by step (each a fix of a simplification in the lecture's `toy_bpe`):

1. **Input.** `train_bpe(input_path, ...)` takes a file path (a `str` or `pathlib.Path`), exactly as
   CS336 assignment 1's `run_train_bpe`; `train_bpe_from_text(text, ...)` takes the text itself.
2. **Special tokens** (e.g. `"<|endoftext|>"`) are cut out of the text first. Text on either side is
   trained on separately, so no merge ever crosses or contains a special token.
3. **Pre-tokenization** with GPT-2's pattern (or `pattern="cl100k_base"` / `"o200k_base"` for a
   GPT-4-style tokenizer, or a regex of your own; `pretokenize.py`), so merges never cross a word
   boundary ("the" and " the" are learned, "e t" is not). Only the *distinct* pre-tokens and their
   counts are kept; a file is counted in parallel processes, in bounded memory (`bpe_count.py`).
4. **Merges.** The most frequent adjacent pair (counted inside pre-tokens, weighted by how often each
   pre-token occurs) becomes a new token. **Ties go to the lexicographically greater pair of byte
   strings**, e.g. `(b"e", b"s") > (b"b", b"z")`: the CS336 assignment-1 rule, so your assignment
   solution can be checked against this trainer. After a merge only the pre-tokens that contain the
   pair are rewritten (an index pair -> pre-tokens finds them), and the pair counts change only next to
   the merged occurrences: no recount, no rescan of other words. The best pair is found with a heap
   whose stale entries are skipped lazily (a pair's count can only go *down* after it exists, so a
   stale entry is always too high and is fixed when it reaches the top). `_readable_merge_loop` is
   this step written to be read (notebook 07 explains it line by line); `train_bpe` runs
   `bpe_merge.merge_loop`, the same algorithm on flat arrays (numpy for the merges with many
   occurrences), which learns exactly the same merges (tested) several times faster on long pre-tokens.

Vocabulary ids: 0..255 are the single bytes (id = byte value), then the special tokens in the order
given, then one id per merge in the order learned. This is the layout commonly used for CS336
assignment 1 (whose tests compare the vocabulary's byte strings and the merge list, not the ids).
`vocab_size` counts all three groups. If the text runs out of pairs first, training stops early with a
`TrainingStoppedEarly` warning, and the vocabulary is smaller than asked.

Deliberate simplifications: the table of distinct pre-tokens lives in memory (it grows with the
number of distinct pre-tokens, not with the file). In the readable loop each pre-token is a Python
`str` whose characters are token ids (`chr(id)`), so "does it contain the pair" is one `in` test and
the merge one C-level `split` + `join`. Pure Python, the standard library and numpy.
"""
from __future__ import annotations

import heapq
import operator
import os
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import bpe_merge
from .base import check_special_tokens, check_utf8_text, utf8
from .bpe_count import _check_processes, count_file, count_pretokens, count_pretokens_in_text, progress_bar
from .bpe_merge import inverted_key as _inverted_key
from .pretokenize import check_pattern

__all__ = ["train_bpe", "train_bpe_from_text", "train_bpe_from_counts", "count_pretokens", "count_pretokens_in_text",
           "TrainingStoppedEarly"]


class TrainingStoppedEarly(UserWarning):
    """Training ran out of pairs before reaching vocab_size: the vocabulary is smaller than asked."""


# ---------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------

def _check_vocab_size(vocab_size: object, specials: tuple[str, ...]) -> int:
    """vocab_size as an int >= 256 + number of special tokens, or a clear error."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TypeError(f"vocab_size must be an int, got {vocab_size!r} ({type(vocab_size).__name__})")
    minimum = 256 + len(specials)
    if vocab_size < minimum:
        raise ValueError(f"vocab_size={vocab_size} is too small: it counts the 256 single bytes and the"
                         f" {len(specials)} special token(s), so it must be at least {minimum}")
    return vocab_size


def _looks_like_text(s: str) -> str:
    """Why `s` is obviously text rather than a file name ('' if it could be a path)."""
    if "\n" in s or "\r" in s:
        return "it has line breaks"
    if "\0" in s:
        return "it contains a NUL character"
    if len(s) > 4096 or any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in s.split(os.sep)):
        return f"it is {len(s):,} characters long"
    return ""


def check_path(input_path: object) -> Path:
    """input_path (a str or os.PathLike, as in CS336's run_train_bpe) as an existing file's Path, or a clear error."""
    if isinstance(input_path, (bytes, bytearray)):
        raise TypeError("input_path must be a file path (str or pathlib.Path), got bytes; to train on text,"
                        " call train_bpe_from_text(data.decode('utf-8'), vocab_size, ...)")
    if not isinstance(input_path, (str, os.PathLike)):
        raise TypeError(f"input_path must be a file path (str or pathlib.Path), got {type(input_path).__name__}")
    if isinstance(input_path, str):
        why = _looks_like_text(input_path)
        if why:
            raise FileNotFoundError(f"train_bpe takes the path of a text file (as CS336's run_train_bpe), but got"
                                    f" what looks like the text itself ({why}); to train on a string, call"
                                    " train_bpe_from_text(text, vocab_size, special_tokens)")
    path = Path(input_path)
    try:
        exists, is_file = path.exists(), path.is_file()
    except (OSError, ValueError):
        exists = is_file = False
    if not exists:
        raise FileNotFoundError(f"training file not found: {str(path)!r}; check the path (relative paths start at"
                                f" {os.getcwd()}), or, to train on a string, call train_bpe_from_text(text, ...)")
    if not is_file:
        raise IsADirectoryError(f"{path} is not a file; to train on a folder, load it first, e.g."
                                " train_bpe_from_text(lecture_utils.data.load_text(folder), ...)")
    return path


def _check_text(text: object) -> str:
    """text as a str with a UTF-8 form, or a clear error naming the fix."""
    if isinstance(text, os.PathLike):
        raise TypeError("train_bpe_from_text takes the text itself; to train on a file, call"
                        f" train_bpe({os.fspath(text)!r}, ...)")
    return check_utf8_text(text)


def _check_common(vocab_size: object, special_tokens: object, pattern: object) -> tuple[int, tuple[str, ...]]:
    specials = tuple(check_special_tokens(special_tokens))
    check_pattern(pattern)
    return _check_vocab_size(vocab_size, specials), specials


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------

def train_bpe(input_path: str | os.PathLike, vocab_size: int, special_tokens: Iterable[str] | None = None, *,
              pattern: str = "gpt2", num_processes: int | None = None, progress: bool | None = None,
              ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train byte-level BPE on a UTF-8 text file, as CS336's run_train_bpe; returns (vocab, merges).

    `input_path` is a path (a `str` or `pathlib.Path`); to train on a string use `train_bpe_from_text`.
    `vocab_size` counts the 256 bytes, the special tokens and the merges; `pattern` is the
    pre-tokenization ("gpt2", "cl100k_base", "o200k_base", ... or a regex). The file is streamed in
    bounded memory on `num_processes` processes (default: all CPUs, for files of a few MB and more);
    `progress` shows tqdm bars (default: when stderr is a terminal).
    """
    vocab_size, specials = _check_common(vocab_size, special_tokens, pattern)
    path = check_path(input_path)
    counts = count_file(path, specials, pattern, _check_processes(num_processes), progress, as_bytes=True)
    words = [w for w in counts if len(w) >= 2]  # a single byte has no pair: it never takes part in a merge
    weights = [counts[w] for w in words]
    del counts
    return _merge_loop(words, weights, vocab_size, specials, progress)


def train_bpe_from_text(text: str, vocab_size: int, special_tokens: Iterable[str] | None = None, *,
                        pattern: str = "gpt2", progress: bool | None = None,
                        ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train byte-level BPE on an in-memory string; returns (vocab, merges), exactly as `train_bpe` on a file.

    >>> vocab, merges = train_bpe_from_text("the cat in the hat", 258)
    >>> merges, vocab[256], vocab[257]  # (t, h), (h, e), (a, t) tie at 2: (t, h) is the greatest
    ([(b't', b'h'), (b'th', b'e')], b'th', b'the')
    """
    vocab_size, specials = _check_common(vocab_size, special_tokens, pattern)
    counts = count_pretokens_in_text(_check_text(text), specials, pattern=pattern)
    words, weights = _as_id_strings(counts)
    del counts
    return _merge_loop(words, weights, vocab_size, specials, progress)


def train_bpe_from_counts(word_counts: Mapping[str, int] | Mapping[bytes, int], vocab_size: int,
                          special_tokens: Iterable[str] | None = None, *, progress: bool | None = None,
                          ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """BPE merges from pre-token counts (str or bytes keys, int counts): the merge loop of `train_bpe`.

    >>> train_bpe_from_counts({"aa": 3, "ab": 2}, 258)[1]
    [(b'a', b'a'), (b'a', b'b')]
    """
    vocab_size, specials = _check_common(vocab_size, special_tokens, "gpt2")
    words, weights = _as_id_strings(word_counts)
    return _merge_loop(words, weights, vocab_size, specials, progress)


def _as_id_strings(word_counts: object) -> tuple[list[str], list[int]]:
    """Each pre-token as a str of chr(byte) per UTF-8 byte (ids 0..255), and its count; clear errors for bad input."""
    if not isinstance(word_counts, Mapping):
        raise TypeError(f"word_counts must be a dict of pre-token -> count, got {type(word_counts).__name__}")
    words: list[str] = []
    counts: list[int] = []
    for word, count in word_counts.items():
        if isinstance(word, str):
            raw = utf8(word)
        elif isinstance(word, (bytes, bytearray)):
            raw = bytes(word)
        else:  # bytes(5) would silently be five NUL bytes
            raise TypeError(f"pre-tokens must be str or bytes, got {word!r} ({type(word).__name__});"
                            " write str(x) or x.encode('utf-8') yourself if that is what you mean")
        try:
            if isinstance(count, bool):
                raise TypeError
            count = operator.index(count)  # int, or a numpy integer
        except TypeError:
            raise TypeError(f"the count of {word!r} must be an int, got {count!r} ({type(count).__name__})") from None
        if count < 0:
            raise ValueError(f"the count of {word!r} is negative ({count}); counts must be >= 0")
        if len(raw) >= 2 and count > 0:  # a single byte has no pair: it can never take part in a merge
            words.append(raw.decode("latin-1"))  # latin-1 maps byte x to chr(x): exactly our ids 0..255
            counts.append(count)
    return words, counts


# ---------------------------------------------------------------------------------------------
# Step 4: the merges
# ---------------------------------------------------------------------------------------------

def _initial_index(words: list[str], counts: list[int]):
    """Pair counts of the byte-level words and, per pair, the words that contain it (numpy, in bulk).

    Returns (pair_counts: {2-char str: count}, index: {2-char str: (start, end)}, members: int32 array):
    the words holding pair p are members[start:end], each once, in increasing order.
    """
    import numpy as np

    n = len(words)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=n)
    flat = np.frombuffer("".join(words).encode("latin-1"), dtype=np.uint8)  # every char is a byte id here
    if n == 0 or flat.size < 2:
        return {}, {}, np.zeros(0, dtype=np.int32)
    keep = np.ones(flat.size - 1, dtype=bool)
    keep[np.cumsum(lengths)[:-1] - 1] = False  # no pair across the end of a word
    keys = (flat[:-1].astype(np.int64) << 8 | flat[1:])[keep]  # pair (a, b) -> 256 a + b
    del flat, keep
    keys <<= 32
    keys |= np.repeat(np.arange(n, dtype=np.int64), lengths - 1)  # | the word holding it
    keys.sort()  # by pair, then word; about 8 bytes per pair position at the peak, plus this copy
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))  # each (pair, word) once
    repeats = np.diff(np.append(first, keys.size))  # how often the pair occurs in that word
    keys = keys[first]
    del first
    members = (keys & 0xFFFFFFFF).astype(np.int32)
    pair_of = (keys >> 32).astype(np.int32)
    del keys
    totals = np.bincount(pair_of, weights=repeats * np.asarray(counts, dtype=np.float64)[members], minlength=1 << 16)
    present = np.flatnonzero(totals)
    starts = np.searchsorted(pair_of, present, "left").tolist()
    stops = np.searchsorted(pair_of, present, "right").tolist()
    pair_counts, index = {}, {}
    for code, total, a, b in zip(present.tolist(), totals[present].tolist(), starts, stops):
        p = chr(code >> 8) + chr(code & 255)
        pair_counts[p] = int(total)
        index[p] = (a, b)
    return pair_counts, index, members


def _first_vocab(specials: tuple[str, ...]) -> dict[int, bytes]:
    """Ids 0..255 for the bytes, then the special tokens: the vocabulary before any merge."""
    vocab = {i: bytes([i]) for i in range(256)}
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
    return vocab


def _warn_if_stopped_early(merges: list, vocab: dict[int, bytes], vocab_size: int) -> None:
    """The TrainingStoppedEarly warning, if the pairs ran out before vocab_size (shown at the caller of train_bpe*)."""
    if len(vocab) < vocab_size:
        warnings.warn(f"BPE training stopped early: after {len(merges):,} merges no pair of tokens is left, so the"
                      f" vocabulary has {len(vocab):,} ids, not the {vocab_size:,} asked for; train on more text"
                      f" or ask for vocab_size={len(vocab)}", TrainingStoppedEarly, stacklevel=4)


def _merge_loop(words: list[str], counts: list[int], vocab_size: int, specials: tuple[str, ...],
                progress: bool | None) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """The merges (step 4 of the module docstring) as `train_bpe` runs them: `bpe_merge`'s fast loop (empties
    `words` and `counts` once its arrays hold them, to free their memory)."""
    vocab = _first_vocab(specials)
    merges = bpe_merge.merge_loop(words, counts, vocab, vocab_size - len(vocab), progress)
    _warn_if_stopped_early(merges, vocab, vocab_size)
    return vocab, merges


def _readable_merge_loop(words: list[str], counts: list[int], vocab_size: int, specials: tuple[str, ...],
                         progress: bool | None) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """The merges (step 4 of the module docstring), written to be read; rewrites `words` in place."""
    vocab = _first_vocab(specials)
    num_merges = vocab_size - len(vocab)
    # Where each pair lives: pairs of two bytes in `index` (slices of `members`, built in bulk);
    # pairs with a merged token in `where` (a list of word indices; may hold a word twice or a word
    # that has lost the pair since: the merge loop skips those).
    pair_counts, index, members = _initial_index(words, counts)
    where: dict[str, list[int]] = {}
    count_of = counts.__getitem__

    inv = [_inverted_key(vocab[i]) for i in range(256)]
    inv += [b""] * len(specials)  # never used: special tokens are in no word
    heap = [(-c, inv[ord(p[0])] + inv[ord(p[1])], p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[bytes, bytes]] = []
    bar = progress_bar(progress, num_merges, "merging", "merge")
    while len(merges) < num_merges and heap:
        neg, key, pair = heapq.heappop(heap)
        current = pair_counts.get(pair, 0)
        if current != -neg:  # stale: the count went down since this entry was pushed
            if current > 0:
                heapq.heappush(heap, (-current, key, pair))
            continue
        new_id = len(vocab)
        new = chr(new_id)
        first, second = pair
        a, b = ord(first), ord(second)
        vocab[new_id] = vocab[a] + vocab[b]
        merges.append((vocab[a], vocab[b]))
        inv.append(inv[a][:-2] + inv[b])
        del pair_counts[pair]
        candidates = where.pop(pair, None)
        if candidates is None:
            start, stop = index.pop(pair)
            candidates = members[start:stop].tolist()
        # One pass over the words that hold the pair: merge it, and note the neighbours of each
        # occurrence (the words they sit in, by neighbour). Left neighbour x: pair (x, first) becomes
        # (x, new); right y: (second, y) becomes (new, y); back to back: (second, first) -> (new, new).
        by_left: defaultdict[str, list[int]] = defaultdict(list)
        by_right: defaultdict[str, list[int]] = defaultdict(list)
        back_to_back: list[int] = []
        for wi in candidates:
            word = words[wi]
            if pair not in word:  # a repeated entry, or the word lost the pair since it was listed
                continue
            pieces = word.split(pair)
            words[wi] = new.join(pieces)
            if len(pieces) == 2:  # one occurrence: the common case
                left, right = pieces
                if left:
                    by_left[left[-1]].append(wi)
                if right:
                    by_right[right[0]].append(wi)
                continue
            for k in range(len(pieces) - 1):  # occurrence k sits between pieces[k] and pieces[k + 1]
                left, right = pieces[k], pieces[k + 1]
                if left:
                    by_left[left[-1]].append(wi)
                elif k:
                    back_to_back.append(wi)
                if right:  # (if empty, the next occurrence's `elif k` handles the join)
                    by_right[right[0]].append(wi)
        changes = [(x + first, x + new, found) for x, found in by_left.items()]
        changes += [(second + y, new + y, found) for y, found in by_right.items()]
        if back_to_back:
            changes.append((second + first, new + new, back_to_back))
        for old, fresh, found in changes:
            n = sum(map(count_of, found))
            if old != pair:
                left_over = pair_counts[old] - n
                if left_over:
                    pair_counts[old] = left_over
                else:  # gone for good: a pair without the newest token never reappears
                    del pair_counts[old]
                    if where.pop(old, None) is None:
                        index.pop(old, None)
            pair_counts[fresh] = n
            where[fresh] = found
            heapq.heappush(heap, (-n, inv[ord(fresh[0])] + inv[ord(fresh[1])], fresh))
        bar.update(1)
    bar.close()
    _warn_if_stopped_early(merges, vocab, vocab_size)
    return vocab, merges
