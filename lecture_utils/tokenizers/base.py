"""The tokenizer contract, the compression ratio, and the simple tokenizers of the lecture.

A tokenizer maps text to a list of integer ids (`encode`) and back (`decode`). The lecture measures
tokenizers by their compression ratio: UTF-8 bytes per token (higher = fewer tokens per text).

Three simple tokenizers, each with the lecture's weakness left in on purpose:

- `CharacterTokenizer`: one id per Unicode code point (`ord`); the vocabulary is every code point.
- `ByteTokenizer`: one id per UTF-8 byte; 256 ids, but the longest sequences.
- `WordTokenizer`: one id per regex segment seen in a training corpus; unseen segments become UNK.

Deliberate simplifications: plain Python loops and lists (clear, not fast); the word tokenizer keeps
no special tokens other than UNK, and it is lossy for out-of-vocabulary text by design.
"""
from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import regex

__all__ = [
    "Tokenizer", "compression_ratio", "CharacterTokenizer", "ByteTokenizer", "WordTokenizer",
    "SIMPLE_WORD_PATTERN", "GPT2_SPLIT_PATTERN", "UNK_TOKEN", "check_special_tokens",
]

# The lecture's simple word split: runs of word characters, or any single other character.
# We compile it with DOTALL so that "." also matches a newline: otherwise `findall` silently drops
# line breaks and decoding could not give the text back (the lecture's one-line example has none).
SIMPLE_WORD_PATTERN = r"\w+|."

# GPT-2's pre-tokenization pattern, as shipped in tiktoken (tiktoken_ext/openai_public.py, `r50k_pat_str`,
# used by the "gpt2" encoding). Original GPT-2 release (openai/gpt-2 src/encoder.py):
#   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# tiktoken's form is equivalent but uses possessive quantifiers, and `\s++$` for trailing whitespace.
# Needs the third-party `regex` module (for \p{L}, \p{N} and possessive quantifiers).
GPT2_SPLIT_PATTERN = (
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
)

# What `WordTokenizer.decode` writes for the UNK id: visible, and never produced by either split
# pattern as a single segment (both patterns cut it into several pieces).
UNK_TOKEN = "<|unk|>"

MAX_CODE_POINT = 0x10FFFF  # the last Unicode code point; ids 0..MAX_CODE_POINT are all characters


class Tokenizer(ABC):
    """Abstract tokenizer: text -> ids (`encode`) and ids -> text (`decode`)."""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Text to a list of token ids."""

    @abstractmethod
    def decode(self, ids: list[int]) -> str:
        """A list of token ids back to text."""

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes one id stands for: `self.vocab[id]` if there is a vocab of bytes, else its decoded text."""
        token_id = check_id(token_id)
        vocab = getattr(self, "vocab", None)
        if isinstance(vocab, Mapping):  # BPE-style: tokens may be part of a UTF-8 character
            if token_id not in vocab:
                raise ValueError(f"id {token_id!r} is not in the vocabulary ({len(vocab)} ids)")
            return bytes(vocab[token_id])
        return utf8(self.decode([token_id]))


def compression_ratio(text: str, ids: Sequence[int]) -> float:
    """UTF-8 bytes per token, the lecture's definition: `compression_ratio("hello", [1, 2]) -> 2.5`."""
    if not isinstance(text, str):
        raise TypeError(f"compression_ratio(text, ids) takes the text as a str first, got {type(text).__name__}")
    if isinstance(ids, (str, bytes, bytearray)) or not hasattr(ids, "__len__"):
        raise TypeError(f"compression_ratio(text, ids) takes the ids as a list second, got {type(ids).__name__}")
    if len(ids) == 0:
        raise ValueError("compression ratio needs at least one token (ids is empty)")
    return len(utf8(text)) / len(ids)


# ---------------------------------------------------------------------------------------------
# Argument checks shared by the tokenizers (clear errors, raised before any work is done)
# ---------------------------------------------------------------------------------------------

def check_text(text: object) -> str:
    """Return `text` if it is a str, else raise a TypeError that says what to pass instead."""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        raise TypeError("encode expects str, got bytes; decode them first, e.g. data.decode('utf-8')")
    raise TypeError(f"encode expects str, got {type(text).__name__}")


def check_utf8_text(text: object) -> str:
    """Like check_text, and also refuse lone surrogates (text that has no UTF-8 form) with a clear ValueError."""
    check_text(text)
    if not text.isascii():
        utf8(text)
    return text


def read_text_range(path, start: int, end: int) -> str:
    """Bytes start..end of a file decoded as UTF-8, no newline translation (how training and encoding read files).

    Invalid UTF-8 gets a ValueError naming the byte, its offset and a fix.
    """
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not valid UTF-8 (bad byte {data[err.start:err.start + 1]!r} at offset"
                         f" {start + err.start}); convert it first, e.g. `iconv -f GBK -t UTF-8 in.txt > out.txt`"
                         ) from None


def check_id_list(ids: object, who: str = "decode") -> None:
    """Raise a TypeError unless `ids` is an iterable of ids (not text, bytes or a single int)."""
    if isinstance(ids, (str, bytes, bytearray)):
        raise TypeError(f"{who} expects a list of int ids, got {type(ids).__name__}"
                        " (to turn text into ids, call encode)")
    if not isinstance(ids, Iterable):
        raise TypeError(f"{who} expects a list of int ids, got {type(ids).__name__}"
                        + (f"; for one id write [{ids!r}]" if isinstance(ids, int) else ""))


def plain_ints(ids: object) -> bool:
    """True if `ids` is a list or tuple of plain ints (the fast path: no bools, floats or arrays)."""
    return type(ids) in (list, tuple) and all(type(i) is int for i in ids)


def check_id(token_id: object, position: int | None = None) -> int:
    """One id as a plain int (int, numpy or torch integers), or a TypeError naming it (bools and floats too)."""
    if type(token_id) is int:
        return token_id
    where = "id" if position is None else f"ids[{position}]"
    if isinstance(token_id, (bool, float)):  # True == 1 and 3.0 == 3 would slip through silently
        raise TypeError(f"{where} = {token_id!r} is a {type(token_id).__name__}, not an int id; pass int(...) of a"
                        " whole number if you mean it")
    try:
        return operator.index(token_id)  # accepts int, numpy and torch integers (not floats)
    except TypeError:
        raise TypeError(f"{where} = {token_id!r} is a {type(token_id).__name__}, not an int id") from None


def check_ids(ids: object, vocab_size: int) -> list[int]:
    """Return `ids` as a list of ints in range(vocab_size), or raise a TypeError/ValueError naming the bad one."""
    check_id_list(ids)
    out = []
    for position, token_id in enumerate(ids):
        value = check_id(token_id, position)
        if not 0 <= value < vocab_size:
            raise ValueError(f"ids[{position}] = {value} is out of range: valid ids are 0..{vocab_size - 1}")
        out.append(value)
    return out


def check_special_tokens(special_tokens: object) -> list[str]:
    """The special tokens as a list of distinct, non-empty, UTF-8-encodable str (None -> []), or a clear error."""
    if special_tokens is None:
        return []
    if isinstance(special_tokens, (str, bytes, bytearray)):
        raise TypeError(f"special_tokens must be a list of str, got a single {type(special_tokens).__name__};"
                        f" write special_tokens=[{special_tokens!r}]")
    if not isinstance(special_tokens, Iterable):
        raise TypeError(f"special_tokens must be a list of str, got {type(special_tokens).__name__}")
    specials = list(special_tokens)
    for s in specials:
        if not isinstance(s, str):
            hint = " decode bytes first, e.g. b'<|endoftext|>'.decode('utf-8')" if isinstance(s, (bytes, bytearray)) else ""
            raise TypeError(f"special tokens must be str, got {s!r} ({type(s).__name__});{hint}".rstrip(";"))
        if not s:
            raise ValueError("a special token cannot be the empty string")
        utf8(s)
    duplicates = sorted({s for s in specials if specials.count(s) > 1})
    if duplicates:
        raise ValueError(f"special tokens must be distinct; repeated: {duplicates}")
    return specials


def utf8(text: str) -> bytes:
    """`text` as UTF-8, with a clear error for lone surrogates (which UTF-8 cannot represent)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text contains a lone surrogate {text[exc.start]!r} at index {exc.start}, which has no"
                         " UTF-8 form; clean the text first, e.g. text.encode('utf-8', 'replace').decode()") from None


# ---------------------------------------------------------------------------------------------
# Character tokenizer
# ---------------------------------------------------------------------------------------------

class CharacterTokenizer(Tokenizer):
    """One id per Unicode code point: `encode("a🌍") -> [97, 127757]`."""

    vocab_size = MAX_CODE_POINT + 1  # every code point is a possible token: 1,114,112 ids

    def encode(self, text: str) -> list[int]:
        """Code point of each character: `encode("Hi") -> [72, 105]`."""
        return [ord(ch) for ch in check_utf8_text(text)]

    def decode(self, ids: list[int]) -> str:
        """Join the characters of the code points: `decode([72, 105]) -> "Hi"`."""
        if plain_ints(ids):
            try:  # fast path: chr checks the range itself
                return "".join(map(chr, ids))
            except (ValueError, OverflowError):
                pass  # check_ids below names the bad id
        return "".join(map(chr, check_ids(ids, self.vocab_size)))

    def __repr__(self) -> str:
        return "CharacterTokenizer()"


# ---------------------------------------------------------------------------------------------
# Byte tokenizer
# ---------------------------------------------------------------------------------------------

class ByteTokenizer(Tokenizer):
    """One id per UTF-8 byte: `encode("🌍") -> [240, 159, 140, 141]`.

    Not every byte sequence is valid UTF-8 (say, the first 2 of the 4 bytes of 🌍). `decode` then
    writes U+FFFD (�) for the broken part by default; `ByteTokenizer(errors="strict")` raises instead.
    """

    vocab_size = 256

    def __init__(self, errors: str = "replace") -> None:
        if errors not in ("replace", "strict"):
            raise ValueError(f"errors must be 'replace' or 'strict', got {errors!r}")
        self.errors = errors

    def encode(self, text: str) -> list[int]:
        """The UTF-8 bytes of the text, as ints 0..255."""
        return list(utf8(check_text(text)))

    def decode(self, ids: list[int]) -> str:
        """Bytes back to text: `decode([104, 105]) -> "hi"`; invalid UTF-8 -> "�" (or an error if strict)."""
        data = None
        if plain_ints(ids):
            try:  # fast path: bytes() checks the range itself (never call it on arrays: buffer protocol)
                data = bytes(ids)
            except ValueError:
                pass  # check_ids below names the bad id
        if data is None:
            data = bytes(check_ids(ids, self.vocab_size))
        try:
            return data.decode("utf-8", errors=self.errors)
        except UnicodeDecodeError as exc:
            bad = data[exc.start:exc.end]
            raise ValueError(
                f"ids[{exc.start}:{exc.end}] = {list(bad)} (bytes {bad!r}) are not valid UTF-8: {exc.reason}."
                " Decode a complete sequence, or use ByteTokenizer(errors='replace') to get '\\ufffd' instead."
            ) from None

    def token_bytes(self, token_id: int) -> bytes:
        """The single byte an id stands for."""
        return bytes(check_ids([token_id], self.vocab_size))

    def __repr__(self) -> str:
        return f"ByteTokenizer(errors={self.errors!r})"


# ---------------------------------------------------------------------------------------------
# Word tokenizer
# ---------------------------------------------------------------------------------------------

def _compile_word_pattern(pattern: object) -> regex.Pattern:
    """A word pattern compiled with DOTALL, refusing capture groups (findall would return the groups)."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regex str, got {type(pattern).__name__}")
    try:
        compiled = regex.compile(pattern, regex.DOTALL)
    except regex.error as err:
        raise ValueError(f"pattern {pattern!r} is not a valid regex: {err}") from None
    if compiled.groups:
        raise ValueError(f"pattern {pattern!r} has capture groups, so findall would return the groups instead of"
                         " the segments and decode could not restore the text; write (?:...) instead of (...)")
    return compiled


class WordTokenizer(Tokenizer):
    """One id per segment (word, space, punctuation) seen in a corpus; id 0 is UNK for everything else.

    >>> tok = WordTokenizer.train("the cat sat on the mat")
    >>> tok.id_to_word[:4]  # " " is the most frequent segment, then "the"
    ['<|unk|>', ' ', 'the', 'cat']
    >>> tok.encode("the dog")
    [2, 1, 0]
    >>> tok.decode(tok.encode("the dog"))
    'the <|unk|>'
    """

    unk_id = 0

    def __init__(self, words: Sequence[str], pattern: str = SIMPLE_WORD_PATTERN) -> None:
        words = list(words)
        if UNK_TOKEN in words:
            raise ValueError(f"{UNK_TOKEN!r} is reserved for the UNK id; remove it from words")
        if len(set(words)) != len(words):
            raise ValueError("words must be distinct (each gets one id)")
        self.pattern = pattern
        self._split = _compile_word_pattern(pattern)
        self.id_to_word: list[str] = [UNK_TOKEN, *words]
        self.word_to_id: dict[str, int] = {w: i for i, w in enumerate(self.id_to_word) if i != self.unk_id}

    @classmethod
    def train(cls, corpus: str | Iterable[str], pattern: str = SIMPLE_WORD_PATTERN, *,
              min_count: int = 1, max_vocab: int | None = None) -> WordTokenizer:
        """Learn the vocabulary: every segment seen at least `min_count` times, most frequent first.

        `corpus` is one text or an iterable of texts (documents). `max_vocab` caps the vocabulary
        size, counting the UNK id. Equally frequent segments keep the order they were first seen in.
        """
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count must be an int >= 1, got {min_count!r}")
        if max_vocab is not None and (isinstance(max_vocab, bool) or not isinstance(max_vocab, int) or max_vocab < 1):
            raise ValueError(f"max_vocab must be None or an int >= 1 (it counts the UNK id), got {max_vocab!r}")
        split = _compile_word_pattern(pattern)
        counts: Counter[str] = Counter()
        for text in [corpus] if isinstance(corpus, str) else corpus:
            counts.update(split.findall(check_utf8_text(text)))
        counts.pop(UNK_TOKEN, None)
        # sorted() is stable and Counter keeps first-seen order, so ties stay in first-seen order
        words = [w for w, c in sorted(counts.items(), key=lambda wc: -wc[1]) if c >= min_count]
        if max_vocab is not None:
            words = words[:max_vocab - 1]
        return cls(words, pattern)

    @property
    def vocab_size(self) -> int:
        """Number of ids, UNK included."""
        return len(self.id_to_word)

    def split(self, text: str) -> list[str]:
        """The segments of `text` under this tokenizer's pattern: `split("I'll") -> ['I', "'", 'll']`."""
        segments = self._split.findall(check_utf8_text(text))
        if sum(map(len, segments)) != len(text):
            raise ValueError(f"pattern {self.pattern!r} does not cover the whole text, so decode could not"
                             " restore it; add a catch-all alternative such as '|.'")
        return segments

    def encode(self, text: str) -> list[int]:
        """The id of each segment; segments not in the vocabulary get `unk_id` (0)."""
        get = self.word_to_id.get
        return [get(s, self.unk_id) for s in self.split(text)]

    def decode(self, ids: list[int]) -> str:
        """Join the segments; UNK ids become the visible marker `<|unk|>` (the original is lost)."""
        words = self.id_to_word
        return "".join([words[i] for i in check_ids(ids, self.vocab_size)])

    def token_bytes(self, token_id: int) -> bytes:
        """The UTF-8 bytes of the segment an id stands for."""
        return self.id_to_word[check_ids([token_id], self.vocab_size)[0]].encode("utf-8")

    def oov_rate(self, text: str) -> float:
        """Fraction of the segments of `text` that are out of vocabulary (they would become UNK)."""
        segments = self.split(text)
        if not segments:
            raise ValueError("OOV rate needs at least one segment (text is empty)")
        return sum(s not in self.word_to_id for s in segments) / len(segments)

    def __repr__(self) -> str:
        return f"WordTokenizer(vocab_size={self.vocab_size}, pattern={self.pattern!r})"
