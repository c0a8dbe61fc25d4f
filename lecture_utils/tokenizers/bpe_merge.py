"""The merges of `train_bpe`, fast: the same merges as `bpe_train._readable_merge_loop`, in flat arrays.

The readable loop keeps each distinct pre-token as a `str` and rewrites the pre-tokens that hold the
pair one by one in Python; on long pre-tokens (Chinese text: a whole phrase of 3-byte characters is
one pre-token) that is most of the training time. This loop learns exactly the same merges (the same
counts, the same heap order, the same tie-break; tests compare the two on random and real corpora).
A merge with many occurrences runs in numpy, all occurrences at once; one with a few (fewer than
`NUMPY_MIN` positions to look at) in plain Python, where numpy's cost per call would dominate.

The data, for all pre-tokens laid end to end, one *position* per byte, each a record of five int32
(`node[i]`; the names below are views of its columns), so that one gather reads all of a position's
fields from one cache line (the arrays are far larger than the cache; the neighbours are close by):

- `tok[i]`: the token that starts at position i (-1 or stale once i is merged into the token on its left);
- `nxt[i]` / `prv[i]`: the position of the next / previous token of the same pre-token, or `end`
  (a doubly linked list per pre-token; `end` is one extra position whose token is always -1);
- `weight[i]`: how often the pre-token holding position i occurs;
- `pid[i]`: the id of the pair (tok[i], tok[nxt[i]]), or -1 if there is none.

Each pair gets an id when it first appears. Per id: its two tokens (`code`), its `count` (kept exact:
the total weight of its occurrences) and the positions where it appeared, `arena[start[id]:start[id + 1]]`.
A pair's positions are all written at one moment, at the start for two bytes, else by the merge that
makes its newer token (nothing else can put a new token next to an old one); some go stale later, and
`pid[i] == id` tells the live ones. A stale position never comes back (a position only ever gets a newer
id), so when the arena is full it is compacted in place, dropping the stale ones; it grows only if that
frees too little. The pairs of two bytes are placed by a counting sort, a chunk at a time (memory).

A merge of (a, b) into n at positions P (left to right; in a run `a a a a` of an (a, a) merge, the
1st and 3rd), with left neighbours x and right neighbours y: (x, a) and (b, y) lose the weights of
their positions, and (x, n) and (n, y) are new pairs (in `a b a b` the middle (b, a) becomes (n, n)).

The heap is the readable loop's (most frequent first, ties to the lexicographically greater pair; an
entry is (-count, key(a), key(b), id), which orders as key(a) + key(b) would, without making that key),
with one saving: the new pairs of a merge (if more than a few) go on it as one *batch*, sorted by
count, under one entry. If the batch's top count is one pair's alone, the entry is that pair's own
(count, key): when it reaches the top, the pair is merged at once (or, if its count went down, pushed
with its count) and the entry moves on to the batch's next pair. If several pairs share the top count,
the entry's key is `b""`, which sorts before every pair's key, and opening it pushes those pairs one by
one. Most new pairs are rare and never reach the top, so they never cost a heap push.
"""
from __future__ import annotations

import gc
import heapq
import itertools
from array import array
from collections.abc import Sequence

import numpy as np

from .bpe_count import progress_bar

__all__ = ["merge_loop", "inverted_key", "NUMPY_MIN"]

# A token's sort key for "lexicographically greater wins" in a *min*-heap: each byte x becomes the
# 2-byte big-endian number 256 - x (so larger bytes sort first) and a terminator 257 (larger than any
# byte, so a prefix sorts *after* its extensions). key(a) + key(b) then orders pairs (a, b)
# in reverse lexicographic order, which is what the min-heap needs.
_INV = [(256 - x).to_bytes(2, "big") for x in range(256)]
_TERM = (257).to_bytes(2, "big")
_BATCH = b""  # the heap key of a batch of new pairs: before every pair's key
_FEW = 4  # a merge that makes at most this many new pairs pushes them one by one, not as a batch

NUMPY_MIN = 60  # a merge with at least this many positions to look at runs in numpy, fewer in plain Python
_RIGHT = 1 << 31  # in a pair's code `n << 32 | side | other`: the pair is (n, other), else (other, n)
_OTHER = _RIGHT - 1
_MAX_WEIGHT = 2**31 - 1  # weights are int32: a pre-token counted more often is split into several
_CHUNK = 1 << 16  # positions per step where a whole array is processed a piece at a time (memory)
_SPARE = 2  # the arena starts with room for the positions of the pairs of two bytes and 1 / _SPARE more,
_ROOMY = 1 << 22  # ... or up to twice as many more, at most this many (a small corpus then never compacts)
_FIELDS = 5  # a position's record: its next and previous position, token, pair id and weight (int32 each)
_NXT, _PRV, _TOK, _PID, _W = range(_FIELDS)  # (_TOK and _PID side by side: a dead position sets both to -1)
_SMALL_RIGHT = 1 << 15  # the side bit of a new pair's 16-bit code (tokens below 2**15 - 1; -1 is "no pair")
_SMALL_TOKENS = _SMALL_RIGHT - 1  # merges make tokens below this with 16-bit codes, the others with 64-bit ones
_SMALL_NONE = np.uint16(0xFFFF)  # the 16-bit code of "no pair" (token -1)
_NONE = np.int64(1 << 62)  # the 64-bit code of "no pair" (larger than any pair's)
_WIDE = np.arange(1 << 16, dtype=np.int64)  # a 16-bit code as a pair's code (side bit 15 -> _RIGHT)
_WIDE[_SMALL_RIGHT:] += _RIGHT - _SMALL_RIGHT


def inverted_key(token: bytes) -> bytes:
    """Sort key that reverses lexicographic order of byte strings (see _INV)."""
    return b"".join(_INV[x] for x in token) + _TERM


def _pair_of(code: int) -> tuple[int, int]:
    """The two tokens of a pair's code."""
    other, n = code & _OTHER, code >> 32
    return (n, other) if code & _RIGHT else (other, n)


class _Merger:
    """All pre-tokens as linked token lists in one array of records, and the pairs (see the module docstring)."""

    def __init__(self, words: list[str], counts: list[int], consume: bool = False):
        given = (words, counts)
        counts = np.asarray(counts, dtype=np.int64)
        if counts.size and int(counts.max()) > _MAX_WEIGHT:  # (pair counts are int64; only weights are int32)
            copies = -(-counts // _MAX_WEIGHT)  # a pre-token counted c times: ceil(c / max) copies
            words = [w for w, k in zip(words, copies.tolist()) for _ in range(k)]
            split = np.full(int(copies.sum()), _MAX_WEIGHT, dtype=np.int64)
            split[np.cumsum(copies) - 1] = counts - (copies - 1) * _MAX_WEIGHT
            counts = split
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        size = int(lengths.sum())
        if size >= 2**31 - 1:
            raise MemoryError(f"the distinct pre-tokens hold {size:,} bytes in all; this trainer handles up to"
                              f" {2**31 - 2:,} (train on less text, or count pre-tokens on a sample)")
        self.end = end = size  # the extra position after the last one
        self.node = node = np.empty((size + 1, _FIELDS), dtype=np.int32)  # one record per position
        self.nxt, self.prv, self.tok, self.pid, self.weight = (node[:, f] for f in range(_FIELDS))  # (views)
        self.records = node.view(f"V{node.itemsize * _FIELDS}").reshape(-1)  # (a record as one item: put)
        self.tok[:size] = np.frombuffer("".join(words).encode("latin-1"), dtype=np.uint8)  # chr(byte) -> byte
        del words
        if consume:  # (the arrays hold it all now: free the lists' memory for the merges)
            for given_list in given:
                if isinstance(given_list, list):
                    given_list.clear()
        del given
        stops = np.cumsum(lengths)
        for lo in range(0, size + 1, _CHUNK):  # (a chunk at a time: no whole-size temporary next to the records)
            hi = min(lo + _CHUNK, size + 1)
            self.nxt[lo:hi] = np.arange(lo + 1, hi + 1, dtype=np.int32)
            self.prv[lo:hi] = np.arange(lo - 1, hi - 1, dtype=np.int32)
        self.nxt[stops - 1] = end
        self.prv[stops - lengths] = end
        self.weight[:size] = np.repeat(counts.astype(np.int32), lengths)
        del counts, lengths, stops
        node[end] = (end, end, -1, -1, 0)  # (nxt, prv, tok, pid, weight) of the extra position
        self.pid[:size] = -1
        self.code = array("q")  # per pair id: its tokens, n << 32 | side | other (see _RIGHT)
        self.start = array("q", [0])  # per pair id: where its positions start in the arena; then the end
        self.count = np.zeros(1, dtype=np.int64)  # per pair id: its current count; the last entry is scratch
        self.arena = np.zeros(0, dtype=np.int32)
        self._views()
        self._byte_pairs()

    @property
    def pairs(self) -> int:
        return len(self.code)

    def _views(self) -> None:
        """Memoryviews of the arrays, for element access from Python (faster than numpy's)."""
        self.tok_, self.nxt_, self.prv_, self.pid_, self.weight_, self.count_ = map(
            memoryview, (self.tok, self.nxt, self.prv, self.pid, self.weight, self.count))

    def _room(self, pairs: int, positions: int) -> int:
        """Room for `pairs` more pair ids and `positions` more arena entries; returns the arena's end.

        The count array always keeps one entry past the last pair id: the scratch entry (index -1) that
        `_merge_all_at_once` subtracts the sides without a pair from.
        """
        if self.pairs + pairs >= self.count.size:
            self.count = np.concatenate((self.count, np.zeros(max(pairs, self.count.size), dtype=np.int64)))
            self._views()
        used = self.start[-1]
        if used + positions > self.arena.size:
            if used:
                used = self._compact()
            if used + positions + used // 4 > self.arena.size:  # (still nearly full: grow, with room to spare)
                size = used + positions + used // 2
                try:
                    self.arena.resize(size)  # in place if it can (no copy of the old next to the new)
                except ValueError:  # (another reference to the arena, e.g. a view)
                    self.arena = np.concatenate((self.arena[:used], np.empty(size - used, dtype=np.int32)))
        return used

    def _compact(self) -> int:
        """Drop every pair's stale positions from the arena, in place, a chunk at a time; returns its new end.

        A stale position never becomes live again (a position only ever gets a newer pair id), so the
        merges see exactly the positions they saw before. A pair whose count is 0 has no live position (or,
        in the middle of a merge, only ones about to get a new pair id): its positions go without a look.
        """
        start = np.array(self.start, dtype=np.int64)
        arena, pid, pairs, chunk = self.arena, self.pid, self.pairs, _CHUNK
        kept = np.zeros(pairs + 1, dtype=np.int64)
        write = j = 0
        while j < pairs:
            stop = min(pairs, max(j + 1, int(np.searchsorted(start, start[j] + chunk, "right")) - 1))
            lo, hi = start[j], start[stop]
            if hi > lo:
                sizes = np.diff(start[j:stop + 1])
                sizes[self.count[j:stop] == 0] = 0
                listed = np.repeat(sizes > 0, np.diff(start[j:stop + 1]))  # (the positions of pairs still there)
                owner = np.repeat(np.arange(j, stop, dtype=np.int32), sizes)
                live = arena[lo:hi][listed]
                keep = pid[live] == owner
                live = live[keep]
                arena[write:write + live.size] = live
                write += live.size
                kept[j + 1:stop + 1] = np.bincount(owner[keep] - j, minlength=stop - j)
            j = stop
        np.cumsum(kept, out=kept)
        self.start = array("q", kept.tobytes())
        return write

    def _byte_pairs(self) -> None:
        """Ids, counts and positions of the pairs of two bytes, in bulk (a chunk at a time: memory)."""
        tok, nxt, size, end, chunk = self.tok, self.nxt, self.end, self.end, _CHUNK
        if size < 2:
            return
        codes = tok[:size - 1].astype(np.uint16)  # 256 a + b for the pair (a, b) starting at each position
        codes <<= 8
        np.bitwise_or(codes, tok[1:size], out=codes, casting="unsafe")
        last = nxt[:size - 1] == end  # a pre-token's last byte: no pair starts there
        codes[last] = 0  # (counted with the pairs (0, 0) in `tally`, taken out again below)
        tally = np.zeros(1 << 16, dtype=np.int64)
        for lo in range(0, size - 1, chunk):  # (bincount of a chunk: it counts in int64)
            tally += np.bincount(codes[lo:lo + chunk], minlength=1 << 16)
        tally[0] -= np.count_nonzero(last)
        del last
        present = np.flatnonzero(tally)  # the pairs that occur, in order: their ids
        k, base = present.size, self.pairs
        if not k:
            return
        lut = np.full(1 << 16, -1, dtype=np.int32)
        lut[present] = np.arange(base, base + k, dtype=np.int32)
        n = int(tally.sum())  # pair positions
        self._room(k, 0)
        used = 0
        spare = max(n // _SPARE, min(2 * n, _ROOMY))  # (pages are touched only when written: see _room)
        self.arena = np.empty(n + spare, dtype=np.int32)  # (room to spare: compacted when full, see _room)
        cursor = np.cumsum(tally) - tally + used  # per pair: where its next position goes
        first = cursor.take(present)
        arena, pid, weight = self.arena, self.pid, self.weight
        total = np.zeros(1 << 16, dtype=np.int64)
        for lo in range(0, size - 1, chunk):  # positions by pair, then position: a counting sort
            hi = min(lo + chunk, size - 1)
            at = np.flatnonzero(nxt[lo:hi] != end)
            these = codes[lo:hi].take(at)
            at += lo
            pid[at] = lut.take(these)
            total += np.bincount(these, weights=weight[at], minlength=1 << 16).astype(np.int64)  # (exact: < 2**53)
            order = np.argsort(these, kind="stable")  # (a radix sort: codes are 16 bits)
            these = these.take(order)
            here = np.bincount(these, minlength=1 << 16)
            rank = np.arange(these.size) - (np.cumsum(here) - here).take(these)
            arena[cursor.take(these) + rank] = at.take(order)
            cursor += here
        del codes
        self.count[base:base + k] = total.take(present)
        self.code.frombytes(((present & 255) << 32 | present >> 8).tobytes())  # (a, b) as b << 32 | a
        self.start.pop()
        self.start.frombytes(first.tobytes())
        self.start.append(used + n)

    def _add_pairs(self, codes: np.ndarray, positions: np.ndarray, weights: np.ndarray, new: int,
                   ) -> tuple[Sequence[int], Sequence[int]]:
        """New pair ids for the pairs of `new` with `codes` (sorted; see _merge_all_at_once), at `positions`
        (increasing within each code) in pre-tokens of `weights`; (ids, counts), most frequent first."""
        n = codes.size
        if not n:
            return [], []
        base = self.pairs  # (> 0: the merged pair has an id)
        ids = np.empty(n, dtype=np.int32)  # 1 where a code starts, 0 where it goes on; `base` first
        ids[0] = base
        np.not_equal(codes[1:], codes[:-1], out=ids[1:])
        first = ids.nonzero()[0]
        k = first.size
        used = self._room(k, n)
        np.add.accumulate(ids, out=ids)  # (the pair id at each position; np.cumsum costs more on small arrays)
        self.pid[positions] = ids
        counts = np.add.reduceat(weights, first)
        self.count[base:base + k] = counts
        code = _WIDE.take(codes[first]) if codes.dtype == np.uint16 else codes[first]
        code |= new << 32
        self.code.frombytes(code.tobytes())
        first += used
        self.start.pop()
        self.start.frombytes(first.tobytes())
        self.start.append(used + n)
        self.arena[used:used + n] = positions
        order = counts.argsort()[::-1]  # (most frequent first; ties in any order: a batch opens them together)
        counts = counts[order]
        order += base
        # (array("q"): 16 bytes a pair while it waits in its batch, and quick to read one by one from Python)
        return array("q", order.tobytes()), array("q", counts.tobytes())

    def merge(self, pair: int, new: int) -> tuple[Sequence[int], Sequence[int]]:
        """Merge every occurrence of pair id `pair` into `new`; the new pairs (ids, counts), most frequent first."""
        lo, hi = self.start[pair], self.start[pair + 1]
        if hi - lo < NUMPY_MIN:  # (copies of the positions: the arena may move while merging)
            fresh = self._merge_one_by_one(pair, new, self.arena[lo:hi].tolist())
        else:
            fresh = self._merge_all_at_once(pair, new, self.arena[lo:hi])
        self.count_[pair] = 0  # every occurrence is merged (or overlapped a merged one, in "a a a")
        return fresh

    def _merge_one_by_one(self, pair: int, new: int, where: list[int]) -> tuple[Sequence[int], Sequence[int]]:
        """`merge` in plain Python, occurrence by occurrence (faster for a few occurrences)."""
        used = self._room(2 * len(where), 2 * len(where))
        tok, nxt, prv, pid, weight, count, end = (self.tok_, self.nxt_, self.prv_, self.pid_, self.weight_,
                                                  self.count_, self.end)
        base = self.pairs
        fresh: dict[int, int] = {}  # x -> index of (x, new); ~y -> index of (new, y) (id: base + index)
        counts: list[int] = []  # per new pair, its count
        positions: list[list[int]] = []  # per new pair, its positions
        codes = self.code  # (a new pair's code is added when it is made: its id is the next one)
        high, high_right = new << 32, new << 32 | _RIGHT
        # (The left and right updates below are written out twice on purpose: a helper call per occurrence
        # would cost more than the rest of this loop.)
        for p in where:
            if pid[p] != pair:  # stale, or an (a, a) occurrence overlapping the one just merged
                continue
            q = nxt[p]
            left, right, w, pq = prv[p], nxt[q], weight[p], pid[q]
            tok[p] = new
            pid[q] = -1
            nxt[p] = right
            if left != end:  # (x, a) -> (x, new)
                x = tok[left]
                if x != new:  # (else left is the occurrence just merged, "a b a b": its right side is (new, new))
                    count[pid[left]] -= w
                    j = fresh.get(x)
                    if j is None:
                        fresh[x] = j = len(counts)
                        counts.append(w)
                        positions.append([left])
                        codes.append(high | x)
                    else:
                        counts[j] += w
                        positions[j].append(left)
                    pid[left] = base + j
            if right != end:  # (b, y) -> (new, y); y is `new` if the next occurrence starts at `right`
                count[pq] -= w
                prv[right] = p
                y = new if pid[right] == pair else tok[right]
                j = fresh.get(~y)
                if j is None:
                    fresh[~y] = j = len(counts)
                    counts.append(w)
                    positions.append([p])
                    codes.append(high_right | y)
                else:
                    counts[j] += w
                    positions[j].append(p)
                pid[p] = base + j
            else:
                pid[p] = -1
        k = len(counts)
        if not k:
            return [], []
        self.count[base:base + k] = counts
        starts = list(itertools.accumulate(map(len, positions), initial=used))
        self.start.pop()
        self.start.extend(starts)
        self.arena[used:starts[-1]] = list(itertools.chain.from_iterable(positions))
        if k <= _FEW:  # (pushed one by one: no order needed)
            return range(base, base + k), counts
        ids = sorted(range(base, base + k), key=count.__getitem__, reverse=True)
        return array("q", ids), array("q", sorted(counts, reverse=True))  # (the same counts, in the same order)

    def _merge_all_at_once(self, pair: int, new: int, where: np.ndarray) -> tuple[Sequence[int], Sequence[int]]:
        """`merge` with numpy, all live occurrences among the positions `where` at once (faster for many).

        (`where` is a view of the arena: read only before `_add_pairs`, which may compact the arena.)
        """
        node, records = self.node, self.records
        rec = node.take(where, axis=0)  # (k, _FIELDS): the records at a's positions
        keep = rec[:, _PID] == pair
        at = where
        if np.count_nonzero(keep) < keep.size:  # (stale ones: drop them)
            at, rec = where[keep], rec[keep]  # the live occurrences, left to right
        a, b = _pair_of(self.code[pair])
        if a == b and at.size > 1:  # (a, a): in a run a a a ..., the 1st, 3rd, ... (what str.split takes)
            take = _every_other_in_runs(at, rec[:, _NXT])
            if take is not None:
                at, rec = at[take], rec[take]
        after = rec[:, _NXT]  # b's positions: b is merged away (a view: read before rec changes)
        old = node.take(after, axis=0)  # their records
        right, lost_right = old[:, _NXT], old[:, _PID].copy()
        # Each occurrence has a left side, (x, a) at `left` becoming (x, new) there, and a right side,
        # (b, y) at b's position becoming (new, y) at `at`. In "a b a b" the middle (b, a) is the right pair
        # of the first occurrence and the left pair of the second: counted once, as a right side (b's
        # position, the second's left, is dead from here on: token -1, pair -1).
        old[:, _TOK:_PID + 1] = -1
        records.put(after, old.view(records.dtype))
        left, w = rec[:, _PRV], rec[:, _W]  # (views of rec; unchanged below)
        rec[:, _NXT] = right
        rec[:, _TOK:_PID + 1] = (new, -1)  # (the pair id is set again below where (new, y) is a pair)
        records.put(at, rec.view(records.dtype))
        node[right, _PRV] = at  # (prv[end] is never read)
        beside = node.take(left, axis=0)  # the left neighbours' records (the extra position's if none: -1, -1)
        ys = node.take(right, axis=0)[:, _TOK]  # (new where the next occurrence is right after; -1 at the end)
        lost = np.concatenate((w, w), dtype=np.int64)  # (int64: ufunc.at is fast only without a cast)
        np.subtract.at(self.count, np.concatenate((beside[:, _PID], lost_right)), lost)  # (-1: the scratch entry)
        # The new pairs, grouped by (side, other token), each group left to right: a stable sort of the
        # left sides' codes followed by the right sides'. A side without a pair has token -1: sorted last.
        if new < _SMALL_TOKENS:  # (16-bit codes, side in bit 15: a radix sort)
            ys |= _SMALL_RIGHT
            codes = np.concatenate((beside[:, _TOK], ys), dtype=np.uint16, casting="unsafe")
            none = _SMALL_NONE
        else:
            codes = np.concatenate((beside[:, _TOK], ys), dtype=np.int64)
            codes[codes.size // 2:] |= _RIGHT
            codes[codes < 0] = none = _NONE
        order = codes.argsort(kind="stable")
        codes = codes[order]
        n = int(codes.searchsorted(none))  # (the sides with a pair)
        order = order[:n]
        return self._add_pairs(codes[:n], np.concatenate((left, at))[order], lost[order], new)


def _every_other_in_runs(at: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    """In runs of overlapping (a, a) occurrences (a a a ...), which to take: the 1st, 3rd, ... (what str.split
    takes); None when no two overlap (take all)."""
    overlaps = after[:-1] == at[1:]
    if not overlaps.any():
        return None
    index = np.arange(at.size)
    run_start = np.maximum.accumulate(np.where(np.concatenate(([True], ~overlaps)), index, 0))
    return (index - run_start) % 2 == 0


def merge_loop(words: list[str], counts: list[int], vocab: dict[int, bytes], num_merges: int,
               progress: bool | None) -> list[tuple[bytes, bytes]]:
    """Up to `num_merges` merges of the pre-tokens `words` (str of chr(byte)) with `counts`; adds to `vocab`.

    Consumes `words` and `counts`: both lists are emptied once the arrays hold them (memory).
    """
    collecting = gc.isenabled()
    gc.disable()  # (the loop makes many tuples and no cycles: the cyclic GC would only cost time)
    try:
        return _merge_loop(words, counts, vocab, num_merges, progress)
    finally:
        if collecting:
            gc.enable()


def _merge_loop(words: list[str], counts: list[int], vocab: dict[int, bytes], num_merges: int,
                progress: bool | None) -> list[tuple[bytes, bytes]]:
    """`merge_loop`, with the cyclic GC paused."""
    data = _Merger(words, counts, consume=True)
    del words, counts
    inv = [inverted_key(vocab[i]) for i in range(len(vocab))]
    code = data.code
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace

    def entry(j: int, c: int, item: int) -> tuple:
        """The heap entry of pair id j with count c (item: j, or ~number for a batch): most frequent first, then
        lexicographically greatest.

        (inv[a], inv[b]) orders pairs as inv[a] + inv[b] would: no key is a prefix of another (see _INV).
        """
        pair = code[j]
        other, n = inv[pair & _OTHER], inv[pair >> 32]
        return (-c, n, other, item) if pair & _RIGHT else (-c, other, n, item)

    def batch_entry(number: int, ids: Sequence[int], stored: Sequence[int], i: int) -> tuple | None:
        """The heap entry of batch `number` from its i-th pair on (None when none is left): that pair's own key
        if its count is the batch's alone, else the key _BATCH (the pairs of that count go on the heap together)."""
        if i == len(ids):
            return None
        c = stored[i]
        if i + 1 < len(ids) and stored[i + 1] == c:
            return -c, _BATCH, _BATCH, ~number
        return entry(ids[i], c, ~number)

    heap = [entry(i, c, i) for i, c in enumerate(data.count_[:data.pairs])]
    heapq.heapify(heap)
    batches: dict[int, list] = {}  # number -> [pair ids, their counts when made, index of the next one]
    numbers = itertools.count()
    merges: list[tuple[bytes, bytes]] = []
    bar = progress_bar(progress, num_merges, "merging", "merge")
    while len(merges) < num_merges and heap:
        neg, key, key2, item = heap[0]  # (looked at, not popped: a batch or stale entry is replaced in place)
        count = data.count_
        if item >= 0:  # a pair's own entry
            j = item
            current = count[j]
            if current != -neg:  # stale: the count went down since this entry was pushed
                if current:
                    heapreplace(heap, (-current, key, key2, j))
                else:
                    heappop(heap)
                continue
            heappop(heap)
        else:  # a batch: its next pair (or the next pairs of one count) leave it
            batch = batches[~item]
            ids, stored, i = batch
            if key:  # one pair, under its own key: merged now unless its count went down
                j = ids[i]
                i += 1
            else:  # several pairs of this count: all go on the heap
                while i < len(ids) and stored[i] == -neg:
                    j = ids[i]
                    if count[j]:
                        heappush(heap, entry(j, count[j], j))
                    i += 1
            batch[2] = i
            following = batch_entry(~item, ids, stored, i)
            if following is None:
                heappop(heap)
                del batches[~item]
            else:
                heapreplace(heap, following)
            if not key:
                continue
            current = count[j]
            if current != -neg:  # (stale)
                if current:
                    heappush(heap, (-current, key, key2, j))
                continue
        a, b = _pair_of(code[j])
        new = len(vocab)
        vocab[new] = vocab[a] + vocab[b]
        merges.append((vocab[a], vocab[b]))
        inv.append(key[:-2] + key2)
        ids, stored = data.merge(j, new)
        if len(ids) <= _FEW:  # a few new pairs go on the heap one by one (cheaper than a batch)
            for j, c in zip(ids, stored):
                heappush(heap, entry(j, c, j))
        else:
            number = next(numbers)
            batches[number] = [ids, stored, 0]
            heappush(heap, batch_entry(number, ids, stored, 0))
        bar.update(1)
    bar.close()
    return merges
