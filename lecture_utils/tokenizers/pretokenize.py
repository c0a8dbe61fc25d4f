"""GPT-2 pre-tokenization, fast and exact, plus the two things chunked processing needs.

1. `pretokenize(text)` splits text into GPT-2 pre-tokens: exactly `regex.findall(GPT2_SPLIT_PATTERN, text)`.
   It is about twice as fast as that call because, for text without characters beyond U+FFFF (no emoji),
   it runs the same pattern through the standard `re` module with the classes \\p{L}, \\p{N} and \\s
   spelled out as explicit ranges. The ranges are read off the `regex` module itself at first use, so
   both paths agree character for character; text with emoji (or other supplementary characters) is
   cut into blocks and only the blocks that contain them take the slower `regex` path.
2. `split_specials` / `special_pattern`: special tokens are cut out *before* pre-tokenization, longest
   first, so `"<|endoftext|>"` is never split into `<`, `|`, `endoftext`, ...
3. Safe cut points (`find_cut`, `find_cut_forward`, `find_byte_cut`): positions where text can be split
   into two pieces that pre-tokenize to exactly the pre-tokens of the whole. Used to spread training over
   processes and to stream `encode_iterable` with bounded memory. A cut at `i` is safe when the
   character before it is not whitespace and either the character at `i` is whitespace, or a letter or
   digit is followed by a symbol (what no pattern alternative can run across: every alternative that
   contains a non-space character stops at a class change, and the only look-ahead, `(?!\\S)`, looks at
   whitespace only). A cut must also not fall inside a special token (`inside_special`).

Deliberate simplification: a single piece of text with no safe cut at all (a megabyte of letters) is
handled whole; memory is then bounded by that run, not by the chunk size.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import regex

from .base import GPT2_SPLIT_PATTERN

__all__ = ["pretokenize", "exact_pattern", "fast_pattern", "special_pattern", "split_specials",
           "find_cut", "find_cut_forward", "find_byte_cut", "inside_special", "iter_blocks", "BLOCK_CHARS"]

BLOCK_CHARS = 1 << 16  # text with emoji is pre-tokenized in blocks of about this many characters
_SUPPLEMENTARY = re.compile("[\U00010000-\U0010ffff]")
# Safe cut points (see the module docstring); (?r) makes `regex` search backwards, from the end.
_CUT_RULE = r"(?<=\S)(?=\s)|(?<=[\p{L}\p{N}])(?=[^\s\p{L}\p{N}])"
_CUT_BACKWARD = regex.compile("(?r)" + _CUT_RULE)
_CUT_FORWARD = regex.compile(_CUT_RULE)
# The same rule on UTF-8 bytes, restricted to ASCII (a multi-byte character never contains an ASCII
# byte, so an ASCII byte is always a whole character): printable non-space, then ASCII whitespace.
_BYTE_CUT = re.compile(rb"[\x21-\x7e](?=[\t\n\x0b\x0c\r ])")


@lru_cache(maxsize=None)
def exact_pattern() -> regex.Pattern:
    """GPT2_SPLIT_PATTERN compiled with `regex` (the reference: handles every character)."""
    return regex.compile(GPT2_SPLIT_PATTERN)


def _bmp_class(prop: str) -> str:
    """The characters of U+0000..U+FFFF that `regex` matches with `prop`, as an `re` class body."""
    every_bmp_char = "".join(map(chr, range(0x10000)))
    parts = []
    for m in regex.finditer(prop + "+", every_bmp_char):
        first, last = re.escape(every_bmp_char[m.start()]), re.escape(every_bmp_char[m.end() - 1])
        parts.append(first if m.end() - m.start() == 1 else f"{first}-{last}")
    return "".join(parts)


@lru_cache(maxsize=None)
def fast_pattern() -> re.Pattern:
    r"""GPT2_SPLIT_PATTERN for text without supplementary characters, compiled with the faster `re`.

    `re` has no \p{..}; its `\s` also differs from `regex`'s (it includes U+001C..U+001F), so all three
    classes are spelled out from `regex`'s own tables. Only valid on text with no character > U+FFFF.
    """
    letters, numbers, space = _bmp_class(r"\p{L}"), _bmp_class(r"\p{N}"), _bmp_class(r"\s")
    return re.compile(
        rf"""'(?:[sdmt]|ll|ve|re)| ?[{letters}]++| ?[{numbers}]++| ?[^{space}{letters}{numbers}]++"""
        rf"""|[{space}]++$|[{space}]+(?![^{space}])|[{space}]""")


def pretokenize(text: str) -> list[str]:
    """GPT-2 pre-tokens of `text`: `pretokenize("Hello world!!") -> ['Hello', ' world', '!!']`."""
    if text.isascii() or _SUPPLEMENTARY.search(text) is None:
        return fast_pattern().findall(text)
    if len(text) <= BLOCK_CHARS:
        return exact_pattern().findall(text)
    out: list[str] = []
    for block in iter_blocks(text, BLOCK_CHARS):  # only blocks with emoji take the slow path
        out += pretokenize(block)
    return out


def find_cut(text: str, hi: int, lo: int = 0) -> int:
    """The largest safe cut `c` with `lo < c <= hi` and `c < len(text)`, or -1 if there is none."""
    hi = min(hi, len(text) - 1)
    if hi <= lo:
        return -1
    m = _CUT_BACKWARD.search(text, max(lo, 1) - 1, hi + 1)
    return m.start() if m is not None and m.start() > lo else -1


def find_cut_forward(text: str, start: int) -> int:
    """The smallest safe cut `c >= start` (with `c < len(text)`), or -1 if there is none."""
    m = _CUT_FORWARD.search(text, max(start, 1) - 1)
    while m is not None and m.start() < start:
        m = _CUT_FORWARD.search(text, m.start() + 1)
    return m.start() if m is not None and m.start() < len(text) else -1


def find_byte_cut(data: bytes, start: int) -> int:
    """The smallest safe cut `c >= start` in UTF-8 `data` (ASCII rule only), or -1 if there is none."""
    m = _BYTE_CUT.search(data, max(start, 1) - 1)
    return m.end() if m is not None else -1


def inside_special(text: str | bytes, cut: int, specials: Sequence[str | bytes]) -> bool:
    """True if some occurrence of a special token starts before `cut` and ends after it."""
    for s in specials:
        for k in range(1, len(s)):
            if cut - k >= 0 and text.startswith(s, cut - k):
                return True
    return False


def iter_blocks(text: str, size: int, specials: Sequence[str] = ()) -> Iterator[str]:
    """Cut `text` at safe points into blocks of about `size` characters (longer only if it must)."""
    start = 0
    while len(text) - start > size:
        cut = find_cut(text, start + size, start)
        while cut > 0 and specials and inside_special(text, cut, specials):
            cut = find_cut(text, cut - 1, start)
        if cut < 0:  # nothing safe before start + size: take the first safe cut after it
            cut = find_cut_forward(text, start + size)
            while cut > 0 and specials and inside_special(text, cut, specials):
                cut = find_cut_forward(text, cut + 1)
            if cut < 0:
                break
        yield text[start:cut]
        start = cut
    if start < len(text) or not text:
        yield text[start:]


@lru_cache(maxsize=64)
def special_pattern(specials: tuple[str, ...], capture: bool = True) -> re.Pattern | None:
    """A pattern matching any special token, longest first (so overlapping specials pick the longest)."""
    if not specials:
        return None
    body = "|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True))
    return re.compile(f"({body})" if capture else body)


def split_specials(text: str, specials: Iterable[str]) -> list[str]:
    """Alternate ordinary text and special tokens: `split_specials("a<s>b", ["<s>"]) -> ['a', '<s>', 'b']`.

    Even indices hold ordinary text (possibly empty), odd indices the special tokens found.
    """
    pattern = special_pattern(tuple(specials))
    return [text] if pattern is None else pattern.split(text)
