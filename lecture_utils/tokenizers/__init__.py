"""Tokenizers built from scratch: character, byte, word, the lecture's toy BPE and a real BPE."""
from __future__ import annotations

from .base import (GPT2_SPLIT_PATTERN, SIMPLE_WORD_PATTERN, ByteTokenizer, CharacterTokenizer, Tokenizer,
                   WordTokenizer, compression_ratio)
from .bpe import BPETokenizer
from .bpe_train import train_bpe, train_bpe_from_text
from .toy_bpe import ToyBPETokenizer, merge, train_toy_bpe
from .view import render_tokens

__all__ = [
    "BPETokenizer", "ByteTokenizer", "CharacterTokenizer", "GPT2_SPLIT_PATTERN", "SIMPLE_WORD_PATTERN",
    "Tokenizer", "ToyBPETokenizer", "WordTokenizer", "compression_ratio", "merge", "render_tokens",
    "train_bpe", "train_bpe_from_text", "train_toy_bpe",
]
