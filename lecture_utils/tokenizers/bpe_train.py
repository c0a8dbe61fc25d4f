"""The real byte-level BPE trainer: GPT-2 pre-tokenization, special tokens, incremental pair counts.

    >>> vocab, merges = train_bpe_from_text("low low lower lowest", 260)
    >>> merges  # (o, w) and (l, o) tie at 4: the lexicographically greater (o, w) wins
    [(b'o', b'w'), (b'l', b'ow'), (b' ', b'low'), (b' low', b'e')]

What it does, step by step (each a fix of a simplification in the lecture's `toy_bpe`):

1. **Input.** `train_bpe(input_path, ...)` takes a file path (a `str` or `pathlib.Path`), exactly as
   CS336 assignment 1's `run_train_bpe`; `train_bpe_from_text(text, ...)` takes the text itself.
2. **Special tokens** (e.g. `"<|endoftext|>"`) are cut out of the text first. Text on either side is
   trained on separately, so no merge ever crosses or contains a special token.
3. **Pre-tokenization** with GPT-2's pattern (`pretokenize.py`), so merges never cross a word
   boundary ("the" and " the" are learned, "e t" is not). Only the *unique* pre-tokens and their
   counts are kept. Large inputs are counted in parallel processes; chunk boundaries are put at
   special tokens or at safe whitespace cut points, so chunking never changes a single pre-token.
4. **Merges.** The most frequent adjacent pair (counted inside pre-tokens, weighted by how often each
   pre-token occurs) becomes a new token. **Ties go to the lexicographically greater pair of byte
   strings**, e.g. `(b"e", b"s") > (b"b", b"z")`: the CS336 assignment-1 rule, so your assignment
   solution can be checked against this trainer. After a merge only the pre-tokens that contain the
   pair are rewritten (an index pair -> pre-tokens finds them), and the pair counts are adjusted
   for those alone: no recount over the whole corpus. The best pair is found with a heap whose stale
   entries are skipped lazily (a pair's count can only go *down* after it exists, so a stale entry is
   always too high and is fixed when it reaches the top).

Vocabulary ids: 0..255 are the single bytes (id = byte value), then the special tokens in the order
given, then one id per merge in the order learned. This is the layout commonly used for CS336
assignment 1 (whose tests compare the vocabulary's byte strings and the merge list, not the ids).
`vocab_size` counts all three groups. If the text runs out of pairs first, training stops early and
the vocabulary is smaller than asked.

Deliberate simplifications: the whole table of unique pre-tokens lives in memory (fine up to a few
hundred MB of text); each pre-token is a Python `str` whose characters are token ids (`chr(id)`), so
"does it contain the pair" is one `in` test and the merge one C-level `split` + `join`. Pure Python
and the standard library only: no compiled extension.
"""
from __future__ import annotations

import heapq
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .pretokenize import find_byte_cut, inside_special, iter_blocks, pretokenize, special_pattern

__all__ = ["train_bpe", "train_bpe_from_text", "train_bpe_from_counts", "count_pretokens", "BLOCK_BYTES", "PARALLEL_MIN_BYTES"]

BLOCK_BYTES = 1 << 19  # pre-tokenize in blocks of ~0.5 MB: bounds the memory of the temporary token lists
CHUNK_BYTES = 1 << 21  # one task for a worker process: ~2 MB of text
PARALLEL_MIN_BYTES = 4 << 20  # below ~4 MB, starting worker processes costs more than it saves


# ---------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------

def _check_specials(special_tokens: Iterable[str] | None) -> tuple[str, ...]:
    """The special tokens as a tuple of distinct non-empty str, or a clear TypeError/ValueError."""
    if special_tokens is None:
        return ()
    if isinstance(special_tokens, (str, bytes)):
        raise TypeError(f"special_tokens must be a list of str, got a single {type(special_tokens).__name__};"
                        f" write special_tokens=[{special_tokens!r}]")
    specials = tuple(special_tokens)
    for s in specials:
        if not isinstance(s, str):
            raise TypeError(f"special tokens must be str, got {s!r} ({type(s).__name__});"
                            " decode bytes first, e.g. b'<|endoftext|>'.decode('utf-8')")
        if not s:
            raise ValueError("a special token cannot be the empty string")
    duplicates = sorted({s for s in specials if specials.count(s) > 1})
    if duplicates:
        raise ValueError(f"special tokens must be distinct; repeated: {duplicates}")
    return specials


def _check_vocab_size(vocab_size: object, specials: Sequence[str]) -> int:
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


def _check_path(input_path: object) -> Path:
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
    """text as a str, or a clear TypeError naming the fix."""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        raise TypeError("text must be a str, got bytes; decode them first, e.g. data.decode('utf-8')")
    if isinstance(text, os.PathLike):
        raise TypeError("train_bpe_from_text takes the text itself; to train on a file, call"
                        f" train_bpe({os.fspath(text)!r}, ...)")
    raise TypeError(f"text must be a str, got {type(text).__name__}")


def _check_source(source: object) -> str | Path:
    """Internal: a str is text, an os.PathLike a file (used by count_pretokens)."""
    if isinstance(source, os.PathLike):
        return _check_path(source)
    return _check_text(source)


# ---------------------------------------------------------------------------------------------
# Step 1-3: count the unique pre-tokens (in parallel for large inputs)
# ---------------------------------------------------------------------------------------------

def _count_text(text: str, specials: tuple[str, ...]) -> Counter:
    """Pre-token counts of one piece of text, special tokens cut out first."""
    counts: Counter = Counter()
    for part in _between_specials(text, specials):
        for block in iter_blocks(part, BLOCK_BYTES):
            counts.update(pretokenize(block))
    return counts


def _between_specials(text: str, specials: tuple[str, ...]) -> Iterable[str]:
    """The pieces of text between special tokens, one at a time (not a list: saves a copy of text)."""
    splitter = special_pattern(specials, capture=False)
    if splitter is None:
        yield text
        return
    start = 0
    for m in splitter.finditer(text):
        yield text[start:m.start()]
        start = m.end()
    yield text[start:]


def _read_range(path: Path, start: int, end: int) -> str:
    """The text of bytes [start, end) of a UTF-8 file (the range starts and ends on whole characters)."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not valid UTF-8 (bad byte {data[err.start:err.start + 1]!r} at offset"
                         f" {start + err.start}); convert it first, e.g. `iconv -f GBK -t UTF-8`") from None


def _count_task(task: tuple) -> Counter:
    """Worker entry point: count one chunk, given as ("text", str, specials) or ("file", path, start, end, specials)."""
    if task[0] == "text":
        return _count_text(task[1], task[2])
    _, path, start, end, specials = task
    return _count_text(_read_range(path, start, end), specials)


def _text_chunks(text: str, n: int, specials: tuple[str, ...]) -> list[str]:
    """Cut text into about n chunks at special tokens or safe cut points."""
    size = max(1, len(text) // n)
    return list(iter_blocks(text, size, specials)) if n > 1 else [text]


def _next_file_boundary(f, offset: int, size: int, specials: list[bytes]) -> int:
    """The first byte offset >= `offset` that is a safe chunk boundary (see pretokenize.py), or -1.

    Candidates: the start of a special token, or an ASCII safe cut; never inside a special token.
    """
    margin = max((len(s) for s in specials), default=1)
    window = 1 << 16
    while True:
        start = max(0, offset - margin)  # look back far enough to see a special token spanning offset
        f.seek(start)
        data = f.read(offset - start + window + margin)
        at_eof = start + len(data) >= size
        limit = len(data) if at_eof else len(data) - margin  # leave room to see a whole special after
        rel = offset - start
        candidates = [i for i in (data.find(s, rel) for s in specials) if 0 <= i < limit]
        cut = find_byte_cut(data, rel)
        while 0 <= cut < limit and inside_special(data, cut, specials):
            cut = find_byte_cut(data, cut + 1)
        if 0 <= cut < limit:
            candidates.append(cut)
        candidates = [i for i in candidates if i == cut or not inside_special(data, i, specials)]
        if candidates:
            return start + min(candidates)
        if at_eof:
            return -1
        window *= 2


def _file_boundaries(path: Path, n: int, specials: tuple[str, ...]) -> list[int]:
    """Byte offsets cutting a file into about n chunks: [0, b1, ..., size], each b a safe boundary."""
    size = path.stat().st_size
    encoded = [s.encode("utf-8") for s in specials]
    bounds = [0]
    with open(path, "rb") as f:
        for k in range(1, n):
            offset = size * k // n
            if offset <= bounds[-1]:
                continue
            cut = _next_file_boundary(f, offset, size, encoded)
            if cut < 0:
                break
            bounds.append(cut)
    return bounds + [size] if size > 0 else [0, 0]


def _mp_context():
    """'fork' where it is safe and available (fast start), else the platform's default start method."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux"):
        try:
            single_threaded = len(os.listdir("/proc/self/task")) == 1
        except OSError:
            single_threaded = False
        if single_threaded:  # forking a multi-threaded process can deadlock the child
            return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def count_pretokens(source: str | os.PathLike, special_tokens: Iterable[str] = (), *,
                    num_processes: int | None = None, progress: bool = False) -> Counter:
    """Counts of the unique GPT-2 pre-tokens in text or a file, special tokens cut out first.

    >>> sorted(count_pretokens("the cat, the hat, the end").items())
    [(' cat', 1), (' end', 1), (' hat', 1), (' the', 2), (',', 2), ('the', 1)]
    """
    specials = _check_specials(special_tokens)
    source = _check_source(source)
    size = len(source) if isinstance(source, str) else source.stat().st_size
    if num_processes is None:
        num_processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    elif isinstance(num_processes, bool) or not isinstance(num_processes, int) or num_processes < 1:
        raise ValueError(f"num_processes must be a positive int or None, got {num_processes!r}")
    workers = min(num_processes, max(1, size // (PARALLEL_MIN_BYTES // 2)))
    if size < PARALLEL_MIN_BYTES:
        workers = 1
    # More chunks than workers: each chunk's temporary lists stay small and the load balances itself.
    n_chunks = max(workers, -(-size // CHUNK_BYTES))
    if isinstance(source, str):
        if workers <= 1:  # in this process: no need to cut the text, nor to copy it
            n_chunks = 1
        tasks = [("text", chunk, specials) for chunk in _text_chunks(source, n_chunks, specials)]
    else:
        bounds = _file_boundaries(source, n_chunks, specials)
        tasks = [("file", source, a, b, specials) for a, b in zip(bounds, bounds[1:])]
    counts: Counter = Counter()
    bar = _progress_bar(progress, len(tasks), "pre-tokenizing", "chunk")
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            counts.update(_count_task(task))
            bar.update(1)
    else:
        with _mp_context().Pool(min(workers, len(tasks))) as pool:
            for part in pool.imap_unordered(_count_task, tasks):
                counts.update(part)
                bar.update(1)
    bar.close()
    return counts


def _progress_bar(enabled: bool, total: int, desc: str, unit: str):
    """A tqdm bar if enabled, else a do-nothing stand-in with the same update/close methods."""
    if enabled:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=desc, unit=unit)

    class _Quiet:
        def update(self, n: int = 1) -> None:
            pass

        def close(self) -> None:
            pass

    return _Quiet()


# ---------------------------------------------------------------------------------------------
# Step 4: the merges
# ---------------------------------------------------------------------------------------------

# A token's sort key for "lexicographically greater wins" in a *min*-heap: each byte x becomes the
# 2-byte big-endian number 256 - x (so larger bytes sort first) and a terminator 257 (larger than any
# byte, so a prefix sorts *after* its extensions). key(a) + key(b) then orders pairs (a, b)
# in reverse lexicographic order, which is what the min-heap needs.
_INV = [(256 - x).to_bytes(2, "big") for x in range(256)]
_TERM = (257).to_bytes(2, "big")


def _inverted_key(token: bytes) -> bytes:
    """Sort key that reverses lexicographic order of byte strings (see _INV)."""
    return b"".join(_INV[x] for x in token) + _TERM


def train_bpe_from_counts(word_counts: dict[str, int] | dict[bytes, int], vocab_size: int,
                          special_tokens: Iterable[str] = (), *, progress: bool = False,
                          ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """BPE merges from pre-token counts (str or bytes keys): the merge loop of `train_bpe`.

    >>> train_bpe_from_counts({"aa": 3, "ab": 2}, 258)[1]
    [(b'a', b'a'), (b'a', b'b')]
    """
    specials = _check_specials(special_tokens)
    vocab_size = _check_vocab_size(vocab_size, specials)
    words, counts = _as_id_strings(word_counts)
    return _merge_loop(words, counts, vocab_size, specials, progress)


def _as_id_strings(word_counts: dict[str, int] | dict[bytes, int]) -> tuple[list[str], list[int]]:
    """Each pre-token as a str of chr(token id), to start with chr(byte) per UTF-8 byte; and its count."""
    words: list[str] = []
    counts: list[int] = []
    for word, count in word_counts.items():
        raw = word.encode("utf-8") if isinstance(word, str) else bytes(word)
        if len(raw) >= 2 and count > 0:  # a single byte has no pair: it can never take part in a merge
            words.append(raw.decode("latin-1"))  # latin-1 maps byte x to chr(x): exactly our ids 0..255
            counts.append(count)
    return words, counts


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
    codes = (flat[:-1].astype(np.int64) << 8 | flat[1:])[keep]  # pair (a, b) -> 256 a + b
    del flat, keep
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths - 1)  # the word of each pair position
    totals = np.bincount(codes, weights=np.asarray(counts, dtype=np.float64)[owner], minlength=1 << 16)
    keys = np.sort(codes << 32 | owner)  # (pair, word), sorted by pair then word
    del codes, owner
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]  # each (pair, word) once
    pair_of = keys >> 32
    members = (keys & 0xFFFFFFFF).astype(np.int32)
    del keys
    present = np.flatnonzero(totals)
    starts = np.searchsorted(pair_of, present, "left").tolist()
    stops = np.searchsorted(pair_of, present, "right").tolist()
    pair_counts, index = {}, {}
    for code, total, a, b in zip(present.tolist(), totals[present].tolist(), starts, stops):
        p = chr(code >> 8) + chr(code & 255)
        pair_counts[p] = int(total)
        index[p] = (a, b)
    return pair_counts, index, members


def _merge_loop(words: list[str], counts: list[int], vocab_size: int, specials: tuple[str, ...],
                progress: bool) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """The merges (step 4 of the module docstring); rewrites `words` in place."""
    vocab: dict[int, bytes] = {i: bytes([i]) for i in range(256)}
    for s in specials:
        vocab[len(vocab)] = s.encode("utf-8")
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
    bar = _progress_bar(progress, num_merges, "merging", "merge")
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
        by_left: dict[str, list[int]] = {}
        by_right: dict[str, list[int]] = {}
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
                    found = by_left.get(left[-1])
                    if found is None:
                        by_left[left[-1]] = [wi]
                    else:
                        found.append(wi)
                if right:
                    found = by_right.get(right[0])
                    if found is None:
                        by_right[right[0]] = [wi]
                    else:
                        found.append(wi)
                continue
            for k in range(len(pieces) - 1):  # occurrence k sits between pieces[k] and pieces[k + 1]
                left, right = pieces[k], pieces[k + 1]
                if left:
                    by_left.setdefault(left[-1], []).append(wi)
                elif k:
                    back_to_back.append(wi)
                if right:  # (if empty, the next occurrence's `elif k` handles the join)
                    by_right.setdefault(right[0], []).append(wi)
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
    return vocab, merges


def train_bpe(input_path: str | os.PathLike, vocab_size: int, special_tokens: Iterable[str] | None = None, *,
              num_processes: int | None = None, progress: bool = False,
              ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train byte-level BPE on a UTF-8 text file, as CS336's run_train_bpe; returns (vocab, merges).

    `input_path` is a path (a `str` or `pathlib.Path`); to train on a string use `train_bpe_from_text`.
    `vocab_size` counts the 256 bytes, the special tokens and the merges. `num_processes` (default:
    all CPUs) is used for files of at least a few MB; `progress=True` shows tqdm bars.
    """
    specials = _check_specials(special_tokens)
    vocab_size = _check_vocab_size(vocab_size, specials)
    path = _check_path(input_path)
    words, counts = _as_id_strings(count_pretokens(path, specials, num_processes=num_processes, progress=progress))
    return _merge_loop(words, counts, vocab_size, specials, progress)  # (the Counter is freed by now)


def train_bpe_from_text(text: str, vocab_size: int, special_tokens: Iterable[str] | None = None, *,
                        num_processes: int | None = None, progress: bool = False,
                        ) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train byte-level BPE on an in-memory string; returns (vocab, merges), exactly as `train_bpe` on a file.

    >>> vocab, merges = train_bpe_from_text("the cat in the hat", 258)
    >>> merges, vocab[256], vocab[257]  # (t, h), (h, e), (a, t) tie at 2: (t, h) is the greatest
    ([(b't', b'h'), (b'th', b'e')], b'th', b'the')
    """
    specials = _check_specials(special_tokens)
    vocab_size = _check_vocab_size(vocab_size, specials)
    text = _check_text(text)
    words, counts = _as_id_strings(count_pretokens(text, specials, num_processes=num_processes, progress=progress))
    return _merge_loop(words, counts, vocab_size, specials, progress)
