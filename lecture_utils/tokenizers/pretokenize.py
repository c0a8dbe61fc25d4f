"""Pre-tokenization for the tiktoken family (gpt2, r50k, p50k, cl100k, o200k), fast and exact.

1. `pretokenize(text, pattern="gpt2")` splits text into pre-tokens: exactly
   `regex.findall(PATTERNS[pattern], text)`. For text without characters beyond U+FFFF (no emoji) it
   runs the same pattern through the faster standard `re` module, with every `\\p{..}` / `\\s` class
   spelled out as explicit ranges read off the `regex` module itself at first use, so both paths agree
   character for character. Long text with emoji is cut into blocks at safe points; only the blocks that
   hold such characters take the `regex` path, and a block that cannot be cut further is matched whole.
   `pattern` may also be any regex string without capture groups (then always the `regex` path).
2. `split_specials`: special tokens are cut out *before* pre-tokenization, longest first, so
   `"<|endoftext|>"` is never split into `<`, `|`, `endoftext`, ... The one place that does this.
3. Safe cut points (`find_cut`, `find_cut_forward`, `find_byte_cut`, `iter_blocks`): positions where text
   can be split into two pieces that pre-tokenize to exactly the pre-tokens of the whole. A cut at `i` is
   safe when a match of the whole text ends at `i` whatever follows, and no match before `i` looks past it.
   - GPT-2 family (`CUT_RULES["gpt2"]`): the character before `i` is not whitespace and either the one at
     `i` is whitespace, or a letter/digit is followed by a symbol. Every alternative that holds a
     non-space character stops at such a class change, and the only look-ahead, `(?!\\S)`, sees whitespace.
   - cl100k / o200k: a letter or digit, then whitespace. No alternative runs from a letter or digit into
     whitespace (letters end a match at `\\p{L}++` or a contraction, digits at `\\p{N}{1,3}`); the
     symbol alternatives may swallow newlines (`[\\r\\n]*`) but never start after a letter or digit, and
     a `\\p{M}` mark (a "letter" in o200k, a symbol elsewhere) is excluded on purpose. The whitespace
     look-aheads and `\\s++$` only act inside whitespace runs, which the cut never ends.
   - A regex of your own: no cut point is known, so the text is always handled whole.
   A cut must also not fall inside a special token (`inside_special`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import regex

from .base import GPT2_SPLIT_PATTERN

__all__ = ["PATTERNS", "CUT_RULES", "pretokenize", "resolve_pattern", "pattern_name", "check_pattern",
           "exact_pattern", "fast_pattern", "special_pattern", "split_specials",
           "piece_regex", "find_cut", "find_cut_forward", "find_byte_cut", "inside_special", "iter_blocks", "BLOCK_CHARS"]

# tiktoken's patterns, verbatim (tiktoken_ext/openai_public.py); r50k and p50k use GPT-2's.
_CL100K = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
           r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s""")
_O200K = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
PATTERNS: dict[str, str] = {
    "gpt2": GPT2_SPLIT_PATTERN, "r50k_base": GPT2_SPLIT_PATTERN, "p50k_base": GPT2_SPLIT_PATTERN,
    "cl100k_base": _CL100K, "o200k_base": _O200K,
}
_GPT2_CUT = r"(?<=\S)(?=\s)|(?<=[\p{L}\p{N}])(?=[^\s\p{L}\p{N}])"
_WORD_THEN_SPACE = r"(?<=[\p{L}\p{N}])(?=\s)"
CUT_RULES: dict[str, str] = {"gpt2": _GPT2_CUT, "r50k_base": _GPT2_CUT, "p50k_base": _GPT2_CUT,
                             "cl100k_base": _WORD_THEN_SPACE, "o200k_base": _WORD_THEN_SPACE}
# The same rules on UTF-8 bytes, restricted to ASCII (a multi-byte character never contains an ASCII
# byte, so an ASCII byte is always a whole character); the cut is at the end of the match.
_BYTE_CUTS = {"gpt2": rb"[\x21-\x7e](?=[\t\n\x0b\x0c\r ])", "word": rb"[A-Za-z0-9](?=[\t\n\x0b\x0c\r ])"}

BLOCK_CHARS = 1 << 16  # text with emoji is pre-tokenized in blocks of about this many characters
_SUPPLEMENTARY = re.compile("[\U00010000-\U0010ffff]")


def check_pattern(pattern: object) -> str:
    """A pattern name or regex string -> the regex string, or a clear error (unknown name, bad regex, groups)."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a name ({', '.join(PATTERNS)}) or a regex str, got {type(pattern).__name__}")
    if pattern in PATTERNS:
        return PATTERNS[pattern]
    if regex.fullmatch(r"[A-Za-z][\w.-]*", pattern):  # a word, not a regex: surely a mistyped name
        raise ValueError(f"unknown pattern name {pattern!r}: choose one of {', '.join(PATTERNS)}, or pass a regex"
                         " that is not a bare word")
    try:
        compiled = regex.compile(pattern)
    except regex.error as err:
        raise ValueError(f"pattern {pattern!r} is neither a known name ({', '.join(PATTERNS)}) nor a valid"
                         f" regex: {err}") from None
    if compiled.groups:
        raise ValueError(f"pattern {pattern!r} has capture groups, so findall would return the groups instead of"
                         " the pieces; write (?:...) instead of (...)")
    return pattern


resolve_pattern = check_pattern


def pattern_name(pattern: str) -> str | None:
    """The first name in PATTERNS whose regex is `pattern` (a name or regex string), else None."""
    regex_str = PATTERNS.get(pattern, pattern)
    return next((name for name, p in PATTERNS.items() if p == regex_str), None)


@lru_cache(maxsize=None)
def exact_pattern(pattern: str = "gpt2") -> regex.Pattern:
    """The pattern compiled with `regex` (the reference: handles every character)."""
    return regex.compile(check_pattern(pattern))


@lru_cache(maxsize=None)
def _bmp_chars() -> str:
    return "".join(map(chr, range(0x10000)))


@lru_cache(maxsize=None)
def _bmp_class(klass: str) -> str:
    """The characters of U+0000..U+FFFF that `regex` matches with class `klass`, as an `re` class body."""
    every = _bmp_chars()
    parts = []
    for m in regex.finditer(f"(?:{klass})+", every):
        first, last = re.escape(every[m.start()]), re.escape(every[m.end() - 1])
        parts.append(first if m.end() - m.start() == 1 else f"{first}-{last}")
    return "".join(parts)


def _to_re(pattern: str) -> str:
    r"""`pattern` rewritten for `re`: each class holding \p{..} or \s/\S spelled out over the BMP."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "[":  # a class: copy up to its unescaped closing bracket
            j = i + 1 + (pattern[i + 1] == "^")
            j += pattern[j] == "]"
            while pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            body, negated = pattern[i + 1 + (pattern[i + 1] == "^"):j], pattern[i + 1] == "^"
            if "\\p" in body or "\\s" in body:
                body = _bmp_class(f"[{body}]")
            out.append(f"[{'^' if negated else ''}{body}]")
            i = j + 1
        elif ch == "\\" and pattern[i + 1] in "sSp":
            end = pattern.index("}", i) + 1 if pattern[i + 1] == "p" else i + 2
            token = pattern[i:end]
            negated = token == "\\S"
            body = _bmp_class("[\\s]" if negated else "[" + token + "]")
            out.append(("[^" if negated else "[") + body + "]")
            i = end
        elif ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@lru_cache(maxsize=None)
def fast_pattern(pattern: str = "gpt2") -> re.Pattern | None:
    r"""The named pattern for text without supplementary characters, compiled with the faster `re`.

    `re` has no \p{..}; its `\s` also differs from `regex`'s (it includes U+001C..U+001F), so every class
    is spelled out from `regex`'s own tables. Only valid on text with no character > U+FFFF.
    None for a regex of your own (it always takes the `regex` path).
    """
    name = pattern_name(pattern)
    return None if name is None else re.compile(_to_re(PATTERNS[name]))


def pretokenize(text: str, pattern: str = "gpt2") -> list[str]:
    """Pre-tokens of `text`: `pretokenize("Hello world!!") -> ['Hello', ' world', '!!']`."""
    fast = fast_pattern(pattern)
    if fast is not None and (text.isascii() or _SUPPLEMENTARY.search(text) is None):
        return fast.findall(text)
    exact = exact_pattern(pattern)
    if fast is None or len(text) <= BLOCK_CHARS:
        return exact.findall(text)
    out: list[str] = []
    for block in iter_blocks(text, BLOCK_CHARS, pattern=pattern):  # only blocks with emoji take the slow path
        use_fast = block.isascii() or _SUPPLEMENTARY.search(block) is None
        out += (fast if use_fast else exact).findall(block)  # a block that could not be cut is matched whole
    return out


@lru_cache(maxsize=None)
def _cut_regex(pattern: str) -> re.Pattern | None:
    r"""The cut rule of a pattern for `re` (an empty match at each cut), or None when no rule is known.

    The classes are spelled out over the BMP only, so a character beyond U+FFFF never counts as a letter
    or digit, nor as "not a letter, digit or space": such a cut is simply not taken (fewer cuts are
    still safe cuts). No character beyond the BMP is whitespace, so `\S` / `\s` stay exact.
    """
    name = pattern_name(pattern)
    if name is None:
        return None
    space, word = _bmp_class(r"\s"), _bmp_class(r"\p{L}") + _bmp_class(r"\p{N}")
    if CUT_RULES[name] == _GPT2_CUT:
        return re.compile(rf"(?<=[^{space}])(?=[{space}])|(?<=[{word}])(?=[^{space}{word}\U00010000-\U0010ffff])")
    return re.compile(rf"(?<=[{word}])(?=[{space}])")


@lru_cache(maxsize=None)
def piece_regex(pattern: str) -> re.Pattern | None:
    r"""Whitespace-then-other runs (`\s*\S+|\s+`) whose every boundary is a safe cut, or None.

    Only for the GPT-2 family, whose cut rule allows a cut before whitespace that follows another
    character: the end of each `\S+`. (`\s` as `regex` has it; no character beyond U+FFFF is whitespace.)
    Used to count repeated pieces before pre-tokenizing them (`bpe_count`).
    """
    name = pattern_name(pattern)
    if name is None or CUT_RULES[name] != _GPT2_CUT:
        return None
    space = _bmp_class(r"\s")
    return re.compile(f"[{space}]*[^{space}]+|[{space}]+")


def find_cut(text: str, hi: int, lo: int = 0, pattern: str = "gpt2") -> int:
    """The largest safe cut `c` with `lo < c <= hi` and `c < len(text)`, or -1 if there is none."""
    rule = _cut_regex(pattern)
    hi = min(hi, len(text) - 1)
    if hi <= lo or rule is None:
        return -1
    span = 256
    while True:  # search forward in a window that ends at hi, widened backwards until it holds a cut
        start = max(lo + 1, hi - span)
        last = -1
        for m in rule.finditer(text, start, hi + 1):  # the look-behind sees the character before start
            last = m.start()
        if last > lo:
            return last
        if start <= lo + 1:
            return -1
        span *= 4


def find_cut_forward(text: str, start: int, pattern: str = "gpt2") -> int:
    """The smallest safe cut `c >= start` (with `c < len(text)`), or -1 if there is none."""
    rule = _cut_regex(pattern)
    if rule is None:
        return -1
    m = rule.search(text, max(start, 1))
    return m.start() if m is not None and m.start() < len(text) else -1


@lru_cache(maxsize=None)
def _byte_cut_regex(pattern: str) -> re.Pattern | None:
    name = pattern_name(pattern)
    if name is None:
        return None
    return re.compile(_BYTE_CUTS["gpt2" if CUT_RULES[name] == _GPT2_CUT else "word"])


def find_byte_cut(data: bytes, start: int, pattern: str = "gpt2") -> int:
    """The smallest safe cut `c >= start` in UTF-8 `data` (ASCII rule only), or -1 if there is none."""
    rule = _byte_cut_regex(pattern)
    if rule is None:
        return -1
    m = rule.search(data, max(start, 1) - 1)
    return m.end() if m is not None else -1


def inside_special(text: str | bytes, cut: int, specials: Sequence[str | bytes]) -> bool:
    """True if some occurrence of a special token starts before `cut` and ends after it."""
    for s in specials:
        for k in range(1, len(s)):
            if cut - k >= 0 and text.startswith(s, cut - k):
                return True
    return False


def iter_blocks(text: str, size: int, specials: Sequence[str] = (), pattern: str = "gpt2") -> Iterator[str]:
    """Cut `text` at safe points into blocks of about `size` characters (longer only if it must)."""
    start = 0
    while len(text) - start > size:
        cut = find_cut(text, start + size, start, pattern)
        while cut > 0 and specials and inside_special(text, cut, specials):
            cut = find_cut(text, cut - 1, start, pattern)
        if cut < 0:  # nothing safe before start + size: take the first safe cut after it
            cut = find_cut_forward(text, start + size, pattern)
            while cut > 0 and specials and inside_special(text, cut, specials):
                cut = find_cut_forward(text, cut + 1, pattern)
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
