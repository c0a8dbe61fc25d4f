"""The tokenizer contract, the compression ratio, and the simple tokenizers of the lecture.

A tokenizer maps text to a list of integer ids (`encode`) and back (`decode`). The lecture measures
tokenizers by their compression ratio: UTF-8 bytes per token (higher = fewer tokens per text).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

# The lecture's simple word split: runs of word characters, or any single other character.
SIMPLE_WORD_PATTERN = r"\w+|."

# GPT-2's pre-tokenization pattern, as shipped in tiktoken (tiktoken_ext/openai_public.py, `r50k_pat_str`,
# used by the "gpt2" encoding). Original GPT-2 release (openai/gpt-2 src/encoder.py):
#   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# tiktoken's form is equivalent but uses possessive quantifiers, and `\s++$` for trailing whitespace.
# Needs the third-party `regex` module (for \p{L}, \p{N} and possessive quantifiers).
GPT2_SPLIT_PATTERN = (
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
)


class Tokenizer(ABC):
    """Abstract tokenizer: text -> ids (`encode`) and ids -> text (`decode`)."""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Text to a list of token ids."""

    @abstractmethod
    def decode(self, ids: list[int]) -> str:
        """A list of token ids back to text."""


def compression_ratio(text: str, ids: list[int]) -> float:
    """UTF-8 bytes per token, the lecture's definition: `compression_ratio("hello", [1, 2]) -> 2.5`."""
    if not ids:
        raise ValueError("compression ratio needs at least one token (ids is empty)")
    return len(text.encode("utf-8")) / len(ids)
